// The web certificate from Let's Encrypt or another ACME CA (config.json "letsencrypt"): kept in
// <data>/letsencrypt/ (cert.pem: the chain, key.pem), served on the web port once obtained
// (without a restart: new connections get it through the TLS context's certificate callback),
// renewed when less than 30 days are left (checked at start and every 12 hours). Until then the
// server uses its own certificate; a failed order is logged and tried again at the next check.
// Agents are not affected: they check the server by its agent certificate, not the web one.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <memory>
#include <thread>

#include "acme/acme.hpp"

namespace mw::server {
struct ServerContext;
}

namespace mw::server::acme {

class LetsEncrypt {
 public:
  LetsEncrypt(boost::asio::io_context& ioc, ServerContext& ctx, Settings settings);
  ~LetsEncrypt();
  LetsEncrypt(const LetsEncrypt&) = delete;
  LetsEncrypt& operator=(const LetsEncrypt&) = delete;

  // At start: serves a stored certificate that covers the names and is not near its end (true).
  bool load_stored();
  // Checks now and every 12 hours; orders a certificate when needed (on a worker thread).
  void start();
  Challenges& challenges() { return challenges_; }

  // Days left on `chain_pem`'s first certificate if it covers every name, else nullopt.
  static std::optional<int> days_left(const std::string& chain_pem, const std::vector<std::string>& names);

 private:
  void check();
  void install(const Certificate& c, const std::string& how);

  boost::asio::io_context& ioc_;
  ServerContext& ctx_;
  const Settings settings_;
  const std::filesystem::path folder_;
  Challenges challenges_;
  boost::asio::steady_timer timer_;
  std::atomic<bool> cancel_{false};
  std::atomic<bool> busy_{false};
  std::thread worker_;
};

}  // namespace mw::server::acme
