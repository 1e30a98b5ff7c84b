// MPS: TLS (or plain behind MpsTlsOffload) → shared/apf's MpsSession; the login is decided here
// (constant-time password check, device group by CIRA user name, device record on the store's
// thread); presence, power timeline and live events on connect and disconnect; channels for the
// rest of the server (WS-Management, relays).
#include "amt/mps_server.hpp"
#include "amt/tcp_link.hpp"
#include "amt/tls_channel.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <thread>

#include "accounts/model.hpp"
#include "accounts/service.hpp"
#include "log.hpp"
#include "mw/apf/mps_session.hpp"
#include "mw/native/tls_pipe.hpp"
#include "mw/native/tls_records.hpp"
#include "mw/util/hex.hpp"
#include "store/records.hpp"
#include "web_server.hpp"

namespace mw::server::amt {

namespace {

using Json = nlohmann::json;

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Lengths are not secret (AMT limits them anyway); the content is compared in constant time.
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::uint64_t monotonic_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

// [SECTION] Naming

std::string cira_node_id(std::string_view domain, const apf::Uuid& uuid) {
  std::string hex = apf::uuid_to_string(uuid);
  std::erase(hex, '-');
  const auto text_order = util::hex_decode(hex).value();  // 32 hex digits: always decodes
  std::vector<std::uint8_t> raw;
  raw.reserve(48);
  for (int i = 0; i < 3; ++i) raw.insert(raw.end(), text_order.begin(), text_order.end());
  return "node/" + std::string(domain) + "/" + accounts::meshcentral_base64(raw);
}

mw::Result<std::string> mps_password(store::Store& db, const std::string& configured) {
  if (!configured.empty()) return configured;
  auto rec = db.get("MpsPassword");
  if (!rec) return rec.error();
  if (rec.value() && rec.value()->contains("pass") && (*rec.value())["pass"].is_string() &&
      !(*rec.value())["pass"].get<std::string>().empty()) {
    return (*rec.value())["pass"].get<std::string>();
  }
  // 24 characters of [A-Za-z0-9]: about 143 bits, within what AMT accepts for an MPS password.
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string pass;
  while (pass.size() < 24) {
    std::array<std::uint8_t, 32> r{};
    if (RAND_bytes(r.data(), static_cast<int>(r.size())) != 1) return make_error("random", "no randomness for the MPS password");
    for (const auto b : r) {
      if (b < 248 && pass.size() < 24) pass.push_back(kAlphabet[b % 62]);  // 248 = 4 × 62: unbiased
    }
  }
  if (auto st = db.put(Json{{"_id", "MpsPassword"}, {"pass", pass}}); !st) return st.error();
  return pass;
}

// [SECTION] Admission

CiraAdmission admit_cira_device(store::Store& db, const std::vector<std::string>& domains, const std::string& username,
                                const apf::Uuid& uuid, const std::string& host) {
  CiraAdmission a;
  std::optional<Json> mesh;
  for (const auto& d : domains) {
    auto meshes = db.list("mesh", d);
    if (!meshes) {
      a.reason = "database: " + meshes.error().message;
      return a;
    }
    for (auto& m : meshes.value()) {
      if (m.contains("deleted") && m["deleted"] != false) continue;  // MeshCentral marks removed groups with a date
      if (accounts::cira_username(m.value("_id", "")) == username) {
        mesh = std::move(m);
        break;
      }
    }
    if (mesh) break;
  }
  if (!mesh) {
    a.reason = "no device group has the CIRA user name \"" + username + "\"";
    return a;
  }
  a.meshid = mesh->value("_id", "");
  a.domain = accounts::domain_of(a.meshid);
  const int mtype = mesh->value("mtype", 2);
  const std::string uuid_text = apf::uuid_to_string(uuid);

  std::optional<Json> node;
  if (mtype == 1) {
    a.nodeid = cira_node_id(a.domain, uuid);
    auto got = db.get(a.nodeid);
    if (!got) {
      a.reason = "database: " + got.error().message;
      return a;
    }
    node = std::move(got.value());
  } else {
    auto found = db.list_nodes_by_amt_uuid(a.domain, uuid_text);
    if (!found) {
      a.reason = "database: " + found.error().message;
      return a;
    }
    if (!found.value().empty()) node = found.value().front();
    a.nodeid = node ? node->value("_id", "") : cira_node_id(a.domain, uuid);
  }

  if (node) {
    // Known device: it stays in its group (an administrator may have moved it).
    a.meshid = node->value("meshid", a.meshid);
    a.name = node->value("name", "");
    if (!node->contains("intelamt") || !(*node)["intelamt"].is_object()) (*node)["intelamt"] = Json::object();
    if ((*node)["intelamt"].value("uuid", "") != uuid_text) {
      (*node)["intelamt"]["uuid"] = uuid_text;
      if (auto st = db.put(*node); !st) {
        a.reason = "database: " + st.error().message;
        return a;
      }
    }
    a.ok = true;
    return a;
  }

  // New device. Its name is the address it came from until Intel AMT tells its host name.
  a.name = host;
  Json device{{"_id", a.nodeid},
              {"type", "node"},
              {"mtype", mtype},
              {"meshid", a.meshid},
              {"name", a.name},
              {"icon", 1},
              {"host", host},
              {"domain", a.domain},
              {"intelamt", {{"uuid", uuid_text}, {"state", 2}, {"tls", 0}}}};
  if (auto st = db.put(device); !st) {
    a.reason = "database: " + st.error().message;
    return a;
  }
  accounts::Outcome out;
  Json ev{{"etype", "node"},
          {"action", "addnode"},
          {"node", device},
          {"nodeid", a.nodeid},
          {"meshid", a.meshid},
          {"msg", "Added CIRA device " + a.name + " to group " + mesh->value("name", "")},
          {"domain", a.domain}};
  accounts::record_event(db, out, {"*", a.meshid}, std::move(ev));
  a.events = std::move(out.events);
  a.ok = true;
  return a;
}

// [SECTION] Connection

namespace {

constexpr std::size_t kMaxWriteQueue = 8u << 20;  // bytes waiting for the device; more: it is not reading

// TLS on the MPS port: OpenSSL runs the handshake (a TlsPipe over the socket's bytes), then the
// connection is handed to a TlsRecords of our own and OpenSSL's `SSL` object is freed: an idle
// device then costs its keys (under 300 bytes) instead of 12 KB and more
// (native/include/mw/native/tls_records.hpp; docs/performance.md, MPS memory). Suites the record
// layer does not take over (Intel AMT before version 11 with MpsHighSecurity off: CBC) stay with
// OpenSSL for the connection's life.
// The handshake runs on the MPS's handshake threads (MpsServer::run_handshake_step()): a
// handshake allocates tens of KB for a moment, and a burst of thousands (every device
// reconnecting after a restart) left the connections' long-lived state scattered over pages those
// had held, in the I/O threads' malloc arenas (8.4 KiB resident per idle device where 3 were in
// use). In arenas of their own, the handshakes' memory is returned as a whole.
class MpsConnection : public CiraLink, public std::enable_shared_from_this<MpsConnection> {
 public:
  MpsConnection(tcp::socket sock, MpsServer& server, ssl::context* tls)
      : server_(server),
        ctx_(server.context()),
        plain_(std::move(sock)),
        timer_(plain_.get_executor()),
        session_(config(server.context().settings)) {
    beast::error_code ec;
    const auto ep = plain_.remote_endpoint(ec);
    peer_ip_ = ec ? "?" : ep.address().to_string();
    if (peer_ip_.rfind("::ffff:", 0) == 0) peer_ip_ = peer_ip_.substr(7);
    if (tls) tls_ctx_ = tls->native_handle();
    order_ = server.next_handshake_order();
  }

  void run() {
    server_.track(shared_from_this());
    if (tls_ctx_) {
      arm(std::chrono::seconds(15));
      do_read();
    } else {
      start();
    }
  }

  // [SECTION] CiraLink
  void open_channel(std::uint32_t port, std::shared_ptr<ChannelUser> user) override {
    asio::post(executor(), [self = shared_from_this(), port, user = std::move(user)] {
      if (self->closed_) return user->on_open(false, 0);
      // Intel AMT configured for TLS registers 16993/16995 instead of 16992/16994: the same
      // protocols with TLS inside the channel (MeshCentral: the plain port whenever registered).
      if ((port == 16992 || port == 16994) && !self->session_.forwarded(port) && self->session_.forwarded(port + 1)) {
        return self->open_tls_channel(port + 1, std::move(user));
      }
      const auto id = self->session_.open_channel(port);
      if (!id) return user->on_open(false, 0);
      self->users_[*id] = std::move(user);
      self->pump();
    });
  }
  void send(std::uint32_t channel, std::vector<std::uint8_t> data) override {
    run_here([self = shared_from_this(), channel, data = std::move(data)] {
      if (auto* t = self->tls_of(channel)) {
        t->send(data);
      } else {
        self->session_.send_data(channel, data);
      }
      self->pump();
    });
  }
  void request_drained(std::uint32_t channel) override {
    run_here([self = shared_from_this(), channel] {
      self->session_.request_drained(channel);
      self->pump();
    });
  }
  void consume(std::uint32_t channel, std::size_t bytes) override {
    run_here([self = shared_from_this(), channel, bytes] {
      if (auto* t = self->tls_of(channel)) {
        t->consume(bytes);
      } else {
        self->session_.consume(channel, bytes);
      }
      self->pump();
    });
  }
  void close_channel(std::uint32_t channel) override {
    run_here([self = shared_from_this(), channel] {
      if (auto* t = self->tls_of(channel)) {
        t->close();
      } else {
        self->session_.close_channel(channel);
      }
      self->pump();
    });
  }
  const std::string& nodeid() const override { return nodeid_; }
  std::string uuid() const override { return uuid_text_; }
  void shutdown() override {
    asio::post(executor(), [self = shared_from_this()] {
      if (self->closed_) return;
      self->session_.disconnect();
      self->pump();
    });
  }

 private:
  static apf::MpsConfig config(const Settings& s) {
    apf::MpsConfig c;
    // AgentPong, when set, is the keep-alive period for CIRA too; a device silent for three
    // periods is gone. MeshCentral's default period is 30 s... its silence limit 90 s.
    const std::uint32_t period = s.agent_pong_seconds > 0 ? static_cast<std::uint32_t>(s.agent_pong_seconds) : 30;
    c.keepalive_interval_s = period;
    c.keepalive_timeout_s = 0;
    c.session.keepalive_interval_ms = std::uint64_t{period} * 1000;
    c.session.idle_timeout_ms = std::uint64_t{period} * 3000;
    return c;
  }

  // [SECTION] TLS inside channels (Intel AMT configured for TLS)

  TlsChannel* tls_of(std::uint32_t channel) const {
    const auto it = users_.find(channel);
    return it == users_.end() ? nullptr : dynamic_cast<TlsChannel*>(it->second.get());
  }
  // The channel's user is a TlsChannel in front of the caller's; TLS starts when the device
  // confirms the channel. The pin is read from the device record for each channel: saving the
  // device's Intel AMT TLS setting forgets it (a device given a new certificate).
  void open_tls_channel(std::uint32_t port, std::shared_ptr<ChannelUser> user) {
    ctx_.async_db->run(
        executor(),
        [nodeid = nodeid_](store::Store& s) {
          auto n = s.get(nodeid);
          if (!n || !n.value() || !n.value()->contains("intelamt") || !(*n.value())["intelamt"].is_object()) return std::string();
          return accounts::text_of((*n.value())["intelamt"], "hash");
        },
        [self = shared_from_this(), port, user = std::move(user)](std::string pin) mutable {
          if (self->closed_) return user->on_open(false, 0);
          const auto id = self->session_.open_channel(port);
          if (!id) return user->on_open(false, 0);
          self->users_[*id] = self->tls_channel(std::move(user), port, std::move(pin));
          self->pump();
        });
  }
  std::shared_ptr<ChannelUser> tls_channel(std::shared_ptr<ChannelUser> user, std::uint32_t port, std::string pin) {
    std::weak_ptr<MpsConnection> weak = weak_from_this();
    TlsChannel::Raw raw{[weak](std::uint32_t ch, std::vector<std::uint8_t> bytes) {
                          if (auto self = weak.lock()) self->session_.send_data(ch, bytes);
                        },
                        [weak](std::uint32_t ch, std::size_t n) {
                          if (auto self = weak.lock()) self->session_.consume(ch, n);
                        },
                        [weak](std::uint32_t ch) {
                          if (auto self = weak.lock()) self->session_.close_channel(ch);
                        }};
    auto seen = [weak](const std::string& sha384, bool accepted) {
      auto self = weak.lock();
      if (self && self->server_.on_certificate) self->server_.on_certificate(self->nodeid_, sha384, accepted);
    };
    return std::make_shared<TlsChannel>(std::move(user), std::move(raw), std::move(pin), std::move(seen),
                                        nodeid_ + " port " + std::to_string(port));
  }

  asio::any_io_executor executor() { return plain_.get_executor(); }
  tcp::socket& lowest() { return plain_; }

  template <class F>
  void run_here(F&& f) {
    asio::dispatch(executor(), std::forward<F>(f));
  }

  void arm(std::chrono::steady_clock::duration d) {
    timer_.expires_after(d);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec && !self->started_) {
        logger("mps")->debug("{} TLS handshake timed out", self->peer_ip_);
        self->finish();
      }
    });
  }

  void start() {
    started_ = true;
    tick();
    do_read();
  }

  // [SECTION] TLS

  // What one step of the handshake gave (handshake_step()).
  struct HandshakeStep {
    std::vector<std::uint8_t> output;  // handshake messages or an alert, to send
    std::unique_ptr<native::TlsHandover> handover;
    bool open = false, failed = false, old_protocol = false;
    std::string error;
  };

  // Handshake bytes from the socket, to the TlsPipe on a handshake thread; the step's outcome
  // comes back to the connection's strand. Nothing else touches pipe_ until the handshake is over
  // (reads wait for the step).
  void handshake(std::span<const std::uint8_t> data) {
    server_.run_handshake_step(order_, [self = shared_from_this(), in = std::vector<std::uint8_t>(data.begin(), data.end())] {
      if (!self->pipe_) {
        self->pipe_ = std::make_unique<native::TlsPipe>(self->tls_ctx_, native::TlsPipe::Role::kServer, std::string(), true);
        self->pipe_->start();
      }
      auto step = std::make_shared<HandshakeStep>();
      self->pipe_->feed(in);
      if (self->pipe_->open()) {
        step->open = true;
        step->handover = self->pipe_->detach();  // with the pending output
        if (step->handover) self->pipe_.reset();  // OpenSSL's SSL object is freed here, in this arena
      } else if (self->pipe_->failed()) {
        step->failed = true;
        step->error = self->pipe_->error();
        step->old_protocol = is_protocol_version_error(self->pipe_->error_code());
      }
      if (self->pipe_) step->output = self->pipe_->take_output();
      asio::post(self->executor(), [self, step] { self->handshake_step(*step); });
    });
  }
  void handshake_step(HandshakeStep& step) {
    if (closed_) return;
    append(std::move(step.output));
    if (step.failed) {
      if (step.old_protocol && ctx_.settings.mps_high_security) {
        logger("mps")->info("{} TLS handshake refused ({}): Intel AMT before version 11 offers only TLS 1.0/1.1; set "
                            "MpsHighSecurity to false to accept it", peer_ip_, step.error);
      } else {
        logger("mps")->debug("{} TLS handshake failed: {}", peer_ip_, step.error);
      }
      return end_after_writes();
    }
    if (!step.open) return do_read();
    // Made here, not on the handshake thread: it lives as long as the connection.
    if (step.handover) rec_ = std::make_unique<native::TlsRecords>(std::move(*step.handover));
    step.handover.reset();
    timer_.cancel();
    started_ = true;
    tick();
    std::vector<std::uint8_t> plain;
    if (!decrypt({}, plain)) return;  // what came right behind the handshake
    if (plain.empty() && !peer_closed()) return do_read();
    on_plaintext(plain);
  }

  // Ciphertext from the socket after the handshake: appends the plaintext to `plain`. False when
  // the connection is over (TLS failed; the alert is on its way).
  bool decrypt(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& plain) {
    if (rec_) {
      rec_->open(in, plain);
    } else {
      pipe_->feed(in);
      while (pipe_->read(plain, kReadBuffer) > 0) {
      }
    }
    flush_tls();
    if (!(rec_ ? rec_->failed() : pipe_->failed())) return true;
    logger("mps")->debug("{} TLS failed: {}", peer_ip_, rec_ ? rec_->error() : pipe_->error());
    end_after_writes();
    return false;
  }
  bool peer_closed() const { return rec_ ? rec_->peer_closed() : pipe_ && pipe_->peer_closed(); }
  // Records TLS produced by itself (handshake messages, KeyUpdate answers, alerts).
  void flush_tls() {
    if (rec_) {
      append(rec_->take_output());
    } else if (pipe_) {
      append(pipe_->take_output());
    }
  }
  // Plaintext for the device, encrypted when TLS is on.
  void transmit(std::span<const std::uint8_t> bytes) {
    if (bytes.empty() || closed_) return;
    if (rec_) {
      flush_tls();
      rec_->seal(bytes, next_);
    } else if (pipe_) {
      pipe_->write(bytes);
      flush_tls();
    } else {
      next_.insert(next_.end(), bytes.begin(), bytes.end());
    }
    after_append();
  }
  void append(std::vector<std::uint8_t> bytes) {
    if (bytes.empty() || closed_) return;
    if (next_.empty()) {
      next_ = std::move(bytes);
    } else {
      next_.insert(next_.end(), bytes.begin(), bytes.end());
    }
    after_append();
  }
  void after_append() {
    if (sending_.size() + next_.size() > kMaxWriteQueue) {
      logger("mps")->warn("{} CIRA device {} does not read; disconnected", peer_ip_, nodeid_);
      return finish();
    }
    do_write();
  }

  void tick() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      self->session_.tick(monotonic_ms());
      self->pump();
      if (self->tls_ready_ticks_ > 0) self->ready_with_tls();
      self->tick();
    });
  }

  // The read buffer exists only from the moment input is there until it has been fed to the
  // session: thousands of idle devices hold none (docs/performance.md, MPS memory).
  void do_read() {
    if (closed_ || reading_ || paused_) return;
    reading_ = true;
    plain_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->on_read(ec, 0);
      self->rbuf_ = std::make_unique<std::array<std::uint8_t, kReadBuffer>>();
      self->plain_.async_read_some(asio::buffer(*self->rbuf_),
                                   [self](beast::error_code ec2, std::size_t n) { self->on_read(ec2, n); });
    });
  }

  void on_read(beast::error_code ec, std::size_t n) {
    reading_ = false;
    const auto buffer = std::move(rbuf_);  // freed when this returns (the session copies what it keeps)
    if (closed_) return;
    if (ec) {
      if (!started_) return finish();  // gone during the TLS handshake
      session_.end_of_stream();
      return pump();
    }
    std::span<const std::uint8_t> data(buffer->data(), n);
    quick_ack();
    if (tls_ctx_ && !started_) return handshake(data);
    std::vector<std::uint8_t> plain;
    if (pipe_ || rec_) {
      if (!decrypt(data, plain)) return;
      data = plain;
      if (data.empty() && !peer_closed()) return do_read();  // a record's first part
    }
    on_plaintext(data);
  }

  void on_plaintext(std::span<const std::uint8_t> data) {
    if (!data.empty() && first_read_) {
      first_read_ = false;
      const std::string_view head(reinterpret_cast<const char*>(data.data()), data.size());
      if (head.rfind("GET ", 0) == 0 || head.rfind("HEAD ", 0) == 0 || head.rfind("POST ", 0) == 0) {
        return http_probe();
      }
    }
    session_.feed(data);
    if (peer_closed()) session_.end_of_stream();  // TLS close_notify
    pump();
    do_read();
  }

  // A browser (or a scanner) opened the MPS port: say what this port is, then close.
  void http_probe() {
    server_.mutable_counters().http_probes.fetch_add(1, std::memory_order_relaxed);
    const std::string body =
        "Meshwork MPS server.\r\nIntel(R) AMT computers should connect here (CIRA). The web interface is at https://" +
        ctx_.settings.cert + ":" + std::to_string(ctx_.info.port) + "/\r\n";
    const std::string text = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body;
    transmit(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    close_after_writes_ = true;
    if (!writing_) finish();
  }

  // What waits for the socket: `sending_` is being written, `next_` collects what comes
  // meanwhile (one system call for all of it next time). Both hold no memory when idle.
  void do_write() {
    if (writing_ || next_.empty() || closed_) return;
    writing_ = true;
    sending_ = std::exchange(next_, {});
    asio::async_write(plain_, asio::buffer(sending_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      self->sending_ = {};
      if (self->closed_) return;
      if (ec) return self->finish();
      if (self->next_.empty() && self->close_after_writes_) return self->finish();
      self->do_write();
    });
  }

  // ACK what arrives at once (tcp_link.hpp's quick_ack): every SOL, KVM or IDE-R burst through the
  // channel waited 40 ms per APF window otherwise (SOL through the MPS: 0.7 MB/s instead of 56).
  void quick_ack() { amt::quick_ack(lowest()); }

  // Everything the session produced: bytes out, then events (which may produce more).
  void pump() {
    for (int round = 0; round < 64 && !closed_; ++round) {
      apf::Output out = session_.take_output();
      if (out.send.empty() && out.events.empty()) break;
      transmit(out.send);
      for (auto& e : out.events) std::visit([this](auto& ev) { on_event(ev); }, e);
    }
  }

  void on_event(apf::VersionReceived& v) {
    uuid_ = v.version.uuid;
    uuid_text_ = apf::uuid_to_string(uuid_);
  }
  void on_event(apf::AuthRequested& a) {
    if (!session_.version()) return refuse(a.username, "no PROTOCOLVERSION before login");
    if (!constant_time_equal(a.password, ctx_.mps_password)) return refuse(a.username, "wrong password");
    if (a.username.size() != 16) return refuse(a.username, "user name is not 16 characters");
    paused_ = true;  // nothing more is read until the store has answered
    std::vector<std::string> domains;
    for (const auto& d : ctx_.settings.domains) domains.push_back(d.id);
    ctx_.async_db->run(
        executor(),
        [domains, user = a.username, uuid = uuid_, host = peer_ip_](store::Store& s) {
          return admit_cira_device(s, domains, user, uuid, host);
        },
        [self = shared_from_this(), user = a.username](CiraAdmission adm) { self->on_admission(user, std::move(adm)); });
  }
  void on_admission(const std::string& user, CiraAdmission adm) {
    paused_ = false;
    if (closed_) return;
    auto& bus = ctx_.accounts->bus();
    bus.dispatch_all(adm.domain, adm.events);
    if (!adm.ok) {
      refuse(user, adm.reason);
      return do_read();
    }
    nodeid_ = adm.nodeid;
    meshid_ = adm.meshid;
    domain_ = adm.domain;
    server_.mutable_counters().logins_ok.fetch_add(1, std::memory_order_relaxed);
    logger("mps")->info("{} CIRA device {} ({}) connected to group {}", peer_ip_, nodeid_, uuid_text_, meshid_);
    session_.accept_auth();
    if (auto old = server_.attach(nodeid_, shared_from_this())) {
      logger("mps")->info("{} replaces an older CIRA connection of {}", peer_ip_, nodeid_);
      old->shutdown();
    }
    attached_ = true;
    const auto state = ctx_.accounts->presence().connect(nodeid_, meshid_, accounts::conn_bit::kCira, accounts::power::kPresent,
                                                         store::now_ms());
    announce(state, 0);
    pump();
    do_read();
  }
  void refuse(const std::string& user, const std::string& reason) {
    server_.mutable_counters().logins_refused.fetch_add(1, std::memory_order_relaxed);
    // The user name is not secret (it is part of the group id shown to administrators); the
    // password is never logged.
    logger("mps")->warn("{} CIRA login refused for user \"{}\": {}", peer_ip_, user.substr(0, 64), reason);
    session_.reject_auth();
  }
  void announce(accounts::PresenceState state, int old_power) {
    if (state.meshid.empty()) state.meshid = meshid_;
    announce_presence(ctx_, nodeid_, state, old_power);
  }
  void on_event(apf::ForwardAdded& f) {
    // The WS-Management port the manager talks to (plain HTTP inside the TLS tunnel).
    if (!ready_announced_ && f.port == 16992) {
      ready_announced_ = true;
      if (server_.on_device_ready) server_.on_device_ready(shared_from_this());
    }
    // Intel AMT configured for TLS registers 16993 and no 16992. AMT registers 16993 first when
    // it has both, so the device is ready after a tick or two (1–2 s) unless 16992 came meanwhile.
    if (!ready_announced_ && f.port == 16993) tls_ready_ticks_ = 2;
  }
  void ready_with_tls() {
    if (--tls_ready_ticks_ > 0) return;
    if (ready_announced_ || !session_.forwarded(16993)) return;
    ready_announced_ = true;
    logger("mps")->info("{} CIRA device {} is configured for TLS (16993/16995): TLS inside its channels", peer_ip_, nodeid_);
    if (server_.on_device_ready) server_.on_device_ready(shared_from_this());
  }
  // Users are called through a copy of their pointer: a callback may close the channel, which
  // can drop the map's entry while the user's code still runs.
  std::shared_ptr<ChannelUser> user_of(std::uint32_t channel) const {
    const auto it = users_.find(channel);
    return it == users_.end() ? nullptr : it->second;
  }
  void on_event(apf::ChannelOpened& c) {
    if (auto u = user_of(c.channel)) u->on_open(true, c.channel);
  }
  void on_event(apf::ChannelOpenFailed& c) {
    if (auto it = users_.find(c.channel); it != users_.end()) {
      auto u = it->second;
      users_.erase(it);
      u->on_open(false, c.channel);
    }
  }
  void on_event(apf::ChannelReceived& c) {
    if (auto u = user_of(c.channel)) {
      u->on_data(c.data);
    } else {
      session_.consume(c.channel, c.data.size());
    }
  }
  void on_event(apf::ChannelDrained& c) {
    if (auto u = user_of(c.channel)) u->on_drained();
  }
  void on_event(apf::ChannelClosed& c) {
    if (auto it = users_.find(c.channel); it != users_.end()) {
      auto u = it->second;
      users_.erase(it);
      u->on_closed();
    }
  }
  void on_event(apf::Failed& f) {
    logger("mps")->info("{} CIRA connection{} ended: {}", peer_ip_, nodeid_.empty() ? "" : " of " + nodeid_, f.error.message);
    end_after_writes();
  }
  void on_event(apf::Disconnected&) { end_after_writes(); }
  void on_event(apf::Closed&) { end_after_writes(); }
  template <class E>
  void on_event(E&) {}

  void end_after_writes() {
    close_after_writes_ = true;
    if (!writing_ && next_.empty()) finish();
  }

  void finish() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    auto users = std::move(users_);
    users_.clear();
    for (auto& [id, u] : users) u->on_closed();
    if (attached_ && server_.detach(nodeid_, this)) {
      logger("mps")->info("{} CIRA device {} disconnected", peer_ip_, nodeid_);
      const auto before = ctx_.accounts->presence().get(nodeid_);
      announce(ctx_.accounts->presence().disconnect(nodeid_, accounts::conn_bit::kCira), before ? before->pwr : 0);
    }
    beast::error_code ec;
    lowest().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close(ec);
    server_.untrack(this);
  }

  MpsServer& server_;
  ServerContext& ctx_;
  tcp::socket plain_;
  SSL_CTX* tls_ctx_ = nullptr;                // TLS (not MpsTlsOffload)
  std::uint64_t order_ = 0;                   // of this handshake among all (run_handshake_step)
  std::unique_ptr<native::TlsPipe> pipe_;     // TLS: the handshake (and connections OpenSSL keeps)
  std::unique_ptr<native::TlsRecords> rec_;   // TLS after the handshake: the record layer
  asio::steady_timer timer_;
  apf::MpsSession session_;
  static constexpr std::size_t kReadBuffer = 16 * 1024;
  std::unique_ptr<std::array<std::uint8_t, kReadBuffer>> rbuf_;  // only while a read is under way (do_read)
  std::vector<std::uint8_t> sending_, next_;  // ciphertext (do_write)
  std::map<std::uint32_t, std::shared_ptr<ChannelUser>> users_;
  std::string peer_ip_, nodeid_, meshid_, domain_, uuid_text_;
  apf::Uuid uuid_{};
  bool started_ = false, first_read_ = true, reading_ = false, writing_ = false, paused_ = false;
  bool closed_ = false, close_after_writes_ = false, attached_ = false, ready_announced_ = false;
  std::uint8_t tls_ready_ticks_ = 0;  // ticks until a device that registered 16993 (no 16992) is ready
};

}  // namespace

// [SECTION] Server

MpsServer::MpsServer(asio::io_context& ioc, ServerContext& ctx) : ioc_(ioc), ctx_(ctx) {}

MpsServer::~MpsServer() = default;

void MpsServer::start() {
  const auto& s = ctx_.settings;
  if (!s.mps_tls_offload) {
    tls_ = make_tls_context(ctx_.certs->mps(), "");
    // Thousands of mostly idle devices: OpenSSL frees a connection's 16 KB+ record buffers
    // between reads and writes instead of keeping them (scripts/bench.sh mps: memory per device).
    SSL_CTX_set_mode(tls_->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    // MpsHighSecurity false: Intel AMT before version 11 connects with TLS 1.0/1.1.
    if (!s.mps_high_security) relax_for_legacy_amt(tls_->native_handle());
    // Connections hand their records to TlsRecords after the handshake (MpsConnection), which
    // runs on threads of its own (as many as the machine has cores).
    native::TlsPipe::allow_detach(tls_->native_handle());
    handshakes_ = std::make_unique<asio::thread_pool>(std::max(1u, std::thread::hardware_concurrency()));
  }
  listener_ = std::make_shared<Listener>(ioc_, s.mps_port_bind, s.mps_port, s.exact_ports,
                                         s.mps_tls_offload ? "MPS (TLS offload)" : "MPS", [this](tcp::socket sock) {
                                           counters_.accepted.fetch_add(1, std::memory_order_relaxed);
                                           std::make_shared<MpsConnection>(std::move(sock), *this, tls_.get())->run();
                                         });
  listener_->start();
}

void MpsServer::stop() {
  if (listener_) listener_->stop();
  std::vector<std::shared_ptr<CiraLink>> links;
  {
    std::lock_guard lock(mu_);
    for (auto& [p, w] : all_) {
      if (auto l = w.lock()) links.push_back(std::move(l));
    }
  }
  for (auto& l : links) l->shutdown();
}

void MpsServer::run_handshake_step(std::uint64_t order, std::function<void()> step) {
  const auto later = [](const QueuedStep& a, const QueuedStep& b) { return a.order > b.order; };
  {
    std::lock_guard lock(handshake_mu_);
    handshake_queue_.push_back({order, std::move(step)});
    std::push_heap(handshake_queue_.begin(), handshake_queue_.end(), later);
  }
  // One run per step queued; each takes the oldest handshake's step there is by then.
  asio::post(*handshakes_, [this, later] {
    std::function<void()> run;
    {
      std::lock_guard lock(handshake_mu_);
      std::pop_heap(handshake_queue_.begin(), handshake_queue_.end(), later);
      run = std::move(handshake_queue_.back().run);
      handshake_queue_.pop_back();
      if (handshake_queue_.empty()) handshake_queue_.shrink_to_fit();
    }
    run();
  });
}

void MpsServer::track(const std::shared_ptr<CiraLink>& link) {
  std::lock_guard lock(mu_);
  all_[link.get()] = link;
}

void MpsServer::untrack(const CiraLink* link) {
  std::lock_guard lock(mu_);
  all_.erase(link);
}

std::shared_ptr<CiraLink> MpsServer::attach(const std::string& nodeid, const std::shared_ptr<CiraLink>& link) {
  std::lock_guard lock(mu_);
  auto& slot = links_[nodeid];
  auto old = slot.lock();
  slot = link;
  return old;
}

bool MpsServer::detach(const std::string& nodeid, const CiraLink* link) {
  std::lock_guard lock(mu_);
  const auto it = links_.find(nodeid);
  if (it == links_.end()) return false;
  auto current = it->second.lock();
  if (current && current.get() != link) return false;
  links_.erase(it);
  return true;
}

std::shared_ptr<CiraLink> MpsServer::find(const std::string& nodeid) const {
  std::lock_guard lock(mu_);
  const auto it = links_.find(nodeid);
  return it == links_.end() ? nullptr : it->second.lock();
}

std::size_t MpsServer::connections() const {
  std::lock_guard lock(mu_);
  return links_.size();
}

}  // namespace mw::server::amt
