// Cell width of a Unicode code point for the terminal emulator: 0 (joins the previous cell),
// 1 or 2. Generated from the Unicode Character Database by tools/gen_wcwidth.py.
#pragma once

#include <string_view>

namespace mw::term {

// 0 for combining marks (Mn, Me), format characters (Cf, except U+00AD) and joining Hangul
// jamo; 2 for East Asian Wide/Fullwidth and emoji-presentation characters; 0 for C0/C1
// controls (they never reach the screen); 1 otherwise, including unassigned code points.
int char_width(char32_t cp);

// The Unicode version the width table was generated from ("15.0.0").
std::string_view unicode_version();

}  // namespace mw::term
