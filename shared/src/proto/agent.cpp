// Agent channel messages and the settings file (agent.hpp), with nlohmann/json used without
// exceptions (parse with allow_exceptions=false, typed access checked first).
#include "mw/proto/agent.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "mw/util/base64.hpp"

namespace mw::proto::agent {

using nlohmann::json;

namespace {

constexpr std::string_view kServerLabel = "meshwork-agent-v1 server";
constexpr std::string_view kAgentLabel = "meshwork-agent-v1 agent";
constexpr std::size_t kMaxDer = 16 * 1024;  // a certificate or public key larger than this is hostile

Bytes transcript(std::string_view label, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
                 std::span<const std::uint8_t> c) {
  Bytes out(label.begin(), label.end());
  out.push_back(0);
  // Each part is length-prefixed so no two different inputs give the same bytes.
  for (auto part : {a, b, c}) {
    out.push_back(static_cast<std::uint8_t>(part.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(part.size()));
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

std::string b64(const Bytes& b) { return util::base64_encode(b); }

// The string field `key`, or an error naming it.
Result<std::string> text(const json& j, const char* key, bool required = true) {
  const auto it = j.find(key);
  if (it == j.end()) {
    if (!required) return std::string();
    return make_error("missing-field", std::string("agent message without \"") + key + "\"");
  }
  if (!it->is_string()) return make_error("bad-field", std::string("agent message field \"") + key + "\" is not text");
  return it->get<std::string>();
}

Result<Bytes> bytes(const json& j, const char* key, std::size_t exact, std::size_t max) {
  auto t = text(j, key);
  if (!t) return t.error();
  if (t->size() > max * 4 / 3 + 4) return make_error("too-large", std::string("agent message field \"") + key + "\" is too large");
  auto d = util::base64_decode(*t);
  if (!d) return make_error("bad-base64", std::string("agent message field \"") + key + "\" is not base64");
  if (exact && d->size() != exact) {
    return make_error("bad-size", std::string("agent message field \"") + key + "\" must be " + std::to_string(exact) + " bytes");
  }
  if (d->empty()) return make_error("bad-size", std::string("agent message field \"") + key + "\" is empty");
  return std::move(d.value());
}

int int_or(const json& j, const char* key, int fallback) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return fallback;
  const auto v = it->get<std::int64_t>();
  return v < -1000000 || v > 1000000 ? fallback : static_cast<int>(v);
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::optional<RelayProtocol> relay_protocol(int p) {
  switch (p) {
    case 1: return RelayProtocol::kTerminal;
    case 2: return RelayProtocol::kDesktop;
    case 5: return RelayProtocol::kFiles;
    default: return std::nullopt;
  }
}

const char* relay_protocol_name(RelayProtocol p) {
  switch (p) {
    case RelayProtocol::kTerminal: return "terminal";
    case RelayProtocol::kDesktop: return "desktop";
    case RelayProtocol::kFiles: return "files";
  }
  return "?";
}

Bytes server_transcript(std::span<const std::uint8_t> tls_cert_hash, std::span<const std::uint8_t> agent_nonce,
                        std::span<const std::uint8_t> server_nonce) {
  return transcript(kServerLabel, tls_cert_hash, agent_nonce, server_nonce);
}

Bytes agent_transcript(std::span<const std::uint8_t> tls_cert_hash, std::span<const std::uint8_t> agent_nonce,
                       std::span<const std::uint8_t> server_nonce) {
  return transcript(kAgentLabel, tls_cert_hash, agent_nonce, server_nonce);
}

std::string node_value(std::span<const std::uint8_t> pubkey_sha384) {
  return util::base64_encode(pubkey_sha384, util::Base64Alphabet::kMeshCentral);
}

std::string encode(const Message& m) {
  json j;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, AgentHello>) {
          j = {{"action", "agenthello"}, {"v", v.version}, {"nonce", b64(v.nonce)}};
        } else if constexpr (std::is_same_v<T, ServerAuth>) {
          j = {{"action", "serverauth"}, {"nonce", b64(v.nonce)}, {"cert", b64(v.cert_der)}, {"sig", b64(v.signature)}};
        } else if constexpr (std::is_same_v<T, AgentAuth>) {
          j = {{"action", "agentauth"}, {"pubkey", b64(v.pubkey_der)}, {"sig", b64(v.signature)},
               {"meshid", v.meshid},    {"ver", v.version},            {"platform", v.platform},
               {"hostname", v.hostname}};
        } else if constexpr (std::is_same_v<T, AuthOk>) {
          j = {{"action", "authok"}, {"nodeid", v.nodeid}};
        } else if constexpr (std::is_same_v<T, AuthError>) {
          j = {{"action", "autherror"}, {"reason", v.reason}};
        } else if constexpr (std::is_same_v<T, SysInfo>) {
          j = {{"action", "sysinfo"}, {"info", v.info}};
        } else if constexpr (std::is_same_v<T, Ping>) {
          j = {{"action", "ping"}};
        } else if constexpr (std::is_same_v<T, Pong>) {
          j = {{"action", "pong"}};
        } else if constexpr (std::is_same_v<T, UninstallAgent>) {
          j = {{"action", "uninstallagent"}};
        } else if constexpr (std::is_same_v<T, Tunnel>) {
          j = {{"action", "tunnel"}, {"id", v.id}, {"p", static_cast<int>(v.protocol)}, {"cols", v.cols}, {"rows", v.rows},
               {"viewonly", v.view_only}};
          if (v.display != 0) j["display"] = v.display;
          if (v.limited_input) j["limitedinput"] = true;
        } else if constexpr (std::is_same_v<T, Notify>) {
          j = {{"action", "notify"}, {"kind", v.kind == Notify::Kind::kToast ? "toast" : "messagebox"}, {"title", v.title},
               {"msg", v.message}, {"from", v.from}};
          if (v.kind == Notify::Kind::kMessageBox) j["timeout"] = v.timeout_s;
        } else if constexpr (std::is_same_v<T, RunCommands>) {
          j = {{"action", "runcommands"}, {"id", v.id}, {"cmds", v.cmds}, {"reply", v.reply}};
          if (v.type != kShellCommands) j["type"] = v.type;
        } else if constexpr (std::is_same_v<T, RunCommandsResult>) {
          j = {{"action", "runcommandsresult"}, {"id", v.id}, {"result", v.result}, {"exitcode", v.exit_code}};
        } else {
          j = {{"action", v.action}};
        }
      },
      m);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Message> parse(std::string_view text_in) {
  if (text_in.size() > kMaxMessage) return make_error("too-large", "agent message larger than 256 KiB");
  json j = json::parse(text_in.begin(), text_in.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("bad-json", "agent message is not a JSON object");
  auto action = text(j, "action");
  if (!action) return action.error();
  const std::string& a = *action;
  if (a == "agenthello") {
    auto nonce = bytes(j, "nonce", kNonceSize, kNonceSize);
    if (!nonce) return nonce.error();
    return Message{AgentHello{int_or(j, "v", 0), std::move(*nonce)}};
  }
  if (a == "serverauth") {
    auto nonce = bytes(j, "nonce", kNonceSize, kNonceSize);
    if (!nonce) return nonce.error();
    auto cert = bytes(j, "cert", 0, kMaxDer);
    if (!cert) return cert.error();
    auto sig = bytes(j, "sig", 0, 1024);
    if (!sig) return sig.error();
    return Message{ServerAuth{std::move(*nonce), std::move(*cert), std::move(*sig)}};
  }
  if (a == "agentauth") {
    auto key = bytes(j, "pubkey", 0, kMaxDer);
    if (!key) return key.error();
    auto sig = bytes(j, "sig", 0, 1024);
    if (!sig) return sig.error();
    auto mesh = text(j, "meshid");
    if (!mesh) return mesh.error();
    auto ver = text(j, "ver", false);
    if (!ver) return ver.error();
    auto platform = text(j, "platform", false);
    if (!platform) return platform.error();
    auto host = text(j, "hostname", false);
    if (!host) return host.error();
    if (host->size() > 255) host->resize(255);
    return Message{AgentAuth{std::move(*key), std::move(*sig), std::move(*mesh), std::move(*ver), std::move(*platform),
                             std::move(*host)}};
  }
  if (a == "authok") {
    auto id = text(j, "nodeid");
    if (!id) return id.error();
    return Message{AuthOk{std::move(*id)}};
  }
  if (a == "autherror") {
    auto r = text(j, "reason", false);
    if (!r) return r.error();
    return Message{AuthError{std::move(*r)}};
  }
  if (a == "sysinfo") {
    const auto it = j.find("info");
    if (it == j.end() || !it->is_object()) return make_error("bad-field", "sysinfo without an \"info\" object");
    return Message{SysInfo{std::move(*it)}};
  }
  if (a == "ping") return Message{Ping{}};
  if (a == "pong") return Message{Pong{}};
  if (a == "uninstallagent") return Message{UninstallAgent{}};
  if (a == "tunnel") {
    auto id = text(j, "id");
    if (!id) return id.error();
    if (id->empty() || id->size() > 128) return make_error("bad-field", "tunnel id must be 1 to 128 characters");
    const auto p = relay_protocol(int_or(j, "p", 0));
    if (!p) return make_error("bad-field", "tunnel with an unknown protocol");
    Tunnel t{std::move(*id), *p, std::clamp(int_or(j, "cols", 80), 1, 1000), std::clamp(int_or(j, "rows", 24), 1, 1000),
             j.contains("viewonly") && j["viewonly"].is_boolean() && j["viewonly"].get<bool>(),
             std::clamp(int_or(j, "display", 0), 0, kMaxDisplay)};
    t.limited_input = j.contains("limitedinput") && j["limitedinput"].is_boolean() && j["limitedinput"].get<bool>();
    return Message{std::move(t)};
  }
  if (a == "notify") {
    const std::string kind = j.contains("kind") && j["kind"].is_string() ? j["kind"].get<std::string>() : "";
    if (kind != "toast" && kind != "messagebox") return make_error("bad-field", "notify of an unknown kind");
    auto title = text(j, "title", false);
    if (!title) return title.error();
    auto msg = text(j, "msg");
    if (!msg) return msg.error();
    auto from = text(j, "from", false);
    if (!from) return from.error();
    if (title->size() > kMaxNotifyTitle || msg->empty() || msg->size() > kMaxNotifyMessage || from->size() > 256) {
      return make_error("bad-field", "notify title, message or sender too long (or no message)");
    }
    Notify n{kind == "toast" ? Notify::Kind::kToast : Notify::Kind::kMessageBox, std::move(*title), std::move(*msg),
             std::move(*from), std::clamp(int_or(j, "timeout", 0), 0, kMaxNotifyTimeoutSeconds)};
    return Message{std::move(n)};
  }
  if (a == "runcommands") {
    auto id = text(j, "id");
    if (!id) return id.error();
    auto cmds = text(j, "cmds");
    if (!cmds) return cmds.error();
    const auto r = j.find("reply");
    const int type = int_or(j, "type", kShellCommands);
    if (type != kShellCommands && type != kConsoleCommand) return make_error("bad-field", "runcommands of an unknown type");
    return Message{RunCommands{std::move(*id), std::move(*cmds), r != j.end() && r->is_boolean() && r->get<bool>(), type}};
  }
  if (a == "runcommandsresult") {
    auto id = text(j, "id");
    if (!id) return id.error();
    auto result = text(j, "result", false);
    if (!result) return result.error();
    return Message{RunCommandsResult{std::move(*id), std::move(*result), int_or(j, "exitcode", -1)}};
  }
  return Message{Unknown{a}};
}

std::string format_settings(const Settings& s) {
  std::string out;
  auto line = [&](const char* k, const std::string& v) {
    if (!v.empty()) out += std::string(k) + "=" + v + "\n";
  };
  line("MeshName", s.mesh_name);
  line("MeshID", s.mesh_id);
  line("ServerID", s.server_id);
  line("MeshServer", s.server_url);
  line("TerminalUser", s.terminal_user);
  line("FilesRoot", s.files_root);
  line("Display", s.display);
  line("DiscoveryKey", s.discovery_key);
  if (s.discovery_port > 0) line("DiscoveryPort", std::to_string(s.discovery_port));
  line("DiscoveryInterface", s.discovery_interface);
  return out;
}

Result<Settings> parse_settings(std::string_view text_in) {
  if (text_in.size() > 64 * 1024) return make_error("too-large", "settings file larger than 64 KiB");
  Settings s;
  std::string unknown;
  int line_no = 0;
  while (!text_in.empty()) {
    const auto nl = text_in.find('\n');
    std::string_view line = text_in.substr(0, nl);
    text_in = nl == std::string_view::npos ? std::string_view() : text_in.substr(nl + 1);
    ++line_no;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    const auto eq = t.find('=');
    if (eq == std::string::npos) {
      return make_error("bad-settings", "settings line " + std::to_string(line_no) + " has no '=': " + t.substr(0, 60));
    }
    const std::string key = lower(trim(std::string_view(t).substr(0, eq)));
    std::string value = trim(std::string_view(t).substr(eq + 1));
    if (key == "meshserver") s.server_url = std::move(value);
    else if (key == "serverid") s.server_id = lower(std::move(value));
    else if (key == "meshid") s.mesh_id = std::move(value);
    else if (key == "meshname") s.mesh_name = std::move(value);
    else if (key == "terminaluser") s.terminal_user = std::move(value);
    else if (key == "filesroot") s.files_root = std::move(value);
    else if (key == "display") s.display = std::move(value);
    else if (key == "discoverykey") s.discovery_key = std::move(value);
    else if (key == "discoveryinterface") s.discovery_interface = std::move(value);
    else if (key == "discoveryport") {
      if (value.empty() || value.size() > 5 || !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
          std::stoi(value) < 1 || std::stoi(value) > 65535) {
        return make_error("bad-settings", "DiscoveryPort must be a port number (1 to 65535)");
      }
      s.discovery_port = std::stoi(value);
    }
    else if (key == "meshtype" || key == "serverhttpshash") continue;  // MeshCentral's, not needed here
    else unknown += (unknown.empty() ? "" : ", ") + t.substr(0, eq);
  }
  if (!unknown.empty()) return make_error("bad-settings", "unknown settings: " + unknown);
  if (s.server_url.empty()) return make_error("bad-settings", "settings without MeshServer (wss://host:port/agent.ashx, or local)");
  if (lower(s.server_url) == "local") s.server_url = "local";  // MeshCentral's LAN mode: found by discovery
  else if (!parse_wss_url(s.server_url)) return make_error("bad-settings", "MeshServer is not a wss:// URL or \"local\": " + s.server_url);
  if (s.server_id.size() != kHashSize * 2 ||
      !std::all_of(s.server_id.begin(), s.server_id.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
    return make_error("bad-settings", "ServerID must be 96 hexadecimal digits (SHA-384)");
  }
  if (s.mesh_id.rfind("mesh/", 0) != 0) return make_error("bad-settings", "MeshID must be a device group id (mesh/...)");
  return s;
}

Result<Url> parse_wss_url(std::string_view url) {
  constexpr std::string_view kScheme = "wss://";
  if (url.substr(0, kScheme.size()) != kScheme) return make_error("bad-url", "not a wss:// URL");
  url.remove_prefix(kScheme.size());
  Url u;
  const auto slash = url.find('/');
  std::string_view hostport = url.substr(0, slash);
  u.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (!hostport.empty() && hostport.front() == '[') {  // [IPv6]:port
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) return make_error("bad-url", "unclosed '[' in the host");
    u.host = std::string(hostport.substr(1, close - 1));
    hostport.remove_prefix(close + 1);
    if (!hostport.empty() && hostport.front() != ':') return make_error("bad-url", "junk after ']'");
  } else {
    const auto colon = hostport.rfind(':');
    u.host = std::string(hostport.substr(0, colon));
    hostport = colon == std::string_view::npos ? std::string_view() : hostport.substr(colon);
  }
  if (!hostport.empty()) {
    hostport.remove_prefix(1);
    int port = 0;
    const auto [p, ec] = std::from_chars(hostport.data(), hostport.data() + hostport.size(), port);
    if (ec != std::errc() || p != hostport.data() + hostport.size() || port < 1 || port > 65535) {
      return make_error("bad-url", "bad port in the URL");
    }
    u.port = port;
  }
  if (u.host.empty()) return make_error("bad-url", "no host in the URL");
  return u;
}

}  // namespace mw::proto::agent
