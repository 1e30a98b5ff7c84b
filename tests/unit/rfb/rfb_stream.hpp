// A small RFB server-side encoder for the decoder tests: straightforward (slow, obviously correct)
// encodings of an RGBA test image into FramebufferUpdate bytes, written from RFC 6143 and the Tight
// notes of libvncserver's rfbproto.h independently of the decoder under test.
#pragma once

#include <turbojpeg.h>
#include <zlib.h>

#include <cstdint>
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "mw/rfb/framebuffer.hpp"
#include "mw/rfb/messages.hpp"
#include "mw/rfb/pixel_format.hpp"

namespace mw::rfb::test {

using Bytes = std::vector<std::uint8_t>;

// A deterministic test picture: gradients, noise, solid blocks and a few-colour pattern.
inline std::vector<Rgba> test_image(int w, int h, std::uint32_t seed = 1) {
  std::vector<Rgba> px(static_cast<std::size_t>(w) * h);
  std::uint32_t s = seed;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      s = s * 1664525u + 1013904223u;
      Rgba c;
      if (x < w / 3) {
        c = rgba(static_cast<std::uint8_t>(x * 255 / std::max(w, 1)), static_cast<std::uint8_t>(y * 255 / std::max(h, 1)), 128);
      } else if (x < 2 * w / 3) {
        c = ((x / 4 + y / 4) % 3 == 0) ? rgba(0, 0, 0) : ((x / 7) % 2 ? rgba(255, 255, 255) : rgba(200, 30, 30));
      } else {
        c = (y % 16 < 8) ? rgba(10, 120, 200) : rgba(static_cast<std::uint8_t>(s >> 24), static_cast<std::uint8_t>(s >> 16), static_cast<std::uint8_t>(s >> 8));
      }
      px[static_cast<std::size_t>(y) * w + x] = c;
    }
  }
  return px;
}

// An RGBA colour as a pixel value of `f` (true colour), by truncating each channel.
inline std::uint32_t to_value(Rgba c, const PixelFormat& f) {
  const auto ch = [](std::uint8_t v, std::uint16_t max) {
    return static_cast<std::uint32_t>(v) * max / 255;  // exact for 255, truncating otherwise
  };
  if (f.green_max == 0 && f.blue_max == 0) return ch(red_of(c), f.red_max) << f.red_shift;
  return ch(red_of(c), f.red_max) << f.red_shift | ch(green_of(c), f.green_max) << f.green_shift |
         ch(blue_of(c), f.blue_max) << f.blue_shift;
}

inline void put_value(Bytes& out, std::uint32_t v, int bytes, bool big_endian) {
  for (int i = 0; i < bytes; ++i) {
    const int shift = big_endian ? (bytes - 1 - i) * 8 : i * 8;
    out.push_back(static_cast<std::uint8_t>(v >> shift));
  }
}

inline void put_pixel(Bytes& out, Rgba c, const PixelFormat& f) { put_value(out, to_value(c, f), f.bytes_per_pixel(), f.big_endian); }

// ZRLE CPIXEL / Tight TPIXEL.
inline void put_cpixel(Bytes& out, Rgba c, const PixelFormat& f) {
  if (f.compact_bytes() == 3) {
    std::uint32_t v = to_value(c, f);
    if (!f.compact_low()) v >>= 8;
    put_value(out, v, 3, f.big_endian);
  } else {
    put_pixel(out, c, f);
  }
}
inline bool tight24(const PixelFormat& f) {
  return f.bits_per_pixel == 32 && f.depth == 24 && f.red_max == 255 && f.green_max == 255 && f.blue_max == 255;
}
inline void put_tpixel(Bytes& out, Rgba c, const PixelFormat& f) {
  if (tight24(f)) {
    out.push_back(red_of(c));
    out.push_back(green_of(c));
    out.push_back(blue_of(c));
  } else {
    put_pixel(out, c, f);
  }
}

inline void u16(Bytes& o, int v) {
  o.push_back(static_cast<std::uint8_t>(v >> 8));
  o.push_back(static_cast<std::uint8_t>(v));
}
inline void u32(Bytes& o, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) o.push_back(static_cast<std::uint8_t>(v >> s));
}
inline void rect_header(Bytes& o, const Rect& r, std::int32_t enc) {
  u16(o, r.x);
  u16(o, r.y);
  u16(o, r.w);
  u16(o, r.h);
  u32(o, static_cast<std::uint32_t>(enc));
}
inline void update_header(Bytes& o, int rects) {
  o.push_back(0);
  o.push_back(0);
  u16(o, rects);
}
inline void compact_len(Bytes& o, std::size_t n) {
  o.push_back(static_cast<std::uint8_t>((n & 0x7F) | (n > 0x7F ? 0x80 : 0)));
  if (n > 0x7F) {
    o.push_back(static_cast<std::uint8_t>(((n >> 7) & 0x7F) | (n > 0x3FFF ? 0x80 : 0)));
    if (n > 0x3FFF) o.push_back(static_cast<std::uint8_t>(n >> 14));
  }
}

// A persistent deflate stream flushed per rectangle (what servers do).
class Deflater {
 public:
  explicit Deflater(bool raw = false) { deflateInit2(&z_, 6, Z_DEFLATED, raw ? -15 : 15, 8, Z_DEFAULT_STRATEGY); }
  ~Deflater() { deflateEnd(&z_); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
  Bytes flush(const Bytes& in) {
    Bytes out(deflateBound(&z_, static_cast<uLong>(in.size())) + 64);
    z_.next_in = const_cast<Bytef*>(in.data());
    z_.avail_in = static_cast<uInt>(in.size());
    z_.next_out = out.data();
    z_.avail_out = static_cast<uInt>(out.size());
    deflate(&z_, Z_SYNC_FLUSH);
    out.resize(out.size() - z_.avail_out);
    return out;
  }

 private:
  z_stream z_{};
};

using Image = std::vector<Rgba>;
inline Rgba at(const Image& img, int stride, int x, int y) { return img[static_cast<std::size_t>(y) * stride + x]; }

inline void raw(Bytes& o, const Image& img, int stride, const Rect& r, const PixelFormat& f) {
  rect_header(o, r, encoding::kRaw);
  for (int y = r.y; y < r.y + r.h; ++y) {
    for (int x = r.x; x < r.x + r.w; ++x) put_pixel(o, at(img, stride, x, y), f);
  }
}

// Hextile: every tile as background + coloured 1x1 subrects where the pixel differs, or raw
// when that is larger (so both paths are used); tiles alternate ForegroundSpecified use.
inline void hextile(Bytes& o, const Image& img, int stride, const Rect& r, const PixelFormat& f) {
  rect_header(o, r, encoding::kHextile);
  const int bpp = f.bytes_per_pixel();
  for (int ty = r.y; ty < r.y + r.h; ty += 16) {
    for (int tx = r.x; tx < r.x + r.w; tx += 16) {
      const int tw = std::min(16, r.x + r.w - tx), th = std::min(16, r.y + r.h - ty);
      const Rgba bg = at(img, stride, tx, ty);
      std::vector<std::pair<int, int>> diff;
      for (int y = 0; y < th; ++y)
        for (int x = 0; x < tw; ++x)
          if (at(img, stride, tx + x, ty + y) != bg) diff.push_back({x, y});
      if (diff.size() > 255 || diff.size() * (bpp + 2) > static_cast<std::size_t>(tw * th * bpp)) {
        o.push_back(1);
        for (int y = 0; y < th; ++y)
          for (int x = 0; x < tw; ++x) put_pixel(o, at(img, stride, tx + x, ty + y), f);
        continue;
      }
      if (diff.empty()) {
        o.push_back(2);
        put_pixel(o, bg, f);
        continue;
      }
      o.push_back(2 | 8 | 16);
      put_pixel(o, bg, f);
      o.push_back(static_cast<std::uint8_t>(diff.size()));
      for (auto [x, y] : diff) {
        put_pixel(o, at(img, stride, tx + x, ty + y), f);
        o.push_back(static_cast<std::uint8_t>(x << 4 | y));
        o.push_back(0);
      }
    }
  }
}

// ZRLE tiles: solid, packed palette, palette RLE, plain RLE or raw, chosen by the tile's content
// and `mode` (0 = best guess, 1 = force raw, 2 = force plain RLE).
inline Bytes zrle_tiles(const Image& img, int stride, const Rect& r, const PixelFormat& f, int mode) {
  Bytes t;
  for (int ty = r.y; ty < r.y + r.h; ty += 64) {
    for (int tx = r.x; tx < r.x + r.w; tx += 64) {
      const int tw = std::min(64, r.x + r.w - tx), th = std::min(64, r.y + r.h - ty);
      std::vector<Rgba> px;
      for (int y = 0; y < th; ++y)
        for (int x = 0; x < tw; ++x) px.push_back(at(img, stride, tx + x, ty + y));
      std::vector<Rgba> pal;
      for (Rgba c : px) {
        if (std::find(pal.begin(), pal.end(), c) == pal.end()) pal.push_back(c);
        if (pal.size() > 127) break;
      }
      if (mode == 1 || (mode == 0 && pal.size() > 127)) {
        t.push_back(0);
        for (Rgba c : px) put_cpixel(t, c, f);
      } else if (mode == 2 || pal.size() > 16) {
        const bool plain = mode == 2 || pal.size() > 127;
        t.push_back(static_cast<std::uint8_t>(plain ? 128 : 128 + pal.size()));
        if (!plain) for (Rgba c : pal) put_cpixel(t, c, f);
        for (std::size_t i = 0; i < px.size();) {
          std::size_t j = i + 1;
          while (j < px.size() && px[j] == px[i]) ++j;
          const std::size_t run = j - i;
          if (plain) {
            put_cpixel(t, px[i], f);
          } else {
            const auto idx = static_cast<std::uint8_t>(std::find(pal.begin(), pal.end(), px[i]) - pal.begin());
            t.push_back(static_cast<std::uint8_t>(idx | (run > 1 ? 0x80 : 0)));
            if (run == 1) { i = j; continue; }
          }
          std::size_t left = run - 1;
          while (left >= 255) { t.push_back(255); left -= 255; }
          t.push_back(static_cast<std::uint8_t>(left));
          i = j;
        }
      } else if (pal.size() == 1) {
        t.push_back(1);
        put_cpixel(t, pal[0], f);
      } else {
        t.push_back(static_cast<std::uint8_t>(pal.size()));
        for (Rgba c : pal) put_cpixel(t, c, f);
        const int bits = pal.size() == 2 ? 1 : pal.size() <= 4 ? 2 : 4;
        for (int y = 0; y < th; ++y) {
          int acc = 0, n = 0;
          for (int x = 0; x < tw; ++x) {
            const int idx = static_cast<int>(std::find(pal.begin(), pal.end(), px[static_cast<std::size_t>(y) * tw + x]) - pal.begin());
            acc = acc << bits | idx;
            n += bits;
            if (n == 8) { t.push_back(static_cast<std::uint8_t>(acc)); acc = 0; n = 0; }
          }
          if (n > 0) t.push_back(static_cast<std::uint8_t>(acc << (8 - n)));
        }
      }
    }
  }
  return t;
}

inline void zrle(Bytes& o, Deflater& z, const Image& img, int stride, const Rect& r, const PixelFormat& f, int mode = 0) {
  rect_header(o, r, encoding::kZrle);
  const Bytes data = z.flush(zrle_tiles(img, stride, r, f, mode));
  u32(o, static_cast<std::uint32_t>(data.size()));
  o.insert(o.end(), data.begin(), data.end());
}

// Tight basic compression with the copy, palette or gradient filter on stream `stream`.
inline void tight_basic(Bytes& o, Deflater& z, int stream, const Image& img, int stride, const Rect& r,
                        const PixelFormat& f, int filter) {
  rect_header(o, r, encoding::kTight);
  Bytes data;
  std::vector<Rgba> pal;
  if (filter == 1) {
    for (int y = r.y; y < r.y + r.h; ++y)
      for (int x = r.x; x < r.x + r.w; ++x)
        if (std::find(pal.begin(), pal.end(), at(img, stride, x, y)) == pal.end()) pal.push_back(at(img, stride, x, y));
  }
  o.push_back(static_cast<std::uint8_t>((stream | (filter ? 4 : 0)) << 4));
  if (filter) o.push_back(static_cast<std::uint8_t>(filter));
  if (filter == 1) {
    o.push_back(static_cast<std::uint8_t>(pal.size() - 1));
    for (Rgba c : pal) put_tpixel(o, c, f);
    for (int y = r.y; y < r.y + r.h; ++y) {
      int acc = 0, n = 0;
      for (int x = r.x; x < r.x + r.w; ++x) {
        const auto idx = static_cast<int>(std::find(pal.begin(), pal.end(), at(img, stride, x, y)) - pal.begin());
        if (pal.size() == 2) {
          acc = acc << 1 | idx;
          if (++n == 8) { data.push_back(static_cast<std::uint8_t>(acc)); acc = n = 0; }
        } else {
          data.push_back(static_cast<std::uint8_t>(idx));
        }
      }
      if (pal.size() == 2 && n > 0) data.push_back(static_cast<std::uint8_t>(acc << (8 - n)));
    }
  } else if (filter == 2) {
    // Gradient on the 8-bit RGB channels (tight24) or on the pixel's channels.
    const bool t24 = tight24(f);
    const std::uint32_t maxes[3] = {t24 ? 255u : f.red_max, t24 ? 255u : f.green_max, t24 ? 255u : f.blue_max};
    std::vector<std::array<int, 3>> prev(r.w), cur(r.w);
    for (int y = r.y; y < r.y + r.h; ++y) {
      for (int x = 0; x < r.w; ++x) {
        const Rgba c = at(img, stride, r.x + x, y);
        std::array<int, 3> v;
        if (t24) {
          v = {red_of(c), green_of(c), blue_of(c)};
        } else {
          const std::uint32_t pv = to_value(c, f);
          v = {static_cast<int>((pv >> f.red_shift) & f.red_max), static_cast<int>((pv >> f.green_shift) & f.green_max),
               static_cast<int>((pv >> f.blue_shift) & f.blue_max)};
        }
        std::uint32_t d = 0;
        std::array<int, 3> diff{};
        for (int k = 0; k < 3; ++k) {
          const int left = x > 0 ? cur[x - 1][k] : 0, up = prev[x][k], ul = x > 0 ? prev[x - 1][k] : 0;
          const int pred = std::clamp(left + up - ul, 0, static_cast<int>(maxes[k]));
          diff[k] = (v[k] - pred) & static_cast<int>(maxes[k]);
        }
        cur[x] = v;
        if (t24) {
          for (int k = 0; k < 3; ++k) data.push_back(static_cast<std::uint8_t>(diff[k]));
        } else {
          d = static_cast<std::uint32_t>(diff[0]) << f.red_shift | static_cast<std::uint32_t>(diff[1]) << f.green_shift |
              static_cast<std::uint32_t>(diff[2]) << f.blue_shift;
          put_value(data, d, f.bytes_per_pixel(), f.big_endian);
        }
      }
      prev.swap(cur);
    }
  } else {
    for (int y = r.y; y < r.y + r.h; ++y)
      for (int x = r.x; x < r.x + r.w; ++x) put_tpixel(data, at(img, stride, x, y), f);
  }
  if (data.size() < 12) {
    o.insert(o.end(), data.begin(), data.end());
    return;
  }
  const Bytes z_data = z.flush(data);
  compact_len(o, z_data.size());
  o.insert(o.end(), z_data.begin(), z_data.end());
}

inline void tight_fill(Bytes& o, const Rect& r, Rgba c, const PixelFormat& f) {
  rect_header(o, r, encoding::kTight);
  o.push_back(0x80);
  put_tpixel(o, c, f);
}

inline Bytes jpeg_of(const Image& img, int stride, const Rect& r, int quality) {
  std::vector<std::uint8_t> rgb;
  for (int y = r.y; y < r.y + r.h; ++y)
    for (int x = r.x; x < r.x + r.w; ++x) {
      const Rgba c = at(img, stride, x, y);
      rgb.insert(rgb.end(), {red_of(c), green_of(c), blue_of(c)});
    }
  tjhandle h = tjInitCompress();
  unsigned char* out = nullptr;
  unsigned long size = 0;
  tjCompress2(h, rgb.data(), r.w, r.w * 3, r.h, TJPF_RGB, &out, &size, TJSAMP_420, quality, 0);
  Bytes b(out, out + size);
  tjFree(out);
  tjDestroy(h);
  return b;
}

inline void tight_jpeg(Bytes& o, const Image& img, int stride, const Rect& r, int quality) {
  rect_header(o, r, encoding::kTight);
  o.push_back(0x90);
  const Bytes j = jpeg_of(img, stride, r, quality);
  compact_len(o, j.size());
  o.insert(o.end(), j.begin(), j.end());
}

// The picture as the decoder should show it after quantisation to `f` (exact for lossless).
inline Image expected(const Image& img, const PixelFormat& f) {
  PixelConverter conv(f);
  Image out(img.size());
  for (std::size_t i = 0; i < img.size(); ++i) out[i] = conv.to_rgba(to_value(img[i], f));
  return out;
}

inline Image pixels_of(const Framebuffer& fb) { return Image(fb.pixels().begin(), fb.pixels().end()); }

inline double psnr(const Image& a, const Image& b) {
  double se = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (int s = 0; s < 24; s += 8) {
      const double d = static_cast<double>((a[i] >> s) & 0xFF) - static_cast<double>((b[i] >> s) & 0xFF);
      se += d * d;
    }
  }
  const double mse = se / (a.size() * 3.0);
  return mse == 0 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 / mse);
}

}  // namespace mw::rfb::test
