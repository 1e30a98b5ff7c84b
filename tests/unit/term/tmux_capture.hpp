// Conformance helpers shared by the unit tests (committed recordings, native and wasm) and the
// peer tests (tmux at test time): reading `tmux capture-pane -p -e` output back into cells
// (text, width, style) and comparing them with a Terminal's screen. The reader is independent of
// shared/term except for the width function passed in, so a wrong Terminal cannot hide behind it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "mw/term/terminal.hpp"

namespace mw::term::test {

struct CapturedCell {
  std::u32string text = U" ";  // the character and its combining marks; U" " for a blank
  Style style;                 // without kWide/kWideSpacer; no hyperlink (tmux 3.3a has none)
  int width = 1;               // 2: a wide character, 0: the column after it
};

// The columns tmux printed for one row: with -N every cell it holds ("cellused"), without it
// the same with trailing spaces trimmed. Cells past the end were never written to (tmux does
// not report the background of cells it only erased).
struct CapturedRow {
  std::vector<CapturedCell> cells;
};

using WidthFn = int (*)(char32_t);

namespace detail {

// VT100 line drawing for 0x5F..0x7E: tmux keeps these as ASCII with a charset attribute and
// capture-pane -e writes them between SO and SI; the reader turns them into what a terminal shows.
constexpr char32_t kCaptureDecGraphics[32] = {
    0x00A0, 0x25C6, 0x2592, 0x2409, 0x240C, 0x240D, 0x240A, 0x00B0, 0x00B1, 0x2424, 0x240B,
    0x2518, 0x2510, 0x250C, 0x2514, 0x253C, 0x23BA, 0x23BB, 0x2500, 0x23BC, 0x23BD, 0x251C,
    0x2524, 0x2534, 0x252C, 0x2502, 0x2264, 0x2265, 0x03C0, 0x2260, 0x00A3, 0x00B7,
};

inline void set_flag(Style& s, std::uint16_t bit, bool on) {
  s.flags = static_cast<std::uint16_t>(on ? (s.flags | bit) : (s.flags & ~bit));
}

// SGR as tmux writes it in captures: codes separated by ';', "4:n" for underline styles.
inline void apply_capture_sgr(std::string_view params, Style& s) {
  std::vector<std::string> codes;
  std::string cur;
  for (char c : params) {
    if (c == ';') {
      codes.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  codes.push_back(cur);
  auto num = [&](std::size_t i) { return i < codes.size() ? std::atoi(codes[i].c_str()) : -1; };
  for (std::size_t i = 0; i < codes.size(); ++i) {
    const std::string& code = codes[i];
    if (code.size() == 3 && code[0] == '4' && code[1] == ':') {
      s.set_underline(static_cast<Underline>(code[2] - '0'));
      continue;
    }
    if (code == "5:3") {  // tmux writes every two-digit code as "N:M", overline (53) too
      set_flag(s, attr::kOverline, true);
      continue;
    }
    const int v = num(i);
    if (v == 38 || v == 48 || v == 58) {
      Color c;
      if (num(i + 1) == 5) {
        c = Color::palette(static_cast<std::uint8_t>(num(i + 2)));
        i += 2;
      } else if (num(i + 1) == 2) {
        c = Color::rgb(static_cast<std::uint8_t>(num(i + 2)), static_cast<std::uint8_t>(num(i + 3)),
                       static_cast<std::uint8_t>(num(i + 4)));
        i += 4;
      }
      (v == 38 ? s.fg : v == 48 ? s.bg : s.underline_color) = c;
      continue;
    }
    switch (v) {
      case 0: s = Style{}; break;
      case 1: set_flag(s, attr::kBold, true); break;
      case 2: set_flag(s, attr::kFaint, true); break;
      case 3: set_flag(s, attr::kItalic, true); break;
      case 4: s.set_underline(Underline::kSingle); break;
      case 5: set_flag(s, attr::kBlink, true); break;
      case 7: set_flag(s, attr::kInverse, true); break;
      case 8: set_flag(s, attr::kInvisible, true); break;
      case 9: set_flag(s, attr::kStrike, true); break;
      case 53: set_flag(s, attr::kOverline, true); break;
      case 39: s.fg = Color{}; break;
      case 49: s.bg = Color{}; break;
      default:
        if (v >= 30 && v <= 37) s.fg = Color::palette(static_cast<std::uint8_t>(v - 30));
        if (v >= 90 && v <= 97) s.fg = Color::palette(static_cast<std::uint8_t>(v - 90 + 8));
        if (v >= 40 && v <= 47) s.bg = Color::palette(static_cast<std::uint8_t>(v - 40));
        if (v >= 100 && v <= 107) s.bg = Color::palette(static_cast<std::uint8_t>(v - 100 + 8));
        break;
    }
  }
}

inline void put_utf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

inline std::string utf8(const std::u32string& s) {
  std::string out;
  for (char32_t c : s) put_utf8(c, out);
  return out;
}

inline std::string describe(const Color& c) {
  char buf[32];
  switch (c.kind()) {
    case Color::Kind::kDefault: return "default";
    case Color::Kind::kPalette: std::snprintf(buf, sizeof buf, "%u", c.index()); return buf;
    case Color::Kind::kRgb: std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c.r(), c.g(), c.b()); return buf;
  }
  return "?";
}

inline std::string describe(const CapturedCell& c) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "' w%d flags=%#x fg=", c.width, c.style.flags);
  return "'" + utf8(c.text) + buf + describe(c.style.fg) + " bg=" + describe(c.style.bg) +
         " ul=" + describe(c.style.underline_color);
}

}  // namespace detail

// Reads capture-pane -p -e output (rows separated by '\n'). `width` gives the cell width of a
// code point as the capturing terminal saw it (tmux: the C library's wcwidth()).
inline std::vector<CapturedRow> parse_tmux_capture(std::string_view text, WidthFn width) {
  std::vector<CapturedRow> rows;
  Style style;
  bool charset = false;
  std::size_t i = 0;
  while (i < text.size()) {
    CapturedRow row;
    while (i < text.size() && text[i] != '\n') {
      const auto b = static_cast<unsigned char>(text[i]);
      if (b == 0x1B && i + 1 < text.size() && text[i + 1] == '[') {
        const std::size_t end = text.find('m', i + 2);
        if (end == std::string_view::npos) break;
        detail::apply_capture_sgr(text.substr(i + 2, end - i - 2), style);
        i = end + 1;
        continue;
      }
      if (b == 0x0E || b == 0x0F) {
        charset = b == 0x0E;
        ++i;
        continue;
      }
      // UTF-8 (tmux writes only valid sequences).
      char32_t cp = b;
      std::size_t n = 1;
      if (b >= 0xF0) {
        cp = b & 0x07;
        n = 4;
      } else if (b >= 0xE0) {
        cp = b & 0x0F;
        n = 3;
      } else if (b >= 0xC0) {
        cp = b & 0x1F;
        n = 2;
      }
      for (std::size_t k = 1; k < n && i + k < text.size(); ++k) cp = (cp << 6) | (text[i + k] & 0x3F);
      i += n;
      if (charset && cp >= 0x5F && cp <= 0x7E) cp = detail::kCaptureDecGraphics[cp - 0x5F];
      const int w = cp < 0x7F ? 1 : width(cp);
      if (w <= 0) {  // a combining mark: joins the cell before (the wide one, not its spacer)
        std::size_t k = row.cells.size();
        while (k > 0 && row.cells[k - 1].width == 0) --k;
        if (k > 0) row.cells[k - 1].text.push_back(cp);
        continue;
      }
      CapturedCell cell;
      cell.text = std::u32string(1, cp);
      cell.style = style;
      cell.width = w >= 2 ? 2 : 1;
      row.cells.push_back(cell);
      if (w >= 2) {
        cell.text.clear();
        cell.width = 0;
        row.cells.push_back(cell);
      }
    }
    ++i;  // the '\n'
    rows.push_back(std::move(row));
  }
  return rows;
}

// The Terminal's view of a cell in the same terms.
inline CapturedCell captured_cell(const Terminal& t, const Cell& c) {
  CapturedCell out;
  out.style = c.style;
  out.style.flags = static_cast<std::uint16_t>(out.style.flags & ~(attr::kWide | attr::kWideSpacer));
  out.style.link = 0;
  if (c.wide_spacer()) {
    out.text.clear();
    out.width = 0;
  } else {
    out.width = c.wide() ? 2 : 1;
    if (c.cp != 0) out.text = t.cell_text(c);
  }
  return out;
}

inline bool same_cell(const CapturedCell& a, const CapturedCell& b) {
  return a.text == b.text && a.width == b.width && a.style == b.style;
}

// Empty when the Terminal's screen shows what the capture shows; otherwise a description of the
// first differences. Cells the capture did not print must be blank on the Terminal (their
// colours are not compared: tmux does not report them).
inline std::string compare_screen(const std::vector<CapturedRow>& expected, const Terminal& t,
                                  std::size_t max_report = 8) {
  std::string report;
  std::size_t differences = 0;
  if (expected.size() != static_cast<std::size_t>(t.rows())) {
    return "capture has " + std::to_string(expected.size()) + " rows, terminal " + std::to_string(t.rows()) + "\n";
  }
  for (int r = 0; r < t.rows(); ++r) {
    const auto& cells = expected[static_cast<std::size_t>(r)].cells;
    bool row_differs = false;
    for (int c = 0; c < t.cols(); ++c) {
      const CapturedCell have = captured_cell(t, t.cell(r, c));
      std::string what;
      if (static_cast<std::size_t>(c) < cells.size()) {
        if (!same_cell(cells[static_cast<std::size_t>(c)], have)) {
          what = "expected " + detail::describe(cells[static_cast<std::size_t>(c)]) + ", have " + detail::describe(have);
        }
      } else if (have.text != U" " || have.width != 1) {
        what = "expected a blank, have " + detail::describe(have);
      }
      if (what.empty()) continue;
      row_differs = true;
      if (++differences <= max_report) {
        report += "row " + std::to_string(r) + " col " + std::to_string(c) + ": " + what + "\n";
      }
    }
    if (static_cast<int>(cells.size()) > t.cols()) {
      row_differs = true;
      ++differences;
      report += "row " + std::to_string(r) + ": capture is " + std::to_string(cells.size()) + " columns wide\n";
    }
    if (row_differs && differences <= max_report + 4) {
      std::u32string want;
      for (const auto& cell : cells) want += cell.text;
      report += "  capture : |" + detail::utf8(want) + "|\n  terminal: |" + t.row_text(r) + "|\n";
    }
  }
  if (differences > max_report) report += std::to_string(differences) + " differing cells in all\n";
  return report;
}

}  // namespace mw::term::test
