// Peer servers (peering.hpp).
#include "peers/peering.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>
#include <random>

#include "accounts/model.hpp"
#include "accounts/presence.hpp"
#include "accounts/service.hpp"
#include "agents/mesh_relay.hpp"
#include "agents/registry.hpp"
#include "amt/amt_manager.hpp"
#include "amt/amt_relay.hpp"
#include "amt/mps_server.hpp"
#include "auth/password.hpp"
#include "auth/random.hpp"
#include "log.hpp"
#include "mw/util/hex.hpp"
#include "server_context.hpp"
#include "store/records.hpp"
#include "store/store.hpp"
#include "tls_stream.hpp"

namespace mw::server::peers {

using Json = nlohmann::json;
namespace pa = proto::agent;

namespace {

constexpr const char* kKeyRecord = "PeerServerKey";
constexpr const char* kExporterLabel = "EXPORTER-meshwork-peer";

std::shared_ptr<const std::string> serialise(const Json& m) {
  return std::make_shared<const std::string>(m.dump(-1, ' ', false, Json::error_handler_t::replace));
}

// The TLS channel binding (RFC 5705 / RFC 9266 exporter): both ends of one TLS connection compute
// the same bytes, two different connections never do. Plain connections (a server's own port
// behind a TLS offloader) have none.
std::string channel_binding(TlsStream& s) {
  unsigned char out[48];
  if (SSL_export_keying_material(s.native_handle(), out, sizeof out, kExporterLabel, std::strlen(kExporterLabel), nullptr, 0,
                                 0) != 1) {
    return "unavailable";
  }
  return util::hex_encode(std::span<const std::uint8_t>(out, sizeof out));
}
std::string channel_binding(beast::tcp_stream&) { return ""; }

std::string str(const Json& m, const char* key) {
  const auto it = m.find(key);
  return it != m.end() && it->is_string() ? it->get<std::string>() : std::string();
}
int num(const Json& m, const char* key, int fallback) {
  const auto it = m.find(key);
  return it != m.end() && it->is_number_integer() ? it->get<int>() : fallback;
}
bool flag(const Json& m, const char* key) {
  const auto it = m.find(key);
  return it != m.end() && it->is_boolean() && it->get<bool>();
}

bool is_hex_id(const std::string& s) {
  return s.size() == 32 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

Json presence_json(const std::string& nodeid, const accounts::PresenceState& s) {
  return {{"nodeid", nodeid}, {"meshid", s.meshid}, {"conn", s.conn}, {"pwr", s.pwr}, {"ct", s.ct}};
}

// [SECTION] A link or relay connection to a peer server, either direction.
//
// Acceptor: accept → {"action":"peerhello","serverid","nonce"} → reads the dialer's hello
// (serverid, nonce, purpose, proof) → checks it → {"action":"peerok","proof"} → a link, or reads
// the relay request. Dialer: the mirror image. Every step is under kHandshakeTimeout.
template <class NextLayer>
class PeerConn : public PeerChannel, public std::enable_shared_from_this<PeerConn<NextLayer>> {
 public:
  enum class Purpose { kLink, kRelay };

  PeerConn(websocket::stream<NextLayer> ws, Peering& peering, std::string addr)
      : ws_(std::move(ws)), p_(peering), addr_(std::move(addr)), timer_(ws_.get_executor()) {}

  // [SECTION] Roles
  void accept(http::request<http::string_body> upgrade) {
    dialer_ = false;
    prepare();
    auto req = std::make_shared<http::request<http::string_body>>(std::move(upgrade));
    ws_.async_accept(*req, [self = this->shared_from_this(), req](beast::error_code ec) {
      if (ec) return self->fail("WebSocket upgrade failed: " + ec.message());
      self->load_key([self] {
        self->binding_ = channel_binding(self->ws_.next_layer());
        self->nonce_ = auth::random_hex(32);
        self->write(serialise({{"action", "peerhello"}, {"serverid", self->p_.settings().server_id}, {"nonce", self->nonce_}, {"v", 1}}));
        self->read_once([self](Json m) { self->on_dialer_hello(std::move(m)); });
      });
    });
  }

  // The socket is connected (and TLS is up when wss): WebSocket handshake to the peer, then ours.
  void dial(const PeerServer& target, Purpose purpose, Json relay_request) {
    dialer_ = true;
    server_ = target.id;
    purpose_ = purpose;
    relay_request_ = std::move(relay_request);
    prepare();
    const std::string host = target.host.find(':') != std::string::npos ? "[" + target.host + "]:" + target.port
                                                                        : target.host + ":" + target.port;
    ws_.async_handshake(host, target.path + "meshserver.ashx", [self = this->shared_from_this()](beast::error_code ec) {
      if (ec) return self->fail("WebSocket upgrade failed: " + ec.message());
      self->load_key([self] {
        self->binding_ = channel_binding(self->ws_.next_layer());
        self->read_once([self](Json m) { self->on_acceptor_hello(std::move(m)); });
      });
    });
  }

  // [SECTION] PeerChannel
  void send(std::shared_ptr<const std::string> message) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), m = std::move(message)]() mutable {
      if (self->closed_) return;
      if (self->queued_ + m->size() > Peering::kMaxQueuedBytes) {
        logger("peers")->warn("peer server {} does not read its link ({} bytes waiting); dropping the link", self->server_,
                              self->queued_);
        return self->shutdown();
      }
      self->write(std::move(m));
    });
  }
  void close() override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] { self->shutdown(); });
  }

 private:
  void prepare() {
    // Both ends ping an idle link, so a peer that vanished (power cut, network) is noticed in a
    // minute, not when TCP gives up.
    websocket::stream_base::timeout t{};
    t.handshake_timeout = Peering::kHandshakeTimeout;
    t.idle_timeout = std::chrono::seconds(60);
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.read_message_max(Peering::kMaxMessage);
    ws_.auto_fragment(false);
    timer_.expires_after(Peering::kHandshakeTimeout);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec && !self->established_) self->fail("no answer within " + std::to_string(Peering::kHandshakeTimeout.count()) + " s");
    });
  }

  void load_key(std::function<void()> next) {
    auto& ctx = p_.context();
    ctx.async_db->run(
        ws_.get_executor(), [](store::Store& s) { return Peering::load_or_create_key(s); },
        [self = this->shared_from_this(), next = std::move(next)](mw::Result<std::vector<std::uint8_t>> key) {
          if (!key) return self->fail("database: " + key.error().message);
          self->key_ = std::move(key.value());
          next();
        });
  }

  std::string proof(std::string_view role, const std::string& dialer_id, const std::string& acceptor_id,
                    const std::string& dialer_nonce, const std::string& acceptor_nonce) const {
    return peer_proof(key_, role, dialer_id, acceptor_id, dialer_nonce, acceptor_nonce, binding_);
  }

  // Acceptor: the dialer says who it is and proves it.
  void on_dialer_hello(Json m) {
    const std::string id = str(m, "serverid"), nonce = str(m, "nonce"), their_proof = str(m, "proof"), purpose = str(m, "purpose");
    if (str(m, "action") != "peerhello" || !p_.settings().find(id)) {
      return refuse("unknown server \"" + id.substr(0, 64) + "\" (not in peers.servers)");
    }
    server_ = id;
    if (nonce.size() != 64 || (purpose != "link" && purpose != "relay")) return refuse("malformed hello");
    purpose_ = purpose == "link" ? Purpose::kLink : Purpose::kRelay;
    const std::string expected = proof("dialer", id, p_.settings().server_id, nonce, nonce_);
    if (!auth::constant_time_equal(expected, their_proof)) {
      return refuse("its proof does not match (another database's key, or the connection is not direct)");
    }
    write(serialise({{"action", "peerok"}, {"proof", proof("acceptor", id, p_.settings().server_id, nonce, nonce_)}}));
    if (purpose_ == Purpose::kLink) return established();
    read_once([self = this->shared_from_this()](Json r) { self->on_relay_request(std::move(r)); });
  }

  // Dialer: the acceptor's hello, then its proof.
  void on_acceptor_hello(Json m) {
    if (str(m, "action") != "peerhello" || str(m, "serverid") != server_) {
      return fail("the server at that address says it is \"" + str(m, "serverid").substr(0, 64) + "\"");
    }
    const std::string their_nonce = str(m, "nonce");
    if (their_nonce.size() != 64) return fail("malformed hello");
    nonce_ = auth::random_hex(32);
    const std::string self_id = p_.settings().server_id;
    write(serialise({{"action", "peerhello"},
                     {"serverid", self_id},
                     {"nonce", nonce_},
                     {"purpose", purpose_ == Purpose::kLink ? "link" : "relay"},
                     {"proof", proof("dialer", self_id, server_, nonce_, their_nonce)}}));
    read_once([self = this->shared_from_this(), their_nonce, self_id](Json ok) {
      if (str(ok, "action") == "peerrefused") return self->fail("refused: " + str(ok, "reason"));
      const std::string expected = self->proof("acceptor", self_id, self->server_, self->nonce_, their_nonce);
      if (str(ok, "action") != "peerok" || !auth::constant_time_equal(expected, str(ok, "proof"))) {
        return self->fail("its proof does not match (another database's key, or the connection is not direct)");
      }
      if (self->purpose_ == Purpose::kLink) return self->established();
      // Only now, with the peer proven, does the relay id leave this server.
      self->write(serialise(self->relay_request_));
      self->read_once([self](Json r) { self->on_relay_answer(std::move(r)); });
    });
  }

  // Acceptor of a relay: the browser is on the peer, the agent should be here.
  void on_relay_request(Json m) {
    pa::Tunnel tunnel;
    std::string nodeid;
    if (str(m, "action") == "amtrelay") return on_amt_relay_request(std::move(m));
    if (str(m, "action") != "relay") return refuse("expected a relay request");
    if (std::string why = p_.check_relay(m, tunnel, nodeid); !why.empty()) {
      write(serialise({{"action", "relayrefused"}, {"reason", why}}));
      return shutdown();
    }
    auto& ctx = p_.context();
    const auto* domain = accounts::find_domain(ctx.settings, accounts::domain_of(nodeid));
    auto agent = ctx.agents->find_local(nodeid);
    if (!domain || !agent) {
      write(serialise({{"action", "relayrefused"}, {"reason", "The device's agent is not connected."}}));
      return shutdown();
    }
    established_ = true;
    timer_.cancel();
    write(serialise({{"action", "relayok"}}));
    when_written([self = this->shared_from_this(), domain, agent, tunnel, addr = addr_]() mutable {
      self->handed_off_ = true;
      if (agents::join_peer_relay(std::move(self->ws_), self->p_.context(), addr, *domain, tunnel.id, false)) {
        agent->send_tunnel(tunnel);
      }
    });
  }

  // Acceptor of an Intel AMT relay: the browser is on the peer, the device's CIRA connection here.
  void on_amt_relay_request(Json m) {
    auto& ctx = p_.context();
    const std::string nodeid = str(m, "nodeid"), p = str(m, "p"), userid = str(m, "userid");
    const auto* domain = accounts::find_domain(ctx.settings, accounts::domain_of(nodeid));
    std::string why;
    if (nodeid.rfind("node/", 0) != 0 || userid.rfind("user/", 0) != 0 || (p != "sol" && p != "kvm" && p != "ider") || !domain) {
      why = "Malformed relay request.";
    } else if (!(ctx.mps && ctx.mps->find(nodeid))) {
      why = "The device is not connected to the server (CIRA).";
    }
    if (!why.empty()) {
      write(serialise({{"action", "relayrefused"}, {"reason", why}}));
      return shutdown();
    }
    established_ = true;
    timer_.cancel();
    write(serialise({{"action", "relayok"}}));
    when_written([self = this->shared_from_this(), domain, nodeid, p, userid]() mutable {
      self->handed_off_ = true;
      amt::start_peer_amt_relay(std::move(self->ws_), self->p_.context(), self->addr_, *domain, nodeid, p, userid);
    });
  }

  // Dialer of a relay: the agent is on the peer; this socket becomes the browser's agent side.
  void on_relay_answer(Json m) {
    const std::string id = str(relay_request_, "id");
    if (str(m, "action") != "relayok") {
      const std::string why = str(m, "reason");
      p_.fail_relay(id, why.empty() ? "The server holding the device refused the relay." : why);
      return shutdown();
    }
    established_ = true;
    timer_.cancel();
    auto& ctx = p_.context();
    const auto* domain = accounts::find_domain(ctx.settings, accounts::domain_of(str(relay_request_, "nodeid")));
    if (!domain) return shutdown();
    // The socket changes hands only with no write of ours in flight.
    when_written([self = this->shared_from_this(), domain, id] {
      self->handed_off_ = true;
      agents::join_peer_relay(std::move(self->ws_), self->p_.context(), self->addr_, *domain, id, true);
    });
  }

  void established() {
    established_ = true;
    timer_.cancel();
    linked_ = true;
    p_.link_up(server_, this->shared_from_this(), dialer_);
    read_loop();
  }

  // [SECTION] Reading and writing
  void read_once(std::function<void(Json)> next) {
    ws_.async_read(buffer_, [self = this->shared_from_this(), next = std::move(next)](beast::error_code ec, std::size_t) {
      if (ec) return self->fail(ec == websocket::error::closed ? "closed by the peer" : ec.message());
      Json m = Json::parse(beast::buffers_to_string(self->buffer_.data()), nullptr, false);
      self->buffer_.consume(self->buffer_.size());
      if (!m.is_object()) return self->fail("sent something that is not a JSON object");
      next(std::move(m));
    });
  }
  void read_loop() {
    ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->shutdown();
      Json m = Json::parse(beast::buffers_to_string(self->buffer_.data()), nullptr, false);
      self->buffer_.consume(self->buffer_.size());
      if (m.is_object()) {
        try {
          self->p_.on_message(self->server_, m);
        } catch (const std::exception& e) {
          logger("peers")->warn("peer server {} sent a message that could not be handled: {}", self->server_, e.what());
        }
      }
      self->read_loop();
    });
  }
  void write(std::shared_ptr<const std::string> m) {
    queued_ += m->size();
    queue_.push_back(std::move(m));
    do_write();
  }
  // Runs `f` once everything queued is written (at once when nothing is).
  void when_written(std::function<void()> f) {
    if (!writing_ && queue_.empty()) return f();
    after_writes_ = std::move(f);
  }
  void do_write() {
    if (writing_ || queue_.empty() || ws_closed_) return;
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(*queue_.front()), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      self->queued_ -= self->queue_.front()->size();
      self->queue_.pop_front();
      if (ec) return self->shutdown();
      if (self->queue_.empty() && self->after_writes_) return std::exchange(self->after_writes_, {})();
      if (self->queue_.empty() && self->closing_) return self->close_ws();
      self->do_write();
    });
  }

  // [SECTION] Ending
  void refuse(const std::string& why) {
    logger("peers")->warn("{} refused as a peer server: {}", addr_, why);
    write(serialise({{"action", "peerrefused"}, {"reason", "not accepted as a peer server"}}));
    shutdown();
  }
  void fail(const std::string& why) {
    if (closed_ || handed_off_) return;
    if (!established_) {
      logger("peers")->warn("peer server {} ({}): {}", server_.empty() ? "?" : server_, addr_, why);
      if (dialer_ && purpose_ == Purpose::kRelay) p_.fail_relay(str(relay_request_, "id"), "The server holding the device cannot be reached.");
    }
    shutdown();
  }
  void shutdown() {
    if (closed_ || handed_off_) return;
    closed_ = true;
    timer_.cancel();
    if (linked_) p_.link_down(server_, this, dialer_);
    else if (dialer_ && purpose_ == Purpose::kLink) p_.link_down(server_, this, true);  // schedules the next try
    closing_ = true;
    if (!writing_ && queue_.empty()) return close_ws();
  }
  void close_ws() {
    if (ws_closed_) return;
    ws_closed_ = true;
    ws_.async_close(websocket::close_code::normal, [self = this->shared_from_this()](beast::error_code) {});
  }

  websocket::stream<NextLayer> ws_;
  Peering& p_;
  std::string addr_;
  asio::steady_timer timer_;
  bool dialer_ = false;
  Purpose purpose_ = Purpose::kLink;
  Json relay_request_;
  std::string server_;  // the peer's id (known to the dialer, learnt by the acceptor)
  std::string nonce_, binding_;
  std::vector<std::uint8_t> key_;
  beast::flat_buffer buffer_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::function<void()> after_writes_;
  std::size_t queued_ = 0;
  bool writing_ = false, closed_ = false, closing_ = false, ws_closed_ = false;
  bool established_ = false, linked_ = false, handed_off_ = false;
};

// [SECTION] Dialing: resolve, connect, TLS (when wss), then PeerConn::dial.
class Dialer : public std::enable_shared_from_this<Dialer> {
 public:
  using Done = std::function<void(std::string error)>;  // only on failure before PeerConn takes over
  // The socket, and so the connection it becomes, lives on its own strand: the server runs several
  // threads, and a relay's reads and writes must never run at once (they did, and a download
  // through two servers came out with frames mixed up: scripts/bench.sh peers found it).
  Dialer(asio::io_context& ioc, Peering& p, PeerServer target, PeerConn<TlsStream>::Purpose purpose, Json relay, Done failed)
      : strand_(asio::make_strand(ioc)), resolver_(strand_), socket_(strand_), timer_(strand_), p_(p), target_(std::move(target)),
        purpose_(purpose), relay_(std::move(relay)), failed_(std::move(failed)) {}

  void run() {
    timer_.expires_after(Peering::kHandshakeTimeout);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->timed_out_ = true;
      self->resolver_.cancel();
      beast::error_code ignored;
      self->socket_.close(ignored);
    });
    resolver_.async_resolve(target_.host, target_.port, [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
      if (ec) return self->finish("cannot resolve " + self->target_.host + ": " + ec.message());
      asio::async_connect(self->socket_, r, [self](beast::error_code ec2, const tcp::endpoint&) {
        if (ec2) return self->finish("cannot connect to " + self->target_.url + ": " + (self->timed_out_ ? "timed out" : ec2.message()));
        beast::error_code ignored;
        self->socket_.set_option(tcp::no_delay(true), ignored);
        self->connected();
      });
    });
  }

 private:
  void connected() {
    const std::string addr = target_.host + ":" + target_.port;
    if (!target_.tls) {
      timer_.cancel();
      using Conn = PeerConn<beast::tcp_stream>;
      auto c = std::make_shared<Conn>(websocket::stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket_))), p_, addr);
      return c->dial(target_, static_cast<Conn::Purpose>(purpose_), std::move(relay_));
    }
    tls_.emplace(std::move(socket_), p_.client_tls());
    tls_->expires_after(Peering::kHandshakeTimeout);
    if (target_.host.find_first_not_of("0123456789.:") != std::string::npos) {
      SSL_set_tlsext_host_name(tls_->native_handle(), target_.host.c_str());
    }
    tls_->async_handshake(ssl::stream_base::client, [self = shared_from_this(), addr](beast::error_code ec) {
      if (ec) return self->finish("TLS handshake with " + self->target_.url + " failed: " + ec.message());
      self->timer_.cancel();
      self->tls_->expires_never();  // the WebSocket's own timeouts from here
      auto c = std::make_shared<PeerConn<TlsStream>>(websocket::stream<TlsStream>(std::move(*self->tls_)), self->p_, addr);
      c->dial(self->target_, self->purpose_, std::move(self->relay_));
    });
  }
  void finish(const std::string& error) {
    timer_.cancel();
    if (failed_) failed_(error);
  }

  asio::strand<asio::io_context::executor_type> strand_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  std::optional<TlsStream> tls_;
  asio::steady_timer timer_;
  Peering& p_;
  PeerServer target_;
  PeerConn<TlsStream>::Purpose purpose_;
  Json relay_;
  Done failed_;
  bool timed_out_ = false;
};

// [SECTION] An agent another server holds, as the rest of this server sees it.
class PeerAgentLink : public agents::AgentLink {
 public:
  PeerAgentLink(Peering& p, std::string server, std::string nodeid) : p_(p), server_(std::move(server)), nodeid_(std::move(nodeid)) {}
  void send_tunnel(pa::Tunnel t) override { p_.open_relay(server_, nodeid_, t); }
  void run_commands(std::string cmds, int type, std::function<void(std::string, int)> done) override {
    p_.run_commands(server_, nodeid_, std::move(cmds), type, std::move(done));
  }
  void send_uninstall() override { p_.send_to(server_, {{"action", "uninstall"}, {"nodeid", nodeid_}}); }
  void send_notify(pa::Notify n) override {
    p_.send_to(server_, {{"action", "notify"},
                         {"nodeid", nodeid_},
                         {"kind", n.kind == pa::Notify::Kind::kToast ? "toast" : "messagebox"},
                         {"title", n.title},
                         {"message", n.message},
                         {"from", n.from},
                         {"timeout", n.timeout_s}});
  }
  void shutdown() override {}

 private:
  Peering& p_;
  std::string server_, nodeid_;
};

}  // namespace

// [SECTION] Peering

Peering::Peering(asio::io_context& ioc, ServerContext& ctx, PeerSettings settings)
    : ioc_(ioc), ctx_(ctx), settings_(std::move(settings)), client_tls_(ssl::context::tls_client), strand_(asio::make_strand(ioc)) {
  client_tls_.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  // Peers prove themselves by the group's key bound to this TLS channel, not by a CA: their
  // certificates are often self-signed.
  client_tls_.set_verify_mode(ssl::verify_none);
}

Peering::~Peering() = default;

mw::Result<std::vector<std::uint8_t>> Peering::load_or_create_key(store::Store& db) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto rec = db.get(kKeyRecord);
    if (!rec) return rec.error();
    if (rec.value()) {
      auto key = util::hex_decode(rec.value()->value("key", ""));
      if (key && key->size() >= 32) return std::move(key.value());
    }
    if (attempt == 1) break;
    auto st = db.put({{"_id", kKeyRecord}, {"key", auth::random_hex(48)}, {"time", store::now_ms()}});
    if (!st) return st.error();
  }
  return mw::make_error("peers", "the peer key record cannot be read back");
}

void Peering::start() {
  ctx_.accounts->bus().set_forwarder(this);
  ctx_.accounts->presence().set_observer(
      [this](const std::string& nodeid, const accounts::PresenceState& s) { local_presence(presence_json(nodeid, s)); });
  ctx_.agents->set_remote([this](const std::string& nodeid) { return remote_agent(nodeid); });
  if (ctx_.amt) ctx_.amt->set_forwarder([this](const accounts::AmtJob& job, amt::AmtManager::Reply& reply) { return forward_amt(job, reply); });
  asio::dispatch(strand_, [this] {
    for (const auto& s : settings_.servers) {
      if (settings_.server_id < s.id) dial_link(s.id);
    }
  });
}

void Peering::stop() {
  asio::dispatch(strand_, [this] {
    stopped_ = true;
    for (auto& [_, t] : timers_) t->cancel();
  });
  std::lock_guard lock(mu_);
  for (auto& [_, ch] : links_) ch->close();
}

std::vector<std::string> Peering::connected() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, _] : links_) out.push_back(id);
  return out;
}

void Peering::dial_link(const std::string& server) {
  const PeerServer* target = settings_.find(server);
  if (!target || stopped_) return;
  std::make_shared<Dialer>(ioc_, *this, *target, PeerConn<TlsStream>::Purpose::kLink, Json(), [this, server](std::string error) {
    logger("peers")->warn("peer server {}: {}", server, error);
    schedule_dial(server);
  })->run();
}

void Peering::schedule_dial(const std::string& server) {
  asio::dispatch(strand_, [this, server] {
    if (stopped_) return;
    auto& delay = backoff_[server];
    delay = delay.count() == 0 ? std::chrono::milliseconds(1000) : std::min(delay * 2, std::chrono::milliseconds(30000));
    static thread_local std::mt19937 rng{std::random_device{}()};
    const auto jittered = delay / 2 + std::chrono::milliseconds(std::uniform_int_distribution<long>(0, delay.count() / 2)(rng));
    auto& t = timers_[server];
    if (!t) t = std::make_unique<asio::steady_timer>(strand_);
    t->expires_after(jittered);
    t->async_wait([this, server](beast::error_code ec) {
      if (!ec && !stopped_) dial_link(server);
    });
  });
}

void Peering::link_up(const std::string& server, const std::shared_ptr<PeerChannel>& ch, bool dialed) {
  std::shared_ptr<PeerChannel> old;
  {
    // What this server holds, for the peer's PresenceTable: taken, registered and queued under
    // the lock, so every change after the snapshot is queued after it (broadcast takes the lock).
    std::lock_guard lock(mu_);
    Json nodes = Json::array();
    for (const auto& [nodeid, s] : ctx_.accounts->presence().local_snapshot()) nodes.push_back(presence_json(nodeid, s));
    old = std::exchange(links_[server], ch);
    ch->send(serialise({{"action", "presence"}, {"nodes", std::move(nodes)}}));
  }
  if (old) old->close();
  if (dialed) asio::dispatch(strand_, [this, server] { backoff_.erase(server); });
  logger("peers")->info("peer server {} connected ({})", server, dialed ? "dialed" : "accepted");
}

void Peering::link_down(const std::string& server, const PeerChannel* ch, bool dialed) {
  bool was_current = false;
  std::vector<std::function<void(std::string, int)>> failed;
  std::vector<std::pair<std::function<void(Json)>, Json>> failed_reads;
  {
    std::lock_guard lock(mu_);
    if (const auto it = links_.find(server); it != links_.end() && it->second.get() == ch) {
      links_.erase(it);
      was_current = true;
      for (auto r = amt_reads_.begin(); r != amt_reads_.end();) {
        if (r->second.server == server) {
          failed_reads.emplace_back(std::move(r->second.reply), std::move(r->second.failure));
          r = amt_reads_.erase(r);
        } else {
          ++r;
        }
      }
      for (auto r = runs_.begin(); r != runs_.end();) {
        if (r->second.server == server) {
          failed.push_back(std::move(r->second.done));
          r = runs_.erase(r);
        } else {
          ++r;
        }
      }
    }
  }
  for (auto& f : failed) f("The server holding the device went away.", -1);
  for (auto& [reply, answer] : failed_reads) reply(std::move(answer));
  if (was_current) {
    logger("peers")->info("peer server {} disconnected", server);
    // The devices it held are offline here, unless another server holds them too.
    for (const auto& [nodeid, merged] : ctx_.accounts->presence().drop_server(server)) {
      ctx_.accounts->bus().dispatch_local(accounts::domain_of(nodeid),
                                          accounts::Dispatch{{"*", merged.meshid, nodeid}, accounts::nodeconnect_event(nodeid, merged)});
    }
  }
  if (dialed) {
    bool current_elsewhere = false;
    {
      std::lock_guard lock(mu_);
      current_elsewhere = links_.contains(server);
    }
    if (!current_elsewhere) schedule_dial(server);
  }
}

void Peering::broadcast(const Json& m) {
  std::vector<std::shared_ptr<PeerChannel>> to;
  {
    std::lock_guard lock(mu_);
    for (const auto& [_, ch] : links_) to.push_back(ch);
  }
  if (to.empty()) return;
  auto message = serialise(m);
  for (auto& ch : to) ch->send(message);
}

void Peering::send_to(const std::string& server, const Json& m) {
  std::shared_ptr<PeerChannel> ch;
  {
    std::lock_guard lock(mu_);
    if (const auto it = links_.find(server); it != links_.end()) ch = it->second;
  }
  if (ch) ch->send(serialise(m));
}

void Peering::local_presence(const Json& state) {
  broadcast({{"action", "presence"}, {"nodes", Json::array({state})}});
}

void Peering::forward_event(const std::string& domain, const accounts::Dispatch& d) {
  // Each server tells its sessions about presence itself, from the merged table.
  if (d.event.is_object() && d.event.value("action", "") == "nodeconnect") return;
  broadcast({{"action", "event"}, {"domain", domain}, {"targets", d.targets}, {"event", d.event}});
}

void Peering::forward_user_update(const std::string& userid, const std::vector<std::string>& subs) {
  broadcast({{"action", "userupdate"}, {"userid", userid}, {"subs", subs}});
}

void Peering::forward_user_end(const std::string& userid, const std::string& reason) {
  broadcast({{"action", "userend"}, {"userid", userid}, {"reason", reason}});
}

void Peering::on_message(const std::string& server, const Json& m) {
  const std::string action = str(m, "action");
  auto& bus = ctx_.accounts->bus();
  auto& presence = ctx_.accounts->presence();
  if (action == "presence") {
    const auto it = m.find("nodes");
    if (it == m.end() || !it->is_array()) return;
    for (const auto& n : *it) {
      if (!n.is_object()) continue;
      const std::string nodeid = str(n, "nodeid");
      if (nodeid.rfind("node/", 0) != 0) continue;
      accounts::PresenceState s;
      s.meshid = str(n, "meshid");
      s.conn = static_cast<std::uint32_t>(num(n, "conn", 0)) & 0xFF;
      s.pwr = num(n, "pwr", 0);
      s.ct = n.contains("ct") && n["ct"].is_number_integer() ? n["ct"].get<std::int64_t>() : 0;
      const auto before = presence.get(nodeid);
      const auto after = presence.set_remote(server, nodeid, s);
      if (before && before->conn == after.conn && before->pwr == after.pwr) continue;
      if (!before && after.conn == 0) continue;
      bus.dispatch_local(accounts::domain_of(nodeid), accounts::Dispatch{{"*", after.meshid, nodeid}, accounts::nodeconnect_event(nodeid, after)});
    }
  } else if (action == "event") {
    const auto t = m.find("targets");
    const auto e = m.find("event");
    if (t == m.end() || !t->is_array() || e == m.end() || !e->is_object()) return;
    accounts::Dispatch d;
    for (const auto& target : *t) {
      if (target.is_string()) d.targets.push_back(target.get<std::string>());
    }
    d.event = *e;
    bus.dispatch_local(str(m, "domain"), d);
  } else if (action == "userupdate") {
    std::vector<std::string> subs;
    if (const auto it = m.find("subs"); it != m.end() && it->is_array()) {
      for (const auto& s : *it) {
        if (s.is_string()) subs.push_back(s.get<std::string>());
      }
    }
    bus.update_user_local(str(m, "userid"), subs);
  } else if (action == "userend") {
    bus.end_user_local(str(m, "userid"), str(m, "reason"));
  } else if (action == "runcommands") {
    const auto reqid = m.value("reqid", Json(0));
    auto agent = ctx_.agents->find_local(str(m, "nodeid"));
    if (!agent) return send_to(server, {{"action", "runresult"}, {"reqid", reqid}, {"result", "Agent not connected"}, {"exit", -1}});
    const int type = num(m, "type", pa::kShellCommands) == pa::kConsoleCommand ? pa::kConsoleCommand : pa::kShellCommands;
    agent->run_commands(str(m, "cmds"), type, [this, server, reqid](std::string result, int exit_code) {
      send_to(server, {{"action", "runresult"}, {"reqid", reqid}, {"result", result}, {"exit", exit_code}});
    });
  } else if (action == "runresult") {
    std::function<void(std::string, int)> done;
    {
      std::lock_guard lock(mu_);
      const auto it = runs_.find(m.value("reqid", std::uint64_t{0}));
      if (it == runs_.end() || it->second.server != server) return;
      done = std::move(it->second.done);
      runs_.erase(it);
    }
    if (done) done(str(m, "result"), num(m, "exit", -1));
  } else if (action == "amtjob") {
    const int kind = num(m, "kind", -1);
    if (!ctx_.amt || kind < 0 || kind > static_cast<int>(accounts::AmtJob::Kind::kRead)) return;
    accounts::AmtJob job;
    job.kind = static_cast<accounts::AmtJob::Kind>(kind);
    job.nodeid = str(m, "nodeid");
    job.meshid = str(m, "meshid");
    job.power_state = num(m, "power", 0);
    job.userid = str(m, "userid");
    job.username = str(m, "username");
    job.what = str(m, "what");
    if (const auto it = m.find("responseid"); it != m.end()) job.responseid = *it;
    if (job.nodeid.rfind("node/", 0) != 0) return;
    amt::AmtManager::Reply reply;
    if (const auto reqid = m.value("reqid", std::uint64_t{0}); reqid != 0) {
      reply = [this, server, reqid](Json answer) { send_to(server, {{"action", "amtreply"}, {"reqid", reqid}, {"answer", std::move(answer)}}); };
    }
    ctx_.amt->run(job, std::move(reply), false);  // never forwarded again
  } else if (action == "amtreply") {
    std::function<void(Json)> reply;
    {
      std::lock_guard lock(mu_);
      const auto it = amt_reads_.find(m.value("reqid", std::uint64_t{0}));
      if (it == amt_reads_.end() || it->second.server != server) return;
      reply = std::move(it->second.reply);
      amt_reads_.erase(it);
    }
    const auto a = m.find("answer");
    if (reply && a != m.end() && a->is_object()) reply(*a);
  } else if (action == "uninstall") {
    if (auto agent = ctx_.agents->find_local(str(m, "nodeid"))) agent->send_uninstall();
  } else if (action == "notify") {
    auto agent = ctx_.agents->find_local(str(m, "nodeid"));
    if (!agent) return;
    pa::Notify n;
    n.kind = str(m, "kind") == "toast" ? pa::Notify::Kind::kToast : pa::Notify::Kind::kMessageBox;
    n.title = str(m, "title").substr(0, pa::kMaxNotifyTitle);
    n.message = str(m, "message").substr(0, pa::kMaxNotifyMessage);
    n.from = str(m, "from");
    n.timeout_s = std::clamp(num(m, "timeout", 0), 0, pa::kMaxNotifyTimeoutSeconds);
    agent->send_notify(std::move(n));
  }
}

std::shared_ptr<agents::AgentLink> Peering::remote_agent(const std::string& nodeid) {
  std::string server = ctx_.accounts->presence().remote_server_of(nodeid, accounts::conn_bit::kAgent);
  if (server.empty()) return nullptr;
  {
    std::lock_guard lock(mu_);
    if (!links_.contains(server)) return nullptr;
  }
  return std::make_shared<PeerAgentLink>(*this, std::move(server), nodeid);
}

void Peering::run_commands(const std::string& server, const std::string& nodeid, std::string cmds, int type,
                           std::function<void(std::string, int)> done) {
  std::uint64_t id = 0;
  bool linked = false;
  {
    std::lock_guard lock(mu_);
    linked = links_.contains(server);
    if (linked) {
      id = next_run_++;
      runs_[id] = PendingRun{server, std::move(done)};
    }
  }
  if (!linked) return done("Agent not connected", -1);
  send_to(server, {{"action", "runcommands"}, {"reqid", id}, {"nodeid", nodeid}, {"cmds", std::move(cmds)}, {"type", type}});
}

void Peering::open_relay(const std::string& server, const std::string& nodeid, const pa::Tunnel& t) {
  const PeerServer* target = settings_.find(server);
  if (!target) return fail_relay(t.id, "The server holding the device is not a configured peer.");
  Json request{{"action", "relay"},   {"id", t.id},     {"nodeid", nodeid},
               {"p", static_cast<int>(t.protocol)}, {"cols", t.cols}, {"rows", t.rows},
               {"viewonly", t.view_only},          {"display", t.display}, {"limitedinput", t.limited_input}};
  std::make_shared<Dialer>(ioc_, *this, *target, PeerConn<TlsStream>::Purpose::kRelay, std::move(request),
                           [this, id = t.id, server](std::string error) {
                             logger("peers")->warn("relay through peer server {}: {}", server, error);
                             fail_relay(id, "The server holding the device cannot be reached.");
                           })
      ->run();
}

void Peering::open_amt_relay(const std::string& server, const std::string& id, const std::string& nodeid, const std::string& p,
                             const std::string& userid) {
  const PeerServer* target = settings_.find(server);
  if (!target) return fail_relay(id, "The server holding the device is not a configured peer.");
  Json request{{"action", "amtrelay"}, {"id", id}, {"nodeid", nodeid}, {"p", p}, {"userid", userid}};
  std::make_shared<Dialer>(ioc_, *this, *target, PeerConn<TlsStream>::Purpose::kRelay, std::move(request),
                           [this, id, server](std::string error) {
                             logger("peers")->warn("Intel AMT relay through peer server {}: {}", server, error);
                             fail_relay(id, "The server holding the device cannot be reached.");
                           })
      ->run();
}

bool Peering::forward_amt(const accounts::AmtJob& job, std::function<void(Json)>& reply) {
  const std::string server = ctx_.accounts->presence().remote_server_of(job.nodeid, accounts::conn_bit::kCira);
  if (server.empty()) return false;
  std::uint64_t reqid = 0;
  {
    std::lock_guard lock(mu_);
    if (!links_.contains(server)) return false;
    if (reply) {
      reqid = next_run_++;
      amt_reads_[reqid] = PendingAmt{server, std::move(reply), amt::AmtManager::read_answer(job, "The server holding the device went away")};
    }
  }
  send_to(server, {{"action", "amtjob"},
                   {"kind", static_cast<int>(job.kind)},
                   {"nodeid", job.nodeid},
                   {"meshid", job.meshid},
                   {"power", job.power_state},
                   {"userid", job.userid},
                   {"username", job.username},
                   {"what", job.what},
                   {"responseid", job.responseid},
                   {"reqid", reqid}});
  return true;
}

std::string Peering::check_relay(const Json& m, pa::Tunnel& tunnel, std::string& nodeid) const {
  nodeid = str(m, "nodeid");
  tunnel.id = str(m, "id");
  const auto p = pa::relay_protocol(num(m, "p", 0));
  if (!is_hex_id(tunnel.id) || nodeid.rfind("node/", 0) != 0 || !p) return "Malformed relay request.";
  tunnel.protocol = *p;
  tunnel.cols = std::clamp(num(m, "cols", 80), 1, 1000);
  tunnel.rows = std::clamp(num(m, "rows", 24), 1, 1000);
  tunnel.view_only = flag(m, "viewonly");
  tunnel.display = std::clamp(num(m, "display", 0), 0, pa::kMaxDisplay);
  tunnel.limited_input = flag(m, "limitedinput");
  if (!ctx_.agents->find_local(nodeid)) return "The device's agent is not connected.";
  return "";
}

void Peering::fail_relay(const std::string& id, const std::string& reason) const {
  if (auto browser = ctx_.relays->take(id)) browser->peer_closed(reason);
}

template <class NextLayer>
void start_peer_session(NextLayer stream, const ServerContext& ctx, std::string peer, const RequestInfo&,
                        http::request<http::string_body> upgrade) {
  if (!ctx.peering) return;
  beast::get_lowest_layer(stream).expires_never();
  std::make_shared<PeerConn<NextLayer>>(websocket::stream<NextLayer>(std::move(stream)), *ctx.peering, std::move(peer))
      ->accept(std::move(upgrade));
}

template void start_peer_session(TlsStream, const ServerContext&, std::string, const RequestInfo&, http::request<http::string_body>);
template void start_peer_session(beast::tcp_stream, const ServerContext&, std::string, const RequestInfo&,
                                 http::request<http::string_body>);

}  // namespace mw::server::peers
