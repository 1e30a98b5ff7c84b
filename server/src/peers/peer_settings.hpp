// config.json "peers" (MeshCentral's multi-server section) and the proof peer servers exchange.
//
//   "peers": { "serverId": "server1",
//              "servers": { "server1": { "url": "wss://10.0.0.1:443/" },
//                           "server2": { "url": "wss://10.0.0.2:443/" } } }
//
// Every server of the group lists all of them (itself included) and names itself by serverId;
// they share one database (PostgreSQL). Peers connect to <url>meshserver.ashx. Each proves to the
// other that it holds the group's key (a random key kept in the shared database, record
// "PeerServerKey"): an HMAC-SHA-384 over both server ids, both nonces, its role and the TLS
// channel binding (RFC 5705 exporter), so a proof cannot be replayed on another connection or
// reflected back, and a man in the middle (certificates are not checked by a CA here: servers often
// have self-signed ones) learns nothing it can use.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "mw/util/result.hpp"

namespace mw::server::peers {

struct PeerServer {
  std::string id;    // lower-cased, as config keys are
  std::string url;   // as written
  bool tls = true;   // wss:// (ws:// for a server behind a TLS offloader, reached on its plain port)
  std::string host, port;
  std::string path;  // ends with '/'; the peer endpoint is path + "meshserver.ashx"
};

struct PeerSettings {
  std::string server_id;
  std::vector<PeerServer> servers;  // the others (not this server)
  const PeerServer* find(std::string_view id) const {
    for (const auto& s : servers) {
      if (s.id == id) return &s;
    }
    return nullptr;
  }
};

// Parses the section (keys already lower-cased by the config loader). Errors name the key.
mw::Result<PeerSettings> parse_peer_settings(const nlohmann::json& section, std::vector<std::string>& warnings);
// "wss://host:port/path/" → a PeerServer (id left empty); an error for anything else.
mw::Result<PeerServer> parse_peer_url(const std::string& url);

// What a peer server proves in the handshake (hex): HMAC-SHA-384 under `key` of the role
// ("dialer" or "acceptor"), both server ids, both nonces and the channel binding.
std::string peer_proof(const std::vector<std::uint8_t>& key, std::string_view role, std::string_view dialer_id,
                       std::string_view acceptor_id, std::string_view dialer_nonce, std::string_view acceptor_nonce,
                       std::string_view binding);

}  // namespace mw::server::peers
