// Connected agents by device id (live state, never stored). The agent channel registers itself
// when its proof is accepted; relays find the agent to ask it to open a tunnel. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "mw/proto/agent.hpp"

namespace mw::server::agents {

// What the rest of the server may ask of a connected agent. Callable from any thread.
class AgentLink {
 public:
  virtual ~AgentLink() = default;
  virtual void send_tunnel(proto::agent::Tunnel tunnel) = 0;
  // Runs a shell command on the device; `done` gets its output and exit code (or a reason and -1
  // when the agent goes away first), on the agent session's strand.
  // `type`: proto::agent::kShellCommands, or kConsoleCommand (one agent console command).
  virtual void run_commands(std::string cmds, int type, std::function<void(std::string result, int exit_code)> done) = 0;
  // Asks the agent to uninstall itself (proto::agent::UninstallAgent).
  virtual void send_uninstall() = 0;
  // Shows a message to the person at the device (proto::agent::Notify).
  virtual void send_notify(proto::agent::Notify notice) = 0;
  virtual void shutdown() = 0;
};

class AgentRegistry {
 public:
  // Registers `link` for `nodeid`; returns the connection it replaces (a reconnecting agent).
  std::shared_ptr<AgentLink> attach(const std::string& nodeid, std::shared_ptr<AgentLink> link);
  // Removes `link` if it is still the registered one; true when it was.
  bool detach(const std::string& nodeid, const AgentLink* link);
  // The device's agent: connected here, else (with peering) through the peer server holding it.
  std::shared_ptr<AgentLink> find(const std::string& nodeid) const;
  // Connected to this server only.
  std::shared_ptr<AgentLink> find_local(const std::string& nodeid) const;
  // Agents connected to this server.
  std::size_t size() const;
  // With peering (peers/peering.hpp): a link to an agent another server holds, or nullptr. Set
  // once at start.
  void set_remote(std::function<std::shared_ptr<AgentLink>(const std::string& nodeid)> f) { remote_ = std::move(f); }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::weak_ptr<AgentLink>> links_;
  std::function<std::shared_ptr<AgentLink>(const std::string&)> remote_;
};

}  // namespace mw::server::agents
