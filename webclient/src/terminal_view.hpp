// A remote terminal in the app: an agent's shell (relay protocol 1, /meshrelay.ashx) or an Intel
// AMT computer's Serial-over-LAN console (/amtrelay.ashx?p=sol). Bytes from the relay go to
// shared/term; the view draws the screen as runs of cells with the same style (one rectangle and
// one text call per run), sends keys and pasted text as xterm would, and tells an agent the new
// size when the window is resized. Platform-free: the platform's WebSocket feeds on_message and
// carries what the sender callbacks give it.
#pragma once

#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mw/term/input.hpp"
#include "glyph_needs.hpp"
#include "mw/term/terminal.hpp"
#include "window_pin.hpp"

struct ImFont;

namespace mw::web {

enum class TerminalKind { kAgent, kSerialOverLan };

// Keyboard input in the order the browser delivered it. The platform queues every press from its
// own callbacks, so a key pressed and released between two frames still counts (Debian's ImGui
// 1.86 only samples key state once per frame).
struct InputEvent {
  enum class Kind { kChar, kKey, kCtrlLetter };
  Kind kind = Kind::kChar;
  char32_t ch = 0;  // kChar: the typed character; kCtrlLetter: 'a'..'z'
  term::Key key = term::Key::kEnter;
  unsigned mods = 0;  // term::mod bits
};

class TerminalView {
 public:
  struct Sender {
    std::function<void(std::string_view bytes)> binary;
    std::function<void(std::string_view text)> text;
    std::function<void(const std::string& text)> copy;  // to the browser's clipboard
  };
  TerminalView(std::string nodeid, std::string device_name, TerminalKind kind, Sender sender);

  // The relay's path on the server (for the platform's WebSocket), with the starting size.
  std::string relay_path() const;
  void on_message(bool binary, std::string_view data);
  void on_closed(std::string reason);

  // Draws the window and, when it has the keyboard focus, types `input`; false once the user
  // closed it (the platform then closes the relay). Characters drawn are noted in `glyphs`.
  bool draw(ImFont* mono, const std::vector<InputEvent>& input, ItemRects* buttons = nullptr, GlyphNeeds* glyphs = nullptr);

  const std::string& nodeid() const { return nodeid_; }
  bool ready() const { return state_ == State::kReady; }
  bool closed() const { return state_ == State::kClosed; }
  const std::string& status() const { return status_; }
  // Text pasted by the browser (its paste event), sent as typed (bracketed when the host asks).
  void paste(std::string_view text);
  bool focused() const { return focused_; }
  int cols() const { return cols_; }
  int rows() const { return rows_; }
  // The text the last mouse selection copied.
  const std::string& copied() const { return copied_; }
  // Where the last frame drew the cells (x, y, w, h in framebuffer pixels).
  const std::array<float, 4>& screen_rect() const { return screen_rect_; }
  // The visible rows as text (tests read them through the page hook).
  std::string screen_text() const;
  unsigned revision() const { return revision_; }

  // Pins the window to a rectangle of the page (embedded single view); nullopt unpins.
  void pin(std::optional<WindowPin> p) { pin_ = p; }

  // Find (the bar over the screen): matches of the query in the scrollback and the screen,
  // ignoring case; the current one is shown (scrolled to) and framed, the others highlighted.
  const std::string& find_query() const { return find_query_; }
  std::size_t find_count() const { return matches_.size(); }
  int find_current() const { return match_; }  // -1: none; 0 is the newest match

 private:
  enum class State { kConnecting, kReady, kClosed };
  void type(const std::vector<InputEvent>& input);
  void fit(float width, float height, float cell_w, float cell_h);
  void send_input(std::string_view bytes);
  void send_size();
  std::string selection_text() const;
  void draw_find_bar(ItemRects* buttons);
  void find(int step);  // recomputes the matches; step -1 goes to an older one, +1 to a newer one
  struct Mark {  // a position between cells: absolute line (lines_dropped() + index), column
    std::uint64_t line = 0;
    int col = 0;
    bool operator==(const Mark&) const = default;
    bool operator<(const Mark& o) const { return line != o.line ? line < o.line : col < o.col; }
  };

  std::string nodeid_, name_;
  TerminalKind kind_;
  Sender sender_;
  term::Terminal term_;
  State state_ = State::kConnecting;
  std::string status_ = "Connecting…";
  int cols_ = 80, rows_ = 24;
  bool open_ = true;
  bool focused_ = false;
  std::size_t scroll_ = 0;  // lines scrolled back into the history (0: the live screen)
  Mark sel_from_, sel_to_;
  bool selecting_ = false;
  std::string copied_;
  std::array<float, 4> screen_rect_{};
  unsigned revision_ = 0;
  std::optional<WindowPin> pin_;
  std::array<char, 128> find_buf_{};
  std::string find_query_;
  bool find_active_ = false;     // the find field has the keyboard: keys are not typed into the shell
  std::vector<Mark> matches_;    // newest first (absolute lines)
  int match_ = -1;
  std::size_t match_len_ = 0;    // in cells
};

}  // namespace mw::web
