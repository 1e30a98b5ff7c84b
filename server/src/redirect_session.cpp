// Redirect session: reads one request at a time (headers only, capped, under a deadline) and
// answers 301 with the HTTPS location.
#include "redirect_session.hpp"

#include "acme/acme.hpp"
#include "http_responses.hpp"

namespace mw::server {

std::string https_location(std::string_view host, std::string_view target, int port, std::string_view fallback_host) {
  std::string_view name = host.empty() ? fallback_host : host;
  // Strip the port of the Host header: "[::1]:80" -> "[::1]", "example.com:80" -> "example.com".
  if (!name.empty() && name.front() == '[') {
    const auto close = name.find(']');
    if (close != std::string_view::npos) name = name.substr(0, close + 1);
  } else if (const auto colon = name.find(':'); colon != std::string_view::npos) {
    name = name.substr(0, colon);
  }
  // A Host header with characters outside a host name is not reflected into the Location.
  if (name.empty() || name.find_first_of("/\\@?#\r\n \t") != std::string_view::npos) name = fallback_host;
  if (target.empty() || target.front() != '/') target = "/";
  std::string loc = "https://";
  loc += name;
  if (port != 443) loc += ":" + std::to_string(port);
  loc += target;
  return loc;
}

RedirectSession::RedirectSession(tcp::socket socket, const ServerContext& ctx, int https_port)
    : stream_(std::move(socket)), ctx_(ctx), https_port_(https_port) {}

void RedirectSession::run() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
}

void RedirectSession::do_read() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(ctx_.limits.header_bytes));
  parser_->body_limit(0);
  stream_.expires_after(ctx_.limits.request_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void RedirectSession::on_read(beast::error_code ec) {
  if (ec) {
    if (ec != http::error::end_of_stream && ec != beast::error::timeout && ec != asio::error::connection_reset &&
        ec != asio::error::eof) {
      auto res = std::make_shared<StringResponse>(text_response(http::status::bad_request, 11, false, "Bad request\n"));
      add_security_headers(*res, ctx_.settings.default_domain(), false);
      pending_ = res;
      http::async_write(stream_, *res, [self = shared_from_this()](beast::error_code, std::size_t) {
        self->stream_.socket().shutdown(tcp::socket::shutdown_send);
      });
    }
    return;
  }
  const auto& req = parser_->get();
  const std::string_view target(req.target().data(), req.target().size());
  // ACME HTTP-01 (Let's Encrypt checks port 80 over plain HTTP): the answer for an open order, then
  // the connection closes; anything else is redirected to HTTPS.
  constexpr std::string_view kAcme = "/.well-known/acme-challenge/";
  std::shared_ptr<StringResponse> res;
  bool keep = req.keep_alive();
  if (ctx_.acme_challenges && target.substr(0, kAcme.size()) == kAcme) {
    std::string_view token = target.substr(kAcme.size());
    token = token.substr(0, token.find('?'));
    const auto answer = ctx_.acme_challenges->find(std::string(token));
    keep = false;
    res = std::make_shared<StringResponse>(answer ? text_response(http::status::ok, req.version(), false, *answer)
                                                  : text_response(http::status::not_found, req.version(), false, "No such challenge\n"));
  } else {
    const auto host = req[http::field::host];
    const std::string location = https_location(std::string_view(host.data(), host.size()), target, https_port_, ctx_.info.name);
    res = std::make_shared<StringResponse>(
        text_response(http::status::moved_permanently, req.version(), keep, "Moved to " + location + "\n"));
    res->set(http::field::location, location);
  }
  add_security_headers(*res, ctx_.settings.default_domain(), false);
  pending_ = res;
  http::async_write(stream_, *res, [self = shared_from_this(), keep](beast::error_code wec, std::size_t) {
    self->pending_.reset();
    if (wec) return;
    if (keep) return self->do_read();
    self->stream_.socket().shutdown(tcp::socket::shutdown_send);
  });
}

}  // namespace mw::server
