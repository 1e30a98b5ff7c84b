// The agent's WebSocket-over-TLS connections to the server (agent channel and relays). The TLS
// certificate is not checked against any PKI: the agent identifies the server by its pinned
// ServerID through a signed proof that also binds the SHA-384 of this connection's certificate
// (shared/proto/agent.hpp), and relay connections must present the very same certificate.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <memory>
#include <string>

#include "crypto.hpp"
#include "mw/proto/agent.hpp"

namespace mw::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
namespace websocket = beast::websocket;
using Wss = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

// A TLS 1.2+ client context that accepts any certificate (see above).
std::unique_ptr<ssl::context> make_client_tls();

struct Connected {
  std::unique_ptr<Wss> ws;
  Bytes tls_cert_hash;  // SHA-384 of the server's certificate on this connection
};

// Resolves, connects (15 s limit), handshakes TLS (with SNI) and WebSocket on `target`. Throws
// beast::system_error or std::runtime_error with what failed.
asio::awaitable<Connected> connect_wss(ssl::context& tls, const proto::agent::Url& url, const std::string& target);

}  // namespace mw::agent
