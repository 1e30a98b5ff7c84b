// HTTPS session: handshake under a deadline, then a request loop with header/body caps and a
// per-request deadline (slow clients are dropped), responses written one at a time.
#include "https_session.hpp"

#include "control_session.hpp"
#include "http_responses.hpp"
#include "log.hpp"

namespace mw::server {

HttpsSession::HttpsSession(tcp::socket socket, const ServerContext& ctx)
    : stream_(std::move(socket), *ctx.tls), ctx_(ctx) {
  beast::error_code ec;
  const auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
  peer_ = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
}

void HttpsSession::run() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    beast::get_lowest_layer(self->stream_).expires_after(self->ctx_.limits.handshake_timeout);
    self->stream_.async_handshake(ssl::stream_base::server,
                                  [self](beast::error_code ec) { self->on_handshake(ec); });
  });
}

void HttpsSession::on_handshake(beast::error_code ec) {
  if (ec) {
    logger("web")->debug("{} TLS handshake failed: {}", peer_, ec.message());
    return;
  }
  do_read();
}

void HttpsSession::do_read() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(ctx_.limits.header_bytes));
  parser_->body_limit(ctx_.limits.body_bytes);
  beast::get_lowest_layer(stream_).expires_after(ctx_.limits.request_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void HttpsSession::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream) return do_close();
  if (ec == http::error::header_limit || ec == http::error::body_limit || ec == http::error::buffer_overflow) {
    const auto status = ec == http::error::body_limit ? http::status::payload_too_large
                                                      : http::status::request_header_fields_too_large;
    return send(text_response(status, 11, false, std::string(obsolete_reason(status)) + "\n"));
  }
  if (ec == beast::error::timeout) return do_close();
  if (ec) {
    // Malformed request line or headers: answer 400 and close, unless the peer is gone.
    if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
      return send(text_response(http::status::bad_request, 11, false, "Bad request\n"));
    }
    logger("web")->debug("{} read failed: {}", peer_, ec.message());
    return;
  }
  auto req = parser_->release();
  const std::string_view target(req.target().data(), req.target().size());
  if (websocket::is_upgrade(req)) {
    if (target.substr(0, target.find('?')) == "/control.ashx") {
      std::make_shared<ControlSession>(std::move(stream_), ctx_, peer_)->run(std::move(req));
      return;
    }
    return send(text_response(http::status::not_found, req.version(), false, "Not found\n"));
  }
  AnyResponse res = handle_https_request(req, ctx_);
  std::visit([&](auto& r) { send(std::move(r)); }, res);
}

template <typename Response>
void HttpsSession::send(Response&& res) {
  auto sp = std::make_shared<std::decay_t<Response>>(std::forward<Response>(res));
  add_security_headers(*sp, ctx_.settings, /*tls=*/true);
  pending_ = sp;
  const bool keep = sp->keep_alive();
  beast::get_lowest_layer(stream_).expires_after(ctx_.limits.request_timeout);
  http::async_write(stream_, *sp, [self = shared_from_this(), keep](beast::error_code ec, std::size_t n) {
    self->on_write(keep, ec, n);
  });
}

void HttpsSession::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
  pending_.reset();
  if (ec) return;
  if (!keep_alive) return do_close();
  do_read();
}

void HttpsSession::do_close() {
  beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
  stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
    beast::get_lowest_layer(self->stream_).close();
  });
}

}  // namespace mw::server
