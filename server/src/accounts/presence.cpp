#include "accounts/presence.hpp"

#include "accounts/model.hpp"

namespace mw::server::accounts {

PresenceState PresenceTable::connect(const std::string& nodeid, const std::string& meshid, std::uint32_t bit, int pwr,
                                     std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto [it, added] = nodes_.try_emplace(nodeid);
  PresenceState& s = it->second;
  if (added) {
    s.meshid = meshid;
    s.ct = now_ms;
    ++per_mesh_[meshid];
  }
  s.conn |= bit;
  // A CIRA connection only says "present"; a real power state from any source wins over it.
  if (pwr != power::kPresent || s.pwr == power::kUnknown) s.pwr = pwr;
  return s;
}

PresenceState PresenceTable::disconnect(const std::string& nodeid, std::uint32_t bit) {
  std::lock_guard lock(mu_);
  const auto it = nodes_.find(nodeid);
  if (it == nodes_.end()) return {};
  it->second.conn &= ~bit;
  PresenceState s = it->second;
  if (s.conn == 0) {
    if (auto m = per_mesh_.find(s.meshid); m != per_mesh_.end() && --m->second == 0) per_mesh_.erase(m);
    nodes_.erase(it);
    s.pwr = power::kUnknown;
  }
  return s;
}

std::optional<PresenceState> PresenceTable::set_power(const std::string& nodeid, int pwr) {
  std::lock_guard lock(mu_);
  const auto it = nodes_.find(nodeid);
  if (it == nodes_.end() || it->second.pwr == pwr) return std::nullopt;
  it->second.pwr = pwr;
  return it->second;
}

void PresenceTable::relocate(const std::string& nodeid, const std::string& meshid) {
  std::lock_guard lock(mu_);
  const auto it = nodes_.find(nodeid);
  if (it == nodes_.end() || it->second.meshid == meshid) return;
  if (auto m = per_mesh_.find(it->second.meshid); m != per_mesh_.end() && --m->second == 0) per_mesh_.erase(m);
  it->second.meshid = meshid;
  ++per_mesh_[meshid];
}

std::optional<PresenceState> PresenceTable::get(const std::string& nodeid) const {
  std::lock_guard lock(mu_);
  const auto it = nodes_.find(nodeid);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

bool PresenceTable::any_in_mesh(const std::string& meshid) const {
  std::lock_guard lock(mu_);
  return per_mesh_.contains(meshid);
}

std::size_t PresenceTable::count(std::uint32_t bit) const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [id, s] : nodes_) n += (s.conn & bit) ? 1 : 0;
  return n;
}

nlohmann::json nodeconnect_event(const std::string& nodeid, const PresenceState& state) {
  return {{"etype", "node"}, {"action", "nodeconnect"}, {"meshid", state.meshid}, {"nodeid", nodeid},
          {"domain", domain_of(nodeid)}, {"conn", state.conn}, {"pwr", state.pwr}, {"ct", state.ct}, {"nolog", 1}};
}

}  // namespace mw::server::accounts
