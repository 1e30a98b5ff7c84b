// What every connection of the web server shares: settings, certificates, the TLS context, the
// static file handler, the server's identity and its counters. Created once at start; only the
// atomic counters change afterwards.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "accounts/actions.hpp"
#include "cert_url.hpp"
#include "certs.hpp"
#include <map>
#include "mw/proto/control.hpp"
#include "net.hpp"
#include "settings.hpp"
#include "static_files.hpp"
#include "store/async_store.hpp"

namespace boost::asio {
class thread_pool;
}
namespace mw::server::accounts {
class Service;
class AccountMail;
}
namespace mw::server::amt {
class MpsServer;
class AmtManager;
class AmtScanner;
}
namespace mw::server::acme {
class Challenges;
}
namespace mw::server::peers {
class Peering;
}
namespace mw::server::agents {
class AgentRegistry;
class RelayHub;
class ServerAgentKey;
}

namespace mw::server {

// Counters exported on /metrics (Prometheus text format).
struct Metrics {
  mutable std::atomic<std::uint64_t> http_connections{0};
  mutable std::atomic<std::uint64_t> redirect_connections{0};
  mutable std::atomic<std::uint64_t> http_requests{0};
  mutable std::atomic<std::int64_t> control_sessions{0};
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

struct ServerContext {
  Settings settings;
  HttpLimits limits;
  std::unique_ptr<CertificateStore> certs;
  std::unique_ptr<ssl::context> tls;
  // TLS contexts of Dns domains, by lower-cased host name, chosen by SNI.
  std::map<std::string, std::unique_ptr<ssl::context>> sni_contexts;
  // A web certificate that replaced the startup one (Let's Encrypt, acme/lets_encrypt.hpp): new
  // connections switch to it in the certificate callback. Replaced contexts are kept.
  std::atomic<SSL_CTX*> web_tls_override{nullptr};
  std::vector<std::unique_ptr<ssl::context>> web_tls_replaced;
  // HTTP-01 answers of an ACME order in progress, served on the HTTP port (RedirPort).
  acme::Challenges* acme_challenges = nullptr;
  std::unique_ptr<StaticFiles> files;
  proto::ServerInfo info;
  Metrics metrics;
  // Per domain id: the certificate a TLS offloader presents (CertUrl), which agents will see.
  std::map<std::string, RemoteCertificate> agent_facing_certs;
  // The durable store; I/O threads reach it through async_db only.
  std::shared_ptr<store::Store> db;
  std::unique_ptr<store::AsyncStore> async_db;
  // Logins, sessions, live events (accounts/service.hpp); created after async_db.
  std::unique_ptr<accounts::Service> accounts;
  // Email verification and password reset (accounts/account_mail.hpp): set when
  // Settings::email_check() holds at start.
  std::unique_ptr<accounts::AccountMail> account_mail;
  // Intel AMT: the CIRA password (MpsPass or generated, amt/mps_server.hpp) and the MPS, when on.
  std::string mps_password;
  std::optional<accounts::CiraInfo> cira;  // set when the MPS listens
  amt::MpsServer* mps = nullptr;
  amt::AmtManager* amt = nullptr;
  amt::AmtScanner* amt_scanner = nullptr;  // "Scan network"; null in WanOnly
  std::vector<std::uint8_t> amt_key;  // seals Intel AMT credentials (amt/credentials.hpp)
  // Agents: the key that proves the server to them, who is connected, relays waiting for agents.
  std::unique_ptr<agents::ServerAgentKey> agent_key;
  agents::AgentRegistry* agents = nullptr;
  agents::RelayHub* relays = nullptr;
  // Peer servers sharing the database (peers/peering.hpp): set when config.json has "peers".
  peers::Peering* peering = nullptr;
  // Disk work of file sessions (files/server_files.hpp), off the I/O threads.
  boost::asio::thread_pool* file_io = nullptr;
  // Where results of database work nobody waits for are delivered (the io_context).
  boost::asio::any_io_executor async_db_executor;
};

}  // namespace mw::server
