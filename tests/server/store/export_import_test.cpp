// Export and import in MeshCentral's --dbexport format: the shape written, an exact round trip
// into a fresh database, refusal of a non-empty database without force, all-or-nothing imports,
// and a MeshCentral export written from its documented record shapes.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "store/sqlite_store.hpp"
#include "temp_dir.hpp"

namespace {

using mw::server::store::EventQuery;
using mw::server::store::ExportOptions;
using mw::server::store::Json;
using mw::server::store::PowerQuery;
using mw::server::store::SqliteStore;
using mw::server::store::testing::TempDir;

const std::string kMesh1 = "mesh//ymY2wCIS2QjI6YjhirpzGBiEeDQujj@I3122e8T0dAdy90vHahdshDpuAmsyXhGI";
const std::string kMesh2 = "mesh//yGtHUFgtky6sGjHASsqA1NqNjsZ92OefUaFLx5zsoq0vnsuDTaMOjt5hFBAPN36t";
const std::string kNode1 = "node//LZmCbAJiPDs5uamQ@ESnHiYIFlXx2DMbWJtSkKFIeVMDtbbzAGmF$VaN@Lwyfkfh";
const std::string kAmtNode = "node//TExFRAA1RBCARLLAT04yMkxMRUQANUQQgESywE9OMjJMTEVEADVEEIBEssBPTjIy";
const std::string kAmtUuid = "4c4c4544-0035-4410-8044-b2c04f4e3232";

std::unique_ptr<SqliteStore> open_ok(const std::filesystem::path& p) {
  auto s = SqliteStore::open(p);
  EXPECT_TRUE(s) << s.error().message;
  return s ? std::move(s).value() : nullptr;
}

// A database with one of everything: typed and untyped records, link keys that need escaping,
// unicode, big numbers, events with targets, power events.
void populate(SqliteStore& s) {
  ASSERT_TRUE(s.put(Json{{"_id", "SchemaVersion"}, {"value", 2}}));
  ASSERT_TRUE(s.put(Json{{"_id", "user//admin"}, {"type", "user"}, {"name", "admin"}, {"domain", ""},
                         {"siteadmin", 4294967295u}, {"creation", 1714550000}, {"salt", "s"}, {"hash", "h"},
                         {"links", {{kMesh1, {{"rights", 4294967295u}}}}}}));
  ASSERT_TRUE(s.put(Json{{"_id", "user//john.doe"}, {"type", "user"}, {"name", "john.doe"}, {"domain", ""},
                         {"realname", "Jöhn Dœ ✓"}}));
  ASSERT_TRUE(s.put(Json{{"_id", kMesh1}, {"type", "mesh"}, {"name", "Office"}, {"mtype", 2}, {"domain", ""},
                         {"links", {{"user//admin", {{"name", "admin"}, {"rights", 4294967295u}}},
                                    {"user//john.doe", {{"name", "john.doe"}, {"rights", 8}}}}}}));
  ASSERT_TRUE(s.put(Json{{"_id", kMesh2}, {"type", "mesh"}, {"name", "AMT"}, {"mtype", 1}, {"domain", ""}}));
  ASSERT_TRUE(s.put(Json{{"_id", kNode1}, {"type", "node"}, {"meshid", kMesh1}, {"domain", ""}, {"name", "pc"},
                         {"agent", {{"ver", 0}, {"id", 4}, {"caps", 15}}}, {"lat", 48.8566}}));
  ASSERT_TRUE(s.put(Json{{"_id", kAmtNode}, {"type", "node"}, {"meshid", kMesh2}, {"domain", ""},
                         {"intelamt", {{"user", "admin"}, {"pass", "x"}, {"tls", 1}, {"state", 2}, {"uuid", kAmtUuid}}}}));
  ASSERT_TRUE(s.put(Json{{"_id", "user/customer1/bob"}, {"type", "user"}, {"domain", "customer1"}}));
  ASSERT_TRUE(s.put(Json{{"_id", "lc" + kNode1}, {"type", "lastconnect"}, {"meshid", kMesh1}, {"time", 1714556000000}}));
  ASSERT_TRUE(s.add_event(Json{{"etype", "user"}, {"action", "login"}, {"userid", "user//admin"}, {"domain", ""},
                               {"ids", {"*", "user//admin"}}, {"time", 1714557600000}}));
  ASSERT_TRUE(s.add_event(Json{{"etype", "node"}, {"action", "addnode"}, {"nodeid", kNode1}, {"meshid", kMesh1},
                               {"domain", ""}, {"ids", {kMesh1}}, {"time", 1714557600001}, {"msgArgs", {"pc", "Office"}}}));
  ASSERT_TRUE(s.add_power_event(Json{{"time", 1714557000000}, {"nodeid", "*"}, {"power", 0}, {"s", 1}}));
  ASSERT_TRUE(s.add_power_event(Json{{"time", 1714557000500}, {"nodeid", kNode1}, {"power", 1}, {"oldPower", 0}}));
}

TEST(StoreExportImport, ExportIsAMeshCentralDocumentArray) {
  TempDir dir;
  auto s = open_ok(dir / "a.db");
  ASSERT_TRUE(s);
  populate(*s);
  const Json all = s->export_all(ExportOptions{}).value();
  ASSERT_TRUE(all.is_array());
  ASSERT_EQ(all.size(), 9u + 2u + 2u);
  // Main documents first, in id order, link keys escaped as MeshCentral's NeDB/MongoDB exports.
  EXPECT_EQ(all[0]["_id"], "SchemaVersion");
  const auto mesh = std::find_if(all.begin(), all.end(), [](const Json& d) { return d["_id"] == kMesh1; });
  ASSERT_NE(mesh, all.end());
  EXPECT_TRUE((*mesh)["links"].contains("user//john%2Edoe"));
  EXPECT_FALSE((*mesh)["links"].contains("user//john.doe"));
  // Then events and power events, typed, with JavaScript Date strings.
  EXPECT_EQ(all[9]["type"], "event");
  EXPECT_EQ(all[9]["time"], "2024-05-01T10:00:00.000Z");
  EXPECT_EQ(all[9]["ids"], (Json{"*", "user//admin"}));
  EXPECT_EQ(all[11]["type"], "power");
  EXPECT_EQ(all[11]["time"], "2024-05-01T09:50:00.000Z");
  EXPECT_EQ(all[12]["oldPower"], 0);
  // Without events and power: exactly what MeshCentral's --dbexport holds (its main collection).
  const Json strict = s->export_all(ExportOptions{false, false}).value();
  EXPECT_EQ(strict.size(), 9u);
  for (const auto& d : strict) EXPECT_TRUE(d.contains("_id"));
}

TEST(StoreExportImport, RoundTripReproducesEveryRecord) {
  TempDir dir;
  auto a = open_ok(dir / "a.db");
  ASSERT_TRUE(a);
  populate(*a);
  const Json exported = a->export_all(ExportOptions{}).value();

  // Through text, as a file would carry it.
  const Json reread = Json::parse(exported.dump());
  auto b = open_ok(dir / "b.db");
  ASSERT_TRUE(b);
  auto counts = b->import_all(reread, false);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->records, 9u);
  EXPECT_EQ(counts->events, 2u);
  EXPECT_EQ(counts->power, 2u);

  EXPECT_EQ(b->export_all(ExportOptions{}).value(), exported);
  for (const auto& id : {std::string("user//admin"), std::string("user//john.doe"), kMesh1, kMesh2, kNode1,
                         kAmtNode, std::string("SchemaVersion"), "lc" + kNode1, std::string("user/customer1/bob")}) {
    EXPECT_EQ(b->get(id).value(), a->get(id).value()) << id;
  }
  EXPECT_EQ(b->query_events(EventQuery{}).value(), a->query_events(EventQuery{}).value());
  EventQuery by_target;
  by_target.targets = {kMesh1};
  EXPECT_EQ(b->query_events(by_target).value().size(), 1u);
  PowerQuery pq;
  pq.nodeid = kNode1;
  EXPECT_EQ(b->query_power(pq).value(), a->query_power(pq).value());
  EXPECT_EQ(b->list_nodes_by_amt_uuid("", kAmtUuid).value().size(), 1u);
  EXPECT_EQ(b->list_nodes_by_mesh(kMesh1).value().size(), 1u);
}

TEST(StoreExportImport, RefusesANonEmptyDatabaseUnlessForced) {
  TempDir dir;
  auto a = open_ok(dir / "a.db");
  ASSERT_TRUE(a);
  populate(*a);
  const Json exported = a->export_all(ExportOptions{}).value();

  auto b = open_ok(dir / "b.db");
  ASSERT_TRUE(b);
  ASSERT_TRUE(b->put(Json{{"_id", "user//old"}, {"type", "user"}}));
  auto refused = b->import_all(exported, false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "not-empty");
  EXPECT_TRUE(b->get("user//old").value().has_value());
  EXPECT_FALSE(b->get("user//admin").value().has_value());

  // An event alone makes the database non-empty too.
  auto c = open_ok(dir / "c.db");
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->add_event(Json{{"etype", "user"}, {"domain", ""}}));
  EXPECT_EQ(c->import_all(exported, false).error().code, "not-empty");

  // Forced: everything is replaced.
  ASSERT_TRUE(b->import_all(exported, true));
  EXPECT_FALSE(b->get("user//old").value().has_value());
  EXPECT_EQ(b->export_all(ExportOptions{}).value(), exported);
}

TEST(StoreExportImport, InvalidInputIsRejectedWithNothingWritten) {
  TempDir dir;
  auto a = open_ok(dir / "a.db");
  ASSERT_TRUE(a);
  populate(*a);
  Json input = a->export_all(ExportOptions{}).value();
  for (int i = 0; i < 200; ++i) {
    input.push_back(Json{{"_id", "user//u" + std::to_string(i)}, {"type", "user"}, {"name", "u"}});
  }
  const Json bad_last[] = {
      Json{{"_id", "node//x"}, {"type", "node"}, {"meshid", "not-a-mesh-id"}},
      Json{{"type", "user"}, {"name", "no id"}},
      Json{{"_id", "user//u5"}, {"type", "user"}},  // duplicate
      Json{{"_id", "mesh/x"}, {"type", "mesh"}},
      Json{{"type", "event"}, {"etype", "user"}, {"time", "not a date"}},
      Json("a string"),
  };
  auto b = open_ok(dir / "b.db");
  ASSERT_TRUE(b);
  for (const auto& bad : bad_last) {
    Json with_bad = input;
    with_bad.push_back(bad);
    auto r = b->import_all(with_bad, false);
    ASSERT_FALSE(r) << bad.dump();
    EXPECT_EQ(r.error().code, "bad-record");
    EXPECT_NE(r.error().message.find("element #" + std::to_string(input.size())), std::string::npos)
        << r.error().message;
    EXPECT_EQ(b->export_all(ExportOptions{}).value(), Json::array());
  }
  EXPECT_EQ(b->import_all(Json::object(), false).error().code, "bad-record");

  // Forced over existing content: the old content survives a rejected import.
  ASSERT_TRUE(b->put(Json{{"_id", "user//keep"}, {"type", "user"}}));
  Json with_bad = input;
  with_bad.push_back(bad_last[0]);
  ASSERT_FALSE(b->import_all(with_bad, true));
  EXPECT_TRUE(b->get("user//keep").value().has_value());
  EXPECT_EQ(b->count("user", std::nullopt).value(), 1);
}

TEST(StoreExportImport, ImportsAMeshCentralExport) {
  std::ifstream in(std::string(MW_TEST_DATA) + "/meshcentral/export-sample.json");
  ASSERT_TRUE(in) << "tests/data/meshcentral/export-sample.json";
  std::stringstream text;
  text << in.rdbuf();
  const Json sample = Json::parse(text.str(), nullptr, false);
  ASSERT_FALSE(sample.is_discarded());

  TempDir dir;
  auto s = open_ok(dir / "db");
  ASSERT_TRUE(s);
  auto counts = s->import_all(sample, false);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->records, 11u);
  EXPECT_EQ(counts->events, 3u);
  EXPECT_EQ(counts->power, 3u);

  EXPECT_EQ(s->count("user", std::string_view("")).value(), 2);
  EXPECT_EQ(s->count("mesh", std::string_view("")).value(), 2);
  EXPECT_EQ(s->count("node", std::string_view("")).value(), 3);
  EXPECT_EQ(s->get("SchemaVersion").value().value()["value"], 2);
  EXPECT_EQ(s->list_nodes_by_mesh(kMesh1).value().size(), 2u);
  const auto amt = s->list_nodes_by_amt_uuid("", kAmtUuid).value();
  ASSERT_EQ(amt.size(), 1u);
  EXPECT_EQ(amt[0]["_id"], kAmtNode);
  EXPECT_EQ(amt[0]["intelamt"]["state"], 2);
  EXPECT_EQ(amt[0]["intelamt"]["tls"], 1);
  // The escaped link key of the dotted user name is read back as the user's id.
  const auto mesh = s->get(kMesh1).value().value();
  EXPECT_TRUE(mesh["links"].contains("user//john.doe"));
  EXPECT_EQ(mesh["links"]["user//john.doe"]["rights"], 8);
  EXPECT_EQ(s->get("user//admin").value().value()["siteadmin"], 4294967295u);

  EventQuery q;
  const auto events = s->query_events(q).value();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]["action"], "login");
  EXPECT_EQ(events[0]["time"], "2024-05-01T09:50:00.000Z");
  q.nodeid = kNode1;
  EXPECT_EQ(s->query_events(q).value().size(), 1u);
  PowerQuery pq;
  pq.nodeid = kAmtNode;
  const auto power = s->query_power(pq).value();
  ASSERT_EQ(power.size(), 2u);  // the server-start marker and the device's state
  EXPECT_EQ(power[0]["s"], 1);
  EXPECT_EQ(power[1]["power"], 7);

  // Exporting gives the same documents back (MeshCentral's escaping included).
  Json back = s->export_all(ExportOptions{}).value();
  Json expected = sample;
  const auto by_id = [](const Json& x, const Json& y) { return x.dump() < y.dump(); };
  std::sort(back.begin(), back.end(), by_id);
  std::sort(expected.begin(), expected.end(), by_id);
  EXPECT_EQ(back, expected);
}

}  // namespace
