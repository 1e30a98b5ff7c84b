// Hexadecimal encoding (lower case) and decoding, for hashes and test vectors.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mw/util/result.hpp"

namespace mw::util {

std::string hex_encode(std::span<const std::uint8_t> data);
Result<std::vector<std::uint8_t>> hex_decode(std::string_view text);

}  // namespace mw::util
