// The screen model's editing primitives: printing (auto-wrap, wide characters, combining marks,
// insert mode, character sets), cursor motion, scrolling with scrollback, erase/insert/delete,
// alternate screen, and resize with reflow of soft-wrapped lines. Called by terminal.cpp.
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "mw/term/width.hpp"
#include "terminal_impl.hpp"
#include "utf8.hpp"

namespace mw::term {
namespace {

// DEC Special Graphics for 0x5F..0x7E (VT100 line drawing).
constexpr char32_t kDecGraphics[32] = {
    0x00A0, 0x25C6, 0x2592, 0x2409, 0x240C, 0x240D, 0x240A, 0x00B0, 0x00B1, 0x2424, 0x240B,
    0x2518, 0x2510, 0x250C, 0x2514, 0x253C, 0x23BA, 0x23BB, 0x2500, 0x23BC, 0x23BD, 0x251C,
    0x2524, 0x2534, 0x252C, 0x2502, 0x2264, 0x2265, 0x03C0, 0x2260, 0x00A3, 0x00B7,
};

// Turns half of a split wide character into a plain blank with the same colours.
void unwide(Cell& c) {
  c.cp = 0;
  c.style.flags = static_cast<std::uint16_t>(c.style.flags & ~(attr::kWide | attr::kWideSpacer));
}

bool line_blank(const Line& l) {
  return std::all_of(l.cells.begin(), l.cells.end(), [](const Cell& c) { return c == Cell{}; });
}

}  // namespace

// [SECTION] Printing

void Terminal::Impl::print_one(char32_t c) {
  last_char = c < 0x7F ? c : 0;  // REP repeats ASCII only (as tmux)
  Charsets& cs = cur.charsets;
  const char set = cs.g[cs.single_shift ? cs.single_shift : cs.gl];
  cs.single_shift = 0;
  if (set != 'B' && c < 0x7F) {
    if (set == '0' && c >= 0x5F) {
      c = kDecGraphics[c - 0x5F];
    } else if (set == 'A' && c == '#') {
      c = 0x00A3;
    }
  }
  const int w = c < 0x7F ? 1 : width_of(c);
  if (w == 0) {
    combine(c);
    return;
  }
  // Insert mode shifts the line at the cursor; with a wrap pending there is nothing to shift and
  // the character then overwrites the start of the next line (tmux).
  if (modes.insert) insert_chars(static_cast<unsigned>(w));
  if (cur.pending_wrap) {
    if (!modes.autowrap) return;  // past the last column with wrapping off: nowhere to go (tmux)
    lines()[cur.row].wrapped = true;
    index();
    cur.col = 0;
  }
  cur.pending_wrap = false;
  if (w == 2 && cur.col >= cols - 1) {
    if (cols < 2) return;  // a double-width character cannot fit at all
    if (!modes.autowrap) return;  // no room and no wrap: dropped (as tmux)
    {
      // The last column stays empty and the character starts the next line.
      lines()[cur.row].wrapped = true;
      index();
      cur.col = 0;
    }
  }
  std::vector<Cell>& cells = lines()[cur.row].cells;
  const int col = cur.col;
  const int end = col + w;
  // Overwriting half of a wide character blanks its other half.
  if (cells[col].wide_spacer() && col > 0) unwide(cells[col - 1]);
  if (end < cols && cells[end].wide_spacer()) unwide(cells[end]);
  Cell& cell = cells[col];
  cell.cp = c;
  cell.style = cur.pen;
  if (w == 2) {
    cell.style.flags |= attr::kWide;
    Cell& spacer = cells[col + 1];
    spacer.cp = 0;
    spacer.style = cur.pen;
    spacer.style.flags |= attr::kWideSpacer;
  }
  if (end >= cols) {
    cur.col = cols - 1;
    cur.pending_wrap = modes.autowrap;
  } else {
    cur.col = end;
  }
}

void Terminal::Impl::combine(char32_t mark) {
  // The mark joins the character left of the cursor (or under it, after the last column).
  const int col = cur.pending_wrap ? cur.col : cur.col - 1;
  if (col < 0) return;
  std::vector<Cell>& cells = lines()[cur.row].cells;
  Cell* cell = &cells[col];
  if (cell->wide_spacer() && col > 0) cell = &cells[col - 1];
  // The same base and mark give the same cluster until a collection may reuse ids: a small
  // cache spares building and hashing the string for the common accented letters.
  CombineCacheEntry& hit = combine_cache[(cell->cp * 31u + mark) % combine_cache.size()];
  if (hit.result != 0 && hit.base == cell->cp && hit.mark == mark) {
    cell->cp = hit.result;
    return;
  }
  std::u32string s = cell->cp == 0 ? std::u32string(1, U' ') : cell_text(*cell);  // tmux joins blanks too
  if (s.size() >= opt.max_cluster_length) return;
  s.push_back(mark);
  const long id = intern_cluster(s);
  if (id < 0) return;  // table full of live clusters: the mark is dropped
  const char32_t result = Cell::kClusterBit | static_cast<char32_t>(id);
  hit = CombineCacheEntry{cell->cp, mark, result};
  cell->cp = result;
}

// [SECTION] Cursor motion and scrolling

void Terminal::Impl::linefeed() {
  index();
  if (modes.newline) carriage_return();
}

void Terminal::Impl::index() {
  if (cur.row == bottom) {
    scroll_up(top, bottom, 1, true);
  } else if (cur.row < rows - 1) {
    ++cur.row;
  }
  // The pending wrap survives vertical motion, as in tmux: the next character still wraps.
}

void Terminal::Impl::reverse_index() {
  if (cur.row == top) {
    scroll_down(top, bottom, 1);
  } else if (cur.row > 0) {
    --cur.row;
  }
}

void Terminal::Impl::backspace() {
  if (cur.pending_wrap) {
    cur.pending_wrap = false;  // back from the pending-wrap position is the last column
  } else if (cur.col > 0) {
    --cur.col;
  } else if (cur.row > 0 && lines()[cur.row - 1].wrapped) {
    --cur.row;  // back over a soft wrap to the end of the previous line (tmux)
    cur.col = cols - 1;
  }
}

void Terminal::Impl::tab_forward(unsigned n) {
  int col = cur.col;
  while (n-- > 0 && col < cols - 1) {
    ++col;
    while (col < cols - 1 && !tabs[col]) ++col;
  }
  cur.col = col;
}

void Terminal::Impl::tab_backward(unsigned n) {
  int col = wrap_col();
  while (n-- > 0 && col > 0) {
    --col;
    while (col > 0 && !tabs[col]) --col;
  }
  cur.col = col;
  cur.pending_wrap = false;
}

void Terminal::Impl::move_to(int row, int col) {
  cur.row = std::clamp(row, 0, rows - 1);
  cur.col = std::clamp(col, 0, cols - 1);
  cur.pending_wrap = false;
}

void Terminal::Impl::move_to_origin(int row, int col) {
  if (modes.origin) {
    cur.row = std::clamp(top + row, top, bottom);
  } else {
    cur.row = std::clamp(row, 0, rows - 1);
  }
  cur.col = std::clamp(col, 0, cols - 1);
  cur.pending_wrap = false;
}

void Terminal::Impl::move_up(unsigned n) {
  const int limit = cur.row >= top ? top : 0;
  cur.row = std::max(limit, cur.row - static_cast<int>(std::min<unsigned>(n, 65535)));
  cur.pending_wrap = false;
}

void Terminal::Impl::move_down(unsigned n) {
  const int limit = cur.row <= bottom ? bottom : rows - 1;
  cur.row = std::min(limit, cur.row + static_cast<int>(std::min<unsigned>(n, 65535)));
  cur.pending_wrap = false;
}

void Terminal::Impl::blank_line(Line& line) {
  static_assert(std::is_trivially_copyable_v<Cell>);
  const Cell b = blank();
  line.cells.resize(static_cast<std::size_t>(cols));
  if (b == Cell{}) {
    // All-zero bits are the default cell: a memset is much faster than a 20-byte fill loop.
    std::memset(static_cast<void*>(line.cells.data()), 0, line.cells.size() * sizeof(Cell));
  } else {
    std::fill(line.cells.begin(), line.cells.end(), b);
  }
  line.wrapped = false;
}

void Terminal::Impl::push_history(Line&& line) {
  if (opt.scrollback_lines == 0) return;
  auto& cells = line.cells;
  // Wide lines give their unused room back (keeps a big scrollback compact): trailing default
  // cells are trimmed. Narrow ones are kept whole, so that recycling them as blank lines costs
  // neither an allocation nor a refill. A wrapped line keeps its blanks: they are inside the text.
  if (!line.wrapped && cells.size() > 256) {
    while (!cells.empty() && cells.back() == Cell{}) cells.pop_back();
    if (cells.size() < cells.capacity() / 2) cells.shrink_to_fit();
  }
  if (history.size() >= opt.scrollback_lines) {
    // Recycle the oldest line's storage for the caller's next blank line.
    Line oldest = std::move(history.front());
    history.pop_front();
    ++dropped;
    history.push_back(std::move(line));
    line = std::move(oldest);
  } else {
    history.push_back(std::move(line));
    line = Line{};
  }
}

void Terminal::Impl::scroll_up(int top_row, int bottom_row, unsigned n, bool to_history) {
  if (top_row > bottom_row) return;
  const int count = static_cast<int>(std::min<unsigned>(n, static_cast<unsigned>(bottom_row - top_row + 1)));
  Buffer& ls = lines();
  const bool whole = top_row == 0 && bottom_row == rows - 1;
  if (to_history && !alt_active && whole) {
    for (int i = 0; i < count; ++i) push_history(std::move(ls[static_cast<std::size_t>(i)]));
  }
  if (whole) {
    ls.turn_up(static_cast<std::size_t>(count));  // the lines that left the top come back as the bottom
  } else {
    // Rotate rows [top_row, bottom_row] up by count (one line at a time is the common case).
    if (count == 1) {
      Line first = std::move(ls[static_cast<std::size_t>(top_row)]);
      for (int r = top_row; r < bottom_row; ++r) ls[static_cast<std::size_t>(r)] = std::move(ls[static_cast<std::size_t>(r + 1)]);
      ls[static_cast<std::size_t>(bottom_row)] = std::move(first);
      blank_line(ls[static_cast<std::size_t>(bottom_row)]);
      if (top_row > 0) ls[static_cast<std::size_t>(top_row - 1)].wrapped = false;
      return;
    }
    std::vector<Line> moved;
    moved.reserve(static_cast<std::size_t>(count));
    for (int r = top_row; r < top_row + count; ++r) moved.push_back(std::move(ls[static_cast<std::size_t>(r)]));
    for (int r = top_row; r + count <= bottom_row; ++r) {
      ls[static_cast<std::size_t>(r)] = std::move(ls[static_cast<std::size_t>(r + count)]);
    }
    for (int k = 0; k < count; ++k) ls[static_cast<std::size_t>(bottom_row - count + 1 + k)] = std::move(moved[static_cast<std::size_t>(k)]);
  }
  for (int r = bottom_row - count + 1; r <= bottom_row; ++r) blank_line(ls[static_cast<std::size_t>(r)]);
  // The line above the region no longer continues into it.
  if (top_row > 0) ls[static_cast<std::size_t>(top_row - 1)].wrapped = false;
}

void Terminal::Impl::scroll_down(int top_row, int bottom_row, unsigned n) {
  if (top_row > bottom_row) return;
  const int count = static_cast<int>(std::min<unsigned>(n, static_cast<unsigned>(bottom_row - top_row + 1)));
  Buffer& ls = lines();
  if (top_row == 0 && bottom_row == rows - 1) {
    ls.turn_down(static_cast<std::size_t>(count));  // the lines that left the bottom come back as the top
  } else {
    // Rotate rows [top_row, bottom_row] down by count (one line at a time is the common case).
    if (count == 1) {
      Line last = std::move(ls[static_cast<std::size_t>(bottom_row)]);
      for (int r = bottom_row; r > top_row; --r) ls[static_cast<std::size_t>(r)] = std::move(ls[static_cast<std::size_t>(r - 1)]);
      ls[static_cast<std::size_t>(top_row)] = std::move(last);
      blank_line(ls[static_cast<std::size_t>(top_row)]);
      if (top_row > 0) ls[static_cast<std::size_t>(top_row - 1)].wrapped = false;
      ls[static_cast<std::size_t>(bottom_row)].wrapped = false;
      return;
    }
    std::vector<Line> moved;
    moved.reserve(static_cast<std::size_t>(count));
    for (int r = bottom_row - count + 1; r <= bottom_row; ++r) moved.push_back(std::move(ls[static_cast<std::size_t>(r)]));
    for (int r = bottom_row; r - count >= top_row; --r) {
      ls[static_cast<std::size_t>(r)] = std::move(ls[static_cast<std::size_t>(r - count)]);
    }
    for (int k = 0; k < count; ++k) ls[static_cast<std::size_t>(top_row + k)] = std::move(moved[static_cast<std::size_t>(k)]);
  }
  for (int r = top_row; r < top_row + count; ++r) blank_line(ls[static_cast<std::size_t>(r)]);
  // Continuations were broken at both ends: above the new blank lines and past the bottom.
  if (top_row > 0) ls[static_cast<std::size_t>(top_row - 1)].wrapped = false;
  ls[static_cast<std::size_t>(bottom_row)].wrapped = false;
}

// [SECTION] Erase, insert, delete

void Terminal::Impl::erase_cells(int row, int from, int to) {
  from = std::clamp(from, 0, cols);
  to = std::clamp(to, 0, cols);
  if (from >= to) return;
  std::vector<Cell>& cells = lines()[static_cast<std::size_t>(row)].cells;
  if (cells[from].wide_spacer() && from > 0) unwide(cells[from - 1]);
  if (to < cols && cells[to].wide_spacer()) unwide(cells[to]);
  std::fill(cells.begin() + from, cells.begin() + to, blank());
}

void Terminal::Impl::erase_display(unsigned mode) {
  Buffer& ls = lines();
  switch (mode) {
    case 0:
      erase_cells(cur.row, wrap_col(), cols);
      ls[cur.row].wrapped = false;
      for (int r = cur.row + 1; r < rows; ++r) blank_line(ls[r]);
      break;
    case 1:
      for (int r = 0; r < cur.row; ++r) blank_line(ls[r]);
      erase_cells(cur.row, 0, wrap_col() + 1);
      break;
    case 2:
      for (auto& l : ls) blank_line(l);
      break;
    case 3:
      dropped += history.size();
      history.clear();
      break;
    default:
      break;
  }
}

void Terminal::Impl::erase_line(unsigned mode) {
  switch (mode) {
    case 0:
      erase_cells(cur.row, wrap_col(), cols);
      lines()[cur.row].wrapped = false;
      break;
    case 1:
      erase_cells(cur.row, 0, wrap_col() + 1);
      break;
    case 2:
      erase_cells(cur.row, 0, cols);
      lines()[cur.row].wrapped = false;
      break;
    default:
      break;
  }
}

void Terminal::Impl::insert_chars(unsigned n) {
  if (cur.pending_wrap) return;  // the cursor is past the last column: nothing to shift
  std::vector<Cell>& cells = lines()[cur.row].cells;
  const int col = cur.col;
  const int count = static_cast<int>(std::min<unsigned>(n, static_cast<unsigned>(cols - col)));
  if (cells[col].wide_spacer() && col > 0) {
    unwide(cells[col - 1]);
    unwide(cells[col]);
  }
  std::move_backward(cells.begin() + col, cells.end() - count, cells.end());
  std::fill(cells.begin() + col, cells.begin() + col + count, blank());
  if (cells[cols - 1].wide()) unwide(cells[cols - 1]);  // its second half was pushed off
}

void Terminal::Impl::delete_chars(unsigned n) {
  if (cur.pending_wrap) return;
  std::vector<Cell>& cells = lines()[cur.row].cells;
  const int col = cur.col;
  const int count = static_cast<int>(std::min<unsigned>(n, static_cast<unsigned>(cols - col)));
  if (cells[col].wide_spacer() && col > 0) unwide(cells[col - 1]);
  if (col + count < cols && cells[col + count].wide_spacer()) unwide(cells[col + count]);
  std::move(cells.begin() + col + count, cells.end(), cells.begin() + col);
  std::fill(cells.end() - count, cells.end(), blank());
}

// Outside the scroll region IL/DL act from the cursor to the bottom of the screen (tmux; xterm
// ignores them there). The column stays (tmux; xterm goes to the left margin).
void Terminal::Impl::insert_lines(unsigned n) {
  const bool inside = cur.row >= top && cur.row <= bottom;
  scroll_down(cur.row, inside ? bottom : rows - 1, n);
}

void Terminal::Impl::delete_lines(unsigned n) {
  const bool inside = cur.row >= top && cur.row <= bottom;
  scroll_up(cur.row, inside ? bottom : rows - 1, n, false);
}

// [SECTION] Margins, saved cursor, screens, tabs

void Terminal::Impl::set_margins(unsigned top_1, unsigned bottom_1) {
  const int t = static_cast<int>(top_1 ? top_1 : 1) - 1;
  const int b = std::min(static_cast<int>(bottom_1 ? std::min<unsigned>(bottom_1, 65535) : rows), rows) - 1;
  if (t >= b) return;  // a region needs at least two lines
  top = t;
  bottom = b;
  move_to(0, 0);  // the absolute home even in origin mode, as tmux
}

void Terminal::Impl::save_cursor() {
  saved = cur;
  saved.origin = modes.origin;
  saved.pending_wrap = false;  // restored at the last column, not past it
  has_saved = true;
}

void Terminal::Impl::restore_cursor() {
  if (has_saved) {
    cur = saved;
  } else {
    cur = Cursor{};
  }
  modes.origin = cur.origin;
  cur.row = std::clamp(cur.row, 0, rows - 1);
  cur.col = std::clamp(cur.col, 0, cols - 1);
}

// Entering the alternate screen always clears it (tmux does so for 47, 1047 and 1049 alike);
// 1049 also keeps the cursor to put it back on leaving.
void Terminal::Impl::alt_screen_on(bool save_position) {
  if (alt_active) return;
  alt_saved = cur;
  alt_saved_valid = save_position;
  for (auto& l : alternate.lines) {
    l.cells.assign(static_cast<std::size_t>(cols), Cell{});
    l.wrapped = false;
  }
  alt_active = true;
  modes.alt_screen = true;
}

void Terminal::Impl::alt_screen_off(bool restore_position) {
  cur.pending_wrap = false;
  if (restore_position && alt_saved_valid) {
    cur.row = std::clamp(alt_saved.row, 0, rows - 1);
    cur.col = std::clamp(alt_saved.col, 0, cols - 1);
    cur.pending_wrap = false;
    cur.pen = alt_saved.pen;
  }
  if (restore_position) alt_saved_valid = false;
  alt_active = false;
  modes.alt_screen = false;
}

void Terminal::Impl::screen_alignment() {
  Cell e;
  e.cp = U'E';
  for (auto& l : lines()) {
    std::fill(l.cells.begin(), l.cells.end(), e);
    l.wrapped = false;
  }
  top = 0;
  bottom = rows - 1;
  move_to(0, 0);
}

void Terminal::Impl::reset_tabs() {
  tabs.assign(static_cast<std::size_t>(cols), false);
  for (int c = 8; c < cols; c += 8) tabs[c] = true;
}

// [SECTION] Clusters, links and text

long Terminal::Impl::intern_cluster(const std::u32string& s) {
  long id = clusters.find_or_add(s);
  if (id < 0 && clusters.may_collect()) {
    collect_garbage();
    id = clusters.find_or_add(s);
  }
  return id;
}

long Terminal::Impl::intern_link(const std::string& key) {
  long id = links.find_or_add(key);
  if (id < 0 && links.may_collect()) {
    collect_garbage();
    id = links.find_or_add(key);
  }
  return id;
}

void Terminal::Impl::collect_garbage() {
  std::vector<bool> used_clusters(clusters.size(), false);
  std::vector<bool> used_links(links.size(), false);
  auto mark_link = [&](std::uint16_t link) {
    if (link != 0 && link - 1u < used_links.size()) used_links[link - 1u] = true;
  };
  auto mark = [&](const Line& l) {
    for (const Cell& c : l.cells) {
      if (c.is_cluster()) {
        const std::size_t id = c.cp & ~Cell::kClusterBit;
        if (id < used_clusters.size()) used_clusters[id] = true;
      }
      mark_link(c.style.link);
    }
  };
  for (const auto& l : primary.lines) mark(l);
  for (const auto& l : alternate.lines) mark(l);
  for (const auto& l : history) mark(l);
  mark_link(cur.pen.link);
  mark_link(saved.pen.link);
  mark_link(alt_saved.pen.link);
  clusters.collect(used_clusters);
  combine_cache.fill(CombineCacheEntry{});  // freed ids may be given to other clusters
  links.collect(used_links);
}

std::u32string Terminal::Impl::cell_text(const Cell& c) const {
  if (c.cp == 0) return {};
  if (c.is_cluster()) {
    const auto* s = clusters.get(c.cp & ~Cell::kClusterBit);
    return s ? *s : std::u32string(1, U'\uFFFD');
  }
  return std::u32string(1, c.cp);
}

using detail::put_utf8;

void Terminal::Impl::append_utf8(const Cell& c, std::string& out) const {
  if (c.wide_spacer()) return;
  if (c.cp == 0) {
    out += ' ';
  } else if (c.is_cluster()) {
    for (char32_t x : cell_text(c)) put_utf8(x, out);
  } else {
    put_utf8(c.cp, out);
  }
}

std::string Terminal::Impl::line_text(const Line& l) const {
  std::string out;
  for (const Cell& c : l.cells) append_utf8(c, out);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// [SECTION] Resize

namespace {

// Where a tracked position (cursor, top of screen) ends up after rewrapping.
struct Mark {
  std::size_t line = 0;    // index in the old combined list
  std::size_t offset = 0;  // cell offset within its logical line
  std::size_t new_row = 0;
  int new_col = 0;
  bool pending = false;  // lands just past the end of a full row: a pending wrap
};

}  // namespace

void Terminal::Impl::reflow_primary(int new_cols, int new_rows_in) {
  primary.linearize();
  // The combined list: history, then the primary screen.
  std::vector<Line> all;
  all.reserve(history.size() + primary.lines.size());
  for (auto& l : history) all.push_back(std::move(l));
  history.clear();
  const std::size_t screen_start = all.size();
  for (auto& l : primary.lines) all.push_back(std::move(l));
  primary.lines.clear();

  Cursor& c = alt_active ? alt_saved : cur;
  const std::size_t cursor_line = screen_start + static_cast<std::size_t>(std::clamp(c.row, 0, rows - 1));
  // Blank screen lines below the cursor are room, not content: take them off and count them.
  std::size_t trailing_blank = 0;
  while (all.size() > cursor_line + 1 && line_blank(all.back()) && !all[all.size() - 2].wrapped) {
    all.pop_back();
    ++trailing_blank;
  }

  std::vector<Line> out;
  out.reserve(all.size());
  Mark marks[2];  // 0: cursor, 1: first line of the old screen
  marks[0].line = cursor_line;
  marks[1].line = screen_start;
  const auto width = static_cast<std::size_t>(new_cols);
  const auto old_width = static_cast<std::size_t>(cols);
  std::vector<Cell> logical;
  std::size_t i = 0;
  while (i < all.size()) {
    // Gather one logical line: physical lines joined by their wrapped flags.
    const std::size_t first = i;
    logical.clear();
    std::size_t mark_offset[2] = {0, 0};
    bool has_mark[2] = {false, false};
    for (;;) {
      Line& l = all[i];
      for (int m = 0; m < 2; ++m) {
        if (marks[m].line == i) {
          has_mark[m] = true;
          // A pending wrap is one cell past the cursor column.
          mark_offset[m] = logical.size() +
                           (m == 0 ? static_cast<std::size_t>(std::max(c.col, 0)) + (c.pending_wrap ? 1 : 0) : 0);
        }
      }
      std::size_t n = l.cells.size();
      if (l.wrapped) {
        n = std::min(n, old_width);
        // An empty last cell left by a wide character that did not fit is not content.
        if (n > 0 && i + 1 < all.size() && l.cells[n - 1] == Cell{} && !all[i + 1].cells.empty() &&
            all[i + 1].cells[0].wide()) {
          --n;
        }
      } else {
        while (n > 0 && l.cells[n - 1] == Cell{}) --n;
      }
      logical.insert(logical.end(), l.cells.begin(), l.cells.begin() + static_cast<std::ptrdiff_t>(n));
      const bool wrapped = l.wrapped && i + 1 < all.size();
      ++i;
      if (!wrapped) break;
    }
    (void)first;
    // Emit it at the new width, never splitting a wide character.
    const std::size_t start_row = out.size();
    out.emplace_back();
    std::size_t col = 0;
    for (std::size_t k = 0; k < logical.size(); ++k) {
      const Cell& cell = logical[k];
      const std::size_t w = cell.wide() ? 2 : 1;
      if (cell.wide_spacer()) continue;  // emitted with its lead (or an orphan: dropped)
      if (col + w > width) {
        if (w == 2 && width < 2) continue;
        out.back().cells.resize(width);
        out.back().wrapped = true;
        out.emplace_back();
        col = 0;
      }
      for (int m = 0; m < 2; ++m) {
        if (has_mark[m] && mark_offset[m] == k) {
          marks[m].new_row = out.size() - 1;
          marks[m].new_col = static_cast<int>(col);
          has_mark[m] = false;
        }
      }
      out.back().cells.push_back(cell);
      if (w == 2) {
        ++k;  // the spacer follows its lead
        if (k < logical.size() && logical[k].wide_spacer()) {
          for (int m = 0; m < 2; ++m) {
            if (has_mark[m] && mark_offset[m] == k) {
              marks[m].new_row = out.size() - 1;
              marks[m].new_col = static_cast<int>(col + 1);
              has_mark[m] = false;
            }
          }
          out.back().cells.push_back(logical[k]);
        } else {
          Cell spacer = cell;
          spacer.cp = 0;
          spacer.style.flags = static_cast<std::uint16_t>((spacer.style.flags & ~attr::kWide) | attr::kWideSpacer);
          out.back().cells.push_back(spacer);
          --k;
        }
      }
      col += w;
    }
    for (int m = 0; m < 2; ++m) {
      if (has_mark[m]) {  // beyond the text: same distance past its end, within the last row
        const std::size_t past = mark_offset[m] > logical.size() ? mark_offset[m] - logical.size() : 0;
        marks[m].new_row = out.size() - 1;
        marks[m].new_col = static_cast<int>(std::min(col + past, width - 1));
        marks[m].pending = col + past >= width;
        if (mark_offset[m] == 0 && logical.empty()) marks[m].new_row = start_row;
      }
    }
  }

  // Choose the new screen: the old screen's content, pushing lines to history or pulling them
  // back to fill the new height; the cursor stays visible.
  const auto new_rows = static_cast<std::size_t>(new_rows_in);
  std::size_t screen_top = marks[1].new_row;
  std::size_t content = out.size() - screen_top;
  std::size_t blanks = trailing_blank;
  if (content + blanks > new_rows) {
    std::size_t over = content + blanks - new_rows;
    const std::size_t from_blanks = std::min(over, blanks);
    blanks -= from_blanks;
    over -= from_blanks;
    screen_top += over;
  } else if (content + blanks < new_rows) {
    const std::size_t need = new_rows - content - blanks;
    const std::size_t pull = std::min(need, screen_top);
    screen_top -= pull;
    blanks += need - pull;
  }
  if (marks[0].new_row < screen_top) screen_top = marks[0].new_row;
  for (std::size_t r = 0; r < screen_top; ++r) push_history(std::move(out[r]));
  for (std::size_t r = screen_top; r < out.size() && primary.lines.size() < new_rows; ++r) {
    out[r].cells.resize(width);
    primary.lines.push_back(std::move(out[r]));
  }
  while (primary.lines.size() < new_rows) primary.lines.push_back(Line{std::vector<Cell>(width), false});
  primary.lines.back().wrapped = false;
  c.row = static_cast<int>(marks[0].new_row - screen_top);
  c.col = marks[0].new_col;
  c.pending_wrap = marks[0].pending && modes.autowrap;
}

void Terminal::Impl::resize_buffer(Buffer& b, bool primary_buffer, int new_cols, int new_rows) {
  b.linearize();
  Cursor& c = (primary_buffer != alt_active) ? cur : alt_saved;
  for (auto& l : b.lines) {
    l.cells.resize(static_cast<std::size_t>(new_cols));
    if (l.cells.back().wide()) unwide(l.cells.back());
  }
  int have = static_cast<int>(b.lines.size());
  // Shrinking: blank lines below the cursor go first, then lines from the top.
  while (have > new_rows && have - 1 > c.row && line_blank(b.lines.back())) {
    b.lines.pop_back();
    --have;
  }
  if (have > new_rows) {
    const int excess = have - new_rows;
    b.lines.erase(b.lines.begin(), b.lines.begin() + excess);
    c.row -= excess;
  }
  while (static_cast<int>(b.lines.size()) < new_rows) {
    b.lines.push_back(Line{std::vector<Cell>(static_cast<std::size_t>(new_cols)), false});
  }
  c.row = std::clamp(c.row, 0, new_rows - 1);
  c.col = std::clamp(c.col, 0, new_cols - 1);
}

void Terminal::Impl::resize(int new_cols, int new_rows) {
  new_cols = std::clamp(new_cols, 1, TerminalOptions::kMaxCols);
  new_rows = std::clamp(new_rows, 1, TerminalOptions::kMaxRows);
  if (new_cols == cols && new_rows == rows) return;
  const int old_cols = cols;
  reflow_primary(new_cols, new_rows);  // reads the old size, builds the new one
  rows = new_rows;
  cols = new_cols;
  resize_buffer(alternate, false, new_cols, new_rows);
  // Tab stops: kept where they were, the default every 8 columns in new space.
  tabs.resize(static_cast<std::size_t>(new_cols), false);
  for (int col = old_cols; col < new_cols; ++col) tabs[col] = col % 8 == 0;
  top = 0;
  bottom = rows - 1;
  for (Cursor* c : {&cur, &saved, &alt_saved}) {
    c->row = std::clamp(c->row, 0, rows - 1);
    c->col = std::clamp(c->col, 0, cols - 1);
    if (c != &cur || alt_active) c->pending_wrap = false;  // the primary cursor's comes from reflow
  }
}

}  // namespace mw::term
