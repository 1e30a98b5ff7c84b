// One browser HTTPS connection: TLS handshake, keep-alive request loop, static files and the
// server's small endpoints; a WebSocket upgrade on /control.ashx hands the stream to ControlSession.
#pragma once

#include <memory>
#include <optional>

#include "net.hpp"
#include "server_context.hpp"

namespace mw::server {

class HttpsSession : public std::enable_shared_from_this<HttpsSession> {
 public:
  HttpsSession(tcp::socket socket, const ServerContext& ctx);
  void run();

 private:
  void on_handshake(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  template <typename Response>
  void send(Response&& res);
  void on_write(bool keep_alive, beast::error_code ec, std::size_t bytes);
  void do_close();

  beast::ssl_stream<beast::tcp_stream> stream_;
  const ServerContext& ctx_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<void> pending_;  // the response being written
  std::string peer_;
};

}  // namespace mw::server
