// Selection text, word/line selection and search over the scrollback and screen. Works on
// logical lines (physical lines joined by their soft-wrap flags) through Terminal's read API.
#include "mw/term/selection.hpp"

#include <algorithm>
#include <climits>

#include "utf8.hpp"

namespace mw::term {
namespace {

using detail::put_utf8;

// Index in Terminal::line() of an absolute line number, if that line still exists.
std::optional<std::size_t> index_of(const Terminal& term, std::uint64_t line) {
  const std::uint64_t dropped = term.lines_dropped();
  if (line < dropped || line - dropped >= term.total_lines()) return std::nullopt;
  return static_cast<std::size_t>(line - dropped);
}

std::size_t logical_start(const Terminal& term, std::size_t index) {
  while (index > 0 && term.line(index - 1).wrapped) --index;
  return index;
}

// One cell of a logical line with its position (wide spacers left out).
struct Slot {
  TextPos pos;
  Cell cell;
};

// The cells of the logical line starting at `first`; returns the index of its last line.
std::size_t gather(const Terminal& term, std::size_t first, std::vector<Slot>& out) {
  out.clear();
  const std::uint64_t dropped = term.lines_dropped();
  std::size_t i = first;
  for (;; ++i) {
    const Line& l = term.line(i);
    std::size_t n = l.cells.size();
    if (!l.wrapped) {
      while (n > 0 && l.cells[n - 1].cp == 0 && !l.cells[n - 1].wide_spacer()) --n;
    }
    for (std::size_t c = 0; c < n; ++c) {
      if (l.cells[c].wide_spacer()) continue;
      out.push_back(Slot{TextPos{dropped + i, static_cast<int>(c)}, l.cells[c]});
    }
    if (!l.wrapped || i + 1 >= term.total_lines()) break;
  }
  return i;
}

char32_t fold(char32_t c, bool case_sensitive) {
  if (!case_sensitive && c >= 'A' && c <= 'Z') return c - 'A' + 'a';
  return c;
}

std::u32string decode_utf8(std::string_view s) {
  // The needle comes from the user interface; ill-formed bytes simply become U+FFFD.
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n;
    char32_t c;
    if (b < 0x80) {
      out.push_back(b);
      ++i;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      n = 1;
      c = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      n = 2;
      c = b & 0x0F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      n = 3;
      c = b & 0x07;
    } else {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    bool ok = i + n < s.size();
    for (std::size_t k = 1; ok && k <= n; ++k) {
      const auto x = static_cast<unsigned char>(s[i + k]);
      ok = (x & 0xC0) == 0x80;
      c = (c << 6) | (x & 0x3F);
    }
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(c);
    i += n + 1;
  }
  return out;
}

}  // namespace

TextPos screen_pos(const Terminal& term, int row, int col) {
  return TextPos{term.lines_dropped() + term.scrollback_size() + static_cast<std::uint64_t>(std::max(row, 0)), col};
}

bool is_selected(const Selection& sel, TextPos pos) {
  const TextPos a = std::min(sel.anchor, sel.head);
  const TextPos b = std::max(sel.anchor, sel.head);
  if (pos.line < a.line || pos.line > b.line) return false;
  switch (sel.mode) {
    case SelectionMode::kLine:
      return true;
    case SelectionMode::kBlock:
      return pos.col >= std::min(sel.anchor.col, sel.head.col) && pos.col <= std::max(sel.anchor.col, sel.head.col);
    case SelectionMode::kNormal:
      break;
  }
  return !(pos < a) && !(b < pos);
}

std::string selected_text(const Terminal& term, const Selection& sel) {
  TextPos a = std::min(sel.anchor, sel.head);
  TextPos b = std::max(sel.anchor, sel.head);
  const std::uint64_t dropped = term.lines_dropped();
  if (term.total_lines() == 0 || b.line < dropped) return {};
  if (a.line < dropped) a = TextPos{dropped, 0};
  const std::uint64_t last_line = dropped + term.total_lines() - 1;
  if (a.line > last_line) return {};
  if (b.line > last_line) b = TextPos{last_line, INT_MAX};
  const bool block = sel.mode == SelectionMode::kBlock;
  const int block_from = std::min(sel.anchor.col, sel.head.col);
  const int block_to = std::max(sel.anchor.col, sel.head.col);

  std::string out;
  for (std::uint64_t ln = a.line; ln <= b.line; ++ln) {
    const Line& l = term.line(static_cast<std::size_t>(ln - dropped));
    int from = block ? block_from : (ln == a.line && sel.mode != SelectionMode::kLine ? a.col : 0);
    int to = block ? block_to : (ln == b.line && sel.mode != SelectionMode::kLine ? b.col : INT_MAX);
    from = std::max(from, 0);
    if (from < static_cast<int>(l.cells.size()) && from > 0 && l.cells[static_cast<std::size_t>(from)].wide_spacer()) {
      --from;  // starting on the second half of a wide character takes all of it
    }
    std::string segment;
    for (int c = from; c <= to && c < static_cast<int>(l.cells.size()); ++c) {
      const Cell& cell = l.cells[static_cast<std::size_t>(c)];
      if (cell.wide_spacer()) continue;
      if (cell.cp == 0) {
        segment += ' ';
      } else {
        for (char32_t x : term.cell_text(cell)) put_utf8(x, segment);
      }
    }
    const bool joined = !block && l.wrapped && ln != b.line;
    if (!joined) {
      while (!segment.empty() && segment.back() == ' ') segment.pop_back();
    }
    out += segment;
    if (ln != b.line && !joined) out += '\n';
  }
  return out;
}

Selection word_at(const Terminal& term, TextPos pos, std::u32string_view separators) {
  Selection sel{pos, pos, SelectionMode::kNormal};
  const auto index = index_of(term, pos.line);
  if (!index) return sel;
  std::vector<Slot> slots;
  gather(term, logical_start(term, *index), slots);
  // The slot under pos (the lead cell when pos is on the second half of a wide character).
  std::size_t k = 0;
  bool found = false;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (slots[i].pos.line == pos.line && slots[i].pos.col <= pos.col) {
      k = i;
      found = true;
    }
  }
  if (!found) return sel;
  auto is_word = [&](const Cell& c) {
    if (c.cp == 0) return false;
    const char32_t base = c.is_cluster() ? term.cell_text(c).front() : c.cp;
    return separators.find(base) == std::u32string_view::npos;
  };
  if (!is_word(slots[k].cell)) {
    sel.anchor = sel.head = slots[k].pos;
    return sel;
  }
  std::size_t first = k, last = k;
  while (first > 0 && is_word(slots[first - 1].cell)) --first;
  while (last + 1 < slots.size() && is_word(slots[last + 1].cell)) ++last;
  sel.anchor = slots[first].pos;
  sel.head = slots[last].pos;
  return sel;
}

Selection line_at(const Terminal& term, TextPos pos) {
  Selection sel{pos, pos, SelectionMode::kLine};
  const auto index = index_of(term, pos.line);
  if (!index) return sel;
  std::size_t first = logical_start(term, *index);
  std::size_t last = first;
  while (term.line(last).wrapped && last + 1 < term.total_lines()) ++last;
  sel.anchor = TextPos{term.lines_dropped() + first, 0};
  sel.head = TextPos{term.lines_dropped() + last, term.cols() - 1};
  return sel;
}

std::vector<Match> find_all(const Terminal& term, std::string_view needle_utf8, SearchOptions options) {
  std::vector<Match> matches;
  std::u32string needle = decode_utf8(needle_utf8);
  if (needle.empty() || options.max_matches == 0) return matches;
  for (auto& c : needle) c = fold(c, options.case_sensitive);

  std::vector<Slot> slots;
  std::u32string text;
  std::vector<std::size_t> owner;  // slot of each code point in text
  for (std::size_t i = 0; i < term.total_lines();) {
    const std::size_t last = gather(term, i, slots);
    text.clear();
    owner.clear();
    for (std::size_t s = 0; s < slots.size(); ++s) {
      const Cell& cell = slots[s].cell;
      if (cell.cp == 0) {
        text.push_back(U' ');
        owner.push_back(s);
      } else if (cell.is_cluster()) {
        for (char32_t x : term.cell_text(cell)) {
          text.push_back(fold(x, options.case_sensitive));
          owner.push_back(s);
        }
      } else {
        text.push_back(fold(cell.cp, options.case_sensitive));
        owner.push_back(s);
      }
    }
    for (auto it = text.begin();;) {
      it = std::search(it, text.end(), needle.begin(), needle.end());
      if (it == text.end()) break;
      const auto at = static_cast<std::size_t>(it - text.begin());
      matches.push_back(Match{slots[owner[at]].pos, slots[owner[at + needle.size() - 1]].pos});
      if (matches.size() >= options.max_matches) return matches;
      ++it;
    }
    i = last + 1;
  }
  return matches;
}

std::optional<Match> find_next(const Terminal& term, std::string_view needle, TextPos from, bool forward,
                               SearchOptions options) {
  const std::vector<Match> all = find_all(term, needle, options);
  if (all.empty()) return std::nullopt;
  if (forward) {
    for (const Match& m : all) {
      if (from < m.first) return m;
    }
    return all.front();
  }
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->first < from) return *it;
  }
  return all.back();
}

}  // namespace mw::term
