// Authentication data of the redirection session manager: 1-byte-length-prefixed strings in a
// fixed order per auth type, and the HTTP-digest computation AMT checks (RFC 2617, POST).
#include "mw/redir/auth.hpp"

#include "mw/util/bytes.hpp"

namespace mw::redir {
namespace {

using mw::util::ByteReader;
using mw::util::ByteWriter;

Error field_error(std::string_view what) {
  return make_error("redir-auth-field", std::string(what) + " is longer than 255 bytes");
}

// Writes each string with its length byte; fails on the first one that does not fit.
Result<std::vector<std::uint8_t>> write_strings(std::initializer_list<std::pair<const char*, const std::string*>> fields) {
  ByteWriter w;
  for (const auto& [name, value] : fields) {
    if (value->size() > 0xFF) return field_error(name);
    w.u8(static_cast<std::uint8_t>(value->size())).bytes(*value);
  }
  return w.take();
}

// Reads the strings in order; the data must end exactly after the last one.
bool read_strings(std::span<const std::uint8_t> data, std::initializer_list<std::string*> fields) {
  ByteReader r(data);
  for (std::string* field : fields) {
    std::uint8_t n = 0;
    if (!r.u8(n) || !r.string(n, *field)) return false;
  }
  return r.empty();
}

Error parse_error(std::string_view what) {
  return make_error("redir-bad-auth-data",
                    std::string(what) + ": length-prefixed strings do not fill the auth data exactly");
}

bool is_digest(AuthType type) { return type == AuthType::kDigest || type == AuthType::kLegacyDigest; }

}  // namespace

Result<std::vector<std::uint8_t>> encode_user_password(const UserPassword& value) {
  return write_strings({{"username", &value.username}, {"password", &value.password}});
}

Result<UserPassword> parse_user_password(std::span<const std::uint8_t> data) {
  UserPassword v;
  if (!read_strings(data, {&v.username, &v.password})) return parse_error("user/password");
  return v;
}

Result<std::vector<std::uint8_t>> encode_digest_challenge(const DigestChallenge& value,
                                                          AuthType type) {
  if (!is_digest(type)) return make_error("redir-auth-type", "not a digest auth type");
  if (type == AuthType::kLegacyDigest)
    return write_strings({{"realm", &value.realm}, {"nonce", &value.nonce}});
  return write_strings({{"realm", &value.realm}, {"nonce", &value.nonce}, {"qop", &value.qop}});
}

Result<DigestChallenge> parse_digest_challenge(std::span<const std::uint8_t> data, AuthType type) {
  if (!is_digest(type)) return make_error("redir-auth-type", "not a digest auth type");
  DigestChallenge v;
  const bool ok = type == AuthType::kLegacyDigest ? read_strings(data, {&v.realm, &v.nonce})
                                                  : read_strings(data, {&v.realm, &v.nonce, &v.qop});
  if (!ok) return parse_error("digest challenge");
  return v;
}

Result<std::vector<std::uint8_t>> encode_digest_response(const DigestResponse& value,
                                                         AuthType type) {
  if (!is_digest(type)) return make_error("redir-auth-type", "not a digest auth type");
  if (type == AuthType::kLegacyDigest) {
    return write_strings({{"username", &value.username}, {"realm", &value.realm},
                          {"nonce", &value.nonce}, {"uri", &value.uri}, {"cnonce", &value.cnonce},
                          {"nc", &value.nc}, {"response", &value.response}});
  }
  return write_strings({{"username", &value.username}, {"realm", &value.realm},
                        {"nonce", &value.nonce}, {"uri", &value.uri}, {"cnonce", &value.cnonce},
                        {"nc", &value.nc}, {"response", &value.response}, {"qop", &value.qop}});
}

Result<DigestResponse> parse_digest_response(std::span<const std::uint8_t> data, AuthType type) {
  if (!is_digest(type)) return make_error("redir-auth-type", "not a digest auth type");
  DigestResponse v;
  const bool ok =
      type == AuthType::kLegacyDigest
          ? read_strings(data, {&v.username, &v.realm, &v.nonce, &v.uri, &v.cnonce, &v.nc,
                                &v.response})
          : read_strings(data, {&v.username, &v.realm, &v.nonce, &v.uri, &v.cnonce, &v.nc,
                                &v.response, &v.qop});
  if (!ok) return parse_error("digest response");
  return v;
}

std::string digest_response(const Md5Hex& md5_hex, const DigestResponse& f,
                            std::string_view password, AuthType type) {
  if (!md5_hex) return {};
  std::string a1 = f.username;
  a1.append(":").append(f.realm).append(":").append(password);
  const std::string ha1 = md5_hex(a1);
  const std::string ha2 = md5_hex("POST:" + f.uri);
  std::string kd = ha1;
  kd.append(":").append(f.nonce).append(":");
  if (type == AuthType::kDigest) kd.append(f.nc).append(":").append(f.cnonce).append(":").append(f.qop).append(":");
  kd.append(ha2);
  return md5_hex(kd);
}

}  // namespace mw::redir
