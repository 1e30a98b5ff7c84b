// meshwork-server entry point: parse switches, prepare the data folder and certificates, start the
// listeners on a pool of I/O threads, stop cleanly on SIGINT/SIGTERM.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>
#include <vector>

#include "certs.hpp"
#include "log.hpp"
#include "mw/version.hpp"
#include "server_context.hpp"
#include "web_server.hpp"

namespace fs = std::filesystem;
using namespace mw::server;

namespace {

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == 0) return "localhost";
  return buf;
}

fs::path default_webroot() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "web";
  return exe.parent_path().parent_path() / "web";
}

// Prints one startup line on stdout, flushed: tests and scripts read these.
void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  CLI::App app{"Meshwork server: self-hosted remote management of computers (agents and Intel AMT)",
               "meshwork-server"};
  app.option_defaults()->ignore_case()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag("--version", std::string(mw::kProductName) + " " + mw::kVersion);
  std::string datapath = s.datapath.string(), filespath = s.filespath.string(), webroot, algo = "rsa3072";
  app.add_option("--datapath", datapath, "Data folder: config.json, certificates, database")->capture_default_str();
  app.add_option("--filespath", filespath, "Folder of files uploaded to the server")->capture_default_str();
  app.add_option("--webroot", webroot, "Folder of the browser app (default: <binary>/../web)");
  app.add_option("--cert", s.cert, "Server name in the web certificate (default: this host's name)");
  app.add_option("--portbind", s.port_bind, "Address the listeners bind to (default: all)");
  app.add_option("--port", s.port, "HTTPS port; the next free port is used when busy (0: any free port)")
      ->capture_default_str()->check(CLI::Range(0, 65535));
  app.add_option("--aliasport", s.alias_port, "HTTPS port browsers and agents see (behind NAT or a proxy)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--redirport", s.redir_port, "HTTP port redirecting to HTTPS (0: off)")
      ->capture_default_str()->check(CLI::Range(0, 65535));
  app.add_option("--mpsport", s.mps_port, "Intel AMT MPS (CIRA) port (0: off)")
      ->capture_default_str()->check(CLI::Range(0, 65535));
  app.add_flag("--exactports", s.exact_ports, "Fail when a port is busy instead of trying the next one");
  app.add_option("--certalgorithm", algo, "Key type of generated certificates: rsa3072 or ecdsa-p384")
      ->capture_default_str()->check(CLI::IsMember({"rsa3072", "ecdsa-p384"}, CLI::ignore_case));
  app.add_option("--loglevel", s.log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str()->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--threads", s.threads, "I/O threads (0: one per core)")->check(CLI::Range(0, 256));
  CLI11_PARSE(app, argc, argv);

  s.datapath = datapath;
  s.filespath = filespath;
  s.webroot = webroot.empty() ? default_webroot() : fs::path(webroot);
  s.cert_algorithm = algo == "ecdsa-p384" ? CertAlgorithm::kEcdsaP384 : CertAlgorithm::kRsa3072;
  if (s.cert.empty()) s.cert = host_name();
  set_log_level(s.log_level);

  ServerContext ctx;
  ctx.settings = s;
  ctx.info.name = s.cert;
  ctx.info.version = mw::kVersion;
  ctx.info.mps_port = 0;  // the MPS arrives with the Intel AMT issue
  asio::io_context ioc;
  WebServer web(ioc, ctx);
  // Installed before anything is announced, so a signal right after the startup lines is handled.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code& ec, int sig) {
    if (ec) return;
    say(std::string("Stopping on ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ".");
    web.stop();
    ioc.stop();
  });
  try {
    fs::create_directories(s.datapath);
    fs::create_directories(s.filespath);
    ctx.certs = std::make_unique<CertificateStore>(CertificateStore::load_or_create(s.datapath, s.cert, s.cert_algorithm));
    ctx.tls = make_tls_context(*ctx.certs);
    if (!fs::is_regular_file(s.webroot / "index.html")) {
      logger("web")->warn("no browser app in {} (build it with scripts/build.sh)", s.webroot.string());
    }
    ctx.files = std::make_unique<StaticFiles>(s.webroot);
    web.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "meshwork-server: %s\n", e.what());
    return 1;
  }

  say(std::string(mw::kProductName) + " v" + mw::kVersion + ", data in " + fs::absolute(s.datapath).string());
  if (web.redirect_port()) say("Meshwork HTTP redirection server running on port " + std::to_string(web.redirect_port()) + ".");
  say("Meshwork HTTPS server running on " + s.cert + ":" + std::to_string(web.https_port()) + ".");
  say("Web certificate SHA-384: " + ctx.certs->web().sha384_hex);
  say("Root certificate SHA-384: " + ctx.certs->root().sha384_hex);
  say("Open https://" + s.cert + (ctx.info.port == 443 ? "" : ":" + std::to_string(ctx.info.port)) + "/ in a browser.");


  const unsigned n = s.threads > 0 ? static_cast<unsigned>(s.threads) : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < n; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  say("Meshwork stopped.");
  return 0;
}
