// The screen of a simulated Intel AMT computer, as its KVM shows it: black while the computer is
// off or asleep, a BIOS text screen with the system UUID while it boots, then an "OS desktop"
// (background, a window, a taskbar with a clock HH:MM:SS). Text is drawn with a small 5x7 bitmap
// font of our own (digits, upper-case letters, a few signs). Sans-I/O: the clock time is passed in.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "console.hpp"
#include "mw/rfb/framebuffer.hpp"

namespace mw::amtsim {

enum class ScreenMode { kBlank, kBios, kDesktop };

class Screen {
 public:
  // 1024x768: what a BIOS and a basic OS desktop show, and small enough for AMT's limit of
  // 9,216,000 framebuffer bytes at any pixel format.
  static constexpr int kWidth = 1024;
  static constexpr int kHeight = 768;

  explicit Screen(const ConsoleInfo& info);

  // Draws `mode`; on the desktop the clock shows the time of day of `clock_ms` (milliseconds since
  // the Unix epoch, UTC). Repaints only what changed since the last call (the whole screen when
  // the mode changes, the clock when its second changes); returns whether anything was repainted.
  bool show(ScreenMode mode, std::uint64_t clock_ms);

  const rfb::Framebuffer& framebuffer() const { return fb_; }
  ScreenMode mode() const { return mode_; }
  bool drawn() const { return drawn_; }  // show() was called at least once
  // The area the clock repaints every second (on the desktop).
  static rfb::Rect clock_rect();
  // "HH:MM:SS" of `clock_ms` (time of day, UTC).
  static std::string clock_text(std::uint64_t clock_ms);

  // Text in the bitmap font: each glyph 5x7 pixels in a 6x8 cell, times `scale`; lower case is
  // drawn as upper case, characters without a glyph as blanks.
  static void draw_text(rfb::Framebuffer& fb, int x, int y, std::string_view text, rfb::Rgba colour, int scale);
  static int text_width(std::string_view text, int scale) { return static_cast<int>(text.size()) * 6 * scale; }

 private:
  void draw_bios();
  void draw_desktop();
  void draw_clock(std::uint64_t clock_ms);

  ConsoleInfo info_;
  rfb::Framebuffer fb_;
  ScreenMode mode_ = ScreenMode::kBlank;
  bool drawn_ = false;
  std::uint64_t clock_second_ = 0;  // the second the clock shows
};

}  // namespace mw::amtsim
