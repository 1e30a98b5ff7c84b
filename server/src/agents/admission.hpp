// The agent's records (store work, run on the store's thread): admitting an authenticated agent
// to its device group (record created on first connect, named after the computer; an existing
// device stays where an administrator put it), and its reported system information.
#pragma once

#include <string>
#include <vector>

#include "accounts/actions.hpp"
#include "store/store.hpp"

namespace mw::server::agents {

struct AgentAdmission {
  bool ok = false;
  std::string reason;  // when refused, for the agent and the log
  std::string nodeid, meshid, name;
  std::vector<accounts::Dispatch> events;
};

// `meshid` is the group the agent's settings name (in `domain`), `node_value` its key's id.
AgentAdmission admit_agent(store::Store& db, const std::string& domain, const std::string& meshid,
                           const std::string& node_value, const std::string& hostname, const std::string& ip,
                           const nlohmann::json& agent);

// Stores the system information ("si" + nodeid, MeshCentral's record name) and the fields of the
// device record it feeds (osdesc, agent); a changenode event when they change.
std::vector<accounts::Dispatch> record_sysinfo(store::Store& db, const std::string& nodeid, const nlohmann::json& info);

}  // namespace mw::server::agents
