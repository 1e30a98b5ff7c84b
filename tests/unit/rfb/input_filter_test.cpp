// The input filter of a viewer's RFB messages: the handshake and the messages a viewer needs to
// watch pass unchanged; view only drops all input, limited input all but the pointer and a few
// keys (long cut texts without being kept), whatever arrives in
// pieces frames the same, and what cannot be framed ends the session.
#include "mw/rfb/input_filter.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mw::rfb {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Bytes kVersion38 = bytes("RFB 003.008\n");
const Bytes kSetPixelFormat = {0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0};
const Bytes kSetEncodings = {2, 0, 0, 3, 0, 0, 0, 16, 0, 0, 0, 5, 0xFF, 0xFF, 0xFF, 0x11};
const Bytes kUpdateRequest = {3, 1, 0, 0, 0, 0, 2, 128, 1, 224};
const Bytes kKey = {4, 1, 0, 0, 0, 0, 0, 0x61};
const Bytes kPointer = {5, 1, 0, 10, 0, 20};
Bytes cut_text(std::size_t len) {
  Bytes b = {6, 0, 0, 0, static_cast<std::uint8_t>(len >> 24), static_cast<std::uint8_t>(len >> 16),
             static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len)};
  b.resize(8 + len, 'x');
  return b;
}

TEST(RfbViewOnly, PassesWhatWatchingNeedsAndDropsInput) {
  const Bytes in = cat({kVersion38, {1}, {1}, kSetPixelFormat, kSetEncodings, kUpdateRequest, kKey, kPointer, cut_text(5),
                        kUpdateRequest, kPointer});
  const Bytes want = cat({kVersion38, {1}, {1}, kSetPixelFormat, kSetEncodings, kUpdateRequest, kUpdateRequest});
  InputFilter whole;
  Bytes out;
  ASSERT_TRUE(whole.feed(in, out).ok());
  EXPECT_EQ(out, want);
  EXPECT_EQ(whole.dropped().keys, 1u);
  EXPECT_EQ(whole.dropped().pointer, 2u);
  EXPECT_EQ(whole.dropped().cut_texts, 1u);
  // The same bytes one at a time give the same result.
  InputFilter pieces;
  Bytes out2;
  for (const std::uint8_t b : in) ASSERT_TRUE(pieces.feed(std::span<const std::uint8_t>(&b, 1), out2).ok());
  EXPECT_EQ(out2, want);
}

TEST(RfbViewOnly, ExtendedClipboardMessagesAreFramedByTheirAbsoluteLength) {
  // SetEncodings with Raw and the Extended Clipboard: a ClientCutText of length -8 (caps: text,
  // 1 MiB) is 8 bytes, not 4 GiB, and the request after it passes.
  const Bytes encodings = {2, 0, 0, 2, 0, 0, 0, 0, 0xC0, 0xA1, 0xE5, 0xCE};
  const Bytes caps = {6, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xF8, 0x1F, 0, 0, 1, 0, 0x10, 0, 0};
  const Bytes in = cat({kVersion38, {1}, {1}, encodings, caps, kUpdateRequest});
  InputFilter f;
  Bytes out;
  ASSERT_TRUE(f.feed(in, out).ok());
  EXPECT_EQ(out, cat({kVersion38, {1}, {1}, encodings, kUpdateRequest}));
  EXPECT_EQ(f.dropped().cut_texts, 1u);
}

TEST(RfbViewOnly, VncAuthenticationResponsePasses) {
  InputFilter f;
  Bytes out;
  const Bytes response(16, 0xAB);
  const Bytes in = cat({kVersion38, {2}, response, {0}, kUpdateRequest, kKey});
  ASSERT_TRUE(f.feed(in, out).ok());
  EXPECT_EQ(out, cat({kVersion38, {2}, response, {0}, kUpdateRequest}));
}

TEST(RfbViewOnly, Rfb33WaitsForTheServersSecurityType) {
  InputFilter f;
  Bytes out;
  const Bytes v33 = bytes("RFB 003.003\n");
  ASSERT_TRUE(f.feed(cat({v33, {1}, kUpdateRequest}), out).ok());
  EXPECT_EQ(out, v33);  // ClientInit and the request wait: no answer from the server yet
  f.server_bytes(cat({v33, {0, 0, 0}}));
  ASSERT_TRUE(f.feed({}, out).ok());
  EXPECT_EQ(out, v33);
  f.server_bytes(Bytes{1, 0x52, 0x46});  // type None, then ServerInit bytes the filter ignores
  ASSERT_TRUE(f.feed(kPointer, out).ok());
  EXPECT_EQ(out, cat({v33, {1}, kUpdateRequest}));
  EXPECT_EQ(f.dropped().pointer, 1u);
}

TEST(RfbViewOnly, LongCutTextIsSkippedWithoutBeingKept) {
  InputFilter f;
  Bytes out;
  ASSERT_TRUE(f.feed(cat({kVersion38, {1}, {1}}), out).ok());
  const Bytes text = cut_text(1 << 20);
  // In 4 KiB pieces, the last one followed by a request.
  for (std::size_t at = 0; at < text.size(); at += 4096) {
    Bytes piece(text.begin() + static_cast<std::ptrdiff_t>(at), text.begin() + static_cast<std::ptrdiff_t>(std::min(text.size(), at + 4096)));
    if (at + 4096 >= text.size()) piece.insert(piece.end(), kUpdateRequest.begin(), kUpdateRequest.end());
    ASSERT_TRUE(f.feed(piece, out).ok());
  }
  EXPECT_EQ(out, cat({kVersion38, {1}, {1}, kUpdateRequest}));
  EXPECT_EQ(f.dropped().cut_texts, 1u);
}

TEST(RfbViewOnly, WhatCannotBeFramedEndsTheSession) {
  const auto fails = [](const Bytes& in) {
    InputFilter f;
    Bytes out;
    const bool failed = !f.feed(in, out).ok();
    return failed && !f.feed(kUpdateRequest, out).ok();  // and stays failed
  };
  EXPECT_TRUE(fails(bytes("HTTP/1.1 200 OK\r\n")));
  EXPECT_TRUE(fails(cat({kVersion38, {16}})));                   // Tight security: a sub-handshake it cannot follow
  EXPECT_TRUE(fails(cat({kVersion38, {1}, {1}, {150, 0, 0, 0}})));  // an unknown message type
  EXPECT_TRUE(fails(cat({kVersion38, {1}, {1}, {2, 0, 0x07, 0xD0}})));  // SetEncodings with 2,000 encodings
  InputFilter waiting;  // RFB 3.3 and a viewer that never stops while the server is silent
  Bytes out;
  ASSERT_TRUE(waiting.feed(bytes("RFB 003.003\n"), out).ok());
  EXPECT_FALSE(waiting.feed(Bytes(InputFilter::kMaxPending + 1, 3), out).ok());
}

Bytes key(bool down, std::uint32_t keysym) {
  return {4, static_cast<std::uint8_t>(down), 0, 0, static_cast<std::uint8_t>(keysym >> 24), static_cast<std::uint8_t>(keysym >> 16),
          static_cast<std::uint8_t>(keysym >> 8), static_cast<std::uint8_t>(keysym)};
}

TEST(RfbLimitedInput, TheKeysMeshCentralAllows) {
  for (std::uint32_t k : {0x30u, 0x39u, 0x61u, 0x7Au, 0x41u, 0x5Au, 0xFF0Du, 0xFF8Du, 0xFF08u}) {
    EXPECT_TRUE(limited_input_key(k)) << std::hex << k;
  }
  // Modifiers, function and editing keys, Escape, Tab, space, punctuation, Delete (Ctrl-Alt-Del),
  // keypad digits, a letter beyond ASCII.
  for (std::uint32_t k : {0xFFE1u, 0xFFE3u, 0xFFE9u, 0xFFEBu, 0xFFBEu, 0xFF1Bu, 0xFF09u, 0x20u, 0x2Fu, 0x3Au, 0x40u, 0x5Bu,
                          0x60u, 0x7Bu, 0xFFFFu, 0xFFB1u, 0xE9u, 0x1000061u}) {
    EXPECT_FALSE(limited_input_key(k)) << std::hex << k;
  }
}

TEST(RfbLimitedInput, PointerAndAllowedKeysPassTheRestIsDropped) {
  const Bytes ctrl_down = key(true, 0xFFE3), ctrl_up = key(false, 0xFFE3);
  const Bytes c_down = key(true, 'c'), c_up = key(false, 'c'), f1 = key(true, 0xFFBE), enter = key(true, 0xFF0D);
  const Bytes in = cat({kVersion38, {1}, {1}, kSetEncodings, ctrl_down, c_down, c_up, ctrl_up, f1, enter, kPointer, cut_text(5),
                        kUpdateRequest});
  const Bytes want = cat({kVersion38, {1}, {1}, kSetEncodings, c_down, c_up, enter, kPointer, kUpdateRequest});
  InputFilter whole(InputFilter::Mode::kLimitedInput);
  Bytes out;
  ASSERT_TRUE(whole.feed(in, out).ok());
  EXPECT_EQ(out, want);
  EXPECT_EQ(whole.dropped().keys, 3u);
  EXPECT_EQ(whole.dropped().pointer, 0u);
  EXPECT_EQ(whole.dropped().cut_texts, 1u);
  InputFilter pieces(InputFilter::Mode::kLimitedInput);
  Bytes out2;
  for (const std::uint8_t b : in) ASSERT_TRUE(pieces.feed(std::span<const std::uint8_t>(&b, 1), out2).ok());
  EXPECT_EQ(out2, want);
}

}  // namespace
}  // namespace mw::rfb
