// Events and power events in the SQLite store: times in and out, filters, ordering, limits,
// dispatch targets, retention.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/records.hpp"
#include "store/sqlite_store.hpp"
#include "temp_dir.hpp"

namespace {

using mw::server::store::EventQuery;
using mw::server::store::Json;
using mw::server::store::PowerQuery;
using mw::server::store::SqliteStore;
using mw::server::store::testing::TempDir;
namespace st = mw::server::store;

constexpr std::int64_t kT0 = 1714557600000;  // 2024-05-01T10:00:00.000Z
constexpr std::int64_t kDay = 86400000;

class StoreEvents : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteStore::open(dir_ / "db");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(s).value();
  }
  Json event(std::int64_t t, const std::string& action, const std::string& domain = "") {
    return {{"etype", "node"}, {"action", action}, {"msg", "m " + action}, {"domain", domain}, {"time", t}};
  }
  std::vector<std::string> actions(const EventQuery& q) {
    auto r = store_->query_events(q);
    EXPECT_TRUE(r) << r.error().message;
    std::vector<std::string> out;
    if (r) {
      for (const auto& e : *r) out.push_back(e["action"]);
    }
    return out;
  }
  std::int64_t raw_count(const std::string& table) {
    sqlite3* db = nullptr;
    sqlite3_open((dir_ / "db").c_str(), &db);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, ("SELECT count(*) FROM " + table).c_str(), -1, &s, nullptr);
    sqlite3_step(s);
    const auto n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
  }
  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(StoreEvents, NewestFirstWithLimitAndTimesAsMeshCentralShowsThem) {
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(store_->add_event(event(kT0 + i * 1000, "a" + std::to_string(i))));
  EventQuery q;
  q.limit = 3;
  EXPECT_EQ(actions(q), (std::vector<std::string>{"a9", "a8", "a7"}));
  q.limit = 0;
  EXPECT_EQ(actions(q).size(), 10u);
  auto all = store_->query_events(q).value();
  EXPECT_EQ(all.back()["time"], "2024-05-01T10:00:00.000Z");
  EXPECT_EQ(all.front()["time"], "2024-05-01T10:00:09.000Z");
  EXPECT_EQ(all.front()["msg"], "m a9");
  EXPECT_FALSE(all.front().contains("type"));
  // Same millisecond: the later insert comes first.
  ASSERT_TRUE(store_->add_event(event(kT0 + 9000, "b")));
  q.limit = 1;
  EXPECT_EQ(actions(q), std::vector<std::string>{"b"});
  q.limit = -1;
  EXPECT_EQ(store_->query_events(q).error().code, "bad-argument");
}

TEST_F(StoreEvents, TimeRangeIsInclusive) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store_->add_event(event(kT0 + i, "a" + std::to_string(i))));
  EventQuery q;
  q.from_ms = kT0 + 1;
  q.to_ms = kT0 + 3;
  EXPECT_EQ(actions(q), (std::vector<std::string>{"a3", "a2", "a1"}));
  q.from_ms = kT0 + 10;
  q.to_ms = std::nullopt;
  EXPECT_TRUE(actions(q).empty());
}

TEST_F(StoreEvents, FiltersByDomainUserNodeMeshAndTargets) {
  auto e1 = event(kT0, "login");
  e1["userid"] = "user//admin";
  e1["ids"] = {"*", "user//admin", "server-users"};
  auto e2 = event(kT0 + 1, "addnode");
  e2["userid"] = "user//admin";
  e2["nodeid"] = "node//n1";
  e2["meshid"] = "mesh//m1";
  e2["ids"] = {"mesh//m1", "*"};
  auto e3 = event(kT0 + 2, "nodeconnect");
  e3["nodeid"] = "node//n2";
  e3["meshid"] = "mesh//m2";
  e3["ids"] = {"mesh//m2", "node//n2"};
  auto e4 = event(kT0 + 3, "login", "customer1");
  e4["userid"] = "user/customer1/bob";
  for (const auto& e : {e1, e2, e3, e4}) ASSERT_TRUE(store_->add_event(e));

  EventQuery q;
  EXPECT_EQ(actions(q), (std::vector<std::string>{"nodeconnect", "addnode", "login"}));
  q.domain = "customer1";
  EXPECT_EQ(actions(q), std::vector<std::string>{"login"});
  q = EventQuery{};
  q.userid = "user//admin";
  EXPECT_EQ(actions(q), (std::vector<std::string>{"addnode", "login"}));
  q.nodeid = "node//n1";
  EXPECT_EQ(actions(q), std::vector<std::string>{"addnode"});
  q = EventQuery{};
  q.meshid = "mesh//m2";
  EXPECT_EQ(actions(q), std::vector<std::string>{"nodeconnect"});
  q = EventQuery{};
  q.targets = {"mesh//m1", "node//n2"};
  EXPECT_EQ(actions(q), (std::vector<std::string>{"nodeconnect", "addnode"}));
  q.targets = {"server-users"};
  EXPECT_EQ(actions(q), std::vector<std::string>{"login"});
  // The stored document keeps its ids as given.
  q.limit = 1;
  EXPECT_EQ(store_->query_events(q).value()[0]["ids"], e1["ids"]);
}

TEST_F(StoreEvents, AcceptsTimeAsNumberIsoOrNow) {
  auto iso = event(0, "iso");
  iso["time"] = "2024-05-01T12:00:00.500+02:00";
  ASSERT_TRUE(store_->add_event(iso));
  auto none = event(0, "now");
  none.erase("time");
  const auto before = st::now_ms();
  ASSERT_TRUE(store_->add_event(none));
  const auto events = store_->query_events(EventQuery{}).value();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["time"], "2024-05-01T10:00:00.500Z");
  const auto now_time = st::parse_time(events[0]["time"]);
  ASSERT_TRUE(now_time);
  EXPECT_GE(*now_time, before);
  EXPECT_LE(*now_time, st::now_ms());
}

TEST_F(StoreEvents, RejectsMalformedEvents) {
  for (const Json& e : {Json{{"etype", "x"}, {"time", "soon"}}, Json{{"etype", "x"}, {"ids", "user//a"}},
                        Json{{"etype", "x"}, {"nodeid", 12}}, Json{{"etype", "x"}, {"type", "node"}}, Json(3)}) {
    auto r = store_->add_event(e);
    ASSERT_FALSE(r) << e.dump();
    EXPECT_EQ(r.error().code, "bad-record");
  }
  EXPECT_EQ(raw_count("events"), 0);
}

TEST_F(StoreEvents, RetentionDeletesOlderEventsAndTheirTargets) {
  const std::int64_t now = kT0 + 100 * kDay;
  for (const int age : {30, 21, 19, 1}) {
    auto e = event(now - age * kDay, "age" + std::to_string(age));
    e["ids"] = {"user//admin"};
    ASSERT_TRUE(store_->add_event(e));
  }
  EXPECT_EQ(raw_count("event_targets"), 4);
  auto n = store_->expire_events(20, now);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(actions(EventQuery{}), (std::vector<std::string>{"age1", "age19"}));
  EXPECT_EQ(raw_count("event_targets"), 2);  // removed with their events
  EXPECT_EQ(store_->expire_events(20, now).value(), 0);
  EXPECT_EQ(store_->expire_events(-1, now).error().code, "bad-argument");
}

TEST_F(StoreEvents, PowerTimelinePerNodeWithServerMarkers) {
  const auto add = [&](std::int64_t t, const std::string& nodeid, int power) {
    Json p = {{"time", t}, {"nodeid", nodeid}, {"power", power}};
    if (nodeid == "*") p["s"] = 1;
    else p["oldPower"] = 0;
    ASSERT_TRUE(store_->add_power_event(p));
  };
  add(kT0, "*", 0);
  add(kT0 + 10, "node//a", 1);
  add(kT0 + 20, "node//b", 1);
  add(kT0 + 30, "node//a", 6);
  add(kT0 + 40, "*", 0);

  PowerQuery q;
  q.nodeid = "node//a";
  auto tl = store_->query_power(q).value();
  ASSERT_EQ(tl.size(), 4u);  // oldest first, with both server markers
  EXPECT_EQ(tl[0]["nodeid"], "*");
  EXPECT_EQ(tl[0]["s"], 1);
  EXPECT_EQ(tl[0]["time"], "2024-05-01T10:00:00.000Z");
  EXPECT_EQ(tl[1]["power"], 1);
  EXPECT_EQ(tl[1]["oldPower"], 0);
  EXPECT_EQ(tl[2]["power"], 6);
  q.include_server_markers = false;
  EXPECT_EQ(store_->query_power(q).value().size(), 2u);
  q.from_ms = kT0 + 15;
  q.to_ms = kT0 + 30;
  tl = store_->query_power(q).value();
  ASSERT_EQ(tl.size(), 1u);
  EXPECT_EQ(tl[0]["power"], 6);

  EXPECT_EQ(store_->add_power_event(Json{{"power", 1}}).error().code, "bad-record");
}

TEST_F(StoreEvents, PowerRetention) {
  const std::int64_t now = kT0 + 50 * kDay;
  for (const int age : {11, 9, 0}) {
    ASSERT_TRUE(store_->add_power_event(Json{{"time", now - age * kDay}, {"nodeid", "node//a"}, {"power", age}}));
  }
  EXPECT_EQ(store_->expire_power_events(10, now).value(), 1);
  PowerQuery q;
  q.nodeid = "node//a";
  const auto left = store_->query_power(q).value();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0]["power"], 9);
}

}  // namespace
