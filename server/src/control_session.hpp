// The browser's control channel (/control.ashx WebSocket, over TLS or behind a TLS offloader):
// JSON messages with MeshCentral's action names. Sends "serverinfo" first; accounts, rights and
// the other actions come with the accounts work. Writes are queued so a slow browser holds at
// most kMaxQueued messages.
#pragma once

#include <deque>
#include <memory>
#include <string>

#include "net.hpp"
#include "request_info.hpp"
#include "server_context.hpp"

namespace mw::server {

template <class NextLayer>
class ControlSession : public std::enable_shared_from_this<ControlSession<NextLayer>> {
 public:
  ControlSession(NextLayer stream, const ServerContext& ctx, std::string peer, const RequestInfo& info);
  ~ControlSession();
  void run(http::request<http::string_body> upgrade);

 private:
  static constexpr std::size_t kMaxQueued = 256;
  void on_accept(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void send(std::string text);
  void do_write();

  websocket::stream<NextLayer> ws_;
  const ServerContext& ctx_;
  std::string peer_;
  const DomainSettings& domain_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
};

}  // namespace mw::server
