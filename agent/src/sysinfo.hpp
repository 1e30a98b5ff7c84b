// What the agent tells the server about its computer (docs/agent-protocol.md "sysinfo"): OS, host
// name, CPU, memory, disks, network interfaces with MACs and addresses, logged-in users. One
// implementation per platform (sysinfo_linux.cpp); the rest of the agent sees only this.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mw::agent {

// The current information, as a JSON object.
nlohmann::json collect_sysinfo();
// The computer's host name alone (what the server names a new device after).
std::string host_name();
// The part that identifies a change worth reporting: everything but fast-moving figures (free
// memory and disk space), so an idle computer is not re-reported every minute.
std::string sysinfo_fingerprint(const nlohmann::json& info);
// The platform's short name ("linux") and MeshCentral's agent type number for it (6: Linux x86-64).
const char* platform_name();
int platform_agent_id();

}  // namespace mw::agent
