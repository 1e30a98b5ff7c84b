// Accounts service (service.hpp).
#include "accounts/service.hpp"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <boost/asio/post.hpp>

#include "accounts/rights.hpp"
#include "auth/cookie.hpp"
#include "auth/password.hpp"
#include "log.hpp"
#include "mw/util/hex.hpp"
#include "mw/util/sha256.hpp"

namespace mw::server::accounts {

namespace asio = boost::asio;

namespace {
std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
// Verifying against this when the account does not exist costs the same time as a real check,
// so response times do not tell which user names exist.
const std::string& dummy_hash() {
  static const std::string h = auth::hash_password("no such account");
  return h;
}
}  // namespace

// [SECTION] Throttle

int Throttle::wait_seconds(const std::string& key, Clock::time_point now) const {
  std::lock_guard lock(mu_);
  const auto it = entries_.find(key);
  if (it == entries_.end() || it->second.until <= now) return 0;
  return static_cast<int>(std::chrono::ceil<std::chrono::seconds>(it->second.until - now).count());
}

void Throttle::failure(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (entries_.size() >= limits_.max_entries && !entries_.count(key)) {
    // Forget the entry idle the longest.
    auto oldest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.last < oldest->second.last) oldest = it;
    }
    entries_.erase(oldest);
  }
  Entry& e = entries_[key];
  if (e.failures > 0 && now - e.last > limits_.forget) e.failures = 0;
  ++e.failures;
  e.last = now;
  if (e.failures > limits_.free_failures) {
    const int over = std::min(e.failures - limits_.free_failures - 1, 20);
    auto wait = limits_.base * (1LL << over);
    if (wait > limits_.max) wait = limits_.max;
    e.until = now + wait;
  }
}

void Throttle::success(const std::string& key) {
  std::lock_guard lock(mu_);
  entries_.erase(key);
}

// [SECTION] helpers

DomainSettings const* find_domain(const Settings& s, const std::string& id) {
  for (const auto& d : s.domains) {
    if (d.id == id) return &d;
  }
  return nullptr;
}

ActionEnv env_for(const DomainSettings& d) {
  ActionEnv env;
  env.domain = d.id;
  env.title = d.title;
  env.rules = PasswordRules{d.password_min, d.password_max, d.password_upper, d.password_lower, d.password_numeric, d.password_nonalpha};
  return env;
}

std::string cookie_value(std::string_view header, std::string_view name) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    auto end = header.find(';', pos);
    if (end == std::string_view::npos) end = header.size();
    auto part = header.substr(pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    pos = end + 1;
  }
  return {};
}

// [SECTION] Service

namespace {
constexpr const char* kRevocationsId = "SessionRevocations";
}  // namespace

Service::Service(const Settings& settings, store::AsyncStore& db, std::string session_key)
    : settings_(settings), db_(db), compute_(2) {
  if (session_key.empty()) {
    session_key_.resize(32);
    if (RAND_bytes(session_key_.data(), 32) != 1) throw std::runtime_error("RAND_bytes failed");
  } else {
    const auto k = util::sha256(session_key);
    session_key_.assign(k.begin(), k.end());
  }
  if (RAND_bytes(verify_key_.data(), static_cast<int>(verify_key_.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  // Made off the start path (it costs one full PBKDF2), before the first login needs it.
  asio::post(compute_, [] { (void)dummy_hash(); });
}

std::array<std::uint8_t, 32> Service::mac_of(std::string_view password) const {
  std::array<std::uint8_t, 32> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), verify_key_.data(), static_cast<int>(verify_key_.size()),
       reinterpret_cast<const unsigned char*>(password.data()), password.size(), out.data(), &len);
  return out;
}

bool Service::recently_verified(const std::string& uid, std::string_view password, const std::string& stored_hash) {
  const auto mac = mac_of(password);
  std::lock_guard lock(verified_mu_);
  const auto it = verified_.find(uid);
  if (it == verified_.end()) return false;
  if (it->second.until < std::chrono::steady_clock::now() || it->second.stored_hash != stored_hash) {
    verified_.erase(it);
    return false;
  }
  return CRYPTO_memcmp(mac.data(), it->second.mac.data(), mac.size()) == 0;
}

void Service::remember_verified(const std::string& uid, std::string_view password, const std::string& stored_hash) {
  const auto mac = mac_of(password);
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(verified_mu_);
  if (verified_.size() >= kVerifiedMax && !verified_.count(uid)) {
    for (auto it = verified_.begin(); it != verified_.end();) it = it->second.until < now ? verified_.erase(it) : std::next(it);
    if (verified_.size() >= kVerifiedMax) verified_.erase(verified_.begin());
  }
  verified_[uid] = Verified{mac, stored_hash, now + kVerifiedTtl};
}

Service::~Service() { compute_.join(); }

void Service::login(asio::any_io_executor ex, const std::string& domain, const std::string& name, const std::string& password,
                    const std::string& client_ip, std::function<void(LoginResult)> done) {
  const auto now = Throttle::Clock::now();
  const std::string uid = user_id(domain, name);
  const int wait = std::max(ip_throttle_.wait_seconds("ip:" + client_ip, now), account_throttle_.wait_seconds(uid, now));
  if (wait > 0) {
    LoginResult r;
    r.error = "Too many failed logins. Try again in " + std::to_string(wait) + " s.";
    r.retry_after = wait;
    counters_.logins_throttled.fetch_add(1, std::memory_order_relaxed);
    return asio::post(ex, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  }
  db_.run(ex, [uid](store::Store& s) { return s.get(uid); },
          [this, ex, uid, password, client_ip, done = std::move(done)](mw::Result<std::optional<Json>> rec) mutable {
            std::optional<Json> user;
            if (rec && rec.value()) user = *rec.value();
            asio::post(compute_, [this, ex, uid, password, client_ip, user = std::move(user), done = std::move(done)]() mutable {
              bool ok = false, legacy = false, cached = false;
              if (user && !user->contains("salt") && recently_verified(uid, password, text_of(*user, "hash"))) {
                ok = cached = true;
              } else if (!user) {
                auth::verify_password(password, dummy_hash());
              } else if (user->contains("salt")) {
                ok = legacy = auth::verify_meshcentral_password(password, text_of(*user, "salt"), text_of(*user, "hash"));
              } else {
                ok = auth::verify_password(password, text_of(*user, "hash"));
              }
              LoginResult r;
              const auto now2 = Throttle::Clock::now();
              if (ok && is_locked(*user)) {
                r.error = "This account is locked.";
              } else if (ok) {
                r.ok = true;
                r.userid = uid;
                r.user = *user;
                counters_.logins_ok.fetch_add(1, std::memory_order_relaxed);
                if (cached) counters_.logins_repeat.fetch_add(1, std::memory_order_relaxed);
                ip_throttle_.success("ip:" + client_ip);
                account_throttle_.success(uid);
                if (!legacy && !cached) remember_verified(uid, password, text_of(*user, "hash"));
                if (legacy || auth::needs_rehash(text_of(*user, "hash"))) {
                  // Imported MeshCentral hash or an older cost: store today's format.
                  Json updated = *user;
                  updated["hash"] = auth::hash_password(password);
                  updated.erase("salt");
                  db_.run(ex, [updated](store::Store& s) { return s.put(updated); }, [](store::Status) {});
                }
              } else {
                ip_throttle_.failure("ip:" + client_ip, now2);
                account_throttle_.failure(uid, now2);
                r.error = "Invalid user name or password.";
                counters_.logins_failed.fetch_add(1, std::memory_order_relaxed);
                logger("auth")->info("failed login for \"{}\" from {}", uid, client_ip);
              }
              asio::post(ex, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
            });
          });
}

bool Service::known_to_have_users(const std::string& domain) const {
  std::lock_guard lock(mu_);
  return domains_with_users_.count(domain) > 0;
}

void Service::note_has_users(const std::string& domain) {
  std::lock_guard lock(mu_);
  domains_with_users_.insert(domain);
}

std::string Service::make_session(const std::string& userid, const std::string& domain) const {
  std::array<std::uint8_t, 16> sid{};
  RAND_bytes(sid.data(), static_cast<int>(sid.size()));
  return auth::encode_cookie({{"u", userid}, {"d", domain}, {"a", "session"}, {"sid", util::hex_encode(sid)}}, session_key_, now_s());
}

std::optional<std::string> Service::session_user(std::string_view cookie, const std::string& domain) const {
  if (cookie.empty()) return std::nullopt;
  auto j = auth::decode_cookie(cookie, session_key_, now_s(), settings_.session_time_minutes);
  if (!j || !j->is_object()) return std::nullopt;
  const Json& c = j.value();
  auto text = [&c](const char* key) -> std::optional<std::string> {
    const auto it = c.find(key);
    if (it == c.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  // A login token or any other cookie made with the same key is not a session.
  if (text("a") != "session" || text("d") != domain || !text("u") || !text("sid")) return std::nullopt;
  {
    std::lock_guard lock(mu_);
    if (revoked_.count(*text("sid"))) return std::nullopt;
  }
  return c["u"].get<std::string>();
}

void Service::logout(std::string_view cookie) {
  auto j = auth::decode_cookie(cookie, session_key_, now_s(), settings_.session_time_minutes);
  if (!j || !j->is_object()) return;
  const std::int64_t now = now_s();
  std::lock_guard lock(mu_);
  // Forget revocations of sessions that have expired anyway; the list stays as small as the
  // number of logouts within one SessionTime.
  for (auto it = revoked_.begin(); it != revoked_.end();) {
    it = it->second < now ? revoked_.erase(it) : std::next(it);
  }
  const auto sid = j->find("sid");
  const auto time = j->find("time");
  if (sid == j->end() || !sid->is_string()) return;
  revoked_[sid->get<std::string>()] = (time != j->end() && time->is_number_integer() ? time->get<std::int64_t>() : now) +
                                      settings_.session_time_minutes * 60LL;
  // The whole list in one record (as small as the logouts within one SessionTime); the store's
  // single worker keeps the writes in order.
  Json doc{{"_id", kRevocationsId}, {"sessions", revoked_}};
  db_.run(compute_.get_executor(), [doc = std::move(doc)](store::Store& s) { return s.put(doc); },
          [](store::Status st) {
            if (!st) logger("accounts")->error("could not store a logout: {}", st.error().message);
          });
}

void Service::load_revocations(store::Store& db) {
  auto rec = db.get(kRevocationsId);
  if (!rec || !rec.value()) return;
  const auto it = rec.value()->find("sessions");
  if (it == rec.value()->end() || !it->is_object()) return;
  const std::int64_t now = now_s();
  std::lock_guard lock(mu_);
  for (const auto& [sid, expiry] : it->items()) {
    if (expiry.is_number_integer() && expiry.get<std::int64_t>() >= now) revoked_[sid] = expiry.get<std::int64_t>();
  }
}

void Service::check_account(boost::asio::any_io_executor ex, const std::string& userid,
                            std::function<void(std::optional<std::string>)> done) const {
  db_.run(ex,
          [uid = userid](store::Store& s) -> std::optional<std::string> {
            auto user = s.get(uid);
            if (!user || !user.value() || is_locked(*user.value())) return std::nullopt;
            return uid;
          },
          std::move(done));
}

void Service::check_login_token(asio::any_io_executor ex, const std::string& token, const std::string& domain,
                                std::function<void(std::optional<std::string>)> done) {
  db_.run(ex,
          [token, domain](store::Store& s) -> std::optional<std::string> {
            auto rec = s.get("LoginCookieEncryptionKey");
            if (!rec || !rec.value()) return std::nullopt;
            auto key = util::hex_decode(rec.value()->value("key", ""));
            if (!key || key->size() < 32) return std::nullopt;
            auto j = auth::decode_cookie(token, *key, now_s(), 60);
            if (!j || !j->is_object() || !j->contains("u") || !(*j)["u"].is_string()) return std::nullopt;
            const std::string uid = (*j)["u"].get<std::string>();
            if (domain_of(uid) != domain) return std::nullopt;
            auto user = s.get(uid);
            if (!user || !user.value()) return std::nullopt;  // removed since the token was made
            const auto rights = site_rights(*user.value());
            if (has_all(rights, site_right::kLocked) && rights != site_right::kFull) return std::nullopt;
            return uid;
          },
          std::move(done));
}

}  // namespace mw::server::accounts
