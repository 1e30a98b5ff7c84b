// meshwork-server with its records in PostgreSQL (the Postgres setting, as MeshCentral's
// settings.postgres), against a PostgreSQL the test starts on 127.0.0.1: --createaccount and
// --dbimport write there and not to meshwork.db; the server says where its database is; what
// meshctrl changes through the running server is in PostgreSQL afterwards (--showusers, psql);
// an unreachable PostgreSQL stops the server with a clear message that never shows the password.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "../peers/postgres.hpp"
#include "fixture.hpp"
#include "meshctrl.hpp"

namespace {

using namespace mw::test;
using nlohmann::json;

const std::string kSample = std::string(MW_TEST_DATA) + "/meshcentral/export-sample.json";

TEST(Postgres, TheServerKeepsItsRecordsInPostgreSQL) {
  peer::PostgresServer pg;
  ASSERT_TRUE(pg.running()) << pg.error();
  Fixture f;
  const auto use = [&](const std::string& db) {
    f.write_config(
        json{{"settings", {{"Postgres", {{"host", "127.0.0.1"}, {"port", pg.port()}, {"user", "postgres"}, {"database", db}}}}}}.dump());
  };
  // A MeshCentral export imported into one database, and shown from it.
  const std::string imported = pg.create_database();
  ASSERT_FALSE(imported.empty());
  use(imported);
  auto [code, out] = f.run({"--dbimport", kSample});
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(pg.sql("SELECT count(*) FROM main WHERE type = 'user'", imported), "2\n");
  auto [c1, listed] = f.run({"--showusers"});
  ASSERT_EQ(c1, 0) << listed;
  EXPECT_NE(listed.find("\"user//admin\""), std::string::npos) << listed;
  // A server on another database: its first account, a user added through it with meshctrl.
  const std::string db = pg.create_database();
  use(db);
  f.create_account("admin", "Admin-pass1");
  EXPECT_FALSE(std::filesystem::exists(f.data() / "meshwork.db")) << "the SQLite file was created";
  {
    ServerProcess server(f.args());
    ASSERT_TRUE(server.running()) << server.output();
    EXPECT_NE(server.output().find("Database: PostgreSQL postgres@127.0.0.1:" + std::to_string(pg.port()) + "/" + db + " ("),
              std::string::npos)
        << server.output();
    EXPECT_EQ(lines(meshctrl(server.https_port(), {"adduser", "--user", "carol", "--pass", "Carol-pass1"})),
              std::vector<std::string>{"ok"});
    EXPECT_EQ(lines(meshctrl(server.https_port(), {"listusers"})),
              (std::vector<std::string>{"id, name, email", "---------------", "\"admin\", \"admin\"", "\"carol\", \"carol\""}));
    EXPECT_EQ(server.stop(SIGTERM), 0) << server.output();
  }
  EXPECT_EQ(pg.sql("SELECT count(*) FROM main WHERE id = 'user//carol'", db), "1\n");
  // The account's creation is an event, in PostgreSQL too.
  EXPECT_NE(pg.sql("SELECT count(*) FROM events WHERE doc LIKE '%carol%'", db), "0\n");
  auto [c2, shown] = f.run({"--showusers"});
  ASSERT_EQ(c2, 0) << shown;
  EXPECT_NE(shown.find("\"user//carol\""), std::string::npos) << shown;
}

TEST(Postgres, AnUnreachableDatabaseStopsTheServerClearly) {
  Fixture f;
  const int closed = peer::free_port();
  f.write_config(json{{"settings",
                       {{"Postgres", {{"host", "127.0.0.1"}, {"port", closed}, {"user", "mesh"}, {"password", "Pg-secret-9"}}}}}}
                     .dump());
  ServerProcess server(f.args());
  EXPECT_FALSE(server.running());
  EXPECT_NE(server.output().find("cannot connect to PostgreSQL at mesh@127.0.0.1:" + std::to_string(closed) + "/meshwork"),
            std::string::npos)
      << server.output();
  EXPECT_EQ(server.output().find("Pg-secret-9"), std::string::npos) << "the password was printed";
  EXPECT_NE(server.wait_exit(std::chrono::seconds(10)).value_or(0), 0);
}

TEST(Postgres, AWrongSettingIsAConfigurationError) {
  Fixture f;
  f.write_config(R"({"settings": {"postgres": {"host": "127.0.0.1", "port": "5432"}}})");
  auto [code, out] = f.run({"--showusers"});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("Postgres.port must be a port number"), std::string::npos) << out;
}

}  // namespace
