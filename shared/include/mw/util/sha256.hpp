// SHA-256 (FIPS 180-4), portable and dependency-free, for code that also runs in WebAssembly.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace mw::util {

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> data);
std::array<std::uint8_t, 32> sha256(std::string_view data);

}  // namespace mw::util
