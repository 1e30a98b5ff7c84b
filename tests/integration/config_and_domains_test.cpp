// Integration tests of configuration and multi-tenancy through a real server process:
// config.json (case-insensitive, broken files), AllowFraming headers, domains by path and by Dns
// host name, UserAllowedIP, TlsOffload forwarded-header trust, terms.txt and /metrics.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "fixture.hpp"

namespace {

using namespace mw::test;
namespace http = boost::beast::http;

TEST(Config, CaseInsensitiveConfigJsonIsApplied) {
  Fixture f;
  f.write_config(R"({"Settings": {"CERT": "cfg.test", "LogLevel": "DEBUG-not-a-level"}})");
  ServerProcess bad(f.args({"--cert", "mesh.test"}));
  EXPECT_FALSE(bad.running());
  EXPECT_NE(bad.output().find("LogLevel must be"), std::string::npos) << bad.output();

  f.write_config(R"({"SETTINGS": {"AllowFraming": true, "ExactPorts": "true", "UnknownThing": 1}})");
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  EXPECT_NE(server.output().find("settings.unknownthing is not a Meshwork setting"), std::string::npos) << server.output();
  const auto res = https_request(server.https_port(), "/", f.verifying());
  EXPECT_EQ(res.result_int(), 200);
  // AllowFraming from config.json: no X-Frame-Options, no frame-ancestors.
  EXPECT_EQ(res.find("X-Frame-Options"), res.end());
  EXPECT_EQ(std::string(res["Content-Security-Policy"]).find("frame-ancestors"), std::string::npos);
}

TEST(Config, BrokenConfigJsonStopsWithFileAndLine) {
  Fixture f;
  f.write_config("{\n  \"settings\": {\n    \"port\": 443,,\n  }\n}\n");
  ServerProcess server(f.args());
  EXPECT_FALSE(server.running());
  EXPECT_EQ(server.wait_exit(std::chrono::seconds(10)).value_or(-1), 1);
  const std::string expected = (f.data() / "config.json").string() + ":3:";
  EXPECT_NE(server.output().find(expected), std::string::npos) << server.output();
}

TEST(Config, UnknownSwitchIsRefused) {
  Fixture f;
  ServerProcess server(f.args({"--no-such-switch"}));
  EXPECT_FALSE(server.running());
  EXPECT_EQ(server.wait_exit(std::chrono::seconds(10)).value_or(-1), 1);
  EXPECT_NE(server.output().find("unknown switch --no-such-switch"), std::string::npos) << server.output();
}

TEST(Domains, PathAndDnsDomainsAreSeparate) {
  Fixture f;
  f.write_config(R"({"domains": {"": {"title": "Main"}, "Customer1": {"title": "C1"},
                     "tenant2": {"dns": "tenant2.test"}}})");
  f.create_account("admin", "Admin-pass1");
  f.create_account("admin", "Admin-pass1", "customer1");
  f.create_account("admin", "Admin-pass1", "tenant2");
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  const int port = server.https_port();
  auto o = f.verifying();
  o.headers = {meshauth("admin", "Admin-pass1")};
  // The path domain serves the app under its prefix, and redirects the bare prefix.
  EXPECT_EQ(https_request(port, "/customer1/", o).result_int(), 200);
  EXPECT_EQ(https_request(port, "/customer1/app.js", o).body(), "console.log('app');\n");
  const auto bare = https_request(port, "/customer1", o);
  EXPECT_EQ(bare.result_int(), 301);
  EXPECT_EQ(bare[http::field::location], "/customer1/");
  // The control channel tells each client its domain.
  auto info = [&](const std::string& target, const ClientOptions& opts) {
    return nlohmann::json::parse(wss_read(port, target, 1, opts).at(0))["serverinfo"]["domain"].get<std::string>();
  };
  EXPECT_EQ(info("/control.ashx", o), "");
  EXPECT_EQ(info("/customer1/control.ashx", o), "customer1");
  EXPECT_EQ(info("/CUSTOMER1/control.ashx", o), "customer1");
  // A Dns domain is selected by the Host header, at the root; not reachable by path.
  // Its own certificate (webserver-tenant2-cert-*), chosen by SNI and verified for its name.
  auto dns = o;
  dns.host = "tenant2.test";
  EXPECT_EQ(info("/control.ashx", dns), "tenant2");
  EXPECT_EQ(https_request(port, "/", dns).result_int(), 200);
  EXPECT_TRUE(std::filesystem::exists(f.data() / "webserver-tenant2-cert-public.crt"));
  auto wrong = o;
  wrong.host = "other.test";  // SNI of no domain: the default certificate, which does not name it
  EXPECT_THROW(https_request(port, "/", wrong), std::exception);
  EXPECT_EQ(https_request(port, "/tenant2/", o).result_int(), 404);
}

TEST(Domains, UserAllowedIpLimitsLoginPageAndControlChannel) {
  Fixture f;
  f.write_config(R"({"domains": {"": {}, "locked": {"userallowedip": "10.1.0.0/16, 192.0.2.7"}}})");
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  const int port = server.https_port();
  auto o = f.verifying();
  EXPECT_EQ(https_request(port, "/", o).result_int(), 200);
  EXPECT_EQ(https_request(port, "/locked/", o).result_int(), 403);
  EXPECT_THROW(wss_read(port, "/locked/control.ashx", 1, o), std::exception);
  // The app's static files are not the login page and stay reachable.
  EXPECT_EQ(https_request(port, "/locked/app.js", o).result_int(), 200);
}

TEST(TlsOffload, ForwardedHeadersTrustedOnlyFromListedProxy) {
  Fixture f;
  f.write_config(R"({"domains": {"": {}, "locked": {"userallowedip": "203.0.113.9"}}})");
  // Trusted proxy is 127.0.0.1: X-Forwarded-For decides the client address.
  {
    ServerProcess server(f.args({"--tlsoffload", "127.0.0.1"}));
    ASSERT_TRUE(server.running()) << server.output();
    EXPECT_NE(server.output().find("HTTP server (TLS offload) running on"), std::string::npos);
    ClientOptions o;
    o.host = "mesh.test";
    o.headers = {{"X-Forwarded-For", "198.51.100.1, 203.0.113.9"}, {"X-Forwarded-Proto", "https"}};
    const auto allowed = http_request(server.https_port(), "/locked/", o);
    EXPECT_EQ(allowed.result_int(), 200);
    EXPECT_EQ(allowed[http::field::strict_transport_security], "max-age=31536000");
    o.headers = {{"X-Forwarded-For", "203.0.113.9, 198.51.100.1"}};
    EXPECT_EQ(http_request(server.https_port(), "/locked/", o).result_int(), 403);  // only the proxy's own entry counts
    o.headers = {};
    EXPECT_EQ(http_request(server.https_port(), "/locked/", o).result_int(), 403);
  }
  // Trusted proxy elsewhere: the same headers from 127.0.0.1 are ignored.
  {
    ServerProcess server(f.args({"--tlsoffload", "192.0.2.1"}));
    ASSERT_TRUE(server.running()) << server.output();
    ClientOptions o;
    o.host = "mesh.test";
    o.headers = {{"X-Forwarded-For", "203.0.113.9"}, {"X-Forwarded-Proto", "https"}};
    const auto refused = http_request(server.https_port(), "/locked/", o);
    EXPECT_EQ(refused.result_int(), 403);
    EXPECT_EQ(refused.find(http::field::strict_transport_security), refused.end());
  }
}

TEST(WebServer, TermsAndMetrics) {
  Fixture f;
  std::filesystem::create_directories(f.data());
  std::ofstream(f.data() / "terms.txt") << "Be nice.\n";
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  auto o = f.verifying();
  const auto terms = https_request(server.https_port(), "/terms.txt", o);
  EXPECT_EQ(terms.result_int(), 200);
  EXPECT_EQ(terms.body(), "Be nice.\n");
  EXPECT_EQ(https_request(server.https_port(), "/root-cert-private.key", o).result_int(), 404);
  wss_read(server.https_port(), "/control.ashx", 1, o);
  auto bad = o;
  bad.headers = {meshauth("nobody", "wrong")};
  wss_read(server.https_port(), "/control.ashx", 1, bad);  // one failed login, counted
  const auto metrics = https_request(server.https_port(), "/metrics", o);
  EXPECT_NE(metrics.body().find("meshwork_logins_total{result=\"failed\"} 1\n"), std::string::npos) << metrics.body();
  EXPECT_NE(metrics.body().find("meshwork_event_subscribers 0\n"), std::string::npos);
  EXPECT_EQ(metrics.result_int(), 200);
  EXPECT_NE(metrics.body().find("meshwork_http_requests_total "), std::string::npos);
  EXPECT_NE(metrics.body().find("meshwork_connections_total{kind=\"web\"} "), std::string::npos);
  EXPECT_NE(metrics.body().find("meshwork_info{version=\""), std::string::npos);
}

}  // namespace
