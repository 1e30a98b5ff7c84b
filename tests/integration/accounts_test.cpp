// Accounts through a real server: account creation policy on the login page, login throttling,
// session expiry and logout, login tokens (valid, expired, forged, wrong key, removed user,
// disabled), NoUsers mode, live events reaching exactly the sessions that may see them, and
// locked or removed accounts losing their open channels.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "auth/cookie.hpp"
#include "fixture.hpp"
#include "mw/util/hex.hpp"
#include "mw/util/sha256.hpp"

namespace {

using namespace mw::test;
using nlohmann::json;
namespace http = boost::beast::http;

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

ClientOptions form(const Fixture& f, const std::string& body) { return f.form(body); }

std::string session_of(const Response& r) {
  const std::string c(r[http::field::set_cookie]);
  return c.substr(0, c.find(';'));
}

bool shows_app(const Response& r) { return r.result_int() == 200 && r.body().find("<canvas id=c>") != std::string::npos; }

TEST(Accounts, FirstAccountFromTheLoginPageThenClosedUnlessNewAccounts) {
  Fixture f;
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  const int port = server.https_port();
  // No account yet: the page offers to create one, and the first becomes administrator.
  EXPECT_NE(https_request(port, "/", f.verifying()).body().find("id=\"create\""), std::string::npos);
  const auto mismatch = https_request(port, "/createaccount", form(f, "username=root&password1=Root-pass1&password2=Other"));
  EXPECT_EQ(mismatch.result_int(), 400);
  EXPECT_NE(mismatch.body().find("The two passwords differ."), std::string::npos);
  const auto weak = https_request(port, "/createaccount", form(f, "username=root&password1=abc&password2=abc"));
  EXPECT_NE(weak.body().find("The password needs at least 8 characters."), std::string::npos);
  const auto made = https_request(port, "/createaccount", form(f, "username=root&password1=Root-pass1&password2=Root-pass1"));
  ASSERT_EQ(made.result_int(), 303) << made.body();
  auto o = f.verifying();
  o.headers = {{"Cookie", session_of(made)}};
  EXPECT_TRUE(shows_app(https_request(port, "/", o)));
  // Now the domain has an account and NewAccounts is off: no more self-service accounts.
  EXPECT_EQ(https_request(port, "/", f.verifying()).body().find("id=\"create\""), std::string::npos);
  const auto refused = https_request(port, "/createaccount", form(f, "username=x&password1=Xx-pass123&password2=Xx-pass123"));
  EXPECT_EQ(refused.result_int(), 400);
  EXPECT_NE(refused.body().find("New accounts are not allowed here"), std::string::npos);
  // A failed login keeps the (escaped) user name in the form.
  const auto failed = https_request(port, "/login", form(f, "username=%3Cb%3Eroot&password=wrong"));
  EXPECT_EQ(failed.result_int(), 401);
  EXPECT_NE(failed.body().find("value=\"&lt;b&gt;root\""), std::string::npos);
  // A form posted from another site is refused outright.
  auto cross = form(f, "username=root&password=Root-pass1");
  cross.headers.push_back({"Sec-Fetch-Site", "cross-site"});
  EXPECT_EQ(https_request(port, "/login", cross).result_int(), 403);
  server.stop(SIGTERM);
  auto [code, out] = f.run({"--showusers"});
  EXPECT_NE(out.find("\"siteadmin\": 4294967295"), std::string::npos) << out;
}

TEST(Accounts, NewAccountsLetsAnyoneCreateAnOrdinaryAccount) {
  Fixture f;
  f.write_config(R"({"domains": {"": {"NewAccounts": true, "PasswordRequirements": {"min": 10, "numeric": 2}}}})");
  f.create_account("admin", "Admin-pass12");
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  const auto page = https_request(server.https_port(), "/", f.verifying()).body();
  EXPECT_NE(page.find("Password: at least 10 characters, 2 digit(s)."), std::string::npos);
  const auto weak = https_request(server.https_port(), "/createaccount", form(f, "username=zed&password1=Zed-pass1xx&password2=Zed-pass1xx"));
  EXPECT_NE(weak.body().find("The password needs at least 2 digits."), std::string::npos);
  EXPECT_EQ(https_request(server.https_port(), "/createaccount", form(f, "username=zed&password1=Zed-pass12x&password2=Zed-pass12x")).result_int(), 303);
  server.stop(SIGTERM);
  auto [code, out] = f.run({"--showusers"});
  const auto users = json::parse(out.substr(out.find('[')));
  ASSERT_EQ(users.size(), 2u);
  for (const auto& u : users) {
    if (u["_id"] == "user//zed") {
      EXPECT_FALSE(u.contains("siteadmin"));
    }
  }
}

TEST(Accounts, FailedLoginsAreThrottledWithAClearMessage) {
  Fixture f;
  f.create_account("admin", "Admin-pass1");
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  const int port = server.https_port();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(https_request(port, "/login", form(f, "username=admin&password=bad")).result_int(), 401);
  }
  EXPECT_EQ(https_request(port, "/login", form(f, "username=admin&password=bad")).result_int(), 401);  // the 6th starts the wait
  const auto blocked = https_request(port, "/login", form(f, "username=admin&password=Admin-pass1"));
  EXPECT_EQ(blocked.result_int(), 429);
  EXPECT_FALSE(blocked[http::field::retry_after].empty());
  EXPECT_NE(blocked.body().find("Too many failed logins. Try again in "), std::string::npos);
  EXPECT_TRUE(blocked[http::field::set_cookie].empty());
  // The control channel obeys the same throttle.
  auto o = f.verifying();
  o.headers = {meshauth("admin", "Admin-pass1")};
  const auto refused = json::parse(wss_read(port, "/control.ashx", 1, o).at(0));
  EXPECT_EQ(refused["cause"], "noauth");
  EXPECT_NE(refused["reason"].get<std::string>().find("Try again in"), std::string::npos);
  // Passwords never reach the log.
  EXPECT_EQ(server.output().find("Admin-pass1"), std::string::npos);
}

TEST(Accounts, SessionsExpireAndEndAtLogout) {
  Fixture f;
  f.write_config(R"({"settings": {"SessionKey": "test-session-key", "SessionTime": 1}})");
  f.create_account("admin", "Admin-pass1");
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  const int port = server.https_port();
  // Cookies made with the server's key: one fresh, one older than SessionTime.
  const auto key = mw::util::sha256(std::string("test-session-key"));
  auto cookie = [&](std::int64_t at) {
    return "xid=" + mw::server::auth::encode_cookie({{"u", "user//admin"}, {"d", ""}, {"a", "session"}, {"sid", "t" + std::to_string(at)}}, key, at);
  };
  auto with = [&](const std::string& c) {
    auto o = f.verifying();
    o.headers = {{"Cookie", c}};
    return o;
  };
  EXPECT_TRUE(shows_app(https_request(port, "/", with(cookie(now_s())))));
  EXPECT_FALSE(shows_app(https_request(port, "/", with(cookie(now_s() - 120)))));
  // A login token is not a session cookie, even under the same key.
  EXPECT_FALSE(shows_app(https_request(port, "/", with("xid=" + mw::server::auth::encode_cookie({{"u", "user//admin"}, {"a", 3}}, key, now_s())))));
  const auto logged = https_request(port, "/login", form(f, "username=admin&password=Admin-pass1"));
  ASSERT_EQ(logged.result_int(), 303);
  EXPECT_NE(std::string(logged[http::field::set_cookie]).find("; HttpOnly; Secure; SameSite=Strict"), std::string::npos);
  EXPECT_NE(std::string(logged[http::field::set_cookie]).find("Max-Age=60"), std::string::npos);
  const std::string s = session_of(logged);
  EXPECT_TRUE(shows_app(https_request(port, "/", with(s))));
  auto cc = f.verifying();
  cc.headers = {{"Cookie", s}};
  EXPECT_EQ(json::parse(wss_read(port, "/control.ashx", 1, cc).at(0))["action"], "serverinfo");
  const auto out = https_request(port, "/logout", with(s));
  EXPECT_EQ(out.result_int(), 303);
  EXPECT_NE(std::string(out[http::field::set_cookie]).find("Max-Age=0"), std::string::npos);
  EXPECT_FALSE(shows_app(https_request(port, "/", with(s))));
  EXPECT_EQ(json::parse(wss_read(port, "/control.ashx", 1, cc).at(0))["action"], "close");
  // A logout outlives a restart with the same SessionKey; other sessions carry on.
  const auto again = https_request(port, "/login", form(f, "username=admin&password=Admin-pass1"));
  ASSERT_EQ(again.result_int(), 303);
  const std::string s2 = session_of(again);
  EXPECT_EQ(server.stop(), 0) << server.output();
  ServerProcess restarted(f.args());
  ASSERT_TRUE(restarted.running()) << restarted.output();
  EXPECT_FALSE(shows_app(https_request(restarted.https_port(), "/", with(s))));
  EXPECT_TRUE(shows_app(https_request(restarted.https_port(), "/", with(s2))));
}

TEST(Accounts, LoginTokens) {
  Fixture f;
  f.write_config(R"({"settings": {"AllowLoginToken": true}, "domains": {"": {}, "notokens": {"AllowLoginToken": false}}})");
  f.create_account("admin", "Admin-pass1");
  f.create_account("temp", "Temp-pass123");
  f.create_account("admin", "Admin-pass1", "notokens");
  auto [kc, kout] = f.run({"--logintokenkey"});
  ASSERT_EQ(kc, 0) << kout;
  const auto key = mw::util::hex_decode(kout.substr(kout.size() - 161, 160)).value();
  auto [tc, tout] = f.run({"--logintoken", "user//admin"});
  ASSERT_EQ(tc, 0) << tout;
  const std::string printed = tout.substr(0, tout.find('\n'));
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  const int port = server.https_port();
  auto get = [&](const std::string& target) { return https_request(port, target, f.verifying()); };
  auto tok = [&](const std::string& user, std::int64_t at, const std::vector<std::uint8_t>& k) {
    return mw::server::auth::encode_cookie({{"u", user}, {"a", 3}}, k, at);
  };
  // Valid: the printed one and one minted elsewhere with the key alone (docs/login-tokens.md).
  const auto ok = get("/?login=" + printed);
  EXPECT_TRUE(shows_app(ok));
  const std::string set = std::string(ok[http::field::set_cookie]);
  ASSERT_NE(set.find("xid="), std::string::npos);
  // A token page may be framed on another site, where no cookie is sent: it carries its session
  // for the app's WebSockets (?auth=), HTML-escaped.
  const std::string xid = set.substr(4, set.find(';') - 4);
  std::string escaped;
  for (const char c : xid) escaped += c == '&' ? std::string("&amp;") : std::string(1, c);
  EXPECT_NE(ok.body().find("<meta name=\"mw-auth\" content=\"" + escaped + "\">"), std::string::npos);
  EXPECT_EQ(ok[http::field::x_frame_options], "DENY");  // AllowFraming is off here
  EXPECT_TRUE(shows_app(get("/?login=" + tok("user//admin", now_s(), key))));
  // Expired, forged, another key, removed user.
  EXPECT_EQ(get("/?login=" + tok("user//admin", now_s() - 3700, key)).result_int(), 401);
  std::string forged = tok("user//admin", now_s(), key);
  forged[20] = forged[20] == 'A' ? 'B' : 'A';
  EXPECT_EQ(get("/?login=" + forged).result_int(), 401);
  std::vector<std::uint8_t> other(80, 7);
  EXPECT_EQ(get("/?login=" + tok("user//admin", now_s(), other)).result_int(), 401);
  const std::string temp_token = tok("user//temp", now_s(), key);
  EXPECT_TRUE(shows_app(get("/?login=" + temp_token)));
  auto o = f.verifying();
  o.headers = {meshauth("admin", "Admin-pass1")};
  WssClient ws(port, "/control.ashx", o);
  ws.read();
  ws.read();
  ws.send(R"({"action":"deleteuser","userid":"user//temp","responseid":"x"})");
  std::string reply;
  for (int i = 0; i < 5 && reply.find("deleteuser") == std::string::npos; ++i) reply = ws.read();
  EXPECT_NE(reply.find("\"result\":\"ok\""), std::string::npos) << reply;
  const auto gone = get("/?login=" + temp_token);
  EXPECT_EQ(gone.result_int(), 401);
  EXPECT_NE(gone.body().find("This login link is invalid or has expired."), std::string::npos);
  // A domain with tokens turned off refuses even a valid one of its own.
  EXPECT_EQ(get("/notokens/?login=" + tok("user/notokens/admin", now_s(), key)).result_int(), 403);
}

TEST(Accounts, NoUsersModeIsLocalOnlyAndNeedsNoLogin) {
  Fixture f;
  f.write_config(R"({"settings": {"NoUsers": true}})");
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  EXPECT_TRUE(shows_app(https_request(server.https_port(), "/", f.verifying())));
  const auto msgs = wss_read(server.https_port(), "/control.ashx", 2, f.verifying());
  EXPECT_EQ(json::parse(msgs.at(1))["userinfo"]["_id"], "user//~");
  EXPECT_EQ(json::parse(msgs.at(1))["userinfo"]["siteadmin"], 0xFFFFFFFFu);
}

TEST(Accounts, LiveEventsReachOnlySessionsThatMaySeeThem) {
  Fixture f;
  f.create_account("admin", "Admin-pass1");
  f.create_account("watcher", "Watch-pass1");
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  const int port = server.https_port();
  auto as = [&](const char* u, const char* p) {
    auto o = f.verifying();
    o.headers = {meshauth(u, p)};
    return o;
  };
  WssClient admin(port, "/control.ashx", as("admin", "Admin-pass1"));
  WssClient admin2(port, "/control.ashx", as("admin", "Admin-pass1"));
  WssClient watcher(port, "/control.ashx", as("watcher", "Watch-pass1"));
  for (auto* c : {&admin, &admin2, &watcher}) {
    c->read();
    c->read();
  }
  admin.send(R"({"action":"createmesh","meshname":"Private","meshtype":2,"responseid":"1"})");
  // The other session of the administrator hears of the new group...
  const auto ev = json::parse(admin2.read());
  EXPECT_EQ(ev["action"], "event");
  EXPECT_EQ(ev["event"]["action"], "createmesh");
  EXPECT_EQ(ev["event"]["mesh"]["name"], "Private");
  // ...the watcher, with no right on it, does not: the next thing it gets is its own answer.
  watcher.send(R"({"action":"meshes","responseid":"w"})");
  const auto w = json::parse(watcher.read());
  EXPECT_EQ(w["action"], "meshes");
  EXPECT_TRUE(w["meshes"].empty());
  // Once added to the group, the watcher gets its changes live.
  std::string meshid;
  for (int i = 0; i < 4 && meshid.empty(); ++i) {
    const auto m = json::parse(admin.read());
    if (m["action"] == "createmesh") meshid = m["meshid"];
  }
  ASSERT_FALSE(meshid.empty());
  admin.send(json{{"action", "addmeshuser"}, {"meshid", meshid}, {"usernames", {"watcher"}}, {"meshadmin", 8}}.dump());
  const auto added = json::parse(watcher.read());
  EXPECT_EQ(added["event"]["action"], "meshchange");
  admin.send(json{{"action", "editmesh"}, {"meshid", meshid}, {"desc", "now shared"}}.dump());
  const auto changed = json::parse(watcher.read());
  EXPECT_EQ(changed["event"]["action"], "meshchange");
  EXPECT_EQ(changed["event"]["desc"], "now shared");
}

// Locking or removing an account ends its open control channels at once, with MeshCentral's
// "noauth" close and a reason; the administrator's own channel stays.
TEST(Accounts, LockedOrRemovedAccountsLoseTheirOpenChannels) {
  Fixture f;
  f.create_account("admin", "Admin-pass1");
  f.create_account("carol", "Carol-pass1");
  f.create_account("dave", "Dave-pass12");
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  const int port = server.https_port();
  auto as = [&](const char* u, const char* p) {
    auto o = f.verifying();
    o.headers = {meshauth(u, p)};
    return o;
  };
  WssClient admin(port, "/control.ashx", as("admin", "Admin-pass1"));
  WssClient carol(port, "/control.ashx", as("carol", "Carol-pass1"));
  WssClient dave(port, "/control.ashx", as("dave", "Dave-pass12"));
  for (auto* c : {&admin, &carol, &dave}) {
    c->read();
    c->read();
  }
  // Browser sessions of carol and dave (cookies), valid before the change.
  auto session = [&](const char* body) {
    const auto r = https_request(port, "/login", form(f, body));
    EXPECT_EQ(r.result_int(), 303);
    return session_of(r);
  };
  const std::string carol_cookie = session("username=carol&password=Carol-pass1");
  const std::string dave_cookie = session("username=dave&password=Dave-pass12");
  auto with = [&](const std::string& c) {
    auto o = f.verifying();
    o.headers = {{"Cookie", c}};
    return o;
  };
  EXPECT_TRUE(shows_app(https_request(port, "/", with(carol_cookie))));
  EXPECT_EQ(json::parse(wss_read(port, "/control.ashx", 1, with(dave_cookie)).at(0))["action"], "serverinfo");
  auto expect_ended = [](WssClient& c, const char* who) {
    json close;
    for (int i = 0; i < 4; ++i) {  // events about the change may come first
      close = json::parse(c.read());
      if (close["action"] == "close") break;
    }
    EXPECT_EQ(close["action"], "close") << who;
    EXPECT_EQ(close["cause"], "noauth") << who;
    EXPECT_EQ(close["reason"], "The account is locked or removed.") << who;
    // Closed by the server: the read fails at once, long before its 10 s timeout.
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(c.read(std::chrono::seconds(10)), std::exception) << who;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5)) << who << ": the channel was not closed";
  };
  admin.send(R"({"action":"edituser","userid":"carol","siteadmin":32,"responseid":"lock"})");
  expect_ended(carol, "carol");
  admin.send(R"({"action":"deleteuser","userid":"user//dave","responseid":"del"})");
  expect_ended(dave, "dave");
  // Their cookies are still signed and unexpired, but open nothing any more: the login page,
  // no control channel, no relay.
  for (const auto* c : {&carol_cookie, &dave_cookie}) {
    const auto page = https_request(port, "/", with(*c));
    EXPECT_FALSE(shows_app(page)) << *c;
    EXPECT_NE(page.body().find("password"), std::string::npos);
    const auto refused = json::parse(wss_read(port, "/control.ashx", 1, with(*c)).at(0));
    EXPECT_EQ(refused["action"], "close");
    EXPECT_EQ(refused["reason"], "The account is locked or no longer exists.");
  }
  // The administrator's channel goes on: its answers arrive, and My Server counts one session
  // (once the server has let go of the two it closed).
  json stats;
  for (int attempt = 0; attempt < 50; ++attempt) {
    admin.send(R"({"action":"serverstats","responseid":"s"})");
    for (int i = 0; i < 8; ++i) {
      stats = json::parse(admin.read());
      if (stats["action"] == "serverstats") break;
    }
    if (stats["values"]["serverStats"]["UsersSessions"] == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(stats["action"], "serverstats");
  EXPECT_EQ(stats["responseid"], "s");
  EXPECT_EQ(stats["values"]["serverStats"]["UserAccounts"], 2);  // admin and the locked carol
  EXPECT_EQ(stats["values"]["serverStats"]["UsersSessions"], 1);
  EXPECT_EQ(stats["values"]["serverStats"]["AgentSessions"], 0);
  EXPECT_GT(stats["rss"].get<std::uint64_t>(), 1000000u);
  EXPECT_GT(stats["totalmem"].get<std::uint64_t>(), stats["freemem"].get<std::uint64_t>());
  EXPECT_EQ(stats["cpuavg"].size(), 3u);
}

}  // namespace
