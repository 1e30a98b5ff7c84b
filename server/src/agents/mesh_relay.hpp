// The relay between a browser and an agent: WebSocket /meshrelay.ashx.
//   Browser: /meshrelay.ashx?nodeid=ID&p=1 (terminal), 2 (desktop) or 5 (files) [&cols=&rows=],
//   authenticated like the control channel. The server checks the right for the protocol on the
//   device's group (remote control; and not "no terminal" / "no desktop" / "no files"), asks the
//   device's agent to open a tunnel with a fresh random id, and waits (20 s) for it.
//   Agent: /meshrelay.ashx?id=ID — the id is a 128-bit secret sent only to the authenticated
//   agent of that device, valid once, for 20 s.
// Once paired, every message (text or binary) is carried to the other side unchanged, with at most
// 2 MiB per direction read and not yet written: a side that does not read stalls the other instead
// of growing the server's memory (messages are at most 1 MiB). The server's own text to the browser:
//   {"action":"meshrelay","state":"ready","p":1} when the agent has joined,
//   {"action":"meshrelay","state":"closed","reason":"..."} before it closes.
// Each session is a "relaylog" event with its duration and byte counts (MeshCentral's record).
// Limits: 32 relays per user at once, 1,000 waiting for agents in all.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "mw/proto/agent.hpp"
#include "mw/util/result.hpp"
#include "net.hpp"
#include "request_info.hpp"
#include "server_context.hpp"
#include "store/store.hpp"

namespace mw::server::agents {

// One side of a paired relay, as the other side sees it. Callable from any thread.
class RelayEnd {
 public:
  virtual ~RelayEnd() = default;
  // Writes a message to this side's socket; `done` runs (on this side's strand) once written.
  virtual void deliver(bool binary, std::string data, std::function<void()> done) = 0;
  // The agent joined (called on the browser side) — `agent` is its end.
  virtual void paired(std::shared_ptr<RelayEnd> agent) = 0;
  // The other side has gone.
  virtual void peer_closed(std::string reason) = 0;
};

class RelayHub {
 public:
  static constexpr std::size_t kMaxPerUser = 32;
  static constexpr std::size_t kMaxPending = 1000;
  static constexpr std::chrono::seconds kPairTimeout{20};

  // A browser waits for the agent: returns the relay id, or an error when a limit is reached.
  mw::Result<std::string> wait_for_agent(std::shared_ptr<RelayEnd> browser, const std::string& nodeid,
                                         const std::string& userid);
  // The agent arrived with `id`: the waiting browser (removed from the table), or nullptr when
  // the id is unknown, used or expired.
  std::shared_ptr<RelayEnd> take(const std::string& id);
  // A browser of a peer server waits here for the agent under the id its server chose
  // (peers/peering.hpp); false when the id is taken or too many relays wait.
  bool expect(const std::string& id, std::shared_ptr<RelayEnd> browser);
  void cancel(const std::string& id);
  // A session that needs no agent (server files, files/server_files.hpp) takes one of the user's
  // kMaxPerUser: "" when it did, else why not (the limit). release() gives it back.
  std::string acquire(const std::string& userid);
  // The user's relay ended (frees one of the user's kMaxPerUser).
  void release(const std::string& userid);
  std::size_t pending() const;
  // Relays browsers hold: waiting for their agent or running.
  std::size_t open() const;

 private:
  struct Waiting {
    std::weak_ptr<RelayEnd> browser;
    std::chrono::steady_clock::time_point expires;
  };
  void expire_locked(std::chrono::steady_clock::time_point now);
  std::string acquire_locked(const std::string& userid);
  mutable std::mutex mu_;
  std::map<std::string, Waiting> waiting_;
  std::map<std::string, std::size_t> per_user_;
};

// Whether `userid` may open a relay of protocol `p` to `nodeid`: "" when allowed, else the reason
// for the person (a device of a group they cannot see is "not found"). Store work.
struct RelayGrant {
  std::string error;
  std::string username, meshid, device_name;
  bool view_only = false;      // desktop with the "view only" right: the agent ignores this viewer's input
  bool limited_input = false;  // desktop with "limited input": the agent passes the pointer and a few keys
};
RelayGrant check_relay_grant(store::Store& s, const std::string& userid, const std::string& nodeid, proto::agent::RelayProtocol p);

template <class NextLayer>
void start_mesh_relay(NextLayer stream, const ServerContext& ctx, std::string peer, const RequestInfo& info,
                      http::request<http::string_body> upgrade);

// A relay whose two sides are on different servers (peers/peering.hpp), on a WebSocket to the
// peer that is open and authenticated. `as_agent`: the agent is on the peer, and this socket joins
// this server's waiting browser `id` as its agent side. Else the browser is on the peer, and this
// socket waits here (20 s) for the agent to open `id`; false when it cannot wait (id taken, limit).
// `notice`: when this socket is a browser's own (an /amtrelay.ashx whose device is on the peer),
// the action name of the relay's {"action":notice,"state":"closed","reason"} sent if it never joins.
template <class NextLayer>
bool join_peer_relay(websocket::stream<NextLayer> ws, const ServerContext& ctx, std::string peer, const DomainSettings& domain,
                     const std::string& id, bool as_agent, std::string notice = "");

}  // namespace mw::server::agents
