// Common Boost.Asio/Beast aliases and the per-connection limits of the web listeners.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <chrono>
#include <cstddef>

namespace mw::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

// Limits of one HTTP(S) connection; every read has a deadline and every buffer a cap.
struct HttpLimits {
  std::size_t header_bytes = 16 * 1024;
  std::size_t body_bytes = 1024 * 1024;
  std::chrono::seconds handshake_timeout{15};
  std::chrono::seconds request_timeout{30};  // whole request, headers and body (slow clients)
  std::chrono::seconds idle_keepalive{60};
  std::size_t websocket_message_bytes = 1024 * 1024;
};

}  // namespace mw::server
