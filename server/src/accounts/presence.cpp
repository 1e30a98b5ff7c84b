#include "accounts/presence.hpp"

#include "accounts/model.hpp"

namespace mw::server::accounts {

namespace {
void count_down(std::map<std::string, std::size_t>& per_mesh, const std::string& meshid) {
  if (auto m = per_mesh.find(meshid); m != per_mesh.end() && --m->second == 0) per_mesh.erase(m);
}
}  // namespace

// This server's state merged with the peers': connections of every server, the power state this
// server knows (else the first a peer knows), the earliest connection time.
PresenceState PresenceTable::merged_locked(const std::string& nodeid) const {
  PresenceState out;
  if (const auto it = nodes_.find(nodeid); it != nodes_.end()) out = it->second;
  const auto r = remote_.find(nodeid);
  if (r == remote_.end()) return out;
  for (const auto& [server, s] : r->second) {
    if (out.conn == 0) {
      out = s;
      continue;
    }
    out.conn |= s.conn;
    if (out.pwr == power::kUnknown || (out.pwr == power::kPresent && s.pwr != power::kUnknown)) out.pwr = s.pwr;
    if (s.ct > 0 && (out.ct == 0 || s.ct < out.ct)) out.ct = s.ct;
  }
  return out;
}

PresenceState PresenceTable::connect(const std::string& nodeid, const std::string& meshid, std::uint32_t bit, int pwr,
                                     std::int64_t now_ms) {
  PresenceState local, merged;
  {
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
    local = s;
    merged = merged_locked(nodeid);
  }
  notify(nodeid, local);
  return merged;
}

PresenceState PresenceTable::disconnect(const std::string& nodeid, std::uint32_t bit) {
  PresenceState local, merged;
  {
    std::lock_guard lock(mu_);
    const auto it = nodes_.find(nodeid);
    if (it == nodes_.end()) return merged_locked(nodeid);
    it->second.conn &= ~bit;
    local = it->second;
    if (local.conn == 0) {
      count_down(per_mesh_, local.meshid);
      nodes_.erase(it);
      local.pwr = power::kUnknown;
    }
    merged = merged_locked(nodeid);
    if (merged.conn == 0) merged = local;  // offline everywhere: keep the group for the event
  }
  notify(nodeid, local);
  return merged;
}

std::optional<PresenceState> PresenceTable::set_power(const std::string& nodeid, int pwr) {
  PresenceState local, merged;
  {
    std::lock_guard lock(mu_);
    const auto it = nodes_.find(nodeid);
    if (it == nodes_.end() || it->second.pwr == pwr) return std::nullopt;
    it->second.pwr = pwr;
    local = it->second;
    merged = merged_locked(nodeid);
  }
  notify(nodeid, local);
  return merged;
}

void PresenceTable::relocate(const std::string& nodeid, const std::string& meshid) {
  PresenceState local;
  {
    std::lock_guard lock(mu_);
    if (auto r = remote_.find(nodeid); r != remote_.end()) {
      for (auto& [server, s] : r->second) {
        if (s.meshid == meshid) continue;
        count_down(remote_per_mesh_, s.meshid);
        s.meshid = meshid;
        ++remote_per_mesh_[meshid];
      }
    }
    const auto it = nodes_.find(nodeid);
    if (it == nodes_.end() || it->second.meshid == meshid) return;
    count_down(per_mesh_, it->second.meshid);
    it->second.meshid = meshid;
    ++per_mesh_[meshid];
    local = it->second;
  }
  notify(nodeid, local);
}

std::optional<PresenceState> PresenceTable::get(const std::string& nodeid) const {
  std::lock_guard lock(mu_);
  PresenceState s = merged_locked(nodeid);
  if (s.conn == 0) return std::nullopt;
  return s;
}

bool PresenceTable::any_in_mesh(const std::string& meshid) const {
  std::lock_guard lock(mu_);
  return per_mesh_.contains(meshid) || remote_per_mesh_.contains(meshid);
}

std::size_t PresenceTable::count(std::uint32_t bit) const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [id, s] : nodes_) n += (s.conn & bit) ? 1 : 0;
  return n;
}

std::vector<std::pair<std::string, PresenceState>> PresenceTable::local_snapshot() const {
  std::lock_guard lock(mu_);
  return {nodes_.begin(), nodes_.end()};
}

PresenceState PresenceTable::set_remote(const std::string& server, const std::string& nodeid, const PresenceState& state) {
  std::lock_guard lock(mu_);
  auto& servers = remote_[nodeid];
  if (const auto it = servers.find(server); it != servers.end()) {
    count_down(remote_per_mesh_, it->second.meshid);
    servers.erase(it);
  }
  if (state.conn != 0) {
    servers[server] = state;
    ++remote_per_mesh_[state.meshid];
  }
  if (servers.empty()) remote_.erase(nodeid);
  PresenceState merged = merged_locked(nodeid);
  if (merged.conn == 0) {
    merged.meshid = state.meshid;
    merged.pwr = power::kUnknown;
  }
  return merged;
}

std::vector<std::pair<std::string, PresenceState>> PresenceTable::drop_server(const std::string& server) {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, PresenceState>> out;
  for (auto it = remote_.begin(); it != remote_.end();) {
    const auto s = it->second.find(server);
    if (s == it->second.end()) {
      ++it;
      continue;
    }
    const std::string meshid = s->second.meshid;
    count_down(remote_per_mesh_, meshid);
    it->second.erase(s);
    const std::string nodeid = it->first;
    it = it->second.empty() ? remote_.erase(it) : std::next(it);
    PresenceState merged = merged_locked(nodeid);
    if (merged.conn == 0) merged.meshid = meshid;
    out.emplace_back(nodeid, merged);
  }
  return out;
}

std::string PresenceTable::remote_server_of(const std::string& nodeid, std::uint32_t bit) const {
  std::lock_guard lock(mu_);
  const auto r = remote_.find(nodeid);
  if (r == remote_.end()) return "";
  for (const auto& [server, s] : r->second) {
    if (s.conn & bit) return server;
  }
  return "";
}

nlohmann::json nodeconnect_event(const std::string& nodeid, const PresenceState& state) {
  return {{"etype", "node"}, {"action", "nodeconnect"}, {"meshid", state.meshid}, {"nodeid", nodeid},
          {"domain", domain_of(nodeid)}, {"conn", state.conn}, {"pwr", state.pwr}, {"ct", state.ct}, {"nolog", 1}};
}

}  // namespace mw::server::accounts
