// HTTPS and offloaded-HTTP sessions: connection set-up and tear-down around HttpSession's loop.
#include "https_session.hpp"

#include "agents/agent_session.hpp"
#include "agents/mesh_relay.hpp"
#include "peers/peering.hpp"
#include "amt/amt_relay.hpp"

#include "control_session.hpp"
#include "files/server_files.hpp"

namespace mw::server {

std::string peer_address(const tcp::socket& socket, std::string* ip_only) {
  beast::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (ec) {
    if (ip_only) *ip_only = "";
    return "?";
  }
  auto addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  if (ip_only) *ip_only = addr.to_string();
  return addr.to_string() + ":" + std::to_string(ep.port());
}

namespace {
std::string ip_of(const tcp::socket& s) {
  std::string ip;
  peer_address(s, &ip);
  return ip;
}
}  // namespace

HttpsSession::HttpsSession(tcp::socket socket, const ServerContext& ctx)
    : HttpSession(ctx, ip_of(socket), peer_address(socket, nullptr)), stream_(std::move(socket), *ctx.tls) {}

void HttpsSession::run() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    self->lowest().expires_after(self->ctx_.limits.handshake_timeout);
    self->stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
      if (ec) {
        logger("web")->debug("{} TLS handshake failed: {}", self->peer_, ec.message());
        return;
      }
      self->do_read();
    });
  });
}

void HttpsSession::do_close() {
  lowest().expires_after(std::chrono::seconds(5));
  stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->stream_.close(); });
}

void HttpsSession::upgrade(http::request<http::string_body> req, const RequestInfo& info) {
  if (info.path == "/amtrelay.ashx") return amt::start_amt_relay(std::move(stream_), ctx_, peer_, info, std::move(req));
  if (info.path == "/agent.ashx") return agents::start_agent_session(std::move(stream_), ctx_, peer_, info, std::move(req));
  if (info.path == "/meshrelay.ashx") return agents::start_mesh_relay(std::move(stream_), ctx_, peer_, info, std::move(req));
  if (info.path == "/meshserver.ashx" && ctx_.peering) return peers::start_peer_session(std::move(stream_), ctx_, peer_, info, std::move(req));
  if (info.path == "/serverfiles.ashx") return files::start_server_files(std::move(stream_), ctx_, peer_, info, std::move(req));
  std::make_shared<ControlSession<TlsStream>>(std::move(stream_), ctx_, peer_, info)
      ->run(std::move(req));
}

PlainHttpSession::PlainHttpSession(tcp::socket socket, const ServerContext& ctx)
    : HttpSession(ctx, ip_of(socket), peer_address(socket, nullptr)), stream_(std::move(socket)) {}

void PlainHttpSession::run() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
}

void PlainHttpSession::do_close() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
}

void PlainHttpSession::upgrade(http::request<http::string_body> req, const RequestInfo& info) {
  if (info.path == "/amtrelay.ashx") return amt::start_amt_relay(std::move(stream_), ctx_, peer_, info, std::move(req));
  if (info.path == "/agent.ashx") return agents::start_agent_session(std::move(stream_), ctx_, peer_, info, std::move(req));
  if (info.path == "/meshrelay.ashx") return agents::start_mesh_relay(std::move(stream_), ctx_, peer_, info, std::move(req));
  if (info.path == "/meshserver.ashx" && ctx_.peering) return peers::start_peer_session(std::move(stream_), ctx_, peer_, info, std::move(req));
  if (info.path == "/serverfiles.ashx") return files::start_server_files(std::move(stream_), ctx_, peer_, info, std::move(req));
  std::make_shared<ControlSession<beast::tcp_stream>>(std::move(stream_), ctx_, peer_, info)->run(std::move(req));
}

}  // namespace mw::server
