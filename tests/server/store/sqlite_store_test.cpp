// The SQLite store's main records and its file: CRUD, the indexed columns, migrations from an
// older schema, refusal of newer or foreign files, clear errors for damaged files, counters.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

#include "store/sqlite_store.hpp"
#include "temp_dir.hpp"

namespace {

using mw::server::store::Json;
using mw::server::store::SqliteStore;
using mw::server::store::testing::TempDir;

// Runs SQL on the file through a second connection (as another tool would) and returns each row,
// its columns joined with '|'.
std::vector<std::string> raw_sql(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  std::vector<std::string> rows;
  char* err = nullptr;
  const int rc = sqlite3_exec(
      db, sql.c_str(),
      [](void* out, int n, char** cols, char**) {
        std::string row;
        for (int i = 0; i < n; ++i) row += std::string(i ? "|" : "") + (cols[i] != nullptr ? cols[i] : "NULL");
        static_cast<std::vector<std::string>*>(out)->push_back(row);
        return 0;
      },
      &rows, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "") << " in " << sql;
  sqlite3_free(err);
  sqlite3_close(db);
  return rows;
}

Json user(const std::string& name, const std::string& domain = "") {
  return {{"_id", "user/" + domain + "/" + name}, {"type", "user"}, {"name", name}, {"domain", domain},
          {"siteadmin", 0}, {"links", Json::object()}};
}
Json mesh(const std::string& v, const std::string& domain = "") {
  return {{"_id", "mesh/" + domain + "/" + v}, {"type", "mesh"}, {"name", v}, {"mtype", 2}, {"domain", domain}};
}
Json node(const std::string& v, const std::string& meshid, const std::string& domain = "") {
  return {{"_id", "node/" + domain + "/" + v}, {"type", "node"}, {"name", v}, {"meshid", meshid},
          {"domain", domain}, {"agent", {{"ver", 0}, {"id", 4}, {"caps", 15}}}};
}

std::unique_ptr<SqliteStore> open_ok(const std::filesystem::path& p) {
  auto s = SqliteStore::open(p);
  EXPECT_TRUE(s) << s.error().code << ": " << s.error().message;
  return s ? std::move(s).value() : nullptr;
}

TEST(SqliteStore, CreatesFileInWalModeAtLatestSchema) {
  TempDir dir;
  const auto file = dir / "meshwork.db";
  {
    auto s = open_ok(file);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), SqliteStore::latest_schema_version());
    EXPECT_TRUE(s->put(user("admin")));
    EXPECT_EQ(raw_sql(file, "PRAGMA journal_mode").at(0), "wal");
  }
  const auto versions = raw_sql(file, "SELECT version FROM schema_version ORDER BY version");
  ASSERT_EQ(versions.size(), static_cast<std::size_t>(SqliteStore::latest_schema_version()));
  EXPECT_EQ(versions.front(), "1");
  auto again = open_ok(file);  // reopening runs no migration and keeps the records
  ASSERT_TRUE(again);
  EXPECT_EQ(again->count("user", std::nullopt).value(), 1);
}

TEST(SqliteStore, OpensWithFullSynchronousAndFullIntegrityCheck) {
  TempDir dir;
  mw::server::store::SqliteOptions opts;
  opts.synchronous_full = true;
  opts.full_integrity_check = true;
  for (int round = 0; round < 2; ++round) {
    auto s = SqliteStore::open(dir / "db", opts);
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_TRUE((*s)->put(user("u" + std::to_string(round))));
    EXPECT_EQ((*s)->count("user", std::nullopt).value(), round + 1);
  }
}

TEST(SqliteStore, PutGetReplaceRemove) {
  TempDir dir;
  auto s = open_ok(dir / "db");
  ASSERT_TRUE(s);
  const Json admin = user("admin");
  ASSERT_TRUE(s->put(admin));
  auto got = s->get("user//admin");
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, admin);

  Json changed = admin;
  changed["siteadmin"] = 4294967295u;
  changed["email"] = "admin@example.com";
  ASSERT_TRUE(s->put(changed));  // upsert by _id
  EXPECT_EQ(s->get("user//admin").value().value(), changed);
  EXPECT_EQ(s->count("user", std::nullopt).value(), 1);

  EXPECT_TRUE(s->remove("user//admin").value());
  EXPECT_FALSE(s->remove("user//admin").value());
  EXPECT_FALSE(s->get("user//admin").value().has_value());
  EXPECT_FALSE(s->get("").value().has_value());
}

TEST(SqliteStore, RejectsBadRecordsWithoutWriting) {
  TempDir dir;
  auto s = open_ok(dir / "db");
  ASSERT_TRUE(s);
  for (const Json& doc : {Json{{"type", "user"}}, Json{{"_id", "user//x"}, {"type", "mesh"}},
                          Json{{"_id", "node//n"}, {"type", "node"}}, Json("not an object")}) {
    auto r = s->put(doc);
    ASSERT_FALSE(r) << doc.dump();
    EXPECT_EQ(r.error().code, "bad-record");
  }
  EXPECT_EQ(raw_sql(dir / "db", "SELECT count(*) FROM main").at(0), "0");
}

TEST(SqliteStore, ListsAndCountsByTypeAndDomain) {
  TempDir dir;
  auto s = open_ok(dir / "db");
  ASSERT_TRUE(s);
  for (const char* n : {"carol", "alice", "bob"}) ASSERT_TRUE(s->put(user(n)));
  ASSERT_TRUE(s->put(user("dave", "customer1")));
  ASSERT_TRUE(s->put(mesh("m1")));
  ASSERT_TRUE(s->put(Json{{"_id", "SchemaVersion"}, {"value", 2}}));  // untyped keyed record

  const auto users = s->list("user", "").value();
  ASSERT_EQ(users.size(), 3u);
  EXPECT_EQ(users[0]["_id"], "user//alice");  // ordered by id
  EXPECT_EQ(users[2]["_id"], "user//carol");
  EXPECT_EQ(s->list("user", "customer1").value().size(), 1u);
  EXPECT_TRUE(s->list("user", "nosuch").value().empty());
  EXPECT_EQ(s->count("user", std::nullopt).value(), 4);
  EXPECT_EQ(s->count("user", std::string_view("")).value(), 3);
  EXPECT_EQ(s->count("user", std::string_view("customer1")).value(), 1);
  EXPECT_EQ(s->count("mesh", std::nullopt).value(), 1);
  EXPECT_EQ(s->get("SchemaVersion").value().value()["value"], 2);
}

TEST(SqliteStore, NodeIndexesFollowTheDocument) {
  TempDir dir;
  auto s = open_ok(dir / "db");
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->put(mesh("m1")));
  ASSERT_TRUE(s->put(mesh("m2")));
  ASSERT_TRUE(s->put(node("n1", "mesh//m1")));
  ASSERT_TRUE(s->put(node("n2", "mesh//m1")));
  Json amt = node("n3", "mesh//m2");
  amt["intelamt"] = {{"user", "admin"}, {"tls", 1}, {"state", 2}, {"uuid", "4c4c4544-0035-4410-8044-b2c04f4e3232"}};
  ASSERT_TRUE(s->put(amt));
  // A per-device record carrying a meshid is not a device.
  ASSERT_TRUE(s->put(Json{{"_id", "lcnode//n1"}, {"type", "lastconnect"}, {"meshid", "mesh//m1"}, {"time", 1}}));

  EXPECT_EQ(s->list_nodes_by_mesh("mesh//m1").value().size(), 2u);
  EXPECT_EQ(s->list_nodes_by_mesh("mesh//m2").value().size(), 1u);
  auto by_uuid = s->list_nodes_by_amt_uuid("", "4c4c4544-0035-4410-8044-b2c04f4e3232").value();
  ASSERT_EQ(by_uuid.size(), 1u);
  EXPECT_EQ(by_uuid[0]["_id"], "node//n3");
  EXPECT_TRUE(s->list_nodes_by_amt_uuid("other", "4c4c4544-0035-4410-8044-b2c04f4e3232").value().empty());

  // The text form (kept between writes) parses to the same documents.
  auto text = [&](const char* m) { return Json::parse(s->list_nodes_by_mesh_text(m).value()); };
  EXPECT_EQ(text("mesh//m1"), Json(s->list_nodes_by_mesh("mesh//m1").value()));
  EXPECT_EQ(text("mesh//m1").size(), 2u);
  EXPECT_EQ(text("mesh//none"), Json::array());

  // Moving a device to another group and dropping its AMT data updates the columns.
  Json moved = node("n2", "mesh//m2");
  ASSERT_TRUE(s->put(moved));
  EXPECT_EQ(s->list_nodes_by_mesh("mesh//m1").value().size(), 1u);
  EXPECT_EQ(s->list_nodes_by_mesh("mesh//m2").value().size(), 2u);
  EXPECT_EQ(text("mesh//m1").size(), 1u);  // not a stale copy
  EXPECT_EQ(text("mesh//m2").size(), 2u);
  ASSERT_TRUE(s->remove("node//n1"));
  EXPECT_EQ(text("mesh//m1").size(), 0u);
  ASSERT_TRUE(s->put(node("n3", "mesh//m2")));
  EXPECT_TRUE(s->list_nodes_by_amt_uuid("", "4c4c4544-0035-4410-8044-b2c04f4e3232").value().empty());

  // The indexes exist and the queries use them.
  const auto indexes = raw_sql(dir / "db", "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name");
  for (const char* name : {"main_type_domain", "main_meshid", "main_amtuuid", "events_domain_time",
                           "events_user_time", "events_node_time", "events_mesh_time", "events_time",
                           "event_targets_target", "power_node_time", "power_time"}) {
    EXPECT_NE(std::find(indexes.begin(), indexes.end(), name), indexes.end()) << name;
  }
  const auto plan = raw_sql(dir / "db", "EXPLAIN QUERY PLAN SELECT doc FROM main WHERE meshid = 'x' AND type = 'node'");
  ASSERT_FALSE(plan.empty());
  EXPECT_NE(plan[0].find("main_meshid"), std::string::npos) << plan[0];
}

// The schema of version 1, as a database written by that release has it.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL, what TEXT NOT NULL);
INSERT INTO schema_version VALUES (1, 1714550000000, 'main records, events and power tables');
CREATE TABLE main (id TEXT PRIMARY KEY NOT NULL, type TEXT, domain TEXT, meshid TEXT, doc TEXT NOT NULL);
CREATE INDEX main_type_domain ON main(type, domain);
CREATE INDEX main_meshid ON main(meshid, type);
CREATE TABLE events (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, domain TEXT, etype TEXT, action TEXT,
  userid TEXT, nodeid TEXT, meshid TEXT, doc TEXT NOT NULL);
CREATE INDEX events_domain_time ON events(domain, time);
CREATE INDEX events_user_time ON events(domain, userid, time);
CREATE INDEX events_node_time ON events(domain, nodeid, time);
CREATE INDEX events_mesh_time ON events(domain, meshid, time);
CREATE INDEX events_time ON events(time);
CREATE TABLE event_targets (event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE, target TEXT NOT NULL);
CREATE INDEX event_targets_target ON event_targets(target, event_id);
CREATE INDEX event_targets_event ON event_targets(event_id);
CREATE TABLE power (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, nodeid TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX power_node_time ON power(nodeid, time);
CREATE INDEX power_time ON power(time);
INSERT INTO main VALUES ('mesh//m2', 'mesh', '', NULL, '{"_id":"mesh//m2","type":"mesh","name":"lab","mtype":1,"domain":""}');
INSERT INTO main VALUES ('node//amt1', 'node', '', 'mesh//m2',
  '{"_id":"node//amt1","type":"node","meshid":"mesh//m2","domain":"","name":"AMT-1","intelamt":{"uuid":"4c4c4544-0035-4410-8044-b2c04f4e3232","state":2}}');
INSERT INTO main VALUES ('node//agent1', 'node', '', 'mesh//m2', '{"_id":"node//agent1","type":"node","meshid":"mesh//m2","domain":""}');
INSERT INTO events VALUES (1, 1714550000000, '', 'user', 'login', 'user//admin', NULL, NULL, '{"etype":"user","action":"login"}');
)sql";

TEST(SqliteStore, MigratesAVersion1Database) {
  TempDir dir;
  const auto file = dir / "old.db";
  raw_sql(file, std::string("PRAGMA journal_mode=WAL;") + kSchemaV1 + "SELECT 1;");
  auto s = open_ok(file);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_version(), SqliteStore::latest_schema_version());
  // Version 2 added the AMT UUID column and filled it from the documents already there.
  auto found = s->list_nodes_by_amt_uuid("", "4c4c4544-0035-4410-8044-b2c04f4e3232");
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0]["name"], "AMT-1");
  EXPECT_EQ(s->list_nodes_by_mesh("mesh//m2").value().size(), 2u);
  EXPECT_EQ(s->query_events(mw::server::store::EventQuery{}).value().size(), 1u);
  s.reset();
  EXPECT_EQ(raw_sql(file, "SELECT group_concat(version) FROM schema_version").at(0), "1,2");
}

TEST(SqliteStore, RefusesANewerSchema) {
  TempDir dir;
  const auto file = dir / "db";
  ASSERT_TRUE(open_ok(file));
  raw_sql(file, "INSERT INTO schema_version VALUES (99, 0, 'from the future'); SELECT 1;");
  auto s = SqliteStore::open(file);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "newer-schema");
  EXPECT_NE(s.error().message.find("99"), std::string::npos);
}

TEST(SqliteStore, RefusesAnotherApplicationsDatabase) {
  TempDir dir;
  const auto file = dir / "other.db";
  raw_sql(file, "CREATE TABLE photos (id INTEGER PRIMARY KEY); SELECT 1;");
  auto s = SqliteStore::open(file);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "not-a-store");
}

TEST(SqliteStore, FileThatIsNotADatabaseGivesAClearError) {
  TempDir dir;
  const auto file = dir / "meshwork.db";
  {
    std::ofstream out(file, std::ios::binary);
    for (int i = 0; i < 512; ++i) out << "this is not a database file, ";
  }
  auto s = SqliteStore::open(file);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "corrupt");
  EXPECT_NE(s.error().message.find(file.string()), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("not a database"), std::string::npos) << s.error().message;
}

TEST(SqliteStore, DamagedPagesFailTheIntegrityCheckAtOpen) {
  TempDir dir;
  const auto file = dir / "meshwork.db";
  {
    auto s = open_ok(file);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->put(mesh("m1")));
    for (int i = 0; i < 2000; ++i) {
      Json n = node("n" + std::to_string(i), "mesh//m1");
      n["osdesc"] = std::string(100, static_cast<char>('a' + i % 26));
      ASSERT_TRUE(s->put(n));
    }
  }  // closing checkpoints the WAL into the file
  const auto size = std::filesystem::file_size(file);
  ASSERT_GT(size, 40u * 4096u);
  {
    // Scribble over pages in the middle of the file (page 1, the header and schema, stays).
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    const std::string garbage(4 * 4096, '\x5a');
    f.seekp(static_cast<std::streamoff>(size / 2 / 4096 * 4096));
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  auto s = SqliteStore::open(file);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "corrupt");
  EXPECT_NE(s.error().message.find(file.string()), std::string::npos);
  EXPECT_NE(s.error().message.find("integrity check failed"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("backup"), std::string::npos);
}

TEST(SqliteStore, CountsQueriesPerOperation) {
  TempDir dir;
  auto s = open_ok(dir / "db");
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->put(user("a")));
  ASSERT_TRUE(s->put(user("b")));
  ASSERT_FALSE(s->put(Json{{"type", "user"}}));
  ASSERT_TRUE(s->get("user//a"));
  const auto stats = s->stats();
  auto find = [&](std::string_view op) {
    for (const auto& st : stats) {
      if (st.op == op) return st;
    }
    ADD_FAILURE() << op;
    return mw::server::store::OpStats{};
  };
  EXPECT_EQ(find("put").queries, 3u);
  EXPECT_EQ(find("put").errors, 1u);
  EXPECT_EQ(find("get").queries, 1u);
  EXPECT_EQ(find("import").queries, 0u);
  EXPECT_EQ(stats.size(), mw::server::store::kOpKinds);
}

}  // namespace
