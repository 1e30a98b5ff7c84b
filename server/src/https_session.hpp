// One browser HTTPS connection: TLS handshake under a deadline, then HttpSession's request loop;
// /control.ashx upgrades become a ControlSession over the same TLS stream.
#pragma once

#include "http_session.hpp"
#include "tls_stream.hpp"

namespace mw::server {

class HttpsSession : public HttpSession<HttpsSession>, public std::enable_shared_from_this<HttpsSession> {
 public:
  HttpsSession(tcp::socket socket, const ServerContext& ctx);
  void run();

 private:
  friend class HttpSession<HttpsSession>;
  TlsStream& stream() { return stream_; }
  TlsStream& lowest() { return stream_; }
  bool tls() const { return true; }
  void do_close();
  void upgrade(http::request<http::string_body> req, const RequestInfo& info);

  TlsStream stream_;
};

// A web connection behind a TLS offloader (TlsOffload): plain HTTP, same routes.
class PlainHttpSession : public HttpSession<PlainHttpSession>, public std::enable_shared_from_this<PlainHttpSession> {
 public:
  PlainHttpSession(tcp::socket socket, const ServerContext& ctx);
  void run();

 private:
  friend class HttpSession<PlainHttpSession>;
  beast::tcp_stream& stream() { return stream_; }
  beast::tcp_stream& lowest() { return stream_; }
  bool tls() const { return false; }
  void do_close();
  void upgrade(http::request<http::string_body> req, const RequestInfo& info);

  beast::tcp_stream stream_;
};

}  // namespace mw::server
