// PostgreSQL backend of the store (see pg_store.hpp). All SQL of the PostgreSQL store lives here;
// the rules about records come from records.hpp, shared with the SQLite backend.
#include "store/pg_store.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <climits>
#include <mutex>
#include <utility>

#include "log.hpp"
#include "store/records.hpp"
#include "text.hpp"

namespace mw::server::store {

namespace {

// [SECTION] Schema and migrations: append only, as for SQLite (sqlite_store.cpp). Each runs in
// one transaction with its schema_version row, under an advisory lock so that two servers
// starting on one database do not migrate it twice.
struct Migration {
  int version;
  const char* what;
  const char* sql;
};

constexpr Migration kMigrations[] = {
    {1, "main records, events and power tables", R"sql(
CREATE TABLE main (
  id      TEXT PRIMARY KEY,
  type    TEXT,
  domain  TEXT,
  meshid  TEXT,
  amtuuid TEXT,
  doc     TEXT NOT NULL
);
CREATE INDEX main_type_domain ON main (type, domain);
CREATE INDEX main_meshid_type ON main (meshid, type);
CREATE INDEX main_domain_amtuuid ON main (domain, amtuuid) WHERE amtuuid IS NOT NULL;
CREATE TABLE events (
  id     BIGSERIAL PRIMARY KEY,
  time   BIGINT NOT NULL,
  domain TEXT,
  etype  TEXT,
  action TEXT,
  userid TEXT,
  nodeid TEXT,
  meshid TEXT,
  doc    TEXT NOT NULL
);
CREATE INDEX events_domain_time ON events (domain, time);
CREATE INDEX events_domain_userid_time ON events (domain, userid, time);
CREATE INDEX events_domain_nodeid_time ON events (domain, nodeid, time);
CREATE INDEX events_domain_meshid_time ON events (domain, meshid, time);
CREATE INDEX events_time ON events (time);
CREATE TABLE event_targets (
  event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  target   TEXT NOT NULL
);
CREATE INDEX event_targets_target ON event_targets (target, event_id);
CREATE INDEX event_targets_event ON event_targets (event_id);
CREATE TABLE power (
  id     BIGSERIAL PRIMARY KEY,
  time   BIGINT NOT NULL,
  nodeid TEXT NOT NULL,
  doc    TEXT NOT NULL
);
CREATE INDEX power_nodeid_time ON power (nodeid, time);
CREATE INDEX power_time ON power (time);
)sql"},
};
constexpr int kLatestVersion = 1;
constexpr std::int64_t kDayMs = 86'400'000;
constexpr long long kMigrationLock = 0x4D65736877;  // pg_advisory_xact_lock key ("Meshw")

using Param = std::optional<std::string>;
Param text(std::string_view s) { return std::string(s); }
Param text(const std::string& s) { return s; }
Param text(const std::optional<std::string>& s) { return s; }
Param number(std::int64_t v) { return std::to_string(v); }

// A result that clears itself.
struct Res {
  PGresult* r = nullptr;
  explicit Res(PGresult* p) : r(p) {}
  Res(Res&& o) noexcept : r(std::exchange(o.r, nullptr)) {}
  Res& operator=(Res&&) = delete;
  ~Res() {
    if (r) PQclear(r);
  }
  int rows() const { return PQntuples(r); }
  std::string_view at(int row, int col) const {
    return {PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col))};
  }
  std::int64_t int_at(int row, int col) const { return std::stoll(std::string(at(row, col))); }
  std::int64_t affected() const {
    const char* n = PQcmdTuples(r);
    return n && *n ? std::stoll(n) : 0;
  }
};

}  // namespace

std::string PgOptions::label() const {
  std::string s = user.empty() ? "" : user + "@";
  s += host.empty() ? "localhost" : host;
  if (port) s += ":" + std::to_string(port);
  return s + "/" + database;
}

namespace {

// node-postgres' "ssl" as MeshCentral configurations hold it (config.json keys are read in order,
// so a libpq "sslmode" or "sslrootcert" given as well wins). Certificates are files here:
// node-postgres takes their text, which config.json cannot load, so text is refused clearly.
mw::Result<Ok> node_postgres_ssl(const Json& value, PgOptions& o) {
  if (value.is_boolean()) {
    o.sslmode = value.get<bool>() ? "require" : "disable";
    return Ok{};
  }
  if (!value.is_object()) return mw::make_error("bad-argument", "Postgres.ssl must be true, false or an object");
  bool verify = true;
  for (const auto& [key, v] : value.items()) {
    const std::string k = ascii_lower(key);
    if (k == "rejectunauthorized") {
      if (!v.is_boolean()) return mw::make_error("bad-argument", "Postgres.ssl.rejectUnauthorized must be true or false");
      verify = v.get<bool>();
    } else if (k == "ca" || k == "cert" || k == "key") {
      if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > 1024 ||
          v.get<std::string>().find("-----BEGIN") != std::string::npos) {
        return mw::make_error("bad-argument", "Postgres.ssl." + key + " must name a PEM file (the file's name, not its text)");
      }
      (k == "ca" ? o.sslrootcert : k == "cert" ? o.sslcert : o.sslkey) = v.get<std::string>();
    } else {
      return mw::make_error("bad-argument", "Postgres.ssl." + key + " is not rejectUnauthorized, ca, cert or key");
    }
  }
  // Verified only against a CA given here: without one node-postgres trusts Node's own CA list,
  // which libpq does not have; "sslrootcert" names it otherwise.
  o.sslmode = verify && !o.sslrootcert.empty() ? "verify-full" : "require";
  return Ok{};
}

}  // namespace

mw::Result<PgOptions> pg_options(const Json& j) {
  if (!j.is_object()) return mw::make_error("bad-argument", "Postgres must be an object: {\"host\", \"port\", \"user\", \"password\", \"database\"}");
  PgOptions o;
  for (const auto& [key, value] : j.items()) {
    const std::string k = ascii_lower(key);
    if (k == "port") {
      if (!value.is_number_integer() || value.get<long long>() < 1 || value.get<long long>() > 65535) {
        return mw::make_error("bad-argument", "Postgres.port must be a port number (1 to 65535)");
      }
      o.port = value.get<int>();
    } else if (k == "host" || k == "user" || k == "password" || k == "database" || k == "sslrootcert" || k == "sslcert" ||
               k == "sslkey") {
      if (!value.is_string() || value.get<std::string>().size() > 1024) {
        return mw::make_error("bad-argument", "Postgres." + key + " must be text");
      }
      std::string& field = k == "host"          ? o.host
                           : k == "user"        ? o.user
                           : k == "password"    ? o.password
                           : k == "database"    ? o.database
                           : k == "sslrootcert" ? o.sslrootcert
                           : k == "sslcert"     ? o.sslcert
                                                : o.sslkey;
      field = value.get<std::string>();
    } else if (k == "sslmode") {
      static const char* kModes[] = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"};
      const std::string m = value.is_string() ? value.get<std::string>() : "";
      if (std::find(std::begin(kModes), std::end(kModes), m) == std::end(kModes)) {
        return mw::make_error("bad-argument", "Postgres.sslmode must be disable, allow, prefer, require, verify-ca or verify-full");
      }
      o.sslmode = m;
    } else if (k == "ssl") {
      if (auto r = node_postgres_ssl(value, o); !r) return r.error();
    } else {
      return mw::make_error("bad-argument", "Postgres." + key +
                                                " is not host, port, user, password, database, ssl, sslmode, sslrootcert, sslcert or sslkey");
    }
  }
  if (o.database.empty()) return mw::make_error("bad-argument", "Postgres.database must not be empty");
  return o;
}

struct PgStore::Impl {
  PgOptions options;
  PGconn* conn = nullptr;
  std::mutex mu;
  StoreCounters counters;
  int version = 0;
  std::shared_ptr<spdlog::logger> log = logger("store");

  ~Impl() {
    if (conn) PQfinish(conn);
  }

  mw::Result<Ok> connect() {
    if (conn) PQfinish(conn);
    const std::string port = options.port ? std::to_string(options.port) : "";
    const std::string timeout = std::to_string(options.connect_timeout_s);
    std::vector<const char*> keys, values;
    auto add = [&](const char* k, const std::string& v) {
      if (v.empty()) return;
      keys.push_back(k);
      values.push_back(v.c_str());
    };
    add("host", options.host);
    add("port", port);
    add("user", options.user);
    add("password", options.password);
    add("dbname", options.database);
    add("connect_timeout", timeout);
    add("sslmode", options.sslmode);
    add("sslrootcert", options.sslrootcert);
    add("sslcert", options.sslcert);
    add("sslkey", options.sslkey);
    const std::string app = "meshwork-server", encoding = "UTF8";
    add("application_name", app);
    add("client_encoding", encoding);
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn = PQconnectdbParams(keys.data(), values.data(), 0);
    if (PQstatus(conn) != CONNECTION_OK) {
      std::string why = conn ? PQerrorMessage(conn) : "out of memory";
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      return mw::make_error("io", "cannot connect to PostgreSQL at " + options.label() + ": " + why);
    }
    // Notices ("relation already exists, skipping") are not errors and not for the log.
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
    return Ok{};
  }

  // A connection lost since the last call is made again (once).
  mw::Result<Ok> ensure() {
    if (conn && PQstatus(conn) == CONNECTION_OK) return Ok{};
    log->warn("PostgreSQL connection to {} lost; reconnecting", options.label());
    return connect();
  }

  mw::Error error(const PGresult* r, std::string_view what) const {
    std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    const bool lost = PQstatus(conn) != CONNECTION_OK;
    return mw::Error{lost ? "io" : "postgres", std::string(what) + " (PostgreSQL " + options.label() + "): " + msg};
  }

  mw::Result<Res> exec(const std::string& sql, const std::vector<Param>& params, std::string_view what) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    Res r(PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
    const auto st = r.r ? PQresultStatus(r.r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return error(r.r, what);
    return r;
  }
  mw::Result<Ok> run(const std::string& sql, std::string_view what) {
    Res r(PQexec(conn, sql.c_str()));
    const auto st = r.r ? PQresultStatus(r.r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return error(r.r, what);
    return Ok{};
  }

  // Documents from column `doc_col`; with `time_col`, "time" put back (and "type" for exports).
  mw::Result<std::vector<Json>> docs(const Res& r, std::string_view what, int doc_col = 0, int time_col = -1,
                                     const char* type = nullptr) const {
    std::vector<Json> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
      Json j = Json::parse(r.at(i, doc_col), nullptr, false);
      if (j.is_discarded()) return mw::make_error("postgres", std::string(what) + ": a stored document is not JSON");
      if (time_col >= 0) j = with_time(std::move(j), r.int_at(i, time_col));
      if (type != nullptr) j["type"] = type;
      out.push_back(std::move(j));
    }
    return out;
  }

  Status insert_main(const MainRecord& rec, const Json& doc) {
    auto r = exec(
        "INSERT INTO main (id, type, domain, meshid, amtuuid, doc) VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type, domain = EXCLUDED.domain, meshid = EXCLUDED.meshid, "
        "amtuuid = EXCLUDED.amtuuid, doc = EXCLUDED.doc",
        {text(rec.id), text(rec.type), text(rec.domain), text(rec.meshid), text(rec.amtuuid), text(dump(doc))},
        "writing a record");
    if (!r) return r.error();
    return Ok{};
  }

  mw::Result<std::int64_t> insert_event(const EventRecord& e) {
    auto r = exec(
        "INSERT INTO events (time, domain, etype, action, userid, nodeid, meshid, doc) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        {number(e.time_ms), text(e.domain), text(e.etype), text(e.action), text(e.userid), text(e.nodeid), text(e.meshid),
         text(dump(e.doc))},
        "writing an event");
    if (!r) return r.error();
    const std::int64_t id = r->int_at(0, 0);
    for (const auto& target : e.targets) {
      auto t = exec("INSERT INTO event_targets (event_id, target) VALUES ($1, $2)", {number(id), text(target)},
                    "writing an event's targets");
      if (!t) return t.error();
    }
    return id;
  }

  Status insert_power(const PowerRecord& p) {
    auto r = exec("INSERT INTO power (time, nodeid, doc) VALUES ($1, $2, $3)", {number(p.time_ms), text(p.nodeid), text(dump(p.doc))},
                  "writing a power event");
    if (!r) return r.error();
    return Ok{};
  }

  mw::Result<std::int64_t> delete_before(const char* sql, int days, std::int64_t now, std::string_view what) {
    if (days < 0) return mw::make_error("bad-argument", "retention days must be 0 or more");
    auto r = exec(sql, {number(now - static_cast<std::int64_t>(days) * kDayMs)}, what);
    if (!r) return r.error();
    return r->affected();
  }

  // Runs `f` in a transaction: committed when it succeeds, rolled back otherwise.
  template <typename F>
  auto in_transaction(const char* begin, F&& f) -> decltype(f()) {
    if (auto b = run(begin, "starting a transaction"); !b) return b.error();
    auto result = f();
    if (!result) {
      (void)run("ROLLBACK", "rolling back");
      return result;
    }
    if (auto c = run("COMMIT", "committing"); !c) return c.error();
    return result;
  }

  Status migrate() {
    return in_transaction("BEGIN", [&]() -> Status {
      if (auto r = exec("SELECT pg_advisory_xact_lock($1)", {number(kMigrationLock)}, "locking the schema"); !r) return r.error();
      if (auto r = run("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied BIGINT NOT NULL, what TEXT NOT NULL)",
                       "creating schema_version");
          !r) {
        return r.error();
      }
      auto v = exec("SELECT coalesce(max(version), 0), "
                    "(SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() "
                    "AND table_name IN ('main', 'events', 'power')) FROM schema_version",
                    {}, "reading the schema version");
      if (!v) return v.error();
      version = static_cast<int>(v->int_at(0, 0));
      const auto tables = v->int_at(0, 1);
      if (version > kLatestVersion) {
        return mw::make_error("newer-schema", "the PostgreSQL database " + options.label() + " has schema version " +
                                                  std::to_string(version) + ", newer than this Meshwork knows (" +
                                                  std::to_string(kLatestVersion) + ")");
      }
      if (version == 0 && tables > 0) {
        return mw::make_error("not-a-store", "the PostgreSQL database " + options.label() +
                                                 " has tables named main, events or power that Meshwork did not create");
      }
      for (const auto& m : kMigrations) {
        if (m.version <= version) continue;
        if (auto r = run(m.sql, std::string("migrating to schema version ") + std::to_string(m.version)); !r) return r.error();
        if (auto r = exec("INSERT INTO schema_version (version, applied, what) VALUES ($1, $2, $3)",
                          {number(m.version), number(now_ms()), text(std::string_view(m.what))}, "recording the migration");
            !r) {
          return r.error();
        }
        version = m.version;
      }
      return Ok{};
    });
  }
};

namespace {

template <typename F>
auto timed(PgStore::Impl& s, Op op, F&& f) -> decltype(f()) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = [&]() -> decltype(f()) {
    std::lock_guard lock(s.mu);
    if (auto c = s.ensure(); !c) return c.error();
    return f();
  }();
  s.counters.record(op, std::chrono::steady_clock::now() - t0, r.ok());
  return r;
}

}  // namespace

PgStore::PgStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PgStore::~PgStore() = default;

int PgStore::schema_version() const { return impl_->version; }
int PgStore::latest_schema_version() { return kLatestVersion; }

mw::Result<std::unique_ptr<PgStore>> PgStore::open(const PgOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (auto c = impl->connect(); !c) return c.error();
  if (auto m = impl->migrate(); !m) return m.error();
  impl->log->info("PostgreSQL {}: opened (schema v{})", options.label(), impl->version);
  return std::unique_ptr<PgStore>(new PgStore(std::move(impl)));
}

// [SECTION] Operations. Ids sort as bytes (COLLATE "C"), as SQLite sorts them.

Status PgStore::put(const Json& doc) {
  return timed(*impl_, Op::kPut, [&]() -> Status {
    auto rec = check_main(doc);
    if (!rec) return rec.error();
    return impl_->insert_main(*rec, doc);
  });
}

mw::Result<std::optional<Json>> PgStore::get(std::string_view id) {
  return timed(*impl_, Op::kGet, [&]() -> mw::Result<std::optional<Json>> {
    auto r = impl_->exec("SELECT doc FROM main WHERE id = $1", {text(id)}, "reading a record");
    if (!r) return r.error();
    auto docs = impl_->docs(*r, "reading a record");
    if (!docs) return docs.error();
    if (docs->empty()) return std::optional<Json>();
    return std::optional<Json>(std::move(docs->front()));
  });
}

mw::Result<bool> PgStore::remove(std::string_view id) {
  return timed(*impl_, Op::kRemove, [&]() -> mw::Result<bool> {
    auto r = impl_->exec("DELETE FROM main WHERE id = $1", {text(id)}, "removing a record");
    if (!r) return r.error();
    return r->affected() > 0;
  });
}

mw::Result<std::vector<Json>> PgStore::list(std::string_view type, std::string_view domain) {
  return timed(*impl_, Op::kList, [&]() -> mw::Result<std::vector<Json>> {
    auto r = impl_->exec("SELECT doc FROM main WHERE type = $1 AND domain = $2 ORDER BY id COLLATE \"C\"", {text(type), text(domain)},
                         "listing records");
    if (!r) return r.error();
    return impl_->docs(*r, "listing records");
  });
}

mw::Result<std::vector<Json>> PgStore::list_nodes_by_mesh(std::string_view meshid) {
  return timed(*impl_, Op::kList, [&]() -> mw::Result<std::vector<Json>> {
    auto r = impl_->exec("SELECT doc FROM main WHERE meshid = $1 AND type = 'node' ORDER BY id COLLATE \"C\"", {text(meshid)},
                         "listing devices");
    if (!r) return r.error();
    return impl_->docs(*r, "listing devices");
  });
}

mw::Result<std::string> PgStore::list_nodes_by_mesh_text(std::string_view meshid) {
  return timed(*impl_, Op::kList, [&]() -> mw::Result<std::string> {
    auto r = impl_->exec("SELECT doc FROM main WHERE meshid = $1 AND type = 'node' ORDER BY id COLLATE \"C\"", {text(meshid)},
                         "listing devices");
    if (!r) return r.error();
    std::string out = "[";
    for (int i = 0; i < r->rows(); ++i) {
      if (i) out += ',';
      out += r->at(i, 0);  // written by dump(): valid JSON objects
    }
    return out + "]";
  });
}

mw::Result<std::vector<Json>> PgStore::list_nodes_by_amt_uuid(std::string_view domain, std::string_view uuid) {
  return timed(*impl_, Op::kList, [&]() -> mw::Result<std::vector<Json>> {
    auto r = impl_->exec("SELECT doc FROM main WHERE domain = $1 AND amtuuid = $2 AND type = 'node' ORDER BY id COLLATE \"C\"",
                         {text(domain), text(uuid)}, "finding devices by Intel AMT UUID");
    if (!r) return r.error();
    return impl_->docs(*r, "finding devices by Intel AMT UUID");
  });
}

mw::Result<std::int64_t> PgStore::count(std::string_view type, std::optional<std::string_view> domain) {
  return timed(*impl_, Op::kCount, [&]() -> mw::Result<std::int64_t> {
    auto r = domain ? impl_->exec("SELECT count(*) FROM main WHERE type = $1 AND domain = $2", {text(type), text(*domain)},
                                  "counting records")
                    : impl_->exec("SELECT count(*) FROM main WHERE type = $1", {text(type)}, "counting records");
    if (!r) return r.error();
    return r->int_at(0, 0);
  });
}

mw::Result<std::int64_t> PgStore::add_event(const Json& event) {
  return timed(*impl_, Op::kAddEvent, [&]() -> mw::Result<std::int64_t> {
    auto ev = check_event(event, now_ms());
    if (!ev) return ev.error();
    if (ev->targets.empty()) return impl_->insert_event(*ev);
    return impl_->in_transaction("BEGIN", [&] { return impl_->insert_event(*ev); });
  });
}

mw::Result<std::vector<Json>> PgStore::query_events(const EventQuery& q) {
  return timed(*impl_, Op::kQueryEvents, [&]() -> mw::Result<std::vector<Json>> {
    if (q.limit < 0) return mw::make_error("bad-argument", "event query limit must be 0 or more");
    std::vector<Param> params{text(q.domain), number(q.from_ms.value_or(INT64_MIN)), number(q.to_ms.value_or(INT64_MAX))};
    std::string sql = "SELECT time, doc FROM events WHERE domain = $1 AND time BETWEEN $2 AND $3";
    auto add = [&](const char* column, const std::optional<std::string>& v) {
      if (!v) return;
      params.push_back(v);
      sql += std::string(" AND ") + column + " = $" + std::to_string(params.size());
    };
    add("userid", q.userid);
    add("nodeid", q.nodeid);
    add("meshid", q.meshid);
    if (!q.targets.empty()) {
      params.push_back(dump(Json(q.targets)));
      sql += " AND id IN (SELECT event_id FROM event_targets WHERE target IN (SELECT jsonb_array_elements_text($" +
             std::to_string(params.size()) + "::jsonb)))";
    }
    sql += " ORDER BY time DESC, id DESC";
    if (q.limit > 0) {
      params.push_back(number(q.limit));
      sql += " LIMIT $" + std::to_string(params.size());
    }
    auto r = impl_->exec(sql, params, "querying events");
    if (!r) return r.error();
    return impl_->docs(*r, "querying events", 1, 0);
  });
}

mw::Result<std::int64_t> PgStore::expire_events(int days, std::int64_t now) {
  return timed(*impl_, Op::kExpireEvents, [&] {
    return impl_->delete_before("DELETE FROM events WHERE time < $1", days, now, "expiring events");
  });
}

Status PgStore::add_power_event(const Json& event) {
  return timed(*impl_, Op::kAddPower, [&]() -> Status {
    auto p = check_power(event, now_ms());
    if (!p) return p.error();
    return impl_->insert_power(*p);
  });
}

mw::Result<std::vector<Json>> PgStore::query_power(const PowerQuery& q) {
  return timed(*impl_, Op::kQueryPower, [&]() -> mw::Result<std::vector<Json>> {
    auto r = impl_->exec(q.include_server_markers
                             ? "SELECT time, doc FROM power WHERE (nodeid = $1 OR nodeid = '*') AND time BETWEEN $2 AND $3 "
                               "ORDER BY time, id"
                             : "SELECT time, doc FROM power WHERE nodeid = $1 AND time BETWEEN $2 AND $3 ORDER BY time, id",
                         {text(q.nodeid), number(q.from_ms.value_or(INT64_MIN)), number(q.to_ms.value_or(INT64_MAX))},
                         "querying power events");
    if (!r) return r.error();
    return impl_->docs(*r, "querying power events", 1, 0);
  });
}

mw::Result<std::int64_t> PgStore::expire_power_events(int days, std::int64_t now) {
  return timed(*impl_, Op::kExpirePower, [&] {
    return impl_->delete_before("DELETE FROM power WHERE time < $1", days, now, "expiring power events");
  });
}

// [SECTION] Export and import.

mw::Result<Json> PgStore::export_all(const ExportOptions& opts) {
  return timed(*impl_, Op::kExport, [&]() -> mw::Result<Json> {
    // One snapshot while writers carry on.
    return impl_->in_transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", [&]() -> mw::Result<Json> {
      Json out = Json::array();
      auto r = impl_->exec("SELECT doc FROM main ORDER BY id COLLATE \"C\"", {}, "exporting records");
      if (!r) return r.error();
      auto docs = impl_->docs(*r, "exporting records");
      if (!docs) return docs.error();
      for (auto& d : *docs) out.push_back(escape_link_keys(std::move(d)));
      std::size_t events = 0, power = 0;
      if (opts.events) {
        auto e = impl_->exec("SELECT time, doc FROM events ORDER BY time, id", {}, "exporting events");
        if (!e) return e.error();
        auto ed = impl_->docs(*e, "exporting events", 1, 0, "event");
        if (!ed) return ed.error();
        events = ed->size();
        for (auto& d : *ed) out.push_back(std::move(d));
      }
      if (opts.power) {
        auto p = impl_->exec("SELECT time, doc FROM power ORDER BY time, id", {}, "exporting power events");
        if (!p) return p.error();
        auto pd = impl_->docs(*p, "exporting power events", 1, 0, "power");
        if (!pd) return pd.error();
        power = pd->size();
        for (auto& d : *pd) out.push_back(std::move(d));
      }
      impl_->log->info("PostgreSQL {}: exported {} records, {} events, {} power events", impl_->options.label(),
                       out.size() - events - power, events, power);
      return out;
    });
  });
}

mw::Result<ImportCounts> PgStore::import_all(const Json& data, bool force) {
  return timed(*impl_, Op::kImport, [&]() -> mw::Result<ImportCounts> {
    auto plan = plan_import(data);  // everything is checked before the first write
    if (!plan) return plan.error();
    return impl_->in_transaction("BEGIN", [&]() -> mw::Result<ImportCounts> {
      auto has = impl_->exec("SELECT EXISTS (SELECT 1 FROM main) OR EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM power)",
                             {}, "checking whether the database is empty");
      if (!has) return has.error();
      if (has->at(0, 0) == "t") {
        if (!force) {
          return mw::make_error("not-empty", "the PostgreSQL database " + impl_->options.label() +
                                                 " already has records; importing replaces them all, so it needs force "
                                                 "(--dbimport over an empty database)");
        }
        if (auto r = impl_->run("TRUNCATE event_targets, events, power, main", "clearing the database"); !r) return r.error();
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
      ImportCounts counts{plan->records.size(), plan->events.size(), plan->power.size()};
      impl_->log->info("PostgreSQL {}: imported {} records, {} events, {} power events{}", impl_->options.label(), counts.records,
                       counts.events, counts.power, force ? " (replacing the previous content)" : "");
      return counts;
    });
  });
}

std::vector<OpStats> PgStore::stats() const { return impl_->counters.snapshot(); }

}  // namespace mw::server::store
