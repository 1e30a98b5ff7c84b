// Internal: the width table of width.cpp as two plain arrays, for the printing hot path (an
// inlined lookup without the function call and the one-time initialisation check of char_width).
#pragma once

#include <cstdint>

namespace mw::term {

struct WidthLookup {
  const std::uint16_t* index = nullptr;  // per block of 256 code points
  const std::uint8_t* widths = nullptr;

  // Same as char_width(cp) for cp >= 0x7F.
  int operator()(char32_t cp) const {
    if (cp >= 0x110000) return 1;
    return widths[(static_cast<unsigned>(index[cp >> 8]) << 8) | (cp & 0xFFu)];
  }
};

WidthLookup width_lookup();

}  // namespace mw::term
