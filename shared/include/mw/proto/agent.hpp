// The agent channel (/agent.ashx) and the agent's settings file, shared by meshwork-server and
// meshwork-agent. Sans-I/O: this file builds and parses messages and the byte strings that get
// signed; the caller does the cryptography (OpenSSL natively) and the I/O.
//
// One JSON object per WebSocket text message, with an "action" field (docs/agent-protocol.md):
//   agent  → server  {"action":"agenthello","v":1,"nonce":B64(48 bytes)}
//   server → agent   {"action":"serverauth","nonce":B64(48),"cert":B64(DER of agentserver cert),
//                     "sig":B64(signature by that cert's key over server_transcript(...))}
//   agent  → server  {"action":"agentauth","pubkey":B64(SPKI DER),"sig":B64(over agent_transcript),
//                     "meshid":"mesh//…","ver":"0.1.0","platform":"linux","hostname":"pc1"}
//   server → agent   {"action":"authok","nodeid":"node//…"} or {"action":"autherror","reason":"…"}
//   agent  → server  {"action":"sysinfo","info":{…}} (on connect and on change), {"action":"pong"}
//   server → agent   {"action":"ping"}, {"action":"tunnel","id":"…","p":1,"cols":80,"rows":24},
//                    {"action":"runcommands","id":"…","cmds":"…","reply":true},
//                    {"action":"notify","kind":"toast","title":"…","msg":"…","from":"…"}
//   agent  → server  {"action":"runcommandsresult","id":"…","result":"…","exitcode":0}
// Both transcripts bind the SHA-384 of the TLS certificate the agent saw, so a man in the middle
// with another certificate cannot relay a valid proof either way.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "mw/util/result.hpp"

namespace mw::proto::agent {

inline constexpr int kVersion = 1;
inline constexpr std::size_t kNonceSize = 48;
inline constexpr std::size_t kHashSize = 48;              // SHA-384
inline constexpr std::size_t kMaxMessage = 256 * 1024;    // largest agent-channel message

// Relay protocols, MeshCentral's numbers ("p" of a tunnel and of /meshrelay.ashx).
enum class RelayProtocol : int { kTerminal = 1, kDesktop = 2, kFiles = 5 };
std::optional<RelayProtocol> relay_protocol(int p);
const char* relay_protocol_name(RelayProtocol p);

// [SECTION] Authentication transcripts (what each side signs; SHA-384 of these with the key)
using Bytes = std::vector<std::uint8_t>;
Bytes server_transcript(std::span<const std::uint8_t> tls_cert_hash, std::span<const std::uint8_t> agent_nonce,
                        std::span<const std::uint8_t> server_nonce);
Bytes agent_transcript(std::span<const std::uint8_t> tls_cert_hash, std::span<const std::uint8_t> agent_nonce,
                       std::span<const std::uint8_t> server_nonce);

// A device id from the SHA-384 of the agent's public key (SPKI DER): MeshCentral's base64 with
// '+' → '@' and '/' → '$', as it names agent devices ("node/<domain>/" + this).
std::string node_value(std::span<const std::uint8_t> pubkey_sha384);

// [SECTION] Messages
struct AgentHello {
  int version = 0;
  Bytes nonce;
};
struct ServerAuth {
  Bytes nonce, cert_der, signature;
};
struct AgentAuth {
  Bytes pubkey_der, signature;
  std::string meshid, version, platform;
  std::string hostname;  // the device's name when the server creates its record
};
struct AuthOk {
  std::string nodeid;
};
struct AuthError {
  std::string reason;
};
struct SysInfo {
  nlohmann::json info;  // an object; see docs/agent-protocol.md for its fields
};
struct Ping {};
struct Pong {};
// The server asks the agent to uninstall itself (MeshCentral's "uninstallagent", the "uninstall
// agent" right): a service removes itself; an agent in the foreground forgets its identity and exits.
struct UninstallAgent {};
// Displays (monitors) an agent offers for one desktop, at most.
constexpr int kMaxDisplay = 16;
struct Tunnel {
  std::string id;  // relay id: the agent opens /meshrelay.ashx?id=<id>
  RelayProtocol protocol = RelayProtocol::kTerminal;
  int cols = 80, rows = 24;  // terminal size the browser starts with
  bool view_only = false;    // desktop: the viewer may watch, not type or point
  int display = 0;           // desktop: 0 the whole screen, 1.. one monitor (the agent's list)
  bool limited_input = false;  // desktop: the viewer may point and type only letters, digits, Enter
                               // and Backspace (rfb::limited_input_key), never set the clipboard
};
// A message for the person at the device (MeshCentral's "toast" and "msg" of type "messagebox",
// the "chat and notify" right): a toast is a desktop notification, a message box a window with a
// button that closes by itself after `timeout_s` seconds (0: only when closed).
inline constexpr std::size_t kMaxNotifyTitle = 512;
inline constexpr std::size_t kMaxNotifyMessage = 4096;
inline constexpr int kMaxNotifyTimeoutSeconds = 3600;
struct Notify {
  enum class Kind { kToast, kMessageBox };
  Kind kind = Kind::kToast;
  std::string title, message;
  std::string from;  // the account that sent it, for the agent's log
  int timeout_s = 0;
};
// Run a shell command (MeshCentral's "runcommands" for Linux agents) and, when asked, answer with
// its output (stdout and stderr together, at most 1 MiB) and exit code; or, type 4, one agent
// console command (MeshCentral's agent console: the agent's own commands, never a shell).
inline constexpr int kShellCommands = 3;
inline constexpr int kConsoleCommand = 4;
struct RunCommands {
  std::string id;
  std::string cmds;
  bool reply = false;
  int type = kShellCommands;
};
struct RunCommandsResult {
  std::string id;
  std::string result;
  int exit_code = 0;
};
struct Unknown {
  std::string action;
};

using Message = std::variant<AgentHello, ServerAuth, AgentAuth, AuthOk, AuthError, SysInfo, Ping, Pong, Tunnel, RunCommands,
                             RunCommandsResult, UninstallAgent, Notify, Unknown>;

std::string encode(const Message& m);
// Parses one message. Malformed JSON, a missing or mistyped field, bad base64 or a nonce of the
// wrong size give an Error; never throws. Unknown actions parse as Unknown (newer peers).
Result<Message> parse(std::string_view text);

// [SECTION] Settings file (MeshCentral's .msh form: Key=Value lines)
struct Settings {
  std::string server_url;  // MeshServer: wss://host:port/agent.ashx, or "local": found by LAN discovery
  std::string server_id;   // ServerID: SHA-384 (hex) of the agent-server certificate's public key
  std::string mesh_id;     // MeshID: "mesh/<domain>/<id>"
  std::string mesh_name;   // MeshName (informational)
  std::string terminal_user;  // TerminalUser: run terminals as this account (agent running as root)
  std::string files_root;     // FilesRoot: the folder file sessions may reach ("/" by default)
  std::string display;        // Display: the X display desktop sessions show ("" = $DISPLAY, else :0)
  std::string discovery_key;  // DiscoveryKey: the server's LocalDiscovery.key (MeshServer=local)
  int discovery_port = 0;     // DiscoveryPort: the server's UDP discovery port (0: 16989)
  std::string discovery_interface;  // DiscoveryInterface: search through this IPv4 address only ("": all)
};
std::string format_settings(const Settings& s);
// Unknown keys are kept out (an error lists them), so a typo never goes unnoticed.
Result<Settings> parse_settings(std::string_view text);

// Splits wss://host[:port]/path; port defaults to 443.
struct Url {
  std::string host, path;
  int port = 443;
};
Result<Url> parse_wss_url(std::string_view url);

}  // namespace mw::proto::agent
