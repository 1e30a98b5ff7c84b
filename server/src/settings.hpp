// The server's typed settings, built once at start from config.json + the command line
// (config/config.hpp) and read-only afterwards. Names follow MeshCentral's settings.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "acme/acme.hpp"
#include "mail/smtp.hpp"
#include "peers/peer_settings.hpp"
#include "store/pg_options.hpp"

namespace mw::server {

namespace config {
struct Config;
}

enum class CertAlgorithm { kRsa3072, kEcdsaP384 };

// One tenant: its own users, device groups and devices, selected by path (/<id>/) or by Dns.
struct DomainSettings {
  std::string id;  // "" = default domain; otherwise the lower-cased key of config.json "domains"
  std::string title = "Meshwork";
  std::string title2;
  std::string title_picture;
  std::string footer;
  bool new_accounts = false;
  std::vector<std::string> user_allowed_ip;
  std::string dns;
  std::string cert_url;
  bool allow_framing = false;
  bool allow_login_token = false;
  // PasswordRequirements (MeshCentral's keys); 0 = no rule. Checked when a password is set.
  int password_min = 8, password_max = 128, password_upper = 0, password_lower = 0, password_numeric = 0,
      password_nonalpha = 0;
  long long user_quota_kb = 0;
  long long mesh_quota_kb = 0;
};

struct Settings {
  std::filesystem::path datapath = "meshwork-data";
  std::filesystem::path filespath = "meshwork-files";
  std::filesystem::path webroot;  // browser app; default: <binary dir>/../web
  std::string cert;               // server name in the web certificate; default: host name
  std::string mps_cert;
  std::string agent_binary;       // AgentBinary: served at /meshagents; default: beside the server
  std::string port_bind;
  std::string mps_port_bind;
  int port = 443;
  int alias_port = 0;
  int redir_port = 80;
  int mps_port = 4433;
  int mps_alias_port = 0;
  bool exact_ports = false;
  bool lan_only = false;
  bool wan_only = false;
  // LAN discovery (agents/lan_discovery.hpp): on unless WanOnly or MeshScanner is false.
  bool mesh_scanner = true;
  // Intel AMT computers added on the LAN are checked every amt_poll_seconds (AmtManager).
  bool amt_scanner = true;
  int amt_poll_seconds = 30;
  std::string discovery_name, discovery_info;  // LocalDiscovery.name / .info (answers to MeshServerScan)
  std::string discovery_key;                   // LocalDiscovery.key: packets encrypted (secret)
  int discovery_port = 16989;                  // LocalDiscovery.port (Meshwork's; MeshCentral's is fixed)
  bool tls_offload = false;                     // plain HTTP on Port behind an offloader
  std::vector<std::string> tls_offload_trusted;  // X-Forwarded-* trusted only from these (empty: all, when offloading)
  bool mps_tls_offload = false;
  // MpsHighSecurity: TLS 1.2+ only with Intel AMT (MPS, LAN, inside CIRA channels). MeshCentral's
  // default is the other way round; false accepts TLS 1.0/1.1 for Intel AMT before version 11.
  bool mps_high_security = true;
  std::string session_key;  // secret
  int session_time_minutes = 60;
  bool allow_framing = false;
  bool allow_login_token = false;
  bool no_users = false;
  std::string user;
  int agent_pong_seconds = 0;
  std::string mps_pass;  // secret
  // Postgres: the store in PostgreSQL (else the SQLite file); its password is secret.
  std::optional<store::PgOptions> postgres;
  // config.json "smtp": mail for account verification and password reset; pass is secret.
  std::optional<mail::SmtpSettings> smtp;
  // config.json "letsencrypt": the web certificate from an ACME CA (acme/lets_encrypt.hpp).
  std::optional<acme::Settings> lets_encrypt;
  // config.json "peers": servers sharing the database act as one (peers/peering.hpp).
  std::optional<peers::PeerSettings> peers;
  // Retention (DbExpire, in MeshCentral's seconds; kept here in whole days, rounded up).
  int event_retention_days = 20;
  int power_retention_days = 10;
  CertAlgorithm cert_algorithm = CertAlgorithm::kRsa3072;
  std::string log_level = "info";
  int threads = 0;
  std::vector<DomainSettings> domains;  // the default domain ("") first
  std::vector<std::string> warnings;    // found while reading settings (logged at start, with config.json's)

  int public_port(int bound_port) const { return alias_port ? alias_port : bound_port; }
  // "LAN", "WAN" or "hybrid", as MeshCentral names its modes.
  std::string mode() const;
  const DomainSettings& default_domain() const { return domains.front(); }
  // MeshCentral's rule for asking users to verify their email (and offering password reset by
  // mail): a mail server, a server name with a dot (not a bare host name), and not LAN mode.
  bool email_check() const { return smtp.has_value() && cert.find('.') != std::string::npos && !lan_only; }
};

// Builds typed settings; throws config::ConfigError on values that are well-typed but invalid
// (ports out of range, unknown CertAlgorithm, ...).
Settings make_settings(const config::Config& cfg);

}  // namespace mw::server
