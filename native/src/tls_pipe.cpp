// TlsPipe (tls_pipe.hpp).
#include "mw/native/tls_pipe.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "mw/native/tls_records.hpp"
#include "mw/util/hex.hpp"

namespace mw::native {

namespace {

// The SSL ex_data slot that points at a detachable pipe (for the key-log callback).
int pipe_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

struct TlsPipe::Secrets {
  std::array<std::uint8_t, 48> client{}, server{};
  std::size_t client_len = 0, server_len = 0;
};

void TlsPipe::SecretsFree::operator()(Secrets* s) const {
  OPENSSL_cleanse(s, sizeof *s);
  delete s;
}

// OpenSSL's first queued error, as text; the queue is cleared (it is per thread and shared).
std::string TlsPipe::openssl_error(const char* fallback) {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return fallback;
  if (error_code_ == 0) error_code_ = e;
  std::array<char, 256> text{};
  ERR_error_string_n(e, text.data(), text.size());
  return text.data();
}

void TlsPipe::SslFree::operator()(SSL* s) const { SSL_free(s); }

void TlsPipe::allow_detach(SSL_CTX* ctx) {
  pipe_index();
  SSL_CTX_set_keylog_callback(ctx, &TlsPipe::keylog);
}

// "CLIENT_TRAFFIC_SECRET_0 <client random> <secret>" (NSS key log format), hex. Only the first
// application traffic secrets are kept, and only by a pipe that asked for them.
void TlsPipe::keylog(const SSL* ssl, const char* line) {
  auto* pipe = static_cast<TlsPipe*>(SSL_get_ex_data(ssl, pipe_index()));
  if (!pipe || !pipe->secrets_) return;
  const std::string_view text(line);
  std::array<std::uint8_t, 48>* out = nullptr;
  std::size_t* out_len = nullptr;
  if (text.rfind("CLIENT_TRAFFIC_SECRET_0 ", 0) == 0) {
    out = &pipe->secrets_->client;
    out_len = &pipe->secrets_->client_len;
  } else if (text.rfind("SERVER_TRAFFIC_SECRET_0 ", 0) == 0) {
    out = &pipe->secrets_->server;
    out_len = &pipe->secrets_->server_len;
  } else {
    return;
  }
  auto secret = util::hex_decode(text.substr(text.rfind(' ') + 1));
  if (!secret || secret.value().size() > out->size()) return;
  std::copy(secret.value().begin(), secret.value().end(), out->begin());
  *out_len = secret.value().size();
  OPENSSL_cleanse(secret.value().data(), secret.value().size());
}

TlsPipe::TlsPipe(SSL_CTX* ctx, Role role, const std::string& server_name, bool detachable)
    : ssl_(SSL_new(ctx)), role_(role), detachable_(detachable) {
  if (!ssl_) {
    fail(openssl_error("cannot create a TLS connection"));
    return;
  }
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (!in_ || !out_) {
    BIO_free(in_);
    BIO_free(out_);
    in_ = out_ = nullptr;
    fail("out of memory");
    return;
  }
  // An empty input BIO means "more to come", not end of stream.
  BIO_set_mem_eof_return(in_, -1);
  SSL_set_bio(ssl_.get(), in_, out_);
  if (role == Role::kClient) {
    SSL_set_connect_state(ssl_.get());
    if (!server_name.empty()) SSL_set_tlsext_host_name(ssl_.get(), server_name.c_str());
  } else {
    SSL_set_accept_state(ssl_.get());
  }
  if (detachable_) {
    secrets_.reset(new Secrets);
    SSL_set_ex_data(ssl_.get(), pipe_index(), this);
    // TLS 1.3 tickets would be records under the new keys after the handshake.
    SSL_set_num_tickets(ssl_.get(), 0);
  }
}

TlsPipe::~TlsPipe() = default;

void TlsPipe::fail(const std::string& what) {
  if (state_ == State::kFailed) return;
  state_ = State::kFailed;
  error_ = what;
  pending_.clear();
  pending_.shrink_to_fit();
}

void TlsPipe::start() {
  if (state_ == State::kHandshake) advance();
}

void TlsPipe::advance() {
  if (state_ != State::kHandshake || !ssl_) return;
  ERR_clear_error();
  const int r = SSL_do_handshake(ssl_.get());
  if (r == 1) {
    state_ = State::kOpen;
    flush_pending();
    return;
  }
  const int err = SSL_get_error(ssl_.get(), r);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
  fail("TLS handshake: " + openssl_error("the peer ended it"));
}

void TlsPipe::feed(std::span<const std::uint8_t> ciphertext) {
  if (ciphertext.empty() || !in_ || state_ == State::kFailed || peer_closed_) return;
  if (detachable_) {
    // One record at a time while the handshake lasts; what follows it is held for detach().
    staged_.insert(staged_.end(), ciphertext.begin(), ciphertext.end());
    while (state_ == State::kHandshake && staged_.size() >= 5) {
      // Not a TLS record header (an SSLv2-style hello, an HTTP request): OpenSSL judges it all.
      const bool record = staged_[0] >= 20 && staged_[0] <= 23 && staged_[1] == 3;
      const std::size_t n = record ? 5 + ((std::size_t{staged_[3]} << 8) | staged_[4]) : staged_.size();
      if (staged_.size() < n) break;
      if (BIO_write(in_, staged_.data(), static_cast<int>(n)) != static_cast<int>(n)) return fail("out of memory");
      staged_.erase(staged_.begin(), staged_.begin() + static_cast<std::ptrdiff_t>(n));
      advance();
    }
    if (staged_.empty()) staged_.shrink_to_fit();
    return;
  }
  if (BIO_write(in_, ciphertext.data(), static_cast<int>(ciphertext.size())) != static_cast<int>(ciphertext.size())) {
    return fail("out of memory");
  }
  advance();
}

std::size_t TlsPipe::read(std::vector<std::uint8_t>& out, std::size_t max) {
  if (!ssl_ || max == 0 || peer_closed_ || (state_ != State::kOpen && state_ != State::kClosed)) return 0;
  const std::size_t start = out.size();
  out.resize(start + max);
  std::size_t got = 0;
  while (got < max) {
    ERR_clear_error();
    std::size_t n = 0;
    const int r = SSL_read_ex(ssl_.get(), out.data() + start + got, max - got, &n);
    if (r == 1) {
      got += n;
      continue;
    }
    const int err = SSL_get_error(ssl_.get(), r);
    if (err == SSL_ERROR_ZERO_RETURN) {
      peer_closed_ = true;
    } else if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
      fail("TLS: " + openssl_error("the connection broke"));
    }
    break;
  }
  out.resize(start + got);
  return got;
}

void TlsPipe::write(std::span<const std::uint8_t> plaintext) {
  if (plaintext.empty()) return;
  if (state_ == State::kHandshake) {
    pending_.insert(pending_.end(), plaintext.begin(), plaintext.end());
    return;
  }
  if (state_ != State::kOpen) return;
  std::size_t done = 0;
  while (done < plaintext.size()) {
    ERR_clear_error();
    std::size_t n = 0;
    if (SSL_write_ex(ssl_.get(), plaintext.data() + done, plaintext.size() - done, &n) != 1) {
      return fail("TLS: " + openssl_error("cannot write"));
    }
    done += n;
  }
}

void TlsPipe::flush_pending() {
  if (pending_.empty()) return;
  std::vector<std::uint8_t> p = std::move(pending_);
  pending_.clear();
  write(p);
}

void TlsPipe::close() {
  if (state_ == State::kFailed || state_ == State::kClosed || !ssl_) return;
  if (state_ == State::kOpen) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());  // queues close_notify; the peer's is not waited for
    ERR_clear_error();
  }
  state_ = State::kClosed;
  pending_.clear();
}

std::vector<std::uint8_t> TlsPipe::take_output() {
  std::vector<std::uint8_t> bytes;
  if (!out_) return bytes;
  const std::size_t n = BIO_ctrl_pending(out_);
  if (n == 0) return bytes;
  bytes.resize(n);
  const int r = BIO_read(out_, bytes.data(), static_cast<int>(n));
  bytes.resize(r > 0 ? static_cast<std::size_t>(r) : 0);
  return bytes;
}

std::size_t TlsPipe::ciphertext_buffered() const { return (in_ ? BIO_ctrl_pending(in_) : 0) + staged_.size(); }

void TlsPipe::release_staged() {
  detachable_ = false;
  secrets_.reset();
  if (staged_.empty() || !in_) return;
  const std::vector<std::uint8_t> rest = std::move(staged_);
  staged_ = {};
  if (BIO_write(in_, rest.data(), static_cast<int>(rest.size())) != static_cast<int>(rest.size())) fail("out of memory");
}

std::unique_ptr<TlsHandover> TlsPipe::detach() {
  if (!detachable_ || state_ != State::kOpen || !ssl_) {
    release_staged();
    return nullptr;
  }
  auto rec = handover();
  if (!rec) {
    release_staged();
    return nullptr;
  }
  rec->output = take_output();
  rec->unread = std::move(staged_);
  staged_ = {};
  secrets_.reset();
  ssl_.reset();  // frees the BIOs too
  in_ = out_ = nullptr;
  state_ = State::kDetached;
  return rec;
}

// The record layer's parameters, from OpenSSL's view of the finished handshake.
std::unique_ptr<TlsHandover> TlsPipe::handover() {
  SSL* s = ssl_.get();
  // Everything OpenSSL was given has been processed (records went in one at a time).
  if (BIO_ctrl_pending(in_) != 0 || SSL_has_pending(s) != 0 || !SSL_is_init_finished(s)) return nullptr;
  const SSL_CIPHER* cipher = SSL_get_current_cipher(s);
  if (!cipher) return nullptr;
  TlsRecords::Params p;
  switch (SSL_CIPHER_get_cipher_nid(cipher)) {
    case NID_aes_128_gcm: p.aead = TlsRecords::Aead::kAes128Gcm; break;
    case NID_aes_256_gcm: p.aead = TlsRecords::Aead::kAes256Gcm; break;
    case NID_chacha20_poly1305: p.aead = TlsRecords::Aead::kChaCha20Poly1305; break;
    default: return nullptr;
  }
  const EVP_MD* md = SSL_CIPHER_get_handshake_digest(cipher);
  const int hash_len = md ? EVP_MD_get_size(md) : 0;
  if (hash_len != 32 && hash_len != 48) return nullptr;
  p.hash_len = static_cast<std::uint8_t>(hash_len);
  p.is_client = role_ == Role::kClient;
  SSL_SESSION* session = SSL_get_session(s);
  if (!session) return nullptr;
  const std::uint8_t mfl = SSL_SESSION_get_max_fragment_length(session);
  if (mfl >= TLSEXT_max_fragment_length_512 && mfl <= TLSEXT_max_fragment_length_4096) {
    p.max_fragment = static_cast<std::uint16_t>(512u << (mfl - 1));
  }
  TlsRecords::Keys client, server;
  bool ok = false;
  if (SSL_version(s) == TLS1_3_VERSION) {
    p.version = TlsRecords::Version::kTls13;
    ok = secrets_ && secrets_->client_len == std::size_t(hash_len) && secrets_->server_len == std::size_t(hash_len) &&
         TlsRecords::derive_tls13(p.aead, std::span<const std::uint8_t>(secrets_->client.data(), secrets_->client_len), client) &&
         TlsRecords::derive_tls13(p.aead, std::span<const std::uint8_t>(secrets_->server.data(), secrets_->server_len), server);
    // Both Finished messages were handshake records: application data starts at 0.
  } else if (SSL_version(s) == TLS1_2_VERSION) {
    p.version = TlsRecords::Version::kTls12;
    std::array<std::uint8_t, 48> master{};
    std::array<std::uint8_t, 32> server_random{}, client_random{};
    const std::size_t master_len = SSL_SESSION_get_master_key(session, master.data(), master.size());
    ok = SSL_get_server_random(s, server_random.data(), 32) == 32 && SSL_get_client_random(s, client_random.data(), 32) == 32 &&
         TlsRecords::derive_tls12(p.aead, p.hash_len, std::span<const std::uint8_t>(master.data(), master_len), server_random,
                                  client_random, client, server);
    OPENSSL_cleanse(master.data(), master.size());
  }
  std::unique_ptr<TlsHandover> rec;
  if (ok) {
    p.read = role_ == Role::kServer ? client : server;
    p.write = role_ == Role::kServer ? server : client;
    rec = std::make_unique<TlsHandover>();
    rec->params = p;
  }
  OPENSSL_cleanse(&client, sizeof client);
  OPENSSL_cleanse(&server, sizeof server);
  OPENSSL_cleanse(&p.read, sizeof p.read);
  OPENSSL_cleanse(&p.write, sizeof p.write);
  return rec;
}

std::vector<std::uint8_t> TlsPipe::peer_certificate() const {
  std::vector<std::uint8_t> der;
  if (!ssl_) return der;
  X509* cert = SSL_get1_peer_certificate(ssl_.get());
  if (!cert) return der;
  unsigned char* p = nullptr;
  const int len = i2d_X509(cert, &p);
  X509_free(cert);
  if (len > 0) der.assign(p, p + len);
  OPENSSL_free(p);
  return der;
}

std::string TlsPipe::protocol() const {
  if (!ssl_ || state_ == State::kHandshake || !SSL_is_init_finished(ssl_.get())) return {};
  return SSL_get_version(ssl_.get());
}

}  // namespace mw::native
