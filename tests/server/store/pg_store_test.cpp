// The PostgreSQL backend against a real PostgreSQL (Debian's, started by the test on 127.0.0.1):
// every store operation, the same answers as the SQLite backend for the same input (a MeshCentral
// export imported into both exports identically), migrations and their refusals, clear errors
// for an unreachable server or a wrong password, and a connection re-made after the server
// dropped it.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "../../peers/postgres.hpp"
#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"
#include "temp_dir.hpp"

namespace {

using namespace mw::server::store;
using mw::test::peer::PostgresServer;

const std::string kMesh1 = "mesh//ymY2wCIS2QjI6YjhirpzGBiEeDQujj@I3122e8T0dAdy90vHahdshDpuAmsyXhGI";
const std::string kAmtUuid = "4c4c4544-0035-4410-8044-b2c04f4e3232";

class PgStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new PostgresServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(server_->running()) << server_->error();
    database_ = server_->create_database();
    ASSERT_FALSE(database_.empty());
  }
  PgOptions options() const {
    PgOptions o;
    o.host = "127.0.0.1";
    o.port = server_->port();
    o.user = "postgres";
    o.database = database_;
    return o;
  }
  std::unique_ptr<PgStore> open() {
    auto s = PgStore::open(options());
    EXPECT_TRUE(s) << s.error().message;
    return s ? std::move(s).value() : nullptr;
  }
  static Json sample() {
    std::ifstream in(std::string(MW_TEST_DATA) + "/meshcentral/export-sample.json");
    std::stringstream text;
    text << in.rdbuf();
    return Json::parse(text.str(), nullptr, false);
  }

  static PostgresServer* server_;
  std::string database_;
};
PostgresServer* PgStoreTest::server_ = nullptr;

TEST_F(PgStoreTest, RecordsArePutReadListedCountedAndRemoved) {
  auto s = open();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_version(), PgStore::latest_schema_version());
  ASSERT_TRUE(s->put(Json{{"_id", "mesh//m1"}, {"type", "mesh"}, {"name", "Group \xE2\x9C\x93"}, {"domain", ""}}));
  // Ids sort as bytes ('Z' before 'a'), as SQLite sorts them.
  for (const char* id : {"node//b", "node//Z", "node//a"}) {
    ASSERT_TRUE(s->put(Json{{"_id", id}, {"type", "node"}, {"meshid", "mesh//m1"}, {"domain", ""}, {"name", id}}));
  }
  ASSERT_TRUE(s->put(Json{{"_id", "node//amt"}, {"type", "node"}, {"meshid", "mesh//m1"}, {"intelamt", {{"uuid", kAmtUuid}}}}));
  ASSERT_TRUE(s->put(Json{{"_id", "node/other/x"}, {"type", "node"}, {"meshid", "mesh/other/m"}}));
  const auto got = s->get("mesh//m1");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((**got)["name"], "Group \xE2\x9C\x93");
  EXPECT_FALSE(s->get("mesh//none").value().has_value());
  // Replacing a record keeps one.
  ASSERT_TRUE(s->put(Json{{"_id", "mesh//m1"}, {"type", "mesh"}, {"name", "Renamed"}}));
  EXPECT_EQ(s->get("mesh//m1").value().value()["name"], "Renamed");
  std::vector<std::string> ids;
  const auto nodes = s->list_nodes_by_mesh("mesh//m1");
  ASSERT_TRUE(nodes);
  for (const auto& n : *nodes) ids.push_back(n["_id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{"node//Z", "node//a", "node//amt", "node//b"}));
  const std::string text = s->list_nodes_by_mesh_text("mesh//m1").value();
  const Json parsed = Json::parse(text);
  ASSERT_EQ(parsed.size(), 4u) << text;
  ASSERT_TRUE(parsed[0].is_object()) << text;
  EXPECT_EQ(parsed[0]["_id"], "node//Z");
  EXPECT_EQ(s->list("node", "").value().size(), 4u);
  EXPECT_EQ(s->list("node", "other").value().size(), 1u);
  EXPECT_EQ(s->count("node", std::nullopt).value(), 5);
  EXPECT_EQ(s->count("node", std::string_view("")).value(), 4);
  const auto amt = s->list_nodes_by_amt_uuid("", kAmtUuid).value();
  ASSERT_EQ(amt.size(), 1u);
  EXPECT_EQ(amt[0]["_id"], "node//amt");
  EXPECT_TRUE(s->remove("node//a").value());
  EXPECT_FALSE(s->remove("node//a").value());
  EXPECT_EQ(s->count("node", std::string_view("")).value(), 3);
  // The record rules are the shared ones: a bad document is refused and nothing is written.
  EXPECT_EQ(s->put(Json{{"_id", "node//x"}, {"type", "mesh"}}).error().code, "bad-record");
  // Quotes, backslashes and SQL in values are data.
  ASSERT_TRUE(s->put(Json{{"_id", "note1"}, {"value", "'); DROP TABLE main; -- \\ \" \u00e9"}}));
  EXPECT_EQ(s->get("note1").value().value()["value"], "'); DROP TABLE main; -- \\ \" \u00e9");
  EXPECT_EQ(s->count("node", std::nullopt).value(), 4);
}

TEST_F(PgStoreTest, EventsAndPowerEventsAreQueriedAndExpiredAsWithSqlite) {
  auto pg = open();
  ASSERT_TRUE(pg);
  mw::server::store::testing::TempDir dir;
  auto lite = SqliteStore::open(dir / "db");
  ASSERT_TRUE(lite) << lite.error().message;
  for (Store* s : {static_cast<Store*>(pg.get()), static_cast<Store*>(lite->get())}) {
    const std::int64_t t0 = 1'714'550'000'000;
    for (int i = 0; i < 6; ++i) {
      Json ev{{"etype", "node"}, {"action", "changenode"}, {"msg", "change " + std::to_string(i)}, {"domain", ""},
              {"userid", i % 2 ? "user//bob" : "user//admin"}, {"nodeid", "node//n" + std::to_string(i % 3)},
              {"meshid", kMesh1}, {"time", t0 + i * 1000}, {"ids", {"*", kMesh1, i < 3 ? "user//bob" : "user//carol"}}};
      ASSERT_TRUE(s->add_event(ev));
    }
    ASSERT_TRUE(s->add_power_event({{"nodeid", "*"}, {"power", 0}, {"s", 1}, {"time", t0}}));
    ASSERT_TRUE(s->add_power_event({{"nodeid", "node//n1"}, {"power", 1}, {"oldPower", 0}, {"time", t0 + 500}}));
    ASSERT_TRUE(s->add_power_event({{"nodeid", "node//n2"}, {"power", 1}, {"time", t0 + 600}}));
  }
  auto same = [&](const EventQuery& q) {
    const auto a = pg->query_events(q), b = lite->get()->query_events(q);
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(Json(*a), Json(*b));
  };
  EventQuery q;
  same(q);
  EXPECT_EQ(pg->query_events(q).value().size(), 6u);
  EXPECT_EQ(pg->query_events(q).value().front()["msg"], "change 5");  // newest first
  EXPECT_EQ(pg->query_events(q).value().front()["time"], "2024-05-01T07:53:25.000Z");
  q.userid = "user//bob";
  same(q);
  q.userid.reset();
  q.nodeid = "node//n1";
  same(q);
  q.nodeid.reset();
  q.targets = {"user//carol"};
  same(q);
  EXPECT_EQ(pg->query_events(q).value().size(), 3u);
  q.targets = {"user//nobody"};
  EXPECT_TRUE(pg->query_events(q).value().empty());
  q.targets.clear();
  q.from_ms = 1'714'550'001'000;
  q.to_ms = 1'714'550'003'000;
  q.limit = 2;
  same(q);
  EXPECT_EQ(pg->query_events(q).value().size(), 2u);
  EventQuery negative;
  negative.limit = -1;
  EXPECT_EQ(pg->query_events(negative).error().code, "bad-argument");
  PowerQuery pq;
  pq.nodeid = "node//n1";
  EXPECT_EQ(Json(pg->query_power(pq).value()), Json(lite->get()->query_power(pq).value()));
  EXPECT_EQ(pg->query_power(pq).value().size(), 2u);  // with the server marker
  pq.include_server_markers = false;
  EXPECT_EQ(pg->query_power(pq).value().size(), 1u);
  // Retention: everything is older than a day before "now" = t0 + 2 days.
  const std::int64_t later = 1'714'550'000'000 + 2 * 86'400'000LL;
  EXPECT_EQ(pg->expire_events(1, later).value(), 6);
  EXPECT_EQ(pg->expire_power_events(1, later).value(), 3);
  EXPECT_TRUE(pg->query_events({}).value().empty());
  EXPECT_EQ(pg->expire_events(-1, later).error().code, "bad-argument");
  // Counters for /metrics.
  bool counted = false;
  for (const auto& st : pg->stats()) counted = counted || (st.op == "add_event" && st.queries == 6);
  EXPECT_TRUE(counted);
}

TEST_F(PgStoreTest, AMeshCentralExportImportsAndExportsExactlyAsWithSqlite) {
  const Json data = sample();
  ASSERT_FALSE(data.is_discarded());
  auto pg = open();
  ASSERT_TRUE(pg);
  mw::server::store::testing::TempDir dir;
  auto lite = SqliteStore::open(dir / "db");
  ASSERT_TRUE(lite);
  const auto a = pg->import_all(data, false);
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(lite->get()->import_all(data, false));
  EXPECT_EQ(a->records, 11u);
  EXPECT_EQ(a->events, 3u);
  EXPECT_EQ(a->power, 3u);
  const auto pg_export = pg->export_all({});
  ASSERT_TRUE(pg_export) << pg_export.error().message;
  EXPECT_EQ(*pg_export, lite->get()->export_all({}).value());
  // A second import needs force, and then replaces everything.
  EXPECT_EQ(pg->import_all(data, false).error().code, "not-empty");
  ASSERT_TRUE(pg->put(Json{{"_id", "user//extra"}, {"type", "user"}, {"name", "extra"}}));
  ASSERT_TRUE(pg->import_all(data, true));
  EXPECT_FALSE(pg->get("user//extra").value().has_value());
  EXPECT_EQ(pg->export_all({}).value(), *pg_export);
  // A bad import writes nothing.
  Json bad = data;
  bad.push_back(Json{{"_id", "node//broken"}, {"type", "node"}});  // no meshid
  EXPECT_EQ(pg->import_all(bad, true).error().code, "bad-record");
  EXPECT_EQ(pg->export_all({}).value(), *pg_export);
}

TEST_F(PgStoreTest, ReopeningKeepsTheSchemaAndRefusesForeignOrNewerOnes) {
  {
    auto s = open();
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->put(Json{{"_id", "SchemaVersion"}, {"value", 2}}));
  }
  auto again = open();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->get("SchemaVersion").value().value()["value"], 2);
  again.reset();
  EXPECT_EQ(server_->sql("INSERT INTO schema_version VALUES (99, 0, 'from the future')", database_), "");
  auto newer = PgStore::open(options());
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code, "newer-schema");
  // Another program's table named "main" in a database Meshwork never migrated.
  const std::string other = server_->create_database();
  EXPECT_EQ(server_->sql("CREATE TABLE main (x INTEGER)", other), "");
  PgOptions o = options();
  o.database = other;
  auto foreign = PgStore::open(o);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, "not-a-store");
}

TEST_F(PgStoreTest, ConnectionProblemsAreClearErrorsAndADroppedConnectionIsMadeAgain) {
  PgOptions nobody = options();
  nobody.port = mw::test::peer::free_port();
  nobody.connect_timeout_s = 5;
  auto refused = PgStore::open(nobody);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "io");
  EXPECT_NE(refused.error().message.find("cannot connect to PostgreSQL at postgres@127.0.0.1:"), std::string::npos)
      << refused.error().message;
  PgOptions missing = options();
  missing.database = "no_such_database";
  auto absent = PgStore::open(missing);
  ASSERT_FALSE(absent);
  EXPECT_NE(absent.error().message.find("no_such_database"), std::string::npos) << absent.error().message;
  EXPECT_EQ(absent.error().message.find("password"), std::string::npos);

  auto s = open();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->put(Json{{"_id", "user//a"}, {"type", "user"}, {"name", "a"}}));
  // The server ends every other session of this database (as a restart would).
  EXPECT_NE(server_->sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" + database_ +
                         "' AND pid <> pg_backend_pid()"),
            "");
  // The first call after may fail with the lost connection; the store connects again.
  auto first = s->get("user//a");
  if (!first) {
    EXPECT_EQ(first.error().code, "io") << first.error().message;
  }
  const auto after = s->get("user//a");
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->value()["name"], "a");
}

// TLS to PostgreSQL (a server with ssl=on and a certificate from the test's CA): verified against
// the CA given, refused against another CA, and the session the store holds is encrypted.
TEST(PgStoreTls, TheServersCertificateIsVerifiedAgainstTheGivenCa) {
  PostgresServer server(/*tls=*/true);
  ASSERT_TRUE(server.running()) << server.error();
  const std::string db = server.create_database();
  ASSERT_FALSE(db.empty());
  auto options = pg_options(Json{{"host", "127.0.0.1"}, {"port", server.port()}, {"user", "postgres"}, {"database", db},
                                 {"ssl", {{"ca", server.ca_file()}}}});
  ASSERT_TRUE(options) << options.error().message;
  EXPECT_EQ(options->sslmode, "verify-full");
  auto store = PgStore::open(*options);
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_TRUE(store.value()->put(Json{{"_id", "user//tls"}, {"type", "user"}, {"name", "tls"}}));
  EXPECT_EQ(server.sql("SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                       "WHERE a.application_name = 'meshwork-server' AND s.ssl"),
            "1\n");

  PgOptions other = *options;
  other.sslrootcert = server.other_ca_file();
  other.connect_timeout_s = 5;
  auto refused = PgStore::open(other);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("certificate verify failed"), std::string::npos) << refused.error().message;

  // Plain PostgreSQL with TLS required: a clear refusal, not a silent plain connection.
  PostgresServer plain;
  ASSERT_TRUE(plain.running()) << plain.error();
  PgOptions need_tls;
  need_tls.host = "127.0.0.1";
  need_tls.port = plain.port();
  need_tls.user = "postgres";
  need_tls.database = "postgres";
  need_tls.sslmode = "require";
  auto no_tls = PgStore::open(need_tls);
  ASSERT_FALSE(no_tls);
  EXPECT_NE(no_tls.error().message.find("does not support SSL"), std::string::npos) << no_tls.error().message;
}

TEST(PgOptions, TlsIsReadFromLibpqOrNodePostgresNames) {
  auto t = pg_options(Json{{"ssl", true}});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->sslmode, "require");
  t = pg_options(Json{{"ssl", {{"rejectUnauthorized", false}}}});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->sslmode, "require");
  t = pg_options(Json{{"ssl", {{"ca", "/etc/meshwork/pg-ca.crt"}, {"cert", "/c.crt"}, {"key", "/c.key"}}}});
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->sslmode, "verify-full");
  EXPECT_EQ(t->sslrootcert, "/etc/meshwork/pg-ca.crt");
  EXPECT_EQ(t->sslcert, "/c.crt");
  EXPECT_EQ(t->sslkey, "/c.key");
  // libpq's own names win over node-postgres' "ssl".
  t = pg_options(Json{{"ssl", true}, {"sslmode", "verify-ca"}, {"sslrootcert", "/ca.pem"}});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->sslmode, "verify-ca");
  EXPECT_EQ(t->sslrootcert, "/ca.pem");
  EXPECT_FALSE(pg_options(Json{{"sslmode", "sometimes"}}));
  auto pem = pg_options(Json{{"ssl", {{"ca", "-----BEGIN CERTIFICATE-----\nMIIB..."}}}});
  ASSERT_FALSE(pem);
  EXPECT_NE(pem.error().message.find("must name a PEM file"), std::string::npos);
  EXPECT_FALSE(pg_options(Json{{"ssl", {{"servername", "x"}}}}));
  EXPECT_FALSE(pg_options(Json{{"ssl", "yes"}}));
}

TEST(PgOptions, SettingsObjectIsReadLikeMeshCentralsAndChecked) {
  auto o = pg_options(Json{{"host", "db.example"}, {"Port", 5433}, {"user", "mesh"}, {"password", "s3cret"}});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->host, "db.example");
  EXPECT_EQ(o->port, 5433);
  EXPECT_EQ(o->database, "meshwork");
  EXPECT_EQ(o->label(), "mesh@db.example:5433/meshwork");  // never the password
  EXPECT_FALSE(pg_options(Json{{"port", "5432"}}));
  EXPECT_FALSE(pg_options(Json{{"port", 70000}}));
  EXPECT_FALSE(pg_options(Json{{"hostname", "x"}}));
  EXPECT_FALSE(pg_options(Json{{"database", ""}}));
  EXPECT_FALSE(pg_options(Json::array()));
}

}  // namespace
