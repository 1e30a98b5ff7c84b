// The agent channel: WebSocket /agent.ashx (docs/agent-protocol.md). The agent says hello with a
// nonce; the server proves itself with its agent-server key over both nonces and the TLS
// certificate's hash (behind a TLS offloader: the CertUrl certificate agents see); the agent
// proves its key the same way and names its device group. Admitted agents are registered
// (registry.hpp), shown online (presence conn 1, power on) and kept alive with pings every
// AgentPong seconds (default 60; silent for three periods: dropped). Their system information is
// stored as it arrives. Limits: 15 s to finish the proof, messages up to 256 KiB, 64 queued.
#pragma once

#include "net.hpp"
#include "request_info.hpp"
#include "server_context.hpp"

namespace mw::server::agents {

template <class NextLayer>
void start_agent_session(NextLayer stream, const ServerContext& ctx, std::string peer, const RequestInfo& info,
                         http::request<http::string_body> upgrade);

}  // namespace mw::server::agents
