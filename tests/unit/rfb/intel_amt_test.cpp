// Intel AMT KVM modes and the cut-text extensions (fact sheet §6).
#include <gtest/gtest.h>

#include "mw/rfb/intel_amt.hpp"
#include "../test_bytes.hpp"

namespace mw::rfb::amt {
namespace {

using mw::test::hex;

TEST(RfbIntelAmt, ModesGiveMeshCommandersFormatsAndEncodings) {
  const ClientConfig zrle16 = client_config(flag::kRle | flag::k16Bit);  // "ZRLE16" (11 without zlib bit)
  EXPECT_FALSE(zrle16.pixel_format.has_value());                        // AMT's own RGB565
  EXPECT_EQ(zrle16.encodings, (std::vector<std::int32_t>{encoding::kZrle, encoding::kRaw, encoding::kDesktopSize}));
  const ClientConfig rle8 = client_config(flag::kRle);
  ASSERT_TRUE(rle8.pixel_format.has_value());
  EXPECT_EQ(*rle8.pixel_format, PixelFormat::rgb332());
  EXPECT_EQ(*client_config(flag::kRle | flag::kGray | flag::k4Bit).pixel_format, PixelFormat::gray4());
  EXPECT_EQ(*client_config(flag::kRle | flag::kGray).pixel_format, PixelFormat::gray8());
  EXPECT_EQ(client_config(0).encodings, (std::vector<std::int32_t>{encoding::kRaw, encoding::kDesktopSize}));
}

TEST(RfbIntelAmt, ExtCmdAndDataChannelBytes) {
  const std::string z = kvm_ext_cmd(ext_cmd::kSetZlib, 1);
  EXPECT_EQ(std::vector<std::uint8_t>(z.begin(), z.end()), hex("00 4B766D457874436D6400 04 01"));
  const std::string ka = kvm_data_channel();
  EXPECT_EQ(ka.size(), 16u);
  EXPECT_EQ(client_cut_text(z), hex("06 000000 0000000D 00 4B766D457874436D6400 04 01"));
}

TEST(RfbIntelAmt, ParseCutText) {
  const auto e = parse_cut_text(kvm_ext_cmd(ext_cmd::kDecimationState, 2) + std::string(1, '\1'));
  ASSERT_TRUE(std::holds_alternative<ExtCmd>(e));
  EXPECT_EQ(std::get<ExtCmd>(e).cmd, ext_cmd::kDecimationState);
  EXPECT_EQ(std::get<ExtCmd>(e).values, (std::vector<std::uint8_t>{2, 1}));
  const auto ack = parse_cut_text(kvm_data_channel());
  ASSERT_TRUE(std::holds_alternative<DataChannel>(ack));
  EXPECT_TRUE(std::get<DataChannel>(ack).acknowledges);
  const auto data = parse_cut_text(kvm_data_channel("hello"));
  EXPECT_FALSE(std::get<DataChannel>(data).acknowledges);
  EXPECT_EQ(std::get<DataChannel>(data).payload, "hello");
  EXPECT_EQ(std::get<Clipboard>(parse_cut_text("plain text")).text, "plain text");
}

}  // namespace
}  // namespace mw::rfb::amt
