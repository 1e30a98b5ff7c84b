// Browser keyboard events to keysyms: the layout-aware text path, named keys, sides and keypad,
// the physical fallback, and the release bookkeeping.
#include "mw/rfb/keyboard.hpp"

#include <gtest/gtest.h>

namespace mw::rfb {
namespace {

using Events = std::vector<std::pair<std::uint32_t, bool>>;

TEST(RfbKeyboard, PrintableKeysSendWhatTheLocalLayoutTyped) {
  EXPECT_EQ(keysym_for_dom("a", "KeyA"), 0x61u);
  EXPECT_EQ(keysym_for_dom("A", "KeyA"), 0x41u);
  // AZERTY: the key at QWERTY's Q types "a"; QWERTZ: the key at Y types "z".
  EXPECT_EQ(keysym_for_dom("a", "KeyQ"), 0x61u);
  EXPECT_EQ(keysym_for_dom("z", "KeyY"), 0x7Au);
  // AltGr combinations and Latin-1 letters are their own keysyms; the rest of Unicode is 0x01000000 + U.
  EXPECT_EQ(keysym_for_dom("@", "Digit0"), 0x40u);
  EXPECT_EQ(keysym_for_dom("\xC3\xA9", "Digit2"), 0xE9u);           // é
  EXPECT_EQ(keysym_for_dom("\xE2\x82\xAC", "KeyE"), 0x010020ACu);   // €
  EXPECT_EQ(keysym_for_dom("\xF0\x9F\x98\x80", ""), 0x0101F600u);   // an emoji from a virtual keyboard
  EXPECT_EQ(keysym_for_dom(" ", "Space"), 0x20u);
}

TEST(RfbKeyboard, NamedKeysAndFunctionKeys) {
  EXPECT_EQ(keysym_for_dom("Enter", "Enter"), keysym::kReturn);
  EXPECT_EQ(keysym_for_dom("Backspace", "Backspace"), keysym::kBackSpace);
  EXPECT_EQ(keysym_for_dom("ArrowLeft", "ArrowLeft"), keysym::kLeft);
  EXPECT_EQ(keysym_for_dom("Delete", "Delete"), keysym::kDelete);
  EXPECT_EQ(keysym_for_dom("F1", "F1"), keysym::kF1);
  EXPECT_EQ(keysym_for_dom("F12", "F12"), keysym::kF1 + 11);
  EXPECT_EQ(keysym_for_dom("AltGraph", "AltRight"), keysym::kIsoLevel3Shift);
}

TEST(RfbKeyboard, ModifiersKeepTheirSideAndTheKeypadIsTheKeypad) {
  EXPECT_EQ(keysym_for_dom("Shift", "ShiftLeft"), keysym::kShiftL);
  EXPECT_EQ(keysym_for_dom("Shift", "ShiftRight"), keysym::kShiftR);
  EXPECT_EQ(keysym_for_dom("Control", "ControlRight"), keysym::kControlR);
  EXPECT_EQ(keysym_for_dom("Alt", "AltLeft"), keysym::kAltL);
  EXPECT_EQ(keysym_for_dom("Alt", "AltRight"), keysym::kAltR);
  EXPECT_EQ(keysym_for_dom("Meta", "MetaLeft"), keysym::kSuperL);
  EXPECT_EQ(keysym_for_dom("Shift", ""), keysym::kShiftL);  // no code: the left one
  EXPECT_EQ(keysym_for_dom("7", "Numpad7"), keysym::kKp0 + 7);
  EXPECT_EQ(keysym_for_dom("Enter", "NumpadEnter"), keysym::kKpEnter);
  EXPECT_EQ(keysym_for_dom("+", "NumpadAdd"), 0xFFABu);
  EXPECT_EQ(keysym_for_dom("Home", "Numpad7"), keysym::kHome);  // Num Lock off: the key's meaning
}

TEST(RfbKeyboard, DeadAndUnidentifiedKeysFallBackToTheirPosition) {
  EXPECT_EQ(keysym_for_dom("Dead", "BracketLeft"), static_cast<std::uint32_t>('['));
  EXPECT_EQ(keysym_for_dom("Unidentified", "KeyK"), 0x6Bu);
  EXPECT_EQ(keysym_for_dom("Process", "Digit3"), 0x33u);
  EXPECT_EQ(keysym_for_dom("Dead", "Lang1"), std::nullopt);
  EXPECT_EQ(keysym_for_dom("", ""), std::nullopt);
  EXPECT_EQ(keysym_for_dom("F99", "F99"), std::nullopt);
  // Bad UTF-8, control characters and several characters are not one keysym.
  EXPECT_EQ(keysym_for_dom("\xC3", ""), std::nullopt);
  EXPECT_EQ(keysym_for_dom("\xC0\x80", ""), std::nullopt);  // overlong NUL
  EXPECT_EQ(keysym_for_dom("\x7F", ""), std::nullopt);
  EXPECT_EQ(keysym_for_dom("ab", ""), std::nullopt);
  EXPECT_EQ(keysym_for_char(0xD800), std::nullopt);
  EXPECT_EQ(keysym_for_char(0x110000), std::nullopt);
}

TEST(RfbKeyboard, ReleaseSendsTheKeysymOfThePress) {
  KeyTracker t;
  EXPECT_EQ(t.key("Shift", "ShiftLeft", true), (Events{{keysym::kShiftL, true}}));
  EXPECT_EQ(t.key("A", "KeyA", true), (Events{{0x41, true}}));
  EXPECT_EQ(t.key("Shift", "ShiftLeft", false), (Events{{keysym::kShiftL, false}}));
  // Shift is up, so the browser reports "a" on release; the remote side must see "A" released.
  EXPECT_EQ(t.key("a", "KeyA", false), (Events{{0x41, false}}));
  EXPECT_FALSE(t.any_held());
  // A release never pressed here (the press went to another window) sends nothing.
  EXPECT_EQ(t.key("b", "KeyB", false), Events{});
}

TEST(RfbKeyboard, RepeatsAndReleaseAll) {
  KeyTracker t;
  EXPECT_EQ(t.key("Control", "ControlLeft", true), (Events{{keysym::kControlL, true}}));
  EXPECT_EQ(t.key("x", "KeyX", true), (Events{{0x78, true}}));
  EXPECT_EQ(t.key("x", "KeyX", true), (Events{{0x78, true}}));  // auto-repeat
  // A repeat that now means another character releases the old one first.
  EXPECT_EQ(t.key("X", "KeyX", true), (Events{{0x78, false}, {0x58, true}}));
  EXPECT_EQ(t.release_all(), (Events{{0x58, false}, {keysym::kControlL, false}}));
  EXPECT_FALSE(t.any_held());
  EXPECT_EQ(t.release_all(), Events{});
  // Keys with no keysym are not tracked.
  EXPECT_EQ(t.key("Dead", "Lang1", true), Events{});
  EXPECT_FALSE(t.any_held());
}

}  // namespace
}  // namespace mw::rfb
