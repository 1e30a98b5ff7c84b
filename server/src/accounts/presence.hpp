// Who is connected right now: per device, MeshCentral's connectivity bits ("conn": 1 agent,
// 2 Intel AMT CIRA, 4 Intel AMT on the LAN, 8 relay) and power state ("pwr": 0 unknown, 1 on,
// 2-5 sleep states, 6 soft-off, 7 present). Live state, never stored: the database holds records,
// this table what the connections report (architecture.md). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

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
  // Devices with a connection of kind `bit`.
  std::size_t count(std::uint32_t bit) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, PresenceState> nodes_;
  std::map<std::string, std::size_t> per_mesh_;
};

// MeshCentral's live "nodeconnect" event for a change of state (sent, never stored).
nlohmann::json nodeconnect_event(const std::string& nodeid, const PresenceState& state);

}  // namespace mw::server::accounts
