#include "screen.hpp"

#include <array>
#include <cstdio>

namespace mw::amtsim {

namespace {

using rfb::Rect;
using rfb::rgba;
using rfb::Rgba;

// [SECTION] Font: 5x7 glyphs, one byte per row, bit 4 = leftmost column (drawn for this project).

struct Glyph {
  char c;
  std::array<std::uint8_t, 7> rows;
};

constexpr Glyph kFont[] = {
    {'0', {0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110}},
    {'1', {0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110}},
    {'2', {0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111}},
    {'3', {0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110}},
    {'4', {0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010}},
    {'5', {0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110}},
    {'6', {0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110}},
    {'7', {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000}},
    {'8', {0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110}},
    {'9', {0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100}},
    {':', {0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b01100, 0b00000}},
    {'-', {0b00000, 0b00000, 0b00000, 0b11111, 0b00000, 0b00000, 0b00000}},
    {'.', {0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b01100}},
    {'/', {0b00000, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b00000}},
    {'A', {0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001}},
    {'B', {0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110}},
    {'C', {0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110}},
    {'D', {0b11110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b11110}},
    {'E', {0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111}},
    {'F', {0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000}},
    {'G', {0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111}},
    {'H', {0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001}},
    {'I', {0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110}},
    {'J', {0b00111, 0b00010, 0b00010, 0b00010, 0b00010, 0b10010, 0b01100}},
    {'K', {0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001}},
    {'L', {0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111}},
    {'M', {0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001}},
    {'N', {0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001}},
    {'O', {0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110}},
    {'P', {0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000}},
    {'Q', {0b01110, 0b10001, 0b10001, 0b10001, 0b10101, 0b10010, 0b01101}},
    {'R', {0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001}},
    {'S', {0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110}},
    {'T', {0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100}},
    {'U', {0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110}},
    {'V', {0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100}},
    {'W', {0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010}},
    {'X', {0b10001, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001, 0b10001}},
    {'Y', {0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100, 0b00100}},
    {'Z', {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111}},
};

const Glyph* glyph(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  for (const Glyph& g : kFont) {
    if (g.c == c) return &g;
  }
  return nullptr;
}

// [SECTION] Layout and colours

constexpr Rgba kBlack = rgba(0, 0, 0);
constexpr Rgba kWhite = rgba(255, 255, 255);
constexpr Rgba kBiosText = rgba(170, 170, 170);
constexpr Rgba kTaskbar = rgba(32, 32, 40);
constexpr Rgba kTaskbarEdge = rgba(90, 90, 100);
constexpr Rgba kStart = rgba(40, 140, 70);
constexpr Rgba kTitle = rgba(40, 90, 170);
constexpr Rgba kWindow = rgba(230, 230, 230);
constexpr Rgba kWindowText = rgba(20, 20, 20);

constexpr int kTaskbarHeight = 40;
constexpr int kTaskbarY = Screen::kHeight - kTaskbarHeight;
constexpr int kClockScale = 2;
constexpr int kClockX = Screen::kWidth - 8 * 6 * kClockScale - 12;  // 8 characters, right aligned
constexpr int kClockY = kTaskbarY + (kTaskbarHeight - 7 * kClockScale) / 2;

std::string upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

}  // namespace

Screen::Screen(const ConsoleInfo& info) : info_(info), fb_(kWidth, kHeight) { fb_.take_dirty(); }

Rect Screen::clock_rect() { return {kClockX - 4, kClockY - 4, 8 * 6 * kClockScale + 8, 7 * kClockScale + 8}; }

std::string Screen::clock_text(std::uint64_t clock_ms) {
  const auto s = static_cast<unsigned>((clock_ms / 1000) % 86400);
  char text[16];
  std::snprintf(text, sizeof text, "%02u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
  return text;
}

void Screen::draw_text(rfb::Framebuffer& fb, int x, int y, std::string_view text, Rgba colour, int scale) {
  for (const char c : text) {
    if (const Glyph* g = glyph(c)) {
      for (int r = 0; r < 7; ++r) {
        for (int col = 0; col < 5; ++col) {
          if (g->rows[static_cast<std::size_t>(r)] & (0b10000 >> col)) {
            fb.fill({x + col * scale, y + r * scale, scale, scale}, colour);
          }
        }
      }
    }
    x += 6 * scale;
  }
}

bool Screen::show(ScreenMode mode, std::uint64_t clock_ms) {
  const std::uint64_t second = clock_ms / 1000;
  if (drawn_ && mode == mode_ && (mode != ScreenMode::kDesktop || second == clock_second_)) return false;
  const bool repaint = !drawn_ || mode != mode_;
  drawn_ = true;
  mode_ = mode;
  clock_second_ = second;
  if (repaint) {
    switch (mode) {
      case ScreenMode::kBlank: fb_.fill({0, 0, kWidth, kHeight}, kBlack); break;
      case ScreenMode::kBios: draw_bios(); break;
      case ScreenMode::kDesktop: draw_desktop(); break;
    }
  }
  if (mode == ScreenMode::kDesktop) draw_clock(clock_ms);
  return true;
}

void Screen::draw_bios() {
  fb_.fill({0, 0, kWidth, kHeight}, kBlack);
  const int x = 32;
  int y = 32;
  const auto line = [&](const std::string& text, Rgba colour) {
    draw_text(fb_, x, y, text, colour, 2);
    y += 24;
  };
  line("MESHWORK AMT SIMULATOR BIOS V1.0", kWhite);
  y += 12;
  line("INTEL ACTIVE MANAGEMENT TECHNOLOGY " + info_.amt_version, kBiosText);
  line("SYSTEM UUID: " + upper(info_.uuid), kBiosText);
  line("MEMORY TEST: 16384 MB OK", kBiosText);
  y += 12;
  line("PRESS F2 FOR SETUP   F12 FOR NETWORK BOOT", kBiosText);
  y += 12;
  line("BOOTING FROM HARD DISK...", kWhite);
}

void Screen::draw_desktop() {
  // A vertical gradient: a few colours per 64x64 tile, which exercises ZRLE's palette tiles.
  for (int y = 0; y < kTaskbarY; ++y) {
    const auto g = static_cast<std::uint8_t>(70 + y * 60 / kTaskbarY);
    const auto b = static_cast<std::uint8_t>(120 + y * 100 / kTaskbarY);
    fb_.fill({0, y, kWidth, 1}, rgba(20, g, b));
  }
  const std::string host = "AMTSIM-" + std::to_string(info_.index);
  // A window with a title bar and some text.
  const Rect win{160, 120, 600, 260};
  fb_.fill({win.x + 6, win.y + 6, win.w, win.h}, rgba(10, 40, 70));  // shadow
  fb_.fill(win, kWindow);
  fb_.fill({win.x, win.y, win.w, 28}, kTitle);
  draw_text(fb_, win.x + 10, win.y + 7, host + " - SYSTEM", kWhite, 2);
  int y = win.y + 50;
  for (const std::string& text : {std::string("MESHWORK SIMULATED OS 1.0"), "HOST " + host, "UUID " + upper(info_.uuid),
                                  "INTEL AMT " + info_.amt_version}) {
    draw_text(fb_, win.x + 16, y, text, kWindowText, 2);
    y += 28;
  }
  // The taskbar: a start button and (draw_clock) the clock.
  fb_.fill({0, kTaskbarY, kWidth, kTaskbarHeight}, kTaskbar);
  fb_.fill({0, kTaskbarY, kWidth, 1}, kTaskbarEdge);
  fb_.fill({6, kTaskbarY + 6, 92, 28}, kStart);
  draw_text(fb_, 6 + (92 - text_width("START", 2)) / 2 + 1, kTaskbarY + 13, "START", kWhite, 2);
}

void Screen::draw_clock(std::uint64_t clock_ms) {
  fb_.fill(clock_rect(), kTaskbar);
  draw_text(fb_, kClockX, kClockY, clock_text(clock_ms), kWhite, kClockScale);
}

}  // namespace mw::amtsim
