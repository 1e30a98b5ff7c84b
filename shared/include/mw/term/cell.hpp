// One character cell of the terminal screen and its style (colours, attributes, hyperlink), and
// a line of cells. Plain values, cheap to copy: 20 bytes a cell.
#pragma once

#include <cstdint>
#include <vector>

namespace mw::term {

// Default colour, one of the 256 palette entries (0..15 are the ANSI and bright colours), or
// 24-bit RGB.
class Color {
 public:
  enum class Kind : std::uint8_t { kDefault, kPalette, kRgb };

  constexpr Color() = default;
  static constexpr Color palette(std::uint8_t index) { return Color((1u << 24) | index); }
  static constexpr Color rgb(std::uint8_t r, std::uint8_t g, std::uint8_t b) {
    return Color((2u << 24) | (std::uint32_t{r} << 16) | (std::uint32_t{g} << 8) | b);
  }

  constexpr Kind kind() const { return static_cast<Kind>(v_ >> 24); }
  constexpr bool is_default() const { return v_ == 0; }
  constexpr std::uint8_t index() const { return static_cast<std::uint8_t>(v_); }  // kPalette
  constexpr std::uint8_t r() const { return static_cast<std::uint8_t>(v_ >> 16); }  // kRgb
  constexpr std::uint8_t g() const { return static_cast<std::uint8_t>(v_ >> 8); }
  constexpr std::uint8_t b() const { return static_cast<std::uint8_t>(v_); }
  constexpr bool operator==(const Color&) const = default;

 private:
  constexpr explicit Color(std::uint32_t v) : v_(v) {}
  std::uint32_t v_ = 0;
};

enum class Underline : std::uint8_t { kNone, kSingle, kDouble, kCurly, kDotted, kDashed };

// Attribute bits of Style::flags.
namespace attr {
constexpr std::uint16_t kBold = 1u << 0;
constexpr std::uint16_t kFaint = 1u << 1;
constexpr std::uint16_t kItalic = 1u << 2;
constexpr std::uint16_t kBlink = 1u << 3;
constexpr std::uint16_t kInverse = 1u << 4;
constexpr std::uint16_t kInvisible = 1u << 5;
constexpr std::uint16_t kStrike = 1u << 6;
constexpr std::uint16_t kOverline = 1u << 7;
constexpr unsigned kUnderlineShift = 8;  // bits 8..10: Underline
constexpr std::uint16_t kUnderlineMask = 7u << kUnderlineShift;
constexpr std::uint16_t kWide = 1u << 11;        // first cell of a double-width character
constexpr std::uint16_t kWideSpacer = 1u << 12;  // second cell of it (cp is 0)
}  // namespace attr

struct Style {
  Color fg;
  Color bg;
  Color underline_color;  // SGR 58; default means "same as fg"
  std::uint16_t flags = 0;
  std::uint16_t link = 0;  // OSC 8 hyperlink: Terminal::link_uri(link); 0 = none

  Underline underline() const {
    return static_cast<Underline>((flags & attr::kUnderlineMask) >> attr::kUnderlineShift);
  }
  void set_underline(Underline u) {
    flags = static_cast<std::uint16_t>((flags & ~attr::kUnderlineMask) |
                                       (static_cast<unsigned>(u) << attr::kUnderlineShift));
  }
  bool has(std::uint16_t bit) const { return (flags & bit) != 0; }
  bool operator==(const Style&) const = default;
};

struct Cell {
  // Bit set in `cp` when the cell holds a grapheme cluster (a base character with combining
  // marks); Terminal::cell_text() gives its code points. 0 is a blank never written to.
  static constexpr char32_t kClusterBit = 0x80000000u;

  char32_t cp = 0;
  Style style;

  bool blank() const { return cp == 0 || cp == U' '; }
  bool wide() const { return style.has(attr::kWide); }
  bool wide_spacer() const { return style.has(attr::kWideSpacer); }
  bool is_cluster() const { return (cp & kClusterBit) != 0; }
  bool operator==(const Cell&) const = default;
};

struct Line {
  std::vector<Cell> cells;  // screen lines have exactly cols() cells; scrollback lines may be
                            // shorter (trailing default cells trimmed): read with at()
  bool wrapped = false;     // auto-wrapped: the text continues on the next line

  Cell at(std::size_t col) const { return col < cells.size() ? cells[col] : Cell{}; }
};

}  // namespace mw::term
