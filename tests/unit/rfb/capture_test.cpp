// Recorded Xvnc sessions (tests/data/rfb, written by the Xvnc peer tests with MW_RFB_WRITE_DATA)
// decoded natively and in wasm: every capture must give the framebuffer the peer test saw live
// (its SHA-256 in manifest.json, lossless encodings), whole and in random chunks; lossless 32 bpp captures must equal
// the screenshot exactly, JPEG ones come within 30 dB PSNR of it. Also the capture file format.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>

#include "mw/rfb/capture.hpp"
#include "mw/rfb/decoder.hpp"
#include "mw/util/hex.hpp"
#include "mw/util/sha256.hpp"
#include "rfb_stream.hpp"

namespace mw::rfb {
namespace {

const std::string kDir = std::string(MW_TEST_DATA) + "/rfb/";

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::uint8_t> rgb_of(const Framebuffer& fb) {
  std::vector<std::uint8_t> rgb;
  rgb.reserve(fb.pixels().size() * 3);
  for (Rgba p : fb.pixels()) rgb.insert(rgb.end(), {red_of(p), green_of(p), blue_of(p)});
  return rgb;
}

std::string sha256_hex(const std::vector<std::uint8_t>& data) {
  const auto d = util::sha256(data);
  return util::hex_encode(std::span<const std::uint8_t>(d.data(), d.size()));
}

TEST(RfbCaptures, DecodeToWhatThePeerTestSawLive) {
  const auto manifest = nlohmann::json::parse(read_file(kDir + "manifest.json"), nullptr, false);
  ASSERT_TRUE(manifest.is_object()) << "tests/data/rfb/manifest.json";
  auto screen_gz = read_file(kDir + "screen.rgb.gz");
  auto screen = gunzip(screen_gz, 64u << 20);
  ASSERT_TRUE(screen.ok());
  const auto& captures = manifest.at("captures");
  ASSERT_GE(captures.size(), 10u);
  for (const auto& entry : captures) {
    const std::string file = entry.at("file").get<std::string>();
    SCOPED_TRACE(file);
    auto capture = parse_capture(read_file(kDir + file));
    ASSERT_TRUE(capture.ok()) << capture.error().message;
    const Capture& c = capture.value();
    for (int mode = 0; mode < 2; ++mode) {
      Decoder d(c.width, c.height, c.format);
      std::vector<Event> events;
      std::mt19937 rng(static_cast<std::uint32_t>(file.size()));
      for (std::size_t i = 0; i < c.bytes.size();) {
        const std::size_t n = mode == 0 ? c.bytes.size() : std::min<std::size_t>(1 + rng() % 3000, c.bytes.size() - i);
        d.feed({c.bytes.data() + i, n}, events);
        i += n;
      }
      ASSERT_FALSE(d.failed());
      ASSERT_GE(d.updates(), 1u);
      const auto rgb = rgb_of(d.framebuffer());
      // JPEG output may differ by a few levels between libjpeg-turbo builds (native Debian vs the
      // wasm build of the same source with other SIMD paths): lossless captures only are exact.
      const bool lossless = entry.at("lossless").get<bool>();
      if (lossless) {
        EXPECT_EQ(sha256_hex(rgb), entry.at("sha256").get<std::string>());
      }
      if (mode == 1) continue;
      ASSERT_EQ(rgb.size(), screen.value().size());
      if (lossless && c.format.bits_per_pixel == 32) {
        EXPECT_EQ(rgb, screen.value());
      } else {
        test::Image a, b;
        for (std::size_t i = 0; i + 2 < rgb.size(); i += 3) {
          a.push_back(rgba(rgb[i], rgb[i + 1], rgb[i + 2]));
          b.push_back(rgba(screen.value()[i], screen.value()[i + 1], screen.value()[i + 2]));
        }
        EXPECT_GE(test::psnr(a, b), c.format.bits_per_pixel == 8 ? 20.0 : 30.0);
      }
    }
  }
}

TEST(RfbCaptureFormat, HeaderRoundTripPlainAndGzip) {
  Capture c;
  c.width = 320;
  c.height = 240;
  c.format = PixelFormat::rgb565();
  c.encodings = {16, 0, -223};
  c.name = "x";
  c.bytes = {0, 0, 0, 0, 2};
  const std::string h = capture_header(c);
  std::vector<std::uint8_t> file(h.begin(), h.end());
  file.insert(file.end(), c.bytes.begin(), c.bytes.end());
  for (const auto& f : {file, gzip(file)}) {
    auto back = parse_capture(f);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->width, 320);
    EXPECT_EQ(back->format, PixelFormat::rgb565());
    EXPECT_EQ(back->encodings, c.encodings);
    EXPECT_EQ(back->bytes, c.bytes);
  }
}

TEST(RfbCaptureFormat, BadFilesAreRefused) {
  const auto bytes = [](std::string_view s) { return std::vector<std::uint8_t>(s.begin(), s.end()); };
  EXPECT_EQ(parse_capture(bytes("no header")).error().code, "bad-capture");
  EXPECT_EQ(parse_capture(bytes("{\"format\":\"other\"}\n")).error().code, "bad-capture");
  EXPECT_EQ(parse_capture(bytes("{\"format\":\"meshwork-rfb-capture\",\"version\":1}\n")).error().code, "bad-capture");
  auto gz = gzip(std::vector<std::uint8_t>(1 << 20, 'a'));
  EXPECT_EQ(parse_capture(gz, 1000).error().code, "too-large");
  gz.resize(gz.size() / 2);
  EXPECT_EQ(parse_capture(gz).error().code, "bad-gzip");
}

}  // namespace
}  // namespace mw::rfb
