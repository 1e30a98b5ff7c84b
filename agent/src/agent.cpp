// The agent's connection life (agent.hpp): connect, mutual proof, sysinfo, keep-alives, tunnels,
// reconnect with back-off. C++20 coroutines on one io_context.
#include "agent.hpp"

#include "console.hpp"

#include <openssl/crypto.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <ctime>
#include <deque>
#include <iostream>
#include <mutex>

#include "commands.hpp"
#include "discovery.hpp"
#include "notify.hpp"
#include "sessions.hpp"
#include "sysinfo.hpp"
#include "wss.hpp"

namespace mw::agent {

namespace pa = proto::agent;
using asio::use_awaitable;

void log_line(const std::string& text) {
  static std::mutex mu;
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  std::lock_guard lock(mu);
  std::cerr << stamp << " meshwork-agent: " << text << std::endl;
}

std::chrono::milliseconds Backoff::next(std::uint32_t random) {
  const int shift = std::min(attempt_, 20);
  ++attempt_;
  const auto full = std::min<std::int64_t>(max_.count(), min_.count() << shift);
  const auto half = full / 2;
  return std::chrono::milliseconds(half + (half > 0 ? random % (half + 1) : 0));
}

Agent::Agent(asio::io_context& io, ssl::context& tls, pa::Settings settings, Identity identity, AgentOptions options)
    : io_(io), tls_(tls), settings_(std::move(settings)), identity_(std::move(identity)), options_(std::move(options)) {}

void Agent::start() {
  asio::co_spawn(io_, [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->run(); }, asio::detached);
}

void Agent::log(const std::string& text) { log_line(options_.label.empty() ? text : options_.label + ": " + text); }

asio::awaitable<void> Agent::run() {
  Backoff backoff(options_.backoff_min, options_.backoff_max);
  asio::steady_timer timer(io_);
  for (;;) {
    std::string why;
    const auto started = std::chrono::steady_clock::now();
    try {
      co_await session();
      why = "the server closed the connection";
    } catch (const std::exception& e) {
      why = e.what();
    }
    stats_.online = false;
    ++stats_.failures;
    // A connection that lived a while was a success: start the back-off again from the bottom.
    if (std::chrono::steady_clock::now() - started > std::chrono::minutes(1)) backoff.reset();
    const Bytes r = random_bytes(4);
    const auto delay = backoff.next(std::uint32_t{r[0]} | std::uint32_t{r[1]} << 8 | std::uint32_t{r[2]} << 16 | std::uint32_t{r[3]} << 24);
    if (!options_.quiet || why != last_error_) {
      log("disconnected (" + why + "); retrying in " + std::to_string(delay.count() / 1000.0).substr(0, 4) + " s");
    }
    last_error_ = why;
    timer.expires_after(delay);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

asio::awaitable<void> Agent::session() {
  std::string server_url = settings_.server_url;
  if (server_url == "local") {  // LAN mode: ask the local network where the server is
    std::string found = co_await discover_server(settings_);
    if (found != discovered_) log("found the server on the local network: " + found);
    discovered_ = found;
    server_url = std::move(found);
  }
  auto url = pa::parse_wss_url(server_url);
  if (!url) throw std::runtime_error("bad MeshServer URL: " + url.error().message);
  auto c = co_await connect_wss(tls_, *url, url->path);
  // Shared with the writer, which may still be finishing a write when this returns.
  std::shared_ptr<Wss> wsp(std::move(c.ws));
  auto& ws = *wsp;
  beast::flat_buffer buffer;
  auto read_message = [&]() -> asio::awaitable<pa::Message> {
    buffer.clear();
    co_await ws.async_read(buffer, use_awaitable);
    if (!ws.got_text()) throw std::runtime_error("the server sent a binary message on the agent channel");
    auto m = pa::parse(beast::buffers_to_string(buffer.data()));
    if (!m) throw std::runtime_error("bad message from the server: " + m.error().message);
    co_return std::move(m.value());
  };

  // [SECTION] Mutual proof
  const Bytes agent_nonce = random_bytes(pa::kNonceSize);
  ws.text(true);
  // Note: no temporaries with destructors inside co_await expressions in this folder — g++ 12
  // destroys some of them twice (a compiler bug); they are named locals instead.
  const std::string hello = pa::encode(pa::AgentHello{pa::kVersion, agent_nonce});
  co_await ws.async_write(asio::buffer(hello), use_awaitable);
  auto first = co_await read_message();
  auto* sa = std::get_if<pa::ServerAuth>(&first);
  if (!sa) throw std::runtime_error("the server did not prove its identity");
  const auto transcript = pa::server_transcript(c.tls_cert_hash, agent_nonce, sa->nonce);
  if (auto bad = verify_server(sa->cert_der, settings_.server_id, transcript, sa->signature); !bad.empty()) {
    throw std::runtime_error(bad);
  }
  pa::AgentAuth auth;
  auth.pubkey_der = identity_.public_key_der();
  auth.signature = identity_.sign(pa::agent_transcript(c.tls_cert_hash, agent_nonce, sa->nonce));
  auth.meshid = settings_.mesh_id;
  auth.version = MW_AGENT_VERSION;
  auth.platform = platform_name();
  auth.hostname = options_.sessions ? host_name() : options_.label;
  const std::string auth_text = pa::encode(auth);
  co_await ws.async_write(asio::buffer(auth_text), use_awaitable);
  auto answer = co_await read_message();
  if (auto* e = std::get_if<pa::AuthError>(&answer)) throw std::runtime_error("the server refused the agent: " + e->reason);
  auto* ok = std::get_if<pa::AuthOk>(&answer);
  if (!ok) throw std::runtime_error("unexpected answer to the agent's proof");
  ++stats_.connects;
  stats_.online = true;
  if (!options_.quiet || !last_error_.empty() || stats_.connects == 1) {
    log("connected to " + url->host + ":" + std::to_string(url->port) + " as " + ok->nodeid);
  }
  last_error_.clear();
  const ConsoleContext console{&settings_, ok->nodeid, started_, std::chrono::system_clock::now(), stats_.connects};

  // [SECTION] Running: one writer at a time; reads here, sysinfo on its own timer.
  auto alive = std::make_shared<bool>(true);
  auto queue = std::make_shared<std::deque<std::string>>();
  auto writing = std::make_shared<bool>(false);
  auto send = [wsp, queue, writing, alive](std::string text) {
    queue->push_back(std::move(text));
    if (*writing) return;
    *writing = true;
    asio::co_spawn(
        wsp->get_executor(),
        [wsp, queue, writing, alive]() -> asio::awaitable<void> {
          boost::system::error_code ec;
          while (!queue->empty() && *alive && !ec) {
            const std::string next = std::move(queue->front());
            queue->pop_front();
            wsp->text(true);
            co_await wsp->async_write(asio::buffer(next), asio::redirect_error(use_awaitable, ec));
          }
          *writing = false;
        },
        asio::detached);
  };
  RelayTarget relay_target{*url, c.tls_cert_hash, settings_};
  std::string last_fingerprint;
  auto report = [&] {
    auto info = collect_sysinfo();
    info["agent"] = {{"ver", MW_AGENT_VERSION}, {"id", platform_agent_id()}, {"platform", platform_name()}};
    const auto fp = sysinfo_fingerprint(info);
    if (fp == last_fingerprint) return;
    last_fingerprint = fp;
    send(pa::encode(pa::SysInfo{std::move(info)}));
  };
  if (options_.sessions) {
    report();
  } else {
    send(pa::encode(pa::SysInfo{{{"agent", {{"ver", MW_AGENT_VERSION}, {"id", platform_agent_id()}, {"platform", platform_name()}}},
                                 {"hostname", options_.label}}}));
  }
  asio::steady_timer sysinfo_timer(io_);
  if (options_.sessions) {
    asio::co_spawn(
        io_,
        [&, alive]() -> asio::awaitable<void> {
          for (;;) {
            sysinfo_timer.expires_after(options_.sysinfo_interval);
            boost::system::error_code ec;
            co_await sysinfo_timer.async_wait(asio::redirect_error(use_awaitable, ec));
            if (ec || !*alive) co_return;
            report();
          }
        },
        asio::detached);
  }
  // On the way out (the read failed): stop the timer and the writer, close the socket.
  struct Stop {
    std::shared_ptr<bool> alive;
    asio::steady_timer& timer;
    Wss& ws;
    ~Stop() {
      *alive = false;
      timer.cancel();
      beast::error_code ec;
      beast::get_lowest_layer(ws).socket().close(ec);
    }
  } stop{alive, sysinfo_timer, ws};
  for (;;) {
    auto m = co_await read_message();
    if (std::holds_alternative<pa::Ping>(m)) {
      send(pa::encode(pa::Pong{}));
    } else if (std::holds_alternative<pa::UninstallAgent>(m)) {
      log(options_.on_uninstall ? "the server asked this agent to uninstall itself" : "uninstall request ignored (swarm agent)");
      if (options_.on_uninstall) options_.on_uninstall();
    } else if (auto* n = std::get_if<pa::Notify>(&m)) {
      if (!options_.sessions) continue;
      const char* kind = n->kind == pa::Notify::Kind::kToast ? "notification" : "message box";
      const std::string refused = show_notice(*n, settings_.display);
      log(std::string(kind) + " from " + (n->from.empty() ? "the server" : n->from) +
          (refused.empty() ? " shown" : " not shown: " + refused));
    } else if (auto* t = std::get_if<pa::Tunnel>(&m)) {
      if (!options_.sessions) continue;
      asio::co_spawn(io_, serve_tunnel(tls_, relay_target, *t), asio::detached);
    } else if (auto* rc = std::get_if<pa::RunCommands>(&m)) {
      if (!options_.sessions) continue;
      if (rc->type == pa::kConsoleCommand) {  // answered here: the console only reads state
        log("agent console: " + rc->cmds.substr(0, 64));
        std::string out = run_console(rc->cmds, console);
        if (rc->reply) send(pa::encode(pa::RunCommandsResult{rc->id, std::move(out), 0}));
        continue;
      }
      log("running commands for the server (" + std::to_string(rc->cmds.size()) + " bytes)");
      // The answer goes out only if this connection still stands (`alive`).
      run_commands(io_.get_executor(), rc->cmds, [send, alive, id = rc->id, reply = rc->reply](std::string out, int code) {
        if (*alive && reply) send(pa::encode(pa::RunCommandsResult{id, std::move(out), code}));
      });
    }
  }
}

}  // namespace mw::agent
