// amtsim: simulated Intel AMT computers for tests, benchmarks and demonstrations (docs/amtsim.md).
//
// LAN mode: each device listens on its own loopback address (--first-ip, then the next ones) on
// the redirection port (16994, or --redir-port) and the WS-Management port (16992, or
// --wsman-port; 0 = an ephemeral port per device). With --tls, as Intel AMT configured for TLS:
// TLS only, on 16995 and 16993, with a self-signed RSA 2048 certificate made at start (a new one
// each run, so tests can see a device whose certificate changed).
// CIRA mode: each device connects over TLS to an MPS (--mps), logs in with --mps-user/--mps-pass,
// registers its ports with tcpip-forward and serves the channels the MPS opens to 16992 and 16994;
// it reconnects with back-off when the connection fails or ends. With --tls, as Intel AMT
// configured for TLS: it registers 16993 and 16995 instead, and the MPS is the TLS client inside
// each channel (a TLS server per channel, mw::native::TlsPipe, with the device certificate).
// Either way: redirection with shared/redir's DeviceSession (Digest, and amtterm's plain
// user/password) in front of the simulated serial console (console.hpp) and the KVM's RFB server
// (kvm.hpp, drawing screen.hpp), and WS-Management over HTTP Digest (wsman_device.hpp): settings,
// inventory, power state and power actions.
// stdout: one line per device when it listens (LAN) or has registered its ports (CIRA),
//   device 1 uuid=... redir=127.0.0.2:16994 wsman=127.0.0.2:16992 power=on
//   device 1 uuid=... redir=127.0.0.2:16995 wsman=127.0.0.2:16993 power=on tls-sha384=<hex>
//   device 1 uuid=... cira=connected mps=127.0.0.1:4433 power=on
//   device 1 uuid=... cira=connected mps=127.0.0.1:4433 power=on tls-sha384=<hex>   (CIRA with --tls)
// then "ready" once every device got there; CIRA state changes later are printed the same way
// (cira=auth-failed, cira=disconnected). SIGINT/SIGTERM stop it.
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <cctype>
#include <chrono>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "console.hpp"
#include "handlers.hpp"
#include "mw/apf/device_session.hpp"
#include "mw/native/tls_pipe.hpp"
#include "mw/util/hex.hpp"
#include "mw/util/md5.hpp"
#include "mw/util/sha256.hpp"
#include "wsman_device.hpp"

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using mw::amtsim::Bytes;
using mw::amtsim::ConsoleInfo;
using mw::amtsim::PowerState;
using mw::amtsim::RedirHandler;
using mw::amtsim::WsmanHandler;

constexpr std::uint32_t kWsmanPort = 16992;
constexpr std::uint32_t kRedirPort = 16994;
constexpr std::uint32_t kWsmanTlsPort = 16993;
constexpr std::uint32_t kRedirTlsPort = 16995;

std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

std::string random_hex(std::size_t bytes) {
  std::vector<std::uint8_t> b(bytes);
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  return mw::util::hex_encode(b);
}

// A stable UUID per seed and device number (version 4 layout), so tests and repeated runs see the
// same devices.
std::string device_uuid(const std::string& seed, int index) {
  auto h = mw::util::sha256("amtsim/" + seed + "/" + std::to_string(index));
  h[6] = static_cast<std::uint8_t>((h[6] & 0x0F) | 0x40);
  h[8] = static_cast<std::uint8_t>((h[8] & 0x3F) | 0x80);
  const std::string x = mw::util::hex_encode(std::span<const std::uint8_t>(h.data(), 16));
  return x.substr(0, 8) + "-" + x.substr(8, 4) + "-" + x.substr(12, 4) + "-" + x.substr(16, 4) + "-" + x.substr(20, 12);
}

// The UUID as AMT sends it in PROTOCOLVERSION: the first three groups little-endian.
mw::apf::Uuid wire_uuid(const std::string& text) {
  std::string hex;
  for (const char c : text) {
    if (c != '-') hex.push_back(c);
  }
  mw::apf::Uuid u{};
  for (std::size_t i = 0; i < 16; ++i) u[i] = static_cast<std::uint8_t>(std::stoul(hex.substr(i * 2, 2), nullptr, 16));
  std::swap(u[0], u[3]);
  std::swap(u[1], u[2]);
  std::swap(u[4], u[5]);
  std::swap(u[6], u[7]);
  return u;
}

const char* power_name(PowerState p) {
  switch (p) {
    case PowerState::kOn: return "on";
    case PowerState::kSleep: return "sleep";
    case PowerState::kHibernate: return "hibernate";
    case PowerState::kSoftOff: return "off";
  }
  return "?";
}

struct Device {
  ConsoleInfo info;
  PowerState power = PowerState::kOn;
  mw::redir::DeviceConfig redir;
  std::unique_ptr<mw::amtsim::WsmanDevice> wsman;
};

// Counts devices that reached their first "ready" state and prints "ready" after the last one.
struct Readiness {
  int expected = 0;
  int reached = 0;
  void one() {
    if (++reached == expected) std::cout << "ready" << std::endl;
  }
};

// [SECTION] LAN mode: TCP connections

// Writes queued on a stream and sent one at a time.
template <typename Stream>
class Writer {
 public:
  explicit Writer(Stream& stream) : stream_(stream) {}
  // `self` is told when the queue drains (drained()) or a write fails (stop()); `keep` holds
  // whatever owns the stream and this writer until the write completes.
  template <typename Self>
  void send(Bytes bytes, const std::shared_ptr<Self>& self, std::shared_ptr<void> keep = {}) {
    if (bytes.empty()) return;
    queue_.push_back(std::move(bytes));
    if (!writing_) next(self, std::move(keep));
  }
  bool idle() const { return !writing_ && queue_.empty(); }

 private:
  template <typename Self>
  void next(const std::shared_ptr<Self>& self, std::shared_ptr<void> keep) {
    writing_ = true;
    asio::async_write(stream_, asio::buffer(queue_.front()), [this, self, keep](boost::system::error_code ec, std::size_t) {
      writing_ = false;
      if (ec) return self->stop();
      queue_.pop_front();
      if (!queue_.empty()) return next(self, keep);
      self->drained();
    });
  }

  Stream& stream_;
  std::deque<Bytes> queue_;
  bool writing_ = false;
};

// The TCP socket under a stream (plain, or TLS on 16993/16995).
tcp::socket& lowest(tcp::socket& s) { return s; }
tcp::socket& lowest(ssl::stream<tcp::socket>& s) { return s.next_layer(); }

// A connection to the redirection or WS-Management port, plain TCP or TLS.
template <typename Stream>
class LanConnection : public std::enable_shared_from_this<LanConnection<Stream>> {
 public:
  LanConnection(Stream stream, Device& device, bool wsman)
      : stream_(std::move(stream)), timer_(stream_.get_executor()), writer_(stream_) {
    if (wsman) {
      wsman_ = std::make_unique<WsmanHandler>(*device.wsman);
    } else {
      redir_ = std::make_unique<RedirHandler>(device.redir, device.info, device.power, *device.wsman);
    }
  }

  void start() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      begin();
    } else {
      // A handshake that never completes holds nothing for long.
      timer_.expires_after(std::chrono::seconds(10));
      timer_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
        if (!ec && !self->began_) self->stop();
      });
      stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](boost::system::error_code ec) {
        if (ec) return self->stop();
        self->timer_.cancel();
        self->begin();
      });
    }
  }

  void drained() {
    if (closing_) stop();
  }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    timer_.cancel();
    boost::system::error_code ignored;
    lowest(stream_).shutdown(tcp::socket::shutdown_both, ignored);
    lowest(stream_).close(ignored);
  }

 private:
  void begin() {
    began_ = true;
    read();
    if (redir_) tick();
  }

  void read() {
    stream_.async_read_some(asio::buffer(in_), [self = this->shared_from_this()](boost::system::error_code ec, std::size_t n) {
      if (ec) {
        if (self->redir_) self->redir_->end_of_stream();
        return self->stop();
      }
      const std::span<const std::uint8_t> data(self->in_.data(), n);
      if (self->redir_) {
        self->writer_.send(self->redir_->feed(data), self);
        if (self->redir_->finished()) self->close_after_writes();
      } else {
        bool close = false;
        self->writer_.send(self->wsman_->feed(data, close), self);
        if (close) self->close_after_writes();
      }
      if (!self->closing_) self->read();
    });
  }

  void close_after_writes() {
    closing_ = true;
    if (writer_.idle()) stop();
  }

  void tick() {
    timer_.expires_after(std::chrono::milliseconds(250));
    timer_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
      if (ec || self->stopped_) return;
      self->writer_.send(self->redir_->tick(now_ms()), self);
      if (self->redir_->finished()) return self->close_after_writes();
      self->tick();
    });
  }

  Stream stream_;
  asio::steady_timer timer_;
  Writer<Stream> writer_;
  std::unique_ptr<RedirHandler> redir_;
  std::unique_ptr<WsmanHandler> wsman_;
  std::array<std::uint8_t, 8192> in_{};
  bool closing_ = false;
  bool stopped_ = false;
  bool began_ = false;
};

// `tls` is null for plain TCP.
void accept(tcp::acceptor& acceptor, Device& device, bool wsman, ssl::context* tls) {
  acceptor.async_accept([&acceptor, &device, wsman, tls](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (tls) {
        std::make_shared<LanConnection<ssl::stream<tcp::socket>>>(ssl::stream<tcp::socket>(std::move(socket), *tls), device, wsman)
            ->start();
      } else {
        std::make_shared<LanConnection<tcp::socket>>(std::move(socket), device, wsman)->start();
      }
    }
    accept(acceptor, device, wsman, tls);
  });
}

// Intel AMT's own TLS certificate, as a device not provisioned with an enterprise certificate
// has: self-signed RSA 2048, SHA-256. Returns the SHA-384 of its DER (what the server pins).
std::string make_device_certificate(ssl::context& ctx) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  X509* cert = X509_new();
  if (!key || !cert) throw std::runtime_error("cannot make a TLS key");
  X509_set_version(cert, 2);
  std::uint8_t serial[8];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7F;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("iAMT amtsim"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  if (X509_sign(cert, key, EVP_sha256()) == 0) throw std::runtime_error("cannot sign the TLS certificate");
  SSL_CTX_use_certificate(ctx.native_handle(), cert);
  SSL_CTX_use_PrivateKey(ctx.native_handle(), key);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert, EVP_sha384(), md, &len);
  X509_free(cert);
  EVP_PKEY_free(key);
  return mw::util::hex_encode(std::span<const std::uint8_t>(md, len));
}

// A listening socket on addr:port; nullptr (and a message) when it cannot listen.
std::unique_ptr<tcp::acceptor> listen(asio::io_context& io, const asio::ip::address_v4& addr, int port, int device,
                                      const char* what) {
  boost::system::error_code ec;
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  const tcp::endpoint ep(addr, static_cast<std::uint16_t>(port));
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::cerr << "amtsim: device " << device << ": cannot listen (" << what << ") on " << addr.to_string() << ":"
              << port << ": " << ec.message() << "\n";
    return nullptr;
  }
  return acceptor;
}

// [SECTION] CIRA mode: one TLS connection to the MPS per device, channels inside it

class CiraLink : public std::enable_shared_from_this<CiraLink> {
 public:
  // `device_tls`: with --tls, the server side of TLS inside channels to 16993/16995 (`tls_hash`
  // is its certificate's SHA-384, printed); null without.
  CiraLink(asio::io_context& io, ssl::context& tls, Device& device, std::string host, std::string port,
           mw::apf::DeviceConfig config, Readiness& readiness, ssl::context* device_tls, std::string tls_hash)
      : io_(io), tls_(tls), device_(device), host_(std::move(host)), port_(std::move(port)),
        config_(std::move(config)), readiness_(readiness), timer_(io), retry_(io), device_tls_(device_tls),
        tls_hash_(std::move(tls_hash)) {}

  void start() { connect(); }

  void stop() { drop(true); }  // a write failed: the connection is gone
  void drained() {}

 private:
  // One connection attempt: the stream, its writer and its buffer live as long as an operation
  // on them is pending (handlers hold the pointer), and handlers of an old attempt see that it
  // is no longer conn_ and do nothing.
  struct Conn {
    Conn(asio::io_context& io, ssl::context& tls) : stream(io, tls), writer(stream) {}
    ssl::stream<tcp::socket> stream;
    Writer<ssl::stream<tcp::socket>> writer;
    std::array<std::uint8_t, 16384> in{};
  };
  struct Channel {
    std::unique_ptr<RedirHandler> redir;
    std::unique_ptr<WsmanHandler> wsman;
    std::unique_ptr<mw::native::TlsPipe> tls;  // 16993/16995: TLS inside the channel
  };

  // Plaintext for the MPS on channel `id` (encrypted first on a TLS channel).
  void send_out(std::uint32_t id, Channel& ch, const Bytes& plain) {
    if (!ch.tls) {
      if (!plain.empty()) session_->send_data(id, plain);
      return;
    }
    ch.tls->write(plain);
    const Bytes out = ch.tls->take_output();
    if (!out.empty()) session_->send_data(id, out);
  }
  // Ends channel `id` (with close_notify on a TLS channel).
  void end_channel(std::uint32_t id, Channel& ch) {
    if (ch.tls) {
      ch.tls->close();
      const Bytes out = ch.tls->take_output();
      if (!out.empty()) session_->send_data(id, out);
    }
    session_->close_channel(id);
  }

  void connect() {
    auto c = std::make_shared<Conn>(io_, tls_);
    conn_ = c;
    auto resolver = std::make_shared<tcp::resolver>(io_);
    resolver->async_resolve(host_, port_, [self = shared_from_this(), c, resolver](boost::system::error_code ec,
                                                                                   tcp::resolver::results_type r) {
      if (c != self->conn_) return;
      if (ec) return self->drop(true);
      asio::async_connect(c->stream.next_layer(), r, [self, c](boost::system::error_code ec2, const tcp::endpoint&) {
        if (c != self->conn_) return;
        if (ec2) return self->drop(true);
        c->stream.async_handshake(ssl::stream_base::client, [self, c](boost::system::error_code ec3) {
          if (c != self->conn_) return;
          if (ec3) return self->drop(true);
          self->session_ = std::make_unique<mw::apf::DeviceSession>(self->config_);
          self->session_->start();
          self->flush();
          self->read();
          self->tick();
        });
      });
    });
  }

  void read() {
    auto c = conn_;
    c->stream.async_read_some(asio::buffer(c->in), [self = shared_from_this(), c](boost::system::error_code ec, std::size_t n) {
      if (c != self->conn_ || !self->session_) return;
      if (ec) {
        self->session_->end_of_stream();
        self->flush();
        return self->drop(true);
      }
      self->session_->feed({c->in.data(), n});
      self->flush();
      if (c == self->conn_ && self->session_ && !self->session_->finished()) self->read();
    });
  }

  void tick() {
    timer_.expires_after(std::chrono::milliseconds(250));
    timer_.async_wait([self = shared_from_this(), c = conn_](boost::system::error_code ec) {
      if (ec || c != self->conn_ || !self->session_) return;
      const std::uint64_t now = now_ms();
      self->session_->tick(now);
      for (auto& [id, ch] : self->channels_) {
        if (ch.redir && (!ch.tls || ch.tls->open())) {
          const Bytes out = ch.redir->tick(now);
          if (!out.empty()) self->send_out(id, ch, out);
          if (ch.redir->finished()) self->end_channel(id, ch);
        }
      }
      self->flush();
      if (c == self->conn_) self->tick();
    });
  }

  // Sends what the session has to send and acts on its events.
  void flush() {
    for (int round = 0; session_ && round < 8; ++round) {
      mw::apf::Output out = session_->take_output();
      if (out.send.empty() && out.events.empty()) break;
      conn_->writer.send(std::move(out.send), shared_from_this(), conn_);
      for (auto& e : out.events) {
        if (session_) on_event(e);
      }
    }
    if (session_ && session_->finished()) drop(true);
  }

  void on_event(mw::apf::Event& e) {
    if (std::holds_alternative<mw::apf::Ready>(e)) {
      status("connected");
      backoff_ms_ = 1000;
      if (!reported_ready_) {
        reported_ready_ = true;
        readiness_.one();
      }
    } else if (std::holds_alternative<mw::apf::AuthFailed>(e)) {
      status("auth-failed");
    } else if (const auto* open = std::get_if<mw::apf::ChannelOpenRequested>(&e)) {
      Channel ch;
      const std::uint32_t port = open->connected_port;
      // Only the ports this device registered: 16992/16994, or with --tls 16993/16995.
      const bool tls_port = port == kWsmanTlsPort || port == kRedirTlsPort;
      if (tls_port != (device_tls_ != nullptr)) {
        session_->reject_channel(open->channel);
        return;
      }
      if (port == kWsmanPort || port == kWsmanTlsPort) {
        ch.wsman = std::make_unique<WsmanHandler>(*device_.wsman);
      } else if (port == kRedirPort || port == kRedirTlsPort) {
        ch.redir = std::make_unique<RedirHandler>(device_.redir, device_.info, device_.power, *device_.wsman);
      } else {
        session_->reject_channel(open->channel);
        return;
      }
      if (tls_port) {
        ch.tls = std::make_unique<mw::native::TlsPipe>(device_tls_->native_handle(), mw::native::TlsPipe::Role::kServer);
        ch.tls->start();
      }
      channels_[open->channel] = std::move(ch);
      session_->accept_channel(open->channel);
    } else if (const auto* data = std::get_if<mw::apf::ChannelReceived>(&e)) {
      auto it = channels_.find(data->channel);
      if (it == channels_.end()) return;
      Channel& ch = it->second;
      session_->consume(data->channel, data->data.size());
      Bytes input;
      if (ch.tls) {
        ch.tls->feed(data->data);
        const Bytes handshake = ch.tls->take_output();
        if (!handshake.empty()) session_->send_data(data->channel, handshake);
        while (ch.tls->read(input, 64 * 1024) > 0) {
        }
        if (ch.tls->failed()) {
          std::cerr << "amtsim: device " << device_.info.index << ": channel " << data->channel << ": " << ch.tls->error() << "\n";
          session_->close_channel(data->channel);
          return;
        }
        if (input.empty()) return;
      } else {
        input.assign(data->data.begin(), data->data.end());
      }
      bool close = false;
      Bytes reply;
      if (ch.redir) {
        reply = ch.redir->feed(input);
        close = ch.redir->finished();
      } else {
        reply = ch.wsman->feed(input, close);
      }
      send_out(data->channel, ch, reply);
      if (close) end_channel(data->channel, ch);
    } else if (const auto* closed = std::get_if<mw::apf::ChannelClosed>(&e)) {
      channels_.erase(closed->channel);
    } else if (const auto* failed = std::get_if<mw::apf::Failed>(&e)) {
      std::cerr << "amtsim: device " << device_.info.index << ": CIRA: " << failed->error.message << "\n";
    }
  }

  void status(const char* state) {
    std::cout << "device " << device_.info.index << " uuid=" << device_.info.uuid << " cira=" << state
              << " mps=" << host_ << ":" << port_ << " power=" << power_name(device_.power)
              << (device_tls_ ? " tls-sha384=" + tls_hash_ : std::string()) << std::endl;
  }

  // Ends this connection attempt and connects again after a back-off (1 s doubling to 60 s).
  void drop(bool retry) {
    if (!conn_) return;
    if (session_) status("disconnected");
    session_.reset();
    channels_.clear();
    timer_.cancel();
    boost::system::error_code ignored;
    conn_->stream.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    conn_->stream.next_layer().close(ignored);
    conn_.reset();
    if (!retry) return;
    retry_.expires_after(std::chrono::milliseconds(backoff_ms_));
    backoff_ms_ = std::min<std::uint64_t>(backoff_ms_ * 2, 60000);
    retry_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec && !self->conn_) self->connect();
    });
  }

  asio::io_context& io_;
  ssl::context& tls_;
  Device& device_;
  std::string host_, port_;
  mw::apf::DeviceConfig config_;
  Readiness& readiness_;
  asio::steady_timer timer_, retry_;
  std::shared_ptr<Conn> conn_;
  std::unique_ptr<mw::apf::DeviceSession> session_;
  std::map<std::uint32_t, Channel> channels_;
  std::uint64_t backoff_ms_ = 1000;
  bool reported_ready_ = false;
  ssl::context* device_tls_;
  std::string tls_hash_;
};

PowerState parse_power(const std::string& s) {
  if (s == "on") return PowerState::kOn;
  if (s == "sleep") return PowerState::kSleep;
  if (s == "hibernate") return PowerState::kHibernate;
  return PowerState::kSoftOff;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"amtsim: simulated Intel AMT computers (redirection with Serial-over-LAN and KVM, WS-Management; LAN or CIRA)"};
  std::string mode = "lan", first_ip = "127.0.0.2", user = "admin", pass, power = "on", seed = "meshwork";
  std::string mps, mps_user, mps_pass;
  int count = 1, redir_port = -1, wsman_port = -1;
  bool use_tls = false, legacy_tls = false;
  app.add_option("--mode", mode, "lan (each device on its own loopback address) or cira (devices connect to an MPS)")
      ->check(CLI::IsMember({"lan", "cira"}));
  app.add_option("--count", count, "number of devices")->check(CLI::Range(1, 10000));
  app.add_option("--first-ip", first_ip, "LAN: address of the first device; the next ones follow (127.0.0.2, 127.0.0.3, ...)");
  app.add_option("--amt-user", user, "admin user name of every device");
  app.add_option("--amt-pass", pass, "admin password of every device")->required();
  app.add_option("--redir-port", redir_port, "LAN: redirection port (16994, with --tls 16995; 0 = an ephemeral port per device)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--wsman-port", wsman_port, "LAN: WS-Management port (16992, with --tls 16993; 0 = an ephemeral port per device)")
      ->check(CLI::Range(0, 65535));
  app.add_flag("--tls", use_tls,
               "TLS only, with a self-signed certificate made at start: LAN on 16993 and 16995; CIRA registers 16993 and 16995 "
               "(TLS inside the channels)");
  app.add_flag("--legacy-tls", legacy_tls,
               "As Intel AMT before version 11: TLS 1.0 only, AES128-SHA (RSA key exchange), for CIRA and with --tls");
  app.add_option("--mps", mps, "CIRA: the MPS as HOST:PORT");
  app.add_option("--mps-user", mps_user, "CIRA: user name (MeshCentral: 16 characters of the device group id)");
  app.add_option("--mps-pass", mps_pass, "CIRA: password");
  app.add_option("--power", power, "initial power state")->check(CLI::IsMember({"on", "sleep", "hibernate", "off"}));
  app.add_option("--seed", seed, "device UUIDs are derived from it and the device number");
  std::vector<std::string> refuse;
  app.add_option("--refuse", refuse,
                 "WS-Management methods every device answers with ReturnValue 1 and ignores (e.g. SetBootConfigRole); repeatable");
  CLI11_PARSE(app, argc, argv);
  if (redir_port < 0) redir_port = use_tls ? 16995 : 16994;
  if (wsman_port < 0) wsman_port = use_tls ? 16993 : 16992;

  std::string mps_host, mps_port;
  if (mode == "cira") {
    const auto colon = mps.rfind(':');
    if (mps.empty() || colon == std::string::npos || colon == 0 || colon + 1 == mps.size()) {
      std::cerr << "amtsim: --mode cira needs --mps HOST:PORT\n";
      return 2;
    }
    if (mps_user.empty() || mps_pass.empty()) {
      std::cerr << "amtsim: --mode cira needs --mps-user and --mps-pass\n";
      return 2;
    }
    mps_host = mps.substr(0, colon);
    mps_port = mps.substr(colon + 1);
  }

  // One socket or more per device: take the hard limit of descriptors.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  asio::io_context io;
  boost::system::error_code ec;
  const auto first = asio::ip::make_address_v4(first_ip, ec);
  if (ec) {
    std::cerr << "amtsim: --first-ip " << first_ip << " is not an IPv4 address\n";
    return 2;
  }
  // AMT checks the MPS certificate against the root it was provisioned with; the simulator is
  // not provisioned and takes any certificate (loopback tests only).
  ssl::context tls(ssl::context::tls_client);
  tls.set_verify_mode(ssl::verify_none);
  // With --tls: the devices' server side (one certificate for all of them).
  std::unique_ptr<ssl::context> lan_tls;
  std::string lan_tls_hash;
  if (use_tls) {
    lan_tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    lan_tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                         ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    lan_tls_hash = make_device_certificate(*lan_tls);
  }
  if (legacy_tls) {
    // Intel AMT 7 to 10: TLS 1.0 with a CBC suite and RSA key exchange, which OpenSSL 3 allows only
    // at security level 0.
    for (ssl::context* c : {&tls, lan_tls.get()}) {
      if (!c) continue;
      SSL_CTX_clear_options(c->native_handle(), SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1);
      SSL_CTX_set_min_proto_version(c->native_handle(), TLS1_VERSION);
      SSL_CTX_set_max_proto_version(c->native_handle(), TLS1_VERSION);
      SSL_CTX_set_cipher_list(c->native_handle(), "AES128-SHA:@SECLEVEL=0");
    }
  }

  // The simulated computers' clocks (the KVM desktop's) show wall-clock time; ticks carry the
  // steady clock, which does not jump.
  const std::int64_t clock_offset_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count() -
      static_cast<std::int64_t>(now_ms());
  std::vector<std::unique_ptr<Device>> devices;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<std::shared_ptr<CiraLink>> links;
  Readiness readiness{count, 0};
  for (int i = 1; i <= count; ++i) {
    auto d = std::make_unique<Device>();
    d->info.index = i;
    d->info.uuid = device_uuid(seed, i);
    d->info.clock_offset_ms = clock_offset_ms;
    d->power = parse_power(power);
    d->redir.username = user;
    d->redir.password = pass;
    d->redir.md5_hex = [](std::string_view s) { return mw::util::hex_encode(mw::util::md5(s)); };
    d->redir.make_nonce = [] { return random_hex(16); };
    mw::amtsim::WsmanIdentity wid;
    wid.index = i;
    wid.uuid = d->info.uuid;
    wid.amt_version = d->info.amt_version;
    wid.username = user;
    wid.password = pass;
    wid.refused_methods.insert(refuse.begin(), refuse.end());
    wid.realm = random_hex(16);  // AMT's realm: "Digest:" and 32 upper-case hex digits
    for (char& c : wid.realm) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    wid.realm.insert(0, "Digest:");
    d->wsman = std::make_unique<mw::amtsim::WsmanDevice>(wid, d->power, random_hex);

    if (mode == "lan") {
      const asio::ip::address_v4 addr(first.to_uint() + static_cast<std::uint32_t>(i - 1));
      auto redir = listen(io, addr, redir_port, i, "redirection");
      auto wsman = redir ? listen(io, addr, wsman_port, i, "WS-Management") : nullptr;
      if (!redir || !wsman) return 1;
      std::cout << "device " << i << " uuid=" << d->info.uuid << " redir=" << addr.to_string() << ":"
                << redir->local_endpoint().port() << " wsman=" << addr.to_string() << ":"
                << wsman->local_endpoint().port() << " power=" << power_name(d->power)
                << (use_tls ? " tls-sha384=" + lan_tls_hash : std::string()) << "\n";
      accept(*redir, *d, false, lan_tls.get());
      accept(*wsman, *d, true, lan_tls.get());
      acceptors.push_back(std::move(redir));
      acceptors.push_back(std::move(wsman));
      readiness.one();
    } else {
      mw::apf::DeviceConfig c;
      c.username = mps_user;
      c.password = mps_pass;
      c.uuid = wire_uuid(d->info.uuid);
      c.host = "amtsim-" + std::to_string(i);
      c.session.keepalive_interval_ms = 0;  // AMT answers the MPS's keep-alives
      // Intel AMT configured for TLS registers the TLS ports instead of the plain ones.
      if (use_tls) c.ports = {kWsmanTlsPort, 664, 623, kRedirTlsPort, 5900};
      links.push_back(std::make_shared<CiraLink>(io, tls, *d, mps_host, mps_port, c, readiness, lan_tls.get(), lan_tls_hash));
      links.back()->start();
    }
    devices.push_back(std::move(d));
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](boost::system::error_code, int) { io.stop(); });
  io.run();
  return 0;
}
