// The settings table. Keep entries grouped as in docs/configuration.md; help is one line.
#include "config/schema.hpp"
#include "text.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace mw::server::config {
namespace {

constexpr Spec kSettings[] = {
    // Folders and identity
    {"DataPath", Kind::kString, "meshwork-data", "Data folder: config.json, certificates, database", Support::kYes, false, true},
    {"FilesPath", Kind::kString, "meshwork-files", "Folder of files uploaded to the server", Support::kYes, false, true},
    {"WebRoot", Kind::kString, "", "Folder of the browser app (default: <binary>/../web)"},
    {"Cert", Kind::kString, "", "Server name (DNS name or IP) in the web and MPS certificates; default: host name"},
    {"CertAlgorithm", Kind::kString, "rsa3072", "Key type of generated certificates: rsa3072 or ecdsa-p384"},
    // Ports
    {"Port", Kind::kInt, "443", "HTTPS port; when busy the next free port is used unless ExactPorts (0: any free port)"},
    {"AliasPort", Kind::kInt, "0", "HTTPS port browsers and agents see, behind NAT or a proxy (0: same as Port)"},
    {"RedirPort", Kind::kInt, "80", "HTTP port redirecting to HTTPS (0: off)"},
    {"MpsPort", Kind::kInt, "4433", "Intel AMT MPS (CIRA) port (0: off)"},
    {"MpsAliasPort", Kind::kInt, "0", "MPS port Intel AMT devices see (0: same as MpsPort)"},
    {"MpsCert", Kind::kString, "", "Name in the MPS certificate when it differs from Cert"},
    {"AgentBinary", Kind::kString, "", "The meshwork-agent executable served at /meshagents (default: beside meshwork-server)"},
    {"PortBind", Kind::kString, "", "Address the web listeners bind to (default: all)"},
    {"MpsPortBind", Kind::kString, "", "Address the MPS listener binds to (default: all)"},
    {"ExactPorts", Kind::kBool, "false", "Fail when a port is busy instead of trying the next one"},
    {"LanOnly", Kind::kBool, "false", "LAN mode: no MPS, server name hidden, agents find the server by multicast"},
    {"WanOnly", Kind::kBool, "false", "WAN mode: no LAN discovery; needs Cert"},
    {"MeshScanner", Kind::kBool, "true", "Answer agents looking for the server on the LAN (UDP multicast; not with WanOnly)"},
    {"LocalDiscovery", Kind::kObject, "",
     "LAN discovery: {\"name\": shown to scanners, \"info\": more text, \"key\": encrypts the packets, \"port\": UDP port (16989)}",
     Support::kYes, true},  // secret: holds the key
    {"TlsOffload", Kind::kBoolOrString, "false",
     "Plain HTTP on Port behind a TLS offloader; a comma-separated address list trusts X-Forwarded-* only from them"},
    {"MpsTlsOffload", Kind::kBool, "false", "Plain TCP on MpsPort behind a TLS offloader"},
    {"MpsHighSecurity", Kind::kBool, "true",
     "TLS 1.2 or later only, on MpsPort and to Intel AMT; false also accepts TLS 1.0/1.1 (Intel AMT before version 11)"},
    // Sessions and embedding
    {"SessionKey", Kind::kString, "", "Key of session cookies (default: random at each start)", Support::kYes, true},
    {"SessionTime", Kind::kInt, "60", "Session lifetime in minutes"},
    {"AllowFraming", Kind::kBool, "false", "Allow the app in an iframe of another site"},
    {"AllowLoginToken", Kind::kBool, "false", "Accept login tokens in the URL (?login=TOKEN)"},
    {"NoUsers", Kind::kBool, "false", "Single user, localhost only, no login page"},
    {"User", Kind::kString, "", "Log browsers in as this user automatically"},
    {"Minify", Kind::kBool, "false", "Serve minified pages (the app is always compact; accepted)"},
    {"AgentPong", Kind::kInt, "0", "Seconds between server keep-alives to agents (0: default timing)"},
    {"MpsPass", Kind::kString, "", "Password Intel AMT devices use for CIRA (generated when absent)", Support::kYes, true},
    {"AmtScanner", Kind::kBool, "true", "Check the Intel AMT computers added on the LAN (presence and power) every AmtPollInterval"},
    {"AmtPollInterval", Kind::kInt, "30", "Seconds between checks of Intel AMT computers added on the LAN (0: off)"},
    // Accepted for compatibility
    {"SelfUpdate", Kind::kBoolOrString, "false", "MeshCentral self-update; not supported, logged", Support::kAccepted},
    {"WebRTC", Kind::kBool, "false", "MeshCentral WebRTC; accepted, no effect", Support::kAccepted},
    {"ClickOnce", Kind::kBool, "false", "MeshCentral ClickOnce; accepted, no effect", Support::kAccepted},
    {"Postgres", Kind::kObject, "",
     "Keep the database in PostgreSQL instead of meshwork.db: {\"host\", \"port\", \"user\", \"password\", \"database\" (meshwork), "
     "TLS: \"sslmode\", \"sslrootcert\", \"sslcert\", \"sslkey\" or node-postgres' \"ssl\"}",
     Support::kYes, true},  // secret: holds the password
    {"DbExpire", Kind::kObject, "", "Retention of events and power events in seconds: {\"events\": N, \"powerevents\": N}"},
    // Operations
    {"LogLevel", Kind::kString, "info", "trace, debug, info, warn, error or off"},
    {"Threads", Kind::kInt, "0", "I/O threads (0: one per core)"},
};

constexpr Spec kDomain[] = {
    {"Title", Kind::kString, "Meshwork", "First line of the banner"},
    {"Title2", Kind::kString, "", "Second line of the banner"},
    {"TitlePicture", Kind::kString, "", "Banner picture file in the data folder"},
    {"Footer", Kind::kString, "", "Footer text"},
    {"NewAccounts", Kind::kBool, "false", "Anyone who can reach the login page may create an account"},
    {"UserAllowedIP", Kind::kString, "", "Comma-separated addresses or CIDR ranges allowed to log in (empty: all)"},
    {"Dns", Kind::kString, "", "Host name that selects this domain (instead of its path)"},
    {"CertUrl", Kind::kString, "", "URL of a TLS offloader whose certificate agents will see"},
    {"AllowFraming", Kind::kBool, "", "Allow framing for this domain (default: the server setting)"},
    {"AllowLoginToken", Kind::kBool, "", "Accept login tokens for this domain (default: the server setting)"},
    {"PasswordRequirements", Kind::kObject, "", "Password rules: {\"min\": 8, \"max\": 128, \"upper\": N, \"lower\": N, \"numeric\": N, \"nonalpha\": N}"},
    {"UserQuota", Kind::kInt, "0", "Kilobytes an account may store in My Files (0: no limit; -1: no files on the server)"},
    {"MeshQuota", Kind::kInt, "0", "Kilobytes a device group may store in its files (0: no limit; -1: none)"},
};


}  // namespace

std::span<const Spec> settings_specs() { return kSettings; }
std::span<const Spec> domain_specs() { return kDomain; }

const Spec* find_spec(Scope scope, std::string_view name) {
  const std::string key = ascii_lower(name);
  for (const Spec& s : scope == Scope::kSettings ? settings_specs() : domain_specs()) {
    if (ascii_lower(s.name) == key) return &s;
  }
  return nullptr;
}

}  // namespace mw::server::config
