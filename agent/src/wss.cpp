// WSS client connections of the agent (wss.hpp).
#include "wss.hpp"

#include <openssl/ssl.h>

#include <boost/asio/use_awaitable.hpp>

namespace mw::agent {

std::unique_ptr<ssl::context> make_client_tls() {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_verify_mode(ssl::verify_none);  // identity is proven by the signed transcript
  return ctx;
}

asio::awaitable<Connected> connect_wss(ssl::context& tls, const proto::agent::Url& url, const std::string& target) {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(ex);
  const std::string port = std::to_string(url.port);  // (named: see agent.cpp on g++ 12)
  const auto endpoints = co_await resolver.async_resolve(url.host, port, asio::use_awaitable);
  auto ws = std::make_unique<Wss>(ex, tls);
  auto& tcp = beast::get_lowest_layer(*ws);
  tcp.expires_after(std::chrono::seconds(15));
  co_await tcp.async_connect(endpoints, asio::use_awaitable);
  tcp.socket().set_option(asio::ip::tcp::no_delay(true));
  // SNI, so a server with per-domain certificates presents the right one.
  SSL_set_tlsext_host_name(ws->next_layer().native_handle(), url.host.c_str());
  co_await ws->next_layer().async_handshake(ssl::stream_base::client, asio::use_awaitable);
  X509* peer = SSL_get1_peer_certificate(ws->next_layer().native_handle());
  if (!peer) throw std::runtime_error("the server presented no TLS certificate");
  Connected c;
  c.tls_cert_hash = certificate_hash(peer);
  X509_free(peer);
  tcp.expires_never();
  websocket::stream_base::timeout t = websocket::stream_base::timeout::suggested(beast::role_type::client);
  t.idle_timeout = std::chrono::seconds(120);
  t.keep_alive_pings = true;  // a dead server is noticed within two minutes
  ws->set_option(t);
  ws->read_message_max(proto::agent::kMaxMessage);
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port != 443) host += ":" + std::to_string(url.port);
  co_await ws->async_handshake(host, target, asio::use_awaitable);
  c.ws = std::move(ws);
  co_return c;
}

}  // namespace mw::agent
