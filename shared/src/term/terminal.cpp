// Terminal: the public face, and the dispatch of parsed controls and sequences (C0/C1, ESC,
// CSI, OSC) onto the screen primitives in screen.cpp. What each sequence does follows xterm.
#include "mw/term/terminal.hpp"

#include <algorithm>
#include <cstdio>

#include "terminal_impl.hpp"
#include "utf8.hpp"

namespace mw::term {

// [SECTION] Construction and public API

Terminal::Impl::Impl(TerminalOptions o)
    : opt(o),
      parser(ParserLimits{o.max_osc}),
      cols(std::clamp(o.cols, 1, TerminalOptions::kMaxCols)),
      rows(std::clamp(o.rows, 1, TerminalOptions::kMaxRows)),
      clusters(std::min<std::size_t>(o.max_clusters, 0x7FFFFFFF)),
      links(std::min<std::size_t>(o.max_links, 65535)) {
  opt.cols = cols;
  opt.rows = rows;
  full_reset();
}

void Terminal::Impl::full_reset() {
  for (Buffer* b : {&primary, &alternate}) {
    b->lines.assign(static_cast<std::size_t>(rows), Line{std::vector<Cell>(static_cast<std::size_t>(cols)), false});
    b->base = 0;
  }
  alt_active = false;
  saved = alt_saved = cur = Cursor{};
  has_saved = alt_saved_valid = false;
  top = 0;
  bottom = rows - 1;
  modes = Modes{};
  title.clear();
  last_char = 0;
  reset_tabs();
  // Clusters and links stay interned: history cells may still use them (collected when unused).
}

void Terminal::Impl::soft_reset() {
  modes.cursor_visible = true;
  modes.insert = false;
  modes.origin = false;
  modes.cursor_keys_app = false;
  modes.keypad_app = false;
  top = 0;
  bottom = rows - 1;
  cur.pen = Style{};
  cur.charsets = Charsets{};
  cur.pending_wrap = false;
  has_saved = false;
}

Terminal::Terminal(TerminalOptions options) : impl_(std::make_unique<Impl>(options)) {}
Terminal::~Terminal() = default;
Terminal::Terminal(Terminal&&) noexcept = default;
Terminal& Terminal::operator=(Terminal&&) noexcept = default;

void Terminal::feed(std::span<const std::uint8_t> bytes) { impl_->parser.feed(bytes, *impl_); }
void Terminal::feed(std::string_view bytes) { impl_->parser.feed(bytes, *impl_); }
void Terminal::set_output(std::function<void(std::string_view)> output) { impl_->output = std::move(output); }
void Terminal::resize(int cols, int rows) { impl_->resize(cols, rows); }
void Terminal::reset() {
  impl_->parser.reset();
  impl_->full_reset();
}
int Terminal::cols() const { return impl_->cols; }
int Terminal::rows() const { return impl_->rows; }
const Line& Terminal::screen_line(int row) const {
  return impl_->lines()[static_cast<std::size_t>(std::clamp(row, 0, impl_->rows - 1))];
}
const Cell& Terminal::cell(int row, int col) const {
  return screen_line(row).cells[static_cast<std::size_t>(std::clamp(col, 0, impl_->cols - 1))];
}
std::size_t Terminal::scrollback_size() const { return impl_->history.size(); }
std::size_t Terminal::total_lines() const { return impl_->history.size() + static_cast<std::size_t>(impl_->rows); }
const Line& Terminal::line(std::size_t index) const {
  const auto& h = impl_->history;
  if (index < h.size()) return h[index];
  return screen_line(static_cast<int>(std::min<std::size_t>(index - h.size(), static_cast<std::size_t>(impl_->rows))));
}
std::uint64_t Terminal::lines_dropped() const { return impl_->dropped; }
void Terminal::clear_scrollback() {
  impl_->dropped += impl_->history.size();
  impl_->history.clear();
}
int Terminal::cursor_row() const { return impl_->cur.row; }
int Terminal::cursor_col() const { return impl_->cur.col; }
bool Terminal::cursor_pending_wrap() const { return impl_->cur.pending_wrap; }
const Modes& Terminal::modes() const { return impl_->modes; }
const std::string& Terminal::title() const { return impl_->title; }
std::uint64_t Terminal::bell_count() const { return impl_->bells; }
std::u32string Terminal::cell_text(const Cell& cell) const { return impl_->cell_text(cell); }
void Terminal::append_cell_utf8(const Cell& cell, std::string& out) const {
  for (const char32_t c : impl_->cell_text(cell)) detail::put_utf8(c, out);
}
std::string_view Terminal::link_uri(std::uint16_t link) const {
  if (link == 0) return {};
  const std::string* key = impl_->links.get(link - 1u);
  if (!key) return {};
  return std::string_view(*key).substr(0, key->find('\0'));
}
std::string Terminal::row_text(int row) const { return impl_->line_text(screen_line(row)); }
std::string Terminal::line_text(std::size_t index) const { return impl_->line_text(line(index)); }

// [SECTION] Controls

void Terminal::Impl::print(const char32_t* cps, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    // Fast path for the common case: replace mode, no single shift, not reaching the last
    // column, over cells that are not halves of wide characters; ASCII in the ASCII set, and
    // one- or two-cell characters beyond ASCII (character sets map ASCII only).
    const Charsets& cs = cur.charsets;
    if (!modes.insert && !cur.pending_wrap && cs.single_shift == 0) {
      const bool ascii_set = cs.g[cs.gl] == 'B';
      Cell* const cells = lines()[static_cast<std::size_t>(cur.row)].cells.data();
      const Style pen = cur.pen;
      constexpr std::uint16_t kWideBits = attr::kWide | attr::kWideSpacer;
      int col = cur.col;
      const std::size_t start = i;
      char32_t last = 0;
      while (i < n && col < cols - 1) {
        const char32_t c = cps[i];
        Cell& cell = cells[col];
        if (cell.style.flags & kWideBits) break;
        if (c < 0x7F) {
          if (!ascii_set) break;
          cell.cp = c;
          cell.style = pen;
          ++col;
          last = c;
        } else {
          const int w = width_of(c);
          if (w == 1) {
            cell.cp = c;
            cell.style = pen;
            ++col;
          } else if (w == 2 && col + 2 < cols && !(cells[col + 1].style.flags & kWideBits)) {
            cell.cp = c;
            cell.style = pen;
            cell.style.flags |= attr::kWide;
            Cell& spacer = cells[col + 1];
            spacer.cp = 0;
            spacer.style = pen;
            spacer.style.flags |= attr::kWideSpacer;
            col += 2;
          } else if (w == 0) {
            cur.col = col;  // a combining mark joins the cell before the cursor
            combine(c);
          } else {
            break;  // a wide character at the margin or over a wide one
          }
          last = 0;  // REP repeats ASCII only
        }
        ++i;
      }
      if (i != start) {
        cur.col = col;
        last_char = last;
        continue;
      }
    }
    print_one(cps[i++]);
  }
}

void Terminal::Impl::execute(char32_t c) {
  last_char = 0;  // REP repeats only a character printed right before it
  switch (c) {
    case 0x07: ++bells; break;
    case 0x08: backspace(); break;
    case 0x09: tab_forward(1); break;
    case 0x0A: case 0x0B: case 0x0C: linefeed(); break;
    case 0x0D: carriage_return(); break;
    case 0x0E: cur.charsets.gl = 1; break;  // SO: G1 into GL
    case 0x0F: cur.charsets.gl = 0; break;  // SI: G0 into GL
    case 0x84: index(); break;              // IND
    case 0x85: carriage_return(); index(); break;  // NEL
    case 0x88: tabs[cur.col] = true; break;  // HTS
    case 0x8D: reverse_index(); break;       // RI
    case 0x8E: cur.charsets.single_shift = 2; break;  // SS2
    case 0x8F: cur.charsets.single_shift = 3; break;  // SS3
    default: break;
  }
}

void Terminal::Impl::esc_dispatch(const Sequence& seq) {
  last_char = 0;
  const std::string_view inter = seq.intermediate();
  if (inter.empty()) {
    switch (seq.final) {
      case '7': save_cursor(); break;
      case '8': restore_cursor(); break;
      case 'D': index(); break;
      case 'E': carriage_return(); index(); break;
      case 'H': tabs[cur.col] = true; break;
      case 'M': reverse_index(); break;
      case 'N': cur.charsets.single_shift = 2; break;
      case 'O': cur.charsets.single_shift = 3; break;
      case 'n': cur.charsets.gl = 2; break;  // LS2
      case 'o': cur.charsets.gl = 3; break;  // LS3
      case 'c': full_reset(); break;         // RIS
      case '=': modes.keypad_app = true; break;
      case '>': modes.keypad_app = false; break;
      default: break;  // ST ('\\') and the rest
    }
    return;
  }
  if (inter.size() != 1) return;
  switch (inter[0]) {
    case '#':
      if (seq.final == '8') screen_alignment();  // DECALN
      break;
    case '(': case ')': case '*': case '+': {
      const std::size_t g = static_cast<std::size_t>(inter[0] == '(' ? 0 : inter[0] == ')' ? 1 : inter[0] == '*' ? 2 : 3);
      const char f = seq.final;
      cur.charsets.g[g] = (f == '0' || f == 'A') ? f : 'B';
      break;
    }
    default:
      break;
  }
}

// [SECTION] CSI

void Terminal::Impl::csi_dispatch(const Sequence& seq, const Params& p) {
  const char32_t repeat = last_char;
  last_char = 0;
  if (seq.prefix != 0) {
    csi_private(seq, p);
    return;
  }
  const std::string_view inter = seq.intermediate();
  if (!inter.empty()) {
    if (inter == " " && seq.final == 'q') {  // DECSCUSR
      const unsigned s = p.get(0, 1);
      modes.cursor_blink = s == 0 || s % 2 == 1;
      modes.cursor_shape = s <= 2 ? CursorShape::kBlock : s <= 4 ? CursorShape::kUnderline : CursorShape::kBar;
    } else if (inter == "!" && seq.final == 'p') {
      soft_reset();  // DECSTR
    } else if (inter == "$" && seq.final == 'p') {  // DECRQM, ANSI modes
      const unsigned m = p.get(0);
      const int state = m == 4 ? (modes.insert ? 1 : 2) : m == 20 ? (modes.newline ? 1 : 2) : 0;
      char buf[48];
      std::snprintf(buf, sizeof buf, "\x1b[%u;%d$y", m, state);
      reply(buf);
    }
    return;
  }
  switch (seq.final) {
    case '@': insert_chars(p.get(0, 1)); break;                      // ICH
    case 'A': move_up(p.get(0, 1)); break;                           // CUU
    case 'B': case 'e': move_down(p.get(0, 1)); break;               // CUD, VPR
    case 'C': case 'a':                                              // CUF, HPR
      move_to(cur.row, cur.col + static_cast<int>(p.get(0, 1)));
      break;
    case 'D': move_to(cur.row, wrap_col() - static_cast<int>(p.get(0, 1))); break;  // CUB
    case 'E': move_down(p.get(0, 1)); cur.col = 0; break;            // CNL
    case 'F': move_up(p.get(0, 1)); cur.col = 0; break;              // CPL
    case 'G': case '`': move_to(cur.row, static_cast<int>(p.get(0, 1)) - 1); break;  // CHA, HPA
    case 'H': case 'f':                                              // CUP, HVP
      move_to_origin(static_cast<int>(p.get(0, 1)) - 1, static_cast<int>(p.get(1, 1)) - 1);
      break;
    case 'I': tab_forward(p.get(0, 1)); break;                       // CHT
    case 'J': erase_display(p.get(0)); break;                        // ED
    case 'K': erase_line(p.get(0)); break;                           // EL
    case 'L': insert_lines(p.get(0, 1)); break;                      // IL
    case 'M': delete_lines(p.get(0, 1)); break;                      // DL
    case 'P': delete_chars(p.get(0, 1)); break;                      // DCH
    case 'S': scroll_up(top, bottom, p.get(0, 1), true); break;      // SU
    case 'T':                                                        // SD (one parameter only)
      if (p.size() <= 1) scroll_down(top, bottom, p.get(0, 1));
      break;
    case 'X': {                                                      // ECH
      const unsigned n = std::min<unsigned>(p.get(0, 1), static_cast<unsigned>(cols));
      erase_cells(cur.row, wrap_col(), wrap_col() + static_cast<int>(n));
      break;
    }
    case 'Z': tab_backward(p.get(0, 1)); break;                      // CBT
    case 'b': {                                                      // REP
      if (repeat == 0) break;
      // At most to the end of the line (tmux): REP never wraps.
      const unsigned n = std::min<unsigned>(p.get(0, 1), static_cast<unsigned>(cols - wrap_col()));
      for (unsigned i = 0; i < n; ++i) print_one(repeat);
      break;
    }
    case 'c':                                                        // DA1
      if (p.get(0) == 0) reply("\x1b[?62;22c");
      break;
    case 'd': {                                                      // VPA (keeps a pending wrap)
      const bool pending = cur.pending_wrap;
      move_to_origin(static_cast<int>(p.get(0, 1)) - 1, cur.col);
      cur.pending_wrap = pending;
      break;
    }
    case 'g':                                                        // TBC
      if (p.get(0) == 0) {
        tabs[cur.col] = false;
      } else if (p.get(0) == 3) {
        std::fill(tabs.begin(), tabs.end(), false);
      }
      break;
    case 'h': case 'l':                                              // SM, RM
      for (std::size_t i = 0; i < p.size(); ++i) {
        if (!p.is_sub(i)) set_ansi_mode(p.raw(i), seq.final == 'h');
      }
      break;
    case 'm': sgr(p); break;
    case 'n': {                                                      // DSR
      const unsigned what = p.get(0);
      if (what == 5) {
        reply("\x1b[0n");
      } else if (what == 6) {
        char buf[32];
        const int row = modes.origin ? cur.row - top : cur.row;
        std::snprintf(buf, sizeof buf, "\x1b[%d;%dR", row + 1, cur.col + 1);
        reply(buf);
      }
      break;
    }
    case 'r':                                                        // DECSTBM
      // An explicit 0 for the bottom means line 1 (so the region is refused), as in tmux;
      // only a missing or empty entry means the last line.
      set_margins(p.get(0), p.is_empty(1) ? 0 : std::max(p.raw(1), 1u));
      break;
    case 's': save_cursor(); break;                                  // SCOSC
    case 'u': restore_cursor(); break;                               // SCORC
    case 't':                                                        // window operations
      if (p.get(0) == 18) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "\x1b[8;%d;%dt", rows, cols);
        reply(buf);
      }
      break;
    default:
      break;
  }
}

void Terminal::Impl::csi_private(const Sequence& seq, const Params& p) {
  const std::string_view inter = seq.intermediate();
  if (seq.prefix == '?') {
    if (inter.empty() && (seq.final == 'h' || seq.final == 'l')) {
      for (std::size_t i = 0; i < p.size(); ++i) {
        if (!p.is_sub(i)) set_dec_mode(p.raw(i), seq.final == 'h');
      }
    } else if (inter.empty() && seq.final == 'n' && p.get(0) == 6) {  // DECXCPR
      char buf[40];
      const int row = modes.origin ? cur.row - top : cur.row;
      std::snprintf(buf, sizeof buf, "\x1b[?%d;%d;1R", row + 1, cur.col + 1);
      reply(buf);
    } else if (inter.empty() && seq.final == 'J') {  // DECSED: no protected cells here
      erase_display(p.get(0));
    } else if (inter.empty() && seq.final == 'K') {  // DECSEL
      erase_line(p.get(0));
    } else if (inter == "$" && seq.final == 'p') {   // DECRQM, DEC modes
      char buf[48];
      std::snprintf(buf, sizeof buf, "\x1b[?%u;%d$y", p.get(0), dec_mode_state(p.get(0)));
      reply(buf);
    }
  } else if (seq.prefix == '>' && inter.empty() && seq.final == 'c' && p.get(0) == 0) {
    reply("\x1b[>1;10;0c");  // DA2: a VT220, firmware 10
  }
}

void Terminal::Impl::set_ansi_mode(unsigned mode, bool on) {
  if (mode == 4) modes.insert = on;
  if (mode == 20) modes.newline = on;
}

void Terminal::Impl::set_dec_mode(unsigned mode, bool on) {
  auto mouse = [&](MouseTracking m) {
    if (on) {
      modes.mouse = m;
    } else if (modes.mouse == m) {
      modes.mouse = MouseTracking::kOff;
    }
  };
  auto encoding = [&](MouseEncoding e) {
    if (on) {
      modes.mouse_encoding = e;
    } else if (modes.mouse_encoding == e) {
      modes.mouse_encoding = MouseEncoding::kDefault;
    }
  };
  switch (mode) {
    case 1: modes.cursor_keys_app = on; break;
    case 5: modes.reverse_video = on; break;
    case 6:
      modes.origin = on;
      move_to_origin(0, 0);
      break;
    case 7:
      modes.autowrap = on;  // a pending wrap stays pending (tmux)
      break;
    case 9: mouse(MouseTracking::kX10); break;
    case 12: modes.cursor_blink = on; break;
    case 25: modes.cursor_visible = on; break;
    case 47: case 1047:
      if (on) {
        alt_screen_on(false);
      } else {
        alt_screen_off(false);
      }
      break;
    case 1048:
      if (on) {
        save_cursor();
      } else {
        restore_cursor();
      }
      break;
    case 1049:
      if (on) {
        alt_screen_on(true);
      } else {
        alt_screen_off(true);
      }
      break;
    case 1000: mouse(MouseTracking::kNormal); break;
    case 1002: mouse(MouseTracking::kButton); break;
    case 1003: mouse(MouseTracking::kAny); break;
    case 1004: modes.focus_events = on; break;
    case 1005: encoding(MouseEncoding::kUtf8); break;
    case 1006: encoding(MouseEncoding::kSgr); break;
    case 1015: encoding(MouseEncoding::kUrxvt); break;
    case 2004: modes.bracketed_paste = on; break;
    default: break;
  }
}

int Terminal::Impl::dec_mode_state(unsigned mode) const {
  auto b = [](bool v) { return v ? 1 : 2; };
  switch (mode) {
    case 1: return b(modes.cursor_keys_app);
    case 5: return b(modes.reverse_video);
    case 6: return b(modes.origin);
    case 7: return b(modes.autowrap);
    case 9: return b(modes.mouse == MouseTracking::kX10);
    case 12: return b(modes.cursor_blink);
    case 25: return b(modes.cursor_visible);
    case 47: case 1047: case 1049: return b(alt_active);
    case 1000: return b(modes.mouse == MouseTracking::kNormal);
    case 1002: return b(modes.mouse == MouseTracking::kButton);
    case 1003: return b(modes.mouse == MouseTracking::kAny);
    case 1004: return b(modes.focus_events);
    case 1005: return b(modes.mouse_encoding == MouseEncoding::kUtf8);
    case 1006: return b(modes.mouse_encoding == MouseEncoding::kSgr);
    case 1015: return b(modes.mouse_encoding == MouseEncoding::kUrxvt);
    case 2004: return b(modes.bracketed_paste);
    default: return 0;
  }
}

// [SECTION] SGR

namespace {

// Reads an extended colour (38/48/58) starting at entry i; returns the entries consumed
// after i and sets `out` when the colour was valid.
std::size_t extended_color(const Params& p, std::size_t i, Color& out, bool& valid) {
  valid = false;
  const std::size_t subs = p.subs_after(i);
  if (subs > 0) {  // colon form: 38:5:n, 38:2:cs:r:g:b or 38:2:r:g:b
    const unsigned kind = p.raw(i + 1);
    if (kind == 5 && subs >= 2) {
      if (p.raw(i + 2) <= 255) {
        out = Color::palette(static_cast<std::uint8_t>(p.raw(i + 2)));
        valid = true;
      }
    } else if (kind == 2 && subs >= 4) {
      const std::size_t base = subs >= 5 ? i + 3 : i + 2;  // skip the colour-space id
      const unsigned r = p.raw(base), g = p.raw(base + 1), b = p.raw(base + 2);
      if (r <= 255 && g <= 255 && b <= 255) {
        out = Color::rgb(static_cast<std::uint8_t>(r), static_cast<std::uint8_t>(g), static_cast<std::uint8_t>(b));
        valid = true;
      }
    }
    return subs;
  }
  // Semicolon form: 38;5;n or 38;2;r;g;b.
  const unsigned kind = p.raw(i + 1);
  if (kind == 5) {
    if (i + 2 < p.size() && p.raw(i + 2) <= 255) {
      out = Color::palette(static_cast<std::uint8_t>(p.raw(i + 2)));
      valid = true;
    }
    return 2;
  }
  if (kind == 2) {
    if (i + 4 < p.size()) {
      const unsigned r = p.raw(i + 2), g = p.raw(i + 3), b = p.raw(i + 4);
      if (r <= 255 && g <= 255 && b <= 255) {
        out = Color::rgb(static_cast<std::uint8_t>(r), static_cast<std::uint8_t>(g), static_cast<std::uint8_t>(b));
        valid = true;
      }
    }
    return 4;
  }
  return 1;
}

}  // namespace

void Terminal::Impl::sgr(const Params& p) {
  Style& s = cur.pen;
  if (p.empty()) {
    const std::uint16_t link = s.link;
    s = Style{};
    s.link = link;  // hyperlinks are not SGR state
    return;
  }
  auto set = [&s](std::uint16_t bit, bool on) {
    s.flags = static_cast<std::uint16_t>(on ? (s.flags | bit) : (s.flags & ~bit));
  };
  for (std::size_t i = 0; i < p.size(); ++i) {
    const unsigned v = p.raw(i);
    const std::size_t subs = p.subs_after(i);
    switch (v) {
      case 0: {
        const std::uint16_t link = s.link;
        s = Style{};
        s.link = link;
        break;
      }
      case 1: set(attr::kBold, true); break;
      case 2: set(attr::kFaint, true); break;
      case 3: set(attr::kItalic, true); break;
      case 4:
        if (subs > 0) {
          const unsigned u = p.raw(i + 1);
          if (u <= 5) s.set_underline(static_cast<Underline>(u));
        } else {
          s.set_underline(Underline::kSingle);
        }
        break;
      case 5: case 6: set(attr::kBlink, true); break;
      case 7: set(attr::kInverse, true); break;
      case 8: set(attr::kInvisible, true); break;
      case 9: set(attr::kStrike, true); break;
      case 21: s.set_underline(Underline::kDouble); break;
      case 22: set(attr::kBold | attr::kFaint, false); break;
      case 23: set(attr::kItalic, false); break;
      case 24: s.set_underline(Underline::kNone); break;
      case 25: set(attr::kBlink, false); break;
      case 27: set(attr::kInverse, false); break;
      case 28: set(attr::kInvisible, false); break;
      case 29: set(attr::kStrike, false); break;
      case 39: s.fg = Color{}; break;
      case 49: s.bg = Color{}; break;
      case 53: set(attr::kOverline, true); break;
      case 55: set(attr::kOverline, false); break;
      case 59: s.underline_color = Color{}; break;
      case 38: case 48: case 58: {
        Color c;
        bool valid = false;
        const std::size_t used = extended_color(p, i, c, valid);
        if (valid) (v == 38 ? s.fg : v == 48 ? s.bg : s.underline_color) = c;
        i += used;
        continue;
      }
      default:
        if (v >= 30 && v <= 37) {
          s.fg = Color::palette(static_cast<std::uint8_t>(v - 30));
        } else if (v >= 40 && v <= 47) {
          s.bg = Color::palette(static_cast<std::uint8_t>(v - 40));
        } else if (v >= 90 && v <= 97) {
          s.fg = Color::palette(static_cast<std::uint8_t>(v - 90 + 8));
        } else if (v >= 100 && v <= 107) {
          s.bg = Color::palette(static_cast<std::uint8_t>(v - 100 + 8));
        }
        break;
    }
    i += subs;  // sub-parameters of codes that take none are skipped
  }
}

// [SECTION] OSC

void Terminal::Impl::osc_dispatch(std::string_view data) {
  const std::size_t semi = data.find(';');
  const std::string_view code = data.substr(0, semi);
  const std::string_view rest = semi == std::string_view::npos ? std::string_view{} : data.substr(semi + 1);
  if (code == "0" || code == "2") {
    title.assign(rest);
  } else if (code == "8") {
    // OSC 8 ; params ; URI — params are key=value pairs separated by ':'; only id matters.
    const std::size_t semi2 = rest.find(';');
    if (semi2 == std::string_view::npos) return;
    const std::string_view params = rest.substr(0, semi2);
    const std::string_view uri = rest.substr(semi2 + 1);
    if (uri.empty()) {
      cur.pen.link = 0;
      return;
    }
    std::string_view id;
    for (std::size_t pos = 0; pos <= params.size();) {
      std::size_t end = params.find(':', pos);
      if (end == std::string_view::npos) end = params.size();
      const std::string_view kv = params.substr(pos, end - pos);
      if (kv.substr(0, 3) == "id=") id = kv.substr(3);
      pos = end + 1;
    }
    std::string key(uri);
    key.push_back('\0');
    key.append(id);
    const long l = intern_link(key);
    cur.pen.link = l < 0 ? 0 : static_cast<std::uint16_t>(l + 1);
  }
}

}  // namespace mw::term
