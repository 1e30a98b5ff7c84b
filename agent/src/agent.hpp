// One agent identity's life: connect to the server's /agent.ashx, prove both identities (the
// server by its pinned ServerID, the agent by its key), report system information and keep it
// current, answer keep-alives, open relay sessions the server asks for, and reconnect with
// exponential back-off and jitter whenever the connection fails. Single-threaded: everything
// runs on the io_context it is given (several agents may share one, as the swarm does).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "crypto.hpp"
#include "mw/proto/agent.hpp"

namespace mw::agent {

struct AgentOptions {
  bool sessions = true;  // terminal/files/desktop relays (off for swarm agents)
  std::chrono::seconds sysinfo_interval{60};
  std::chrono::milliseconds backoff_min{1000}, backoff_max{std::chrono::minutes(5)};
  std::string label;  // prefix of log lines ("" for a single agent)
  bool quiet = false;  // log failures only once per change of reason (swarm)
  // The server asked the agent to uninstall itself (main.cpp does it once the agent has stopped);
  // empty: the request is logged and ignored (swarm agents).
  std::function<void()> on_uninstall;
};

// The reconnect delay: doubles from `min` up to `max`, with half of it random (jitter), so a
// server restart is not met by every agent at the same instant.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max) : min_(min), max_(max) {}
  std::chrono::milliseconds next(std::uint32_t random);
  void reset() { attempt_ = 0; }

 private:
  std::chrono::milliseconds min_, max_;
  int attempt_ = 0;
};

struct AgentStats {
  std::uint64_t connects = 0, failures = 0;
  bool online = false;
};

class Agent : public std::enable_shared_from_this<Agent> {
 public:
  Agent(boost::asio::io_context& io, boost::asio::ssl::context& tls, proto::agent::Settings settings, Identity identity,
        AgentOptions options);
  void start();
  const AgentStats& stats() const { return stats_; }
  const Identity& identity() const { return identity_; }

 private:
  boost::asio::awaitable<void> run();
  // One connection: returns when it ends (normally or not); throws what failed.
  boost::asio::awaitable<void> session();
  void log(const std::string& text);

  boost::asio::io_context& io_;
  boost::asio::ssl::context& tls_;
  proto::agent::Settings settings_;
  std::string discovered_;  // MeshServer=local: the URL LAN discovery gave last
  Identity identity_;
  AgentOptions options_;
  AgentStats stats_;
  std::string last_error_;
  std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();
};

// Log line to stderr with the time (the agent's only output; secrets are never passed here).
void log_line(const std::string& text);

}  // namespace mw::agent
