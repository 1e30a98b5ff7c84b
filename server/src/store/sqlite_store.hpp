// The SQLite backend of the store: one database file in WAL mode, schema migrations at open, an
// integrity check at open, prepared statements cached per statement. One connection guarded by a
// mutex; AsyncStore gives it one writer thread so the I/O threads never wait on it.
#pragma once

#include <filesystem>
#include <memory>

#include "store/store.hpp"

namespace mw::server::store {

struct SqliteOptions {
  // NORMAL (default): in WAL mode a commit is written to the WAL before it returns, so killing the
  // process (SIGTERM, SIGKILL, a crash) loses no committed record; only an OS crash or power
  // loss can drop the last commits (never corrupting the file). FULL also fsyncs the WAL at each
  // commit, surviving power loss too, at the cost of one fsync per write.
  bool synchronous_full = false;
  // quick_check (default) is O(database size) and skips the index-vs-table cross-check that
  // integrity_check does; both run before migrations so a damaged file is never migrated.
  bool full_integrity_check = false;
  int busy_timeout_ms = 5000;
};

class SqliteStore final : public Store {
 public:
  // Opens (creating it if needed) and migrates the database. Errors: "corrupt" (damaged or not a
  // database, with the check's findings), "newer-schema", "not-a-store", "io", "busy", "sqlite".
  static mw::Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& path,
                                                       const SqliteOptions& options = {});
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // The schema version of the open file, and the newest this build knows.
  int schema_version() const;
  static int latest_schema_version();

  Status put(const Json& doc) override;
  mw::Result<std::optional<Json>> get(std::string_view id) override;
  mw::Result<bool> remove(std::string_view id) override;
  mw::Result<std::vector<Json>> list(std::string_view type, std::string_view domain) override;
  mw::Result<std::vector<Json>> list_nodes_by_mesh(std::string_view meshid) override;
  mw::Result<std::string> list_nodes_by_mesh_text(std::string_view meshid) override;
  mw::Result<std::vector<Json>> list_nodes_by_amt_uuid(std::string_view domain,
                                                       std::string_view uuid) override;
  mw::Result<std::int64_t> count(std::string_view type,
                                 std::optional<std::string_view> domain) override;

  mw::Result<std::int64_t> add_event(const Json& event) override;
  mw::Result<std::vector<Json>> query_events(const EventQuery& q) override;
  mw::Result<std::int64_t> expire_events(int days, std::int64_t now_ms) override;

  Status add_power_event(const Json& event) override;
  mw::Result<std::vector<Json>> query_power(const PowerQuery& q) override;
  mw::Result<std::int64_t> expire_power_events(int days, std::int64_t now_ms) override;

  mw::Result<Json> export_all(const ExportOptions& opts) override;
  mw::Result<ImportCounts> import_all(const Json& data, bool force) override;

  std::vector<OpStats> stats() const override;

  struct Impl;  // opaque (named by the backend's own helpers)

 private:
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mw::server::store
