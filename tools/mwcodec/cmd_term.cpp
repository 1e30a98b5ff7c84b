// mwcodec term-replay: feeds a recorded terminal output (the bytes a program wrote to its pty)
// to shared/term and prints the final screen, one line per row. With --sgr the attributes are
// written as tmux's `capture-pane -p -e` writes them (tmux 3.3a, grid_string_cells_code): SGR
// codes only where they change from the previous cell, the state carried from row to row, and
// trailing spaces trimmed, so the two outputs can be compared with diff. Differences that remain
// by design are listed in docs/term-conformance.md (tmux keeps DEC line drawing as ASCII inside
// SO/SI and distinguishes 38;5;1 from 31; Meshwork stores the Unicode character and one palette).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "command.hpp"
#include "mw/term/terminal.hpp"

namespace {

using mw::term::Cell;
using mw::term::Color;
using mw::term::Style;
using mw::term::Underline;
namespace attr = mw::term::attr;

void put_utf8(char32_t c, std::string& out) {
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

// tmux's attribute table, in its order: the bit a style has, and the code written for it
// (two-digit codes are written as "4:2" and so on).
struct AttrCode {
  int code;
  bool (*has)(const Style&);
};
constexpr AttrCode kAttrs[] = {
    {1, [](const Style& s) { return s.has(attr::kBold); }},
    {2, [](const Style& s) { return s.has(attr::kFaint); }},
    {3, [](const Style& s) { return s.has(attr::kItalic); }},
    {4, [](const Style& s) { return s.underline() == Underline::kSingle; }},
    {5, [](const Style& s) { return s.has(attr::kBlink); }},
    {7, [](const Style& s) { return s.has(attr::kInverse); }},
    {8, [](const Style& s) { return s.has(attr::kInvisible); }},
    {9, [](const Style& s) { return s.has(attr::kStrike); }},
    {42, [](const Style& s) { return s.underline() == Underline::kDouble; }},
    {43, [](const Style& s) { return s.underline() == Underline::kCurly; }},
    {44, [](const Style& s) { return s.underline() == Underline::kDotted; }},
    {45, [](const Style& s) { return s.underline() == Underline::kDashed; }},
    {53, [](const Style& s) { return s.has(attr::kOverline); }},
};

// The SGR parameters of a colour as tmux writes them: base is 30 (fg), 40 (bg) or 0 (underline,
// which has no default code and no 16-colour form).
std::vector<int> color_code(Color c, int base) {
  const int ext = base == 0 ? 58 : base + 8;
  switch (c.kind()) {
    case Color::Kind::kDefault:
      if (base == 0) return {};
      return {base + 9};
    case Color::Kind::kPalette:
      if (base != 0 && c.index() < 8) return {base + c.index()};
      if (base != 0 && c.index() < 16) return {base + 60 + c.index() - 8};
      return {ext, 5, c.index()};
    case Color::Kind::kRgb:
      return {ext, 2, c.r(), c.g(), c.b()};
  }
  return {};
}

void add_color(std::string& out, bool reset, const std::vector<int>& now, const std::vector<int>& before) {
  if (now.empty() || (now == before && !reset)) return;
  out += "\x1b[";
  for (std::size_t i = 0; i < now.size(); ++i) {
    if (i) out += ';';
    out += std::to_string(now[i]);
  }
  out += 'm';
}

// What tmux writes before a cell with style `s` when the previous one had `last`.
void style_change(const Style& last, const Style& s, std::string& out) {
  std::vector<int> codes;
  bool reset = false;
  for (const auto& a : kAttrs) {
    if (a.has(last) && !a.has(s)) reset = true;
  }
  if (!last.underline_color.is_default() && s.underline_color.is_default()) reset = true;
  if (reset) codes.push_back(0);
  for (const auto& a : kAttrs) {
    if (a.has(s) && (reset || !a.has(last))) codes.push_back(a.code);
  }
  if (!codes.empty()) {
    out += "\x1b[";
    for (std::size_t i = 0; i < codes.size(); ++i) {
      if (i) out += ';';
      out += codes[i] < 10 ? std::to_string(codes[i]) : std::to_string(codes[i] / 10) + ":" + std::to_string(codes[i] % 10);
    }
    out += 'm';
  }
  add_color(out, reset, color_code(s.fg, 30), color_code(last.fg, 30));
  add_color(out, reset, color_code(s.bg, 40), color_code(last.bg, 40));
  add_color(out, reset, color_code(s.underline_color, 0), color_code(last.underline_color, 0));
}

// One screen row: cells up to the last one a character was written to (tmux's "cellused": cells
// only erased, even with a background colour, are not part of it), wide-character spacers
// skipped, trailing spaces trimmed. `last` is the style of the previous cell written, carried
// across rows.
std::string render_row(const mw::term::Terminal& term, int row, bool sgr, Style& last) {
  const mw::term::Line& line = term.screen_line(row);
  std::size_t used = line.cells.size();
  while (used > 0 && line.cells[used - 1].cp == 0 && !line.cells[used - 1].wide_spacer()) --used;
  std::string out;
  for (std::size_t col = 0; col < used; ++col) {
    const Cell& c = line.cells[col];
    if (c.wide_spacer()) continue;
    if (sgr) {
      Style s = c.style;
      s.link = 0;  // tmux 3.3a has no hyperlinks
      style_change(last, s, out);
      last = s;
    }
    if (c.cp == 0) {
      out += ' ';
    } else {
      for (char32_t x : term.cell_text(c)) put_utf8(x, out);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

int usage() {
  std::fprintf(stderr, "usage: mwcodec term-replay CAPTURE --cols C --rows R [--sgr]\n"
                       "  CAPTURE: bytes a program wrote to its terminal ('-' for stdin)\n");
  return 2;
}

bool parse_size(const std::string& s, int max, int& out) {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < 1 || v > max) return false;
  out = static_cast<int>(v);
  return true;
}

int run(const std::vector<std::string>& args) {
  std::string path;
  int cols = 80;
  int rows = 24;
  bool sgr = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--sgr") {
      sgr = true;
    } else if ((a == "--cols" || a == "--rows") && i + 1 < args.size()) {
      const bool ok = a == "--cols" ? parse_size(args[++i], mw::term::TerminalOptions::kMaxCols, cols)
                                    : parse_size(args[++i], mw::term::TerminalOptions::kMaxRows, rows);
      if (!ok) return usage();
    } else if (path.empty() && (a == "-" || a.rfind("--", 0) != 0)) {
      path = a;
    } else {
      return usage();
    }
  }
  if (path.empty()) return usage();

  std::string bytes;
  if (path == "-") {
    bytes.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
      std::fprintf(stderr, "mwcodec term-replay: cannot read %s\n", path.c_str());
      return 1;
    }
    bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }

  mw::term::TerminalOptions o;
  o.cols = cols;
  o.rows = rows;
  o.scrollback_lines = 0;  // only the final screen is printed
  mw::term::Terminal term(o);
  term.feed(bytes);

  std::string out;
  Style last;
  for (int r = 0; r < term.rows(); ++r) {
    out += render_row(term, r, sgr, last);
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

const mw::tools::Registration reg{"term-replay", "CAPTURE --cols C --rows R [--sgr]", run};

}  // namespace
