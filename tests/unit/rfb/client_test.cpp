// The client's handshakes (RFB 3.3, 3.7, 3.8; None and VNC authentication; refusals) against a
// scripted server, and what it sends once running.
#include <gtest/gtest.h>

#include "mw/rfb/client.hpp"
#include "rfb_stream.hpp"
#include "../test_bytes.hpp"

namespace mw::rfb {
namespace {

using mw::test::bytes;
using mw::test::hex;
using test::Bytes;

Bytes server_init(int w, int h, const PixelFormat& f, std::string_view name) {
  Bytes s;
  test::u16(s, w);
  test::u16(s, h);
  const auto pf = f.encode();
  s.insert(s.end(), pf.begin(), pf.end());
  test::u32(s, static_cast<std::uint32_t>(name.size()));
  s.insert(s.end(), name.begin(), name.end());
  return s;
}

template <typename T>
const T* find(const std::vector<ClientEvent>& events) {
  for (const auto& e : events) {
    if (const auto* v = std::get_if<T>(&e)) return v;
  }
  return nullptr;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(RfbClient, Version38NoneThenServerInitAndFirstRequests) {
  ClientConfig cfg;
  cfg.encodings = {encoding::kZrle, encoding::kRaw};
  Client c(cfg);
  auto o = c.feed(bytes("RFB 003.008\n"));
  EXPECT_EQ(o.send, bytes("RFB 003.008\n"));
  o = c.feed(hex("01 01"));
  EXPECT_EQ(o.send, hex("01"));
  EXPECT_EQ(c.state(), ClientState::kSecurityResult);
  o = c.feed(hex("00000000"));
  EXPECT_EQ(o.send, hex("01"));  // ClientInit, shared
  o = c.feed(server_init(800, 600, PixelFormat::rgb565(), "desk"));
  ASSERT_TRUE(c.running());
  const auto* conn = find<Connected>(o.events);
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(conn->name, "desk");
  EXPECT_EQ(conn->version_minor, 8);
  EXPECT_EQ(conn->server_format, PixelFormat::rgb565());
  EXPECT_EQ(o.send, cat({set_pixel_format(PixelFormat::rgb888()), hex("02 00 0002 00000010 00000000"),
                         hex("03 00 0000 0000 0320 0258")}));
  EXPECT_EQ(c.framebuffer().width(), 800);
  // A complete update brings the next, incremental request.
  Bytes upd;
  test::update_header(upd, 0);
  o = c.feed(upd);
  ASSERT_NE(find<UpdateDone>(o.events), nullptr);
  EXPECT_EQ(o.send, hex("03 01 0000 0000 0320 0258"));
}

TEST(RfbClient, EverythingInOneReadAndByteByByteGiveTheSameResult) {
  const Bytes script = cat({bytes("RFB 003.008\n"), hex("02 02 01"), hex("00000000"),
                            server_init(4, 2, PixelFormat::rgb888(), "x"), hex("00 00 0001"),
                            hex("0000 0000 0001 0001 00000000"), hex("30201000"), hex("02")});
  ClientConfig cfg;
  Client whole(cfg);
  const auto o = whole.feed(script);
  EXPECT_TRUE(whole.running());
  EXPECT_NE(find<Bell>(o.events), nullptr);
  EXPECT_EQ(whole.framebuffer().at(0, 0), rgba(0x10, 0x20, 0x30));
  Client bytewise(cfg);
  Bytes sent;
  int bells = 0;
  for (std::uint8_t b : script) {
    auto r = bytewise.feed(Bytes{b});
    sent.insert(sent.end(), r.send.begin(), r.send.end());
    bells += find<Bell>(r.events) != nullptr;
  }
  EXPECT_EQ(sent, o.send);
  EXPECT_EQ(bells, 1);
  EXPECT_EQ(bytewise.framebuffer().pixels().size(), whole.framebuffer().pixels().size());
  EXPECT_EQ(bytewise.framebuffer().at(0, 0), rgba(0x10, 0x20, 0x30));
}

TEST(RfbClient, VncAuthentication38SuccessAndFailureWithReason) {
  ClientConfig cfg;
  cfg.password = "secret";
  Client c(cfg);
  c.feed(bytes("RFB 003.008\n"));
  auto o = c.feed(hex("02 01 02"));  // None and VNC offered; a password is configured: VNC
  EXPECT_EQ(o.send, hex("02"));
  o = c.feed(hex("000102030405060708090a0b0c0d0e0f"));
  EXPECT_EQ(o.send, hex("ee22539f33a5983ec12f9c2edbc995dd"));
  o = c.feed(cat({hex("00000001 0000000e"), bytes("Wrong password")}));
  const auto* af = find<AuthFailed>(o.events);
  ASSERT_NE(af, nullptr);
  EXPECT_EQ(af->reason, "Wrong password");
  EXPECT_EQ(c.state(), ClientState::kFailed);
}

TEST(RfbClient, Version37NoneHasNoSecurityResult) {
  Client c;
  EXPECT_EQ(c.feed(bytes("RFB 003.007\n")).send, bytes("RFB 003.007\n"));
  EXPECT_EQ(c.feed(hex("01 01")).send, hex("01 01"));  // type 1, then ClientInit at once
  c.feed(server_init(2, 2, PixelFormat::rgb888(), ""));
  EXPECT_TRUE(c.running());
}

TEST(RfbClient, Version33ServerChoosesVncAuth) {
  ClientConfig cfg;
  cfg.password = "secret";
  Client c(cfg);
  EXPECT_EQ(c.feed(bytes("RFB 003.003\n")).send, bytes("RFB 003.003\n"));
  auto o = c.feed(hex("00000002 000102030405060708090a0b0c0d0e0f"));
  EXPECT_EQ(o.send, hex("ee22539f33a5983ec12f9c2edbc995dd"));
  o = c.feed(hex("00000001"));
  ASSERT_NE(find<AuthFailed>(o.events), nullptr);  // 3.3 sends no reason
}

TEST(RfbClient, LaterAndOddVersionsAreMapped) {
  Client apple;
  EXPECT_EQ(apple.feed(bytes("RFB 003.889\n")).send, bytes("RFB 003.008\n"));
  Client ultra;
  EXPECT_EQ(ultra.feed(bytes("RFB 003.005\n")).send, bytes("RFB 003.003\n"));
}

TEST(RfbClient, RefusalsAreTypedErrors) {
  Client not_rfb;
  auto o = not_rfb.feed(bytes("HTTP/1.1 400"));
  ASSERT_NE(find<Failed>(o.events), nullptr);
  EXPECT_EQ(find<Failed>(o.events)->error.code, "bad-version");
  Client v4;
  o = v4.feed(bytes("RFB 004.001\n"));
  EXPECT_EQ(find<Failed>(o.events)->error.code, "unsupported-version");
  Client zero;
  zero.feed(bytes("RFB 003.008\n"));
  o = zero.feed(cat({hex("00 00000007"), bytes("go away")}));
  ASSERT_NE(find<Failed>(o.events), nullptr);
  EXPECT_EQ(find<Failed>(o.events)->error.code, "refused");
  EXPECT_NE(find<Failed>(o.events)->error.message.find("go away"), std::string::npos);
  Client tls_only;
  tls_only.feed(bytes("RFB 003.008\n"));
  o = tls_only.feed(hex("02 12 13"));
  EXPECT_EQ(find<Failed>(o.events)->error.code, "no-supported-security");
  Client truncated;
  truncated.feed(bytes("RFB 003.008\n"));
  o = truncated.end_of_stream();
  EXPECT_EQ(find<Failed>(o.events)->error.code, "truncated");
  Client big_name;
  big_name.feed(cat({bytes("RFB 003.008\n"), hex("01 01 00000000")}));
  Bytes init = server_init(2, 2, PixelFormat::rgb888(), "");
  init[20] = 0x7F;  // name length 2 GiB
  o = big_name.feed(init);
  EXPECT_EQ(find<Failed>(o.events)->error.code, "too-large");
}

TEST(RfbClient, InputMessagesOnlyWhenRunningAndClamped) {
  Client c;
  EXPECT_TRUE(c.key(0xFF0D, true).send.empty());
  c.feed(cat({bytes("RFB 003.008\n"), hex("01 01 00000000"), server_init(100, 50, PixelFormat::rgb888(), "")}));
  ASSERT_TRUE(c.running());
  EXPECT_EQ(c.pointer(500, -3, button::kLeft).send, hex("05 01 0063 0000"));
  EXPECT_EQ(c.key(0xFF0D, true).send, hex("04 01 0000 0000FF0D"));
  EXPECT_EQ(c.ctrl_alt_del().send, cat({key_event(0xFFE3, true), key_event(0xFFE9, true), key_event(0xFFFF, true),
                                        key_event(0xFFFF, false), key_event(0xFFE9, false), key_event(0xFFE3, false)}));
  EXPECT_EQ(c.cut_text("abc").send, client_cut_text("abc"));
  EXPECT_EQ(c.set_pixel_format(PixelFormat::rgb565()).send, set_pixel_format(PixelFormat::rgb565()));
  EXPECT_EQ(c.decoder()->pixel_format(), PixelFormat::rgb565());
}

TEST(RfbClient, IntelAmtPresetKeepsTheServerFormat) {
  Client c(ClientConfig::intel_amt());
  const auto o = c.feed(cat({bytes("RFB 003.008\n"), hex("01 01 00000000"), server_init(640, 480, PixelFormat::rgb565(), "")}));
  // No SetPixelFormat; ZRLE, Raw, DesktopSize; a full request.
  EXPECT_EQ(o.send, cat({bytes("RFB 003.008\n"), hex("01"), hex("01"), hex("02 00 0003 00000010 00000000 FFFFFF21"),
                         hex("03 00 0000 0000 0280 01E0")}));
  EXPECT_EQ(c.decoder()->pixel_format(), PixelFormat::rgb565());
}

TEST(RfbClient, DesktopSizeAsksForAFullPicture) {
  Client c;
  c.feed(cat({bytes("RFB 003.008\n"), hex("01 01 00000000"), server_init(10, 10, PixelFormat::rgb888(), "")}));
  Bytes upd;
  test::update_header(upd, 1);
  test::rect_header(upd, {0, 0, 20, 30}, encoding::kDesktopSize);
  const auto o = c.feed(upd);
  EXPECT_EQ(o.send, cat({hex("03 00 0000 0000 0014 001E"), hex("03 01 0000 0000 0014 001E")}));
  EXPECT_EQ(c.framebuffer().height(), 30);
}

}  // namespace
}  // namespace mw::rfb
