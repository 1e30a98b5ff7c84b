// Internal: the state behind mw::term::Terminal, shared by terminal.cpp (sequence dispatch) and
// screen.cpp (the editing primitives: print, erase, insert/delete, scrolling, resize).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "mw/term/cell.hpp"
#include "mw/term/parser.hpp"
#include "mw/term/terminal.hpp"
#include "width_lookup.hpp"

namespace mw::term {

// Bounded interning of values that cells refer to by small integer (hyperlinks, clusters).
// Ids are reused after a garbage collection finds them unreferenced.
template <typename Key>
class InternTable {
 public:
  explicit InternTable(std::size_t cap = 0) : cap_(cap) {}

  // Index of `key`, adding it if there is room; -1 when full.
  long find_or_add(const Key& key) {
    if (auto it = index_.find(key); it != index_.end()) return static_cast<long>(it->second);
    std::uint32_t id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
      items_[id] = key;
    } else if (items_.size() < cap_) {
      id = static_cast<std::uint32_t>(items_.size());
      items_.push_back(key);
      live_.push_back(true);
    } else {
      return -1;
    }
    live_[id] = true;
    index_.emplace(key, id);
    ++added_since_gc_;
    return static_cast<long>(id);
  }
  const Key* get(std::size_t id) const { return id < items_.size() && live_[id] ? &items_[id] : nullptr; }
  bool full() const { return free_.empty() && items_.size() >= cap_; }
  // A collection is worth it only after enough additions (keeps hostile input linear).
  bool may_collect() const { return added_since_gc_ >= std::max<std::size_t>(1, cap_ / 4); }
  // Frees every id not marked in `used` (indexed by id).
  void collect(const std::vector<bool>& used) {
    added_since_gc_ = 0;
    for (std::size_t id = 0; id < items_.size(); ++id) {
      if (live_[id] && (id >= used.size() || !used[id])) {
        index_.erase(items_[id]);
        items_[id] = Key{};
        live_[id] = false;
        free_.push_back(static_cast<std::uint32_t>(id));
      }
    }
  }
  std::size_t size() const { return items_.size(); }
  std::size_t live() const { return items_.size() - free_.size(); }
  void clear() {
    items_.clear();
    live_.clear();
    index_.clear();
    free_.clear();
    added_since_gc_ = 0;
  }

 private:
  std::size_t cap_;
  std::vector<Key> items_;
  std::vector<bool> live_;
  std::unordered_map<Key, std::uint32_t> index_;
  std::vector<std::uint32_t> free_;
  std::size_t added_since_gc_ = 0;
};

struct Charsets {
  std::array<char, 4> g{'B', 'B', 'B', 'B'};  // designated sets G0..G3: 'B' ASCII, '0' DEC graphics, 'A' UK
  std::uint8_t gl = 0;                        // set invoked into GL (SI/SO, LS2/LS3)
  std::uint8_t single_shift = 0;              // 2 or 3 for the next character only (SS2/SS3)
};

struct Cursor {
  int row = 0;
  int col = 0;
  bool pending_wrap = false;  // at the last column after printing there: the next character wraps
  Style pen;                  // style of newly written cells
  Charsets charsets;
  bool origin = false;        // DECOM, saved and restored with the cursor
};

// The rows of one screen as a ring: scrolling the whole screen moves `base` instead of every
// line. Row r is lines[(base + r) % size]; whole-buffer work that needs the rows in order
// (resize, reflow) calls linearize() first.
struct Buffer {
  std::vector<Line> lines;
  std::size_t base = 0;

  std::size_t size() const { return lines.size(); }
  Line& operator[](std::size_t row) {
    std::size_t i = base + row;
    if (i >= lines.size()) i -= lines.size();
    return lines[i];
  }
  const Line& operator[](std::size_t row) const {
    std::size_t i = base + row;
    if (i >= lines.size()) i -= lines.size();
    return lines[i];
  }
  // Order-free iteration over all rows.
  std::vector<Line>::iterator begin() { return lines.begin(); }
  std::vector<Line>::iterator end() { return lines.end(); }
  std::vector<Line>::const_iterator begin() const { return lines.begin(); }
  std::vector<Line>::const_iterator end() const { return lines.end(); }
  // Row 0 becomes lines[0] again.
  void linearize() {
    if (base != 0 && base < lines.size()) {
      std::rotate(lines.begin(), lines.begin() + static_cast<std::ptrdiff_t>(base), lines.end());
    }
    base = 0;
  }
  // The whole ring turned by n rows: row n becomes row 0 (up) or row 0 becomes row n (down).
  void turn_up(std::size_t n) { base = (base + n) % lines.size(); }
  void turn_down(std::size_t n) { base = (base + lines.size() - n % lines.size()) % lines.size(); }
};

struct Terminal::Impl final : Handler {
  explicit Impl(TerminalOptions o);

  // [SECTION] Handler (terminal.cpp)
  void print(const char32_t* cps, std::size_t n) override;
  void execute(char32_t c) override;
  void esc_dispatch(const Sequence& seq) override;
  void csi_dispatch(const Sequence& seq, const Params& p) override;
  void osc_dispatch(std::string_view data) override;

  void csi_private(const Sequence& seq, const Params& p);
  void set_dec_mode(unsigned mode, bool on);
  void set_ansi_mode(unsigned mode, bool on);
  int dec_mode_state(unsigned mode) const;  // DECRQM: 1 set, 2 reset, 0 unknown
  void sgr(const Params& p);
  void reply(std::string_view s) {
    if (output) output(s);
  }
  void full_reset();
  void soft_reset();

  // [SECTION] Screen primitives (screen.cpp)
  Buffer& lines() { return alt_active ? alternate : primary; }
  const Buffer& lines() const { return alt_active ? alternate : primary; }
  Cell blank() const {  // erased cells keep the current background colour (xterm's bce)
    Cell c;
    c.style.bg = cur.pen.bg;
    return c;
  }

  void print_one(char32_t c);
  void combine(char32_t mark);
  void linefeed();
  void index();          // IND: down, scrolling the region at its bottom
  void reverse_index();  // RI: up, scrolling the region at its top
  void carriage_return() {
    cur.col = 0;
    cur.pending_wrap = false;
  }
  void backspace();
  // The cursor column as tmux sees it: one past the last column while a wrap is pending.
  int wrap_col() const { return cur.pending_wrap ? cols : cur.col; }
  void tab_forward(unsigned n);
  void tab_backward(unsigned n);
  void move_to(int row, int col);           // absolute, clamped; clears pending wrap
  void move_to_origin(int row, int col);    // CUP: relative to the region in origin mode
  void move_up(unsigned n);                 // CUU: stops at the top margin when inside the region
  void move_down(unsigned n);               // CUD
  void scroll_up(int top_row, int bottom_row, unsigned n, bool to_history);
  void scroll_down(int top_row, int bottom_row, unsigned n);
  void erase_cells(int row, int from, int to);  // [from, to)
  void erase_display(unsigned mode);
  void erase_line(unsigned mode);
  void insert_chars(unsigned n);
  void delete_chars(unsigned n);
  void insert_lines(unsigned n);
  void delete_lines(unsigned n);
  void set_margins(unsigned top_1, unsigned bottom_1);
  void save_cursor();
  void restore_cursor();
  void alt_screen_on(bool save_position);
  void alt_screen_off(bool restore_position);
  void screen_alignment();
  void push_history(Line&& line);
  void blank_line(Line& line);
  void reset_tabs();
  void resize(int new_cols, int new_rows);
  void resize_buffer(Buffer& b, bool primary_buffer, int new_cols, int new_rows);
  void reflow_primary(int new_cols, int new_rows);

  long intern_cluster(const std::u32string& s);
  long intern_link(const std::string& key);
  void collect_garbage();
  std::u32string cell_text(const Cell& c) const;
  void append_utf8(const Cell& c, std::string& out) const;
  std::string line_text(const Line& l) const;

  // [SECTION] State
  TerminalOptions opt;
  WidthLookup width_of = width_lookup();
  Parser parser;
  std::function<void(std::string_view)> output;
  int cols;
  int rows;
  Buffer primary;
  Buffer alternate;
  bool alt_active = false;
  Cursor saved;                 // DECSC / CSI s / 1048 (one slot, as tmux)
  bool has_saved = false;
  Cursor alt_saved;             // the primary screen's cursor while the alternate one is shown
  bool alt_saved_valid = false;  // set by 1049 only
  std::deque<Line> history;  // scrollback, oldest first
  std::uint64_t dropped = 0;
  Cursor cur;
  int top = 0;     // scroll region, inclusive rows
  int bottom = 0;
  std::vector<bool> tabs;
  Modes modes;
  std::string title;
  std::uint64_t bells = 0;
  char32_t last_char = 0;  // for REP
  InternTable<std::u32string> clusters;
  struct CombineCacheEntry {
    char32_t base = 0;    // the cell's cp before the mark (a character or a cluster id)
    char32_t mark = 0;
    char32_t result = 0;  // its cp after; 0: empty entry
  };
  std::array<CombineCacheEntry, 64> combine_cache{};
  InternTable<std::string> links;  // key: URI, NUL, id parameter
};

}  // namespace mw::term
