// config.json "peers" and the peer proof (peer_settings.hpp).
#include "peers/peer_settings.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>
#include <span>

#include "mw/util/hex.hpp"
#include "text.hpp"

namespace mw::server::peers {

using nlohmann::json;

namespace {
mw::Error peer_error(std::string message) { return mw::make_error("peers", std::move(message)); }

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}
}  // namespace

mw::Result<PeerServer> parse_peer_url(const std::string& url) {
  PeerServer s;
  s.url = url;
  std::string rest;
  if (url.rfind("wss://", 0) == 0) {
    rest = url.substr(6);
  } else if (url.rfind("ws://", 0) == 0) {
    s.tls = false;
    rest = url.substr(5);
  } else {
    return peer_error("must start with wss:// (or ws:// for a server's plain port behind a TLS offloader)");
  }
  const auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  s.path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (s.path.find_first_of("?#") != std::string::npos) return peer_error("must not have a query or fragment");
  if (s.path.back() != '/') s.path += '/';
  s.port = s.tls ? "443" : "80";
  if (!hostport.empty() && hostport.front() == '[') {
    const auto close = hostport.find(']');
    if (close == std::string::npos) return peer_error("has a malformed IPv6 address");
    s.host = hostport.substr(1, close - 1);
    if (close + 1 < hostport.size()) {
      if (hostport[close + 1] != ':') return peer_error("has a malformed port");
      s.port = hostport.substr(close + 2);
    }
  } else if (const auto colon = hostport.rfind(':'); colon != std::string::npos) {
    s.host = hostport.substr(0, colon);
    s.port = hostport.substr(colon + 1);
  } else {
    s.host = hostport;
  }
  if (s.host.empty()) return peer_error("has no host");
  if (s.port.empty() || s.port.size() > 5 || s.port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(s.port) < 1 || std::stoi(s.port) > 65535) {
    return peer_error("has a port that is not 1-65535");
  }
  return s;
}

mw::Result<PeerSettings> parse_peer_settings(const json& section, std::vector<std::string>& warnings) {
  if (!section.is_object()) return peer_error("config.json peers must be an object");
  PeerSettings out;
  const json* servers = nullptr;
  for (const auto& [key, v] : section.items()) {
    if (!key.empty() && key[0] == '_') continue;
    if (key == "serverid") {
      if (!v.is_string()) return peer_error("config.json peers.serverId must be a string");
      out.server_id = ascii_lower(v.get<std::string>());
    } else if (key == "servers") {
      if (!v.is_object()) return peer_error("config.json peers.servers must be an object of server ids");
      servers = &v;
    } else {
      warnings.push_back("config.json peers." + key + " is not a setting of the peers section; ignored");
    }
  }
  if (out.server_id.empty()) return peer_error("config.json peers.serverId must name this server (one of peers.servers)");
  if (!servers) return peer_error("config.json peers.servers must list every server of the group");
  bool self = false;
  for (const auto& [id, v] : servers->items()) {
    if (!id.empty() && id[0] == '_') continue;
    if (!valid_id(id)) return peer_error("config.json peers.servers.\"" + id + "\": a server id may use letters, digits, '-', '_' and '.'");
    if (!v.is_object()) return peer_error("config.json peers.servers." + id + " must be an object with a url");
    std::string url;
    for (const auto& [k, value] : v.items()) {
      if (k == "url" && value.is_string()) url = value.get<std::string>();
      else if (k == "url") return peer_error("config.json peers.servers." + id + ".url must be a string");
      else if (k[0] != '_') warnings.push_back("config.json peers.servers." + id + "." + k + " is not a peer setting; ignored");
    }
    auto parsed = parse_peer_url(url);
    if (!parsed) return peer_error("config.json peers.servers." + id + ".url \"" + url + "\" " + parsed.error().message);
    if (id == out.server_id) {
      self = true;
      continue;
    }
    parsed->id = ascii_lower(id);
    out.servers.push_back(std::move(parsed.value()));
  }
  if (!self) return peer_error("config.json peers.serverId \"" + out.server_id + "\" is not one of peers.servers");
  if (out.servers.empty()) warnings.push_back("config.json peers.servers lists no other server; peering is idle");
  return out;
}

std::string peer_proof(const std::vector<std::uint8_t>& key, std::string_view role, std::string_view dialer_id,
                       std::string_view acceptor_id, std::string_view dialer_nonce, std::string_view acceptor_nonce,
                       std::string_view binding) {
  // Fields separated by NUL (none of them contains one): no two field lists give the same input.
  std::string msg = "meshwork-peer-v1";
  for (std::string_view f : {role, dialer_id, acceptor_id, dialer_nonce, acceptor_nonce, binding}) {
    msg += '\0';
    msg += f;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha384(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
       mac, &len);
  return util::hex_encode(std::span<const std::uint8_t>(mac, len));
}

}  // namespace mw::server::peers
