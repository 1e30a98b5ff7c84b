// Where the PostgreSQL store is (the Postgres setting): a plain struct, so that Settings can hold
// it without the store's headers. Read from config.json by pg_options() (pg_store.hpp).
#pragma once

#include <string>

namespace mw::server::store {

// MeshCentral's settings.postgres: {"host", "port", "user", "password", "database"} (node-postgres
// names). Missing keys take libpq's defaults (PGHOST, a local socket, the OS user); the database
// defaults to "meshwork". TLS: libpq's own "sslmode", "sslrootcert", "sslcert", "sslkey" (files),
// or node-postgres' "ssl" as MeshCentral configurations write it: true (encrypted, sslmode
// require), {"rejectUnauthorized": false} (the same), {"ca": FILE} (verify-full against it).
struct PgOptions {
  std::string host, user, password, database = "meshwork";
  int port = 0;  // 0: libpq's default (5432)
  std::string sslmode;  // "" : libpq's default ("prefer")
  std::string sslrootcert, sslcert, sslkey;  // file names
  int connect_timeout_s = 10;
  // Where, for logs and errors (never the password): "user@host:port/database".
  std::string label() const;
};

}  // namespace mw::server::store
