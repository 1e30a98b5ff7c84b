// The accounts service pieces that need no server: login throttle, session cookies (expiry,
// logout, domain), cookie header parsing and form decoding.
#include <gtest/gtest.h>

#include "accounts/login_routes.hpp"
#include "accounts/service.hpp"
#include "store/sqlite_store.hpp"
#include "../store/temp_dir.hpp"

namespace mw::server::accounts {
namespace {

using Clock = Throttle::Clock;

TEST(Throttle, FreeFailuresThenDoublingWaitsThenForgets) {
  Throttle t(Throttle::Limits{3, std::chrono::seconds(2), std::chrono::seconds(10), std::chrono::minutes(15), 100});
  const auto now = Clock::now();
  for (int i = 0; i < 3; ++i) t.failure("ip:1", now);
  EXPECT_EQ(t.wait_seconds("ip:1", now), 0);
  t.failure("ip:1", now);
  EXPECT_EQ(t.wait_seconds("ip:1", now), 2);
  t.failure("ip:1", now);
  EXPECT_EQ(t.wait_seconds("ip:1", now), 4);
  for (int i = 0; i < 10; ++i) t.failure("ip:1", now);
  EXPECT_EQ(t.wait_seconds("ip:1", now), 10);  // capped
  EXPECT_EQ(t.wait_seconds("ip:1", now + std::chrono::seconds(11)), 0);
  EXPECT_EQ(t.wait_seconds("ip:2", now), 0);  // per key
  t.success("ip:1");
  EXPECT_EQ(t.wait_seconds("ip:1", now), 0);
}

TEST(Throttle, MemoryIsBounded) {
  Throttle t(Throttle::Limits{0, std::chrono::seconds(1), std::chrono::seconds(1), std::chrono::minutes(1), 50});
  const auto now = Clock::now();
  for (int i = 0; i < 1000; ++i) t.failure("k" + std::to_string(i), now + std::chrono::milliseconds(i));
  int remembered = 0;
  for (int i = 0; i < 1000; ++i) remembered += t.wait_seconds("k" + std::to_string(i), now + std::chrono::milliseconds(i)) > 0;
  EXPECT_LE(remembered, 50);
  EXPECT_GT(t.wait_seconds("k999", now + std::chrono::milliseconds(999)), 0);  // the newest kept
}

TEST(Sessions, CookieNamesUserAndDomainUntilLogout) {
  store::testing::TempDir dir;
  auto opened = store::SqliteStore::open(dir / "s.db");
  ASSERT_TRUE(opened);
  std::shared_ptr<store::Store> db(std::move(opened.value()));
  store::AsyncStore async(db);
  Settings s;
  s.domains.push_back(DomainSettings{});
  Service svc(s, async, "");
  const std::string c = svc.make_session("user//alice", "");
  EXPECT_EQ(svc.session_user(c, "").value_or(""), "user//alice");
  EXPECT_FALSE(svc.session_user(c, "other"));  // another tenant's cookie opens nothing
  EXPECT_FALSE(svc.session_user(c.substr(0, c.size() - 4) + "AAA=", ""));  // tampered
  // Another server (another random SessionKey) does not accept it.
  Service other(s, async, "");
  EXPECT_FALSE(other.session_user(c, ""));
  // With the same SessionKey a restarted server does.
  Service keyed1(s, async, "k3y"), keyed2(s, async, "k3y");
  EXPECT_TRUE(keyed2.session_user(keyed1.make_session("user//alice", ""), ""));
  const std::string c2 = svc.make_session("user//alice", "");
  svc.logout(c);
  EXPECT_FALSE(svc.session_user(c, ""));
  EXPECT_TRUE(svc.session_user(c2, ""));  // only that session ended
}

TEST(Sessions, CookieHeaderAndFormParsing) {
  EXPECT_EQ(cookie_value("a=1; xid=abc@$=; b=2", "xid"), "abc@$=");
  EXPECT_EQ(cookie_value("xidx=1; xid=2", "xid"), "2");
  EXPECT_EQ(cookie_value("", "xid"), "");
  EXPECT_EQ(form_field("username=J%C3%BCrgen+M&password=a%26b%3Dc", "username"), "J\xC3\xBCrgen M");
  EXPECT_EQ(form_field("username=J%C3%BCrgen+M&password=a%26b%3Dc", "password"), "a&b=c");
  EXPECT_EQ(form_field("password=%zz%4", "password"), "%zz%4");
}

}  // namespace
}  // namespace mw::server::accounts
