// Terminal: the VT/xterm emulator as a sans-I/O state machine. Bytes from the remote shell (or
// Intel AMT Serial-over-LAN) go in through feed(); the screen, scrollback, cursor and modes are
// read back for drawing; answers the terminal must send (cursor position reports, device
// attributes) come out through the output callback. No I/O, no clocks, bounded memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "mw/term/cell.hpp"

namespace mw::term {

struct TerminalOptions {
  int cols = 80;  // clamped to 1..kMaxCols
  int rows = 24;  // clamped to 1..kMaxRows
  std::size_t scrollback_lines = 1000;  // lines kept above the primary screen
  std::size_t max_osc = 8192;           // bytes of one OSC string (titles, hyperlink URIs)
  std::size_t max_links = 1024;         // distinct OSC 8 hyperlinks alive at once (< 65536)
  std::size_t max_clusters = 4096;      // distinct grapheme clusters (base + combining marks)
  std::size_t max_cluster_length = 16;  // code points in one cell; further marks are dropped

  static constexpr int kMaxCols = 2048;
  static constexpr int kMaxRows = 1024;
};

enum class MouseTracking : std::uint8_t {
  kOff,
  kX10,     // DECSET 9: button presses only
  kNormal,  // 1000: presses and releases
  kButton,  // 1002: and motion while a button is down
  kAny,     // 1003: and all motion
};

enum class MouseEncoding : std::uint8_t {
  kDefault,  // CSI M Cb Cx Cy, bytes (coordinates up to 223)
  kUtf8,     // 1005: the same as UTF-8 characters (up to 2015)
  kSgr,      // 1006: CSI < b ; x ; y M/m
  kUrxvt,    // 1015: CSI b ; x ; y M
};

enum class CursorShape : std::uint8_t { kBlock, kUnderline, kBar };

struct Modes {
  bool cursor_keys_app = false;  // DECCKM (1)
  bool keypad_app = false;       // DECKPAM / DECKPNM
  bool origin = false;           // DECOM (6)
  bool autowrap = true;          // DECAWM (7)
  bool cursor_visible = true;    // DECTCEM (25)
  bool cursor_blink = false;     // 12, DECSCUSR
  bool insert = false;           // IRM (ANSI 4)
  bool newline = false;          // LNM (ANSI 20): LF also returns; Enter sends CR LF
  bool reverse_video = false;    // DECSCNM (5)
  bool bracketed_paste = false;  // 2004
  bool focus_events = false;     // 1004
  bool alt_screen = false;       // 47 / 1047 / 1049
  MouseTracking mouse = MouseTracking::kOff;
  MouseEncoding mouse_encoding = MouseEncoding::kDefault;
  CursorShape cursor_shape = CursorShape::kBlock;
};

class Terminal {
 public:
  explicit Terminal(TerminalOptions options = {});
  ~Terminal();
  Terminal(Terminal&&) noexcept;
  Terminal& operator=(Terminal&&) noexcept;

  // Bytes from the host. Any chunking gives the same result.
  void feed(std::span<const std::uint8_t> bytes);
  void feed(std::string_view bytes);

  // Where answers go (DSR/CPR, DA1/DA2, DECRQM, window size reports): bytes to send back to the
  // host. Without a callback answers are dropped.
  void set_output(std::function<void(std::string_view)> output);

  // New size. The primary screen reflows soft-wrapped lines; the cursor stays on its text.
  void resize(int cols, int rows);
  // RIS: everything back to the initial state except the scrollback.
  void reset();

  int cols() const;
  int rows() const;

  // The visible screen (the alternate one while it is active), rows 0..rows()-1.
  const Line& screen_line(int row) const;
  const Cell& cell(int row, int col) const;

  // History and screen as one sequence: lines 0..scrollback_size()-1 are the scrollback (oldest
  // first), then the primary or alternate screen. lines_dropped() counts lines that fell off the
  // top of the scrollback, so (lines_dropped() + index) names a line for as long as it exists.
  std::size_t scrollback_size() const;
  std::size_t total_lines() const;
  const Line& line(std::size_t index) const;
  std::uint64_t lines_dropped() const;
  void clear_scrollback();

  int cursor_row() const;
  int cursor_col() const;
  // After printing into the last column the cursor stays there with a wrap pending: the next
  // character goes to the start of the next line.
  bool cursor_pending_wrap() const;
  const Modes& modes() const;
  const std::string& title() const;   // OSC 0 / OSC 2
  std::uint64_t bell_count() const;   // BEL received so far

  // The code points of a cell: its character plus combining marks (empty for a blank).
  std::u32string cell_text(const Cell& cell) const;
  // The same as UTF-8, appended to `out` (renderers build runs of cells with it).
  void append_cell_utf8(const Cell& cell, std::string& out) const;
  // The URI of an OSC 8 hyperlink id (Style::link), empty if none.
  std::string_view link_uri(std::uint16_t link) const;
  // A screen row as UTF-8, trailing blanks dropped (blank cells inside are spaces).
  std::string row_text(int row) const;
  std::string line_text(std::size_t index) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mw::term
