// Input encoder: keys, characters, mouse reports and pastes as xterm sends them.
#include "mw/term/input.hpp"

#include "utf8.hpp"

namespace mw::term {
namespace {

using detail::put_utf8;

// xterm's modifier parameter: 1 + shift(1) + alt(2) + ctrl(4) + meta(8).
unsigned modifier_param(unsigned mods) { return 1 + (mods & 15u); }

// "CSI 1 ; m X" with modifiers, else `plain` (CSI X or SS3 X).
std::string letter_key(char final, bool app, unsigned mods) {
  if (mods) return "\x1b[1;" + std::to_string(modifier_param(mods)) + final;
  return std::string(app ? "\x1bO" : "\x1b[") + final;
}

// "CSI n ~" or "CSI n ; m ~".
std::string tilde_key(int n, unsigned mods) {
  std::string s = "\x1b[" + std::to_string(n);
  if (mods) s += ";" + std::to_string(modifier_param(mods));
  return s + "~";
}

std::string with_alt(std::string s, unsigned mods) {
  if (mods & (mod::kAlt | mod::kMeta)) s.insert(0, 1, '\x1b');
  return s;
}

}  // namespace

std::string encode_key(Key key, unsigned mods, const Modes& modes) {
  mods &= 15u;
  const bool app = modes.cursor_keys_app;
  switch (key) {
    case Key::kUp: return letter_key('A', app, mods);
    case Key::kDown: return letter_key('B', app, mods);
    case Key::kRight: return letter_key('C', app, mods);
    case Key::kLeft: return letter_key('D', app, mods);
    case Key::kHome: return letter_key('H', app, mods);
    case Key::kEnd: return letter_key('F', app, mods);
    case Key::kInsert: return tilde_key(2, mods);
    case Key::kDelete: return tilde_key(3, mods);
    case Key::kPageUp: return tilde_key(5, mods);
    case Key::kPageDown: return tilde_key(6, mods);
    case Key::kF1: return letter_key('P', true, mods);  // SS3 P, or CSI 1;m P
    case Key::kF2: return letter_key('Q', true, mods);
    case Key::kF3: return letter_key('R', true, mods);
    case Key::kF4: return letter_key('S', true, mods);
    case Key::kF5: return tilde_key(15, mods);
    case Key::kF6: return tilde_key(17, mods);
    case Key::kF7: return tilde_key(18, mods);
    case Key::kF8: return tilde_key(19, mods);
    case Key::kF9: return tilde_key(20, mods);
    case Key::kF10: return tilde_key(21, mods);
    case Key::kF11: return tilde_key(23, mods);
    case Key::kF12: return tilde_key(24, mods);
    case Key::kEnter: return with_alt(modes.newline ? "\r\n" : "\r", mods);
    case Key::kTab: return (mods & mod::kShift) ? std::string("\x1b[Z") : with_alt("\t", mods);
    case Key::kBackspace: return with_alt((mods & mod::kCtrl) ? "\x08" : "\x7f", mods);
    case Key::kEscape: return with_alt("\x1b", mods);
  }
  return {};
}

std::string encode_char(char32_t c, unsigned mods) {
  std::string out;
  if (mods & mod::kCtrl) {
    char32_t ctl = c;
    if (c >= 'a' && c <= 'z') {
      ctl = c - 'a' + 1;
    } else if (c >= '@' && c <= '_') {
      ctl = c - '@';
    } else if (c == ' ' || c == '2') {
      ctl = 0;
    } else if (c >= '3' && c <= '7') {
      ctl = c - '3' + 0x1B;
    } else if (c == '8' || c == '?') {
      ctl = 0x7F;
    }
    c = ctl;
  }
  if (mods & (mod::kAlt | mod::kMeta)) out += '\x1b';
  if (c == 0) {
    out += '\0';
  } else {
    put_utf8(c, out);
  }
  return out;
}

std::string encode_mouse(const MouseEvent& e, const Modes& modes) {
  const MouseTracking tracking = modes.mouse;
  if (tracking == MouseTracking::kOff) return {};
  const bool wheel = e.button >= MouseButton::kWheelUp;
  // Which events this mode reports.
  switch (e.action) {
    case MouseAction::kPress:
      if (tracking == MouseTracking::kX10 && (wheel || e.button == MouseButton::kNone)) return {};
      if (e.button == MouseButton::kNone) return {};
      break;
    case MouseAction::kRelease:
      if (tracking == MouseTracking::kX10 || wheel) return {};  // wheels have no release
      break;
    case MouseAction::kMove:
      if (tracking == MouseTracking::kAny) break;
      if (tracking == MouseTracking::kButton && e.button != MouseButton::kNone && !wheel) break;
      return {};
  }
  if (e.row < 0 || e.col < 0) return {};

  unsigned cb;
  switch (e.button) {
    case MouseButton::kLeft: cb = 0; break;
    case MouseButton::kMiddle: cb = 1; break;
    case MouseButton::kRight: cb = 2; break;
    case MouseButton::kNone: cb = 3; break;
    case MouseButton::kWheelUp: cb = 64; break;
    case MouseButton::kWheelDown: cb = 65; break;
    case MouseButton::kWheelLeft: cb = 66; break;
    default: cb = 67; break;
  }
  const bool sgr = modes.mouse_encoding == MouseEncoding::kSgr;
  // Only SGR can say which button was released; the others report "button 3".
  if (e.action == MouseAction::kRelease && !sgr) cb = 3;
  if (e.action == MouseAction::kMove) cb += 32;
  if (tracking != MouseTracking::kX10) {
    if (e.mods & mod::kShift) cb += 4;
    if (e.mods & (mod::kAlt | mod::kMeta)) cb += 8;
    if (e.mods & mod::kCtrl) cb += 16;
  }
  const unsigned x = static_cast<unsigned>(e.col) + 1;
  const unsigned y = static_cast<unsigned>(e.row) + 1;

  switch (modes.mouse_encoding) {
    case MouseEncoding::kSgr:
      return "\x1b[<" + std::to_string(cb) + ";" + std::to_string(x) + ";" + std::to_string(y) +
             (e.action == MouseAction::kRelease ? "m" : "M");
    case MouseEncoding::kUrxvt:
      return "\x1b[" + std::to_string(cb + 32) + ";" + std::to_string(x) + ";" + std::to_string(y) + "M";
    case MouseEncoding::kUtf8: {
      if (x + 32 > 2047 || y + 32 > 2047) return {};
      std::string s = "\x1b[M";
      put_utf8(cb + 32, s);
      put_utf8(x + 32, s);
      put_utf8(y + 32, s);
      return s;
    }
    case MouseEncoding::kDefault:
      break;
  }
  if (x + 32 > 255 || y + 32 > 255) return {};
  std::string s = "\x1b[M";
  s += static_cast<char>(cb + 32);
  s += static_cast<char>(x + 32);
  s += static_cast<char>(y + 32);
  return s;
}

std::string encode_paste(std::string_view text, const Modes& modes) {
  std::string body;
  body.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;  // CR LF -> CR
    if (c == '\n') {
      body += '\r';
    } else if (c == '\x1b' && modes.bracketed_paste) {
      // dropped: pasted text must not be able to end the bracket early
    } else {
      body += c;
    }
  }
  if (!modes.bracketed_paste) return body;
  return "\x1b[200~" + body + "\x1b[201~";
}

std::string encode_focus(bool focused, const Modes& modes) {
  if (!modes.focus_events) return {};
  return focused ? "\x1b[I" : "\x1b[O";
}

}  // namespace mw::term
