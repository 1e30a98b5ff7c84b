// TlsPipe (tls_pipe.hpp).
#include "mw/native/tls_pipe.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>

namespace mw::native {

namespace {

// OpenSSL's first queued error, as text; the queue is cleared (it is per thread and shared).
std::string openssl_error(const char* fallback) {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return fallback;
  std::array<char, 256> text{};
  ERR_error_string_n(e, text.data(), text.size());
  return text.data();
}

}  // namespace

void TlsPipe::SslFree::operator()(SSL* s) const { SSL_free(s); }

TlsPipe::TlsPipe(SSL_CTX* ctx, Role role, const std::string& server_name) : ssl_(SSL_new(ctx)) {
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

std::size_t TlsPipe::ciphertext_buffered() const { return in_ ? BIO_ctrl_pending(in_) : 0; }

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
