// Decoder tests on streams made by rfb_stream.hpp's reference encoder: every encoding and filter at
// 32, 16 and 8 bits per pixel, fed whole, byte by byte and in random chunks with the same result,
// and hostile input (out-of-bounds rectangles, bad indices, oversize lengths, truncation) giving
// typed errors.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "mw/rfb/decoder.hpp"
#include "rfb_stream.hpp"

namespace mw::rfb {
namespace {

using test::Bytes;
using test::Image;

constexpr int kW = 100;
constexpr int kH = 70;

struct Decoded {
  Image pixels;
  std::vector<Event> events;
  bool ok = true;
};

// Feeds `stream` in chunks given by `chunk` (0 = whole) to a fresh decoder.
Decoded decode(const Bytes& stream, const PixelFormat& f, std::size_t chunk = 0, std::uint32_t seed = 0) {
  Decoder d(kW, kH, f);
  Decoded out;
  std::mt19937 rng(seed);
  for (std::size_t i = 0; i < stream.size();) {
    std::size_t n = chunk == 0 ? stream.size() : chunk;
    if (seed != 0) n = 1 + rng() % 700;
    n = std::min(n, stream.size() - i);
    out.ok = d.feed({stream.data() + i, n}, out.events) && out.ok;
    i += n;
  }
  d.end_of_stream(out.events);
  out.pixels = test::pixels_of(d.framebuffer());
  return out;
}

const Error* failure(const std::vector<Event>& events) {
  for (const auto& e : events) {
    if (const auto* f = std::get_if<Failed>(&e)) return &f->error;
  }
  return nullptr;
}

int updates(const std::vector<Event>& events) {
  int n = 0;
  for (const auto& e : events) n += std::holds_alternative<UpdateDone>(e);
  return n;
}

// The same result whole, byte by byte and in random chunks.
void expect_stable(const Bytes& stream, const PixelFormat& f, const Image& want, const char* what) {
  const Decoded whole = decode(stream, f);
  ASSERT_EQ(failure(whole.events), nullptr) << what << ": " << failure(whole.events)->message;
  EXPECT_EQ(whole.pixels, want) << what;
  EXPECT_EQ(decode(stream, f, 1).pixels, want) << what << " byte by byte";
  EXPECT_EQ(decode(stream, f, 0, 7).pixels, want) << what << " random chunks";
}

std::vector<PixelFormat> formats() {
  PixelFormat be16 = PixelFormat::rgb565();
  be16.big_endian = true;
  PixelFormat bgr = PixelFormat::rgb888();  // shifts 0/8/16: ZRLE CPIXEL still 3 bytes
  bgr.red_shift = 0;
  bgr.blue_shift = 16;
  PixelFormat hi24 = PixelFormat::rgb888();  // channels in the top 24 bits: CPIXEL = high bytes
  hi24.red_shift = 24;
  hi24.green_shift = 16;
  hi24.blue_shift = 8;
  return {PixelFormat::rgb888(), PixelFormat::rgb565(), be16, PixelFormat::rgb332(), bgr, hi24};
}

class DecoderFormats : public ::testing::TestWithParam<int> {
 protected:
  PixelFormat f() const { return formats()[static_cast<std::size_t>(GetParam())]; }
};

TEST_P(DecoderFormats, Raw) {
  const Image img = test::test_image(kW, kH);
  Bytes s;
  test::update_header(s, 2);
  test::raw(s, img, kW, {0, 0, kW, 40}, f());
  test::raw(s, img, kW, {0, 40, kW, 30}, f());
  expect_stable(s, f(), test::expected(img, f()), "raw");
}

TEST_P(DecoderFormats, Hextile) {
  const Image img = test::test_image(kW, kH, 3);
  Bytes s;
  test::update_header(s, 1);
  test::hextile(s, img, kW, {0, 0, kW, kH}, f());
  expect_stable(s, f(), test::expected(img, f()), "hextile");
}

TEST_P(DecoderFormats, ZrleAllTileKinds) {
  const Image img = test::test_image(kW, kH, 5);
  for (int mode : {0, 1, 2}) {
    test::Deflater z;
    Bytes s;
    test::update_header(s, 2);
    test::zrle(s, z, img, kW, {0, 0, kW, 35}, f(), mode);  // one zlib stream across rectangles
    test::zrle(s, z, img, kW, {0, 35, kW, 35}, f(), mode);
    expect_stable(s, f(), test::expected(img, f()), "zrle");
  }
}

TEST_P(DecoderFormats, TightFilters) {
  const int third = f().bits_per_pixel == 8 ? 0 : 2;  // Tight has no gradient filter at 8 bpp
  const Image img = test::test_image(kW, kH, 9);
  test::Deflater z[4];
  Bytes s;
  test::update_header(s, 6);
  test::tight_fill(s, {0, 0, 2, 2}, rgba(1, 2, 3), f());             // painted over by the next
  test::tight_basic(s, z[0], 0, img, kW, {0, 0, 33, 70}, f(), 0);    // copy
  test::tight_basic(s, z[1], 1, img, kW, {33, 0, 33, 20}, f(), 1);   // palette (few colours)
  test::tight_basic(s, z[2], 2, img, kW, {66, 0, 34, 70}, f(), third);  // gradient
  test::tight_basic(s, z[1], 1, img, kW, {33, 20, 33, 50}, f(), 1);  // palette again, same stream
  test::tight_basic(s, z[3], 3, img, kW, {40, 60, 2, 1}, f(), 0);    // < 12 bytes: sent uncompressed
  expect_stable(s, f(), test::expected(img, f()), "tight");
}

INSTANTIATE_TEST_SUITE_P(Rfb, DecoderFormats, ::testing::Range(0, 6));

// [SECTION] Encodings at one format

TEST(RfbDecoder, Tight8BitPaletteAndCopy) {
  const PixelFormat f = PixelFormat::rgb332();
  const Image img = test::test_image(kW, kH, 2);
  test::Deflater z;
  Bytes s;
  test::update_header(s, 2);
  test::tight_basic(s, z, 0, img, kW, {0, 0, 66, 70}, f, 0);
  test::tight_basic(s, z, 0, img, kW, {66, 0, 34, 70}, f, 0);
  expect_stable(s, f, test::expected(img, f), "tight8");
}

TEST(RfbDecoder, TightPaletteOfTwoUsesOneBitRows) {
  const PixelFormat f = PixelFormat::rgb888();
  Image img(static_cast<std::size_t>(kW) * kH, rgba(255, 255, 255));
  for (int i = 0; i < kW * kH; i += 3) img[static_cast<std::size_t>(i)] = rgba(0, 0, 0);
  test::Deflater z;
  Bytes s;
  test::update_header(s, 1);
  test::tight_basic(s, z, 0, img, kW, {0, 0, kW, kH}, f, 1);
  expect_stable(s, f, img, "palette of two");
}

TEST(RfbDecoder, TightStreamResetStartsAFreshInflater) {
  const PixelFormat f = PixelFormat::rgb888();
  const Image img = test::test_image(kW, kH, 4);
  Bytes s;
  test::update_header(s, 2);
  test::Deflater z1;
  test::tight_basic(s, z1, 0, img, kW, {0, 0, kW, 35}, f, 0);
  test::Deflater z2;  // the server restarted stream 0: it says so with bit 0 of the control byte
  const std::size_t at = s.size();
  test::tight_basic(s, z2, 0, img, kW, {0, 35, kW, 35}, f, 0);
  s[at + 12] |= 0x01;
  expect_stable(s, f, img, "tight reset");
}

TEST(RfbDecoder, TightJpegIsCloseToTheSource) {
  const PixelFormat f = PixelFormat::rgb888();
  // A smooth picture: JPEG's home ground.
  Image img(static_cast<std::size_t>(kW) * kH);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x)
      img[static_cast<std::size_t>(y) * kW + x] = rgba(static_cast<std::uint8_t>(x * 2), static_cast<std::uint8_t>(y * 3),
                                                       static_cast<std::uint8_t>(128 + (x - y) / 2));
  Bytes s;
  test::update_header(s, 1);
  test::tight_jpeg(s, img, kW, {0, 0, kW, kH}, 90);
  const Decoded d = decode(s, f, 0, 11);
  ASSERT_EQ(failure(d.events), nullptr);
  EXPECT_GE(test::psnr(d.pixels, img), 30.0);
  EXPECT_EQ(d.pixels, decode(s, f).pixels);
}

TEST(RfbDecoder, TightJpegOfAnotherSizeFails) {
  const Image img = test::test_image(kW, kH);
  Bytes s;
  test::update_header(s, 1);
  test::tight_jpeg(s, img, kW, {0, 0, 10, 10}, 80);
  s[4 + 5] = 20;  // the rectangle says 10x20, the JPEG is 10x10
  const Decoded d = decode(s, PixelFormat::rgb888());
  ASSERT_NE(failure(d.events), nullptr);
  EXPECT_EQ(failure(d.events)->code, "jpeg");
}

TEST(RfbDecoder, CopyRectRreAndPseudoEncodings) {
  const PixelFormat f = PixelFormat::rgb888();
  const Image img = test::test_image(kW, kH);
  Bytes s;
  test::update_header(s, 1);
  test::raw(s, img, kW, {0, 0, kW, kH}, f);
  // Copy the top-left 30x20 to (50, 40), overlapping-safe semantics checked on the result.
  test::update_header(s, 3);
  test::rect_header(s, {50, 40, 30, 20}, encoding::kCopyRect);
  test::u16(s, 0);
  test::u16(s, 0);
  test::rect_header(s, {10, 10, 20, 10}, encoding::kRre);
  test::u32(s, 2);
  test::put_pixel(s, rgba(255, 0, 0), f);
  test::put_pixel(s, rgba(0, 255, 0), f);
  test::u16(s, 1), test::u16(s, 1), test::u16(s, 5), test::u16(s, 5);
  test::put_pixel(s, rgba(0, 0, 255), f);
  test::u16(s, 19), test::u16(s, 9), test::u16(s, 1), test::u16(s, 1);
  test::rect_header(s, {0, 0, 0, 0}, encoding::kLastRect);
  Image want = img;
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 30; ++x) want[static_cast<std::size_t>(40 + y) * kW + 50 + x] = img[static_cast<std::size_t>(y) * kW + x];
  for (int y = 10; y < 20; ++y)
    for (int x = 10; x < 30; ++x) want[static_cast<std::size_t>(y) * kW + x] = rgba(255, 0, 0);
  for (int y = 11; y < 16; ++y)
    for (int x = 11; x < 16; ++x) want[static_cast<std::size_t>(y) * kW + x] = rgba(0, 255, 0);
  want[static_cast<std::size_t>(19) * kW + 29] = rgba(0, 0, 255);
  expect_stable(s, f, want, "copyrect+rre+lastrect");
  EXPECT_EQ(updates(decode(s, f).events), 2);
}

TEST(RfbDecoder, CopyRectOverlappingDownAndRight) {
  const PixelFormat f = PixelFormat::rgb888();
  const Image img = test::test_image(kW, kH);
  Bytes s;
  test::update_header(s, 2);
  test::raw(s, img, kW, {0, 0, kW, kH}, f);
  test::rect_header(s, {5, 3, 60, 50}, encoding::kCopyRect);
  test::u16(s, 0);
  test::u16(s, 0);
  Image want = img;
  for (int y = 0; y < 50; ++y)
    for (int x = 0; x < 60; ++x) want[static_cast<std::size_t>(3 + y) * kW + 5 + x] = img[static_cast<std::size_t>(y) * kW + x];
  expect_stable(s, f, want, "overlapping copy");
}

TEST(RfbDecoder, DesktopSizeCursorColourMapBellAndCutText) {
  PixelFormat f = PixelFormat::rgb332();
  f.true_colour = false;  // colour-mapped 8 bpp
  Bytes s;
  s.insert(s.end(), {1, 0, 0, 5, 0, 2});  // SetColourMapEntries first 5, two entries
  test::u16(s, 0xFFFF), test::u16(s, 0), test::u16(s, 0);
  test::u16(s, 0), test::u16(s, 0x8000), test::u16(s, 0xFFFF);
  s.push_back(2);  // Bell
  s.insert(s.end(), {3, 0, 0, 0, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'});
  test::update_header(s, 3);
  test::rect_header(s, {0, 0, 40, 30}, encoding::kDesktopSize);
  test::rect_header(s, {0, 0, 40, 30}, encoding::kRaw);
  for (int i = 0; i < 40 * 30; ++i) s.push_back(i % 2 ? 5 : 6);
  test::rect_header(s, {1, 2, 3, 2}, encoding::kCursor);  // hotspot (1,2), 3x2
  for (int i = 0; i < 6; ++i) s.push_back(5);
  s.insert(s.end(), {0xA0, 0x40});  // mask rows: 101, 010
  Decoder d(kW, kH, f);
  std::vector<Event> ev;
  ASSERT_TRUE(d.feed(s, ev));
  ASSERT_EQ(ev.size(), 5u);
  EXPECT_TRUE(std::holds_alternative<Bell>(ev[0]));
  EXPECT_EQ(std::get<ServerCutText>(ev[1]).text, "hello");
  EXPECT_EQ(std::get<Resized>(ev[2]).width, 40);
  const auto& cur = std::get<CursorShape>(ev[3]);
  EXPECT_EQ(cur.hotspot_x, 1);
  EXPECT_EQ(cur.hotspot_y, 2);
  ASSERT_EQ(cur.pixels.size(), 6u);
  EXPECT_EQ(cur.pixels[0], rgba(255, 0, 0));
  EXPECT_EQ(cur.pixels[1] >> 24, 0u);  // transparent where the mask is clear
  EXPECT_EQ(cur.pixels[4], rgba(255, 0, 0));
  EXPECT_TRUE(std::holds_alternative<UpdateDone>(ev[4]));
  EXPECT_EQ(d.framebuffer().width(), 40);
  EXPECT_EQ(d.framebuffer().at(0, 0), rgba(0, 128, 255));  // index 6
  EXPECT_EQ(d.framebuffer().at(1, 0), rgba(255, 0, 0));    // index 5
}

// TigerVNC's first update, when Cursor is asked for, starts with a 0x0 Cursor rectangle: no body.
// The decoder goes on to the next rectangle, whether the bytes come whole or one at a time, and
// an update that ends with the empty cursor is complete.
TEST(RfbDecoder, EmptyCursorRectangleHasNoBody) {
  const PixelFormat f = PixelFormat::rgb888();
  Bytes s;
  test::update_header(s, 2);
  test::rect_header(s, {0, 0, 0, 0}, encoding::kCursor);
  test::rect_header(s, {0, 0, 2, 1}, encoding::kRaw);
  for (int i = 0; i < 2; ++i) s.insert(s.end(), {0x30, 0x20, 0x10, 0});  // BGRX little endian
  test::update_header(s, 1);
  test::rect_header(s, {0, 0, 0, 0}, encoding::kCursor);
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{5}}) {
    const Decoded d = decode(s, f, chunk);
    ASSERT_TRUE(d.ok) << "chunk " << chunk << ": " << failure(d.events)->message;
    EXPECT_EQ(updates(d.events), 2) << "chunk " << chunk;
    EXPECT_EQ(test::at(d.pixels, kW, 0, 0), rgba(0x10, 0x20, 0x30)) << "chunk " << chunk;
    EXPECT_EQ(test::at(d.pixels, kW, 1, 0), rgba(0x10, 0x20, 0x30)) << "chunk " << chunk;
    int shapes = 0;
    for (const auto& e : d.events) {
      if (const auto* c = std::get_if<CursorShape>(&e)) {
        ++shapes;
        EXPECT_TRUE(c->pixels.empty());
      }
    }
    EXPECT_EQ(shapes, 2) << "chunk " << chunk;
  }
}

// A server may resize the desktop to nothing (a 0-wide ExtendedDesktopSize) and back: no pixels
// to keep, no storage to copy into (found by the fuzz target under UBSan), and decoding goes on.
TEST(RfbDecoder, DesktopResizedToZeroWidthAndBack) {
  Bytes s;
  test::update_header(s, 3);
  test::rect_header(s, {0, 0, 0, 30}, encoding::kExtendedDesktopSize);
  s.insert(s.end(), {1, 0, 0, 0});                  // one screen
  s.insert(s.end(), std::size_t{16}, std::uint8_t{0});  // id, x, y, w, h, flags
  test::rect_header(s, {0, 0, 20, 10}, encoding::kDesktopSize);
  test::rect_header(s, {0, 0, 1, 1}, encoding::kRaw);
  s.insert(s.end(), {0x30, 0x20, 0x10, 0});
  Decoder d(kW, kH, PixelFormat::rgb888());
  std::vector<Event> ev;
  ASSERT_TRUE(d.feed(s, ev)) << failure(ev)->message;
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(std::get<Resized>(ev[0]).width, 0);
  EXPECT_EQ(std::get<Resized>(ev[0]).height, 30);
  EXPECT_EQ(std::get<Resized>(ev[1]).width, 20);
  EXPECT_EQ(d.framebuffer().width(), 20);
  EXPECT_EQ(d.framebuffer().at(0, 0), rgba(0x10, 0x20, 0x30));
  EXPECT_EQ(d.framebuffer().at(1, 0), rgba(0, 0, 0));
}

TEST(RfbDecoder, IntelAmtRawDeflateZrle) {
  // AMT: one 64x64-at-most tile per rectangle, raw deflate without a zlib header, 16 bpp.
  const PixelFormat f = PixelFormat::rgb565();
  const Image img = test::test_image(kW, kH, 8);
  test::Deflater z(true);
  Bytes s;
  int rects = 0;
  Bytes body;
  for (int y = 0; y < kH; y += 64) {
    for (int x = 0; x < kW; x += 64) {
      test::zrle(body, z, img, kW, {x, y, std::min(64, kW - x), std::min(64, kH - y)}, f);
      ++rects;
    }
  }
  test::update_header(s, rects);
  s.insert(s.end(), body.begin(), body.end());
  expect_stable(s, f, test::expected(img, f), "amt zrle");
}

TEST(RfbDecoder, StatsCountRectanglesPixelsAndBytes) {
  const PixelFormat f = PixelFormat::rgb888();
  const Image img = test::test_image(kW, kH);
  Bytes s;
  test::update_header(s, 1);
  test::raw(s, img, kW, {0, 0, kW, kH}, f);
  Decoder d(kW, kH, f);
  std::vector<Event> ev;
  ASSERT_TRUE(d.feed(s, ev));
  const auto st = d.stats();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].encoding, encoding::kRaw);
  EXPECT_EQ(st[0].rects, 1u);
  EXPECT_EQ(st[0].pixels, static_cast<std::uint64_t>(kW * kH));
  EXPECT_EQ(st[0].bytes, s.size() - 4);
  EXPECT_EQ(d.updates(), 1u);
  EXPECT_TRUE(d.idle());
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<UpdateDone>(ev[0]).dirty, (std::vector<Rect>{{0, 0, kW, kH}}));
}

// [SECTION] Hostile input

std::string fail_code(const Bytes& s, const PixelFormat& f = PixelFormat::rgb888()) {
  const Decoded d = decode(s, f);
  const Error* e = failure(d.events);
  return e ? e->code : "";
}

TEST(RfbDecoderHostile, RectangleOutsideTheFramebuffer) {
  Bytes s;
  test::update_header(s, 1);
  test::rect_header(s, {90, 0, 20, 10}, encoding::kRaw);
  EXPECT_EQ(fail_code(s), "rect-outside");
  Bytes c;
  test::update_header(c, 1);
  test::rect_header(c, {0, 0, 20, 10}, encoding::kCopyRect);
  test::u16(c, 95), test::u16(c, 0);
  EXPECT_EQ(fail_code(c), "rect-outside");
}

TEST(RfbDecoderHostile, UnknownMessageAndEncoding) {
  EXPECT_EQ(fail_code({9}), "unknown-message");
  Bytes s;
  test::update_header(s, 1);
  test::rect_header(s, {0, 0, 1, 1}, 12345);
  EXPECT_EQ(fail_code(s), "unknown-encoding");
}

TEST(RfbDecoderHostile, HextileSubrectOutsideItsTile) {
  Bytes s;
  test::update_header(s, 1);
  test::rect_header(s, {0, 0, 10, 10}, encoding::kHextile);
  s.push_back(2 | 4 | 8);
  test::u32(s, 0), test::u32(s, 0);  // bg, fg (32 bpp)
  s.insert(s.end(), {1, 0x88, 0x33});  // 4x4 at (8,8) in a 10x10 tile
  EXPECT_EQ(fail_code(s), "bad-hextile");
}

TEST(RfbDecoderHostile, ZrleBadPaletteIndexRunOverflowAndGarbage) {
  const PixelFormat f = PixelFormat::rgb888();
  const auto zrle_with = [&](Bytes tiles) {
    test::Deflater z;
    Bytes s;
    test::update_header(s, 1);
    test::rect_header(s, {0, 0, 8, 8}, encoding::kZrle);
    const Bytes d = z.flush(tiles);
    test::u32(s, static_cast<std::uint32_t>(d.size()));
    s.insert(s.end(), d.begin(), d.end());
    return fail_code(s, f);
  };
  EXPECT_EQ(zrle_with({3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}),
            "bad-zrle");                                     // index 3 in a palette of 3
  EXPECT_EQ(zrle_with({128, 1, 2, 3, 255, 255}), "bad-zrle");  // run beyond the tile
  EXPECT_EQ(zrle_with({0, 1, 2}), "bad-zrle");                 // raw tile cut short
  EXPECT_EQ(zrle_with({50}), "bad-zrle");                      // undefined subencoding
  Bytes s;
  test::update_header(s, 1);
  test::rect_header(s, {0, 0, 8, 8}, encoding::kZrle);
  test::u32(s, 4);
  s.insert(s.end(), {0x78, 0x9C, 0xFF, 0xFF});
  EXPECT_EQ(fail_code(s, f), "zlib");
}

TEST(RfbDecoderHostile, ZrleBombIsCappedByTheRectangle) {
  // 1 MiB of zeros compresses to ~1 KiB; an 8x8 rectangle may not inflate to that.
  test::Deflater z;
  Bytes s;
  test::update_header(s, 1);
  test::rect_header(s, {0, 0, 8, 8}, encoding::kZrle);
  const Bytes d = z.flush(Bytes(1 << 20, 0));
  test::u32(s, static_cast<std::uint32_t>(d.size()));
  s.insert(s.end(), d.begin(), d.end());
  EXPECT_EQ(fail_code(s), "too-large");
}

TEST(RfbDecoderHostile, OversizeLengthsFailBeforeAllocating) {
  Bytes z;
  test::update_header(z, 1);
  test::rect_header(z, {0, 0, 8, 8}, encoding::kZrle);
  test::u32(z, 0xFFFFFFFF);
  EXPECT_EQ(fail_code(z), "too-large");
  Bytes r;
  test::update_header(r, 1);
  test::rect_header(r, {0, 0, 8, 8}, encoding::kRre);
  test::u32(r, 0xFFFFFFFF);
  test::u32(r, 0);
  EXPECT_EQ(fail_code(r), "too-large");
  Bytes c{3, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF};
  EXPECT_EQ(fail_code(c), "too-large");
  Bytes d;
  test::update_header(d, 1);
  test::rect_header(d, {0, 0, 60000, 60000}, encoding::kDesktopSize);
  EXPECT_EQ(fail_code(d), "too-large");
  Bytes cur;
  test::update_header(cur, 1);
  test::rect_header(cur, {0, 0, 4000, 4000}, encoding::kCursor);
  EXPECT_EQ(fail_code(cur), "too-large");
}

TEST(RfbDecoderHostile, TightUndefinedControlFilterAndPalette) {
  const auto tight = [](Bytes body) {
    Bytes s;
    test::update_header(s, 1);
    test::rect_header(s, {0, 0, 8, 8}, encoding::kTight);
    s.insert(s.end(), body.begin(), body.end());
    return fail_code(s);
  };
  EXPECT_EQ(tight({0xA0}), "bad-tight");
  EXPECT_EQ(tight({0x40, 7}), "bad-tight");
  EXPECT_EQ(tight({0x40, 1, 0}), "bad-tight");  // palette of one colour
  // Palette of 3 sent uncompressed? 64 indices > 12 bytes, so zlib; index 9 is out of range.
  test::Deflater z;
  const Bytes idx = z.flush(Bytes(64, 9));
  Bytes body{0x40, 1, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3};
  test::compact_len(body, idx.size());
  body.insert(body.end(), idx.begin(), idx.end());
  EXPECT_EQ(tight(body), "bad-tight");
  // Compressed data that inflates short.
  test::Deflater z2;
  const Bytes little = z2.flush(Bytes(20, 1));
  Bytes short_body{0x00};
  test::compact_len(short_body, little.size());
  short_body.insert(short_body.end(), little.begin(), little.end());
  EXPECT_EQ(tight(short_body), "tight-short");
}

TEST(RfbDecoderHostile, TruncatedStreamAndNothingAfterFailure) {
  const Image img = test::test_image(kW, kH);
  Bytes s;
  test::update_header(s, 1);
  test::raw(s, img, kW, {0, 0, kW, kH}, PixelFormat::rgb888());
  s.resize(s.size() - 1);
  EXPECT_EQ(fail_code(s), "truncated");
  Decoder d(kW, kH, PixelFormat::rgb888());
  std::vector<Event> ev;
  EXPECT_FALSE(d.feed(Bytes{9}, ev));
  EXPECT_FALSE(d.feed(Bytes{2}, ev));  // a Bell after failure is not decoded
  EXPECT_EQ(ev.size(), 1u);
  EXPECT_TRUE(d.failed());
}

TEST(RfbDecoderHostile, RandomBytesNeverCrash) {
  std::mt19937 rng(42);
  for (int round = 0; round < 300; ++round) {
    Bytes s(static_cast<std::size_t>(rng() % 2000));
    for (auto& b : s) b = static_cast<std::uint8_t>(rng());
    if (!s.empty()) s[0] = static_cast<std::uint8_t>(rng() % 4);
    for (const auto& f : formats()) {
      Decoder d(64, 48, f);
      std::vector<Event> ev;
      d.feed(s, ev);
      d.end_of_stream(ev);
      EXPECT_EQ(d.framebuffer().width() * d.framebuffer().height() <= 16384 * 16384, true);
    }
  }
}

}  // namespace
}  // namespace mw::rfb
