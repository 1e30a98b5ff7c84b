// LAN devices over TCP (tcp_link.hpp).
#include "amt/tcp_link.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <array>
#include <atomic>
#include <boost/asio/ssl.hpp>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "accounts/model.hpp"
#include "log.hpp"
#include "mw/util/hex.hpp"

namespace mw::server::amt {

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(10);

std::atomic<bool> legacy_amt_tls{false};  // allow_legacy_amt_tls (MpsHighSecurity false)

std::string digest_hex(std::span<const unsigned char> data, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) return {};
  return util::hex_encode(std::span<const std::uint8_t>(out, len));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class TcpLink : public CiraLink, public std::enable_shared_from_this<TcpLink> {
 public:
  TcpLink(asio::any_io_executor ex, std::string nodeid, LanTarget target, CertSink sink)
      : strand_(asio::make_strand(ex)), resolver_(strand_), nodeid_(std::move(nodeid)), host_(std::move(target.host)),
        uuid_(std::move(target.uuid)), tls_(target.tls), pin_(lower(std::move(target.pin))), sink_(std::move(sink)) {}

  void open_channel(std::uint32_t port, std::shared_ptr<ChannelUser> user) override {
    asio::post(strand_, [self = shared_from_this(), port, user = std::move(user)]() mutable {
      const std::uint32_t id = self->next_id_++;
      auto c = std::make_shared<Conn>(self->strand_);
      c->user = std::move(user);
      self->conns_[id] = c;
      c->timer.expires_after(kConnectTimeout);
      c->timer.async_wait([self, id](beast::error_code ec) {
        if (!ec) self->fail(id, "timed out");
      });
      // With TLS Intel AMT serves the same protocols one port up (16993, 16995).
      self->resolver_.async_resolve(self->host_, std::to_string(self->tls_ ? port + 1 : port),
                                    [self, id](beast::error_code ec, tcp::resolver::results_type r) {
                                      if (ec) return self->fail(id, ec.message());
                                      auto conn = self->find(id);
                                      if (!conn) return;
                                      asio::async_connect(conn->socket, r, [self, id](beast::error_code ec2, const tcp::endpoint&) {
                                        if (ec2) return self->fail(id, ec2.message());
                                        auto c2 = self->find(id);
                                        if (!c2) return;
                                        if (self->tls_) return self->handshake(id);
                                        self->opened(id);
                                      });
                                    });
    });
  }
  void send(std::uint32_t channel, std::vector<std::uint8_t> data) override {
    asio::dispatch(strand_, [self = shared_from_this(), channel, data = std::move(data)]() mutable {
      auto c = self->find(channel);
      if (!c || !c->open || data.empty()) return;
      c->wq.push_back(std::move(data));
      self->write(channel);
    });
  }
  void request_drained(std::uint32_t channel) override {
    asio::dispatch(strand_, [self = shared_from_this(), channel] {
      auto c = self->find(channel);
      if (!c || !c->open) return;
      if (c->wq.empty()) c->user->on_drained();  // else when the queue empties (write())
    });
  }
  void consume(std::uint32_t channel, std::size_t bytes) override {
    asio::dispatch(strand_, [self = shared_from_this(), channel, bytes] {
      auto c = self->find(channel);
      if (!c) return;
      c->unconsumed -= std::min(c->unconsumed, bytes);
      if (c->unconsumed == 0) self->read(channel);
    });
  }
  void close_channel(std::uint32_t channel) override {
    asio::dispatch(strand_, [self = shared_from_this(), channel] {
      auto c = self->find(channel);
      if (!c) return;
      // After what is queued has gone out.
      c->closing = true;
      if (c->wq.empty()) self->end(channel);
    });
  }
  const std::string& nodeid() const override { return nodeid_; }
  std::string uuid() const override { return uuid_.empty() ? host_ : uuid_; }
  void shutdown() override {
    asio::post(strand_, [self = shared_from_this()] {
      std::vector<std::uint32_t> ids;
      for (const auto& [id, c] : self->conns_) ids.push_back(id);
      for (auto id : ids) self->end(id);
    });
  }

 private:
  struct Conn {
    explicit Conn(asio::strand<asio::any_io_executor>& s) : socket(s), timer(s) {}
    tcp::socket socket;                            // until a TLS handshake begins
    std::optional<ssl::stream<tcp::socket>> tls;   // then the socket is in here
    tcp::socket& lowest() { return tls ? tls->next_layer() : socket; }
    asio::steady_timer timer;
    std::shared_ptr<ChannelUser> user;
    std::array<std::uint8_t, 16 * 1024> buf{};
    std::deque<std::vector<std::uint8_t>> wq;
    std::size_t unconsumed = 0;
    bool open = false, reading = false, writing = false, closing = false;
  };

  std::shared_ptr<Conn> find(std::uint32_t id) {
    const auto it = conns_.find(id);
    return it == conns_.end() ? nullptr : it->second;
  }

  void read(std::uint32_t id) {
    auto c = find(id);
    if (!c || c->reading || c->unconsumed > 0 || c->closing) return;
    c->reading = true;
    // `keep`: a TLS stream must outlive its pending operation (end() may drop the channel first).
    auto done = [self = shared_from_this(), id, keep = c](beast::error_code ec, std::size_t n) {
      auto conn = self->find(id);
      if (!conn) return;
      conn->reading = false;
      if (ec) return self->end(id);
      quick_ack(conn->lowest());
      conn->unconsumed += n;
      auto user = conn->user;  // the callback may close the channel
      user->on_data(std::span<const std::uint8_t>(conn->buf.data(), n));
    };
    if (c->tls) {
      c->tls->async_read_some(asio::buffer(c->buf), std::move(done));
    } else {
      c->socket.async_read_some(asio::buffer(c->buf), std::move(done));
    }
  }

  // TLS to 16993/16995: the certificate is checked against the pin before the channel opens, so
  // no credentials reach a device that is not the one first seen.
  void handshake(std::uint32_t id) {
    auto c = find(id);
    if (!c) return;
    c->tls.emplace(std::move(c->socket), amt_client_tls());
    // SNI with a host name (not with an address, RFC 6066 section 3).
    beast::error_code ec;
    asio::ip::make_address(host_, ec);
    if (ec) SSL_set_tlsext_host_name(c->tls->native_handle(), host_.c_str());
    c->tls->async_handshake(ssl::stream_base::client, [self = shared_from_this(), id, keep = c](beast::error_code ec2) {
      auto conn = self->find(id);
      if (!conn) return;
      if (ec2 && is_protocol_version_error(ec2) && !legacy_amt_tls) {
        return self->fail(id, "TLS: " + ec2.message() +
                                  " (Intel AMT before version 11 offers only TLS 1.0/1.1: set MpsHighSecurity to false to accept it)");
      }
      if (ec2) return self->fail(id, "TLS: " + ec2.message());
      X509* cert = SSL_get1_peer_certificate(conn->tls->native_handle());
      if (!cert) return self->fail(id, "TLS: no certificate");
      unsigned char* der = nullptr;
      const int der_len = i2d_X509(cert, &der);
      X509_free(cert);
      if (der_len <= 0) return self->fail(id, "TLS: unreadable certificate");
      const std::vector<unsigned char> cert_der(der, der + der_len);
      OPENSSL_free(der);
      std::string sha384;
      const PinVerdict verdict = check_pin(self->pin_, cert_der, sha384);
      if (verdict == PinVerdict::kPinned) {
        if (self->sink_) self->sink_(self->nodeid_, sha384, true);
      } else if (verdict == PinVerdict::kRefused) {
        logger("amt")->warn("{}: the TLS certificate of {} (SHA-384 {}) is not the one pinned for it; connection refused",
                            self->nodeid_, self->host_, sha384);
        if (self->sink_) self->sink_(self->nodeid_, sha384, false);
        return self->fail(id, "TLS certificate does not match the pinned one");
      }
      self->opened(id);
    });
  }

  void opened(std::uint32_t id) {
    auto c = find(id);
    if (!c) return;
    c->timer.cancel();
    c->open = true;
    c->user->on_open(true, id);
    read(id);
  }

  void write(std::uint32_t id) {
    auto c = find(id);
    if (!c || c->writing || c->wq.empty()) return;
    c->writing = true;
    auto done = [self = shared_from_this(), id, keep = c](beast::error_code ec, std::size_t) {
      auto conn = self->find(id);
      if (!conn) return;
      conn->writing = false;
      conn->wq.pop_front();
      if (ec) return self->end(id);
      if (conn->wq.empty()) {
        conn->user->on_drained();
        if (conn->closing) return self->end(id);
      }
      self->write(id);
    };
    if (c->tls) {
      asio::async_write(*c->tls, asio::buffer(c->wq.front()), std::move(done));
    } else {
      asio::async_write(c->socket, asio::buffer(c->wq.front()), std::move(done));
    }
  }

  void fail(std::uint32_t id, const std::string& why) {
    auto c = find(id);
    if (!c || c->open) return;
    logger("amt")->info("{}: cannot connect to {}: {}", nodeid_, host_, why);
    conns_.erase(id);
    beast::error_code ec;
    c->lowest().close(ec);
    c->timer.cancel();
    c->user->on_open(false, id);
  }

  void end(std::uint32_t id) {
    auto c = find(id);
    if (!c) return;
    conns_.erase(id);
    beast::error_code ec;
    c->lowest().shutdown(tcp::socket::shutdown_both, ec);
    c->lowest().close(ec);
    c->timer.cancel();
    if (c->open) c->user->on_closed(); else c->user->on_open(false, id);
  }

  asio::strand<asio::any_io_executor> strand_;
  tcp::resolver resolver_;
  std::string nodeid_, host_, uuid_;
  bool tls_ = false;
  std::string pin_;  // lower-case hex
  CertSink sink_;
  std::uint32_t next_id_ = 1;
  std::map<std::uint32_t, std::shared_ptr<Conn>> conns_;
};

}  // namespace

namespace {
ssl::context make_amt_client_tls(bool legacy) {
  ssl::context c(ssl::context::tls_client);
  c.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  c.set_verify_mode(ssl::verify_none);
  if (legacy) relax_for_legacy_amt(c.native_handle());
  return c;
}
}  // namespace

void allow_legacy_amt_tls(bool allow) { legacy_amt_tls = allow; }

void relax_for_legacy_amt(SSL_CTX* ctx) {
  SSL_CTX_clear_options(ctx, SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1);
  SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
  // MeshCentral's list for its MPS without mpsHighSecurity, less 3DES (Sweet32).
  SSL_CTX_set_cipher_list(ctx, "HIGH:!aNULL:!eNULL:!EXPORT:!DES:!3DES:!RC4:!MD5:!PSK:!SRP:!CAMELLIA:@SECLEVEL=0");
}

bool is_protocol_version_error(const beast::error_code& ec) {
  if (ec.category() != asio::error::get_ssl_category()) return false;
  return is_protocol_version_error(static_cast<unsigned long>(ec.value()));
}

bool is_protocol_version_error(unsigned long openssl_error) {
  const int reason = ERR_GET_REASON(openssl_error);
  return reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_VERSION_TOO_LOW || reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
         reason == SSL_R_NO_PROTOCOLS_AVAILABLE || reason == SSL_R_WRONG_SSL_VERSION;
}

ssl::context& amt_client_tls() {
  static ssl::context modern = make_amt_client_tls(false);
  static ssl::context legacy = make_amt_client_tls(true);
  return legacy_amt_tls ? legacy : modern;
}

LanTarget lan_target(const nlohmann::json& node) {
  LanTarget t;
  const auto a = node.find("intelamt");
  if (a == node.end() || !a->is_object()) return t;
  t.host = accounts::text_of(*a, "host");
  t.uuid = accounts::text_of(*a, "uuid");
  if (const auto tls = a->find("tls"); tls != a->end()) t.tls = (tls->is_number() && tls->get<double>() == 1) || (tls->is_boolean() && tls->get<bool>());
  t.pin = accounts::text_of(*a, "hash");
  return t;
}

bool certificate_matches(const std::string& pin, std::span<const unsigned char> cert_der) {
  const std::string p = lower(pin);
  const EVP_MD* md = p.size() == 96 ? EVP_sha384() : p.size() == 64 ? EVP_sha256() : p.size() == 40 ? EVP_sha1() : nullptr;
  if (!md || cert_der.empty()) return false;
  const std::string want = digest_hex(cert_der, md);
  return want.size() == p.size() && CRYPTO_memcmp(p.data(), want.data(), want.size()) == 0;
}

void quick_ack(tcp::socket& s) {
  const int one = 1;
  ::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

PinVerdict check_pin(std::string& pin, std::span<const unsigned char> cert_der, std::string& sha384) {
  sha384 = digest_hex(cert_der, EVP_sha384());
  const bool matches = certificate_matches(pin, cert_der);
  if (pin.empty() || (matches && pin.size() != sha384.size())) {
    pin = sha384;
    return PinVerdict::kPinned;
  }
  return matches ? PinVerdict::kMatches : PinVerdict::kRefused;
}

std::shared_ptr<CiraLink> make_tcp_link(asio::any_io_executor ex, std::string nodeid, LanTarget target, CertSink sink) {
  return std::make_shared<TcpLink>(std::move(ex), std::move(nodeid), std::move(target), std::move(sink));
}

}  // namespace mw::server::amt
