// What a computer needs to join a device group, served over HTTPS as MeshCentral does, keyed by
// the group id (48 random bytes: knowing it is the capability to join, like MeshCentral's):
//   GET /meshsettings?id=GROUPID           the agent's settings file (MeshServer, ServerID, MeshID)
//   GET /meshagents?id=linux-x64           the agent binary (AgentBinary, default: beside the server)
//   GET /meshagents?script=1&id=GROUPID    a shell script that downloads both and installs the service
// GROUPID is the full id (mesh//...) or, as meshctrl shows it, the part after "mesh/<domain>/".
// meshwork-server --agentsettings GROUPID prints the same settings file.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <string>

#include "http_responses.hpp"
#include "mw/util/result.hpp"
#include "store/store.hpp"

namespace mw::server::agents {

// The wss:// URL agents use: Cert (the host name) and AliasPort or the HTTPS port; "local" in
// LanOnly mode (agents find the server by LAN discovery, agents/lan_discovery.hpp).
std::string agent_server_url(const Settings& s, int https_port);
// The settings file for group `group` of `domain` (with DiscoveryKey / DiscoveryPort in LanOnly
// mode); an error when there is no such agent group.
mw::Result<std::string> agent_settings_text(store::Store& db, const std::string& domain, const std::string& group,
                                            const Settings& s, int https_port, const std::string& server_id);
// The install script for a group (downloads with curl, checks the binary's SHA-384, runs --install).
std::string install_script(const std::string& https_base, const std::string& meshid, const std::string& binary_sha384);

bool route_agent_download(const http::request<http::string_body>& req, const ServerContext& ctx, const RequestInfo& info,
                          boost::asio::any_io_executor ex, std::function<void(AnyResponse)> respond);

}  // namespace mw::server::agents
