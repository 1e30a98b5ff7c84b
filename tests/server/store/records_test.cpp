// Record rules shared by the store backends: MeshCentral ids, which documents are accepted and
// the columns derived from them, times as MeshCentral writes them, link-key escaping, and the
// validation of a whole import.
#include <gtest/gtest.h>

#include "store/records.hpp"

namespace {

using mw::server::store::Json;
namespace st = mw::server::store;

TEST(StoreRecords, ParsesMeshCentralIds) {
  auto u = st::parse_record_id("user//admin");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->type, "user");
  EXPECT_EQ(u->domain, "");
  EXPECT_EQ(u->value, "admin");
  auto n = st::parse_record_id("node/customer1/Uk@x$y");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->domain, "customer1");
  EXPECT_EQ(n->value, "Uk@x$y");
  for (const char* bad : {"", "user", "user/admin", "/x/y", "user//", "user//a\nb"}) {
    EXPECT_FALSE(st::parse_record_id(bad)) << bad;
  }
}

TEST(StoreRecords, TimesAreWrittenAsJavaScriptDatesAndReadInBothForms) {
  EXPECT_EQ(st::format_time(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(st::format_time(1714557600123), "2024-05-01T10:00:00.123Z");
  EXPECT_EQ(st::format_time(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(st::parse_time(Json("2024-05-01T10:00:00.123Z")), 1714557600123);
  EXPECT_EQ(st::parse_time(Json("2024-05-01T12:00:00.123+02:00")), 1714557600123);
  EXPECT_EQ(st::parse_time(Json("2024-05-01T10:00:00Z")), 1714557600000);
  EXPECT_EQ(st::parse_time(Json("2024-05-01T10:00:00.1234567Z")), 1714557600123);
  EXPECT_EQ(st::parse_time(Json(1714557600123)), 1714557600123);
  EXPECT_EQ(st::parse_time(Json(1714557600123.9)), 1714557600123);
  EXPECT_FALSE(st::parse_time(Json("2024-05-01T10:00:00")));  // no zone: JavaScript would guess local
  EXPECT_FALSE(st::parse_time(Json("2024-02-30T10:00:00Z")));
  EXPECT_FALSE(st::parse_time(Json("yesterday")));
  EXPECT_FALSE(st::parse_time(Json::object()));
  for (const std::int64_t ms : {0LL, 1LL, 951782400000LL, 1714557600123LL, 4102444800999LL}) {
    EXPECT_EQ(st::parse_time(Json(st::format_time(ms))), ms);
  }
}

TEST(StoreRecords, MainDocumentRulesAndDerivedColumns) {
  auto node = st::check_main(Json{{"_id", "node//abc"}, {"type", "node"}, {"meshid", "mesh//m1"},
                                  {"intelamt", {{"uuid", "4c4c4544-0035"}}}});
  ASSERT_TRUE(node) << node.error().message;
  EXPECT_EQ(node->domain, "");
  EXPECT_EQ(node->meshid, "mesh//m1");
  EXPECT_EQ(node->amtuuid, "4c4c4544-0035");

  auto keyed = st::check_main(Json{{"_id", "SchemaVersion"}, {"value", 2}});
  ASSERT_TRUE(keyed);
  EXPECT_FALSE(keyed->type);

  auto opaque = st::check_main(Json{{"_id", "ntnode//abc"}, {"type", "note"}, {"value", "x"}});
  ASSERT_TRUE(opaque);
  EXPECT_EQ(opaque->type, "note");

  const Json bad[] = {
      Json::array(),
      Json{{"type", "user"}},                                                 // no _id
      Json{{"_id", 5}, {"type", "user"}},                                     // _id not a string
      Json{{"_id", "user//x"}},                                               // slash id, no type
      Json{{"_id", "user//x"}, {"type", "mesh"}},                             // id of another type
      Json{{"_id", "user/x"}, {"type", "user"}},                              // malformed id
      Json{{"_id", "user/d1/x"}, {"type", "user"}, {"domain", "d2"}},         // domain mismatch
      Json{{"_id", "node//x"}, {"type", "node"}},                             // no meshid
      Json{{"_id", "node//x"}, {"type", "node"}, {"meshid", "mesh/d1/m"}},    // group in another domain
      Json{{"_id", "x1"}, {"type", "event"}},                                 // events have their table
      Json{{"_id", "x1"}, {"type", ""}},
  };
  for (const auto& doc : bad) {
    auto r = st::check_main(doc);
    ASSERT_FALSE(r) << doc.dump();
    EXPECT_EQ(r.error().code, "bad-record");
  }
}

TEST(StoreRecords, EventAndPowerChecks) {
  auto ev = st::check_event(Json{{"etype", "user"}, {"action", "login"}, {"domain", ""},
                                 {"userid", "user//a"}, {"ids", {"*", "user//a", "user//a"}},
                                 {"time", "2024-05-01T10:00:00.000Z"}, {"type", "event"}},
                            std::nullopt);
  ASSERT_TRUE(ev) << ev.error().message;
  EXPECT_EQ(ev->time_ms, 1714557600000);
  EXPECT_EQ(ev->targets, std::vector<std::string>{"user//a"});
  EXPECT_FALSE(ev->doc.contains("time"));
  EXPECT_FALSE(ev->doc.contains("type"));

  auto now = st::check_event(Json{{"etype", "user"}}, 42);
  ASSERT_TRUE(now);
  EXPECT_EQ(now->time_ms, 42);
  EXPECT_FALSE(st::check_event(Json{{"etype", "user"}}, std::nullopt));  // imports need a time
  EXPECT_FALSE(st::check_event(Json{{"ids", "user//a"}}, 1));
  EXPECT_FALSE(st::check_event(Json{{"userid", 7}}, 1));
  EXPECT_FALSE(st::check_event(Json{{"type", "node"}}, 1));

  auto pw = st::check_power(Json{{"nodeid", "*"}, {"power", 0}, {"s", 1}, {"time", 5}}, std::nullopt);
  ASSERT_TRUE(pw);
  EXPECT_EQ(pw->nodeid, "*");
  EXPECT_EQ(pw->time_ms, 5);
  EXPECT_FALSE(st::check_power(Json{{"power", 1}}, 1));
  EXPECT_FALSE(st::check_power(Json{{"nodeid", "node//a"}, {"power", "on"}}, 1));
}

TEST(StoreRecords, LinkKeysAreEscapedLikeMeshCentralAndBack) {
  const Json doc = {{"_id", "mesh//m"},
                    {"type", "mesh"},
                    {"links", {{"user//john.doe", {{"rights", 8}}}, {"user//a%b$c,d", {{"rights", 1}}}}},
                    {"name", "a.b"}};
  const Json esc = st::escape_link_keys(doc);
  EXPECT_TRUE(esc["links"].contains("user//john%2Edoe"));
  EXPECT_TRUE(esc["links"].contains("user//a%25b%24c%2Cd"));
  EXPECT_EQ(esc["name"], "a.b");  // only link keys
  EXPECT_EQ(st::unescape_link_keys(esc), doc);
  // A literal "%2E" in a key survives the round trip (escaped as %252E).
  const Json odd = {{"links", {{"user//x%2Ey", 1}}}};
  EXPECT_EQ(st::unescape_link_keys(st::escape_link_keys(odd)), odd);
}

TEST(StoreRecords, ImportPlanRoutesAndRejectsWithTheElementNamed) {
  const Json input = Json::array({
      {{"_id", "user//a"}, {"type", "user"}, {"links", {{"mesh//m", {{"rights", 1}}}}}},
      {{"_id", "mesh//m"}, {"type", "mesh"}, {"links", {{"user//a%2Eb", {{"rights", 1}}}}}},
      {{"type", "event"}, {"etype", "user"}, {"time", "2024-05-01T10:00:00.000Z"}, {"domain", ""}},
      {{"type", "power"}, {"nodeid", "*"}, {"power", 0}, {"time", 1}},
  });
  auto plan = st::plan_import(input);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->records.size(), 2u);
  EXPECT_EQ(plan->events.size(), 1u);
  EXPECT_EQ(plan->power.size(), 1u);
  EXPECT_TRUE(plan->records[1].second["links"].contains("user//a.b"));

  auto obj = st::plan_import(Json::object());
  ASSERT_FALSE(obj);
  EXPECT_NE(obj.error().message.find("JSON array"), std::string::npos);

  Json dup = input;
  dup.push_back({{"_id", "user//a"}, {"type", "user"}});
  auto d = st::plan_import(dup);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("element #4"), std::string::npos) << d.error().message;
  EXPECT_NE(d.error().message.find("duplicate"), std::string::npos);

  Json bad_event = input;
  bad_event.push_back({{"type", "event"}, {"etype", "user"}});  // no time
  auto b = st::plan_import(bad_event);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("element #4"), std::string::npos);
}

}  // namespace
