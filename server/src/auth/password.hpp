// Password hashing for user accounts: PBKDF2-HMAC-SHA-384 (OpenSSL) with a per-user random salt
// and a high iteration count, stored in one self-describing string so the cost can be raised
// later without breaking existing hashes. Verification compares in constant time.
#pragma once

#include <string>
#include <string_view>

namespace mw::server::auth {

// Current cost: OWASP's 2023 guidance for PBKDF2-HMAC-SHA-512 is 210,000 iterations; SHA-384
// has the same compression function and speed.
inline constexpr int kPbkdf2Iterations = 210000;

// "pbkdf2-sha384$<iterations>$<salt base64>$<hash base64>"; `iterations` only for tests.
std::string hash_password(std::string_view password, int iterations = kPbkdf2Iterations);

// True when `password` matches `stored` (made by hash_password). Malformed `stored` never matches.
bool verify_password(std::string_view password, std::string_view stored);

// True when `stored` was made with fewer iterations than today's (re-hash at next login).
bool needs_rehash(std::string_view stored);

// A hash made by MeshCentral (user records with "salt" and "hash": PBKDF2-HMAC-SHA-384, 12,000
// iterations, 128 bytes, base64), so accounts imported from MeshCentral keep their passwords;
// the server re-hashes them in its own format at the first successful login.
bool verify_meshcentral_password(std::string_view password, std::string_view salt, std::string_view hash);

// Constant-time equality of two byte strings (lengths are not secret).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace mw::server::auth
