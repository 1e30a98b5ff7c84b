// AES-256-GCM cookies with OpenSSL's EVP interface; tag checked before any JSON is parsed.
#include "auth/cookie.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

#include "mw/util/base64.hpp"

namespace mw::server::auth {
namespace {

constexpr std::size_t kIv = 12, kTag = 16, kKey = 32;
constexpr std::size_t kMaxCookie = 64 * 1024;  // hostile input is capped before decoding

using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::string to_mesh_alphabet(std::string s) {
  for (char& c : s) {
    if (c == '+') c = '@';
    if (c == '/') c = '$';
  }
  return s;
}

std::string from_mesh_alphabet(std::string_view in) {
  std::string s(in);
  for (char& c : s) {
    if (c == '@') c = '+';
    if (c == '$') c = '/';
  }
  return s;
}

}  // namespace

std::vector<std::uint8_t> new_cookie_key() {
  std::vector<std::uint8_t> key(80);
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) throw std::runtime_error("no randomness for a key");
  return key;
}

std::string encode_cookie(nlohmann::json object, std::span<const std::uint8_t> key, std::int64_t now_s) {
  if (key.size() < kKey) throw std::invalid_argument("cookie key shorter than 32 bytes");
  object["time"] = now_s;
  const std::string plain = object.dump();
  std::vector<std::uint8_t> out(kIv + kTag + plain.size());
  if (RAND_bytes(out.data(), kIv) != 1) throw std::runtime_error("no randomness for an IV");
  CtxPtr ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), out.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data() + kIv + kTag, &len, reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + kIv + kTag + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, out.data() + kIv) != 1) {
    throw std::runtime_error("AES-256-GCM encryption failed");
  }
  return to_mesh_alphabet(util::base64_encode(out));
}

mw::Result<nlohmann::json> decode_cookie(std::string_view cookie, std::span<const std::uint8_t> key,
                                         std::int64_t now_s, int timeout_minutes) {
  if (key.size() < kKey || cookie.size() > kMaxCookie) return make_error("bad-cookie", "cookie not accepted");
  auto raw = util::base64_decode(from_mesh_alphabet(cookie));
  if (!raw || raw->size() <= kIv + kTag) return make_error("bad-cookie", "cookie not accepted");
  const auto& b = raw.value();
  std::string plain(b.size() - kIv - kTag, '\0');
  CtxPtr ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  std::vector<std::uint8_t> tag(b.begin() + kIv, b.begin() + kIv + kTag);
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), b.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, b.data() + kIv + kTag,
                        static_cast<int>(plain.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) != 1) {
    return make_error("bad-cookie", "cookie not accepted");  // wrong key or tampered: no detail leaks
  }
  auto obj = nlohmann::json::parse(plain, nullptr, false);
  if (obj.is_discarded() || !obj.is_object() || !obj.contains("time") || !obj["time"].is_number()) {
    return make_error("bad-cookie", "cookie not accepted");
  }
  const auto made = obj["time"].get<std::int64_t>();
  if (made > now_s + 30) return make_error("future", "cookie made in the future");
  std::int64_t limit_minutes = timeout_minutes;
  if (obj.contains("expire") && obj["expire"].is_number()) {
    limit_minutes = obj["expire"].get<std::int64_t>();
    if (limit_minutes == 0) return obj;  // never expires
  }
  if (now_s - made > limit_minutes * 60) return make_error("expired", "cookie expired");
  return obj;
}

}  // namespace mw::server::auth
