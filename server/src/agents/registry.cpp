// Connected agents (registry.hpp).
#include "agents/registry.hpp"

namespace mw::server::agents {

std::shared_ptr<AgentLink> AgentRegistry::attach(const std::string& nodeid, std::shared_ptr<AgentLink> link) {
  std::lock_guard lock(mu_);
  auto& slot = links_[nodeid];
  auto old = slot.lock();
  slot = link;
  return old;
}

bool AgentRegistry::detach(const std::string& nodeid, const AgentLink* link) {
  std::lock_guard lock(mu_);
  const auto it = links_.find(nodeid);
  if (it == links_.end()) return false;
  const auto cur = it->second.lock();
  if (cur && cur.get() != link) return false;
  links_.erase(it);
  return cur != nullptr;
}

std::shared_ptr<AgentLink> AgentRegistry::find_local(const std::string& nodeid) const {
  std::lock_guard lock(mu_);
  const auto it = links_.find(nodeid);
  return it == links_.end() ? nullptr : it->second.lock();
}

std::shared_ptr<AgentLink> AgentRegistry::find(const std::string& nodeid) const {
  if (auto local = find_local(nodeid)) return local;
  return remote_ ? remote_(nodeid) : nullptr;
}

std::size_t AgentRegistry::size() const {
  std::lock_guard lock(mu_);
  return links_.size();
}

}  // namespace mw::server::agents
