// Finding the server on the local network (LAN mode), as MeshCentral's server and agents do it,
// so its agents and ours can share a network: the server listens on UDP 16989 in the multicast
// groups 239.255.255.235 and ff02::fe; an agent whose settings say MeshServer=local sends the
// server's ServerID (96 hexadecimal digits, upper case) there, and the server answers it with
//   MeshCentral2|<ServerID>|wss://%s:<port>/agent.ashx
// where the agent puts the address the answer came from in place of %s (or the server's DNS
// name instead of the whole host). "MeshServerScan" is answered with two more fields, the
// server's name and information: MeshCentral2|<ServerID>|<url>|<name>|<info>. With a discovery
// key (LocalDiscovery.key, the agent's DiscoveryKey) every packet is AES-256-CBC under the first
// 32 bytes of SHA-384(key), a random 16-byte IV first.
//
// Nothing here is trusted: the agent still proves the server by its pinned ServerID over TLS
// (docs/agent-protocol.md), so a false answer can only point it at a server that fails the proof.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mw::native::discovery {

inline constexpr std::uint16_t kServerPort = 16989;  // the server listens here; agents ask
inline constexpr const char* kGroup4 = "239.255.255.235";
inline constexpr const char* kGroup6 = "ff02::fe";
inline constexpr std::string_view kScan = "MeshServerScan";
inline constexpr std::size_t kMaxPacket = 1024;

struct Answer {
  std::string server_id;   // upper-case hex
  std::string url;         // wss://%s:port/agent.ashx, or a name instead of %s
  std::string name, info;  // only in answers to MeshServerScan
};
std::string format(const Answer& a);
// nullopt for anything that is not such an answer (wrong prefix, field count, id, URL).
std::optional<Answer> parse(std::string_view packet);
// The URL to connect to: %s replaced by the answering address ([v6] for IPv6 when the template
// has no brackets of its own).
std::string url_for(const Answer& a, const std::string& address);
// An agent's question for the server `server_id`: the id in upper-case hex, as MeshCentral's
// server compares it.
std::string probe(std::string_view server_id);
// True when `packet` asks for the server whose id is `server_id` (case-insensitive).
bool is_probe_for(std::string_view packet, std::string_view server_id);

// LocalDiscovery.key / DiscoveryKey. Without a key, packets go as they are.
class Cipher {
 public:
  explicit Cipher(std::string_view key);
  bool enabled() const { return enabled_; }
  std::string seal(std::string_view plain) const;
  // nullopt when the packet does not decrypt under this key.
  std::optional<std::string> open(std::string_view packet) const;

 private:
  bool enabled_ = false;
  unsigned char key_[32] = {};
};

// This computer's IPv4 addresses that can carry multicast (loopback included, for one machine).
std::vector<std::string> ipv4_addresses();
// Indexes of the interfaces with an IPv6 address (for ff02::fe, link-local scope).
std::vector<unsigned> ipv6_interfaces();

}  // namespace mw::native::discovery
