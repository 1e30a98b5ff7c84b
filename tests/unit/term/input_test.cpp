// The input encoder against xterm's encodings: keys with and without modifiers in normal and
// application cursor mode, characters with Ctrl/Alt, mouse reports in each mode and encoding,
// bracketed paste and focus reports.
#include <gtest/gtest.h>

#include "mw/term/input.hpp"

namespace {

using namespace mw::term;

Modes normal() { return Modes{}; }
Modes app() {
  Modes m;
  m.cursor_keys_app = true;
  return m;
}

TEST(TermInput, CursorKeys) {
  EXPECT_EQ(encode_key(Key::kUp, 0, normal()), "\x1b[A");
  EXPECT_EQ(encode_key(Key::kDown, 0, normal()), "\x1b[B");
  EXPECT_EQ(encode_key(Key::kRight, 0, normal()), "\x1b[C");
  EXPECT_EQ(encode_key(Key::kLeft, 0, normal()), "\x1b[D");
  EXPECT_EQ(encode_key(Key::kUp, 0, app()), "\x1bOA");
  EXPECT_EQ(encode_key(Key::kLeft, 0, app()), "\x1bOD");
  EXPECT_EQ(encode_key(Key::kHome, 0, normal()), "\x1b[H");
  EXPECT_EQ(encode_key(Key::kEnd, 0, normal()), "\x1b[F");
  EXPECT_EQ(encode_key(Key::kHome, 0, app()), "\x1bOH");
  EXPECT_EQ(encode_key(Key::kEnd, 0, app()), "\x1bOF");
}

TEST(TermInput, ModifiedKeysUseXtermParameters) {
  EXPECT_EQ(encode_key(Key::kUp, mod::kShift, normal()), "\x1b[1;2A");
  EXPECT_EQ(encode_key(Key::kUp, mod::kAlt, app()), "\x1b[1;3A");  // modifiers override SS3
  EXPECT_EQ(encode_key(Key::kRight, mod::kCtrl, normal()), "\x1b[1;5C");
  EXPECT_EQ(encode_key(Key::kLeft, mod::kCtrl | mod::kShift, normal()), "\x1b[1;6D");
  EXPECT_EQ(encode_key(Key::kHome, mod::kCtrl | mod::kAlt | mod::kShift, normal()), "\x1b[1;8H");
  EXPECT_EQ(encode_key(Key::kEnd, mod::kMeta, normal()), "\x1b[1;9F");
  EXPECT_EQ(encode_key(Key::kDelete, mod::kCtrl, normal()), "\x1b[3;5~");
  EXPECT_EQ(encode_key(Key::kPageUp, mod::kShift, normal()), "\x1b[5;2~");
  EXPECT_EQ(encode_key(Key::kF1, mod::kShift, normal()), "\x1b[1;2P");
  EXPECT_EQ(encode_key(Key::kF5, mod::kCtrl, normal()), "\x1b[15;5~");
}

TEST(TermInput, EditingAndFunctionKeys) {
  EXPECT_EQ(encode_key(Key::kInsert, 0, normal()), "\x1b[2~");
  EXPECT_EQ(encode_key(Key::kDelete, 0, normal()), "\x1b[3~");
  EXPECT_EQ(encode_key(Key::kPageUp, 0, normal()), "\x1b[5~");
  EXPECT_EQ(encode_key(Key::kPageDown, 0, normal()), "\x1b[6~");
  const char* expected[] = {"\x1bOP", "\x1bOQ", "\x1bOR", "\x1bOS", "\x1b[15~", "\x1b[17~",
                            "\x1b[18~", "\x1b[19~", "\x1b[20~", "\x1b[21~", "\x1b[23~", "\x1b[24~"};
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(encode_key(static_cast<Key>(static_cast<int>(Key::kF1) + i), 0, normal()), expected[i]) << "F" << i + 1;
  }
}

TEST(TermInput, EnterTabBackspaceEscape) {
  EXPECT_EQ(encode_key(Key::kEnter, 0, normal()), "\r");
  Modes lnm;
  lnm.newline = true;
  EXPECT_EQ(encode_key(Key::kEnter, 0, lnm), "\r\n");
  EXPECT_EQ(encode_key(Key::kEnter, mod::kAlt, normal()), "\x1b\r");
  EXPECT_EQ(encode_key(Key::kTab, 0, normal()), "\t");
  EXPECT_EQ(encode_key(Key::kTab, mod::kShift, normal()), "\x1b[Z");
  EXPECT_EQ(encode_key(Key::kBackspace, 0, normal()), "\x7f");
  EXPECT_EQ(encode_key(Key::kBackspace, mod::kCtrl, normal()), "\x08");
  EXPECT_EQ(encode_key(Key::kBackspace, mod::kAlt, normal()), "\x1b\x7f");
  EXPECT_EQ(encode_key(Key::kEscape, 0, normal()), "\x1b");
}

TEST(TermInput, Characters) {
  EXPECT_EQ(encode_char(U'a', 0), "a");
  EXPECT_EQ(encode_char(U'\u00E9', 0), "\xC3\xA9");
  EXPECT_EQ(encode_char(U'\U0001F600', 0), "\xF0\x9F\x98\x80");
  EXPECT_EQ(encode_char(U'c', mod::kCtrl), "\x03");
  EXPECT_EQ(encode_char(U'C', mod::kCtrl), "\x03");
  EXPECT_EQ(encode_char(U'[', mod::kCtrl), "\x1b");
  EXPECT_EQ(encode_char(U' ', mod::kCtrl), std::string(1, '\0'));
  EXPECT_EQ(encode_char(U'?', mod::kCtrl), "\x7f");
  EXPECT_EQ(encode_char(U'4', mod::kCtrl), "\x1c");
  EXPECT_EQ(encode_char(U'x', mod::kAlt), "\x1bx");
  EXPECT_EQ(encode_char(U'x', mod::kAlt | mod::kCtrl), "\x1b\x18");
  EXPECT_EQ(encode_char(U'\u00E9', mod::kCtrl), "\xC3\xA9");  // no control form: unchanged
}

Modes mouse(MouseTracking t, MouseEncoding e = MouseEncoding::kDefault) {
  Modes m;
  m.mouse = t;
  m.mouse_encoding = e;
  return m;
}

MouseEvent ev(MouseAction a, MouseButton b, int row, int col, unsigned mods = 0) {
  MouseEvent e;
  e.action = a;
  e.button = b;
  e.row = row;
  e.col = col;
  e.mods = mods;
  return e;
}

TEST(TermInput, MouseOffReportsNothing) {
  EXPECT_EQ(encode_mouse(ev(MouseAction::kPress, MouseButton::kLeft, 0, 0), Modes{}), "");
}

TEST(TermInput, MouseX10) {
  const Modes m = mouse(MouseTracking::kX10);
  EXPECT_EQ(encode_mouse(ev(MouseAction::kPress, MouseButton::kLeft, 2, 4, mod::kCtrl), m), "\x1b[M %#");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kRelease, MouseButton::kLeft, 2, 4), m), "");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kPress, MouseButton::kWheelUp, 2, 4), m), "");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kMove, MouseButton::kLeft, 2, 4), m), "");
}

TEST(TermInput, MouseNormalDefaultEncoding) {
  const Modes m = mouse(MouseTracking::kNormal);
  EXPECT_EQ(encode_mouse(ev(MouseAction::kPress, MouseButton::kLeft, 0, 0), m), "\x1b[M !!");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kPress, MouseButton::kRight, 9, 19), m), "\x1b[M\"4*");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kRelease, MouseButton::kRight, 9, 19), m), "\x1b[M#4*");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kPress, MouseButton::kMiddle, 0, 0, mod::kShift | mod::kCtrl), m),
            "\x1b[M5!!");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kPress, MouseButton::kWheelUp, 0, 0), m), "\x1b[M`!!");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kPress, MouseButton::kWheelDown, 0, 0, mod::kAlt), m), "\x1b[Mi!!");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kMove, MouseButton::kLeft, 0, 0), m), "");  // no motion
  EXPECT_EQ(encode_mouse(ev(MouseAction::kPress, MouseButton::kLeft, 0, 222), m), "\x1b[M \xff!");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kPress, MouseButton::kLeft, 0, 223), m), "");  // cannot encode
}

TEST(TermInput, MouseButtonAndAnyMotion) {
  const Modes button = mouse(MouseTracking::kButton);
  EXPECT_EQ(encode_mouse(ev(MouseAction::kMove, MouseButton::kLeft, 1, 1), button), "\x1b[M@\"\"");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kMove, MouseButton::kNone, 1, 1), button), "");
  const Modes any = mouse(MouseTracking::kAny);
  EXPECT_EQ(encode_mouse(ev(MouseAction::kMove, MouseButton::kNone, 1, 1), any), "\x1b[MC\"\"");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kMove, MouseButton::kRight, 1, 1), any), "\x1b[MB\"\"");
}

TEST(TermInput, MouseSgrEncoding) {
  const Modes m = mouse(MouseTracking::kAny, MouseEncoding::kSgr);
  EXPECT_EQ(encode_mouse(ev(MouseAction::kPress, MouseButton::kLeft, 4, 9), m), "\x1b[<0;10;5M");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kRelease, MouseButton::kLeft, 4, 9), m), "\x1b[<0;10;5m");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kRelease, MouseButton::kRight, 4, 9, mod::kCtrl), m), "\x1b[<18;10;5m");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kMove, MouseButton::kNone, 0, 499), m), "\x1b[<35;500;1M");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kPress, MouseButton::kWheelDown, 0, 0), m), "\x1b[<65;1;1M");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kPress, MouseButton::kWheelLeft, 0, 0), m), "\x1b[<66;1;1M");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kPress, MouseButton::kLeft, 0, 9999), m), "\x1b[<0;10000;1M");
}

TEST(TermInput, MouseUtf8AndUrxvtEncodings) {
  const Modes utf8 = mouse(MouseTracking::kNormal, MouseEncoding::kUtf8);
  EXPECT_EQ(encode_mouse(ev(MouseAction::kPress, MouseButton::kLeft, 0, 0), utf8), "\x1b[M !!");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kPress, MouseButton::kLeft, 0, 299), utf8), "\x1b[M \xC5\x8C!");  // 332
  EXPECT_EQ(encode_mouse(ev(MouseAction::kPress, MouseButton::kLeft, 0, 2015), utf8), "");
  const Modes urxvt = mouse(MouseTracking::kNormal, MouseEncoding::kUrxvt);
  EXPECT_EQ(encode_mouse(ev(MouseAction::kPress, MouseButton::kLeft, 2, 299), urxvt), "\x1b[32;300;3M");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kRelease, MouseButton::kLeft, 2, 299), urxvt), "\x1b[35;300;3M");
}

TEST(TermInput, MouseModesFromTheHost) {
  Terminal t;
  t.feed("\x1b[?1002h\x1b[?1006h");
  EXPECT_EQ(encode_mouse(ev(MouseAction::kMove, MouseButton::kLeft, 0, 0), t.modes()), "\x1b[<32;1;1M");
}

TEST(TermInput, Paste) {
  Modes m;
  EXPECT_EQ(encode_paste("a\nb\r\nc", m), "a\rb\rc");
  m.bracketed_paste = true;
  EXPECT_EQ(encode_paste("ls\n", m), "\x1b[200~ls\r\x1b[201~");
  EXPECT_EQ(encode_paste("x\x1b[201~rm -rf\n", m), "\x1b[200~x[201~rm -rf\r\x1b[201~");
  EXPECT_EQ(encode_paste("", m), "\x1b[200~\x1b[201~");
}

TEST(TermInput, Focus) {
  Modes m;
  EXPECT_EQ(encode_focus(true, m), "");
  m.focus_events = true;
  EXPECT_EQ(encode_focus(true, m), "\x1b[I");
  EXPECT_EQ(encode_focus(false, m), "\x1b[O");
}

}  // namespace
