// The database switches through the real binary: --dbimport of a MeshCentral export (written by
// hand from the documented record shapes), --show*, --dbexport then --dbimport into a fresh data
// folder reproducing every record, --force, refusal of invalid files, and the start/stop markers
// a clean SIGTERM leaves in the power timeline.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "auth/cookie.hpp"
#include "fixture.hpp"
#include "mw/util/hex.hpp"

namespace {

using namespace mw::test;
using nlohmann::json;

const std::string kSample = std::string(MW_TEST_DATA) + "/meshcentral/export-sample.json";

std::pair<int, std::string> run_action(const Fixture& f, std::vector<std::string> action) { return f.run(std::move(action)); }

json shown(const std::string& output) {
  // The listing starts at the first line that opens a JSON array.
  const auto start = output.rfind('[', 0) == 0 ? 0 : output.find("\n[") + 1;
  return json::parse(output.substr(start));
}

TEST(DatabaseTools, ImportMeshCentralExportThenShow) {
  Fixture f;
  auto [code, out] = run_action(f, {"--dbimport", kSample});
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("Imported "), std::string::npos) << out;
  const json sample = json::parse(read_text_file(kSample));
  std::size_t users = 0, nodes = 0;
  for (const auto& r : sample) {
    if (r.value("type", "") == "user") ++users;
    if (r.value("type", "") == "node") ++nodes;
  }
  ASSERT_GT(users, 0u);
  auto [c2, users_out] = run_action(f, {"--showusers"});
  ASSERT_EQ(c2, 0) << users_out;
  const json u = shown(users_out);
  EXPECT_EQ(u.size(), users);
  for (const auto& r : u) EXPECT_EQ(r["type"], "user");
  auto [c3, nodes_out] = run_action(f, {"--shownodes"});
  ASSERT_EQ(c3, 0);
  EXPECT_EQ(shown(nodes_out).size(), nodes);
  // The Intel AMT password of the sample's AMT device left its record (sealed apart).
  EXPECT_NE(out.find("Sealed the Intel AMT credentials of 1 devices"), std::string::npos) << out;
  EXPECT_EQ(nodes_out.find("SAMPLE-NOT-A-REAL-PASSWORD"), std::string::npos) << nodes_out;
  auto [c4, all_out] = run_action(f, {"--showall"});
  ASSERT_EQ(c4, 0);
  EXPECT_EQ(all_out.find("SAMPLE-NOT-A-REAL-PASSWORD"), std::string::npos);
  EXPECT_NE(all_out.find("amtcred//TExFRAA1RBCARLLAT04yMkxMRUQANUQQgESywE9OMjJMTEVEADVEEIBEssBPTjIy"), std::string::npos);
}

TEST(DatabaseTools, ExportThenImportIntoFreshFolderReproducesEveryRecord) {
  Fixture a;
  ASSERT_EQ(run_action(a, {"--dbimport", kSample}).first, 0);
  {
    ServerProcess server(a.args());  // adds server start/stop power markers
    ASSERT_TRUE(server.running()) << server.output();
    EXPECT_EQ(server.stop(SIGTERM), 0);
  }
  const auto file = (a.dir.path() / "export.json").string();
  auto [code, out] = run_action(a, {"--dbexport", file});
  ASSERT_EQ(code, 0) << out;
  Fixture b;
  auto [c2, out2] = run_action(b, {"--dbimport", file});
  ASSERT_EQ(c2, 0) << out2;
  const auto file2 = (b.dir.path() / "export2.json").string();
  ASSERT_EQ(run_action(b, {"--dbexport", file2}).first, 0);
  const json first = json::parse(read_text_file(file));
  const json second = json::parse(read_text_file(file2));
  EXPECT_EQ(first.size(), second.size());
  EXPECT_EQ(first, second);
}

TEST(DatabaseTools, ImportRefusesNonEmptyUnlessForcedAndInvalidFiles) {
  Fixture f;
  ASSERT_EQ(run_action(f, {"--dbimport", kSample}).first, 0);
  auto [code, out] = run_action(f, {"--dbimport", kSample});
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("--force"), std::string::npos) << out;
  EXPECT_EQ(run_action(f, {"--dbimport", kSample, "--force"}).first, 0);

  const auto bad = (f.dir.path() / "bad.json").string();
  std::ofstream(bad) << R"([{"_id":"user//ok","type":"user","name":"ok"},{"type":"user","name":"no id"}])";
  auto [c2, out2] = run_action(f, {"--dbimport", bad, "--force"});
  EXPECT_EQ(c2, 1);
  EXPECT_NE(out2.find("nothing was imported"), std::string::npos) << out2;
  // The earlier contents are intact: the invalid import wrote nothing.
  auto [c3, users_out] = run_action(f, {"--showusers"});
  ASSERT_EQ(c3, 0);
  for (const auto& r : shown(users_out)) EXPECT_NE(r["_id"], "user//ok");
  std::ofstream(bad) << "{not json";
  EXPECT_EQ(run_action(f, {"--dbimport", bad, "--force"}).first, 1);
}

TEST(DatabaseTools, CleanStopLeavesStartAndStopMarkers) {
  Fixture f;
  {
    ServerProcess server(f.args());
    ASSERT_TRUE(server.running()) << server.output();
    EXPECT_NE(server.output().find("Database: SQLite "), std::string::npos);
    EXPECT_EQ(server.stop(SIGTERM), 0) << server.output();
  }
  auto [code, out] = run_action(f, {"--showpower"});
  ASSERT_EQ(code, 0) << out;
  const json p = shown(out);
  ASSERT_EQ(p.size(), 2u) << out;
  EXPECT_EQ(p[0]["s"], 1);
  EXPECT_EQ(p[1]["s"], 2);
}

}  // namespace

namespace {

TEST(DatabaseTools, RetentionRemovesOldEventsAtStart) {
  Fixture f;
  ASSERT_EQ(run_action(f, {"--dbimport", kSample}).first, 0);
  auto [c0, before] = run_action(f, {"--showevents"});
  ASSERT_EQ(c0, 0);
  ASSERT_GT(shown(before).size(), 0u);  // the sample's events are from 2024
  {
    ServerProcess server(f.args({"--dbexpire", R"({"events": 86400, "powerEvents": 172800})"}));
    ASSERT_TRUE(server.running()) << server.output();
    for (int i = 0; i < 100 && server.output().find("retention: removed") == std::string::npos; ++i) {
      server.wait_exit(std::chrono::milliseconds(50));
    }
    EXPECT_NE(server.output().find("retention: removed 3 events older than 1 days, 3 power events older than 2 days"),
              std::string::npos) << server.output();
    EXPECT_EQ(server.stop(SIGTERM), 0);
  }
  auto [c1, events] = run_action(f, {"--showevents"});
  ASSERT_EQ(c1, 0);
  EXPECT_EQ(shown(events).size(), 0u) << events;
  auto [c2, power] = run_action(f, {"--showpower"});
  ASSERT_EQ(c2, 0);
  EXPECT_EQ(shown(power).size(), 2u) << power;  // this run's start and stop markers remain
}

}  // namespace

namespace {

TEST(LoginTokens, KeyIsCreatedOnceAndTokensDecodeWithIt) {
  Fixture f;
  auto [c1, k1] = run_action(f, {"--logintokenkey"});
  ASSERT_EQ(c1, 0) << k1;
  auto [c2, k2] = run_action(f, {"--logintokenkey"});
  ASSERT_EQ(c2, 0);
  const std::string key_hex = k1.substr(0, k1.find('\n'));
  EXPECT_EQ(key_hex.size(), 160u);  // 80 bytes, as MeshCentral
  EXPECT_EQ(k2.substr(0, k2.find('\n')), key_hex);
  auto [c3, tok] = run_action(f, {"--logintoken", "user//admin"});
  ASSERT_EQ(c3, 0) << tok;
  const auto key = mw::util::hex_decode(key_hex);
  ASSERT_TRUE(key.ok());
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto decoded = mw::server::auth::decode_cookie(tok.substr(0, tok.find('\n')), key.value(), now, 60);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded.value()["u"], "user//admin");
  EXPECT_EQ(decoded.value()["a"], 3);
  EXPECT_EQ(run_action(f, {"--logintoken", "admin"}).first, 1);
}

}  // namespace
