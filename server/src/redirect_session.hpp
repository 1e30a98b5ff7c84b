// The plain-HTTP listener on RedirPort: answers every request with 301 to the same path on HTTPS
// (the alias port when set), so browsers that type the bare host name land on the app.
#pragma once

#include <memory>
#include <optional>

#include "net.hpp"
#include "server_context.hpp"

namespace mw::server {

class RedirectSession : public std::enable_shared_from_this<RedirectSession> {
 public:
  RedirectSession(tcp::socket socket, const ServerContext& ctx, int https_port);
  void run();

 private:
  void do_read();
  void on_read(beast::error_code ec);

  beast::tcp_stream stream_;
  const ServerContext& ctx_;
  int https_port_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  std::shared_ptr<void> pending_;
};

// Location for a redirect of `target` requested with Host `host` to HTTPS on `port`.
std::string https_location(std::string_view host, std::string_view target, int port, std::string_view fallback_host);

}  // namespace mw::server
