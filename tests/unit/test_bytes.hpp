// Helpers shared by the codec unit tests: byte vectors from hex text and strings, concatenation.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "mw/util/hex.hpp"

namespace mw::test {

using Bytes = std::vector<std::uint8_t>;

// "10 00 00 00 53 4F" -> bytes (spaces ignored); a malformed literal fails the test.
inline Bytes hex(std::string_view text) {
  std::string compact;
  for (char c : text) {
    if (c != ' ') compact.push_back(c);
  }
  auto r = mw::util::hex_decode(compact);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? r.value() : Bytes{};
}

inline Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace mw::test
