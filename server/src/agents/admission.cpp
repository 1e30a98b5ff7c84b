// Agent records (admission.hpp).
#include "agents/admission.hpp"

#include "accounts/model.hpp"

namespace mw::server::agents {

using Json = nlohmann::json;

AgentAdmission admit_agent(store::Store& db, const std::string& domain, const std::string& meshid,
                           const std::string& node_value, const std::string& hostname, const std::string& ip,
                           const Json& agent) {
  AgentAdmission a;
  a.nodeid = "node/" + domain + "/" + node_value;
  auto mesh = db.get(meshid);
  if (!mesh) {
    a.reason = "database: " + mesh.error().message;
    return a;
  }
  // The group must exist in this domain, not be removed, and be "managed by agent".
  if (accounts::domain_of(meshid) != domain || !mesh.value() || mesh.value()->value("type", "") != "mesh" ||
      (mesh.value()->contains("deleted") && (*mesh.value())["deleted"] != false)) {
    a.reason = "the device group of the agent's settings does not exist on this server";
    return a;
  }
  if (mesh.value()->value("mtype", 2) != 2) {
    a.reason = "the device group is for Intel AMT only, not for agents";
    return a;
  }
  auto node = db.get(a.nodeid);
  if (!node) {
    a.reason = "database: " + node.error().message;
    return a;
  }
  accounts::Outcome out;
  if (node.value()) {
    // A known device stays in its group (an administrator may have moved it) and keeps its name.
    Json n = std::move(*node.value());
    a.meshid = n.value("meshid", meshid);
    a.name = n.value("name", "");
    const bool changed = n.value("ip", "") != ip || n.value("agent", Json::object()) != agent;
    if (changed) {
      n["ip"] = ip;
      n["agent"] = agent;
      if (auto st = db.put(n); !st) {
        a.reason = "database: " + st.error().message;
        return a;
      }
    }
    a.ok = true;
    return a;
  }
  a.meshid = meshid;
  a.name = hostname.empty() ? ip : hostname;
  Json device{{"_id", a.nodeid}, {"type", "node"},   {"mtype", 2},  {"meshid", meshid}, {"name", a.name},
              {"icon", 1},       {"host", hostname.empty() ? ip : hostname}, {"ip", ip}, {"domain", domain},
              {"agent", agent}};
  if (auto st = db.put(device); !st) {
    a.reason = "database: " + st.error().message;
    return a;
  }
  Json ev{{"etype", "node"},
          {"action", "addnode"},
          {"node", device},
          {"nodeid", a.nodeid},
          {"meshid", meshid},
          {"msg", "Added device " + a.name + " to group " + mesh.value()->value("name", "")},
          {"domain", domain}};
  accounts::record_event(db, out, {"*", meshid}, std::move(ev));
  a.events = std::move(out.events);
  a.ok = true;
  return a;
}

std::vector<accounts::Dispatch> record_sysinfo(store::Store& db, const std::string& nodeid, const Json& info) {
  accounts::Outcome out;
  auto node = db.get(nodeid);
  if (!node || !node.value()) return {};
  Json n = std::move(*node.value());
  if (auto st = db.put(Json{{"_id", "si" + nodeid}, {"type", "sysinfo"}, {"nodeid", nodeid},
                            {"domain", accounts::domain_of(nodeid)}, {"data", info}});
      !st) {
    return {};
  }
  std::string osdesc;
  if (const auto os = info.find("os"); os != info.end() && os->is_object()) osdesc = accounts::text_of(*os, "name");
  if (!osdesc.empty() && n.value("osdesc", "") != osdesc) {
    n["osdesc"] = osdesc;
    if (db.put(n)) accounts::record_node_change(db, out, n, "Operating system of " + n.value("name", "") + ": " + osdesc);
  }
  return std::move(out.events);
}

}  // namespace mw::server::agents
