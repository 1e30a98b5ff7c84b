// The database switches of meshwork-server, run instead of the server: --dbexport [file],
// --dbimport [file] (with --force), --showusers, --showmeshes, --shownodes, --showevents,
// --showpower, --showall. They open the same database file the server uses.
#pragma once

#include <filesystem>
#include <optional>

#include "config/config.hpp"
#include "settings.hpp"

namespace mw::server {

// The database file in the data folder.
std::filesystem::path database_path(const Settings& s);

// Runs the database action named on the command line, if any; returns the process exit code, or
// nullopt when no database action was given (the server then starts normally).
std::optional<int> run_database_action(const Settings& s, const config::Config& cfg);

}  // namespace mw::server
