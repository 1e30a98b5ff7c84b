// HTTP Digest authentication (RFC 7616, compatible with RFC 2617 as AMT speaks it) as text codecs:
// parsing WWW-Authenticate challenges and Authorization credentials (RFC 7235 auth-param lists,
// quoted strings with escapes), building both, the response computation (MD5, MD5-sess, SHA-256,
// SHA-256-sess; qop auth, auth-int or none), a client that keeps the nonce count, and the device's
// check of a request's credentials. No randomness inside: the caller supplies cnonces and nonces.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mw/util/result.hpp"

namespace mw::wsman {

// [SECTION] Generic challenges (RFC 7235)

struct AuthParam {
  std::string name;  // as sent; compare case-insensitively
  std::string value;  // unquoted, escapes removed
  bool operator==(const AuthParam&) const = default;
};

struct AuthChallenge {
  std::string scheme;
  std::string token68;  // e.g. "Negotiate <token>"; empty with a parameter list
  std::vector<AuthParam> params;
  const AuthParam* param(std::string_view name) const;
  bool operator==(const AuthChallenge&) const = default;
};

// All challenges of one WWW-Authenticate field value ("Negotiate, Digest realm=..." holds two).
// Errors: "auth-syntax" (unterminated quote, missing value...), "auth-too-long".
Result<std::vector<AuthChallenge>> parse_auth_challenges(std::string_view field_value);

// [SECTION] Digest

enum class DigestAlgorithm { kMd5, kMd5Sess, kSha256, kSha256Sess, kUnsupported };
std::string_view digest_algorithm_name(DigestAlgorithm algorithm);
DigestAlgorithm parse_digest_algorithm(std::string_view name);  // case-insensitive

struct DigestChallenge {
  std::string realm;
  std::string nonce;
  std::string opaque;
  std::string domain;
  std::vector<std::string> qop;  // "auth", "auth-int"; empty: RFC 2069 style, no qop
  DigestAlgorithm algorithm = DigestAlgorithm::kMd5;
  bool algorithm_sent = false;   // the challenge named it (then the answer names it too)
  bool stale = false;
  bool userhash = false;
  std::string charset;
  bool operator==(const DigestChallenge&) const = default;
};

// The Digest challenge to answer among those of the field: the strongest supported algorithm
// (SHA-256 before MD5). "digest-none" when there is none, "digest-unsupported-algorithm" when
// all name unknown algorithms, "digest-missing-field" without realm or nonce.
Result<DigestChallenge> parse_digest_challenge(std::string_view field_value);
// As AMT writes it: Digest realm="...", nonce="...", stale="false", qop="auth" (plus opaque and
// algorithm when set). Fails on a value that cannot be a header.
Result<std::string> format_digest_challenge(const DigestChallenge& challenge);

struct DigestCredentials {  // the Authorization field's parameters
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;
  std::string cnonce;
  std::string nc;   // as sent: RFC says 8 hex digits, MeshCentral sends decimal "1", "2"...
  std::string qop;  // empty without qop
  std::string opaque;
  DigestAlgorithm algorithm = DigestAlgorithm::kMd5;
  bool algorithm_sent = false;
  bool userhash = false;
  bool operator==(const DigestCredentials&) const = default;
};

// Accepts quoted or unquoted values for every parameter (AMT accepts both, clients differ).
Result<DigestCredentials> parse_digest_credentials(std::string_view field_value);
// "Digest username=\"..\", realm=.., uri=.., algorithm=.., nonce=.., nc=.., cnonce=.., qop=..,
// response=.., opaque=.." with nc, qop and algorithm unquoted (RFC 7616 3.4).
Result<std::string> format_digest_credentials(const DigestCredentials& credentials);

// The response value (lower-case hex) for these credentials (username, realm, nonce, uri,
// cnonce, nc, qop, algorithm are used as they are), the password, the request method and body.
std::string digest_response(const DigestCredentials& credentials, std::string_view password,
                            std::string_view method, std::string_view body = {});
// The username field of a userhash=true answer: H(username ":" realm).
std::string digest_userhash(DigestAlgorithm algorithm, std::string_view username, std::string_view realm);

// [SECTION] Client

class DigestClient {
 public:
  DigestClient(std::string username, std::string password);

  // Refuse challenges for another realm (MeshCommander's realm pinning against spoofed AMTs).
  void pin_realm(std::string realm) { pinned_realm_ = std::move(realm); }
  // From a 401's WWW-Authenticate value; a new nonce restarts the nonce count.
  std::optional<Error> on_challenge(std::string_view www_authenticate);
  void set_challenge(DigestChallenge challenge);
  bool ready() const { return challenge_.has_value(); }
  const std::optional<DigestChallenge>& challenge() const { return challenge_; }

  // The Authorization value for the next request on the current nonce: nc goes up by one.
  // qop "auth" is preferred, "auth-int" used when it is the only one offered.
  Result<std::string> authorization(std::string_view method, std::string_view uri, std::string_view cnonce,
                                    std::string_view body = {});
  std::uint32_t nonce_count() const { return nc_; }

 private:
  std::string username_;
  std::string password_;
  std::string pinned_realm_;
  std::optional<DigestChallenge> challenge_;
  std::uint32_t nc_ = 0;
};

// [SECTION] Device

enum class DigestVerdict {
  kOk,
  kWrongRealm,
  kWrongUser,
  kStaleNonce,    // not the current nonce: answer 401 with stale=true
  kWrongOpaque,
  kWrongUri,      // uri differs from the request target
  kMissingField,  // response, or cnonce/nc with qop
  kUnsupported,   // algorithm or qop not offered
  kBadResponse,   // wrong password
};
std::string_view digest_verdict_name(DigestVerdict verdict);

struct DigestExpectation {
  std::string_view realm;
  std::string_view nonce;   // the nonce this device handed out
  std::string_view opaque;  // empty when none was sent
  std::string_view method;  // "POST"
  std::string_view uri;     // the request target, "/wsman"
  std::string_view body;    // for qop=auth-int
};
// Checks credentials against the one account (username, password). nc ordering is left to the
// caller (see nonce_count_value).
DigestVerdict verify_digest(const DigestCredentials& credentials, std::string_view username,
                            std::string_view password, const DigestExpectation& expected);
// nc read as hexadecimal (RFC); nullopt when it is not 1..8 hex digits.
std::optional<std::uint32_t> nonce_count_value(std::string_view nc);

}  // namespace mw::wsman
