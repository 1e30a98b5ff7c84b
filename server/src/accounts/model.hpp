// Accounts model: MeshCentral-shaped user, device-group and device records, the rules that apply
// to them (names, password requirements), what may be shown to browsers, and which event
// subscriptions a user has. Pure functions; no I/O.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mw::server::accounts {

using Json = nlohmann::json;

// PasswordRequirements of a domain (MeshCentral's keys: min, max, upper, lower, numeric,
// nonalpha). Zero means no rule.
struct PasswordRules {
  int min = 8;
  int max = 128;
  int upper = 0;
  int lower = 0;
  int numeric = 0;
  int nonalpha = 0;
  static PasswordRules from_json(const Json& j);  // missing keys keep the defaults
  Json to_json() const;
};

// nullopt when the password satisfies the rules, else a message a person can act on
// ("The password needs at least 2 digits.").
std::optional<std::string> check_password(std::string_view password, const PasswordRules& rules);

// A login name: 1..64 characters, no space, '/', control character, not starting with '~'.
bool valid_username(std::string_view name);

std::string user_id(std::string_view domain, std::string_view name);  // "user/<d>/<name lower>"
std::string domain_of(std::string_view id);  // "" for "user//x", "acme" for "mesh/acme/y"
std::string value_of(std::string_view id);   // the part after the second '/'

// The user name Intel AMT logs in to the MPS with for a device group ("mesh/<d>/<value>"), as
// MeshCentral has it: value's first 16 characters, '@' and '$' as 'X' (AMT refuses both).
std::string cira_username(std::string_view meshid);

// Base64 in MeshCentral's id alphabet: '+'→'@', '/'→'$' (ids, CIRA device ids).
std::string meshcentral_base64(std::span<const std::uint8_t> bytes);
// A new random id value as MeshCentral makes them: 48 random bytes, meshcentral_base64.
std::string random_id();

// The user record without secrets (hash, salt, otp keys), as sent to browsers.
Json safe_user(const Json& user);
// A device group as sent to browsers.
Json safe_mesh(const Json& mesh);

// A string member, or "" when absent or not a string (records may come from any import).
std::string text_of(const Json& j, const char* key);

std::uint32_t site_rights(const Json& user);
// Locked accounts may not log in (site right 32; a full administrator is never locked).
bool is_locked(const Json& user);
// The caller's rights on a group: its link in the user record (MeshCentral keeps it there).
std::uint32_t mesh_rights(const Json& user, std::string_view meshid);
// Device group ids the user has a link to.
std::vector<std::string> linked_meshes(const Json& user);

// The ids whose events a session of this user receives: its own id, its groups, and the
// server-wide channels its site rights give ("server-users" for user managers, "*" for full
// administrators).
std::vector<std::string> subscriptions(const Json& user);

}  // namespace mw::server::accounts
