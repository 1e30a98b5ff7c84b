// Encrypted cookies in MeshCentral's format (login tokens, session and relay cookies): a JSON
// object with a "time" field, AES-256-GCM with a random 12-byte IV, written as
// base64(iv ‖ tag ‖ ciphertext) with '+'→'@' and '/'→'$'. A site that holds the key can mint
// login tokens without Meshwork (docs/login-tokens.md describes the format).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mw/util/result.hpp"

namespace mw::server::auth {

// The first 32 bytes of `key` are the AES-256 key (MeshCentral keys are 80 bytes; 32 suffice).
// `now_s` is the current time in seconds; encode adds it as "time".
std::string encode_cookie(nlohmann::json object, std::span<const std::uint8_t> key, std::int64_t now_s);

// Decodes and checks a cookie. Valid while its age is within its own "expire" (minutes; 0 = never)
// or else within `timeout_minutes`; never when made more than 30 s in the future. Errors:
// "bad-cookie" (not ours, tampered, wrong key), "expired", "future".
mw::Result<nlohmann::json> decode_cookie(std::string_view cookie, std::span<const std::uint8_t> key,
                                         std::int64_t now_s, int timeout_minutes);

// A new random key of MeshCentral's current size (80 bytes).
std::vector<std::uint8_t> new_cookie_key();

}  // namespace mw::server::auth
