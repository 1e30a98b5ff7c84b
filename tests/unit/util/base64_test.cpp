// Base64 against RFC 4648 section 10 vectors, both alphabets, and hostile input.
#include <gtest/gtest.h>

#include "mw/util/base64.hpp"
#include "mw/util/bytes.hpp"
#include "mw/util/hex.hpp"

namespace {

using mw::util::base64_decode;
using mw::util::base64_encode;

std::string decode_str(std::string_view s) {
  auto r = base64_decode(s);
  EXPECT_TRUE(r.ok()) << s;
  if (!r.ok()) return "<error>";
  return std::string(r->begin(), r->end());
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(std::string_view(plain)), encoded);
    EXPECT_EQ(decode_str(encoded), plain);
  }
}

TEST(Base64, UrlSafeHasNoPaddingAndOwnAlphabet) {
  const std::uint8_t bytes[] = {0xfb, 0xff, 0xfe};
  EXPECT_EQ(base64_encode(bytes, mw::util::Base64Alphabet::kStandard), "+//+");
  EXPECT_EQ(base64_encode(bytes, mw::util::Base64Alphabet::kUrlSafe), "-__-");
  EXPECT_EQ(base64_encode(std::string_view("f"), mw::util::Base64Alphabet::kUrlSafe), "Zg");
  auto r = base64_decode("-__-");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::vector<std::uint8_t>(std::begin(bytes), std::end(bytes)), r.value());
}

TEST(Base64, MeshCentralAlphabetIsPaddedWithAtAndDollar) {
  const std::uint8_t bytes[] = {0xfb, 0xff, 0xfe};
  EXPECT_EQ(base64_encode(bytes, mw::util::Base64Alphabet::kMeshCentral), "@$$@");
  EXPECT_EQ(base64_encode(std::string_view("f"), mw::util::Base64Alphabet::kMeshCentral), "Zg==");
  EXPECT_FALSE(base64_decode("@$$@").ok());  // ids are names, not decoded: no wider decoder
}

TEST(Base64, RejectsBadInput) {
  EXPECT_FALSE(base64_decode("Zm9v!").ok());
  EXPECT_FALSE(base64_decode("Z").ok());
  EXPECT_FALSE(base64_decode("Zg=").ok());
  EXPECT_FALSE(base64_decode("Zm=9").ok());
  EXPECT_EQ(base64_decode("a b").error().code, "bad-base64");
}

TEST(Hex, RoundTripAndErrors) {
  const std::uint8_t bytes[] = {0x00, 0x7f, 0x80, 0xff};
  EXPECT_EQ(mw::util::hex_encode(bytes), "007f80ff");
  auto r = mw::util::hex_decode("007F80ff");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), std::vector<std::uint8_t>(std::begin(bytes), std::end(bytes)));
  EXPECT_FALSE(mw::util::hex_decode("abc").ok());
  EXPECT_FALSE(mw::util::hex_decode("zz").ok());
}

TEST(Bytes, ReaderStopsAtEnd) {
  const std::uint8_t data[] = {0x01, 0x02, 0x03, 0x04, 0x05};
  mw::util::ByteReader r(data);
  std::uint32_t v = 0;
  ASSERT_TRUE(r.u32(v));
  EXPECT_EQ(v, 0x01020304u);
  std::uint16_t w = 0;
  EXPECT_FALSE(r.u16(w));
  EXPECT_EQ(r.remaining(), 1u);
  std::uint8_t b = 0;
  EXPECT_TRUE(r.u8(b));
  EXPECT_EQ(b, 5);
  EXPECT_FALSE(r.u8(b));
  std::span<const std::uint8_t> s;
  EXPECT_FALSE(r.bytes(1, s));
}

TEST(Bytes, WriterBigAndLittleEndian) {
  mw::util::ByteWriter w;
  w.u16(0x0102).u32(0x03040506).u16le(0x0708).u32le(0x090a0b0c).u64(0x1112131415161718ull);
  EXPECT_EQ(mw::util::hex_encode(w.data()), "01020304050608070c0b0a091112131415161718");
  mw::util::ByteReader r(w.data());
  std::uint16_t a = 0, c = 0;
  std::uint32_t b = 0, d = 0;
  std::uint64_t e = 0;
  ASSERT_TRUE(r.u16(a) && r.u32(b) && r.u16le(c) && r.u32le(d) && r.u64(e));
  EXPECT_EQ(a, 0x0102);
  EXPECT_EQ(b, 0x03040506u);
  EXPECT_EQ(c, 0x0708);
  EXPECT_EQ(d, 0x090a0b0cu);
  EXPECT_EQ(e, 0x1112131415161718ull);
  EXPECT_TRUE(r.empty());
}

}  // namespace
