#include "mw/rfb/pixel_format.hpp"

#include <bit>
#include <cstring>

#include "mw/util/bytes.hpp"

// The byte-shuffling loops below (3 or 4 wire bytes to RGBA) vectorise with SSSE3/AVX2 shuffles,
// which the x86-64 baseline lacks: natively they are compiled twice and the loader picks the AVX2
// copy where the CPU has it (GCC/clang function multiversioning). Wasm builds use SIMD128.
#if defined(__x86_64__) && defined(__ELF__) && !defined(__SANITIZE_ADDRESS__) && !defined(MW_NO_CLONES)
#define MW_RFB_SHUFFLE_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define MW_RFB_SHUFFLE_CLONES
#endif

namespace mw::rfb {

namespace {

MW_RFB_SHUFFLE_CLONES void bgrx_to_rgba(const std::uint8_t* in, std::size_t count, Rgba* out) {
  for (std::size_t i = 0; i < count; ++i, in += 4) {
    out[i] = static_cast<Rgba>(in[2]) | static_cast<Rgba>(in[1]) << 8 | static_cast<Rgba>(in[0]) << 16 | 0xFF000000u;
  }
}

MW_RFB_SHUFFLE_CLONES void bgr_to_rgba(const std::uint8_t* in, std::size_t count, Rgba* out) {
  for (std::size_t i = 0; i < count; ++i, in += 3) {
    out[i] = static_cast<Rgba>(in[2]) | static_cast<Rgba>(in[1]) << 8 | static_cast<Rgba>(in[0]) << 16 | 0xFF000000u;
  }
}

MW_RFB_SHUFFLE_CLONES void rgb_to_rgba(const std::uint8_t* in, std::size_t count, Rgba* out) {
  for (std::size_t i = 0; i < count; ++i, in += 3) {
    out[i] = static_cast<Rgba>(in[0]) | static_cast<Rgba>(in[1]) << 8 | static_cast<Rgba>(in[2]) << 16 | 0xFF000000u;
  }
}

}  // namespace


namespace {

int bits_of(std::uint32_t max) { return std::bit_width(max); }

// A channel value 0..max widened to 0..255: bit replication when max is 2^n - 1, rounding
// division otherwise.
std::uint8_t widen(std::uint32_t v, std::uint32_t max) {
  if (max == 0) return 0;
  if (v > max) v = max;
  if (std::has_single_bit(max + 1)) {
    const int n = bits_of(max);
    if (n >= 8) return static_cast<std::uint8_t>(v >> (n - 8));
    std::uint32_t out = 0;
    int filled = 0;
    while (filled < 8) {  // v<<(8-n) | v<<(8-2n) | ... , the low bits repeating the high ones
      const int shift = 8 - filled - n;
      out |= shift >= 0 ? v << shift : v >> -shift;
      filled += n;
    }
    return static_cast<std::uint8_t>(out);
  }
  return static_cast<std::uint8_t>((static_cast<std::uint64_t>(v) * 255 + max / 2) / max);
}

}  // namespace

PixelFormat PixelFormat::rgb888() { return PixelFormat{}; }

PixelFormat PixelFormat::rgb565() {
  PixelFormat f;
  f.bits_per_pixel = 16;
  f.depth = 16;
  f.red_max = 31;
  f.green_max = 63;
  f.blue_max = 31;
  f.red_shift = 11;
  f.green_shift = 5;
  f.blue_shift = 0;
  return f;
}

PixelFormat PixelFormat::rgb332() {
  PixelFormat f;
  f.bits_per_pixel = 8;
  f.depth = 8;
  f.red_max = 7;
  f.green_max = 7;
  f.blue_max = 3;
  f.red_shift = 5;
  f.green_shift = 2;
  f.blue_shift = 0;
  return f;
}

PixelFormat PixelFormat::gray8() {
  PixelFormat f;
  f.bits_per_pixel = 8;
  f.depth = 8;
  f.red_max = 255;
  f.green_max = 0;
  f.blue_max = 0;
  f.red_shift = 0;
  f.green_shift = 0;
  f.blue_shift = 0;
  return f;
}

PixelFormat PixelFormat::gray4() {
  PixelFormat f = gray8();
  f.depth = 4;
  f.red_max = 15;
  return f;
}

Result<bool> PixelFormat::validate() const {
  if (bits_per_pixel != 8 && bits_per_pixel != 16 && bits_per_pixel != 32) {
    return make_error("bad-pixel-format", "bits-per-pixel must be 8, 16 or 32, not " +
                                              std::to_string(bits_per_pixel));
  }
  if (depth == 0 || depth > bits_per_pixel) {
    return make_error("bad-pixel-format", "depth " + std::to_string(depth) + " does not fit in " +
                                              std::to_string(bits_per_pixel) + " bits per pixel");
  }
  if (true_colour) {
    const struct {
      const char* name;
      std::uint16_t max;
      std::uint8_t shift;
    } ch[] = {{"red", red_max, red_shift}, {"green", green_max, green_shift}, {"blue", blue_max, blue_shift}};
    for (const auto& c : ch) {
      if (!std::has_single_bit(static_cast<std::uint32_t>(c.max) + 1)) {  // RFC 6143 §7.4: 2^N - 1
        return make_error("bad-pixel-format", std::string(c.name) + " maximum " + std::to_string(c.max) +
                                                  " is not 2^N - 1");
      }
      if (c.max != 0 && c.shift + bits_of(c.max) > bits_per_pixel) {
        return make_error("bad-pixel-format", std::string(c.name) + " channel (max " + std::to_string(c.max) +
                                                  ", shift " + std::to_string(c.shift) +
                                                  ") does not fit in the pixel");
      }
    }
    if (red_max == 0 && green_max == 0 && blue_max == 0) {
      return make_error("bad-pixel-format", "a true-colour format needs a channel maximum above 0");
    }
  } else if (bits_per_pixel != 8) {
    return make_error("bad-pixel-format", "colour-mapped pixels are supported at 8 bits per pixel only");
  }
  return true;
}

bool PixelFormat::compact_low() const {
  // RFC 6143 §7.7.5 (ZRLE CPIXEL) and Tight's TPIXEL: the 3 bytes are the least significant ones
  // when every channel fits in the low 24 bits, the most significant ones when in the high 24.
  const auto top = [](std::uint16_t max, std::uint8_t shift) { return shift + bits_of(max); };
  return top(red_max, red_shift) <= 24 && top(green_max, green_shift) <= 24 && top(blue_max, blue_shift) <= 24;
}

int PixelFormat::compact_bytes() const {
  if (bits_per_pixel == 32 && depth <= 24 && true_colour) {
    const auto low = [](std::uint16_t max, std::uint8_t shift) { return shift >= 8 || max == 0; };
    if (compact_low() || (low(red_max, red_shift) && low(green_max, green_shift) && low(blue_max, blue_shift))) {
      return 3;
    }
  }
  return bits_per_pixel / 8;
}

Result<PixelFormat> PixelFormat::parse(std::span<const std::uint8_t> w) {
  if (w.size() != kWireSize) return make_error("truncated", "a PIXEL_FORMAT is 16 bytes");
  PixelFormat f;
  f.bits_per_pixel = w[0];
  f.depth = w[1];
  f.big_endian = w[2] != 0;
  f.true_colour = w[3] != 0;
  f.red_max = static_cast<std::uint16_t>(w[4] << 8 | w[5]);
  f.green_max = static_cast<std::uint16_t>(w[6] << 8 | w[7]);
  f.blue_max = static_cast<std::uint16_t>(w[8] << 8 | w[9]);
  f.red_shift = w[10];
  f.green_shift = w[11];
  f.blue_shift = w[12];
  if (auto ok = f.validate(); !ok) return ok.error();
  return f;
}

std::array<std::uint8_t, PixelFormat::kWireSize> PixelFormat::encode() const {
  return {bits_per_pixel,
          depth,
          static_cast<std::uint8_t>(big_endian ? 1 : 0),
          static_cast<std::uint8_t>(true_colour ? 1 : 0),
          static_cast<std::uint8_t>(red_max >> 8),
          static_cast<std::uint8_t>(red_max),
          static_cast<std::uint8_t>(green_max >> 8),
          static_cast<std::uint8_t>(green_max),
          static_cast<std::uint8_t>(blue_max >> 8),
          static_cast<std::uint8_t>(blue_max),
          red_shift,
          green_shift,
          blue_shift,
          0,
          0,
          0};
}

std::string PixelFormat::describe() const {
  std::string s = std::to_string(bits_per_pixel) + "bpp depth " + std::to_string(depth) +
                  (big_endian ? " BE" : " LE");
  if (!true_colour) return s + " colour-mapped";
  return s + " true-colour RGB " + std::to_string(red_max) + "/" + std::to_string(green_max) + "/" +
         std::to_string(blue_max) + " shifts " + std::to_string(red_shift) + "/" +
         std::to_string(green_shift) + "/" + std::to_string(blue_shift);
}

// [SECTION] PixelConverter

PixelConverter::PixelConverter(const PixelFormat& f) : format_(f) {
  bpp_ = f.bits_per_pixel / 8;
  compact_ = f.compact_bytes();
  compact_low_ = f.compact_low();
  const std::uint16_t maxes[3] = {f.red_max, f.green_max, f.blue_max};
  for (int c = 0; c < 3; ++c) {
    for (std::uint32_t v = 0; v < 256; ++v) scale8_[c][v] = widen(v, maxes[c] < 256 ? maxes[c] : 255);
  }
  if (f.bits_per_pixel == 8) {
    path_ = Path::kGeneric;  // to_rgba below computes; then switch to the table
    if (f.true_colour) {
      for (std::uint32_t v = 0; v < 256; ++v) lut8_[v] = to_rgba(v);
    } else {
      lut8_.fill(rgba(0, 0, 0));
    }
    path_ = Path::kTable8;
  } else if (f.bits_per_pixel == 16 && f.true_colour) {
    path_ = Path::kGeneric;  // to_rgba below computes; then switch to the table
    lut16_ = std::make_shared<std::array<Rgba, 65536>>();
    for (std::uint32_t v = 0; v < 65536; ++v) (*lut16_)[v] = to_rgba(v);
    path_ = Path::kTable16;
  } else if (f.bits_per_pixel == 32 && f.true_colour && f.red_max == 255 && f.green_max == 255 &&
             f.blue_max == 255 && f.red_shift == 16 && f.green_shift == 8 && f.blue_shift == 0) {
    path_ = Path::kRgbx8888;
  } else {
    path_ = Path::kGeneric;
  }
}

void PixelConverter::set_colour_map(const ColourMap& map) {
  if (!format_.true_colour && format_.bits_per_pixel == 8) lut8_ = map;
}

std::uint32_t PixelConverter::read(const std::uint8_t* p) const {
  switch (bpp_) {
    case 1:
      return p[0];
    case 2:
      return format_.big_endian ? static_cast<std::uint32_t>(p[0] << 8 | p[1])
                                : static_cast<std::uint32_t>(p[1] << 8 | p[0]);
    default:
      return format_.big_endian
                 ? static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
                       static_cast<std::uint32_t>(p[2]) << 8 | p[3]
                 : static_cast<std::uint32_t>(p[3]) << 24 | static_cast<std::uint32_t>(p[2]) << 16 |
                       static_cast<std::uint32_t>(p[1]) << 8 | p[0];
  }
}

Rgba PixelConverter::to_rgba(std::uint32_t v) const {
  switch (path_) {
    case Path::kTable8:
      return lut8_[v & 0xFF];
    case Path::kTable16:
      return (*lut16_)[v & 0xFFFF];
    case Path::kRgbx8888:
      return rgba(static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
                  static_cast<std::uint8_t>(v));
    case Path::kGeneric:
      break;
  }
  const PixelFormat& f = format_;
  const auto ch = [&](int c, std::uint16_t max, std::uint8_t shift) -> std::uint8_t {
    const std::uint32_t x = (v >> shift) & max;
    return max < 256 ? scale8_[c][x] : widen(x, max);
  };
  const std::uint8_t r = ch(0, f.red_max, f.red_shift);
  // Grey formats (AMT): one channel carries the level.
  if (f.green_max == 0 && f.blue_max == 0) return rgba(r, r, r);
  return rgba(r, ch(1, f.green_max, f.green_shift), ch(2, f.blue_max, f.blue_shift));
}

void PixelConverter::convert(const std::uint8_t* in, std::size_t count, Rgba* out) const {
  switch (path_) {
    case Path::kRgbx8888:
      if (!format_.big_endian) {
        bgrx_to_rgba(in, count, out);  // bytes B,G,R,X -> R,G,B,FF
        return;
      }
      break;
    case Path::kTable16: {
      const auto& t = *lut16_;
      if (format_.big_endian) {
        for (std::size_t i = 0; i < count; ++i, in += 2) out[i] = t[in[0] << 8 | in[1]];
      } else {
        for (std::size_t i = 0; i < count; ++i, in += 2) out[i] = t[in[1] << 8 | in[0]];
      }
      return;
    }
    case Path::kTable8:
      for (std::size_t i = 0; i < count; ++i) out[i] = lut8_[in[i]];
      return;
    case Path::kGeneric:
      break;
  }
  for (std::size_t i = 0; i < count; ++i, in += bpp_) out[i] = to_rgba(read(in));
}

Rgba PixelConverter::compact_pixel(const std::uint8_t* p) const {
  if (compact_ != 3) return pixel(p);
  // The three bytes in wire order; they are the low (or high) 3 bytes of the pixel value.
  std::uint32_t v;
  if (format_.big_endian) {
    v = static_cast<std::uint32_t>(p[0]) << 16 | static_cast<std::uint32_t>(p[1]) << 8 | p[2];
  } else {
    v = static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[1]) << 8 | p[0];
  }
  if (!compact_low_) v <<= 8;
  return to_rgba(v);
}

void PixelConverter::convert_compact(const std::uint8_t* in, std::size_t count, Rgba* out) const {
  if (compact_ != 3) {
    convert(in, count, out);
    return;
  }
  if (path_ == Path::kRgbx8888 && !format_.big_endian) {
    bgr_to_rgba(in, count, out);
    return;
  }
  for (std::size_t i = 0; i < count; ++i, in += 3) out[i] = compact_pixel(in);
}

void PixelConverter::convert_rgb24(const std::uint8_t* in, std::size_t count, Rgba* out) { rgb_to_rgba(in, count, out); }

}  // namespace mw::rfb
