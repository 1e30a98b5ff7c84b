// The PostgreSQL backend of the store (settings.postgres, as MeshCentral names it): the same
// tables as the SQLite backend (docs/store.md) in one PostgreSQL database, reached with libpq.
// One connection guarded by a mutex (AsyncStore gives it one thread, as for SQLite); a broken
// connection is re-established at the next call. Documents are kept as JSON text (not jsonb),
// so what is read back is byte for byte what was written, as with SQLite.
#pragma once

#include <memory>
#include <string>

#include "store/pg_options.hpp"
#include "store/store.hpp"

namespace mw::server::store {

// PgOptions from the settings object (keys in any case); errors name the key that is wrong.
mw::Result<PgOptions> pg_options(const Json& settings_postgres);

class PgStore final : public Store {
 public:
  // Connects and migrates. Errors: "io" (cannot connect: the server's own message), "postgres"
  // (a statement failed), "newer-schema", "not-a-store" (tables of something else in the database).
  static mw::Result<std::unique_ptr<PgStore>> open(const PgOptions& options);
  ~PgStore() override;
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

  int schema_version() const;
  static int latest_schema_version();

  Status put(const Json& doc) override;
  mw::Result<std::optional<Json>> get(std::string_view id) override;
  mw::Result<bool> remove(std::string_view id) override;
  mw::Result<std::vector<Json>> list(std::string_view type, std::string_view domain) override;
  mw::Result<std::vector<Json>> list_nodes_by_mesh(std::string_view meshid) override;
  mw::Result<std::string> list_nodes_by_mesh_text(std::string_view meshid) override;
  mw::Result<std::vector<Json>> list_nodes_by_amt_uuid(std::string_view domain, std::string_view uuid) override;
  mw::Result<std::int64_t> count(std::string_view type, std::optional<std::string_view> domain) override;

  mw::Result<std::int64_t> add_event(const Json& event) override;
  mw::Result<std::vector<Json>> query_events(const EventQuery& q) override;
  mw::Result<std::int64_t> expire_events(int days, std::int64_t now_ms) override;

  Status add_power_event(const Json& event) override;
  mw::Result<std::vector<Json>> query_power(const PowerQuery& q) override;
  mw::Result<std::int64_t> expire_power_events(int days, std::int64_t now_ms) override;

  mw::Result<Json> export_all(const ExportOptions& opts) override;
  mw::Result<ImportCounts> import_all(const Json& data, bool force) override;

  std::vector<OpStats> stats() const override;

  struct Impl;

 private:
  explicit PgStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mw::server::store
