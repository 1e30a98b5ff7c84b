// Pictures for the Xvnc peer tests: an RGB image type, the procedural 320x240 test screen, the
// XWD files that xwud shows and xwd writes, and the comparisons (exact after the quantization
// Xvnc applies for 16 and 8 bpp clients, PSNR for JPEG).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "mw/rfb/framebuffer.hpp"
#include "mw/rfb/pixel_format.hpp"

namespace mw::rfb::peer {

struct Image {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgb;  // 3 bytes per pixel, row after row

  Image() = default;
  Image(int w, int h) : width(w), height(h), rgb(static_cast<std::size_t>(w) * h * 3) {}
  std::uint8_t* at(int x, int y) {
    return rgb.data() + (static_cast<std::size_t>(y) * width + x) * 3;
  }
  const std::uint8_t* at(int x, int y) const {
    return rgb.data() + (static_cast<std::size_t>(y) * width + x) * 3;
  }
  void set(int x, int y, int r, int g, int b) {
    std::uint8_t* p = at(x, y);
    p[0] = static_cast<std::uint8_t>(r);
    p[1] = static_cast<std::uint8_t>(g);
    p[2] = static_cast<std::uint8_t>(b);
  }
  void fill(int x0, int y0, int w, int h, int r, int g, int b) {
    for (int y = y0; y < y0 + h; ++y) {
      for (int x = x0; x < x0 + w; ++x) set(x, y, r, g, b);
    }
  }
  bool operator==(const Image&) const = default;
};

inline Image from_framebuffer(const Framebuffer& fb) {
  Image img(fb.width(), fb.height());
  std::size_t i = 0;
  for (const Rgba p : fb.pixels()) {
    img.rgb[i++] = red_of(p);
    img.rgb[i++] = green_of(p);
    img.rgb[i++] = blue_of(p);
  }
  return img;
}

// [SECTION] The test screen

// A small deterministic generator (SplitMix64), so that the picture is the same on every machine
// and the committed tests/data/rfb/screen.rgb.gz stays valid.
class SplitMix {
 public:
  explicit SplitMix(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }

 private:
  std::uint64_t s_;
};

// Value noise on a lattice of `cell` pixels, smoothly interpolated (integer smoothstep, so no
// floating-point differences between machines): 0..255.
class ValueNoise {
 public:
  ValueNoise(std::uint64_t seed, int cell, int cols, int rows) : cell_(cell), cols_(cols + 2) {
    SplitMix r(seed);
    lattice_.resize(static_cast<std::size_t>(cols + 2) * (rows + 2));
    for (auto& v : lattice_) v = r.below(256);
  }
  int at(int x, int y) const {
    const int cx = x / cell_, cy = y / cell_;
    const int fx = smooth((x % cell_) * 1024 / cell_), fy = smooth((y % cell_) * 1024 / cell_);
    const int top = lerp(get(cx, cy), get(cx + 1, cy), fx);
    const int bottom = lerp(get(cx, cy + 1), get(cx + 1, cy + 1), fx);
    return lerp(top, bottom, fy);
  }

 private:
  static int smooth(int t) { return t * t * (3 * 1024 - 2 * t) / (1024 * 1024); }  // t in 0..1024
  static int lerp(int a, int b, int t) { return a + (b - a) * t / 1024; }
  int get(int cx, int cy) const { return lattice_[static_cast<std::size_t>(cy) * cols_ + cx]; }
  int cell_;
  int cols_;
  std::vector<int> lattice_;
};

constexpr int kScreenWidth = 320;
constexpr int kScreenHeight = 240;

// The known content shown on Xvnc, in regions that steer TigerVNC's encoder classes
// (EncodeManager: solid, bitmap, indexed and full-colour rectangles) so that every encoding's
// sub-encodings are exercised:
//   y   0..79   x   0..159: a smooth 2-D gradient (full colour, what JPEG and ZRLE raw tiles get)
//   y   0..79   x 160..319: photo-like noise, two octaves of value noise (full colour)
//   y  80..159  x   0..159: "text": glyphs of three colours on a light background (few colours)
//   y  80..159  x 160..319: 1-px stripes, vertical, horizontal and a checkerboard (2 colours)
//   y 160..239            : five solid blocks of 64x80 (solid rectangles)
inline Image test_screen() {
  Image img(kScreenWidth, kScreenHeight);
  for (int y = 0; y < 80; ++y) {
    for (int x = 0; x < 160; ++x) {
      img.set(x, y, x * 255 / 159, 40 + y * 200 / 79, 255 - (x + 2 * y) * 255 / 317);
    }
  }
  const ValueNoise coarse_r(1, 20, 8, 4), coarse_g(2, 20, 8, 4), coarse_b(3, 20, 8, 4);
  const ValueNoise fine(4, 5, 32, 16);
  for (int y = 0; y < 80; ++y) {
    for (int x = 0; x < 160; ++x) {
      const int detail = (fine.at(x, y) - 128) / 4;
      const auto clamp = [](int v) { return v < 0 ? 0 : v > 255 ? 255 : v; };
      img.set(160 + x, y, clamp(coarse_r.at(x, y) + detail), clamp(coarse_g.at(x, y) + detail),
              clamp(coarse_b.at(x, y) * 3 / 4 + 40 + detail));
    }
  }
  // Text: 5x7 glyphs from a hash in 6x10 cells, a dark body, a blue "link" and a red warning line.
  img.fill(0, 80, 160, 80, 250, 250, 244);
  SplitMix glyphs(5);
  for (int line = 0; line < 8; ++line) {
    const int colour[3][3] = {{20, 20, 28}, {30, 60, 190}, {200, 30, 30}};
    const int* c = colour[line == 3 ? 1 : line == 6 ? 2 : 0];
    const int length = 14 + glyphs.below(12);
    for (int col = 0; col < length && col < 26; ++col) {
      const std::uint64_t bits = glyphs.next();
      if (glyphs.below(6) == 0) continue;  // a space between words
      for (int gy = 0; gy < 7; ++gy) {
        for (int gx = 0; gx < 5; ++gx) {
          if ((bits >> (gy * 5 + gx)) & 1)
            img.set(2 + col * 6 + gx, 82 + line * 10 + gy, c[0], c[1], c[2]);
        }
      }
    }
  }
  for (int y = 80; y < 160; ++y) {
    for (int x = 160; x < 320; ++x) {
      bool on;
      if (y < 120) {
        on = x % 2 == 0;  // vertical 1-px stripes
      } else if (x < 240) {
        on = y % 2 == 0;  // horizontal 1-px stripes
      } else {
        on = (x + y) % 2 == 0;  // checkerboard
      }
      if (on) {
        img.set(x, y, 255, 255, 255);
      } else {
        img.set(x, y, 10, 20, 120);
      }
    }
  }
  const int blocks[5][3] = {
      {200, 30, 30}, {30, 160, 60}, {40, 60, 200}, {128, 128, 128}, {240, 220, 40}};
  for (int i = 0; i < 5; ++i)
    img.fill(i * 64, 160, 64, 80, blocks[i][0], blocks[i][1], blocks[i][2]);
  return img;
}

// [SECTION] Quantization

// What a client at `format` sees of an 8-bit channel value: Xvnc (TigerVNC 1.12,
// common/rfb/PixelFormat.cxx) reduces a channel to n bits with downconvTable, (v * max + 128) /
// 255, and mw::rfb::PixelConverter widens the n bits again by bit replication.
inline std::uint8_t quantize_channel(std::uint8_t v, int max) {
  if (max >= 255) return v;
  const int bits = std::bit_width(static_cast<unsigned>(max));
  const int q = (v * max + 128) / 255;
  int out = 0, filled = 0;
  while (filled < 8) {
    out = out << bits | q;
    filled += bits;
  }
  return static_cast<std::uint8_t>(out >> (filled - 8));
}

inline Image quantize(const Image& img, const PixelFormat& format) {
  Image out = img;
  for (std::size_t i = 0; i < out.rgb.size(); i += 3) {
    out.rgb[i] = quantize_channel(img.rgb[i], format.red_max);
    out.rgb[i + 1] = quantize_channel(img.rgb[i + 1], format.green_max);
    out.rgb[i + 2] = quantize_channel(img.rgb[i + 2], format.blue_max);
  }
  return out;
}

// [SECTION] Comparison

// Empty when equal; else the count of different pixels and the first one.
inline std::string difference(const Image& want, const Image& have) {
  if (want.width != have.width || want.height != have.height) {
    return "size " + std::to_string(have.width) + "x" + std::to_string(have.height) + ", want " +
           std::to_string(want.width) + "x" + std::to_string(want.height);
  }
  long long count = 0;
  std::string first;
  for (int y = 0; y < want.height; ++y) {
    for (int x = 0; x < want.width; ++x) {
      const std::uint8_t* a = want.at(x, y);
      const std::uint8_t* b = have.at(x, y);
      if (std::memcmp(a, b, 3) == 0) continue;
      if (count++ == 0) {
        first = "first at (" + std::to_string(x) + "," + std::to_string(y) +
                "): " + std::to_string(b[0]) + "," + std::to_string(b[1]) + "," +
                std::to_string(b[2]) + ", want " + std::to_string(a[0]) + "," +
                std::to_string(a[1]) + "," + std::to_string(a[2]);
      }
    }
  }
  return count == 0 ? std::string() : std::to_string(count) + " pixels differ; " + first;
}

// PSNR over the three channels, in dB (infinity when equal).
inline double psnr(const Image& a, const Image& b) {
  if (a.rgb.size() != b.rgb.size() || a.rgb.empty()) return 0;
  double sum = 0;
  for (std::size_t i = 0; i < a.rgb.size(); ++i) {
    const double d = static_cast<double>(a.rgb[i]) - b.rgb[i];
    sum += d * d;
  }
  if (sum == 0) return INFINITY;
  const double mse = sum / static_cast<double>(a.rgb.size());
  return 10 * std::log10(255.0 * 255.0 / mse);
}

// [SECTION] XWD (X Window Dump, X11 XWDFile.h: a header of 25 big-endian CARD32, the window
// name, ncolors XWDColor entries of 12 bytes, then the image)

// A ZPixmap, depth 24, 32 bits per pixel, TrueColor, LSBFirst: what xwud shows on a 24-bit
// TrueColor screen without conversion.
inline std::string write_xwd(const Image& img) {
  const std::string name = "meshwork";
  const std::uint32_t header_size = 100 + static_cast<std::uint32_t>(name.size()) + 1;
  const std::uint32_t w = static_cast<std::uint32_t>(img.width),
                      h = static_cast<std::uint32_t>(img.height);
  const std::uint32_t fields[25] = {header_size,
                                    7,
                                    2,
                                    24,
                                    w,
                                    h,
                                    0,
                                    0,
                                    32,
                                    0,
                                    32,
                                    32,
                                    w * 4,
                                    4 /* TrueColor */,
                                    0xFF0000,
                                    0xFF00,
                                    0xFF,
                                    8,
                                    256,
                                    0 /* ncolors */,
                                    w,
                                    h,
                                    0,
                                    0,
                                    0};
  std::string out;
  for (std::uint32_t f : fields) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>(f >> shift);
  }
  out += name;
  out += '\0';
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      const std::uint8_t* p = img.at(x, y);
      out += static_cast<char>(p[2]);
      out += static_cast<char>(p[1]);
      out += static_cast<char>(p[0]);
      out += '\0';
    }
  }
  return out;
}

// Reads a ZPixmap of 24 or 32 bits per pixel with channel masks (what `xwd -root` gives of a
// TrueColor or DirectColor screen; the pixel values are what the framebuffer holds, which is
// what a VNC server sends, so the colour map is not applied). Empty on anything else.
inline std::optional<Image> read_xwd(std::string_view data, std::string& error) {
  if (data.size() < 100) {
    error = "xwd: short file";
    return std::nullopt;
  }
  const auto field = [&](int i) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(data.data()) + i * 4;
    return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
           static_cast<std::uint32_t>(p[2]) << 8 | p[3];
  };
  const std::uint32_t header_size = field(0), format = field(2), depth = field(3);
  const std::uint32_t width = field(4), height = field(5), byte_order = field(7);
  const std::uint32_t bits_per_pixel = field(11), bytes_per_line = field(12);
  const std::uint32_t masks[3] = {field(14), field(15), field(16)};
  const std::uint32_t ncolors = field(19);
  if (format != 2 || depth != 24 || (bits_per_pixel != 24 && bits_per_pixel != 32) || width == 0 ||
      height == 0 || width > 16384 || height > 16384) {
    error = "xwd: not a 24-bit ZPixmap (format " + std::to_string(format) + ", depth " +
            std::to_string(depth) + ", bpp " + std::to_string(bits_per_pixel) + ")";
    return std::nullopt;
  }
  // xwd 1.0.8 writes bits_per_pixel 24 for the 32-bit pixels of a depth-24 screen; the line
  // length tells the truth.
  const std::uint32_t bytes = bytes_per_line >= width * 4 ? 4 : 3;
  const std::size_t start =
      static_cast<std::size_t>(header_size) + static_cast<std::size_t>(ncolors) * 12;
  if (bytes_per_line < width * bytes ||
      data.size() < start + static_cast<std::size_t>(bytes_per_line) * height) {
    error = "xwd: truncated image";
    return std::nullopt;
  }
  for (const std::uint32_t m : masks) {
    if (std::popcount(m) != 8 || (m >> std::countr_zero(m)) != 0xFF) {
      error = "xwd: channel masks are not 8 contiguous bits";
      return std::nullopt;
    }
  }
  Image img(static_cast<int>(width), static_cast<int>(height));
  for (std::uint32_t y = 0; y < height; ++y) {
    const auto* row = reinterpret_cast<const std::uint8_t*>(data.data()) + start +
                      std::size_t{y} * bytes_per_line;
    for (std::uint32_t x = 0; x < width; ++x) {
      const std::uint8_t* p = row + x * bytes;
      std::uint32_t v = 0;
      for (std::uint32_t i = 0; i < bytes; ++i) {
        const std::uint32_t b = p[i];
        v |= byte_order == 0 ? b << (8 * i) : b << (8 * (bytes - 1 - i));
      }
      std::uint8_t* out = img.at(static_cast<int>(x), static_cast<int>(y));
      for (int c = 0; c < 3; ++c)
        out[c] = static_cast<std::uint8_t>(v >> std::countr_zero(masks[c]));
    }
  }
  return img;
}

}  // namespace mw::rfb::peer
