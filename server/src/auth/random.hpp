// Random values from OpenSSL's generator for nonces and protocol ids (Digest cnonces,
// WS-Management message ids). Throws std::runtime_error when no randomness is available.
#pragma once

#include <openssl/rand.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "mw/util/hex.hpp"

namespace mw::server::auth {

inline std::vector<std::uint8_t> random_bytes(std::size_t n) {
  std::vector<std::uint8_t> b(n);
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) throw std::runtime_error("no randomness");
  return b;
}

// `bytes` random bytes as lower-case hex (2 × bytes characters).
inline std::string random_hex(std::size_t bytes) { return util::hex_encode(random_bytes(bytes)); }

}  // namespace mw::server::auth
