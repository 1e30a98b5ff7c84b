#include "mw/rfb/framebuffer.hpp"

#include <algorithm>
#include <cstring>

namespace mw::rfb {

namespace {

// The part of r inside a w x h area.
Rect clip(const Rect& r, int w, int h) {
  const int x0 = std::max(r.x, 0);
  const int y0 = std::max(r.y, 0);
  const int x1 = std::min(r.x + std::max(r.w, 0), w);
  const int y1 = std::min(r.y + std::max(r.h, 0), h);
  if (x1 <= x0 || y1 <= y0) return {};
  return {x0, y0, x1 - x0, y1 - y0};
}

bool touches(const Rect& a, const Rect& b) {
  return a.x <= b.x + b.w && b.x <= a.x + a.w && a.y <= b.y + b.h && b.y <= a.y + a.h;
}

Rect bounding(const Rect& a, const Rect& b) {
  const int x0 = std::min(a.x, b.x);
  const int y0 = std::min(a.y, b.y);
  const int x1 = std::max(a.x + a.w, b.x + b.w);
  const int y1 = std::max(a.y + a.h, b.y + b.h);
  return {x0, y0, x1 - x0, y1 - y0};
}

// Above this many dirty rectangles the list collapses to their bounding box: a renderer uploads
// one large region faster than thousands of small ones.
constexpr std::size_t kMaxDirty = 64;

}  // namespace

void Framebuffer::resize(int width, int height) {
  width = std::max(width, 0);
  height = std::max(height, 0);
  std::vector<Rgba> next(static_cast<std::size_t>(width) * height, rgba(0, 0, 0));
  const int cw = std::min(width, width_);
  const int ch = std::min(height, height_);
  for (int y = 0; cw > 0 && y < ch; ++y) {  // a 0-wide side has no rows to copy (and no storage)
    std::memcpy(next.data() + static_cast<std::size_t>(y) * width, row(y), static_cast<std::size_t>(cw) * 4);
  }
  pixels_ = std::move(next);
  width_ = width;
  height_ = height;
  dirty_.clear();
  if (width_ > 0 && height_ > 0) dirty_.push_back({0, 0, width_, height_});
}

void Framebuffer::fill(const Rect& r, Rgba colour) {
  const Rect c = clip(r, width_, height_);
  if (c.empty()) return;
  for (int y = c.y; y < c.y + c.h; ++y) std::fill_n(row(y) + c.x, c.w, colour);
}

void Framebuffer::copy(const Rect& r, int src_x, int src_y) {
  // Clip destination and source together.
  Rect d = r;
  int sx = src_x;
  int sy = src_y;
  if (sx < 0) { d.x -= sx; d.w += sx; sx = 0; }
  if (sy < 0) { d.y -= sy; d.h += sy; sy = 0; }
  if (d.x < 0) { sx -= d.x; d.w += d.x; d.x = 0; }
  if (d.y < 0) { sy -= d.y; d.h += d.y; d.y = 0; }
  d.w = std::min({d.w, width_ - d.x, width_ - sx});
  d.h = std::min({d.h, height_ - d.y, height_ - sy});
  if (d.empty()) return;
  const std::size_t bytes = static_cast<std::size_t>(d.w) * 4;
  if (sy < d.y) {  // moving down: copy bottom-up so rows are read before they are overwritten
    for (int i = d.h - 1; i >= 0; --i) std::memmove(row(d.y + i) + d.x, row(sy + i) + sx, bytes);
  } else {
    for (int i = 0; i < d.h; ++i) std::memmove(row(d.y + i) + d.x, row(sy + i) + sx, bytes);
  }
}

void Framebuffer::put(const Rect& r, const Rgba* pixels) {
  const Rect c = clip(r, width_, height_);
  if (c.empty()) return;
  for (int y = c.y; y < c.y + c.h; ++y) {
    const Rgba* src = pixels + static_cast<std::size_t>(y - r.y) * r.w + (c.x - r.x);
    std::memcpy(row(y) + c.x, src, static_cast<std::size_t>(c.w) * 4);
  }
}

void Framebuffer::mark_dirty(const Rect& r) {
  Rect c = clip(r, width_, height_);
  if (c.empty()) return;
  // Merge with every rectangle it touches (repeat: the union may now touch others).
  bool merged = true;
  while (merged) {
    merged = false;
    for (std::size_t i = 0; i < dirty_.size(); ++i) {
      if (touches(dirty_[i], c)) {
        c = bounding(dirty_[i], c);
        dirty_[i] = dirty_.back();
        dirty_.pop_back();
        merged = true;
        break;
      }
    }
  }
  dirty_.push_back(c);
  if (dirty_.size() > kMaxDirty) {
    Rect all = dirty_[0];
    for (const Rect& d : dirty_) all = bounding(all, d);
    dirty_.assign(1, all);
  }
}

std::vector<Rect> Framebuffer::take_dirty() {
  std::vector<Rect> out;
  out.swap(dirty_);
  return out;
}

}  // namespace mw::rfb
