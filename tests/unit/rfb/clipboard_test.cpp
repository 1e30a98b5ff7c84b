// Clipboard text in RFB (mw/rfb/clipboard.hpp): the classic Latin-1 conversions, the Extended
// Clipboard messages byte for byte (libvncserver's caps as it sends them), hostile payloads, and the
// client's part of the exchange.
#include <gtest/gtest.h>
#include <zlib.h>

#include "mw/rfb/client.hpp"
#include "mw/rfb/clipboard.hpp"
#include "rfb_stream.hpp"
#include "../test_bytes.hpp"

namespace mw::rfb {
namespace {

using mw::test::bytes;
using mw::test::hex;
using test::Bytes;
namespace cf = clipboard::flag;

// The payload of a whole extended message (after type, padding and the negative length), with the
// length checked against the message's size.
Bytes payload_of(const Bytes& message) {
  EXPECT_GE(message.size(), 12u);
  if (message.size() < 12) return {};
  const std::uint32_t len = static_cast<std::uint32_t>(message[4]) << 24 | static_cast<std::uint32_t>(message[5]) << 16 |
                            static_cast<std::uint32_t>(message[6]) << 8 | message[7];
  EXPECT_EQ(len & 0x80000000u, 0x80000000u) << "an extended message has a negative length";
  EXPECT_EQ(~len + 1, message.size() - 8);
  return Bytes(message.begin() + 8, message.end());
}

// A provide as libvncserver writes it: compress() (a finished zlib stream) of size + text + NUL.
Bytes finished_provide(std::string_view wire_text) {
  Bytes plain;
  test::u32(plain, static_cast<std::uint32_t>(wire_text.size() + 1));
  plain.insert(plain.end(), wire_text.begin(), wire_text.end());
  plain.push_back(0);
  uLongf size = compressBound(static_cast<uLong>(plain.size()));
  Bytes packed(size);
  EXPECT_EQ(compress(packed.data(), &size, plain.data(), static_cast<uLong>(plain.size())), Z_OK);
  packed.resize(size);
  Bytes payload;
  test::u32(payload, cf::kProvide | cf::kText);
  payload.insert(payload.end(), packed.begin(), packed.end());
  return payload;
}

Bytes server_message(const Bytes& payload) {
  Bytes m = {3, 0, 0, 0};
  test::u32(m, ~static_cast<std::uint32_t>(payload.size()) + 1);
  m.insert(m.end(), payload.begin(), payload.end());
  return m;
}

TEST(RfbClipboard, Latin1ConversionsBothWays) {
  EXPECT_EQ(clipboard::from_latin1("caf\xE9 \xFF"), "caf\xC3\xA9 \xC3\xBF");
  EXPECT_EQ(clipboard::to_latin1("caf\xC3\xA9 \xC3\xBF"), "caf\xE9 \xFF");
  // Beyond Latin-1 (the euro sign, 日本, an emoji): one '?' per character.
  EXPECT_EQ(clipboard::to_latin1("\xE2\x82\xAC \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80"), "? ?? ?");
  // Malformed UTF-8: one '?' per bad byte, nothing read past the end.
  EXPECT_EQ(clipboard::to_latin1("a\xC3"), "a?");
  EXPECT_EQ(clipboard::to_latin1("\x80\xFF" "b"), "??b");
  EXPECT_EQ(clipboard::to_latin1("\xE6\x97"), "??");
  // Line ends: LF on the classic wire.
  EXPECT_EQ(clipboard::to_latin1("a\r\nb"), "a\nb");
  EXPECT_EQ(clipboard::from_latin1("a\r\nb"), "a\nb");
}

TEST(RfbClipboard, LineEndsAndTruncation) {
  EXPECT_EQ(clipboard::to_crlf("a\nb\r\nc\n"), "a\r\nb\r\nc\r\n");
  EXPECT_EQ(clipboard::to_lf("a\r\nb\rc\r\n"), "a\nb\rc\n");
  EXPECT_EQ(clipboard::truncate_utf8("ab\xE6\x97\xA5", 4), "ab");  // never half a character
  EXPECT_EQ(clipboard::truncate_utf8("ab\xE6\x97\xA5", 5), "ab\xE6\x97\xA5");
  EXPECT_EQ(clipboard::truncate_utf8("abc", 0), "");
  // The extended form adds a CR per lone LF and the NUL.
  EXPECT_EQ(clipboard::fit_extended("ab\ncd", 6), "ab\nc");     // a b CR LF c NUL
  EXPECT_EQ(clipboard::fit_extended("ab\ncd", 4), "ab");         // the CR LF would not fit
  EXPECT_EQ(clipboard::fit_extended("a\xC3\xBC", 3), "a");      // nor would half of the ü
  EXPECT_EQ(clipboard::fit_extended("a\xC3\xBC", 4), "a\xC3\xBC");
  EXPECT_EQ(clipboard::fit_extended("abc", 0), "");
}

TEST(RfbClipboard, ProvideRoundTripsAndReadsLibvncserversFinishedStreams) {
  const std::string text = "gr\xC3\xBC\xC3\x9F" "e\n\xE6\x97\xA5\xE6\x9C\xAC\n";
  const Bytes message = clipboard::provide_text(clipboard::kClientCutText, text);
  EXPECT_EQ(message[0], 6);
  const Bytes payload = payload_of(message);
  ASSERT_GE(payload.size(), 4u);
  EXPECT_EQ(Bytes(payload.begin(), payload.begin() + 4), hex("10000001"));  // provide, text
  // The stream is flushed, not finished (libvncserver drops a viewer whose stream ends).
  {
    z_stream z{};
    ASSERT_EQ(inflateInit(&z), Z_OK);
    Bytes out(64 + text.size() * 2);
    z.next_in = const_cast<Bytef*>(payload.data() + 4);
    z.avail_in = static_cast<uInt>(payload.size() - 4);
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(inflate(&z, Z_SYNC_FLUSH), Z_OK);
    out.resize(out.size() - z.avail_out);
    inflateEnd(&z);
    // Size (CRLF line ends and the NUL counted), then the text.
    const std::string wire = "gr\xC3\xBC\xC3\x9F" "e\r\n\xE6\x97\xA5\xE6\x9C\xAC\r\n";
    Bytes want;
    test::u32(want, static_cast<std::uint32_t>(wire.size() + 1));
    want.insert(want.end(), wire.begin(), wire.end());
    want.push_back(0);
    EXPECT_EQ(out, want);
  }
  auto m = clipboard::parse(payload, 1 << 20);
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_TRUE(m->text);
  EXPECT_EQ(*m->text, text);

  auto finished = clipboard::parse(finished_provide("one\r\ntwo"), 1 << 20);
  ASSERT_TRUE(finished) << finished.error().message;
  EXPECT_EQ(finished->text.value_or("-"), "one\ntwo");
}

TEST(RfbClipboard, CapsAndActionsByteForByte) {
  // libvncserver's caps: text; request, peek, provide; 1 MiB.
  auto m = clipboard::parse(hex("17000001 00100000"), 1 << 20);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->is(cf::kCaps));
  EXPECT_TRUE(m->is(cf::kProvide));
  EXPECT_FALSE(m->is(cf::kNotify));
  EXPECT_EQ(m->max_text(), 1u << 20);
  // Sizes for several formats, in bit order.
  m = clipboard::parse(hex("01000005 00001000 00002000"), 1 << 20);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->max_sizes, (std::vector<std::uint32_t>{0x1000, 0x2000}));
  EXPECT_EQ(clipboard::caps(clipboard::kClientCutText, cf::kRequest | cf::kNotify, 4096),
            hex("06 000000 FFFFFFF8 0B000001 00001000"));
  EXPECT_EQ(clipboard::action(clipboard::kServerCutText, cf::kNotify | cf::kText), hex("03 000000 FFFFFFFC 08000001"));
}

TEST(RfbClipboard, HostilePayloadsAreErrors) {
  EXPECT_EQ(clipboard::parse(hex("1000"), 1 << 20).error().code, "clipboard-short");
  EXPECT_EQ(clipboard::parse(hex("01000003 00000010"), 1 << 20).error().code, "clipboard-short");  // two formats, one size
  std::string noise(5000, ' ');
  std::uint32_t seed = 7;
  for (char& ch : noise) {
    seed = seed * 1664525u + 1013904223u;
    ch = static_cast<char>('a' + (seed >> 24) % 26);
  }
  const Bytes good = payload_of(clipboard::provide_text(clipboard::kServerCutText, noise));
  // Cut short anywhere before the flush marker (and the last literals): an error each time, never
  // a crash or a partial text.
  for (std::size_t n = 4; n + 12 < good.size(); n += 7) {
    auto m = clipboard::parse(std::span(good.data(), n), 1 << 20);
    EXPECT_FALSE(m) << n;
  }
  Bytes corrupt = good;
  corrupt[4] ^= 0xFF;  // the zlib header
  EXPECT_EQ(clipboard::parse(corrupt, 1 << 20).error().code, "clipboard-zlib");
  // More than the receiver takes: refused before anything is allocated for it.
  EXPECT_EQ(clipboard::parse(good, 4096).error().code, "clipboard-too-large");
  Bytes huge;
  test::u32(huge, cf::kProvide | cf::kText);
  Bytes plain;
  test::u32(plain, 0xFFFFFFF0u);
  uLongf size = compressBound(4);
  Bytes packed(size);
  compress(packed.data(), &size, plain.data(), 4);
  huge.insert(huge.end(), packed.begin(), packed.begin() + static_cast<std::ptrdiff_t>(size));
  EXPECT_EQ(clipboard::parse(huge, 1 << 20).error().code, "clipboard-too-large");
}

// A server's greeting up to ServerInit (RFB 3.8, security None, an unnamed w x h desktop).
Bytes greeting(int w, int h, const PixelFormat& format) {
  Bytes init;
  test::u16(init, w);
  test::u16(init, h);
  const auto pf = format.encode();
  init.insert(init.end(), pf.begin(), pf.end());
  test::u32(init, 0);
  return mw::test::cat({bytes("RFB 003.008\n"), hex("01 01 00000000"), init});
}

Client running_client() {
  Client c;
  const auto o = c.feed(greeting(64, 48, PixelFormat::rgb888()));
  EXPECT_TRUE(c.running());
  // The default encodings ask for the Extended Clipboard.
  const Bytes pseudo = hex("C0A1E5CE");
  EXPECT_NE(std::search(o.send.begin(), o.send.end(), pseudo.begin(), pseudo.end()), o.send.end());
  return c;
}

TEST(RfbClipboard, ClientWithoutServerCapsSendsLatin1) {
  Client c = running_client();
  EXPECT_FALSE(c.extended_clipboard());
  EXPECT_EQ(c.clipboard("\xC3\xBC\xE2\x82\xAC\r\n").send, hex("06 000000 00000003 FC 3F 0A"));
  // A classic ServerCutText arrives as it was sent.
  const auto o = c.feed(hex("03 000000 00000002 E9 0A"));
  ASSERT_EQ(o.events.size(), 1u);
  const auto* cut = std::get_if<ServerCutText>(&o.events[0]);
  ASSERT_NE(cut, nullptr);
  EXPECT_EQ(cut->text, "\xE9\n");
  EXPECT_FALSE(cut->utf8);
}

TEST(RfbClipboard, ClientAnswersLibvncserversCapsAndExchangesUtf8) {
  Client c = running_client();
  auto o = c.feed(hex("03 000000 FFFFFFF8 17000001 00100000"));
  EXPECT_TRUE(o.events.empty());
  EXPECT_TRUE(c.extended_clipboard());
  // Its own caps: text; request, peek, notify, provide; the decoder's limit (1 MiB).
  EXPECT_EQ(o.send, hex("06 000000 FFFFFFF8 1F000001 00100000"));
  // The server provides text (a finished stream, as libvncserver's compress() makes).
  o = c.feed(server_message(finished_provide("\xE6\x97\xA5\xE6\x9C\xAC\r\nok")));
  ASSERT_EQ(o.events.size(), 1u);
  const auto* cut = std::get_if<ServerCutText>(&o.events[0]);
  ASSERT_NE(cut, nullptr);
  EXPECT_EQ(cut->text, "\xE6\x97\xA5\xE6\x9C\xAC\nok");
  EXPECT_TRUE(cut->utf8);
  // The viewer's text goes as a provide (the server takes them unsolicited).
  o = c.clipboard("\xE6\x97\xA5 1\n2");
  ASSERT_EQ(o.send.size() > 12, true);
  EXPECT_EQ(o.send[0], 6);
  auto m = clipboard::parse(payload_of(o.send), 1 << 20);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->text.value_or("-"), "\xE6\x97\xA5 1\n2");
  // A notify is answered with a request, a request with the text, a peek with a notify.
  EXPECT_EQ(c.feed(server_message(hex("08000001"))).send, hex("06 000000 FFFFFFFC 02000001"));
  o = c.feed(server_message(hex("02000001")));
  m = clipboard::parse(payload_of(o.send), 1 << 20);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->text.value_or("-"), "\xE6\x97\xA5 1\n2");
  EXPECT_EQ(c.feed(server_message(hex("04000000"))).send, hex("06 000000 FFFFFFFC 08000001"));
  // Corrupt data ends the session with a typed error.
  Bytes bad = finished_provide("x");
  bad[5] ^= 0x55;
  o = c.feed(server_message(bad));
  ASSERT_FALSE(o.events.empty());
  EXPECT_NE(std::get_if<Failed>(&o.events.back()), nullptr);
}

TEST(RfbClipboard, TextIsCutToWhatTheServerTakes) {
  Client c = running_client();
  c.feed(hex("03 000000 FFFFFFF8 11000001 00000010"));  // provide; 16 bytes of text at most
  ASSERT_TRUE(c.extended_clipboard());
  // 6 characters of 2 lines: with CR LF and the NUL, 16 bytes must hold them.
  const auto o = c.clipboard("abcdef\nghijklmnop\xC3\xBC");
  auto m = clipboard::parse(payload_of(o.send), 1 << 20);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->text);
  EXPECT_LE(clipboard::to_crlf(*m->text).size() + 1, 16u);
  EXPECT_EQ(m->text->substr(0, 7), "abcdef\n");
}

TEST(RfbClipboard, DecoderWithoutTheExtensionTakesANegativeLengthAsOversized) {
  Client c(ClientConfig::intel_amt());  // no Extended Clipboard asked
  c.feed(greeting(8, 8, PixelFormat::rgb565()));
  ASSERT_TRUE(c.running());
  const auto o = c.feed(hex("03 000000 FFFFFFF8 17000001 00100000"));
  ASSERT_FALSE(o.events.empty());
  const auto* f = std::get_if<Failed>(&o.events.back());
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->error.code, "too-large");
}

}  // namespace
}  // namespace mw::rfb
