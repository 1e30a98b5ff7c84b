// PBKDF2-HMAC-SHA-384 via OpenSSL's PKCS5_PBKDF2_HMAC; salts from RAND_bytes.
#include "auth/password.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>
#include <vector>

#include "mw/util/base64.hpp"

namespace mw::server::auth {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha384";
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 48;
constexpr int kMaxIterations = 50'000'000;  // a stored value above this is not ours

std::vector<std::uint8_t> derive(std::string_view password, const std::vector<std::uint8_t>& salt, int iterations) {
  std::vector<std::uint8_t> out(kHashBytes);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(), static_cast<int>(salt.size()),
                        iterations, EVP_sha384(), static_cast<int>(out.size()), out.data()) != 1) {
    throw std::runtime_error("PBKDF2 failed");
  }
  return out;
}

struct Parsed {
  int iterations = 0;
  std::vector<std::uint8_t> salt, hash;
};

bool parse(std::string_view stored, Parsed& p) {
  const auto a = stored.find('$');
  if (a == std::string_view::npos || stored.substr(0, a) != kScheme) return false;
  const auto b = stored.find('$', a + 1);
  const auto c = b == std::string_view::npos ? b : stored.find('$', b + 1);
  if (c == std::string_view::npos) return false;
  const std::string_view iter = stored.substr(a + 1, b - a - 1);
  if (iter.empty() || iter.size() > 9) return false;
  int n = 0;
  for (char ch : iter) {
    if (ch < '0' || ch > '9') return false;
    n = n * 10 + (ch - '0');
  }
  if (n < 1 || n > kMaxIterations) return false;
  auto salt = util::base64_decode(stored.substr(b + 1, c - b - 1));
  auto hash = util::base64_decode(stored.substr(c + 1));
  if (!salt || !hash || salt->empty() || hash->size() != kHashBytes) return false;
  p.iterations = n;
  p.salt = std::move(salt.value());
  p.hash = std::move(hash.value());
  return true;
}

}  // namespace

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hash_password(std::string_view password, int iterations) {
  std::vector<std::uint8_t> salt(kSaltBytes);
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) throw std::runtime_error("no randomness for a salt");
  const auto hash = derive(password, salt, iterations);
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + util::base64_encode(salt) + "$" +
         util::base64_encode(hash);
}

bool verify_password(std::string_view password, std::string_view stored) {
  Parsed p;
  if (!parse(stored, p)) return false;
  const auto hash = derive(password, p.salt, p.iterations);
  return CRYPTO_memcmp(hash.data(), p.hash.data(), kHashBytes) == 0;
}

bool needs_rehash(std::string_view stored) {
  Parsed p;
  return !parse(stored, p) || p.iterations < kPbkdf2Iterations;
}

}  // namespace mw::server::auth

namespace mw::server::auth {

bool verify_meshcentral_password(std::string_view password, std::string_view salt, std::string_view hash) {
  if (salt.empty() || hash.empty()) return false;
  std::vector<std::uint8_t> out(128);
  // MeshCentral (pass.js) uses the base64 text of its salt as the salt bytes.
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), 12000, EVP_sha384(), static_cast<int>(out.size()), out.data()) != 1) {
    return false;
  }
  return constant_time_equal(util::base64_encode(out), hash);
}

}  // namespace mw::server::auth
