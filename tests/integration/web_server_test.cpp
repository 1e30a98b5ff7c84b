// Integration tests of meshwork-server's web side: started as a real process on 127.0.0.1 with
// ephemeral ports and a temporary data folder, checked over real TLS with a verifying client.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "fixture.hpp"
#include "https_client.hpp"
#include "server_process.hpp"

namespace {

using namespace mw::test;
namespace fs = std::filesystem;

TEST(WebServer, ServesAppOverVerifiedTlsWithSecurityHeaders) {
  Fixture f;
  f.create_account("admin", "Admin-pass1");
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  // Not logged in: the login page, with the same security headers.
  const auto login = https_request(server.https_port(), "/", f.verifying());
  EXPECT_EQ(login.result_int(), 200);
  EXPECT_NE(login.body().find("<form id=\"login\" method=\"post\" action=\"/login\">"), std::string::npos);
  EXPECT_EQ(login.body().find("<canvas id=c>"), std::string::npos);
  EXPECT_EQ(login["X-Frame-Options"], "DENY");
  // Logged in: the app.
  auto post = f.verifying();
  post.method = "POST";
  post.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  post.body = "username=admin&password=Admin-pass1";
  const auto logged = https_request(server.https_port(), "/login", post);
  ASSERT_EQ(logged.result_int(), 303) << logged.body();
  const std::string cookie(logged[boost::beast::http::field::set_cookie]);
  auto opts = f.verifying();
  opts.headers = {{"Cookie", cookie.substr(0, cookie.find(';'))}};
  const auto res = https_request(server.https_port(), "/", opts);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_NE(res.body().find("<canvas id=c>"), std::string::npos);
  EXPECT_EQ(res[boost::beast::http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(res["X-Frame-Options"], "DENY");
  EXPECT_NE(res["Content-Security-Policy"].find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(res["Strict-Transport-Security"], "max-age=31536000");
  EXPECT_FALSE(res[boost::beast::http::field::etag].empty());

  const auto js = https_request(server.https_port(), "/app.js", f.verifying());
  EXPECT_EQ(js.result_int(), 200);
  EXPECT_EQ(js.body(), "console.log('app');\n");

  const auto health = https_request(server.https_port(), "/health.ashx", f.verifying());
  EXPECT_EQ(health.result_int(), 200);
  EXPECT_EQ(nlohmann::json::parse(health.body())["status"], "ok");
  EXPECT_EQ(server.stop(SIGTERM), 0) << server.output();
}

TEST(WebServer, EtagRevalidationAndGzipVariant) {
  Fixture f;
  std::ofstream(f.web() / "app.js.gz") << "GZIPPED";  // newer than app.js: served to gzip clients
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  auto opts = f.verifying();
  const auto first = https_request(server.https_port(), "/app.js", opts);
  ASSERT_EQ(first.result_int(), 200);
  opts.headers = {{"If-None-Match", std::string(first[boost::beast::http::field::etag])}};
  EXPECT_EQ(https_request(server.https_port(), "/app.js", opts).result_int(), 304);
  opts.headers = {{"Accept-Encoding", "gzip, deflate"}};
  const auto gz = https_request(server.https_port(), "/app.js", opts);
  EXPECT_EQ(gz.result_int(), 200);
  EXPECT_EQ(gz[boost::beast::http::field::content_encoding], "gzip");
  EXPECT_EQ(gz.body(), "GZIPPED");
}

TEST(WebServer, RefusesTraversalAndUnknownPaths) {
  Fixture f;
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  for (const char* target : {"/../secret.txt", "/fonts/../../secret.txt", "/%2e%2e/secret.txt", "/.hidden",
                             "/nothing-here.js", "//etc/passwd"}) {
    const auto res = https_request(server.https_port(), target, f.verifying());
    EXPECT_EQ(res.result_int(), 404) << target;
    EXPECT_EQ(res.body().find("outside the web root"), std::string::npos) << target;
  }
  auto post = f.verifying();
  post.method = "POST";
  EXPECT_EQ(https_request(server.https_port(), "/", post).result_int(), 405);
}

TEST(WebServer, OversizedHeadersGet431) {
  Fixture f;
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  auto opts = f.verifying();
  for (int i = 0; i < 6; ++i) opts.headers.emplace_back("X-Big-" + std::to_string(i), std::string(6000, 'a'));
  EXPECT_EQ(https_request(server.https_port(), "/", opts).result_int(), 431);
  // The server is still healthy afterwards.
  EXPECT_EQ(https_request(server.https_port(), "/health.ashx", f.verifying()).result_int(), 200);
}

TEST(WebServer, CertificatesGeneratedOnceAndReused) {
  Fixture f;
  std::string first_hash;
  {
    ServerProcess server(f.args());
    ASSERT_TRUE(server.running()) << server.output();
    for (const char* name : {"root", "webserver", "mpsserver", "agentserver"}) {
      const fs::path key = f.data() / (std::string(name) + "-cert-private.key");
      ASSERT_TRUE(fs::exists(f.data() / (std::string(name) + "-cert-public.crt"))) << name;
      ASSERT_TRUE(fs::exists(key)) << name;
      struct stat st {};
      ASSERT_EQ(::stat(key.c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 0777, 0600u) << name;
    }
    first_hash = read_text_file((f.data() / "webserver-cert-public.crt").string());
    EXPECT_EQ(server.stop(SIGINT), 0) << server.output();
  }
  ServerProcess again(f.args());
  ASSERT_TRUE(again.running()) << again.output();
  EXPECT_EQ(read_text_file((f.data() / "webserver-cert-public.crt").string()), first_hash);
  EXPECT_EQ(again.output().find("generated"), std::string::npos) << again.output();
  EXPECT_EQ(https_request(again.https_port(), "/", f.verifying()).result_int(), 200);
}

TEST(WebServer, DefaultCertificatesAreRsa3072WithSha384) {
  Fixture f;
  auto args = f.args();
  const auto alg = std::find(args.begin(), args.end(), "--certalgorithm");
  ASSERT_NE(alg, args.end());
  args.erase(alg, alg + 2);  // drop --certalgorithm ecdsa-p384
  ServerProcess server(args);
  ASSERT_TRUE(server.running()) << server.output();
  const std::string cmd = "openssl x509 -noout -text -in " + (f.data() / "webserver-cert-public.crt").string();
  std::string text;
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) text.append(buf, n);
  ::pclose(p);
  EXPECT_NE(text.find("Public-Key: (3072 bit)"), std::string::npos) << text;
  EXPECT_NE(text.find("sha384WithRSAEncryption"), std::string::npos);
  EXPECT_NE(text.find("DNS:mesh.test"), std::string::npos);
  EXPECT_NE(text.find("CN = mesh.test"), std::string::npos);
}

TEST(WebServer, RedirectPortAnswers301ToHttps) {
  Fixture f;
  ServerProcess server(f.args({"--redirport", std::to_string(free_port()), "--aliasport", "8443"}));
  ASSERT_TRUE(server.running()) << server.output();
  ASSERT_GT(server.redirect_port(), 0);
  ClientOptions o;
  o.host = "mesh.test";
  const auto res = http_request(server.redirect_port(), "/somewhere?x=1", o);
  EXPECT_EQ(res.result_int(), 301);
  EXPECT_EQ(res[boost::beast::http::field::location], "https://mesh.test:8443/somewhere?x=1");
}

TEST(WebServer, ExactPortsFailsClearlyOtherwiseNextPort) {
  Fixture f;
  // Hold a port busy.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const int busy = ntohs(a.sin_port);

  auto exact_args = f.args({"--exactports"});
  exact_args[9] = std::to_string(busy);  // --port value
  ServerProcess exact(exact_args);
  EXPECT_FALSE(exact.running());
  EXPECT_EQ(exact.wait_exit(std::chrono::seconds(10)).value_or(-1), 1);
  EXPECT_NE(exact.output().find("cannot listen on port " + std::to_string(busy)), std::string::npos) << exact.output();
  EXPECT_NE(exact.output().find("ExactPorts"), std::string::npos);

  auto next_args = f.args();
  next_args[9] = std::to_string(busy);
  ServerProcess next(next_args);
  ASSERT_TRUE(next.running()) << next.output();
  EXPECT_GT(next.https_port(), busy);
  ::close(fd);
}

TEST(WebServer, ControlChannelSendsServerInfoFirst) {
  Fixture f;
  f.create_account("admin", "Admin-pass1");
  ServerProcess server(f.args());
  ASSERT_TRUE(server.running()) << server.output();
  auto opts = f.verifying();
  opts.headers = {meshauth("admin", "Admin-pass1")};
  const auto msgs = wss_read(server.https_port(), "/control.ashx", 2, opts);
  ASSERT_EQ(msgs.size(), 2u);
  const auto j = nlohmann::json::parse(msgs[0]);
  EXPECT_EQ(j["action"], "serverinfo");
  EXPECT_EQ(j["serverinfo"]["name"], "mesh.test");
  EXPECT_EQ(j["serverinfo"]["version"], MW_VERSION);
  EXPECT_EQ(j["serverinfo"]["port"], server.https_port());
  const auto u = nlohmann::json::parse(msgs[1]);
  EXPECT_EQ(u["action"], "userinfo");
  EXPECT_EQ(u["userinfo"]["_id"], "user//admin");
  EXPECT_FALSE(u["userinfo"].contains("hash"));
  // Without credentials: MeshCentral's refusal, then the channel closes.
  const auto refused = nlohmann::json::parse(wss_read(server.https_port(), "/control.ashx", 1, f.verifying()).at(0));
  EXPECT_EQ(refused["action"], "close");
  EXPECT_EQ(refused["cause"], "noauth");
}

}  // namespace
