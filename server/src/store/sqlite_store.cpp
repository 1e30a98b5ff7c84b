// SQLite backend of the store (see sqlite_store.hpp). All SQL of the SQLite store lives here.
#include "store/sqlite_store.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <iterator>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "log.hpp"
#include "store/records.hpp"

namespace mw::server::store {

namespace {

// [SECTION] Schema and migrations. Append only: a released migration never changes, a new one
// gets the next version. Each runs in its own transaction with its schema_version row.
struct Migration {
  int version;
  const char* what;
  const char* sql;
};

constexpr Migration kMigrations[] = {
    {1, "main records, events and power tables", R"sql(
CREATE TABLE main (
  id     TEXT PRIMARY KEY NOT NULL,  -- the document's _id
  type   TEXT,                       -- its type (NULL for keyed records such as SchemaVersion)
  domain TEXT,                       -- its domain id ('' = default domain)
  meshid TEXT,                       -- its meshid (devices and per-device records)
  doc    TEXT NOT NULL               -- the JSON document
);
CREATE INDEX main_type_domain ON main(type, domain);
CREATE INDEX main_meshid ON main(meshid, type);

CREATE TABLE events (
  id     INTEGER PRIMARY KEY,
  time   INTEGER NOT NULL,           -- ms since epoch
  domain TEXT,
  etype  TEXT,
  action TEXT,
  userid TEXT,
  nodeid TEXT,
  meshid TEXT,
  doc    TEXT NOT NULL               -- the JSON event without its time
);
CREATE INDEX events_domain_time ON events(domain, time);
CREATE INDEX events_user_time ON events(domain, userid, time);
CREATE INDEX events_node_time ON events(domain, nodeid, time);
CREATE INDEX events_mesh_time ON events(domain, meshid, time);
CREATE INDEX events_time ON events(time);

CREATE TABLE event_targets (         -- the event's "ids": who it was dispatched to
  event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  target   TEXT NOT NULL
);
CREATE INDEX event_targets_target ON event_targets(target, event_id);
CREATE INDEX event_targets_event ON event_targets(event_id);

CREATE TABLE power (
  id     INTEGER PRIMARY KEY,
  time   INTEGER NOT NULL,           -- ms since epoch
  nodeid TEXT NOT NULL,              -- '*' = the server itself
  doc    TEXT NOT NULL               -- the JSON power event without its time
);
CREATE INDEX power_node_time ON power(nodeid, time);
CREATE INDEX power_time ON power(time);
)sql"},
    {2, "intelamt.uuid column on devices, for CIRA look-ups", R"sql(
ALTER TABLE main ADD COLUMN amtuuid TEXT;
UPDATE main SET amtuuid = json_extract(doc, '$.intelamt.uuid')
  WHERE type = 'node' AND json_type(doc, '$.intelamt.uuid') = 'text';
CREATE INDEX main_amtuuid ON main(domain, amtuuid) WHERE amtuuid IS NOT NULL;
)sql"},
};

constexpr int kLatestVersion = kMigrations[std::size(kMigrations) - 1].version;
constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

// [SECTION] Small SQLite helpers.

// A cached statement in use: reset and unbound when it goes out of scope, ready for the next use.
class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  void text(int i, std::string_view v) {
    // A null pointer would bind SQL NULL; the empty domain "" must stay a string.
    sqlite3_bind_text(s_, i, v.data() != nullptr ? v.data() : "", static_cast<int>(v.size()),
                      SQLITE_TRANSIENT);
  }
  void text(int i, const std::optional<std::string>& v) {
    if (v) text(i, std::string_view(*v));
    else sqlite3_bind_null(s_, i);
  }
  void int64(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }
  int step() { return sqlite3_step(s_); }
  std::int64_t col_int(int c) { return sqlite3_column_int64(s_, c); }
  std::string_view col_text(int c) {
    const auto* p = sqlite3_column_text(s_, c);
    const int n = sqlite3_column_bytes(s_, c);
    return p != nullptr ? std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
                        : std::string_view();
  }

 private:
  sqlite3_stmt* s_;
};

std::string error_code_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return "corrupt";
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return "busy";
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM: return "io";
    default: return "sqlite";
  }
}

}  // namespace

// [SECTION] Connection state.
struct SqliteStore::Impl {
  sqlite3* db = nullptr;
  std::string path;
  int version = 0;
  std::mutex mu;  // one connection: one caller at a time
  std::unordered_map<std::string, sqlite3_stmt*> cache;
  // list_nodes_by_mesh_text answers by device group, dropped whenever a device is written or
  // anything is removed or imported (this process is the database's only writer while it runs).
  std::unordered_map<std::string, std::string> node_lists;
  static constexpr std::size_t kNodeListsMax = 256;
  StoreCounters counters;
  std::shared_ptr<spdlog::logger> log = mw::server::logger("store");

  ~Impl() {
    for (auto& [sql, st] : cache) sqlite3_finalize(st);
    if (db != nullptr) sqlite3_close_v2(db);
  }

  mw::Error error(int rc, std::string_view what) const {
    const std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    const std::string code = error_code_for(rc);
    if (code == "corrupt") {
      return mw::make_error(code, path + ": the database is damaged or is not a database (" + detail +
                                      ", while " + std::string(what) +
                                      "); restore a backup or re-import an export");
    }
    return mw::make_error(code, path + ": " + std::string(what) + ": " + detail);
  }

  mw::Result<sqlite3_stmt*> prepare(const std::string& sql) {
    if (const auto it = cache.find(sql); it != cache.end()) return it->second;
    sqlite3_stmt* st = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &st, nullptr);
    if (rc != SQLITE_OK) return error(rc, "preparing a statement");
    cache.emplace(sql, st);
    return st;
  }

  Status exec(const char* sql, std::string_view what) {
    char* msg = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
    sqlite3_free(msg);  // sqlite3_errmsg has the same text
    if (rc != SQLITE_OK) return error(rc, what);
    return Ok{};
  }

  // The first column of every row, as text (for PRAGMAs and counts).
  mw::Result<std::vector<std::string>> strings(const std::string& sql, std::string_view what) {
    auto st = prepare(sql);
    if (!st) return st.error();
    Stmt s(*st);
    std::vector<std::string> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.emplace_back(s.col_text(0));
    if (rc != SQLITE_DONE) return error(rc, what);
    return out;
  }

  // Runs a statement that returns documents in column `doc_col` (and, when time_col >= 0, a
  // time in ms that is put back into each document as MeshCentral shows it).
  mw::Result<std::vector<Json>> docs(Stmt& s, std::string_view what, int doc_col = 0, int time_col = -1,
                                     const char* type = nullptr) {
    std::vector<Json> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      const auto text = s.col_text(doc_col);
      Json j = Json::parse(text.begin(), text.end(), nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        return mw::make_error("corrupt", path + ": a stored document is not valid JSON (" +
                                             std::string(what) + ")");
      }
      if (time_col >= 0) j = with_time(std::move(j), s.col_int(time_col));
      if (type != nullptr) j["type"] = type;
      out.push_back(std::move(j));
    }
    if (rc != SQLITE_DONE) return error(rc, what);
    return out;
  }

  Status step_done(Stmt& s, std::string_view what) {
    const int rc = s.step();
    if (rc != SQLITE_DONE) return error(rc, what);
    return Ok{};
  }

  Status insert_main(const MainRecord& r, const Json& doc) {
    auto st = prepare(
        "INSERT INTO main(id, type, domain, meshid, amtuuid, doc) VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
        "ON CONFLICT(id) DO UPDATE SET type = excluded.type, domain = excluded.domain, "
        "meshid = excluded.meshid, amtuuid = excluded.amtuuid, doc = excluded.doc");
    if (!st) return st.error();
    Stmt s(*st);
    s.text(1, std::string_view(r.id));
    s.text(2, r.type);
    s.text(3, r.domain);
    s.text(4, r.meshid);
    s.text(5, r.amtuuid);
    s.text(6, std::string_view(dump(doc)));
    return step_done(s, "writing a record");
  }

  mw::Result<std::int64_t> insert_event(const EventRecord& e) {
    auto st = prepare(
        "INSERT INTO events(time, domain, etype, action, userid, nodeid, meshid, doc) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!st) return st.error();
    std::int64_t id = 0;
    {
      Stmt s(*st);
      s.int64(1, e.time_ms);
      s.text(2, e.domain);
      s.text(3, e.etype);
      s.text(4, e.action);
      s.text(5, e.userid);
      s.text(6, e.nodeid);
      s.text(7, e.meshid);
      s.text(8, std::string_view(dump(e.doc)));
      if (auto r = step_done(s, "writing an event"); !r) return r.error();
      id = sqlite3_last_insert_rowid(db);
    }
    if (!e.targets.empty()) {
      auto tt = prepare("INSERT INTO event_targets(event_id, target) VALUES(?1, ?2)");
      if (!tt) return tt.error();
      for (const auto& target : e.targets) {
        Stmt s(*tt);
        s.int64(1, id);
        s.text(2, std::string_view(target));
        if (auto r = step_done(s, "writing an event target"); !r) return r.error();
      }
    }
    return id;
  }

  Status insert_power(const PowerRecord& p) {
    auto st = prepare("INSERT INTO power(time, nodeid, doc) VALUES(?1, ?2, ?3)");
    if (!st) return st.error();
    Stmt s(*st);
    s.int64(1, p.time_ms);
    s.text(2, std::string_view(p.nodeid));
    s.text(3, std::string_view(dump(p.doc)));
    return step_done(s, "writing a power event");
  }

  mw::Result<std::int64_t> delete_before(const char* sql, int days, std::int64_t now, std::string_view what) {
    if (days < 0) return mw::make_error("bad-argument", "retention days must be 0 or more");
    auto st = prepare(sql);
    if (!st) return st.error();
    Stmt s(*st);
    s.int64(1, now - static_cast<std::int64_t>(days) * kDayMs);
    if (auto r = step_done(s, what); !r) return r.error();
    return static_cast<std::int64_t>(sqlite3_changes(db));
  }

  Status migrate();
};

namespace {

// A write transaction: BEGIN IMMEDIATE takes the write lock up front (no deadlock on upgrade);
// rolled back unless committed.
class Txn {
 public:
  explicit Txn(SqliteStore::Impl& s) : s_(s) {}
  ~Txn() {
    if (active_) (void)s_.exec("ROLLBACK", "rolling back");
  }
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  Status begin(const char* how = "BEGIN IMMEDIATE") {
    auto r = s_.exec(how, "starting a transaction");
    active_ = r.ok();
    return r;
  }
  Status commit() {
    auto r = s_.exec("COMMIT", "committing");
    if (r) active_ = false;
    return r;
  }

 private:
  SqliteStore::Impl& s_;
  bool active_ = false;
};

}  // namespace

Status SqliteStore::Impl::migrate() {
  const auto current = [this]() -> mw::Result<int> {
    auto has = strings("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
                       "reading the schema version");
    if (!has) return has.error();
    if (has->at(0) == "0") {
      auto other = strings("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                           "reading the schema");
      if (!other) return other.error();
      if (other->at(0) != "0") {
        return mw::make_error("not-a-store", path + " is an SQLite database but not a Meshwork store "
                                                    "(it has tables and no schema_version)");
      }
      return 0;
    }
    auto v = strings("SELECT coalesce(max(version), 0) FROM schema_version", "reading the schema version");
    if (!v) return v.error();
    return std::stoi(v->at(0));
  };
  auto v = current();
  if (!v) return v.error();
  const int start = *v;
  if (*v > kLatestVersion) {
    return mw::make_error("newer-schema", path + " has schema version " + std::to_string(*v) +
                                              " but this Meshwork knows up to " +
                                              std::to_string(kLatestVersion) + "; use a newer release");
  }
  for (const auto& m : kMigrations) {
    if (m.version <= *v) continue;
    Txn txn(*this);
    if (auto r = txn.begin(); !r) return r.error();
    // Another process may have migrated while we waited for the lock.
    auto now_v = current();
    if (!now_v) return now_v.error();
    if (*now_v >= m.version) {
      *v = *now_v;
      continue;
    }
    if (auto r = exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                      "applied INTEGER NOT NULL, what TEXT NOT NULL)",
                      "creating schema_version");
        !r) {
      return r.error();
    }
    if (auto r = exec(m.sql, "migrating"); !r) {
      return mw::make_error(r.error().code, "migration to schema v" + std::to_string(m.version) + " (" +
                                                m.what + ") failed: " + r.error().message);
    }
    auto st = prepare("INSERT INTO schema_version(version, applied, what) VALUES(?1, ?2, ?3)");
    if (!st) return st.error();
    {
      Stmt s(*st);
      s.int64(1, m.version);
      s.int64(2, now_ms());
      s.text(3, std::string_view(m.what));
      if (auto r = step_done(s, "recording the schema version"); !r) return r.error();
    }
    if (auto r = txn.commit(); !r) return r.error();
    if (start > 0) log->info("{}: migrated to schema v{} ({})", path, m.version, m.what);
    *v = m.version;
  }
  version = *v;
  return Ok{};
}

// [SECTION] Open and close.

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

int SqliteStore::schema_version() const { return impl_->version; }
int SqliteStore::latest_schema_version() { return kLatestVersion; }

mw::Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& path,
                                                           const SqliteOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path.string();
  const int rc = sqlite3_open_v2(impl->path.c_str(), &impl->db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    auto e = impl->error(rc, "opening");
    impl->log->error("{}", e.message);
    return e;
  }
  sqlite3_busy_timeout(impl->db, options.busy_timeout_ms);
  const auto fail = [&](mw::Error e) -> mw::Result<std::unique_ptr<SqliteStore>> {
    impl->log->error("{}", e.message);
    return e;
  };

  // The first read of the file: a non-database fails here with SQLITE_NOTADB.
  auto mode = impl->strings("PRAGMA journal_mode=WAL", "switching to WAL mode");
  if (!mode) return fail(mode.error());
  if (mode->empty() || mode->front() != "wal") {
    return fail(mw::make_error("io", impl->path + ": WAL mode is not available here (journal mode \"" +
                                         (mode->empty() ? std::string() : mode->front()) + "\")"));
  }
  const char* sync = options.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
  if (auto r = impl->exec(sync, "setting synchronous"); !r) return fail(r.error());
  if (auto r = impl->exec("PRAGMA foreign_keys=ON", "enabling foreign keys"); !r) return fail(r.error());

  // Check before migrating: a damaged file is reported, never migrated.
  auto check = impl->strings(options.full_integrity_check ? "PRAGMA integrity_check(20)" : "PRAGMA quick_check(20)",
                             "checking integrity");
  if (!check) {
    if (check.error().code != "corrupt") return fail(check.error());
    // The check could not even walk the file.
    return fail(mw::make_error("corrupt", impl->path + ": integrity check failed (" +
                                              sqlite3_errmsg(impl->db) +
                                              "); restore a backup or re-import an export"));
  }
  if (check->size() != 1 || check->front() != "ok") {
    std::string findings;
    for (const auto& line : *check) findings += (findings.empty() ? "" : "; ") + line;
    return fail(mw::make_error("corrupt", impl->path + ": integrity check failed: " + findings +
                                              "; restore a backup or re-import an export"));
  }

  const bool fresh = [&] {
    auto t = impl->strings("SELECT count(*) FROM sqlite_master", "reading the schema");
    return t && t->at(0) == "0";
  }();
  if (auto r = impl->migrate(); !r) return fail(r.error());
  impl->log->info("{}: {} (schema v{}, WAL, synchronous={})", impl->path, fresh ? "created" : "opened",
                  impl->version, options.synchronous_full ? "FULL" : "NORMAL");
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

// [SECTION] Operations. Each one takes the connection lock and is counted for /metrics.

namespace {

template <typename F>
auto timed(SqliteStore::Impl& s, Op op, F&& f) -> decltype(f()) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = [&] {
    std::lock_guard lock(s.mu);
    return f();
  }();
  s.counters.record(op, std::chrono::steady_clock::now() - t0, r.ok());
  return r;
}

}  // namespace

Status SqliteStore::put(const Json& doc) {
  return timed(*impl_, Op::kPut, [&]() -> Status {
    auto rec = check_main(doc);
    if (!rec) return rec.error();
    if (rec->type == "node") impl_->node_lists.clear();
    return impl_->insert_main(*rec, doc);
  });
}

mw::Result<std::optional<Json>> SqliteStore::get(std::string_view id) {
  return timed(*impl_, Op::kGet, [&]() -> mw::Result<std::optional<Json>> {
    auto st = impl_->prepare("SELECT doc FROM main WHERE id = ?1");
    if (!st) return st.error();
    Stmt s(*st);
    s.text(1, id);
    auto docs = impl_->docs(s, "reading a record");
    if (!docs) return docs.error();
    if (docs->empty()) return std::optional<Json>();
    return std::optional<Json>(std::move(docs->front()));
  });
}

mw::Result<bool> SqliteStore::remove(std::string_view id) {
  return timed(*impl_, Op::kRemove, [&]() -> mw::Result<bool> {
    impl_->node_lists.clear();
    auto st = impl_->prepare("DELETE FROM main WHERE id = ?1");
    if (!st) return st.error();
    Stmt s(*st);
    s.text(1, id);
    if (auto r = impl_->step_done(s, "removing a record"); !r) return r.error();
    return sqlite3_changes(impl_->db) > 0;
  });
}

mw::Result<std::vector<Json>> SqliteStore::list(std::string_view type, std::string_view domain) {
  return timed(*impl_, Op::kList, [&]() -> mw::Result<std::vector<Json>> {
    auto st = impl_->prepare("SELECT doc FROM main WHERE type = ?1 AND domain = ?2 ORDER BY id");
    if (!st) return st.error();
    Stmt s(*st);
    s.text(1, type);
    s.text(2, domain);
    return impl_->docs(s, "listing records");
  });
}

mw::Result<std::vector<Json>> SqliteStore::list_nodes_by_mesh(std::string_view meshid) {
  return timed(*impl_, Op::kList, [&]() -> mw::Result<std::vector<Json>> {
    auto st = impl_->prepare("SELECT doc FROM main WHERE meshid = ?1 AND type = 'node' ORDER BY id");
    if (!st) return st.error();
    Stmt s(*st);
    s.text(1, meshid);
    return impl_->docs(s, "listing devices");
  });
}

mw::Result<std::string> SqliteStore::list_nodes_by_mesh_text(std::string_view meshid) {
  return timed(*impl_, Op::kList, [&]() -> mw::Result<std::string> {
    if (auto it = impl_->node_lists.find(std::string(meshid)); it != impl_->node_lists.end()) return it->second;
    auto st = impl_->prepare("SELECT doc FROM main WHERE meshid = ?1 AND type = 'node' ORDER BY id");
    if (!st) return st.error();
    Stmt s(*st);
    s.text(1, meshid);
    std::string out = "[";
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      if (out.size() > 1) out += ',';
      out += s.col_text(0);  // written by dump(): valid JSON objects
    }
    if (rc != SQLITE_DONE) return impl_->error(rc, "listing devices");
    out += ']';
    if (impl_->node_lists.size() >= Impl::kNodeListsMax) impl_->node_lists.clear();
    impl_->node_lists.emplace(std::string(meshid), out);
    return out;
  });
}

mw::Result<std::vector<Json>> SqliteStore::list_nodes_by_amt_uuid(std::string_view domain, std::string_view uuid) {
  return timed(*impl_, Op::kList, [&]() -> mw::Result<std::vector<Json>> {
    auto st = impl_->prepare(
        "SELECT doc FROM main WHERE domain = ?1 AND amtuuid = ?2 AND type = 'node' ORDER BY id");
    if (!st) return st.error();
    Stmt s(*st);
    s.text(1, domain);
    s.text(2, uuid);
    return impl_->docs(s, "finding devices by Intel AMT UUID");
  });
}

mw::Result<std::int64_t> SqliteStore::count(std::string_view type, std::optional<std::string_view> domain) {
  return timed(*impl_, Op::kCount, [&]() -> mw::Result<std::int64_t> {
    auto st = impl_->prepare(domain ? "SELECT count(*) FROM main WHERE type = ?1 AND domain = ?2"
                                    : "SELECT count(*) FROM main WHERE type = ?1");
    if (!st) return st.error();
    Stmt s(*st);
    s.text(1, type);
    if (domain) s.text(2, *domain);
    const int rc = s.step();
    if (rc != SQLITE_ROW) return impl_->error(rc, "counting records");
    return s.col_int(0);
  });
}

mw::Result<std::int64_t> SqliteStore::add_event(const Json& event) {
  return timed(*impl_, Op::kAddEvent, [&]() -> mw::Result<std::int64_t> {
    auto ev = check_event(event, now_ms());
    if (!ev) return ev.error();
    Txn txn(*impl_);
    if (auto r = txn.begin(); !r) return r.error();
    auto id = impl_->insert_event(*ev);
    if (!id) return id.error();
    if (auto r = txn.commit(); !r) return r.error();
    return *id;
  });
}

mw::Result<std::vector<Json>> SqliteStore::query_events(const EventQuery& q) {
  return timed(*impl_, Op::kQueryEvents, [&]() -> mw::Result<std::vector<Json>> {
    if (q.limit < 0) return mw::make_error("bad-argument", "event query limit must be 0 or more");
    // One cached statement per combination of filters, so each can use its index.
    std::string sql = "SELECT time, doc FROM events WHERE domain = ?1 AND time BETWEEN ?2 AND ?3";
    if (q.userid) sql += " AND userid = ?4";
    if (q.nodeid) sql += " AND nodeid = ?5";
    if (q.meshid) sql += " AND meshid = ?6";
    if (!q.targets.empty()) {
      sql += " AND id IN (SELECT event_id FROM event_targets WHERE target IN (SELECT value FROM json_each(?7)))";
    }
    sql += " ORDER BY time DESC, id DESC LIMIT ?8";
    auto st = impl_->prepare(sql);
    if (!st) return st.error();
    Stmt s(*st);
    s.text(1, std::string_view(q.domain));
    s.int64(2, q.from_ms.value_or(INT64_MIN));
    s.int64(3, q.to_ms.value_or(INT64_MAX));
    if (q.userid) s.text(4, q.userid);
    if (q.nodeid) s.text(5, q.nodeid);
    if (q.meshid) s.text(6, q.meshid);
    if (!q.targets.empty()) s.text(7, std::string_view(dump(Json(q.targets))));
    s.int64(8, q.limit == 0 ? -1 : q.limit);
    return impl_->docs(s, "querying events", 1, 0);
  });
}

mw::Result<std::int64_t> SqliteStore::expire_events(int days, std::int64_t now) {
  return timed(*impl_, Op::kExpireEvents, [&] {
    return impl_->delete_before("DELETE FROM events WHERE time < ?1", days, now, "expiring events");
  });
}

Status SqliteStore::add_power_event(const Json& event) {
  return timed(*impl_, Op::kAddPower, [&]() -> Status {
    auto p = check_power(event, now_ms());
    if (!p) return p.error();
    return impl_->insert_power(*p);
  });
}

mw::Result<std::vector<Json>> SqliteStore::query_power(const PowerQuery& q) {
  return timed(*impl_, Op::kQueryPower, [&]() -> mw::Result<std::vector<Json>> {
    auto st = impl_->prepare(
        q.include_server_markers
            ? "SELECT time, doc FROM power WHERE (nodeid = ?1 OR nodeid = '*') AND time BETWEEN ?2 AND ?3 "
              "ORDER BY time, id"
            : "SELECT time, doc FROM power WHERE nodeid = ?1 AND time BETWEEN ?2 AND ?3 ORDER BY time, id");
    if (!st) return st.error();
    Stmt s(*st);
    s.text(1, std::string_view(q.nodeid));
    s.int64(2, q.from_ms.value_or(INT64_MIN));
    s.int64(3, q.to_ms.value_or(INT64_MAX));
    return impl_->docs(s, "querying power events", 1, 0);
  });
}

mw::Result<std::int64_t> SqliteStore::expire_power_events(int days, std::int64_t now) {
  return timed(*impl_, Op::kExpirePower, [&] {
    return impl_->delete_before("DELETE FROM power WHERE time < ?1", days, now, "expiring power events");
  });
}

// [SECTION] Export and import.

mw::Result<Json> SqliteStore::export_all(const ExportOptions& opts) {
  return timed(*impl_, Op::kExport, [&]() -> mw::Result<Json> {
    // One read transaction: a consistent snapshot while writers carry on (WAL).
    Txn txn(*impl_);
    if (auto r = txn.begin("BEGIN"); !r) return r.error();
    Json out = Json::array();
    {
      auto st = impl_->prepare("SELECT doc FROM main ORDER BY id");
      if (!st) return st.error();
      Stmt s(*st);
      auto docs = impl_->docs(s, "exporting records");
      if (!docs) return docs.error();
      for (auto& d : *docs) out.push_back(escape_link_keys(std::move(d)));
    }
    std::size_t events = 0, power = 0;
    if (opts.events) {
      auto st = impl_->prepare("SELECT time, doc FROM events ORDER BY time, id");
      if (!st) return st.error();
      Stmt s(*st);
      auto docs = impl_->docs(s, "exporting events", 1, 0, "event");
      if (!docs) return docs.error();
      events = docs->size();
      for (auto& d : *docs) out.push_back(std::move(d));
    }
    if (opts.power) {
      auto st = impl_->prepare("SELECT time, doc FROM power ORDER BY time, id");
      if (!st) return st.error();
      Stmt s(*st);
      auto docs = impl_->docs(s, "exporting power events", 1, 0, "power");
      if (!docs) return docs.error();
      power = docs->size();
      for (auto& d : *docs) out.push_back(std::move(d));
    }
    if (auto r = txn.commit(); !r) return r.error();
    impl_->log->info("{}: exported {} records, {} events, {} power events", impl_->path,
                     out.size() - events - power, events, power);
    return out;
  });
}

mw::Result<ImportCounts> SqliteStore::import_all(const Json& data, bool force) {
  return timed(*impl_, Op::kImport, [&]() -> mw::Result<ImportCounts> {
    impl_->node_lists.clear();
    // Everything is checked before the first write.
    auto plan = plan_import(data);
    if (!plan) return plan.error();
    Txn txn(*impl_);
    if (auto r = txn.begin(); !r) return r.error();
    auto has = impl_->strings(
        "SELECT EXISTS(SELECT 1 FROM main) OR EXISTS(SELECT 1 FROM events) OR EXISTS(SELECT 1 FROM power)",
        "checking whether the database is empty");
    if (!has) return has.error();
    if (has->at(0) != "0") {
      if (!force) {
        return mw::make_error("not-empty", impl_->path + " already has records; importing replaces them all, "
                                                         "so it needs force (--dbimport over an empty database)");
      }
      for (const char* sql : {"DELETE FROM event_targets", "DELETE FROM events", "DELETE FROM power",
                              "DELETE FROM main"}) {
        if (auto r = impl_->exec(sql, "clearing the database"); !r) return r.error();
      }
    }
    for (const auto& [rec, doc] : plan->records) {
      if (auto r = impl_->insert_main(rec, doc); !r) return r.error();
    }
    for (const auto& e : plan->events) {
      if (auto r = impl_->insert_event(e); !r) return r.error();
    }
    for (const auto& p : plan->power) {
      if (auto r = impl_->insert_power(p); !r) return r.error();
    }
    if (auto r = txn.commit(); !r) return r.error();
    ImportCounts counts{plan->records.size(), plan->events.size(), plan->power.size()};
    impl_->log->info("{}: imported {} records, {} events, {} power events{}", impl_->path, counts.records,
                     counts.events, counts.power, force ? " (replacing the previous content)" : "");
    return counts;
  });
}

std::vector<OpStats> SqliteStore::stats() const { return impl_->counters.snapshot(); }

}  // namespace mw::server::store
