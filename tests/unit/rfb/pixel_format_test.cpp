// Pixel formats: wire form, validation, and the conversion of pixel values to RGBA.
#include <gtest/gtest.h>

#include "mw/rfb/messages.hpp"
#include "mw/rfb/pixel_format.hpp"
#include "../test_bytes.hpp"

namespace mw::rfb {
namespace {

using mw::test::hex;

TEST(RfbPixelFormat, WireFormRoundTripsAndMatchesTheFactSheet) {
  // MeshCommander's RGB332 SetPixelFormat body for AMT.
  const auto w = PixelFormat::rgb332().encode();
  EXPECT_EQ(std::vector<std::uint8_t>(w.begin(), w.end()), hex("08 08 00 01 0007 0007 0003 05 02 00 000000"));
  for (const PixelFormat& f : {PixelFormat::rgb888(), PixelFormat::rgb565(), PixelFormat::rgb332(),
                               PixelFormat::gray8(), PixelFormat::gray4()}) {
    const auto e = f.encode();
    auto back = PixelFormat::parse(e);
    ASSERT_TRUE(back.ok()) << f.describe();
    EXPECT_EQ(back.value(), f);
  }
}

TEST(RfbPixelFormat, ValidationRejectsWhatCannotBeDecoded) {
  PixelFormat f = PixelFormat::rgb888();
  f.bits_per_pixel = 24;
  EXPECT_EQ(f.validate().error().code, "bad-pixel-format");
  f = PixelFormat::rgb565();
  f.red_shift = 12;  // 5 bits at 12 do not fit in 16
  EXPECT_FALSE(f.validate().ok());
  f = PixelFormat::rgb888();
  f.true_colour = false;  // colour maps only at 8 bpp
  EXPECT_FALSE(f.validate().ok());
  f = PixelFormat::rgb888();
  f.depth = 40;
  EXPECT_FALSE(f.validate().ok());
  EXPECT_FALSE(PixelFormat::parse(hex("20 18 00 01 00ff")).ok());
}

TEST(RfbPixelFormat, CompactPixelSize) {
  EXPECT_EQ(PixelFormat::rgb888().compact_bytes(), 3);
  EXPECT_EQ(PixelFormat::rgb565().compact_bytes(), 2);
  EXPECT_EQ(PixelFormat::rgb332().compact_bytes(), 1);
  PixelFormat deep = PixelFormat::rgb888();
  deep.depth = 32;
  EXPECT_EQ(deep.compact_bytes(), 4);
  PixelFormat hi = PixelFormat::rgb888();
  hi.red_shift = 24, hi.green_shift = 16, hi.blue_shift = 8;
  EXPECT_EQ(hi.compact_bytes(), 3);
  EXPECT_FALSE(hi.compact_low());
}

TEST(RfbPixelConverter, Rgb565WidensByBitReplication) {
  PixelConverter c(PixelFormat::rgb565());
  EXPECT_EQ(c.to_rgba(0xFFFF), rgba(255, 255, 255));
  EXPECT_EQ(c.to_rgba(0x0000), rgba(0, 0, 0));
  EXPECT_EQ(c.to_rgba(0xF800), rgba(255, 0, 0));
  EXPECT_EQ(c.to_rgba(0x07E0), rgba(0, 255, 0));
  // red 16 -> 16<<3 | 16>>2 = 132; green 32 -> 32<<2 | 32>>4 = 130; blue 1 -> 8 | 0 = 8.
  EXPECT_EQ(c.to_rgba(16u << 11 | 32u << 5 | 1u), rgba(132, 130, 8));
  const std::uint8_t le[2] = {0x00, 0xF8};  // little-endian on the wire
  EXPECT_EQ(c.pixel(le), rgba(255, 0, 0));
  PixelFormat be = PixelFormat::rgb565();
  be.big_endian = true;
  const std::uint8_t bytes[2] = {0xF8, 0x00};
  EXPECT_EQ(PixelConverter(be).pixel(bytes), rgba(255, 0, 0));
}

TEST(RfbPixelConverter, Rgb332GreyAndOddMaxima) {
  PixelConverter c(PixelFormat::rgb332());
  EXPECT_EQ(c.to_rgba(0xE0), rgba(255, 0, 0));
  EXPECT_EQ(c.to_rgba(0x03), rgba(0, 0, 255));
  EXPECT_EQ(c.to_rgba(0x01), rgba(0, 0, 85));  // 2 bits: 01 -> 01010101
  EXPECT_EQ(PixelConverter(PixelFormat::gray8()).to_rgba(77), rgba(77, 77, 77));
  EXPECT_EQ(PixelConverter(PixelFormat::gray4()).to_rgba(0xF), rgba(255, 255, 255));
  EXPECT_EQ(PixelConverter(PixelFormat::gray4()).to_rgba(0x8), rgba(0x88, 0x88, 0x88));
  PixelFormat odd = PixelFormat::rgb888();
  odd.red_max = 100;  // RFC 6143 §7.4: maxima are 2^N - 1
  EXPECT_FALSE(odd.validate().ok());
}

TEST(RfbPixelConverter, Rgb888BothByteOrders) {
  const std::uint8_t le[4] = {0x30, 0x20, 0x10, 0x00};  // B G R X
  EXPECT_EQ(PixelConverter(PixelFormat::rgb888()).pixel(le), rgba(0x10, 0x20, 0x30));
  Rgba out[1];
  PixelConverter(PixelFormat::rgb888()).convert(le, 1, out);
  EXPECT_EQ(out[0], rgba(0x10, 0x20, 0x30));
  PixelFormat be = PixelFormat::rgb888();
  be.big_endian = true;
  const std::uint8_t bytes[4] = {0x00, 0x10, 0x20, 0x30};
  PixelConverter(be).convert(bytes, 1, out);
  EXPECT_EQ(out[0], rgba(0x10, 0x20, 0x30));
}

TEST(RfbPixelConverter, ColourMap) {
  PixelFormat f = PixelFormat::rgb332();
  f.true_colour = false;
  PixelConverter c(f);
  ColourMap map{};
  map.fill(rgba(0, 0, 0));
  map[7] = rgba(1, 2, 3);
  c.set_colour_map(map);
  EXPECT_EQ(c.to_rgba(7), rgba(1, 2, 3));
}

TEST(RfbMessages, ClientMessagesAreByteExact) {
  EXPECT_EQ(set_pixel_format(PixelFormat::rgb332()), hex("00 000000 08 08 00 01 0007 0007 0003 05 02 00 000000"));
  const std::int32_t amt[] = {encoding::kZrle, encoding::kRaw, encoding::kIntelKvmData, encoding::kDesktopSize};
  EXPECT_EQ(set_encodings(amt), hex("02 00 0004 00000010 00000000 00000444 FFFFFF21"));
  EXPECT_EQ(framebuffer_update_request(true, {0, 0, 1024, 768}), hex("03 01 0000 0000 0400 0300"));
  EXPECT_EQ(key_event(0xFFE3, true), hex("04 01 0000 0000FFE3"));
  EXPECT_EQ(pointer_event(button::kLeft | button::kWheelDown, 10, 20), hex("05 11 000A 0014"));
  EXPECT_EQ(client_cut_text("hi"), hex("06 000000 00000002 6869"));
}

TEST(RfbMessages, EncodingNames) {
  std::int32_t e = 0;
  ASSERT_TRUE(encoding_by_name("ZRLE", e));
  EXPECT_EQ(e, 16);
  EXPECT_FALSE(encoding_by_name("jpeg2000", e));
  EXPECT_EQ(encoding_name(-23), "JPEG quality 9");
  EXPECT_EQ(encoding_name(-256), "compression 0");
  EXPECT_EQ(encoding_name(-223), "DesktopSize");
}

TEST(RfbMessages, VncAuthenticationMatchesDesWithReversedKeyBits) {
  // Expected value from OpenSSL's DES-ECB (legacy provider) with the key "secret" NUL-padded and
  // each byte's bits reversed (ce a6 c6 4e a6 2e 00 00), over the challenge 00..0f.
  std::array<std::uint8_t, 16> challenge{};
  for (int i = 0; i < 16; ++i) challenge[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
  const auto r = vnc_auth_response(challenge, "secret");
  EXPECT_EQ(std::vector<std::uint8_t>(r.begin(), r.end()), hex("ee22539f33a5983ec12f9c2edbc995dd"));
  // Only the first 8 characters count.
  EXPECT_EQ(vnc_auth_response(challenge, "password"), vnc_auth_response(challenge, "password-is-longer"));
}

}  // namespace
}  // namespace mw::rfb
