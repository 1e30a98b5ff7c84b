// Redirection decoder: any chunking gives the same messages; hostile, truncated and oversized
// input gives error values; KVM and IDE-R hand-overs; memory stays within one message.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "mw/redir/decoder.hpp"
#include "mw/util/hex.hpp"

#include "../test_bytes.hpp"

namespace {

using namespace mw::redir;

using mw::test::Bytes;
using mw::test::hex;
using mw::test::bytes;
using mw::test::cat;




// What an AMT sends during a SOL session (client-role stream).
Bytes device_stream() {
  StartRedirectionSessionReply start;
  start.oem_data = hex("01 02 03");
  return cat({encode(start), hex("14 00 00 00 00 03 00 00 00 01 03 04"),
              encode(AuthenticateSessionReply{kAuthFailure, AuthType::kDigest, hex("01 72 01 6E 04 61 75 74 68")}),
              encode(AuthenticateSessionReply{kStatusSuccess, AuthType::kDigest, {}}),
              encode(StartSolReply{}), encode(SolControlsFromHost{1, 0, kStatusPowerOn}),
              encode(SolDataFromHost{2, Bytes(300, 'x')}), encode(Heartbeat{3}),
              encode(SolDataFromHost{4, bytes("login: ")}), encode(EndSolReply{5})});
}

std::vector<Message> decode_chunked(Role role, const Bytes& wire, std::mt19937& rng, std::size_t max_chunk) {
  Decoder d(role);
  std::vector<Message> all;
  std::size_t pos = 0;
  while (pos < wire.size()) {
    const std::size_t n = std::min(wire.size() - pos, std::size_t{1} + rng() % max_chunk);
    auto r = d.feed(std::span<const std::uint8_t>(wire).subspan(pos, n), all);
    EXPECT_TRUE(r.ok());
    pos += n;
  }
  EXPECT_FALSE(d.finish().has_value());
  return all;
}

TEST(RedirDecoder, SameMessagesForAnyChunking) {
  const Bytes wire = device_stream();
  Decoder whole(Role::kClient);
  auto expected = whole.feed(wire);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(expected->size(), 10u);
  EXPECT_EQ(whole.offset(), wire.size());

  std::mt19937 rng(1);
  EXPECT_EQ(decode_chunked(Role::kClient, wire, rng, 1), expected.value());  // byte by byte
  for (std::uint32_t seed = 2; seed < 12; ++seed) {
    std::mt19937 r(seed);
    EXPECT_EQ(decode_chunked(Role::kClient, wire, r, 1 + seed * 7), expected.value()) << seed;
  }
}

TEST(RedirDecoder, UnknownCommandIsAStickyError) {
  Decoder d(Role::kClient);
  auto r = d.feed(cat({encode(Heartbeat{1}), hex("77 00 00 00")}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "redir-unknown-command");
  EXPECT_NE(r.error().message.find("offset 8"), std::string::npos) << r.error().message;
  auto again = d.feed(encode(Heartbeat{2}));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "redir-unknown-command");
  // Messages before the garbage are still handed out by the appending form.
  Decoder d2(Role::kClient);
  std::vector<Message> out;
  EXPECT_FALSE(d2.feed(cat({encode(Heartbeat{1}), hex("00")}), out).ok());
  EXPECT_EQ(out.size(), 1u);
}

TEST(RedirDecoder, RolesAreStrict) {
  EXPECT_FALSE(Decoder(Role::kDevice).feed(encode(StartSolReply{})).ok());
  EXPECT_FALSE(Decoder(Role::kDevice).feed(encode(SolDataFromHost{1, bytes("a")})).ok());
  EXPECT_FALSE(Decoder(Role::kClient).feed(encode(StartRedirectionSession{})).ok());
  EXPECT_FALSE(Decoder(Role::kClient).feed(encode(SolDataToHost{1, bytes("a")})).ok());
  EXPECT_FALSE(Decoder(Role::kClient).feed(encode(AuthenticateSession{})).ok());
  // 0x40/0x41 only mean something in KVM (and IDE-R) sessions.
  EXPECT_FALSE(Decoder(Role::kDevice).feed(encode(KvmStart{})).ok());
  EXPECT_FALSE(Decoder(Role::kClient).feed(encode(KvmStartReply{})).ok());
}

TEST(RedirDecoder, OversizedLengthsFailAtTheHeader) {
  // Auth data length 0x7FFFFFFF: rejected after 9 bytes, nothing buffered beyond them.
  Decoder d(Role::kDevice);
  auto r = d.feed(hex("13 00 00 00 04 FF FF FF 7F"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "redir-too-long");

  Decoder client(Role::kClient);
  EXPECT_EQ(client.feed(hex("14 01 00 00 04 01 10 00 00")).error().code, "redir-too-long");  // 4097

  Limits small;
  small.max_sol_data = 100;
  Decoder sol(Role::kClient, small);
  EXPECT_TRUE(sol.feed(encode(SolDataFromHost{1, Bytes(100, 'a')})).ok());
  EXPECT_EQ(sol.feed(hex("2A 00 00 00 01 00 00 00 65 00")).error().code, "redir-too-long");
}

TEST(RedirDecoder, BufferNeverExceedsOneMessage) {
  const Bytes wire = encode(AuthenticateSession{AuthType::kKerberos, Bytes(4096, 0xEE)});
  Decoder d(Role::kDevice);
  std::size_t max_buffered = 0;
  for (std::size_t i = 0; i + 1 < wire.size(); ++i) {
    ASSERT_TRUE(d.feed(std::span<const std::uint8_t>(&wire[i], 1)).ok());
    max_buffered = std::max(max_buffered, d.buffered());
  }
  EXPECT_EQ(max_buffered, wire.size() - 1);
  auto last = d.feed(std::span<const std::uint8_t>(&wire.back(), 1));
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->size(), 1u);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(RedirDecoder, TruncatedStreamReportedAtFinish) {
  const Bytes wire = encode(SolDataFromHost{1, bytes("hello")});
  for (std::size_t cut = 1; cut < wire.size(); ++cut) {
    Decoder d(Role::kClient);
    auto r = d.feed(std::span<const std::uint8_t>(wire).first(cut));
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->empty());
    auto e = d.finish();
    ASSERT_TRUE(e.has_value()) << cut;
    EXPECT_EQ(e->code, "redir-truncated");
  }
  Decoder whole(Role::kClient);
  ASSERT_TRUE(whole.feed(wire).ok());
  EXPECT_FALSE(whole.finish().has_value());
}

TEST(RedirDecoder, KvmHandOverPassesRfbUntouched) {
  // 0x41 and the start of RFB arrive in one read (fact sheet section 5).
  Decoder d(Role::kClient);
  d.set_session_type(SessionType::kKvm);
  auto r = d.feed(cat({hex("14 00 00 00 04 00 00 00 00"), encode(KvmStartReply{}), bytes("RFB 003.008\n")}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_TRUE(std::holds_alternative<KvmStartReply>((*r)[1]));
  EXPECT_EQ(std::get<RawData>((*r)[2]).data, bytes("RFB 003.008\n"));
  EXPECT_TRUE(d.raw());
  // Bytes that would be garbage as redirection messages are RFB now.
  auto more = d.feed(hex("00 00 00 01 77 FF"));
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(std::get<RawData>(more->front()).data, hex("00 00 00 01 77 FF"));

  Decoder device(Role::kDevice);
  auto dr = device.feed(cat({hex("10 01 00 00 4B 56 4D 52"), encode(KvmStart{}), bytes("RFB 003.008\n")}));
  ASSERT_TRUE(dr.ok());
  ASSERT_EQ(dr->size(), 3u);
  EXPECT_EQ(std::get<RawData>((*dr)[2]).data, bytes("RFB 003.008\n"));
}

TEST(RedirDecoder, IderHandOverAtFirstIderMessage) {
  Decoder device(Role::kDevice);
  auto r = device.feed(cat({hex("10 00 00 00 49 44 45 52"), hex("13 00 00 00 00 00 00 00 00"),
                            hex("40 00 00 00 01 00 00 00 AB")}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ(std::get<RawData>((*r)[2]).data, hex("40 00 00 00 01 00 00 00 AB"));

  Decoder client(Role::kClient);
  client.set_session_type(SessionType::kIder);
  auto c = client.feed(cat({hex("14 00 00 00 04 00 00 00 00"), hex("41 00 00 00 01 00 00 00")}));
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->size(), 2u);
  EXPECT_TRUE(std::holds_alternative<RawData>((*c)[1]));
}

TEST(RedirDecoder, RefusedStartIgnoresTheRest) {
  Decoder d(Role::kClient);
  auto r = d.feed(cat({hex("11 01 00 00 00 00 00 00 00 00 00 00 00"), hex("FF FF")}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(std::get<StartRedirectionSessionReply>(r->front()).status, kStartTypeUnknown);
  EXPECT_FALSE(d.finish().has_value());
}

TEST(RedirDecoder, RecordingNoticeBeforeReplies) {
  Decoder d(Role::kClient);
  auto r = d.feed(cat({hex("F0"), encode(StartRedirectionSessionReply{})}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_TRUE(std::holds_alternative<RecordingNotice>(r->front()));
}

TEST(RedirDecoder, GarbageNeverCrashes) {
  std::mt19937 rng(42);
  for (int round = 0; round < 2000; ++round) {
    Bytes junk(rng() % 64);
    for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
    for (Role role : {Role::kClient, Role::kDevice}) {
      Decoder d(role);
      d.set_session_type(round % 3 == 0 ? SessionType::kKvm : SessionType::kSol);
      auto r = d.feed(junk);
      if (r.ok()) {
        EXPECT_LE(d.buffered(), 10u + kMaxSolPayload);
      } else {
        EXPECT_FALSE(r.error().code.empty());
      }
    }
  }
}

}  // namespace
