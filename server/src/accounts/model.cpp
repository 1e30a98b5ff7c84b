// Accounts model rules (model.hpp).
#include "accounts/model.hpp"

#include <openssl/rand.h>

#include <array>

#include "accounts/rights.hpp"
#include "mw/util/base64.hpp"

namespace mw::server::accounts {

PasswordRules PasswordRules::from_json(const Json& j) {
  PasswordRules r;
  if (!j.is_object()) return r;
  auto take = [&](const char* key, int& field) {
    if (auto it = j.find(key); it != j.end() && it->is_number_integer()) field = it->get<int>();
  };
  take("min", r.min);
  take("max", r.max);
  take("upper", r.upper);
  take("lower", r.lower);
  take("numeric", r.numeric);
  take("nonalpha", r.nonalpha);
  return r;
}

Json PasswordRules::to_json() const {
  return {{"min", min}, {"max", max}, {"upper", upper}, {"lower", lower}, {"numeric", numeric}, {"nonalpha", nonalpha}};
}

namespace {
// Characters, not bytes: UTF-8 continuation bytes do not count.
int count_chars(std::string_view s) {
  int n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}
std::string plural(int n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}
}  // namespace

std::optional<std::string> check_password(std::string_view password, const PasswordRules& rules) {
  const int length = count_chars(password);
  int upper = 0, lower = 0, numeric = 0, nonalpha = 0;
  for (unsigned char c : password) {
    if (c >= 'A' && c <= 'Z') ++upper;
    else if (c >= 'a' && c <= 'z') ++lower;
    else if (c >= '0' && c <= '9') ++numeric;
    else if ((c & 0xC0) != 0x80) ++nonalpha;  // symbols and non-ASCII letters, once each
  }
  if (rules.min > 0 && length < rules.min) return "The password needs at least " + plural(rules.min, "character.", "characters.");
  if (rules.max > 0 && length > rules.max) return "The password may have at most " + plural(rules.max, "character.", "characters.");
  if (upper < rules.upper) return "The password needs at least " + plural(rules.upper, "upper-case letter.", "upper-case letters.");
  if (lower < rules.lower) return "The password needs at least " + plural(rules.lower, "lower-case letter.", "lower-case letters.");
  if (numeric < rules.numeric) return "The password needs at least " + plural(rules.numeric, "digit.", "digits.");
  if (nonalpha < rules.nonalpha) return "The password needs at least " + plural(rules.nonalpha, "symbol.", "symbols.");
  return std::nullopt;
}

bool valid_username(std::string_view name) {
  if (name.empty() || count_chars(name) > 64 || name.front() == '~') return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7F || c == ' ' || c == '/' || c == '"' || c == '\\') return false;
  }
  return true;
}

std::string user_id(std::string_view domain, std::string_view name) {
  std::string v(name);
  for (char& c : v) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return "user/" + std::string(domain) + "/" + v;
}

std::string domain_of(std::string_view id) {
  const auto a = id.find('/');
  if (a == std::string_view::npos) return {};
  const auto b = id.find('/', a + 1);
  if (b == std::string_view::npos) return {};
  return std::string(id.substr(a + 1, b - a - 1));
}

std::string value_of(std::string_view id) {
  const auto a = id.find('/');
  if (a == std::string_view::npos) return std::string(id);
  const auto b = id.find('/', a + 1);
  return b == std::string_view::npos ? std::string(id.substr(a + 1)) : std::string(id.substr(b + 1));
}

std::string cira_username(std::string_view meshid) {
  std::string v = value_of(meshid);
  for (char& c : v) {
    if (c == '@' || c == '$') c = 'X';
  }
  return v.substr(0, 16);
}

std::string meshcentral_base64(std::span<const std::uint8_t> bytes) {
  return util::base64_encode(bytes, util::Base64Alphabet::kMeshCentral);
}

std::string random_id() {
  std::array<std::uint8_t, 48> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  return meshcentral_base64(bytes);
}

Json safe_user(const Json& user) {
  Json u = user;
  for (const char* secret : {"hash", "salt", "otpsecret", "otpkeys", "otphkeys", "otpdev", "otpsms", "otpmsg", "otpekey", "passhint"}) {
    u.erase(secret);
  }
  return u;
}

Json safe_mesh(const Json& mesh) {
  Json m = mesh;
  m.erase("amt");  // Intel AMT provisioning secrets
  return m;
}

std::string text_of(const Json& j, const char* key) {
  if (!j.is_object()) return {};
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool is_locked(const Json& user) {
  const auto r = site_rights(user);
  return has_all(r, site_right::kLocked) && r != site_right::kFull;
}

std::uint32_t site_rights(const Json& user) {
  if (auto it = user.find("siteadmin"); it != user.end() && it->is_number()) {
    return static_cast<std::uint32_t>(it->get<std::int64_t>() & 0xFFFFFFFF);
  }
  return 0;
}

std::uint32_t mesh_rights(const Json& user, std::string_view meshid) {
  const auto links = user.find("links");
  if (links == user.end() || !links->is_object()) return 0;
  const auto link = links->find(std::string(meshid));
  if (link == links->end() || !link->is_object()) return 0;
  const auto rights = link->find("rights");
  if (rights == link->end() || !rights->is_number()) return 0;
  return static_cast<std::uint32_t>(rights->get<std::int64_t>() & 0xFFFFFFFF);
}

std::vector<std::string> linked_meshes(const Json& user) {
  std::vector<std::string> out;
  const auto links = user.find("links");
  if (links == user.end() || !links->is_object()) return out;
  for (const auto& [id, _] : links->items()) {
    if (id.rfind("mesh/", 0) == 0) out.push_back(id);
  }
  return out;
}

std::vector<std::string> subscriptions(const Json& user) {
  std::vector<std::string> s;
  s.push_back(text_of(user, "_id"));
  for (auto& m : linked_meshes(user)) s.push_back(std::move(m));
  const auto rights = site_rights(user);
  if (has_all(rights, site_right::kManageUsers)) s.push_back("server-users");
  if (rights == site_right::kFull) s.push_back("*");
  return s;
}

}  // namespace mw::server::accounts
