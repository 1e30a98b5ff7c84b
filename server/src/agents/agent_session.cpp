// The agent channel (agent_session.hpp).
#include "agents/agent_session.hpp"

#include "tls_stream.hpp"

#include <deque>
#include <functional>
#include <map>

#include "accounts/live_events.hpp"
#include "accounts/model.hpp"
#include "accounts/presence.hpp"
#include "accounts/service.hpp"
#include "agents/admission.hpp"
#include "agents/agent_keys.hpp"
#include "agents/registry.hpp"
#include "auth/random.hpp"
#include "log.hpp"
#include "mw/util/hex.hpp"
#include "store/records.hpp"

namespace mw::server::agents {

namespace pa = proto::agent;
using Json = nlohmann::json;

namespace {

constexpr std::size_t kMaxQueued = 64;
constexpr std::size_t kMaxCommands = 16;  // commands running at once per agent
constexpr auto kProofTimeout = std::chrono::seconds(15);

template <class NextLayer>
class AgentSession : public AgentLink, public std::enable_shared_from_this<AgentSession<NextLayer>> {
 public:
  AgentSession(NextLayer stream, const ServerContext& ctx, std::string peer, const RequestInfo& info)
      : ws_(std::move(stream)), ctx_(ctx), peer_(std::move(peer)), ip_(info.client_ip), domain_(info.domain->id),
        timer_(ws_.get_executor()) {
    const int pong = ctx.settings.agent_pong_seconds;
    period_ = std::chrono::seconds(pong > 0 ? pong : 60);
  }

  void run(http::request<http::string_body> upgrade) {
    beast::get_lowest_layer(ws_).expires_never();
    auto t = websocket::stream_base::timeout::suggested(beast::role_type::server);
    t.idle_timeout = websocket::stream_base::none();  // the application's pings decide (see tick)
    ws_.set_option(t);
    ws_.read_message_max(pa::kMaxMessage);
    // One frame per message: Beast would otherwise cut every message into 4 KB frames, each its
    // own TLS write and system call (a 200 KB "nodes" answer took 50).
    ws_.auto_fragment(false);
    ws_.text(true);
    auto req = std::make_shared<http::request<http::string_body>>(std::move(upgrade));
    ws_.async_accept(*req, [self = this->shared_from_this(), req](beast::error_code ec) {
      if (ec) return;
      self->arm(kProofTimeout);
      self->do_read();
    });
  }

  // [SECTION] AgentLink (any thread)
  void send_tunnel(pa::Tunnel tunnel) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), t = std::move(tunnel)] { self->send(pa::encode(t)); });
  }
  void run_commands(std::string cmds, int type, std::function<void(std::string, int)> done) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), cmds = std::move(cmds), type, done = std::move(done)]() mutable {
      if (self->closed_) return done("Agent not connected", -1);
      if (self->commands_.size() >= kMaxCommands) return done("Too many commands are running on this device", -1);
      const std::string id = std::to_string(++self->command_seq_);
      self->commands_[id] = std::move(done);
      self->send(pa::encode(pa::RunCommands{id, std::move(cmds), true, type}));
    });
  }
  void send_uninstall() override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] { self->send(pa::encode(pa::UninstallAgent{})); });
  }
  void send_notify(pa::Notify notice) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), n = std::move(notice)] { self->send(pa::encode(n)); });
  }
  void shutdown() override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] { self->close("replaced by a newer connection"); });
  }

 private:
  // [SECTION] Reading
  void do_read() {
    ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->finish();
      if (!self->ws_.got_text()) return self->close("binary message on the agent channel");
      auto m = pa::parse(beast::buffers_to_string(self->buffer_.data()));
      self->buffer_.consume(self->buffer_.size());
      if (!m) return self->close("bad message: " + m.error().message);
      self->last_heard_ = std::chrono::steady_clock::now();
      if (!self->on_message(m.value())) return;  // waits for the store or ended
      self->do_read();
    });
  }

  // Returns false when reading must pause (admission) or the session ended.
  bool on_message(pa::Message& m) {
    if (auto* hello = std::get_if<pa::AgentHello>(&m)) return on_hello(*hello);
    if (auto* auth = std::get_if<pa::AgentAuth>(&m)) return on_auth(*auth);
    if (!admitted_) {
      close("message before the proof");
      return false;
    }
    if (auto* si = std::get_if<pa::SysInfo>(&m)) {
      auto* bus = &ctx_.accounts->bus();
      ctx_.async_db->run(
          ws_.get_executor(), [nodeid = nodeid_, info = std::move(si->info)](store::Store& s) { return record_sysinfo(s, nodeid, info); },
          [bus, d = domain_](std::vector<accounts::Dispatch> events) { bus->dispatch_all(d, events); });
    }
    if (auto* r = std::get_if<pa::RunCommandsResult>(&m)) {
      if (auto it = commands_.find(r->id); it != commands_.end()) {
        auto done = std::move(it->second);
        commands_.erase(it);
        done(std::move(r->result), r->exit_code);
      }
    }
    return true;  // pong and unknown actions: nothing more (being heard is what counts)
  }

  bool on_hello(const pa::AgentHello& h) {
    if (!agent_nonce_.empty()) return close("second hello"), false;
    if (h.version != pa::kVersion) return close("agent protocol version " + std::to_string(h.version) + " is not supported"), false;
    tls_hash_ = certificate_hash();
    if (tls_hash_.empty()) {
      return close("behind a TLS offloader, agents need the domain's CertUrl to verify the server"), false;
    }
    agent_nonce_ = h.nonce;
    server_nonce_ = auth::random_bytes(pa::kNonceSize);
    const auto sig = ctx_.agent_key->sign(pa::server_transcript(tls_hash_, agent_nonce_, server_nonce_));
    if (sig.empty()) return close("the server cannot sign with its agent key"), false;
    send(pa::encode(pa::ServerAuth{server_nonce_, ctx_.agent_key->certificate_der(), sig}));
    return true;
  }

  bool on_auth(const pa::AgentAuth& a) {
    if (agent_nonce_.empty() || !nodeid_.empty()) return close("proof out of order"), false;
    auto ok = verify_agent(a.pubkey_der, pa::agent_transcript(tls_hash_, agent_nonce_, server_nonce_), a.signature);
    if (!ok) return refuse(ok.error().message), false;
    nodeid_ = "node/" + domain_ + "/" + pa::node_value(sha384(a.pubkey_der));
    std::string meshid = a.meshid;
    const Json agent{{"ver", a.version}, {"platform", a.platform}};
    ctx_.async_db->run(
        ws_.get_executor(),
        [d = domain_, meshid, value = nodeid_.substr(nodeid_.rfind('/') + 1), host = a.hostname, ip = ip_,
         agent](store::Store& s) { return admit_agent(s, d, meshid, value, host, ip, agent); },
        [self = this->shared_from_this()](AgentAdmission adm) { self->on_admission(std::move(adm)); });
    return false;  // reading resumes after admission
  }

  void on_admission(AgentAdmission adm) {
    if (closed_) return;
    ctx_.accounts->bus().dispatch_all(domain_, adm.events);
    if (!adm.ok) return refuse(adm.reason);
    meshid_ = adm.meshid;
    admitted_ = true;
    timer_.cancel();
    if (auto old = ctx_.agents->attach(nodeid_, this->shared_from_this())) {
      logger("agent")->info("{} agent {} replaces its older connection", peer_, nodeid_);
      old->shutdown();
    }
    const auto before = ctx_.accounts->presence().get(nodeid_);
    const auto state = ctx_.accounts->presence().connect(nodeid_, meshid_, accounts::conn_bit::kAgent, accounts::power::kOn,
                                                         store::now_ms());
    accounts::announce_presence(ctx_, nodeid_, state, before ? before->pwr : 0);
    logger("agent")->info("{} agent {} ({}) connected to group {}", peer_, nodeid_, adm.name, meshid_);
    send(pa::encode(pa::AuthOk{nodeid_}));
    tick();
    do_read();
  }

  void refuse(const std::string& reason) {
    logger("agent")->warn("{} agent refused: {}", peer_, reason);
    send(pa::encode(pa::AuthError{reason}));
    close_after_writes_ = true;
  }

  Bytes certificate_hash() {
    if constexpr (std::is_same_v<NextLayer, TlsStream>) {
      return own_certificate_hash(ws_.next_layer().native_handle());
    } else {
      const auto it = ctx_.agent_facing_certs.find(domain_);
      if (it == ctx_.agent_facing_certs.end()) return {};
      return util::hex_decode(it->second.sha384_hex).value_or(Bytes{});
    }
  }

  // [SECTION] Keep-alive: a ping every period; silence for three periods ends the session.
  void arm(std::chrono::steady_clock::duration d) {
    timer_.expires_after(d);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->admitted_ || self->closed_) return;
      self->close("no proof within 15 s");
    });
  }
  void tick() {
    timer_.expires_after(period_);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      if (std::chrono::steady_clock::now() - self->last_heard_ > 3 * self->period_) return self->close("silent for three keep-alive periods");
      self->send(pa::encode(pa::Ping{}));
      self->tick();
    });
  }

  // [SECTION] Writing
  void send(std::string text) {
    if (closed_) return;
    if (queue_.size() >= kMaxQueued) return close("the agent is not reading");
    queue_.push_back(std::move(text));
    do_write();
  }
  void do_write() {
    if (writing_ || queue_.empty() || ws_closed_) return;
    writing_ = true;
    ws_.async_write(asio::buffer(queue_.front()), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      self->queue_.pop_front();
      if (ec) return self->finish();
      if (self->queue_.empty() && self->close_after_writes_) return self->close("");
      self->do_write();
    });
  }

  // [SECTION] Ending
  void close(const std::string& reason) {
    if (!reason.empty()) logger("agent")->info("{} agent {} closed: {}", peer_, nodeid_.empty() ? "?" : nodeid_, reason);
    finish();
    if (ws_closed_) return;
    ws_closed_ = true;
    ws_.async_close(websocket::close_code::normal, [self = this->shared_from_this()](beast::error_code) {});
  }
  void finish() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    auto commands = std::move(commands_);
    commands_.clear();
    for (auto& [id, done] : commands) done("The agent disconnected before the command finished", -1);
    if (admitted_ && ctx_.agents->detach(nodeid_, this)) {
      logger("agent")->info("{} agent {} disconnected", peer_, nodeid_);
      const auto before = ctx_.accounts->presence().get(nodeid_);
      auto state = ctx_.accounts->presence().disconnect(nodeid_, accounts::conn_bit::kAgent);
      if (state.meshid.empty()) state.meshid = meshid_;
      accounts::announce_presence(ctx_, nodeid_, state, before ? before->pwr : 0);
    }
  }

  websocket::stream<NextLayer> ws_;
  const ServerContext& ctx_;
  std::string peer_, ip_, domain_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::duration period_;
  std::chrono::steady_clock::time_point last_heard_ = std::chrono::steady_clock::now();
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  Bytes agent_nonce_, server_nonce_, tls_hash_;
  std::string nodeid_, meshid_;
  bool admitted_ = false, writing_ = false, closed_ = false, ws_closed_ = false, close_after_writes_ = false;
  std::map<std::string, std::function<void(std::string, int)>> commands_;  // running, by id
  std::uint64_t command_seq_ = 0;
};

}  // namespace

template <class NextLayer>
void start_agent_session(NextLayer stream, const ServerContext& ctx, std::string peer, const RequestInfo& info,
                         http::request<http::string_body> upgrade) {
  std::make_shared<AgentSession<NextLayer>>(std::move(stream), ctx, std::move(peer), info)->run(std::move(upgrade));
}

template void start_agent_session(TlsStream, const ServerContext&, std::string, const RequestInfo&,
                                  http::request<http::string_body>);
template void start_agent_session(beast::tcp_stream, const ServerContext&, std::string, const RequestInfo&,
                                  http::request<http::string_body>);

}  // namespace mw::server::agents
