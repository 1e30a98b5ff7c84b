// Browser keyboard events to RFB keysyms (keyboard.hpp).
#include "mw/rfb/keyboard.hpp"

#include <algorithm>
#include <array>

namespace mw::rfb {
namespace {

struct Named {
  std::string_view name;
  std::uint32_t keysym;
};

// KeyboardEvent.key values (W3C "UI Events KeyboardEvent key Values") that have one keysym.
constexpr std::array kNamedKeys = {
    Named{"Backspace", keysym::kBackSpace},    Named{"Tab", keysym::kTab},
    Named{"Enter", keysym::kReturn},           Named{"Escape", keysym::kEscape},
    Named{"Delete", keysym::kDelete},          Named{"Home", keysym::kHome},
    Named{"End", keysym::kEnd},                Named{"PageUp", keysym::kPageUp},
    Named{"PageDown", keysym::kPageDown},      Named{"ArrowLeft", keysym::kLeft},
    Named{"ArrowUp", keysym::kUp},             Named{"ArrowRight", keysym::kRight},
    Named{"ArrowDown", keysym::kDown},         Named{"Insert", keysym::kInsert},
    Named{"CapsLock", keysym::kCapsLock},      Named{"AltGraph", keysym::kIsoLevel3Shift},
    Named{"NumLock", 0xFF7F},                  Named{"ScrollLock", 0xFF14},
    Named{"Pause", 0xFF13},                    Named{"PrintScreen", 0xFF61},
    Named{"ContextMenu", 0xFF67},              Named{"Clear", 0xFF0B},
    Named{"Help", 0xFF6A},                     Named{"Cancel", 0xFF69},
};

// KeyboardEvent.code values (W3C "UI Events KeyboardEvent code Values") of the keypad and of the
// right-hand modifiers: the side and the keypad matter to the remote system.
constexpr std::array kCodeKeys = {
    Named{"ShiftLeft", keysym::kShiftL},     Named{"ShiftRight", keysym::kShiftR},
    Named{"ControlLeft", keysym::kControlL}, Named{"ControlRight", keysym::kControlR},
    Named{"AltLeft", keysym::kAltL},         Named{"MetaLeft", keysym::kSuperL},
    Named{"MetaRight", keysym::kSuperR},     Named{"OSLeft", keysym::kSuperL},
    Named{"OSRight", keysym::kSuperR},       Named{"NumpadEnter", keysym::kKpEnter},
    Named{"NumpadMultiply", 0xFFAA},         Named{"NumpadAdd", 0xFFAB},
    Named{"NumpadSubtract", 0xFFAD},         Named{"NumpadDecimal", 0xFFAE},
    Named{"NumpadDivide", 0xFFAF},           Named{"NumpadEqual", 0xFFBD},
};

// What a US layout types at each physical position (the fallback for dead and unknown keys).
constexpr std::array kUsLayout = {
    Named{"Space", ' '},         Named{"Minus", '-'},     Named{"Equal", '='},        Named{"BracketLeft", '['},
    Named{"BracketRight", ']'},  Named{"Backslash", '\\'}, Named{"Semicolon", ';'},   Named{"Quote", '\''},
    Named{"Backquote", '`'},     Named{"Comma", ','},     Named{"Period", '.'},       Named{"Slash", '/'},
    Named{"IntlBackslash", '<'},
};

template <std::size_t N>
std::optional<std::uint32_t> find(const std::array<Named, N>& table, std::string_view name) {
  for (const auto& n : table) {
    if (n.name == name) return n.keysym;
  }
  return std::nullopt;
}

// The single code point `s` holds in UTF-8; none when it holds more (or less) than one, or bad UTF-8.
std::optional<char32_t> single_code_point(std::string_view s) {
  if (s.empty()) return std::nullopt;
  const auto b0 = static_cast<unsigned char>(s[0]);
  std::size_t n = 0;
  char32_t cp = 0;
  if (b0 < 0x80) {
    n = 1;
    cp = b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    n = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
    cp = b0 & 0x07;
  } else {
    return std::nullopt;
  }
  if (s.size() != n) return std::nullopt;
  for (std::size_t i = 1; i < n; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;  // overlong, surrogate
  return cp;
}

std::optional<std::uint32_t> keysym_for_code(std::string_view code) {
  if (auto k = find(kCodeKeys, code)) return k;
  if (code.size() == 4 && code.starts_with("Key") && code[3] >= 'A' && code[3] <= 'Z') {
    return static_cast<std::uint32_t>(code[3] - 'A' + 'a');
  }
  if (code.size() == 6 && code.starts_with("Digit") && code[5] >= '0' && code[5] <= '9') {
    return static_cast<std::uint32_t>(code[5]);
  }
  if (code.size() == 7 && code.starts_with("Numpad") && code[6] >= '0' && code[6] <= '9') {
    return keysym::kKp0 + static_cast<std::uint32_t>(code[6] - '0');
  }
  return find(kUsLayout, code);
}

}  // namespace

std::optional<std::uint32_t> keysym_for_char(char32_t c) {
  if (c < 0x20 || (c >= 0x7F && c < 0xA0) || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return std::nullopt;
  if (c < 0x100) return static_cast<std::uint32_t>(c);
  return 0x01000000u + static_cast<std::uint32_t>(c);
}

std::optional<std::uint32_t> keysym_for_dom(std::string_view key, std::string_view code) {
  // The keypad and the modifiers by position: "Shift" alone does not say which one, and the keypad's
  // "1" is KP_1 to the remote side (its Num Lock decides what it means there).
  const bool keypad = code.starts_with("Numpad");
  if (keypad && key.size() == 1 && key[0] >= '0' && key[0] <= '9') return keysym::kKp0 + static_cast<std::uint32_t>(key[0] - '0');
  if (keypad || key == "Shift" || key == "Control" || key == "Meta" || key == "OS") {
    if (auto k = find(kCodeKeys, code)) return k;
  }
  if (key == "Alt") return code == "AltRight" ? keysym::kAltR : keysym::kAltL;
  if (key == "Shift") return keysym::kShiftL;
  if (key == "Control") return keysym::kControlL;
  if (key == "Meta" || key == "OS") return keysym::kSuperL;
  if (auto cp = single_code_point(key)) return keysym_for_char(*cp);
  if (auto k = find(kNamedKeys, key)) return k;
  if (key.size() >= 2 && key.size() <= 3 && key[0] == 'F') {  // F1..F35
    int n = 0;
    for (const char c : key.substr(1)) {
      if (c < '0' || c > '9') return keysym_for_code(code);
      n = n * 10 + (c - '0');
    }
    if (n >= 1 && n <= 35) return keysym::kF1 + static_cast<std::uint32_t>(n - 1);
  }
  // "Dead", "Unidentified", "Process" (IME): what the key is at its position on a US layout.
  return keysym_for_code(code);
}

std::vector<std::pair<std::uint32_t, bool>> KeyTracker::key(std::string_view key, std::string_view code, bool down) {
  std::vector<std::pair<std::uint32_t, bool>> out;
  const std::string id(code.empty() ? key : code);
  auto held = std::find_if(held_.begin(), held_.end(), [&](const auto& h) { return h.first == id; });
  if (!down) {
    if (held == held_.end()) return out;
    out.emplace_back(held->second, false);
    held_.erase(held);
    return out;
  }
  const auto sym = keysym_for_dom(key, code);
  if (!sym) return out;
  if (held != held_.end() && held->second != *sym) {  // auto-repeat with another meaning: release the old
    out.emplace_back(held->second, false);
    held->second = *sym;
  } else if (held == held_.end()) {
    held_.emplace_back(id, *sym);
  }
  out.emplace_back(*sym, true);
  return out;
}

std::vector<std::pair<std::uint32_t, bool>> KeyTracker::release_all() {
  std::vector<std::pair<std::uint32_t, bool>> out;
  for (auto it = held_.rbegin(); it != held_.rend(); ++it) out.emplace_back(it->second, false);
  held_.clear();
  return out;
}

}  // namespace mw::rfb
