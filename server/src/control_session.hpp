// The browser's control channel (/control.ashx WebSocket): JSON messages with MeshCentral's action
// names. Sends "serverinfo" first; accounts, rights and the other actions come with the accounts
// issue. Writes are queued so a slow browser holds at most kMaxQueued messages.
#pragma once

#include <deque>
#include <memory>
#include <string>

#include "net.hpp"
#include "server_context.hpp"

namespace mw::server {

class ControlSession : public std::enable_shared_from_this<ControlSession> {
 public:
  using Stream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
  ControlSession(beast::ssl_stream<beast::tcp_stream> stream, const ServerContext& ctx, std::string peer);
  void run(http::request<http::string_body> upgrade);

 private:
  static constexpr std::size_t kMaxQueued = 256;
  void on_accept(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void send(std::string text);
  void do_write();

  Stream ws_;
  const ServerContext& ctx_;
  std::string peer_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
};

}  // namespace mw::server
