// The database switches of meshwork-server, run instead of the server: --dbexport [file],
// --dbimport [file] (with --force), --showusers, --showmeshes, --shownodes, --showevents,
// --showpower, --showall. They open the same database the server uses (the SQLite file, or
// PostgreSQL with the Postgres setting).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "config/config.hpp"
#include "settings.hpp"
#include "store/store.hpp"

namespace mw::server {

// The database file in the data folder.
std::filesystem::path database_path(const Settings& s);

// The server's store: PostgreSQL when the Postgres setting is there, else the SQLite file.
mw::Result<std::unique_ptr<store::Store>> open_store(const Settings& s);
// Where the store is, for messages: "SQLite <absolute path>" or "PostgreSQL user@host:port/db".
std::string store_label(const Settings& s);

// Runs the database action named on the command line, if any; returns the process exit code, or
// nullopt when no database action was given (the server then starts normally).
std::optional<int> run_database_action(const Settings& s, const config::Config& cfg);

}  // namespace mw::server
