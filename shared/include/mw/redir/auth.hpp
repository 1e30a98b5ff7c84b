// The data of AuthenticateSession (0x13) and its reply (0x14): user/password, digest challenge
// and digest response as sequences of 1-byte-length-prefixed strings, and the digest itself.
// The MD5 is injected (the server uses OpenSSL, tests and wasm use mw::util::md5): this module
// never hashes on its own.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mw/redir/messages.hpp"
#include "mw/util/result.hpp"

namespace mw::redir {

// Lower-case hexadecimal MD5 of the argument (32 characters).
using Md5Hex = std::function<std::string(std::string_view)>;
// A fresh random token (client nonce, server nonce); hex characters are the usual choice.
using TokenSource = std::function<std::string()>;

inline constexpr std::string_view kRedirectionUri = "/RedirectionService";

struct UserPassword {  // AuthType::kUserPassword
  std::string username;
  std::string password;
  bool operator==(const UserPassword&) const = default;
};

struct DigestChallenge {  // reply data for kLegacyDigest / kDigest (qop only with kDigest)
  std::string realm;
  std::string nonce;
  std::string qop;
  bool operator==(const DigestChallenge&) const = default;
};

// Request data for kLegacyDigest (7 strings, no qop) / kDigest (8 strings). The first request
// of an exchange carries only username and uri: AMT answers it with the challenge.
struct DigestResponse {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string cnonce;
  std::string nc;
  std::string response;
  std::string qop;
  bool operator==(const DigestResponse&) const = default;
};

// Encoders fail ("redir-auth-field") when a string is longer than 255 bytes.
Result<std::vector<std::uint8_t>> encode_user_password(const UserPassword& value);
Result<UserPassword> parse_user_password(std::span<const std::uint8_t> data);

Result<std::vector<std::uint8_t>> encode_digest_challenge(const DigestChallenge& value,
                                                          AuthType type);
Result<DigestChallenge> parse_digest_challenge(std::span<const std::uint8_t> data, AuthType type);

Result<std::vector<std::uint8_t>> encode_digest_response(const DigestResponse& value,
                                                         AuthType type);
Result<DigestResponse> parse_digest_response(std::span<const std::uint8_t> data, AuthType type);

// The response field, as AMT checks it (method POST):
//   HA1 = MD5hex(user ":" realm ":" password), HA2 = MD5hex("POST:" uri)
//   kDigest:       MD5hex(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)
//   kLegacyDigest: MD5hex(HA1 ":" nonce ":" HA2)
std::string digest_response(const Md5Hex& md5_hex, const DigestResponse& fields,
                            std::string_view password, AuthType type);

}  // namespace mw::redir
