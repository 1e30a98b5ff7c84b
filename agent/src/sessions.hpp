// Relay sessions the server asks the agent to open (a "tunnel" message): the agent connects to
// /meshrelay.ashx?id=ID on the same server, insists on the TLS certificate of its authenticated
// agent channel, and serves the protocol. Terminal (docs/agent-protocol.md "Relays"):
//   binary messages both ways: the terminal's bytes;
//   text from the browser: {"ctrl":"resize","cols":C,"rows":R};
//   text to the browser: {"ctrl":"error","reason":"..."} before closing when the shell cannot start.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include "crypto.hpp"
#include "mw/proto/agent.hpp"

namespace mw::agent {

struct RelayTarget {
  proto::agent::Url url;       // the server
  Bytes tls_cert_hash;          // the certificate the agent channel authenticated
  proto::agent::Settings settings;
};

// Serves one tunnel until either side ends it; never throws (failures are logged).
boost::asio::awaitable<void> serve_tunnel(boost::asio::ssl::context& tls, RelayTarget target, proto::agent::Tunnel tunnel);

}  // namespace mw::agent
