// Mail through a real SMTP server (aiosmtpd from Debian, tests/peers/smtp_sink.hpp): email
// verification of new accounts before their first login, password reset by mail (works once,
// tells nobody who has an account, rate-limited), changeemail/verifyemail on the control channel,
// and the transport's security: STARTTLS before AUTH (a password never goes out in the clear),
// the server's certificate checked unless tlscertcheck is false, SMTPS.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <regex>

#include "../peers/smtp_sink.hpp"
#include "fixture.hpp"
#include "mw/util/base64.hpp"

namespace {

using namespace mw::test;
using nlohmann::json;
namespace http = boost::beast::http;
using Sink = peer::SmtpSink;

ClientOptions form(const Fixture& f, const std::string& body) { return f.form(body); }

std::string smtp_config(const Sink& sink, const std::string& extra = R"("tlscertcheck": false)") {
  return R"({"smtp": {"host": "127.0.0.1", "port": )" + std::to_string(sink.port()) +
         R"(, "from": "meshwork@mesh.test", "user": "mailer", "pass": "Smtp-secret-9")" + (extra.empty() ? "" : ", " + extra) + "}}";
}

// The decoded text/plain part of a message the sink kept.
std::string text_part(const std::string& eml) {
  const auto at = eml.find("Content-Type: text/plain");
  if (at == std::string::npos) return {};
  auto body = eml.find("\r\n\r\n", at);
  if (body == std::string::npos) return {};
  body += 4;
  std::string b64;
  for (auto pos = body; pos < eml.size();) {
    const auto end = eml.find("\r\n", pos);
    const std::string line = eml.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (line.empty() || line.rfind("--", 0) == 0) break;
    b64 += line;
    if (end == std::string::npos) break;
    pos = end + 2;
  }
  auto raw = mw::util::base64_decode(b64);
  return raw ? std::string(raw->begin(), raw->end()) : std::string();
}

// The link of a mail the sink kept: {whole URL, path+query on this server}.
std::pair<std::string, std::string> link_in(const json& mail) {
  const std::string text = text_part(peer::read_file(mail["mail"].get<std::string>()));
  std::smatch m;
  static const std::regex re(R"re(https://([^/\s]+)(/checkmail\?c=[A-Za-z0-9@$=]+))re");
  if (!std::regex_search(text, m, re)) return {};
  return {m[0].str(), m[2].str()};
}

std::string header_of(const json& mail, const std::string& name) {
  const std::string eml = peer::read_file(mail["mail"].get<std::string>());
  const auto at = eml.find("\r\n" + name + ": ");
  if (at == std::string::npos) return {};
  const auto start = at + 4 + name.size();
  return eml.substr(start, eml.find("\r\n", start) - start);
}

// An administrator "admin" (password Admin-pass1) with the verified address admin@example.com,
// and config.json's smtp pointing at `sink`.
void admin_with_address(const Fixture& f, const Sink& sink, const std::string& extra = R"("tlscertcheck": false)") {
  f.create_account("admin", "Admin-pass1");
  f.set_email("admin", "admin@example.com", true);
  f.write_config(smtp_config(sink, extra));
}

bool has_session(const Response& r) { return !std::string(r[http::field::set_cookie]).empty(); }

TEST(Mail, NewAccountsVerifyTheirAddressBeforeTheFirstLogin) {
  Sink sink(Sink::Mode::kStartTls, "mailer", "Smtp-secret-9");
  ASSERT_GT(sink.port(), 0) << sink.log();
  Fixture f;
  f.write_config(smtp_config(sink));
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  const int port = server.https_port();
  // The check at start logs in over STARTTLS as a send would.
  auto auth = sink.next();
  EXPECT_EQ(auth.value("auth", ""), "mailer");
  EXPECT_TRUE(auth.value("tls", false));
  for (int i = 0; i < 100 && server.output().find("working as expected") == std::string::npos; ++i) server.poll(std::chrono::milliseconds(100));
  EXPECT_NE(server.output().find("SMTP mail server 127.0.0.1:" + std::to_string(sink.port()) + " working as expected."), std::string::npos);

  // The login page offers password recovery, and an account needs an address.
  const auto page = https_request(port, "/", f.verifying()).body();
  EXPECT_NE(page.find("id=\"reset\""), std::string::npos);
  const auto none = https_request(port, "/createaccount", form(f, "username=root&password1=Root-pass1&password2=Root-pass1"));
  EXPECT_EQ(none.result_int(), 400);
  EXPECT_NE(none.body().find("An email address is required"), std::string::npos);

  // Created: no session yet, a verification mail instead. The link names the configured server,
  // whatever Host the browser sent.
  auto create = form(f, "username=root&email=Root%40Example.com&password1=Root-pass1&password2=Root-pass1");
  create.headers.push_back({"Host", "evil.example"});
  const auto made = https_request(port, "/createaccount", create);
  EXPECT_EQ(made.result_int(), 200) << made.body();
  EXPECT_FALSE(has_session(made));
  EXPECT_NE(made.body().find("id=\"verify\""), std::string::npos);
  EXPECT_NE(made.body().find("sent to root@example.com"), std::string::npos);
  const auto mail = sink.next_mail();
  ASSERT_TRUE(mail.is_object()) << sink.log();
  EXPECT_EQ(mail["to"], json::array({"root@example.com"}));
  EXPECT_EQ(mail["from"], "meshwork@mesh.test");
  EXPECT_TRUE(mail["tls"].get<bool>());
  EXPECT_EQ(mail["auth"], "mailer");
  EXPECT_EQ(header_of(mail, "Subject"), "Meshwork - Email Verification");
  const auto [url, target] = link_in(mail);
  ASSERT_FALSE(target.empty()) << text_part(peer::read_file(mail["mail"].get<std::string>()));
  EXPECT_EQ(url.rfind("https://mesh.test:" + std::to_string(port) + "/checkmail?c=", 0), 0u) << url;

  // Before the link is opened, the right password shows "verify your email", not the app.
  const auto early = https_request(port, "/login", form(f, "username=root&password=Root-pass1"));
  EXPECT_EQ(early.result_int(), 403);
  EXPECT_FALSE(has_session(early));
  EXPECT_NE(early.body().find("Verify your email address"), std::string::npos);
  // A tampered link does nothing.
  std::string tampered = target;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(https_request(port, tampered, f.verifying()).result_int(), 400);
  EXPECT_EQ(https_request(port, "/login", form(f, "username=root&password=Root-pass1")).result_int(), 403);

  const auto opened = https_request(port, target, f.verifying());
  EXPECT_EQ(opened.result_int(), 200);
  EXPECT_NE(opened.body().find("is verified"), std::string::npos);
  const auto again = https_request(port, target, f.verifying());
  EXPECT_NE(again.body().find("already verified"), std::string::npos);
  const auto in = https_request(port, "/login", form(f, "username=root&password=Root-pass1"));
  EXPECT_EQ(in.result_int(), 303);
  EXPECT_TRUE(has_session(in));
  // The SMTP password never reaches the log.
  EXPECT_EQ(server.output().find("Smtp-secret-9"), std::string::npos);
}

TEST(Mail, PasswordResetByMailWorksOnceAndTellsNobodyWhoHasAnAccount) {
  Sink sink(Sink::Mode::kStartTls, "mailer", "Smtp-secret-9");
  ASSERT_GT(sink.port(), 0) << sink.log();
  Fixture f;
  admin_with_address(f, sink);
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  const int port = server.https_port();
  sink.next();  // the check at start

  // An address of no account gets the same answer as one of an account, and no mail.
  const auto unknown = https_request(port, "/resetaccount", form(f, "email=nobody%40example.com"));
  const auto known = https_request(port, "/resetaccount", form(f, "email=Admin%40example.com"));
  EXPECT_EQ(unknown.result_int(), 200);
  EXPECT_EQ(known.result_int(), 200);
  EXPECT_NE(known.body().find("a mail with a link to choose a new password is on its way"), std::string::npos);
  EXPECT_NE(unknown.body().find("a mail with a link to choose a new password is on its way"), std::string::npos);
  const auto mail = sink.next_mail();
  ASSERT_TRUE(mail.is_object()) << sink.log();
  EXPECT_EQ(mail["to"], json::array({"admin@example.com"}));
  EXPECT_EQ(header_of(mail, "Subject"), "Meshwork - Account Reset");
  const auto target = link_in(mail).second;
  ASSERT_FALSE(target.empty());

  // Opening the link changes nothing (mail scanners open links): it shows a form.
  const auto shown = https_request(port, target, f.verifying());
  EXPECT_EQ(shown.result_int(), 200);
  EXPECT_NE(shown.body().find("id=\"newpassword\""), std::string::npos);
  EXPECT_EQ(https_request(port, "/login", form(f, "username=admin&password=Admin-pass1")).result_int(), 303);

  const std::string c = "c=" + target.substr(target.find("c=") + 2);
  EXPECT_NE(https_request(port, "/checkmail", form(f, c + "&password1=New-pass-22&password2=Other-pass-22")).body().find("The two passwords differ."),
            std::string::npos);
  const auto weak = https_request(port, "/checkmail", form(f, c + "&password1=abc&password2=abc"));
  EXPECT_EQ(weak.result_int(), 400);
  EXPECT_NE(weak.body().find("at least 8 characters"), std::string::npos);
  const auto set = https_request(port, "/checkmail", form(f, c + "&password1=New-pass-22&password2=New-pass-22"));
  EXPECT_EQ(set.result_int(), 200) << set.body();
  EXPECT_NE(set.body().find("Password changed"), std::string::npos);
  EXPECT_EQ(https_request(port, "/login", form(f, "username=admin&password=Admin-pass1")).result_int(), 401);
  EXPECT_EQ(https_request(port, "/login", form(f, "username=admin&password=New-pass-22")).result_int(), 303);
  // Once only.
  EXPECT_EQ(https_request(port, target, f.verifying()).result_int(), 410);
  EXPECT_EQ(https_request(port, "/checkmail", form(f, c + "&password1=Third-pass-33&password2=Third-pass-33")).result_int(), 410);
  // A cross-site form post is refused.
  auto cross = form(f, c + "&password1=Third-pass-33&password2=Third-pass-33");
  cross.headers.push_back({"Sec-Fetch-Site", "cross-site"});
  EXPECT_EQ(https_request(port, "/checkmail", cross).result_int(), 403);

  // Rate limit: a few mails, then "try again in" with Retry-After.
  int limited = 0;
  for (int i = 0; i < 5 && !limited; ++i) {
    const auto r = https_request(port, "/resetaccount", form(f, "email=admin%40example.com"));
    if (r.result_int() == 429) {
      limited = 1;
      EXPECT_FALSE(r[http::field::retry_after].empty());
    }
  }
  EXPECT_EQ(limited, 1);
  EXPECT_EQ(server.output().find("New-pass-22"), std::string::npos);
}

TEST(Mail, TheControlChannelChangesAndVerifiesTheAddress) {
  Sink sink(Sink::Mode::kStartTls, "mailer", "Smtp-secret-9");
  ASSERT_GT(sink.port(), 0) << sink.log();
  Fixture f;
  admin_with_address(f, sink);
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  const int port = server.https_port();
  sink.next();
  WssClient ws(port, "/control.ashx", f.as("admin", "Admin-pass1"));
  auto until = [&ws](const std::string& action) {
    for (int i = 0; i < 50; ++i) {
      auto j = json::parse(ws.read(), nullptr, false);
      if (j.value("action", "") == action) return j;
    }
    return json();
  };
  EXPECT_EQ(until("serverinfo")["serverinfo"].value("emailcheck", false), true);
  ws.send(R"({"action":"changeemail","email":"not an address","responseid":"1"})");
  EXPECT_EQ(until("changeemail")["result"], "Invalid email");
  ws.send(R"({"action":"changeemail","email":"New@Example.com","responseid":"2"})");
  EXPECT_EQ(until("changeemail")["result"], "ok");
  auto mail = sink.next_mail();
  ASSERT_TRUE(mail.is_object()) << sink.log();
  EXPECT_EQ(mail["to"], json::array({"new@example.com"}));
  EXPECT_EQ(header_of(mail, "Subject"), "Meshwork - Email Verification");
  // Unverified again: the login page asks to verify first.
  EXPECT_EQ(https_request(port, "/login", form(f, "username=admin&password=Admin-pass1")).result_int(), 403);
  ws.send(R"({"action":"verifyemail","email":"new@example.com","responseid":"3"})");
  EXPECT_EQ(until("verifyemail")["result"], "ok");
  const auto second = sink.next_mail();
  ASSERT_TRUE(second.is_object());
  EXPECT_EQ(https_request(port, link_in(second).second, f.verifying()).result_int(), 200);
  EXPECT_EQ(https_request(port, "/login", form(f, "username=admin&password=Admin-pass1")).result_int(), 303);
  ws.send(R"({"action":"verifyemail","email":"new@example.com","responseid":"4"})");
  EXPECT_EQ(until("verifyemail")["result"], "Already verified");
}

// MeshCentral's "inviteAgent": a group's install instructions mailed to someone who is not a user.
TEST(Mail, AgentInvitationsCarryTheGroupsInstallCommand) {
  Sink sink(Sink::Mode::kStartTls, "mailer", "Smtp-secret-9");
  ASSERT_GT(sink.port(), 0) << sink.log();
  Fixture f;
  admin_with_address(f, sink);
  f.create_account("other", "Other-pass1");
  f.add_group("mesh//officepcs", 2, "Office PCs", {{"admin", 0xFFFFFFFF}});
  f.add_group("mesh//amtonly", 1, "AMT only", {{"admin", 0xFFFFFFFF}});
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  const int port = server.https_port();
  sink.next();
  auto invite = [&](const json& cmd, const std::string& user, const std::string& pass) {
    WssClient ws(port, "/control.ashx", f.as(user, pass));
    ws.send(cmd.dump());
    for (int i = 0; i < 50; ++i) {
      auto j = json::parse(ws.read(), nullptr, false);
      if (j.value("action", "") == "inviteAgent") return j.value("result", "");
    }
    return std::string("no answer");
  };
  EXPECT_EQ(invite({{"action", "inviteAgent"}, {"meshid", "mesh//officepcs"}, {"email", "Bob@Example.com"}, {"name", "Bob"},
                    {"msg", "Please install this <today>."}},
                   "admin", "Admin-pass1"),
            "ok");
  const auto mail = sink.next_mail();
  ASSERT_TRUE(mail.is_object()) << sink.log();
  EXPECT_EQ(mail["to"], json::array({"bob@example.com"}));
  EXPECT_EQ(header_of(mail, "Subject"), "Meshwork - Agent Installation Invitation");
  const std::string text = text_part(peer::read_file(mail["mail"].get<std::string>()));
  EXPECT_NE(text.find("Hi Bob,"), std::string::npos) << text;
  EXPECT_NE(text.find("device group \"Office PCs\""), std::string::npos) << text;
  EXPECT_NE(text.find("Please install this <today>."), std::string::npos) << text;
  EXPECT_NE(text.find("curl -fsSk 'https://mesh.test:" + std::to_string(port) + "/meshagents?script=1&id=officepcs' | sh"),
            std::string::npos)
      << text;
  // The mail's HTML part escapes the message.
  EXPECT_EQ(peer::read_file(mail["mail"].get<std::string>()).find("<today>"), std::string::npos);
  // The install script the mail points at is the group's.
  const auto got = https_request(port, "/meshagents?script=1&id=officepcs", f.verifying());
  EXPECT_EQ(got.result_int(), 200) << got.body();
  EXPECT_NE(got.body().find("officepcs"), std::string::npos) << got.body();

  EXPECT_EQ(invite({{"action", "inviteAgent"}, {"meshid", "mesh//officepcs"}, {"email", "not-an-address"}}, "admin", "Admin-pass1"),
            "Invalid email");
  EXPECT_EQ(invite({{"action", "inviteAgent"}, {"meshid", "mesh//amtonly"}, {"email", "bob@example.com"}}, "admin", "Admin-pass1"),
            "Invalid group type");
  EXPECT_EQ(invite({{"action", "inviteAgent"}, {"meshid", "mesh//officepcs"}, {"email", "bob@example.com"}}, "other", "Other-pass1"),
            "Access denied");
  // Limited per inviting user and address.
  std::string last;
  for (int i = 0; i < 5 && last.rfind("Too many", 0) != 0; ++i) {
    last = invite({{"action", "inviteAgent"}, {"meshid", "mesh//officepcs"}, {"email", "carol@example.com"}}, "admin", "Admin-pass1");
  }
  EXPECT_EQ(last.rfind("Too many mails; try again in ", 0), 0u) << last;
}

TEST(Mail, APasswordIsNeverSentWithoutTls) {
  Sink sink(Sink::Mode::kPlain, "mailer", "Smtp-secret-9");  // offers no STARTTLS; would take AUTH in the clear
  ASSERT_GT(sink.port(), 0) << sink.log();
  Fixture f;
  f.write_config(smtp_config(sink));
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  for (int i = 0; i < 100 && server.output().find("SMTP mail server") == std::string::npos; ++i) server.poll(std::chrono::milliseconds(100));
  EXPECT_NE(server.output().find("failed"), std::string::npos) << server.output();
  EXPECT_NE(server.output().find("a password is never sent in the clear"), std::string::npos) << server.output();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(sink.events().find("\"auth\""), std::string::npos) << sink.events();
}

TEST(Mail, TheServerCertificateIsCheckedUnlessTlsCertCheckIsFalse) {
  Sink sink(Sink::Mode::kStartTls, "mailer", "Smtp-secret-9");
  ASSERT_GT(sink.port(), 0) << sink.log();
  {
    Fixture f;
    f.write_config(smtp_config(sink, ""));  // tlscertcheck defaults to true; the sink's certificate is self-signed
    ServerProcess server(f.args());
    ASSERT_TRUE(server.running()) << server.output();
    for (int i = 0; i < 100 && server.output().find("SMTP mail server") == std::string::npos; ++i) server.poll(std::chrono::milliseconds(100));
    EXPECT_NE(server.output().find("failed"), std::string::npos) << server.output();
    EXPECT_EQ(sink.events().find("\"auth\""), std::string::npos);
  }
  // Trusted through OpenSSL's usual SSL_CERT_FILE: checked and accepted.
  ::setenv("SSL_CERT_FILE", sink.cert().c_str(), 1);
  Fixture f;
  f.write_config(smtp_config(sink, ""));
  ServerProcess server(f.args());
  ::unsetenv("SSL_CERT_FILE");
  ASSERT_TRUE(server.running()) << server.output();
  EXPECT_EQ(sink.next().value("auth", ""), "mailer");
  for (int i = 0; i < 100 && server.output().find("working as expected") == std::string::npos; ++i) server.poll(std::chrono::milliseconds(100));
  EXPECT_NE(server.output().find("working as expected"), std::string::npos) << server.output();
}

TEST(Mail, SmtpsFromTheFirstByte) {
  Sink sink(Sink::Mode::kSmtps, "mailer", "Smtp-secret-9");
  ASSERT_GT(sink.port(), 0) << sink.log();
  Fixture f;
  admin_with_address(f, sink, R"("tls": true, "tlscertcheck": false)");
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  EXPECT_EQ(sink.next().value("auth", ""), "mailer");
  EXPECT_EQ(https_request(server.https_port(), "/resetaccount", form(f, "email=admin%40example.com")).result_int(), 200);
  const auto mail = sink.next_mail();
  ASSERT_TRUE(mail.is_object()) << sink.log();
  EXPECT_TRUE(mail["tls"].get<bool>());
  EXPECT_FALSE(link_in(mail).second.empty());
}

TEST(Mail, ConsoleModePrintsMailsAndNoDotInTheNameTurnsMailOff) {
  {
    Fixture f;
    f.write_config(R"({"smtp": {"name": "console", "from": "meshwork@mesh.test"}})");
    ServerProcess server(f.args());
    ASSERT_TRUE(server.running()) << server.output();
    const auto made = https_request(server.https_port(), "/createaccount",
                                    form(f, "username=root&email=root%40example.com&password1=Root-pass1&password2=Root-pass1"));
    EXPECT_EQ(made.result_int(), 200);
    for (int i = 0; i < 100 && server.output().find("/checkmail?c=") == std::string::npos; ++i) server.poll(std::chrono::milliseconds(100));
    EXPECT_NE(server.output().find("Email to root@example.com"), std::string::npos) << server.output();
    EXPECT_NE(server.output().find("/checkmail?c="), std::string::npos);
  }
  // MeshCentral's rule: a server name without a dot (a bare host name) means no email check.
  Fixture f;
  f.write_config(R"({"smtp": {"name": "console", "from": "meshwork@mesh.test"}})");
  auto args = f.args();
  std::replace(args.begin(), args.end(), std::string("mesh.test"), std::string("meshhost"));
  ServerProcess server(args);
  ASSERT_TRUE(server.running()) << server.output();
  EXPECT_NE(server.output().find("mail is off"), std::string::npos);
  auto o = form(f, "email=root%40example.com");
  o.root_pem.clear();
  o.host = "meshhost";
  EXPECT_EQ(https_request(server.https_port(), "/resetaccount", o).result_int(), 404);
}

TEST(Mail, ABrokenSmtpSectionStopsTheServerClearly) {
  Fixture f;
  f.write_config(R"({"smtp": {"host": "127.0.0.1", "port": 25}})");
  auto [code, out] = f.run({});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("smtp.from must be the sender's email address"), std::string::npos) << out;
}

}  // namespace
