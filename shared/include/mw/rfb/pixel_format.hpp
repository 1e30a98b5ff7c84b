// RFB pixel formats (RFC 6143 §7.4) and the conversion of wire pixels into the framebuffer's
// RGBA. A PixelFormat is what the server sends in ServerInit or the client asks for with
// SetPixelFormat; PixelConverter turns its pixel values (1, 2 or 4 bytes, either byte order, true
// colour or colour-mapped) into 32-bit RGBA through lookup tables built once per format.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "mw/util/result.hpp"

namespace mw::rfb {

// The framebuffer's pixel: bytes R, G, B, A in memory (what canvas ImageData and WebGL's
// RGBA/UNSIGNED_BYTE take), i.e. 0xAABBGGRR read as a little-endian 32-bit value.
using Rgba = std::uint32_t;
constexpr Rgba rgba(std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  return static_cast<Rgba>(r) | static_cast<Rgba>(g) << 8 | static_cast<Rgba>(b) << 16 | 0xFF000000u;
}
constexpr std::uint8_t red_of(Rgba p) { return static_cast<std::uint8_t>(p); }
constexpr std::uint8_t green_of(Rgba p) { return static_cast<std::uint8_t>(p >> 8); }
constexpr std::uint8_t blue_of(Rgba p) { return static_cast<std::uint8_t>(p >> 16); }

struct PixelFormat {
  std::uint8_t bits_per_pixel = 32;
  std::uint8_t depth = 24;
  bool big_endian = false;
  bool true_colour = true;
  std::uint16_t red_max = 255;
  std::uint16_t green_max = 255;
  std::uint16_t blue_max = 255;
  std::uint8_t red_shift = 16;
  std::uint8_t green_shift = 8;
  std::uint8_t blue_shift = 0;

  static constexpr std::size_t kWireSize = 16;

  // 32 bpp, depth 24, little-endian, shifts 16/8/0: what every VNC client asks of generic servers.
  static PixelFormat rgb888();
  // 16 bpp RGB565 little-endian: Intel AMT KVM's default ("bpp 2" in MeshCommander).
  static PixelFormat rgb565();
  // 8 bpp RGB332 (AMT's "bpp 1").
  static PixelFormat rgb332();
  // AMT's grey modes (AMT 16 and later): 8-bit and 4-bit grey carried in the red channel.
  static PixelFormat gray8();
  static PixelFormat gray4();

  int bytes_per_pixel() const { return bits_per_pixel / 8; }
  // Checks what RFC 6143 requires plus what a decoder relies on: bpp 8/16/32, depth ≤ bpp,
  // true-colour maxima that fit in depth bits below bpp after their shifts.
  Result<bool> validate() const;
  // Bytes of a Tight / ZRLE compact pixel: 3 when 32 bpp true colour with depth ≤ 24 and the
  // three channels within the low or high 24 bits; bpp/8 otherwise.
  int compact_bytes() const;
  // Where the 3 compact bytes sit within the 4-byte pixel value: true = low 3 bytes.
  bool compact_low() const;

  static Result<PixelFormat> parse(std::span<const std::uint8_t> wire);  // exactly 16 bytes
  std::array<std::uint8_t, kWireSize> encode() const;
  std::string describe() const;  // "16bpp depth 16 LE true-colour RGB 31/63/31 shifts 11/5/0"

  bool operator==(const PixelFormat&) const = default;
};

// Colour-map entries as set by SetColourMapEntries (16-bit channels), for non-true-colour formats.
using ColourMap = std::array<Rgba, 256>;

// Converts pixel values of one format to RGBA. Channels are widened by bit replication when the
// maximum is 2^n - 1 (31 -> 0..255 as v<<3|v>>2, the way TigerVNC's and noVNC's displays do) and
// by rounding division otherwise.
class PixelConverter {
 public:
  PixelConverter() : PixelConverter(PixelFormat::rgb888()) {}
  explicit PixelConverter(const PixelFormat& format);

  const PixelFormat& format() const { return format_; }
  void set_colour_map(const ColourMap& map);

  // The value of one wire pixel of bytes_per_pixel() bytes.
  std::uint32_t read(const std::uint8_t* p) const;
  Rgba to_rgba(std::uint32_t value) const;
  Rgba pixel(const std::uint8_t* p) const { return to_rgba(read(p)); }
  // Converts `count` wire pixels into `out` (the hot loop of Raw and ZRLE/Tight raw tiles).
  void convert(const std::uint8_t* in, std::size_t count, Rgba* out) const;
  // Compact (Tight/ZRLE CPIXEL) variants: compact_bytes() bytes per pixel.
  Rgba compact_pixel(const std::uint8_t* p) const;
  void convert_compact(const std::uint8_t* in, std::size_t count, Rgba* out) const;
  // Tight's 3-byte TPIXELs (red, green, blue whatever the format's shifts) to RGBA.
  static void convert_rgb24(const std::uint8_t* in, std::size_t count, Rgba* out);

 private:
  enum class Path { kRgbx8888, kTable16, kTable8, kGeneric };
  PixelFormat format_;
  Path path_ = Path::kGeneric;
  int bpp_ = 4;
  int compact_ = 3;
  bool compact_low_ = true;
  std::array<std::array<std::uint8_t, 256>, 3> scale8_{};  // channel value -> 0..255 when max < 256
  std::array<Rgba, 256> lut8_{};                            // 8 bpp (true colour or colour map)
  std::shared_ptr<std::array<Rgba, 65536>> lut16_;          // 16 bpp
};

}  // namespace mw::rfb
