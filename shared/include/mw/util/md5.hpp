// MD5 (RFC 1321), portable and dependency-free, for HTTP/redirection digest authentication in
// code that also runs in WebAssembly. Not for new security designs: MD5 is what the peers speak.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace mw::util {

std::array<std::uint8_t, 16> md5(std::span<const std::uint8_t> data);
std::array<std::uint8_t, 16> md5(std::string_view data);

}  // namespace mw::util
