// Input encoder: what a keyboard, mouse or paste in the browser becomes on the wire to the host,
// as xterm sends it, given the modes the host has set (Terminal::modes()). Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mw/term/terminal.hpp"

namespace mw::term {

// Modifier bits (xterm's parameter is 1 + these).
namespace mod {
constexpr unsigned kShift = 1;
constexpr unsigned kAlt = 2;
constexpr unsigned kCtrl = 4;
constexpr unsigned kMeta = 8;
}  // namespace mod

enum class Key : std::uint8_t {
  kUp, kDown, kRight, kLeft, kHome, kEnd, kInsert, kDelete, kPageUp, kPageDown,
  kF1, kF2, kF3, kF4, kF5, kF6, kF7, kF8, kF9, kF10, kF11, kF12,
  kEnter, kTab, kBackspace, kEscape,
};

// A special key. Cursor keys and Home/End follow DECCKM; with modifiers they take xterm's
// "CSI 1 ; m X" / "CSI n ; m ~" forms. Enter follows LNM. Alt prefixes ESC to keys that have
// no modifier parameter (Enter, Tab, Backspace, Escape).
std::string encode_key(Key key, unsigned mods, const Modes& modes);

// A typed character as UTF-8. Ctrl maps '@'..'_', 'a'..'z', space and '2'..'8' to C0 controls
// (and '?' to DEL); Alt or Meta prefix ESC.
std::string encode_char(char32_t c, unsigned mods);

enum class MouseButton : std::uint8_t {
  kLeft, kMiddle, kRight, kNone, kWheelUp, kWheelDown, kWheelLeft, kWheelRight,
};
enum class MouseAction : std::uint8_t { kPress, kRelease, kMove };

struct MouseEvent {
  MouseAction action = MouseAction::kPress;
  MouseButton button = MouseButton::kLeft;  // for kMove: the button held, or kNone
  int row = 0;                              // cell, 0-based
  int col = 0;
  unsigned mods = 0;                        // mod::kShift, kAlt/kMeta, kCtrl
};

// The report for a mouse event under the current tracking mode and encoding; empty when the
// mode does not report this event or the position cannot be encoded (past column 223 in the
// default encoding, 2015 in UTF-8).
std::string encode_mouse(const MouseEvent& event, const Modes& modes);

// Pasted text: newlines become CR (as typed); with bracketed paste (2004) wrapped in
// ESC [200~ ... ESC [201~ with every ESC removed from the text so it cannot end the bracket.
std::string encode_paste(std::string_view text, const Modes& modes);

// Focus in/out report (mode 1004); empty when not requested.
std::string encode_focus(bool focused, const Modes& modes);

}  // namespace mw::term
