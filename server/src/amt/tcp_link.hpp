// A device on the LAN ("Add local device"), reached the way a CIRA device is, with TCP: each
// "channel" is a TCP connection from the server to the device's port (16992 WS-Management, 16994
// redirection). It implements CiraLink, so the AMT manager and the relays do not care how the
// device is reached. Flow control: the next read waits until the user has consumed what the
// previous one gave (a slow browser stalls the device's TCP window, never the server's memory).
#pragma once

#include <memory>
#include <string>

#include "amt/mps_server.hpp"
#include "net.hpp"

namespace mw::server::amt {

// `host` is a name or address; the connection is opened when a channel is.
std::shared_ptr<CiraLink> make_tcp_link(asio::any_io_executor ex, std::string nodeid, std::string host, std::string uuid);

}  // namespace mw::server::amt
