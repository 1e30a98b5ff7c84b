// Helpers for the terminal tests: a terminal with captured replies, screen text, cell access.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "mw/term/terminal.hpp"

namespace mw::term::test {

struct Term {
  explicit Term(int cols = 80, int rows = 24, std::size_t scrollback = 1000) {
    TerminalOptions o;
    o.cols = cols;
    o.rows = rows;
    o.scrollback_lines = scrollback;
    t = Terminal(o);
    t.set_output([this](std::string_view s) { replies += s; });
  }
  Term& operator<<(std::string_view bytes) {
    t.feed(bytes);
    return *this;
  }
  // Visible rows joined by '\n', trailing blanks and empty rows dropped.
  std::string screen() const {
    std::string out;
    std::size_t keep = 0;
    for (int r = 0; r < t.rows(); ++r) {
      if (r) out += '\n';
      out += t.row_text(r);
      if (!t.row_text(r).empty()) keep = out.size();
    }
    return out.substr(0, keep);
  }
  std::string row(int r) const { return t.row_text(r); }
  const Cell& cell(int r, int c) const { return t.cell(r, c); }
  std::pair<int, int> cursor() const { return {t.cursor_row(), t.cursor_col()}; }
  std::string take_replies() {
    std::string s;
    s.swap(replies);
    return s;
  }

  Terminal t;
  std::string replies;
};

using Pos = std::pair<int, int>;

}  // namespace mw::term::test
