// The request loop shared by the HTTPS session and the plain-HTTP session used behind a TLS
// offloader (CRTP, as Beast's advanced_server_flex does): header/body caps, a deadline per
// request, one response in flight, routing through http_responses, WebSocket upgrades handed to
// the derived class. Derived provides stream(), lowest(), tls(), do_close() and upgrade().
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "accounts/login_routes.hpp"
#include "agents/agent_downloads.hpp"
#include "http_responses.hpp"
#include "log.hpp"
#include "net.hpp"
#include "request_info.hpp"
#include "server_context.hpp"

namespace mw::server {

template <class Derived>
class HttpSession {
 public:
  HttpSession(const ServerContext& ctx, std::string peer_ip, std::string peer)
      : ctx_(ctx), peer_ip_(std::move(peer_ip)), peer_(std::move(peer)) {}

 protected:
  Derived& derived() { return static_cast<Derived&>(*this); }

  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(ctx_.limits.header_bytes));
    parser_->body_limit(ctx_.limits.body_bytes);
    derived().lowest().expires_after(ctx_.limits.request_timeout);
    http::async_read(derived().stream(), buffer_, *parser_,
                     [self = derived().shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return derived().do_close();
    if (ec == http::error::header_limit || ec == http::error::body_limit || ec == http::error::buffer_overflow) {
      const auto status = ec == http::error::body_limit ? http::status::payload_too_large
                                                        : http::status::request_header_fields_too_large;
      drain_before_close_ = true;
      return send(text_response(status, 11, false, std::string(http::obsolete_reason(status)) + "\n"),
                  ctx_.settings.default_domain(), derived().tls());
    }
    if (ec == beast::error::timeout) return derived().do_close();
    if (ec) {
      // Malformed request line or headers: 400 and close, unless the peer is already gone.
      if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
        drain_before_close_ = true;
        return send(text_response(http::status::bad_request, 11, false, "Bad request\n"),
                    ctx_.settings.default_domain(), derived().tls());
      }
      logger("web")->debug("{} read failed: {}", peer_, ec.message());
      return;
    }
    auto req = parser_->release();
    ctx_.metrics.http_requests.fetch_add(1, std::memory_order_relaxed);
    const RequestInfo info = describe_request(req, ctx_.settings, peer_ip_, derived().tls());
    // Peer servers (peers/peering.hpp) carry no user either: they prove the group's key.
    const bool peer_socket = info.path == "/meshserver.ashx" && ctx_.peering;
    const bool agent_socket = info.path == "/agent.ashx" || peer_socket ||
                              (info.path == "/meshrelay.ashx" && req.target().find("nodeid=") == beast::string_view::npos);
    if (websocket::is_upgrade(req) &&
        (info.path == "/control.ashx" || info.path == "/amtrelay.ashx" || info.path == "/meshrelay.ashx" ||
         info.path == "/agent.ashx" || info.path == "/serverfiles.ashx" || peer_socket) &&
        !info.needs_slash_redirect) {
      // UserAllowedIP limits people, not agents (their sockets carry no user).
      if (!agent_socket && !ip_allowed(info.client_ip, info.domain->user_allowed_ip)) {
        logger("web")->info("{} {} refused: {} not in UserAllowedIP of domain \"{}\"", peer_, info.path,
                            info.client_ip, info.domain->id);
        return send(text_response(http::status::forbidden, req.version(), false, "Access denied from this address\n"),
                    *info.domain, info.secure);
      }
      return derived().upgrade(std::move(req), info);
    }
    // Login, logout, account creation and the gate before the app page (may answer later).
    if (accounts::route_account_request(
            req, ctx_, info, peer_ip_, derived().stream().get_executor(),
            [self = derived().shared_from_this(), domain = info.domain, secure = info.secure](AnyResponse res) {
              std::visit([&](auto& r) { self->send(std::move(r), *domain, secure); }, res);
            })) {
      return;
    }
    // Agent settings, binary and install script (may answer later).
    if (agents::route_agent_download(
            req, ctx_, info, derived().stream().get_executor(),
            [self = derived().shared_from_this(), domain = info.domain, secure = info.secure](AnyResponse res) {
              std::visit([&](auto& r) { self->send(std::move(r), *domain, secure); }, res);
            })) {
      return;
    }
    AnyResponse res = handle_request(req, ctx_, info, peer_ip_);
    std::visit([&](auto& r) { send(std::move(r), *info.domain, info.secure); }, res);
  }

  template <typename Response>
  void send(Response&& res, const DomainSettings& domain, bool secure) {
    auto sp = std::make_shared<std::decay_t<Response>>(std::forward<Response>(res));
    add_security_headers(*sp, domain, secure);
    pending_ = sp;
    const bool keep = sp->keep_alive();
    derived().lowest().expires_after(ctx_.limits.request_timeout);
    http::async_write(derived().stream(), *sp,
                      [self = derived().shared_from_this(), keep](beast::error_code ec, std::size_t) {
                        self->pending_.reset();
                        if (ec) return;
                        if (!keep) return self->drain_before_close_ ? self->drain_then_close() : self->do_close();
                        self->do_read();
                      });
  }

  // After an error answer the client may still be sending the rest of its request; closing with
  // unread input makes the kernel send RST, which can destroy the answer before the client reads
  // it. So read and discard (at most kDrainBytes, for at most kDrainTime), then close.
  void drain_then_close() {
    static constexpr std::size_t kDrainBytes = 1024 * 1024;
    static constexpr auto kDrainTime = std::chrono::seconds(2);
    if (drained_ == 0) derived().lowest().expires_after(kDrainTime);
    drain_buffer_.resize(16 * 1024);
    derived().stream().async_read_some(
        asio::buffer(drain_buffer_), [self = derived().shared_from_this()](beast::error_code ec, std::size_t n) {
          self->drained_ += n;
          if (ec || self->drained_ >= kDrainBytes) return self->do_close();
          self->drain_then_close();
        });
  }

  const ServerContext& ctx_;
  std::string peer_ip_;
  std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<void> pending_;  // the response being written
  bool drain_before_close_ = false;
  std::size_t drained_ = 0;
  std::vector<char> drain_buffer_;
};

// "address:port" of a connected socket, and its address alone.
std::string peer_address(const tcp::socket& socket, std::string* ip_only);

}  // namespace mw::server
