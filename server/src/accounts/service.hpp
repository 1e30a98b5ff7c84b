// The accounts service shared by every connection: login (password, session cookie, login
// token), throttling of failed logins, session cookies and logout, the live event bus, and the
// small compute pool where password hashing runs so it never stalls an I/O thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "accounts/actions.hpp"
#include "accounts/event_bus.hpp"
#include "accounts/presence.hpp"
#include "settings.hpp"
#include "store/async_store.hpp"

namespace mw::server::accounts {

// Failed-login throttle by key (a client address, an account). After `free_failures` failures
// within `forget`, each further failure doubles the wait from `base` up to `max`. Bounded: at most
// `max_entries` keys (the oldest forgotten first).
class Throttle {
 public:
  using Clock = std::chrono::steady_clock;
  struct Limits {
    int free_failures = 5;
    std::chrono::seconds base{2};
    std::chrono::seconds max{300};
    std::chrono::minutes forget{15};
    std::size_t max_entries = 100000;
  };
  Throttle() = default;
  explicit Throttle(Limits limits) : limits_(limits) {}
  // Whole seconds to wait before the next attempt, or 0.
  int wait_seconds(const std::string& key, Clock::time_point now) const;
  void failure(const std::string& key, Clock::time_point now);
  void success(const std::string& key);

 private:
  struct Entry {
    int failures = 0;
    Clock::time_point last;
    Clock::time_point until;
  };
  Limits limits_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

DomainSettings const* find_domain(const Settings& s, const std::string& id);
ActionEnv env_for(const DomainSettings& d);

struct LoginResult {
  bool ok = false;
  std::string userid;
  std::string error;     // for people: "Invalid user name or password.", "Too many ... try again in 8 s."
  int retry_after = 0;   // seconds, when throttled
  Json user;             // the account's record, when ok (for the email verification check)
};

class Service {
 public:
  // `session_key`: SessionKey (any length) or empty for a random key per start.
  Service(const Settings& settings, store::AsyncStore& db, std::string session_key);
  ~Service();

  // Checks a user name and password of `domain` (off the I/O threads) and calls `done` on `ex`.
  void login(boost::asio::any_io_executor ex, const std::string& domain, const std::string& name,
             const std::string& password, const std::string& client_ip, std::function<void(LoginResult)> done);

  // Session cookies: value of the "xid" cookie for a logged-in user; the user id it names if it
  // is valid (ours, not expired, not logged out, for this domain).
  std::string make_session(const std::string& userid, const std::string& domain) const;
  std::optional<std::string> session_user(std::string_view cookie, const std::string& domain) const;
  // After session_user: `done` gets `userid` back only while the account exists and is not
  // locked (a cookie outlives neither a removal nor a lock).
  void check_account(boost::asio::any_io_executor ex, const std::string& userid,
                     std::function<void(std::optional<std::string>)> done) const;
  // Reads the logged-out sessions that have not expired yet (at start, before serving).
  void load_revocations(store::Store& db);
  void logout(std::string_view cookie);

  // A login token (?login=) minted with the database's LoginCookieEncryptionKey: the user id it
  // names when valid for `domain`. The key is read when first needed.
  void check_login_token(boost::asio::any_io_executor ex, const std::string& token, const std::string& domain,
                         std::function<void(std::optional<std::string>)> done);

  // Whether a domain is known to have accounts (then the login page offers no first-account
  // form without asking the database). Accounts are never all removed while the server runs: a
  // user cannot delete itself.
  bool known_to_have_users(const std::string& domain) const;
  void note_has_users(const std::string& domain);

  // Counters for /metrics.
  struct Counters {
    std::atomic<std::uint64_t> logins_ok{0}, logins_failed{0}, logins_throttled{0}, logins_repeat{0};
  };
  const Counters& counters() const { return counters_; }

  EventBus& bus() { return bus_; }
  PresenceTable& presence() { return presence_; }
  Throttle& ip_throttle() { return ip_throttle_; }
  store::AsyncStore& db() { return db_; }
  const Settings& settings() const { return settings_; }

 private:
  const Settings& settings_;
  store::AsyncStore& db_;
  std::vector<std::uint8_t> session_key_;
  EventBus bus_;
  PresenceTable presence_;
  Throttle ip_throttle_;
  Throttle account_throttle_{Throttle::Limits{10, std::chrono::seconds(5), std::chrono::seconds(900), std::chrono::minutes(60), 100000}};
  boost::asio::thread_pool compute_;
  mutable std::mutex mu_;
  Counters counters_;
  std::set<std::string> domains_with_users_;
  // Session id → expiry (s); pruned as they expire. Kept in the database too (record
  // "SessionRevocations"), so a cookie logged out stays refused after a restart with the same
  // SessionKey.
  std::map<std::string, std::int64_t> revoked_;
  std::vector<std::uint8_t> token_key_;          // empty until loaded

  // Recently verified passwords (scripts such as meshctrl log in for every command): per user,
  // HMAC-SHA-256 of the password under a key that lives only in this process, and the stored
  // hash it was checked against. A repeat login with the same password skips PBKDF2; a wrong
  // password never matches and still pays the full cost, so guessing is not made cheaper. An
  // entry dies after kVerifiedTtl or when the stored hash changes, and never outlives the
  // process. At most kVerifiedMax entries.
  static constexpr std::chrono::minutes kVerifiedTtl{10};
  static constexpr std::size_t kVerifiedMax = 10000;
  struct Verified {
    std::array<std::uint8_t, 32> mac;
    std::string stored_hash;
    std::chrono::steady_clock::time_point until;
  };
  std::array<std::uint8_t, 32> mac_of(std::string_view password) const;
  bool recently_verified(const std::string& uid, std::string_view password, const std::string& stored_hash);
  void remember_verified(const std::string& uid, std::string_view password, const std::string& stored_hash);
  std::array<std::uint8_t, 32> verify_key_{};
  std::mutex verified_mu_;
  std::map<std::string, Verified> verified_;
};

// Parses "Cookie:" header text for one cookie's value.
std::string cookie_value(std::string_view header, std::string_view name);

}  // namespace mw::server::accounts
