// TlsStream: see tls_stream.hpp for the design.
#include "tls_stream.hpp"

#include <sys/socket.h>

namespace mw::server {

namespace {

// The write side's BIO: appends records to the Impl's string. Flush succeeds (nothing is held).
int out_write(BIO* b, const char* data, int len) {
  static_cast<std::string*>(BIO_get_data(b))->append(data, static_cast<std::size_t>(len));
  return len;
}
long out_ctrl(BIO* b, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_WPENDING:
    case BIO_CTRL_PENDING:
      return static_cast<long>(static_cast<std::string*>(BIO_get_data(b))->size());
    default:
      return 0;
  }
}
int out_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}
BIO_METHOD* out_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "meshwork-tls-out");
    if (m == nullptr || BIO_meth_set_write(m, out_write) != 1 || BIO_meth_set_ctrl(m, out_ctrl) != 1 ||
        BIO_meth_set_create(m, out_create) != 1)
      throw std::bad_alloc();
    return m;
  }();
  return method;
}

}  // namespace

TlsStream::Impl::Impl(tcp::socket s, ssl::context& ctx)
    : socket(std::move(s)), deadline(socket.get_executor()), ssl(SSL_new(ctx.native_handle())) {
  if (!ssl) throw beast::system_error(beast::error_code(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category()));
  // OpenSSL reads the descriptor itself, so it must never block the I/O thread.
  beast::error_code ec;
  socket.non_blocking(true, ec);
  BIO* rbio = BIO_new_socket(static_cast<int>(socket.native_handle()), BIO_NOCLOSE);
  BIO* wbio = BIO_new(out_method());
  if (!rbio || !wbio) {
    BIO_free(rbio);
    BIO_free(wbio);
    throw std::bad_alloc();
  }
  BIO_set_data(wbio, &out);
  SSL_set_bio(ssl.get(), rbio, wbio);
  SSL_set_mode(ssl.get(), SSL_MODE_RELEASE_BUFFERS);
  SSL_set_read_ahead(ssl.get(), 1);
  SSL_set_default_read_buffer_len(ssl.get(), kReadBuffer);
}

void TlsStream::Impl::send_output_now() {
  if (writing || out.empty()) return;
  std::size_t sent = 0;
  while (sent < out.size()) {
    const ssize_t n = ::send(socket.native_handle(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  if (sent == out.size()) {
    out = std::string();
  } else {
    out.erase(0, sent);  // the socket is full: the next write sends the rest first
  }
}

beast::error_code TlsStream::Impl::ssl_error(int ret) {
  const int saved_errno = errno;
  const int err = SSL_get_error(ssl.get(), ret);
  if (err == SSL_ERROR_ZERO_RETURN) return asio::error::eof;
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e != 0) {
    if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) return ssl::error::stream_truncated;
    return {static_cast<int>(e), asio::error::get_ssl_category()};
  }
  if (err == SSL_ERROR_SYSCALL && saved_errno != 0 && ret != 0)
    return {saved_errno, boost::system::system_category()};
  return ssl::error::stream_truncated;
}

TlsStream::StepResult TlsStream::HandshakeStep::operator()(Impl& impl) {
  if (!began) {
    began = true;
    if (type == ssl::stream_base::server) {
      SSL_set_accept_state(impl.ssl.get());
    } else {
      SSL_set_connect_state(impl.ssl.get());
    }
  }
  ERR_clear_error();
  const int r = SSL_do_handshake(impl.ssl.get());
  if (r == 1) return {};
  const int err = SSL_get_error(impl.ssl.get(), r);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return {Next::wait_read, {}, 0};
  return {Next::done, impl.ssl_error(r), 0};
}

TlsStream::StepResult TlsStream::ShutdownStep::operator()(Impl& impl) const {
  if (SSL_is_init_finished(impl.ssl.get()) == 0) return {};
  ERR_clear_error();
  const int r = SSL_shutdown(impl.ssl.get());  // 0: our close_notify is out, theirs not awaited
  if (r >= 0) return {};
  const int err = SSL_get_error(impl.ssl.get(), r);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return {};
  return {Next::done, impl.ssl_error(r), 0};
}

TlsStream::TlsStream(tcp::socket socket, ssl::context& ctx) : impl_(std::make_shared<Impl>(std::move(socket), ctx)) {}

void TlsStream::expires_after(std::chrono::steady_clock::duration d) {
  impl_->timed_out = false;
  impl_->deadline.expires_after(d);
  impl_->deadline.async_wait([weak = std::weak_ptr<Impl>(impl_)](beast::error_code ec) {
    if (ec) return;
    const auto impl = weak.lock();
    if (!impl || impl->deadline.expiry() > std::chrono::steady_clock::now()) return;  // gone or re-armed
    impl->timed_out = true;
    beast::error_code ignored;
    impl->socket.cancel(ignored);
  });
}

void TlsStream::expires_never() {
  impl_->timed_out = false;
  impl_->deadline.expires_at(asio::steady_timer::time_point::max());
}

void TlsStream::close() {
  beast::error_code ignored;
  impl_->deadline.cancel();
  impl_->socket.close(ignored);
}

void TlsStream::shutdown_and_close() {
  if (SSL_is_init_finished(impl_->ssl.get()) != 0) {
    ERR_clear_error();
    SSL_shutdown(impl_->ssl.get());
    impl_->send_output_now();
  }
  close();
}

void teardown(beast::role_type, TlsStream& stream, beast::error_code& ec) {
  ec = {};
  stream.shutdown_and_close();
}

}  // namespace mw::server
