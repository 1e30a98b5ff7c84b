// Email verification and password reset by mail, as MeshCentral's user guide describes them ("Email
// Setup"): on when config.json has an "smtp" section, the server name (Cert) has a dot and the
// server is not in LAN mode (Settings::email_check).
//  - A new account confirms its address through a link before its first login; a user whose
//    address is not verified is shown "verify your email" instead of the app after the password
//    is checked, and can have the link sent again (or give an address first).
//  - "Forgot your password?" on the login page mails a link to a verified address; the link
//    opens a form for a new password (subject to PasswordRequirements). It works once: it names the
//    password it replaces (a digest of its salted hash), and a reset changes that.
// Links carry MeshCentral-style encrypted cookies (auth/cookie.hpp) under a key kept in the
// database (record "MailCookieEncryptionKey"), so they survive a restart; they are built with the
// configured server name (domain Dns or Cert), never with the request's Host header. Sending is
// rate-limited per client address and per mail address; the reset form answers the same whether
// or not the address belongs to an account.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "accounts/actions.hpp"
#include "accounts/service.hpp"
#include "http_responses.hpp"
#include "mail/mailer.hpp"

namespace mw::server::accounts {

class AccountMail {
 public:
  enum class Purpose { kVerify = 1, kReset = 2, kPending = 3 };
  struct Token {
    Purpose purpose = Purpose::kVerify;
    std::string userid;
    std::string email;
    std::string password_tag;  // kReset: a digest of the password hash the link replaces
  };
  // Link lifetimes, in minutes.
  static constexpr int kVerifyMinutes = 24 * 60;
  static constexpr int kResetMinutes = 60;
  static constexpr int kPendingMinutes = 15;

  AccountMail(const ServerContext& ctx, std::unique_ptr<mail::Mailer> mailer, std::vector<std::uint8_t> key);

  // The key record, created on first use ({_id: "MailCookieEncryptionKey", key: hex, time}).
  static mw::Result<std::vector<std::uint8_t>> load_or_create_key(store::Store& db);

  std::string token(Purpose purpose, const Json& user) const;
  // A valid token of `purpose` for a user of `domain`.
  std::optional<Token> check(std::string_view token, Purpose purpose, const std::string& domain) const;

  // Builds and queues the mail of `job` (verification or reset link) for a user of `domain`.
  void send(const MailJob& job, const DomainSettings& domain);
  // The https base URL of a domain's pages, from the configured names (Dns or Cert, public port).
  std::string base_url(const DomainSettings& domain) const;

  // Per client address and per mail address: false when sending now would exceed the limits
  // (3 mails, then waits doubling from a minute); `retry_after` gets the seconds to wait.
  bool allow(const std::string& client_ip, const std::string& email, int* retry_after);

  mail::Mailer& mailer() { return *mailer_; }

 private:
  const ServerContext& ctx_;
  std::unique_ptr<mail::Mailer> mailer_;
  std::vector<std::uint8_t> key_;
  Throttle throttle_{Throttle::Limits{3, std::chrono::seconds(60), std::chrono::seconds(3600), std::chrono::minutes(60), 100000}};
};

// The page shown instead of the app when a user's address is not verified yet: a form that
// (re)sends the link, with the address filled in (editable while unverified).
std::string verify_required_page(const ServerContext& ctx, const DomainSettings& d, const std::string& domain_path,
                                 const Json& user, const std::string& pending_token, const std::string& note);

// /checkmail (GET: the link; POST: the new password), /resetaccount and /sendverify (POST). True
// when the request was one of them; `respond` is then called once, possibly later on `ex`.
bool route_mail_request(const http::request<http::string_body>& req, const ServerContext& ctx, const RequestInfo& info,
                        boost::asio::any_io_executor ex, const std::function<void(AnyResponse)>& respond);

}  // namespace mw::server::accounts
