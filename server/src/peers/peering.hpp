// Peering: several Meshwork servers that share one database act as one (MeshCentral's
// multi-server mode, the "peers" section; peer_settings.hpp has its format and the handshake's
// proof). A browser may use any server and reach every device, wherever its agent connected.
//
// Links: each pair of servers keeps one WebSocket link, /meshserver.ashx, dialed by the server
// whose id sorts first (again after a loss: 1 s doubling to 30 s, with jitter). Both sides prove
// the group's key (bound to the TLS channel) before anything else is said. On the link:
//   {"action":"presence","nodes":[{nodeid,meshid,conn,pwr,ct}]}  this server's own connections:
//       all of them when the link comes up, then each change. The receiver merges them into its
//       PresenceTable (a device is online if any server holds it) and tells its own sessions.
//   {"action":"event","domain","targets","event"}  every event raised here (not "nodeconnect":
//       each server derives those from presence), dispatched to the peer's sessions;
//   {"action":"userupdate","userid","subs"} / {"action":"userend","userid","reason"}  rights
//       changed / account removed or locked: the peer's sessions of that user follow;
//   {"action":"runcommands","reqid","nodeid","cmds","type"} → {"action":"runresult","reqid",
//       "result","exit"}, {"action":"uninstall","nodeid"}, {"action":"notify","nodeid",...}: what
//       a server asks of an agent another server holds (agents/registry.hpp finds it here).
// A link whose peer does not read (more than 32 MiB queued) is dropped; the peer re-learns the
// state when it comes back. When a link goes down, the devices the peer held go offline here.
//
// Relays: a browser on server A asking for a device whose agent is on server B. A checks the
// user's rights as always, waits for the agent under a fresh relay id, and dials B with purpose
// "relay" (same handshake), then sends {"action":"relay","id","nodeid","p",...}. B answers
// {"action":"relayok"} (or "relayrefused" with the reason), keeps the socket waiting for the agent
// under that id (agents/mesh_relay.hpp join_peer_relay) and asks its agent to open the tunnel; on
// A the socket joins the waiting browser as its agent side. Bytes then flow browser ⇄ A ⇄ B ⇄ agent
// with the relay's usual back-pressure on each hop.
//
// Intel AMT: a device's CIRA connection is on one server. Power actions, inventories and reads
// asked on another go to it ({"action":"amtjob",...} → {"action":"amtreply","reqid","answer"} for
// reads); an /amtrelay.ashx (SOL, KVM, IDE-R) is carried like an agent relay ({"action":"amtrelay",
// "id","nodeid","p","userid"} on a relay connection) and runs on the CIRA server, which checks the
// user's rights again. Credentials are sealed with <data>/amt-credentials.key: every server of the
// group needs the same file. Server files are each server's own unless the folder is shared.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "accounts/event_bus.hpp"
#include "mw/proto/agent.hpp"
#include "mw/util/result.hpp"
#include "net.hpp"
#include "peers/peer_settings.hpp"
#include "request_info.hpp"

namespace mw::server {
struct ServerContext;
namespace store {
class Store;
}
namespace agents {
class AgentLink;
}
}  // namespace mw::server

namespace mw::server::peers {

// An authenticated link to a peer server (either direction). Thread-safe.
class PeerChannel {
 public:
  virtual ~PeerChannel() = default;
  virtual void send(std::shared_ptr<const std::string> message) = 0;
  virtual void close() = 0;
};

class Peering : public accounts::EventForwarder {
 public:
  static constexpr std::size_t kMaxQueuedBytes = 32u << 20;
  static constexpr std::size_t kMaxMessage = 16u << 20;
  static constexpr std::chrono::seconds kHandshakeTimeout{15};

  Peering(asio::io_context& ioc, ServerContext& ctx, PeerSettings settings);
  ~Peering() override;
  Peering(const Peering&) = delete;
  Peering& operator=(const Peering&) = delete;

  // Installs the hooks (event bus, presence, agent registry) and dials the peers this server
  // dials. Call once, after the database and the web listener are up.
  void start();
  // Closes every link and stops dialing (SIGTERM).
  void stop();

  const PeerSettings& settings() const { return settings_; }
  // Peer servers with a link up now, sorted.
  std::vector<std::string> connected() const;

  // The group's key, from the shared database ("PeerServerKey"; created when absent, then read
  // back so that two servers starting at once end with the same). Store work.
  static mw::Result<std::vector<std::uint8_t>> load_or_create_key(store::Store& db);

  // accounts::EventForwarder
  void forward_event(const std::string& domain, const accounts::Dispatch& d) override;
  void forward_user_update(const std::string& userid, const std::vector<std::string>& subs) override;
  void forward_user_end(const std::string& userid, const std::string& reason) override;

  // [SECTION] Used by the peer connections (peering.cpp)
  void link_up(const std::string& server, const std::shared_ptr<PeerChannel>& ch, bool dialed);
  void link_down(const std::string& server, const PeerChannel* ch, bool dialed);
  void on_message(const std::string& server, const nlohmann::json& m);
  // A peer's browser wants a relay to a device whose agent is here: "" when the agent is
  // connected here (then `tunnel` is what to send it), else why not.
  std::string check_relay(const nlohmann::json& m, proto::agent::Tunnel& tunnel, std::string& nodeid) const;
  // The relay `id` this server's browser waits for cannot be opened on the peer: it ends with
  // `reason`.
  void fail_relay(const std::string& id, const std::string& reason) const;
  ServerContext& context() const { return ctx_; }
  ssl::context& client_tls() { return client_tls_; }

  // [SECTION] Used by PeerAgentLink (an agent another server holds)
  void open_relay(const std::string& server, const std::string& nodeid, const proto::agent::Tunnel& t);
  void run_commands(const std::string& server, const std::string& nodeid, std::string cmds, int type,
                    std::function<void(std::string, int)> done);
  void send_to(const std::string& server, const nlohmann::json& m);

  // [SECTION] Intel AMT on a peer (the device's CIRA connection is there)
  // A browser's /amtrelay.ashx waits here under relay `id` (agents/mesh_relay.hpp
  // join_peer_relay); the peer runs the session (amt/amt_relay.hpp start_peer_amt_relay).
  void open_amt_relay(const std::string& server, const std::string& id, const std::string& nodeid, const std::string& p,
                      const std::string& userid);
  // AmtManager's forwarder: power actions, inventories and reads for such a device; reads are
  // answered through `reply`.
  bool forward_amt(const accounts::AmtJob& job, std::function<void(nlohmann::json)>& reply);

 private:
  std::shared_ptr<agents::AgentLink> remote_agent(const std::string& nodeid);
  void broadcast(const nlohmann::json& m);
  void local_presence(const nlohmann::json& state);
  void schedule_dial(const std::string& server);
  void dial_link(const std::string& server);

  asio::io_context& ioc_;
  ServerContext& ctx_;
  PeerSettings settings_;
  ssl::context client_tls_;
  asio::strand<asio::io_context::executor_type> strand_;  // dial timers and back-off
  std::map<std::string, std::unique_ptr<asio::steady_timer>> timers_;
  std::map<std::string, std::chrono::milliseconds> backoff_;
  bool stopped_ = false;  // on strand_

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<PeerChannel>> links_;
  struct PendingRun {
    std::string server;
    std::function<void(std::string, int)> done;
  };
  std::map<std::uint64_t, PendingRun> runs_;
  struct PendingAmt {
    std::string server;
    std::function<void(nlohmann::json)> reply;
    nlohmann::json failure;  // the answer when the peer goes away first
  };
  std::map<std::uint64_t, PendingAmt> amt_reads_;
  std::uint64_t next_run_ = 1;
};

// An upgrade to /meshserver.ashx: a peer server's link or relay (404 when peering is off is the
// caller's business).
template <class NextLayer>
void start_peer_session(NextLayer stream, const ServerContext& ctx, std::string peer, const RequestInfo& info,
                        http::request<http::string_body> upgrade);

}  // namespace mw::server::peers
