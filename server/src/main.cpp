// meshwork-server entry point: parse switches, prepare the data folder and certificates, start the
// listeners on a pool of I/O threads, stop cleanly on SIGINT/SIGTERM.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <thread>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "cert_url.hpp"
#include "certs.hpp"
#include "config/config.hpp"
#include "db_tools.hpp"
#include "store/sqlite_store.hpp"
#include "accounts/account_mail.hpp"
#include "acme/lets_encrypt.hpp"
#include "accounts/service.hpp"
#include "agents/agent_keys.hpp"
#include "agents/mesh_relay.hpp"
#include "agents/registry.hpp"
#include "agents/lan_discovery.hpp"
#include "peers/peering.hpp"
#include "amt/amt_manager.hpp"
#include "amt/amt_scanner.hpp"
#include "amt/credentials.hpp"
#include "amt/mps_server.hpp"
#include "amt/tcp_link.hpp"
#include "log.hpp"
#include "text.hpp"
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
  // TLS buffers (64 KB per write and per read-ahead) are taken and freed for every answer. With
  // glibc's default trim threshold (128 KB, moving with the mmap threshold) each free near the
  // top of a heap handed pages back (brk, or madvise with a TLB shootdown on every core) and the
  // next answer faulted them in again: a static file's answers were 35-50 % slower. Free memory
  // is kept up to 1 MiB per heap; the timer below (malloc_trim) still returns it when idle. The
  // mmap threshold is fixed at 512 KB (setting the trim threshold stops glibc from moving it).
  mallopt(M_TRIM_THRESHOLD, 1 << 20);
  mallopt(M_MMAP_THRESHOLD, 512 * 1024);
  Settings s;
  config::Config cfg;
  try {
    const auto cli = config::parse_command_line(argc, argv);
    if (cli.contains("@help")) {
      std::fputs(config::help_text().c_str(), stdout);
      return 0;
    }
    if (cli.contains("@version")) {
      say(std::string(mw::kProductName) + " " + mw::kVersion);
      return 0;
    }
    const fs::path datapath = cli.contains("datapath") ? fs::path(cli["datapath"].get<std::string>()) : fs::path("meshwork-data");
    cfg = config::load(datapath / "config.json", cli);
    s = make_settings(cfg);
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "meshwork-server: %s\n", e.what());
    return 1;
  }
  try {
    if (const auto code = run_database_action(s, cfg)) return *code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "meshwork-server: %s\n", e.what());
    return 1;
  }
  if (s.webroot.empty()) s.webroot = default_webroot();
  if (s.cert.empty()) s.cert = host_name();
  set_log_level(s.log_level);
  for (const auto& w : cfg.warnings) logger("config")->warn("{}", w);
  for (const auto& w : s.warnings) logger("config")->warn("{}", w);
  if (!cfg.file.empty()) logger("config")->info("settings from {} and the command line", cfg.file.string());

  // One descriptor per agent, CIRA device and browser: the soft limit (often 1,024) raised to the hard one.
  if (rlimit r{}; getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }

  ServerContext ctx;
  ctx.settings = s;
  ctx.info.name = s.cert;
  ctx.info.version = mw::kVersion;
  ctx.info.mps_port = 0;  // set when the MPS listens
  asio::io_context ioc;
  WebServer web(ioc, ctx);
  std::unique_ptr<amt::MpsServer> mps;
  std::unique_ptr<acme::LetsEncrypt> lets_encrypt;
  std::unique_ptr<amt::AmtManager> amt_manager;
  std::unique_ptr<amt::AmtScanner> amt_scanner;
  std::unique_ptr<agents::LanDiscovery> lan_discovery;
  std::unique_ptr<peers::Peering> peering;
  agents::AgentRegistry agent_registry;
  agents::RelayHub relay_hub;
  ctx.agents = &agent_registry;
  ctx.relays = &relay_hub;
  ctx.async_db_executor = ioc.get_executor();
  // Declared after ioc: destroyed (joined) first, while its work can still post results to ioc.
  asio::thread_pool file_io(2);
  ctx.file_io = &file_io;
  // Installed before anything is announced, so a signal right after the startup lines is handled.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  asio::steady_timer drain(ioc);
  signals.async_wait([&](const beast::error_code& ec, int sig) {
    if (ec) return;
    say(std::string("Stopping on ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ".");
    // No new connections; answers already being written get a short grace period to finish.
    web.stop();
    if (mps) mps->stop();
    if (peering) peering->stop();
    drain.expires_after(std::chrono::milliseconds(500));
    drain.async_wait([&](const beast::error_code&) { ioc.stop(); });
  });
  try {
    fs::create_directories(s.datapath);
    fs::create_directories(s.filespath);
    ctx.certs = std::make_unique<CertificateStore>(CertificateStore::load_or_create(s.datapath, s.cert, s.cert_algorithm, s.mps_cert));
    ctx.tls = make_tls_context(ctx.certs->web(), ctx.certs->web_chain_pem());
    ctx.agent_key = std::make_unique<agents::ServerAgentKey>(ctx.certs->agent().cert_pem, ctx.certs->agent().key_pem);
    for (const auto& d : s.domains) {
      if (d.dns.empty()) continue;
      const CertKey& ck = ctx.certs->add_domain(s.datapath, d.id, d.dns, s.cert_algorithm);
      ctx.sni_contexts[ascii_lower(d.dns)] = make_tls_context(ck, "");
    }
    enable_sni(ctx);
    if (s.lets_encrypt && s.lan_only) {
      logger("acme")->warn("config.json letsencrypt is not used in LAN mode");
    } else if (s.lets_encrypt) {
      const auto& names = s.lets_encrypt->names;
      if (std::find(names.begin(), names.end(), ascii_lower(s.cert)) == names.end()) {
        logger("acme")->warn("config.json letsencrypt.names does not list the server's name ({}): browsers that open "
                             "https://{}/ will not accept the certificate", s.cert, s.cert);
      }
      lets_encrypt = std::make_unique<acme::LetsEncrypt>(ioc, ctx, *s.lets_encrypt);
      ctx.acme_challenges = &lets_encrypt->challenges();
      lets_encrypt->load_stored();
    }
    ctx.files = std::make_unique<StaticFiles>(
        s.webroot, std::span<const EmbeddedFile>(kEmbeddedWeb, kEmbeddedWeb_count));
    if (ctx.files->serving_embedded()) {
      logger("web")->info("serving the browser app embedded in this executable ({} files)", kEmbeddedWeb_count);
    } else if (!fs::is_regular_file(s.webroot / "index.html")) {
      logger("web")->warn("no browser app in {} (build it with scripts/build.sh)", s.webroot.string());
    }
    if (s.peers && !s.postgres) {
      throw std::runtime_error("config.json peers: the servers of a group share one database; set settings.postgres on each "
                               "(the SQLite file is this server's own)");
    }
    auto opened = open_store(s);
    if (!opened) throw std::runtime_error(opened.error().message);
    ctx.db = std::shared_ptr<store::Store>(std::move(opened.value()));
    ctx.async_db = std::make_unique<store::AsyncStore>(ctx.db);
    ctx.accounts = std::make_unique<accounts::Service>(ctx.settings, *ctx.async_db, s.session_key);
    ctx.accounts->load_revocations(*ctx.db);
    // A server-start marker in the power timeline, as MeshCentral records one (nodeid "*", s=1).
    if (auto st = ctx.db->add_power_event({{"nodeid", "*"}, {"power", 0}, {"s", 1}}); !st) {
      throw std::runtime_error("database: " + st.error().message);
    }
    for (const auto& d : s.domains) {
      if (d.cert_url.empty()) continue;
      const auto remote = fetch_certificate(d.cert_url);
      say("Loaded web certificate from " + d.cert_url + ", host: \"" + remote.common_name + "\"");
      say("  SHA-384: " + remote.sha384_hex);
      ctx.agent_facing_certs[d.id] = remote;
    }
    {
      auto pass = amt::mps_password(*ctx.db, s.mps_pass);
      if (!pass) throw std::runtime_error("database: " + pass.error().message);
      ctx.mps_password = std::move(pass.value());
    }
    ctx.amt_key = amt::load_or_create_credentials_key(s.datapath);
    if (ctx.settings.smtp && ctx.settings.email_check()) {
      auto key = accounts::AccountMail::load_or_create_key(*ctx.db);
      if (!key) throw std::runtime_error("database: " + key.error().message);
      ctx.account_mail = std::make_unique<accounts::AccountMail>(
          ctx, std::make_unique<mail::Mailer>(*ctx.settings.smtp, ctx.settings.cert), std::move(key.value()));
      ctx.account_mail->mailer().verify();
    } else if (ctx.settings.smtp) {
      logger("mail")->warn("config.json smtp is set, but email verification and password reset by mail need a server name with a "
                           "dot (Cert) and WAN or hybrid mode; mail is off");
    }
    web.start();
    if (lets_encrypt) lets_encrypt->start();  // HTTP-01 needs the HTTP port listening
    if (!s.mps_high_security) {
      amt::allow_legacy_amt_tls(true);
      logger("amt")->warn("MpsHighSecurity is false: Intel AMT connections (MPS, LAN) also accept TLS 1.0 and 1.1, for Intel AMT "
                          "before version 11");
    }
    if (s.mps_port > 0 && !s.lan_only) {  // LAN mode has no MPS, as in MeshCentral
      mps = std::make_unique<amt::MpsServer>(ioc, ctx);
      mps->start();
      ctx.mps = mps.get();
      ctx.info.mps_port = s.mps_alias_port > 0 ? s.mps_alias_port : mps->port();
      ctx.cira = accounts::CiraInfo{s.mps_cert.empty() ? s.cert : s.mps_cert, ctx.info.mps_port, ctx.mps_password,
                                    ctx.certs->root().sha384_hex, ctx.certs->root().cert_pem};
    }
    // Intel AMT management: CIRA devices through the MPS, LAN devices by TCP (also in LAN mode).
    amt_manager = std::make_unique<amt::AmtManager>(ioc, ctx, mps.get());
    ctx.amt = amt_manager.get();
    if (s.amt_scanner && s.amt_poll_seconds > 0) {
      amt_manager->start_lan_polling(std::chrono::seconds(s.amt_poll_seconds));
    }
    if (!s.wan_only) {
      amt_scanner = std::make_unique<amt::AmtScanner>(ioc.get_executor());
      ctx.amt_scanner = amt_scanner.get();
    }
    if (s.peers) {
      peering = std::make_unique<peers::Peering>(ioc, ctx, *s.peers);
      ctx.peering = peering.get();
      peering->start();
    }
    if (mps) {
      mps->on_device_ready = [m = amt_manager.get()](std::shared_ptr<amt::CiraLink> link) { m->device_ready(std::move(link)); };
      mps->on_certificate = amt_manager->cert_sink();
    }
    if (!s.wan_only && s.mesh_scanner) {  // agents with MeshServer=local find the server (LAN and hybrid modes)
      lan_discovery = std::make_unique<agents::LanDiscovery>(ioc, s, s.default_domain().title, ctx.agent_key->server_id(),
                                                             web.https_port());
      if (!lan_discovery->start()) {
        logger("agents")->warn("LAN discovery is off: {}", lan_discovery->error());
        lan_discovery.reset();
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "meshwork-server: %s\n", e.what());
    return 1;
  }

  say(std::string(mw::kProductName) + " v" + mw::kVersion + ", " + s.mode() + " mode, data in " +
      fs::absolute(s.datapath).string());
  if (web.redirect_port()) say("Meshwork HTTP redirection server running on port " + std::to_string(web.redirect_port()) + ".");
  // Tests and scripts read this line: "... server running on NAME:PORT."
  say(std::string("Meshwork ") + (s.tls_offload ? "HTTP server (TLS offload)" : "HTTPS server") + " running on " +
      s.cert + ":" + std::to_string(web.https_port()) + "." +
      (s.tls_offload_trusted.empty() ? "" : " X-Forwarded-* trusted from " + std::to_string(s.tls_offload_trusted.size()) + " address(es)."));
  if (mps) {
    // Tests and scripts read this line too: "... MPS server running on NAME:PORT."
    say(std::string("Meshwork Intel(R) AMT MPS server") + (s.mps_tls_offload ? " (TLS offload)" : "") + " running on " +
        (s.mps_cert.empty() ? s.cert : s.mps_cert) + ":" + std::to_string(mps->port()) + ".");
    say("MPS certificate SHA-384: " + ctx.certs->mps().sha384_hex);
  }
  if (lan_discovery) {
    say("LAN discovery on UDP port " + std::to_string(s.discovery_port) + " (" + mw::native::discovery::kGroup4 + " on " +
        std::to_string(lan_discovery->joined()) + " interface(s), " + mw::native::discovery::kGroup6 + ")" +
        (s.discovery_key.empty() ? "." : ", encrypted."));
  }
  if (peering) {
    std::string others;
    for (const auto& p : s.peers->servers) others += (others.empty() ? "" : ", ") + p.id + " (" + p.url + ")";
    say("Peer server \"" + s.peers->server_id + "\" of a group with " + (others.empty() ? std::string("no other server") : others) + ".");
  }
  say("Database: " + store_label(s) + " (" +
      std::to_string(ctx.db->count("node", std::nullopt).value_or(0)) + " devices, " +
      std::to_string(ctx.db->count("user", std::nullopt).value_or(0)) + " users)");
  say("Web certificate SHA-384: " + ctx.certs->web().sha384_hex);
  say("Root certificate SHA-384: " + ctx.certs->root().sha384_hex);
  say("Agent server ID (ServerID): " + ctx.agent_key->server_id());
  say("Open https://" + s.cert + (ctx.info.port == 443 ? "" : ":" + std::to_string(ctx.info.port)) + "/ in a browser.");


  // Retention (DbExpire): expire old events and power events now and every hour, off the I/O threads.
  asio::steady_timer retention(ioc);
  std::function<void()> expire_old = [&] {
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    ctx.async_db->run(
        ioc.get_executor(),
        [days_e = s.event_retention_days, days_p = s.power_retention_days, now_ms](store::Store& st) {
          return std::make_pair(st.expire_events(days_e, now_ms).value_or(0),
                                st.expire_power_events(days_p, now_ms).value_or(0));
        },
        [&](std::pair<std::int64_t, std::int64_t> removed) {
          if (removed.first || removed.second) {
            logger("store")->info("retention: removed {} events older than {} days, {} power events older than {} days",
                                  removed.first, s.event_retention_days, removed.second, s.power_retention_days);
          }
          retention.expires_after(std::chrono::hours(1));
          retention.async_wait([&](const beast::error_code& ec) {
            if (!ec) expire_old();
          });
        });
  };
  expire_old();

  // A burst of TLS handshakes (agents reconnecting after a restart, a fleet of CIRA devices)
  // takes tens of KB per connection for a moment; glibc keeps the freed pages resident. Handing
  // them back every few seconds keeps the resident size near what the connections really hold.
  asio::steady_timer trim(ioc);
  std::function<void()> trim_memory = [&] {
    trim.expires_after(std::chrono::seconds(5));
    trim.async_wait([&](const beast::error_code& ec) {
      if (ec) return;
      malloc_trim(256 * 1024);
      trim_memory();
    });
  };
  trim_memory();

  const unsigned n = s.threads > 0 ? static_cast<unsigned>(s.threads) : std::max(1u, std::thread::hardware_concurrency());
  // A handler that throws (a bug) ends its own connection, not the server: the exception is logged
  // and the thread goes back to work.
  auto run = [&ioc] {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        logger("server")->error("internal error in a connection handler (the connection is dropped): {}", e.what());
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < n; ++i) pool.emplace_back(run);
  run();
  for (auto& t : pool) t.join();
  ctx.accounts.reset();  // finishes password checks still running
  // Drain the database work queue, then mark the clean stop (s=2) and close the file.
  ctx.async_db->join();
  ctx.db->add_power_event({{"nodeid", "*"}, {"power", 0}, {"s", 2}});
  ctx.async_db.reset();
  ctx.db.reset();
  say("Meshwork stopped.");
  return 0;
}
