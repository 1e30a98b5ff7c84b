// Who is connected right now: per device, MeshCentral's connectivity bits ("conn": 1 agent,
// 2 Intel AMT CIRA, 4 Intel AMT on the LAN, 8 relay) and power state ("pwr": 0 unknown, 1 on,
// 2-5 sleep states, 6 soft-off, 7 present). Live state, never stored: the database holds records,
// this table what the connections report (architecture.md). Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mw::server::accounts {

namespace conn_bit {
inline constexpr std::uint32_t kAgent = 1;
inline constexpr std::uint32_t kCira = 2;
inline constexpr std::uint32_t kAmtLan = 4;
inline constexpr std::uint32_t kRelay = 8;
}  // namespace conn_bit

namespace power {
inline constexpr int kUnknown = 0;
inline constexpr int kOn = 1;
inline constexpr int kSoftOff = 6;
inline constexpr int kPresent = 7;  // a CIRA connection is up, the power state is not known yet
}  // namespace power

struct PresenceState {
  std::string meshid;
  std::uint32_t conn = 0;
  int pwr = power::kUnknown;
  std::int64_t ct = 0;  // ms since epoch the first of the current connections came up
  bool operator==(const PresenceState&) const = default;
};

// Holds this server's own connections and, with peering (peers/peering.hpp), what each peer server
// reported of its own. Reads (get, any_in_mesh) and the states connect/disconnect/set_power
// return merge both: a device is online when any server holds a connection to it.
class PresenceTable {
 public:
  // A connection of kind `bit` is up; `pwr` is the power state it reports. Returns the new state.
  PresenceState connect(const std::string& nodeid, const std::string& meshid, std::uint32_t bit, int pwr,
                        std::int64_t now_ms);
  // The connection of kind `bit` is gone. Returns the state after (conn 0: offline, forgotten).
  PresenceState disconnect(const std::string& nodeid, std::uint32_t bit);
  // A connected device reported a power state; nullopt when it is not connected or unchanged.
  std::optional<PresenceState> set_power(const std::string& nodeid, int pwr);
  // The device moved to another group (changeDeviceMesh).
  void relocate(const std::string& nodeid, const std::string& meshid);

  std::optional<PresenceState> get(const std::string& nodeid) const;
  // Whether any device of the group is connected (the "nodes" answer then adds conn and pwr).
  bool any_in_mesh(const std::string& meshid) const;
  // Devices with a connection of kind `bit` to this server.
  std::size_t count(std::uint32_t bit) const;

  // [SECTION] Peering
  // Called after every change of this server's own state of a device (conn 0: it has none left),
  // on the changing thread, outside the table's lock. Set once, before connections arrive.
  void set_observer(std::function<void(const std::string& nodeid, const PresenceState& local)> f) { observer_ = std::move(f); }
  // This server's own connections (sent to a peer when its link comes up).
  std::vector<std::pair<std::string, PresenceState>> local_snapshot() const;
  // A peer server's state of a device (conn 0 removes it); the merged state after.
  PresenceState set_remote(const std::string& server, const std::string& nodeid, const PresenceState& state);
  // Forgets all a peer reported (its link is gone): each device it had, with its merged state after.
  std::vector<std::pair<std::string, PresenceState>> drop_server(const std::string& server);
  // The peer server holding a connection of kind `bit` to the device ("" when none does).
  std::string remote_server_of(const std::string& nodeid, std::uint32_t bit) const;

 private:
  PresenceState merged_locked(const std::string& nodeid) const;
  void notify(const std::string& nodeid, const PresenceState& local) const {
    if (observer_) observer_(nodeid, local);
  }
  mutable std::mutex mu_;
  std::map<std::string, PresenceState> nodes_;
  std::map<std::string, std::size_t> per_mesh_;
  // Peers' reports: device → server id → state; and per group, how many (device, server) pairs.
  std::map<std::string, std::map<std::string, PresenceState>> remote_;
  std::map<std::string, std::size_t> remote_per_mesh_;
  std::function<void(const std::string&, const PresenceState&)> observer_;
};

// MeshCentral's live "nodeconnect" event for a change of state (sent, never stored).
nlohmann::json nodeconnect_event(const std::string& nodeid, const PresenceState& state);

}  // namespace mw::server::accounts
