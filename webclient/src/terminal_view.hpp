// A remote terminal in the app: an agent's shell (relay protocol 1, /meshrelay.ashx) or an Intel
// AMT computer's Serial-over-LAN console (/amtrelay.ashx?p=sol). Bytes from the relay go to
// shared/term; the view draws the screen as runs of cells with the same style (one rectangle and
// one text call per run), sends keys and pasted text as xterm would, and tells an agent the new
// size when the window is resized. Platform-free: the platform's WebSocket feeds on_message and
// carries what the sender callbacks give it.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mw/term/input.hpp"
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
  };
  TerminalView(std::string nodeid, std::string device_name, TerminalKind kind, Sender sender);

  // The relay's path on the server (for the platform's WebSocket), with the starting size.
  std::string relay_path() const;
  void on_message(bool binary, std::string_view data);
  void on_closed(std::string reason);

  // Draws the window and, when it has the keyboard focus, types `input`; false once the user
  // closed it (the platform then closes the relay).
  bool draw(ImFont* mono, const std::vector<InputEvent>& input);

  const std::string& nodeid() const { return nodeid_; }
  bool ready() const { return state_ == State::kReady; }
  bool closed() const { return state_ == State::kClosed; }
  const std::string& status() const { return status_; }
  // The visible rows as text (tests read them through the page hook).
  std::string screen_text() const;
  unsigned revision() const { return revision_; }

  // Pins the window to a rectangle of the page (embedded single view); nullopt unpins.
  void pin(std::optional<WindowPin> p) { pin_ = p; }

 private:
  enum class State { kConnecting, kReady, kClosed };
  void type(const std::vector<InputEvent>& input);
  void fit(float width, float height, float cell_w, float cell_h);
  void send_input(std::string_view bytes);
  void send_size();

  std::string nodeid_, name_;
  TerminalKind kind_;
  Sender sender_;
  term::Terminal term_;
  State state_ = State::kConnecting;
  std::string status_ = "Connecting…";
  int cols_ = 80, rows_ = 24;
  bool open_ = true;
  bool focused_ = false;
  unsigned revision_ = 0;
  std::optional<WindowPin> pin_;
};

}  // namespace mw::web
