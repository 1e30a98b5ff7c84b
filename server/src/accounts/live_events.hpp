// Events that connections (MPS, agents, relays) raise, in one place: a device's presence change
// and the end of a relay session. Called on I/O threads; store work goes to the store's thread.
#pragma once

#include <cstdint>
#include <string>

#include "accounts/presence.hpp"
#include "server_context.hpp"

namespace mw::server::accounts {

// A presence change of a device: the live "nodeconnect" event to every session that sees its
// group, and a power-timeline record when the power state changed from `old_power`.
void announce_presence(const ServerContext& ctx, const std::string& nodeid, const PresenceState& state, int old_power);

// MeshCentral's "relaylog" event of a relay session that ended: who, which device, what (its
// protocol number and a name for people), how long, how many bytes each way.
struct RelaySession {
  std::string domain, nodeid, meshid, userid, username, device_name;
  int protocol = 0;          // 1 terminal, 2 desktop, 5 files, 200 AMT SOL, 201 AMT KVM
  std::string kind;          // "Agent terminal", "Intel AMT KVM", ...
  std::int64_t started_ms = 0;
  std::uint64_t bytes_in = 0, bytes_out = 0;  // to the browser, from the browser
};
void record_relay_session(const ServerContext& ctx, const RelaySession& r);

}  // namespace mw::server::accounts
