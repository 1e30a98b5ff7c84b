// Typed settings from validated config values, with range checks and MeshCentral's defaults.
#include "settings.hpp"

#include <algorithm>
#include <sstream>

#include "config/config.hpp"
#include "store/pg_store.hpp"

namespace mw::server {
namespace {

int port_value(const config::Values& v, const char* name) {
  const long long p = v.get_int(name);
  if (p < 0 || p > 65535) throw config::ConfigError(std::string(name) + " must be between 0 and 65535");
  return static_cast<int>(p);
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

}  // namespace

std::string Settings::mode() const {
  if (lan_only) return "LAN";
  if (wan_only) return "WAN";
  return "hybrid";
}

Settings make_settings(const config::Config& cfg) {
  const config::Values& v = cfg.settings;
  Settings s;
  s.datapath = v.get_string("DataPath");
  s.filespath = v.get_string("FilesPath");
  s.webroot = v.get_string("WebRoot");
  s.cert = v.get_string("Cert");
  s.mps_cert = v.get_string("MpsCert");
  s.agent_binary = v.get_string("AgentBinary");
  s.port_bind = v.get_string("PortBind");
  s.mps_port_bind = v.get_string("MpsPortBind");
  s.port = port_value(v, "Port");
  s.alias_port = port_value(v, "AliasPort");
  s.redir_port = port_value(v, "RedirPort");
  s.mps_port = port_value(v, "MpsPort");
  s.mps_alias_port = port_value(v, "MpsAliasPort");
  s.exact_ports = v.get_bool("ExactPorts");
  s.lan_only = v.get_bool("LanOnly");
  s.wan_only = v.get_bool("WanOnly");
  if (s.lan_only && s.wan_only) throw config::ConfigError("LanOnly and WanOnly cannot both be set");
  s.mesh_scanner = v.get_bool("MeshScanner");
  s.amt_scanner = v.get_bool("AmtScanner");
  const long long poll = v.get_int("AmtPollInterval");
  if (poll < 0 || poll > 86400) throw config::ConfigError("AmtPollInterval must be 0 (off) to 86400 seconds");
  s.amt_poll_seconds = static_cast<int>(poll);
  if (const auto ld = v.get("LocalDiscovery"); ld.is_object()) {
    for (const auto& [key, value] : ld.items()) {
      if (key == "port") {
        if (!value.is_number_integer() || value.get<long long>() < 1 || value.get<long long>() > 65535) {
          throw config::ConfigError("LocalDiscovery.port must be a port number (1 to 65535)");
        }
        s.discovery_port = value.get<int>();
      } else if (key == "name" || key == "info" || key == "key") {
        if (!value.is_string() || value.get<std::string>().size() > 200) {
          throw config::ConfigError("LocalDiscovery." + key + " must be text of at most 200 characters");
        }
        (key == "name" ? s.discovery_name : key == "info" ? s.discovery_info : s.discovery_key) = value.get<std::string>();
      } else {
        throw config::ConfigError("LocalDiscovery." + key + " is not name, info, key or port");
      }
    }
  }
  const auto offload = v.get("TlsOffload");
  if (offload.is_boolean()) {
    s.tls_offload = offload.get<bool>();
  } else if (offload.is_string()) {
    s.tls_offload = true;
    s.tls_offload_trusted = split_list(offload.get<std::string>());
  }
  s.mps_tls_offload = v.get_bool("MpsTlsOffload");
  s.mps_high_security = v.get_bool("MpsHighSecurity");
  s.session_key = v.get_string("SessionKey");
  const long long st = v.get_int("SessionTime");
  if (st < 1 || st > 60 * 24 * 365) throw config::ConfigError("SessionTime must be between 1 and 525600 minutes");
  s.session_time_minutes = static_cast<int>(st);
  s.allow_framing = v.get_bool("AllowFraming");
  s.allow_login_token = v.get_bool("AllowLoginToken");
  s.no_users = v.get_bool("NoUsers");
  s.user = v.get_string("User");
  s.agent_pong_seconds = static_cast<int>(v.get_int("AgentPong"));
  s.mps_pass = v.get_string("MpsPass");
  if (const auto pg = v.get("Postgres"); !pg.is_null()) {
    auto o = store::pg_options(pg);
    if (!o) throw config::ConfigError(o.error().message);
    s.postgres = std::move(o.value());
  }
  const auto expire = v.get("DbExpire");
  if (expire.is_object()) {
    auto days = [&](const char* key, int& out) {
      if (!expire.contains(key)) return;
      const auto& x = expire[key];
      if (!x.is_number_integer() || x.get<long long>() < 60 || x.get<long long>() > 100LL * 365 * 86400) {
        throw config::ConfigError(std::string("DbExpire.") + key + " must be a number of seconds between 60 and 100 years");
      }
      out = static_cast<int>((x.get<long long>() + 86399) / 86400);
    };
    days("events", s.event_retention_days);
    days("powerevents", s.power_retention_days);
    for (const auto& [key, value] : expire.items()) {
      if (key != "events" && key != "powerevents" && key != "statsevents") {
        throw config::ConfigError("DbExpire." + key + " is not events, powerevents or statsevents");
      }
    }
  }
  const std::string algo = v.get_string("CertAlgorithm");
  if (algo == "rsa3072") {
    s.cert_algorithm = CertAlgorithm::kRsa3072;
  } else if (algo == "ecdsa-p384") {
    s.cert_algorithm = CertAlgorithm::kEcdsaP384;
  } else {
    throw config::ConfigError("CertAlgorithm must be rsa3072 or ecdsa-p384 (got \"" + algo + "\")");
  }
  s.log_level = v.get_string("LogLevel");
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  if (std::find(std::begin(kLevels), std::end(kLevels), s.log_level) == std::end(kLevels)) {
    throw config::ConfigError("LogLevel must be trace, debug, info, warn, error or off");
  }
  const long long threads = v.get_int("Threads");
  if (threads < 0 || threads > 256) throw config::ConfigError("Threads must be between 0 and 256");
  s.threads = static_cast<int>(threads);

  // Domains: the default one first, then the others in config order (std::map: sorted by id).
  for (const auto& [id, dv] : cfg.domains) {
    DomainSettings d;
    d.id = id;
    d.title = dv.get_string("Title");
    d.title2 = dv.get_string("Title2");
    d.title_picture = dv.get_string("TitlePicture");
    d.footer = dv.get_string("Footer");
    d.new_accounts = dv.get_bool("NewAccounts");
    d.user_allowed_ip = split_list(dv.get_string("UserAllowedIP"));
    d.dns = dv.get_string("Dns");
    d.cert_url = dv.get_string("CertUrl");
    d.allow_framing = dv.has("AllowFraming") ? dv.get_bool("AllowFraming") : s.allow_framing;
    d.allow_login_token = dv.has("AllowLoginToken") ? dv.get_bool("AllowLoginToken") : s.allow_login_token;
    if (const auto pr = dv.get("PasswordRequirements"); pr.is_object()) {
      auto rule = [&](const char* key, int& out) {
        if (!pr.contains(key)) return;
        const auto& x = pr[key];
        if (!x.is_number_integer() || x.get<long long>() < 0 || x.get<long long>() > 1024) {
          throw config::ConfigError(std::string("PasswordRequirements.") + key + " must be a number from 0 to 1024");
        }
        out = static_cast<int>(x.get<long long>());
      };
      rule("min", d.password_min);
      rule("max", d.password_max);
      rule("upper", d.password_upper);
      rule("lower", d.password_lower);
      rule("numeric", d.password_numeric);
      rule("nonalpha", d.password_nonalpha);
      if (d.password_max > 0 && d.password_min > d.password_max) {
        throw config::ConfigError("PasswordRequirements.min is larger than PasswordRequirements.max");
      }
    }
    d.user_quota_kb = dv.get_int("UserQuota");
    d.mesh_quota_kb = dv.get_int("MeshQuota");
    if (id.empty()) {
      s.domains.insert(s.domains.begin(), d);
    } else {
      s.domains.push_back(d);
    }
  }
  if (const auto it = cfg.sections.find("letsencrypt"); it != cfg.sections.end()) {
    auto le = acme::parse_settings(*it, s.warnings);
    if (!le) throw config::ConfigError(le.error().message);
    s.lets_encrypt = std::move(le.value());
  }
  if (const auto it = cfg.sections.find("peers"); it != cfg.sections.end()) {
    auto peers = peers::parse_peer_settings(*it, s.warnings);
    if (!peers) throw config::ConfigError(peers.error().message);
    s.peers = std::move(peers.value());
  }
  if (const auto it = cfg.sections.find("smtp"); it != cfg.sections.end()) {
    auto smtp = mail::smtp_settings(*it, s.warnings);
    if (!smtp) throw config::ConfigError(smtp.error().message);
    s.smtp = std::move(smtp.value());
  }
  return s;
}

}  // namespace mw::server
