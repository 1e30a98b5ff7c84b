// Glyph needs (webclient/src/glyph_needs.hpp): character maps read from font data built here
// (cmap formats 4 and 12), what text asks the atlas to add, when the fallback font is wanted, and
// the cap.
#include "glyph_needs.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

namespace mw::web {
namespace {

void be16(std::vector<std::uint8_t>& v, std::uint32_t x) {
  v.push_back(static_cast<std::uint8_t>(x >> 8));
  v.push_back(static_cast<std::uint8_t>(x));
}
void be32(std::vector<std::uint8_t>& v, std::uint32_t x) {
  be16(v, x >> 16);
  be16(v, x & 0xFFFF);
}

struct Segment {
  std::uint16_t start, end, delta;
  std::vector<std::uint16_t> glyphs;  // non-empty: mapped through glyphIdArray
};

// A cmap format 4 subtable.
std::vector<std::uint8_t> format4(const std::vector<Segment>& segs) {
  const auto n = static_cast<std::uint32_t>(segs.size());
  std::vector<std::uint8_t> t;
  be16(t, 4);
  be16(t, 0);  // length, unchecked
  be16(t, 0);
  be16(t, n * 2);
  be16(t, 0);
  be16(t, 0);
  be16(t, 0);
  for (const auto& s : segs) be16(t, s.end);
  be16(t, 0);
  for (const auto& s : segs) be16(t, s.start);
  for (const auto& s : segs) be16(t, s.delta);
  // idRangeOffset[i]: bytes from its own position to its first glyph in glyphIdArray.
  std::uint32_t array_at = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (segs[i].glyphs.empty()) {
      be16(t, 0);
    } else {
      be16(t, (n - i) * 2 + array_at * 2);
      array_at += static_cast<std::uint32_t>(segs[i].glyphs.size());
    }
  }
  for (const auto& s : segs) {
    for (const auto g : s.glyphs) be16(t, g);
  }
  return t;
}

// A cmap format 12 subtable: groups of {start, end, first glyph}.
std::vector<std::uint8_t> format12(const std::vector<std::array<std::uint32_t, 3>>& groups) {
  std::vector<std::uint8_t> t;
  be16(t, 12);
  be16(t, 0);
  be32(t, 0);
  be32(t, 0);
  be32(t, static_cast<std::uint32_t>(groups.size()));
  for (const auto& g : groups) {
    be32(t, g[0]);
    be32(t, g[1]);
    be32(t, g[2]);
  }
  return t;
}

// A font file with only a cmap table holding `subtables` as (platform, encoding, bytes).
std::vector<std::uint8_t> font(const std::vector<std::tuple<int, int, std::vector<std::uint8_t>>>& subtables) {
  std::vector<std::uint8_t> cmap;
  be16(cmap, 0);
  be16(cmap, static_cast<std::uint32_t>(subtables.size()));
  std::uint32_t at = 4 + 8 * static_cast<std::uint32_t>(subtables.size());
  for (const auto& [p, e, bytes] : subtables) {
    be16(cmap, static_cast<std::uint32_t>(p));
    be16(cmap, static_cast<std::uint32_t>(e));
    be32(cmap, at);
    at += static_cast<std::uint32_t>(bytes.size());
  }
  for (const auto& [p, e, bytes] : subtables) cmap.insert(cmap.end(), bytes.begin(), bytes.end());
  std::vector<std::uint8_t> f;
  be32(f, 0x00010000);
  be16(f, 2);  // two tables: one we ignore, then cmap
  be16(f, 0);
  be16(f, 0);
  be16(f, 0);
  be32(f, 0x68656164);  // "head"
  be32(f, 0);
  be32(f, 0);
  be32(f, 0);
  be32(f, 0x636D6170);  // "cmap"
  be32(f, 0);
  be32(f, 44);
  be32(f, static_cast<std::uint32_t>(cmap.size()));
  f.insert(f.end(), cmap.begin(), cmap.end());
  return f;
}

TEST(FontCoverage, Format4DeltasAndGlyphArrays) {
  const auto f = font({{3, 1, format4({{0x41, 0x43, 5, {}},                 // A..C by delta
                                       {0x4F1A, 0x4F1C, 0, {7, 0, 9}},      // U+4F1B maps to no glyph
                                       {0xFFFF, 0xFFFF, 1, {}}})}});        // the required end segment
  const auto c = FontCoverage::parse(f);
  EXPECT_TRUE(c.has(U'A'));
  EXPECT_TRUE(c.has(U'C'));
  EXPECT_FALSE(c.has(U'D'));
  EXPECT_TRUE(c.has(0x4F1A));
  EXPECT_FALSE(c.has(0x4F1B));
  EXPECT_TRUE(c.has(0x4F1C));
  EXPECT_FALSE(c.has(0xFFFF));
  EXPECT_EQ(c.count(), 5u);
}

TEST(FontCoverage, Format12GroupsWithinTheBmp) {
  const auto f = font({{3, 10, format12({{0xAC00, 0xAC02, 100}, {0x1F600, 0x1F601, 200}, {0x20, 0x21, 0}})}});
  const auto c = FontCoverage::parse(f);
  EXPECT_TRUE(c.has(0xAC00));
  EXPECT_TRUE(c.has(0xAC02));
  EXPECT_FALSE(c.has(0xAC03));
  EXPECT_FALSE(c.has(0x1F600));  // beyond the BMP: ImGui's 16-bit characters cannot draw it
  EXPECT_FALSE(c.has(0x20));     // mapped to the missing glyph
  EXPECT_TRUE(c.has(0x21));
  EXPECT_EQ(c.count(), 4u);
}

TEST(FontCoverage, NonUnicodeMapsAreIgnored) {
  const auto f = font({{1, 0, format4({{0x41, 0x5A, 1, {}}})}});  // a Macintosh Roman map
  EXPECT_TRUE(FontCoverage::parse(f).empty());
}

TEST(FontCoverage, TruncatedAndHostileDataCoverNothingAndDoNotCrash) {
  const auto f = font({{3, 1, format4({{0x4E00, 0x4E10, 0, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}},
                                       {0xFFFF, 0xFFFF, 1, {}}})}});
  for (std::size_t n = 0; n < f.size(); ++n) {
    const auto c = FontCoverage::parse(std::span<const std::uint8_t>(f.data(), n));
    EXPECT_LE(c.count(), 17u);
  }
  std::vector<std::uint8_t> junk(4096);
  std::uint32_t x = 12345;
  for (auto& b : junk) {
    x = x * 1103515245u + 12345u;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  junk[4] = 0xFF;  // many tables
  junk[5] = 0xFF;
  FontCoverage::parse(junk);
  EXPECT_TRUE(FontCoverage::parse({}).empty());
}

// The app's set-up: ASCII and Latin-1 in the atlas, a primary font with Latin and a few symbols.
GlyphNeeds needs() {
  GlyphNeeds n;
  n.set_base({{0x20, 0xFF}, {0x0400, 0x04FF}});
  n.set_primary(FontCoverage::parse(font({{3, 1, format4({{0x20, 0x24F, 0, {}}, {0x2200, 0x22FF, 0, {}}, {0xFFFF, 0xFFFF, 1, {}}})}})));
  return n;
}

FontCoverage cjk_fallback() {
  return FontCoverage::parse(font({{3, 10, format12({{0x3040, 0x30FF, 1}, {0x4E00, 0x9FA5, 200}, {0xAC00, 0xD7A3, 30000}})}}));
}

TEST(GlyphNeeds, TextInTheBaseRangesNeedsNothing) {
  auto n = needs();
  n.scan("plain ASCII, caf\xC3\xA9, \xD0\x9C\xD0\xB8\xD1\x80");  // café, Мир
  EXPECT_FALSE(n.dirty());
  EXPECT_FALSE(n.wants_fallback());
  EXPECT_TRUE(n.extra().empty());
}

TEST(GlyphNeeds, WhatThePrimaryFontHasIsAddedWithoutTheFallback) {
  auto n = needs();
  n.scan("\xE2\x88\x91 x \xC4\x81");  // ∑ U+2211, ā U+0101
  EXPECT_TRUE(n.dirty());
  EXPECT_FALSE(n.wants_fallback());
  EXPECT_EQ(n.extra(), (std::vector<char32_t>{0x101, 0x2211}));
  n.mark_built();
  n.scan("\xE2\x88\x91 again");
  EXPECT_FALSE(n.dirty());  // seen once is enough
}

TEST(GlyphNeeds, CjkWaitsForTheFallbackThenIsAdded) {
  auto n = needs();
  n.scan(R"({"name":"会议室-电脑","group":"서버"})");
  EXPECT_TRUE(n.wants_fallback());
  EXPECT_FALSE(n.dirty());
  EXPECT_EQ(n.waiting(), 7u);  // 会 议 室 电 脑 서 버
  n.set_fallback(cjk_fallback());
  EXPECT_FALSE(n.wants_fallback());
  EXPECT_TRUE(n.dirty());
  EXPECT_EQ(n.extra(), (std::vector<char32_t>{0x4F1A, 0x5BA4, 0x7535, 0x8111, 0x8BAE, 0xBC84, 0xC11C}));
  n.mark_built();
  // Later text: the fallback is known, so what it has is added at once; what no font has is not.
  n.scan("\xE3\x81\x82 \xE0\xB8\x81");  // あ U+3042, Thai ก U+0E01 (in neither font)
  EXPECT_FALSE(n.wants_fallback());
  EXPECT_EQ(n.extra().size(), 8u);
  EXPECT_TRUE(n.dirty());
}

TEST(GlyphNeeds, AFallbackThatCouldNotLoadDropsTheWaitingCharacters) {
  auto n = needs();
  n.scan("\xE4\xBC\x9A");
  ASSERT_TRUE(n.wants_fallback());
  n.set_fallback({});
  EXPECT_FALSE(n.wants_fallback());
  EXPECT_FALSE(n.dirty());
  EXPECT_EQ(n.waiting(), 0u);
  n.scan("\xE8\xAE\xAE");
  EXPECT_FALSE(n.wants_fallback());  // asked once only
}

TEST(GlyphNeeds, JsonEscapesAreReadToo) {
  auto n = needs();
  n.scan(R"({"name":"\u4f1a\u8BAE","x":"\\u00e9 \u12"})");
  EXPECT_EQ(n.waiting(), 2u);
  n.set_fallback(cjk_fallback());
  EXPECT_EQ(n.extra(), (std::vector<char32_t>{0x4F1A, 0x8BAE}));
}

TEST(GlyphNeeds, BrokenUtf8AndCharactersBeyondTheBmpAreSkipped) {
  auto n = needs();
  n.scan(std::string("\xE4\xBC", 2));                      // cut short
  n.scan("\xE4\x41\x9A \xC0 \xFF \xF0\x9F\x98\x80 \xED\xA0\x80");  // bad continuation, lone bytes, an emoji, a surrogate
  EXPECT_EQ(n.waiting(), 0u);
  EXPECT_FALSE(n.dirty());
  n.note(0x1F600);
  EXPECT_EQ(n.waiting(), 0u);
}

TEST(GlyphNeeds, TheCapKeepsTheAtlasBounded) {
  auto n = needs();
  n.set_fallback(cjk_fallback());
  for (char32_t cp = 0x4E00; cp < 0x4E00 + GlyphNeeds::kMaxExtra + 500; ++cp) n.note(cp);
  EXPECT_EQ(n.extra().size(), GlyphNeeds::kMaxExtra);
  EXPECT_TRUE(n.capped());
  EXPECT_EQ(n.extra().back(), 0x4E00 + GlyphNeeds::kMaxExtra - 1);
}

TEST(GlyphNeeds, ConsecutiveCharactersBecomeRanges) {
  EXPECT_EQ(GlyphNeeds::as_ranges({0x4E00, 0x4E01, 0x4E02, 0x4E10, 0xAC00}),
            (std::vector<GlyphNeeds::Range>{{0x4E00, 0x4E02}, {0x4E10, 0x4E10}, {0xAC00, 0xAC00}}));
  EXPECT_TRUE(GlyphNeeds::as_ranges({}).empty());
}

}  // namespace
}  // namespace mw::web
