// Finding the server on the local network when the settings say MeshServer=local (MeshCentral's
// LAN mode; packets in native/include/mw/native/lan_discovery.hpp): the agent sends its ServerID
// to 239.255.255.235 on the discovery port (DiscoveryPort, 16989) through every IPv4 interface
// (or the one DiscoveryInterface names),
// encrypted with DiscoveryKey when there is one, and takes the first answer that names the same
// ServerID. The URL it gives is only where to connect: the server still proves itself by the
// pinned ServerID there.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

#include "mw/proto/agent.hpp"

namespace mw::agent {

// The server's agent URL (wss://address:port/agent.ashx); throws std::runtime_error when no
// server answered within `wait`.
boost::asio::awaitable<std::string> discover_server(const proto::agent::Settings& settings,
                                                    std::chrono::milliseconds wait = std::chrono::seconds(3));

}  // namespace mw::agent
