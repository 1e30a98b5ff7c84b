// Synchronous Beast client for integration tests; every operation has a 20 s deadline.
#include "https_client.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <fstream>
#include <sstream>

namespace mw::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

std::unique_ptr<ssl::context> client_context(const ClientOptions& opts) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  if (!opts.root_pem.empty()) {
    ctx->add_certificate_authority(asio::buffer(opts.root_pem));
    ctx->set_verify_mode(ssl::verify_peer);
  } else {
    ctx->set_verify_mode(ssl::verify_none);
  }
  return ctx;
}

http::request<http::string_body> make_request(const std::string& target, const ClientOptions& opts, int port) {
  http::request<http::string_body> req{http::string_to_verb(opts.method), target, 11};
  req.set(http::field::host, opts.host + ":" + std::to_string(port));
  req.set(http::field::user_agent, "meshwork-test");
  for (const auto& [k, v] : opts.headers) req.set(k, v);
  if (!opts.body.empty()) {
    req.body() = opts.body;
    req.prepare_payload();
  }
  req.prepare_payload();
  return req;
}

}  // namespace

Response https_request(int port, const std::string& target, const ClientOptions& opts) {
  asio::io_context ioc;
  auto ctx = client_context(opts);
  beast::ssl_stream<beast::tcp_stream> stream(ioc, *ctx);
  if (!opts.root_pem.empty()) stream.set_verify_callback(ssl::host_name_verification(opts.host));
  SSL_set_tlsext_host_name(stream.native_handle(), opts.host.c_str());
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(20));
  beast::get_lowest_layer(stream).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  stream.handshake(ssl::stream_base::client);
  auto req = make_request(target, opts, port);
  http::write(stream, req);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  if (req.method() == http::verb::head) parser.skip(true);
  http::read(stream, buf, parser);
  beast::error_code ec;
  stream.shutdown(ec);
  return parser.release();
}

Response http_request(int port, const std::string& target, const ClientOptions& opts) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(20));
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  auto req = make_request(target, opts, port);
  http::write(stream, req);
  beast::flat_buffer buf;
  Response res;
  http::read(stream, buf, res);
  return res;
}

std::vector<std::string> wss_read(int port, const std::string& target, int count, const ClientOptions& opts) {
  asio::io_context ioc;
  auto ctx = client_context(opts);
  beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ioc, *ctx);
  if (!opts.root_pem.empty()) ws.next_layer().set_verify_callback(ssl::host_name_verification(opts.host));
  SSL_set_tlsext_host_name(ws.next_layer().native_handle(), opts.host.c_str());
  beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(20));
  beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  ws.next_layer().handshake(ssl::stream_base::client);
  ws.set_option(beast::websocket::stream_base::decorator([&opts](beast::websocket::request_type& req) {
    for (const auto& [k, v] : opts.headers) req.set(k, v);
  }));
  ws.handshake(opts.host + ":" + std::to_string(port), target);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    beast::flat_buffer buf;
    ws.read(buf);
    out.push_back(beast::buffers_to_string(buf.data()));
  }
  beast::error_code ec;
  ws.close(beast::websocket::close_code::normal, ec);
  return out;
}

struct WssClient::Impl {
  asio::io_context ioc;
  std::shared_ptr<ssl::context> ctx;
  std::unique_ptr<beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>>> ws;
  beast::flat_buffer buf;  // the pending read's
  bool reading = false, done = false;
  beast::error_code result;
};

WssClient::WssClient(int port, const std::string& target, const ClientOptions& opts) : impl_(std::make_unique<Impl>()) {
  impl_->ctx = client_context(opts);
  impl_->ws = std::make_unique<beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>>>(impl_->ioc, *impl_->ctx);
  auto& ws = *impl_->ws;
  if (!opts.root_pem.empty()) ws.next_layer().set_verify_callback(ssl::host_name_verification(opts.host));
  SSL_set_tlsext_host_name(ws.next_layer().native_handle(), opts.host.c_str());
  beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(20));
  beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  ws.next_layer().handshake(ssl::stream_base::client);
  ws.set_option(beast::websocket::stream_base::decorator([&opts](beast::websocket::request_type& req) {
    for (const auto& [k, v] : opts.headers) req.set(k, v);
  }));
  ws.handshake(opts.host + ":" + std::to_string(port), target);
}

WssClient::~WssClient() {
  beast::error_code ec;
  if (impl_->reading) {  // a read is pending: no closing handshake, just the connection
    beast::get_lowest_layer(*impl_->ws).socket().close(ec);
    return;
  }
  beast::get_lowest_layer(*impl_->ws).expires_after(std::chrono::seconds(2));
  impl_->ws->close(beast::websocket::close_code::normal, ec);
}

void WssClient::send(const std::string& text) {
  beast::get_lowest_layer(*impl_->ws).expires_after(std::chrono::seconds(20));
  impl_->ws->text(true);
  impl_->ws->write(asio::buffer(text));
}

void WssClient::send_binary(const std::string& bytes) {
  beast::get_lowest_layer(*impl_->ws).expires_after(std::chrono::seconds(20));
  impl_->ws->binary(true);
  impl_->ws->write(asio::buffer(bytes));
}

std::string WssClient::read(std::chrono::milliseconds timeout) {
  // One asynchronous read stays pending across calls: a call that times out leaves it running
  // (an expiring tcp_stream would close the connection instead), the next call goes on waiting.
  auto& r = *impl_;
  if (!r.reading) {
    beast::get_lowest_layer(*r.ws).expires_never();
    r.reading = true;
    r.done = false;
    r.buf.clear();
    r.ws->async_read(r.buf, [&r](beast::error_code ec, std::size_t) {
      r.done = true;
      r.result = ec;
    });
  }
  r.ioc.restart();
  r.ioc.run_for(timeout);
  if (!r.done) throw beast::system_error(beast::error::timeout);
  r.reading = false;
  if (r.result) throw beast::system_error(r.result);
  last_binary_ = r.ws->got_binary();
  return beast::buffers_to_string(r.buf.data());
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace mw::test
