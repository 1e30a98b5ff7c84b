// Test helper: a small synchronous HTTPS / WSS client (Boost.Beast) that verifies the server
// against a given root certificate and host name, as a browser would.
#pragma once

#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace mw::test {

using Response = boost::beast::http::response<boost::beast::http::string_body>;

struct ClientOptions {
  std::string root_pem;            // trust anchor; empty = no verification
  std::string host = "127.0.0.1";  // SNI and certificate name check
  std::vector<std::pair<std::string, std::string>> headers;
  std::string method = "GET";
  std::string body;
};

Response https_request(int port, const std::string& target, const ClientOptions& opts = {});
Response http_request(int port, const std::string& target, const ClientOptions& opts = {});
// Opens wss://127.0.0.1:port/target and returns the first `count` text messages received.
std::vector<std::string> wss_read(int port, const std::string& target, int count, const ClientOptions& opts = {});

// A WebSocket client over verified TLS for tests that talk back and forth.
class WssClient {
 public:
  WssClient(int port, const std::string& target, const ClientOptions& opts = {});
  ~WssClient();
  void send(const std::string& text);
  void send_binary(const std::string& bytes);
  // The next message (text or binary: last_was_binary()); throws on timeout or close.
  std::string read(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  bool last_was_binary() const { return last_binary_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool last_binary_ = false;
};

std::string read_text_file(const std::string& path);

}  // namespace mw::test
