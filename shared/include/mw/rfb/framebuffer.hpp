// The decoded screen: RGBA pixels (see Rgba) and the rectangles changed since the renderer last
// looked. Every write through this class is clipped to the framebuffer, so a decoder bug can
// never write out of bounds; decoders still reject rectangles outside the screen as errors.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "mw/rfb/pixel_format.hpp"

namespace mw::rfb {

struct Rect {
  int x = 0;
  int y = 0;
  int w = 0;
  int h = 0;
  bool empty() const { return w <= 0 || h <= 0; }
  long long area() const { return empty() ? 0 : static_cast<long long>(w) * h; }
  bool operator==(const Rect&) const = default;
};

class Framebuffer {
 public:
  Framebuffer() = default;
  Framebuffer(int width, int height) { resize(width, height); }

  // New size; the content is kept where it overlaps, the rest is opaque black; all dirty.
  void resize(int width, int height);
  int width() const { return width_; }
  int height() const { return height_; }
  bool contains(const Rect& r) const {
    return r.x >= 0 && r.y >= 0 && r.w >= 0 && r.h >= 0 && r.x + r.w <= width_ && r.y + r.h <= height_;
  }

  Rgba* row(int y) { return pixels_.data() + static_cast<std::size_t>(y) * width_; }
  const Rgba* row(int y) const { return pixels_.data() + static_cast<std::size_t>(y) * width_; }
  Rgba at(int x, int y) const { return row(y)[x]; }
  std::span<const Rgba> pixels() const { return pixels_; }
  // The pixels as R,G,B,A bytes, row after row (what a canvas or texture upload takes).
  std::span<const std::uint8_t> rgba_bytes() const {
    return {reinterpret_cast<const std::uint8_t*>(pixels_.data()), pixels_.size() * 4};
  }

  void fill(const Rect& r, Rgba colour);
  // Copies w x h pixels from (src_x, src_y) to r, correct for overlapping areas (CopyRect).
  void copy(const Rect& r, int src_x, int src_y);
  // Writes w x h pixels given row by row (stride = r.w).
  void put(const Rect& r, const Rgba* pixels);

  void mark_dirty(const Rect& r);
  // The changed rectangles since the last call, merged where they touch or overlap so the renderer
  // uploads few regions; cleared by the call.
  std::vector<Rect> take_dirty();
  const std::vector<Rect>& dirty() const { return dirty_; }

 private:
  int width_ = 0;
  int height_ = 0;
  std::vector<Rgba> pixels_;
  std::vector<Rect> dirty_;
};

}  // namespace mw::rfb
