// Browser ⇄ agent relay (mesh_relay.hpp).
#include "agents/mesh_relay.hpp"

#include "tls_stream.hpp"
#include "accounts/relay_rights.hpp"

#include <deque>

#include "accounts/live_events.hpp"
#include "accounts/model.hpp"
#include "accounts/rights.hpp"
#include "accounts/service.hpp"
#include "agents/registry.hpp"
#include "auth/random.hpp"
#include "control_session.hpp"
#include "log.hpp"
#include "store/records.hpp"

namespace mw::server::agents {

namespace pa = proto::agent;
using Json = nlohmann::json;

// [SECTION] Hub

void RelayHub::expire_locked(std::chrono::steady_clock::time_point now) {
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->second.expires < now || it->second.browser.expired()) it = waiting_.erase(it);
    else ++it;
  }
}

mw::Result<std::string> RelayHub::wait_for_agent(std::shared_ptr<RelayEnd> browser, const std::string&,
                                                 const std::string& userid) {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  expire_locked(now);
  if (waiting_.size() >= kMaxPending) return make_error("busy", "Too many relays are being opened; try again shortly.");
  if (auto refused = acquire_locked(userid); !refused.empty()) return make_error("limit", refused);
  std::string id = auth::random_hex(16);
  waiting_[id] = Waiting{browser, now + kPairTimeout};
  return id;
}

std::string RelayHub::acquire_locked(const std::string& userid) {
  auto& n = per_user_[userid];
  if (n >= kMaxPerUser) return "You have " + std::to_string(kMaxPerUser) + " relays open already.";
  ++n;
  return "";
}

std::string RelayHub::acquire(const std::string& userid) {
  std::lock_guard lock(mu_);
  return acquire_locked(userid);
}

bool RelayHub::expect(const std::string& id, std::shared_ptr<RelayEnd> browser) {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  expire_locked(now);
  if (waiting_.size() >= kMaxPending || waiting_.contains(id)) return false;
  waiting_[id] = Waiting{browser, now + kPairTimeout};
  return true;
}

std::shared_ptr<RelayEnd> RelayHub::take(const std::string& id) {
  std::lock_guard lock(mu_);
  const auto it = waiting_.find(id);
  if (it == waiting_.end()) return nullptr;
  auto b = it->second.expires >= std::chrono::steady_clock::now() ? it->second.browser.lock() : nullptr;
  waiting_.erase(it);
  return b;
}

void RelayHub::cancel(const std::string& id) {
  std::lock_guard lock(mu_);
  waiting_.erase(id);
}

void RelayHub::release(const std::string& userid) {
  std::lock_guard lock(mu_);
  const auto it = per_user_.find(userid);
  if (it == per_user_.end()) return;
  if (--it->second == 0) per_user_.erase(it);
}

std::size_t RelayHub::pending() const {
  std::lock_guard lock(mu_);
  return waiting_.size();
}

std::size_t RelayHub::open() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [_, count] : per_user_) n += count;
  return n;
}

RelayGrant check_relay_grant(store::Store& s, const std::string& userid, const std::string& nodeid, pa::RelayProtocol p) {
  using namespace accounts;
  RelayGrant g;
  auto user = s.get(userid);
  auto node = s.get(nodeid);
  if (!user || !user.value() || !node || !node.value() || node.value()->value("type", "") != "node") {
    g.error = "Device not found.";
    return g;
  }
  g.username = user.value()->value("name", "");
  g.meshid = node.value()->value("meshid", "");
  g.device_name = node.value()->value("name", "");
  const std::uint32_t r = mesh_rights(*user.value(), g.meshid);
  if (r == 0) {
    g.error = "Device not found.";  // a device of a group the user cannot see does not exist for them
    return g;
  }
  const auto right = relay_right(r, p == pa::RelayProtocol::kTerminal ? RelayKind::kAgentTerminal
                                    : p == pa::RelayProtocol::kFiles  ? RelayKind::kAgentFiles
                                                                      : RelayKind::kAgentDesktop);
  if (!right.allowed) {
    g.error = std::string("Access denied: the ") + pa::relay_protocol_name(p) +
              " needs the remote control right on the device's group.";
  }
  g.view_only = right.view_only;
  g.limited_input = right.limited_input;
  return g;
}

namespace {

constexpr std::size_t kMaxMessage = 1u << 20;
constexpr std::size_t kWindow = 2u << 20;  // bytes per direction between the two sockets

int int_param(std::string_view target, std::string_view name, int fallback, int lo, int hi) {
  const std::string v = query_param(target, name);
  if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos) return fallback;
  return std::clamp(std::stoi(v), lo, hi);
}

template <class NextLayer>
class MeshRelay : public RelayEnd, public std::enable_shared_from_this<MeshRelay<NextLayer>> {
 public:
  MeshRelay(NextLayer stream, const ServerContext& ctx, std::string peer, const RequestInfo& info)
      : ws_(std::move(stream)), ctx_(ctx), peer_addr_(std::move(peer)), client_ip_(info.client_ip), domain_(*info.domain),
        timer_(ws_.get_executor()) {}
  // A relay carried for a peer server, on its open and authenticated WebSocket (join_peer_relay).
  MeshRelay(websocket::stream<NextLayer> ws, const ServerContext& ctx, std::string peer, const DomainSettings& domain)
      : ws_(std::move(ws)), ctx_(ctx), peer_addr_(std::move(peer)), client_ip_(peer_addr_), domain_(domain),
        timer_(ws_.get_executor()), peer_(true) {}

  // as_agent: the peer holds the agent; this server's browser waits for `id` and this socket is
  // its agent side. Else the peer holds the browser: this socket waits here for the agent.
  bool join_peer(const std::string& id, bool as_agent, std::string notice) {
    relay_id_ = id;
    notice_ = std::move(notice);
    agent_side_ = as_agent;
    ws_.set_option(websocket::stream_base::timeout::suggested(as_agent ? beast::role_type::client : beast::role_type::server));
    ws_.read_message_max(kMaxMessage);
    ws_.auto_fragment(false);
    if (as_agent) {
      asio::dispatch(ws_.get_executor(), [self = this->shared_from_this()] { self->join_as_agent(); });
      return true;
    }
    if (!ctx_.relays->expect(id, this->shared_from_this())) return false;
    timer_.expires_after(RelayHub::kPairTimeout);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->other_ || self->closed_) return;
      self->ctx_.relays->cancel(self->relay_id_);
      self->end("The agent did not open the relay within 20 s.");
    });
    return true;
  }

  void run(http::request<http::string_body> upgrade) {
    const auto target = upgrade.target();
    relay_id_ = query_param(target, "id");
    agent_side_ = !relay_id_.empty() && query_param(target, "nodeid").empty();
    if (!agent_side_) {
      creds_ = WebSocketCredentials::from(upgrade);
      nodeid_ = query_param(target, "nodeid");
      if (nodeid_.find('/') == std::string::npos) nodeid_ = "node/" + domain_.id + "/" + nodeid_;
      protocol_ = pa::relay_protocol(int_param(target, "p", 0, 0, 100));
      cols_ = int_param(target, "cols", 80, 1, 1000);
      rows_ = int_param(target, "rows", 24, 1, 1000);
      display_ = int_param(target, "display", 0, 0, pa::kMaxDisplay);
    }
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(kMaxMessage);
    // One frame per message: Beast would otherwise cut every message into 4 KB frames, each its
    // own TLS write and system call (a 200 KB "nodes" answer took 50).
    ws_.auto_fragment(false);
    auto req = std::make_shared<http::request<http::string_body>>(std::move(upgrade));
    ws_.async_accept(*req, [self = this->shared_from_this(), req](beast::error_code ec) {
      if (ec) return;
      if (self->agent_side_) return self->join_as_agent();
      self->authenticate();
    });
  }

  // [SECTION] RelayEnd (called from the other side's strand)
  void deliver(bool binary, std::string data, std::function<void()> done) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), binary, d = std::move(data), done = std::move(done)]() mutable {
      if (!self->agent_side_ && binary) self->to_browser_ += d.size();
      self->queue_.push_back({binary, std::move(d), std::move(done)});
      self->do_write();
    });
  }
  void paired(std::shared_ptr<RelayEnd> agent) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), agent = std::move(agent)] {
      if (self->closed_) return agent->peer_closed("the browser has gone");
      self->other_ = agent;
      self->timer_.cancel();
      self->paired_ = true;
      if (self->peer_) return self->do_read();  // the browser's own server says "ready"
      self->started_ms_ = store::now_ms();
      logger("relay")->info("{} {} relay to {} open for {}", self->peer_addr_, pa::relay_protocol_name(*self->protocol_),
                            self->nodeid_, self->userid_);
      Json ready{{"action", "meshrelay"}, {"state", "ready"}, {"p", static_cast<int>(*self->protocol_)}};
      if (self->grant_.view_only) ready["viewonly"] = true;  // the app shows the limit
      if (self->grant_.limited_input) ready["limitedinput"] = true;
      self->queue_.push_back({false, ready.dump(), {}});
      self->do_write();
      self->do_read();
    });
  }
  void peer_closed(std::string reason) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), reason = std::move(reason)] {
      self->other_.reset();
      self->end(reason);
    });
  }

 private:
  // [SECTION] Browser side: who, may they, ask the agent
  void authenticate() {
    if (!protocol_) return end("Unknown relay type: p must be 1 (terminal), 2 (desktop) or 5 (files).");
    authenticate_websocket(
        ctx_, ws_.get_executor(), domain_, client_ip_, std::move(creds_),
        [self = this->shared_from_this()](std::string uid) { self->on_user(std::move(uid)); },
        [self = this->shared_from_this()](std::string reason) { self->end(reason); });
  }
  void on_user(std::string userid) {
    userid_ = std::move(userid);
    ctx_.async_db->run(
        ws_.get_executor(),
        [uid = userid_, nid = nodeid_, p = *protocol_](store::Store& s) { return check_relay_grant(s, uid, nid, p); },
        [self = this->shared_from_this()](RelayGrant g) { self->on_grant(std::move(g)); });
  }
  void on_grant(RelayGrant g) {
    if (!g.error.empty()) {
      logger("relay")->info("{} relay to {} refused for {}: {}", peer_addr_, nodeid_, userid_, g.error);
      return end(g.error);
    }
    grant_ = std::move(g);
    auto link = ctx_.agents->find(nodeid_);
    if (!link) return end("The device's agent is not connected.");
    auto id = ctx_.relays->wait_for_agent(this->shared_from_this(), nodeid_, userid_);
    if (!id) return end(id.error().message);
    counted_ = true;
    relay_id_ = *id;
    link->send_tunnel(pa::Tunnel{relay_id_, *protocol_, cols_, rows_, grant_.view_only, display_, grant_.limited_input});
    timer_.expires_after(RelayHub::kPairTimeout);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->other_ || self->closed_) return;
      self->ctx_.relays->cancel(self->relay_id_);
      self->end("The agent did not open the relay within 20 s.");
    });
  }

  // [SECTION] Agent side
  void join_as_agent() {
    auto browser = ctx_.relays->take(relay_id_);
    if (!browser) {
      logger("relay")->info("{} agent relay with an unknown or expired id refused", peer_addr_);
      return end("");
    }
    other_ = browser;
    browser->paired(this->shared_from_this());
    do_read();
  }

  // [SECTION] Carrying: up to kWindow bytes read from this side and not yet written to the
  // other; reading pauses beyond that, so a side that does not read stalls the other.
  void do_read() {
    if (closed_ || reading_ || in_flight_ >= kWindow) return;
    reading_ = true;
    ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->reading_ = false;
      if (ec) return self->end(self->agent_side_ ? "The agent closed the relay." : "");
      auto other = self->other_;
      if (!other) return self->end("");
      std::string data = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      const std::size_t n = data.size() + 1;  // an empty message still counts
      if (!self->agent_side_ && self->ws_.got_binary()) self->from_browser_ += data.size();
      self->in_flight_ += n;
      other->deliver(self->ws_.got_binary(), std::move(data), [self, n] {
        asio::post(self->ws_.get_executor(), [self, n] {
          self->in_flight_ -= n;
          self->do_read();
        });
      });
      self->do_read();
    });
  }
  void do_write() {
    if (writing_ || queue_.empty() || ws_closed_) return;
    writing_ = true;
    ws_.binary(queue_.front().binary);
    ws_.async_write(asio::buffer(queue_.front().data), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      auto done = std::move(self->queue_.front().done);
      self->queue_.pop_front();
      if (ec) return self->end("");
      if (done) done();
      if (self->queue_.empty() && self->closing_) return self->close_ws();
      self->do_write();
    });
  }

  // [SECTION] Ending
  void end(const std::string& reason) {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    if (auto other = std::move(other_)) other->peer_closed(reason);
    if (peer_ && !agent_side_ && !paired_ && !notice_.empty()) {
      // Never joined: the browser hears why in its relay's own words.
      queue_.push_back({false, Json{{"action", notice_}, {"state", "closed"}, {"reason", reason.empty() ? "Closed." : reason}}.dump(), {}});
    }
    if (!agent_side_ && !peer_) {
      queue_.push_back({false, Json{{"action", "meshrelay"}, {"state", "closed"}, {"reason", reason.empty() ? "Closed." : reason}}.dump(), {}});
      if (counted_) ctx_.relays->release(userid_);
      if (started_ms_ > 0) record();
    }
    closing_ = true;
    if (!writing_ && queue_.empty()) return close_ws();
    do_write();
  }
  void close_ws() {
    if (ws_closed_) return;
    ws_closed_ = true;
    ws_.async_close(websocket::close_code::normal, [self = this->shared_from_this()](beast::error_code) {});
  }

  void record() {
    const std::string kind = std::string("Agent ") + pa::relay_protocol_name(*protocol_);
    accounts::record_relay_session(ctx_, {domain_.id, nodeid_, grant_.meshid, userid_, grant_.username, grant_.device_name,
                                          static_cast<int>(*protocol_), kind, started_ms_, to_browser_, from_browser_});
  }

  struct Queued {
    bool binary;
    std::string data;
    std::function<void()> done;
  };

  websocket::stream<NextLayer> ws_;
  const ServerContext& ctx_;
  std::string peer_addr_, client_ip_;
  const DomainSettings& domain_;
  asio::steady_timer timer_;
  WebSocketCredentials creds_;
  bool agent_side_ = false;
  std::string relay_id_, nodeid_, userid_;
  std::optional<pa::RelayProtocol> protocol_;
  int cols_ = 80, rows_ = 24;
  int display_ = 0;
  RelayGrant grant_;
  std::shared_ptr<RelayEnd> other_;
  beast::flat_buffer buffer_;
  std::deque<Queued> queue_;
  bool writing_ = false, reading_ = false, closed_ = false, closing_ = false, ws_closed_ = false, counted_ = false;
  bool peer_ = false;  // carried for a peer server: no messages of our own, no accounting
  bool paired_ = false;
  std::string notice_;  // peer_, browser side: the relay's action name for a "closed" notice before pairing
  std::size_t in_flight_ = 0;
  std::uint64_t to_browser_ = 0, from_browser_ = 0;
  std::int64_t started_ms_ = 0;
};

}  // namespace

template <class NextLayer>
void start_mesh_relay(NextLayer stream, const ServerContext& ctx, std::string peer, const RequestInfo& info,
                      http::request<http::string_body> upgrade) {
  std::make_shared<MeshRelay<NextLayer>>(std::move(stream), ctx, std::move(peer), info)->run(std::move(upgrade));
}

template <class NextLayer>
bool join_peer_relay(websocket::stream<NextLayer> ws, const ServerContext& ctx, std::string peer, const DomainSettings& domain,
                     const std::string& id, bool as_agent, std::string notice) {
  return std::make_shared<MeshRelay<NextLayer>>(std::move(ws), ctx, std::move(peer), domain)->join_peer(id, as_agent, std::move(notice));
}

template bool join_peer_relay(websocket::stream<TlsStream>, const ServerContext&, std::string, const DomainSettings&,
                              const std::string&, bool, std::string);
template bool join_peer_relay(websocket::stream<beast::tcp_stream>, const ServerContext&, std::string, const DomainSettings&,
                              const std::string&, bool, std::string);

template void start_mesh_relay(TlsStream, const ServerContext&, std::string, const RequestInfo&,
                               http::request<http::string_body>);
template void start_mesh_relay(beast::tcp_stream, const ServerContext&, std::string, const RequestInfo&,
                               http::request<http::string_body>);

}  // namespace mw::server::agents
