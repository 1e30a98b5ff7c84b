// Browser keyboard events to RFB keysyms (RFC 6143 §7.5.4; X11 keysymdef.h for the numbers).
//
// The layout-aware path comes first: KeyboardEvent.key is what the local layout typed ("a", "A",
// "é", "@" with AltGr), and a printable character is sent as its own keysym, so AZERTY, QWERTZ and
// AltGr combinations arrive as the person meant them. Named keys ("Enter", "ArrowLeft", "Shift")
// map to their keysyms, with KeyboardEvent.code choosing the left or right modifier and the numeric
// keypad. When `key` carries no character ("Dead", "Unidentified", "Process"), the physical
// position in `code` ("KeyQ", "Digit1", "Minus") gives the US-layout keysym.
//
// KeyTracker remembers which keysym each physical key pressed, so its release sends the same one
// even when the modifiers changed in between (Shift released before the letter), and releases
// every held key when the view loses the keyboard: the remote side never sees a stuck key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mw::rfb {

namespace keysym {
constexpr std::uint32_t kBackSpace = 0xFF08, kTab = 0xFF09, kReturn = 0xFF0D, kEscape = 0xFF1B, kDelete = 0xFFFF;
constexpr std::uint32_t kHome = 0xFF50, kLeft = 0xFF51, kUp = 0xFF52, kRight = 0xFF53, kDown = 0xFF54;
constexpr std::uint32_t kPageUp = 0xFF55, kPageDown = 0xFF56, kEnd = 0xFF57, kInsert = 0xFF63;
constexpr std::uint32_t kF1 = 0xFFBE;  // F1..F35 are consecutive
constexpr std::uint32_t kShiftL = 0xFFE1, kShiftR = 0xFFE2, kControlL = 0xFFE3, kControlR = 0xFFE4;
constexpr std::uint32_t kCapsLock = 0xFFE5, kMetaL = 0xFFE7, kAltL = 0xFFE9, kAltR = 0xFFEA;
constexpr std::uint32_t kSuperL = 0xFFEB, kSuperR = 0xFFEC, kIsoLevel3Shift = 0xFE03;
constexpr std::uint32_t kKpEnter = 0xFF8D, kKp0 = 0xFFB0;
}  // namespace keysym

// The keysym of a Unicode character: Latin-1 as itself, the rest as 0x01000000 + code point.
// None for control characters and values outside Unicode.
std::optional<std::uint32_t> keysym_for_char(char32_t c);

// The keysym for a KeyboardEvent's `key` and `code`; none for keys RFB has no keysym for.
std::optional<std::uint32_t> keysym_for_dom(std::string_view key, std::string_view code);

class KeyTracker {
 public:
  // (keysym, down) events for the remote side; empty when the key has no keysym, or for a
  // release of a key this tracker never saw pressed.
  std::vector<std::pair<std::uint32_t, bool>> key(std::string_view key, std::string_view code, bool down);
  // Releases of every key still held (focus lost, view closed).
  std::vector<std::pair<std::uint32_t, bool>> release_all();
  bool any_held() const { return !held_.empty(); }

 private:
  std::vector<std::pair<std::string, std::uint32_t>> held_;  // physical key (code, or key) → keysym
};

}  // namespace mw::rfb
