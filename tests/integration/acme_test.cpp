// The web certificate from an ACME CA (config.json "letsencrypt"), against pebble, Let's
// Encrypt's test CA from Debian, which checks the HTTP-01 challenge on the server's HTTP port
// over loopback (tests/peers/pebble.hpp). Afterwards browsers that trust the CA's root accept
// the server; a restart reuses the stored certificate without asking the CA.
#include <gtest/gtest.h>

#include <cstdlib>

#include "../peers/pebble.hpp"
#include "fixture.hpp"

namespace {

using namespace mw::test;

bool wait_output(ServerProcess& server, const std::string& text, int seconds) {
  for (int i = 0; i < seconds * 10 && server.output().find(text) == std::string::npos; ++i) server.poll(std::chrono::milliseconds(100));
  return server.output().find(text) != std::string::npos;
}

TEST(LetsEncrypt, ACertificateFromTheCaIsServedAndKeptAcrossRestarts) {
  const int http_port = free_port();
  peer::Pebble ca(http_port);
  ASSERT_TRUE(ca.ready()) << ca.output();
  Fixture f;
  f.write_config(R"({"letsencrypt": {"email": "admin@mesh.test", "names": "mesh.test", "rsaKeySize": 2048, "production": false,
                     "directory": ")" + ca.directory() + R"("}})");
  auto args = f.args({"--redirport", std::to_string(http_port), "--exactports"});
  // The CA's own HTTPS listener is trusted the way OpenSSL programs are told: SSL_CERT_FILE.
  ::setenv("SSL_CERT_FILE", ca.https_cert().c_str(), 1);
  std::string pebble_root;
  {
    ServerProcess server(args);
    ::unsetenv("SSL_CERT_FILE");
    ASSERT_TRUE(server.running()) << server.output();
    const int port = server.https_port();
    // The HTTP port answers challenges only for an open order.
    EXPECT_EQ(http_request(http_port, "/.well-known/acme-challenge/unknown-token").result_int(), 404);
    ASSERT_TRUE(wait_output(server, "Let's Encrypt certificate for mesh.test in use", 90)) << server.output() << ca.output();
    EXPECT_NE(server.output().find("new from " + ca.directory()), std::string::npos);

    // A browser trusting the CA's root accepts the server under its name; the server's own root
    // no longer verifies it.
    pebble_root = https_request(ca.management_port(), "/roots/0").body();
    ASSERT_NE(pebble_root.find("BEGIN CERTIFICATE"), std::string::npos);
    ClientOptions browser;
    browser.root_pem = pebble_root;
    browser.host = "mesh.test";
    EXPECT_EQ(https_request(port, "/health.ashx", browser).result_int(), 200);
    EXPECT_THROW(https_request(port, "/health.ashx", f.verifying()), std::exception);
    // Stored for the next start, the key readable by the owner only.
    EXPECT_TRUE(std::filesystem::exists(f.data() / "letsencrypt" / "cert.pem"));
    EXPECT_EQ(std::filesystem::status(f.data() / "letsencrypt" / "key.pem").permissions() & std::filesystem::perms::group_read,
              std::filesystem::perms::none);
  }
  // With the CA gone, a restart serves the stored certificate at once.
  ca.stop();
  ServerProcess again(args);
  ASSERT_TRUE(again.running()) << again.output();
  EXPECT_NE(again.output().find("in use (stored in"), std::string::npos) << again.output();
  ClientOptions browser;
  browser.root_pem = pebble_root;
  browser.host = "mesh.test";
  EXPECT_EQ(https_request(again.https_port(), "/health.ashx", browser).result_int(), 200);
}

TEST(LetsEncrypt, AFailedOrderIsLoggedAndTheServerKeepsItsOwnCertificate) {
  const int http_port = free_port();
  Fixture f;
  // No CA listens there.
  f.write_config(R"({"letsencrypt": {"email": "admin@mesh.test", "names": ["mesh.test"], "directory": "https://127.0.0.1:)" +
                 std::to_string(free_port()) + R"(/dir"}})");
  ServerProcess server(f.args({"--redirport", std::to_string(http_port)}));
  ASSERT_TRUE(server.running()) << server.output();
  ASSERT_TRUE(wait_output(server, "no certificate from", 30)) << server.output();
  EXPECT_NE(server.output().find("trying again in 12 hours"), std::string::npos);
  EXPECT_EQ(https_request(server.https_port(), "/health.ashx", f.verifying()).result_int(), 200);
}

TEST(LetsEncrypt, ABrokenSectionStopsTheServerClearly) {
  Fixture f;
  f.write_config(R"({"letsencrypt": {"email": "admin@mesh.test", "names": "mesh.test, bad name"}})");
  auto [code, out] = f.run({});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("letsencrypt.names: \"bad name\" is not a host name"), std::string::npos) << out;
}

}  // namespace
