// APF decoder: the same messages whatever the chunking, zero-copy payloads, the REQUEST_SUCCESS
// form queue, the MeshCentral USERAUTH_FAILURE pad, and hostile input (truncated, oversized,
// garbage) giving error values with bounded buffering.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "mw/apf/decoder.hpp"
#include "mw/apf/messages.hpp"
#include "mw/util/hex.hpp"

#include "../test_bytes.hpp"

namespace {

using namespace mw::apf;
using mw::test::Bytes;
using mw::test::hex;


Bytes payload(std::size_t n, std::uint32_t seed) {
  Bytes v(n);
  std::mt19937 rng(seed);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

void append(Bytes& out, const Message& m) { encode_to(m, out); }

// A stream with every type, in a plausible order, plus the reply forms its REQUEST_SUCCESSes need.
struct Stream {
  Bytes bytes;
  std::vector<ReplyForm> replies;
  std::size_t count = 0;
};

Stream sample_stream() {
  static const Bytes big = payload(40000, 7);
  Stream s;
  const auto add = [&s](const Message& m) {
    append(s.bytes, m);
    ++s.count;
  };
  add(ProtocolVersion{1, 0, trigger::kUserInitiated, Uuid{1, 2, 3}});
  add(ServiceRequest{std::string(kServiceAuth)});
  add(ServiceAccept{std::string(kServiceAuth)});
  add(UserAuthRequest{"user", std::string(kServicePfwd), "password", "pw", false, ""});
  add(UserAuthFailure{});
  add(UserAuthRequest{"user", std::string(kServicePfwd), "none", "", false, ""});
  add(UserAuthSuccess{});
  add(GlobalRequest{std::string(kTcpipForward), true, "host", 16992, "", 0, {}});
  add(RequestSuccess{16992});
  s.replies.push_back(ReplyForm::kWithPort);
  add(GlobalRequest{std::string(kCancelTcpipForward), true, "host", 16992, "", 0, {}});
  add(RequestSuccess{});
  s.replies.push_back(ReplyForm::kBare);
  add(RequestFailure{});
  s.replies.push_back(ReplyForm::kBare);
  add(GlobalRequest{std::string(kUdpSendTo), false, "a", 1, "b", 2, {5, 6}});
  add(ChannelOpen{std::string(kForwardedTcpip), 4, 32768, kNoMaxPacket, "", 16992, "1.2.3.4", 1024});
  add(ChannelOpenConfirmation{4, 1, 4096, kNoMaxPacket});
  add(ChannelOpenFailure{5, 2, "", ""});
  add(ChannelWindowAdjust{1, 100});
  add(ChannelData{1, big});
  add(ChannelData{1, {}});
  add(ChannelEof{1});
  add(ChannelClose{1});
  add(KeepAliveRequest{9});
  add(KeepAliveReply{9});
  add(KeepAliveOptionsRequest{30, 0});
  add(KeepAliveOptionsReply{30, 0});
  add(JsonControl{"{}"});
  add(Disconnect{disconnect::kByApplication});
  return s;
}

// Decodes `bytes` in the given chunk sizes (cycled); each message is re-encoded right away
// (payload views die with the next call). Returns the encodings and the final error code.
struct Outcome {
  std::vector<Bytes> messages;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

Outcome run(const Stream& s, const std::vector<std::size_t>& chunks, Limits limits = {}) {
  Decoder d(limits);
  for (auto r : s.replies) d.expect_reply(r);
  Outcome out;
  std::span<const std::uint8_t> rest(s.bytes);
  std::size_t i = 0;
  while (!rest.empty()) {
    const std::size_t n = std::min(rest.size(), chunks[i++ % chunks.size()]);
    std::span<const std::uint8_t> chunk = rest.first(n);
    rest = rest.subspan(n);
    for (;;) {
      auto r = d.next(chunk);
      if (!r.ok()) {
        out.error = r.error().code;
        return out;
      }
      if (!r.value()) break;
      out.messages.push_back(encode(*r.value()));
    }
    EXPECT_TRUE(chunk.empty());
    EXPECT_LE(d.buffered(), d.max_message());
  }
  if (auto e = d.finish()) out.error = e->code;
  return out;
}

TEST(ApfDecoder, WholeStreamDecodesEveryMessage) {
  const Stream s = sample_stream();
  const Outcome whole = run(s, {s.bytes.size()});
  EXPECT_EQ(whole.error, "");
  ASSERT_EQ(whole.messages.size(), s.count);
  Bytes again;
  for (const auto& m : whole.messages) again.insert(again.end(), m.begin(), m.end());
  EXPECT_EQ(again, s.bytes);  // re-encoding gives back the stream, byte for byte
}

TEST(ApfDecoder, ByteByByteAndRandomChunksGiveTheSameMessages) {
  const Stream s = sample_stream();
  const Outcome whole = run(s, {s.bytes.size()});
  EXPECT_EQ(run(s, {1}), whole);
  EXPECT_EQ(run(s, {2, 3, 5, 7}), whole);
  std::mt19937 rng(20240601);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::size_t> chunks;
    std::uniform_int_distribution<std::size_t> size(1, 3000);
    for (int i = 0; i < 64; ++i) chunks.push_back(size(rng));
    EXPECT_EQ(run(s, chunks), whole) << "round " << round;
  }
}

TEST(ApfDecoder, FeedReturnsAllCompletedMessages) {
  Decoder d;
  Bytes bytes = encode(KeepAliveRequest{1});
  append(bytes, KeepAliveReply{1});
  const Bytes tail = encode(ChannelClose{3});
  bytes.insert(bytes.end(), tail.begin(), tail.begin() + 2);
  auto r = d.feed(bytes);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 2u);
  EXPECT_EQ(d.buffered(), 2u);
  r = d.feed(std::span<const std::uint8_t>(tail).subspan(2));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_TRUE(r->front() == Message{ChannelClose{3}});
  EXPECT_EQ(d.offset(), bytes.size() + 3);
}

TEST(ApfDecoder, ChannelDataIsAViewOfTheInput) {
  const Bytes data = payload(16384, 1);
  const Bytes wire = encode(ChannelData{7, data});
  Decoder d;
  std::span<const std::uint8_t> in(wire);
  auto r = d.next(in);
  ASSERT_TRUE(r.ok() && r.value());
  const auto& m = std::get<ChannelData>(*r.value());
  EXPECT_EQ(m.recipient, 7u);
  EXPECT_EQ(m.data.data(), wire.data() + 9);  // no copy
  EXPECT_TRUE(std::equal(m.data.begin(), m.data.end(), data.begin(), data.end()));
  EXPECT_TRUE(in.empty());
}

TEST(ApfDecoder, ViewsFromOneFeedStayValidTogether) {
  // The first message completes a partial one (decoder buffer), the second is whole in the
  // input, the third stays partial: all views handed out by this feed must still be intact.
  const Bytes a = payload(3000, 2);
  const Bytes b = payload(5000, 3);
  Bytes wire = encode(ChannelData{1, a});
  append(wire, ChannelData{2, b});
  append(wire, ChannelData{3, payload(7000, 4)});
  Decoder d;
  ASSERT_TRUE(d.feed(std::span<const std::uint8_t>(wire).first(100)).ok());
  auto r = d.feed(std::span<const std::uint8_t>(wire).subspan(100, wire.size() - 200));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_TRUE(((*r)[0] == Message{ChannelData{1, a}}));
  EXPECT_TRUE(((*r)[1] == Message{ChannelData{2, b}}));
}

TEST(ApfDecoder, RequestSuccessFormFollowsTheQueue) {
  Decoder d;
  d.expect_reply(ReplyForm::kBare);
  d.expect_reply(ReplyForm::kWithPort);
  d.expect_reply(ReplyForm::kBare);
  auto r = d.feed(hex("51 51 00001b58 52 51 00004260"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 4u);
  EXPECT_TRUE((*r)[0] == Message{RequestSuccess{}});
  EXPECT_TRUE((*r)[1] == Message{RequestSuccess{7000}});
  EXPECT_TRUE((*r)[2] == Message{RequestFailure{}});
  EXPECT_TRUE((*r)[3] == Message{RequestSuccess{16992}});  // queue empty: a port is assumed
}

TEST(ApfDecoder, MeshCentralUserAuthFailurePadIsSkipped) {
  // MeshCentral and Open AMT send "33 00000008 password 0000": one zero more than SSH.
  const Bytes wire = hex("33 00000008 70617373776f7264 0000 01 0000000e 0000");
  for (std::size_t chunk : {wire.size(), std::size_t{1}}) {
    Decoder d;
    std::vector<Message> out;
    for (std::size_t i = 0; i < wire.size(); i += chunk) {
      ASSERT_TRUE(d.feed(std::span<const std::uint8_t>(wire).subspan(i, std::min(chunk, wire.size() - i)), out).ok());
    }
    ASSERT_EQ(out.size(), 2u) << "chunk " << chunk;
    EXPECT_TRUE(out[0] == Message{UserAuthFailure{}});
    EXPECT_TRUE(out[1] == Message{Disconnect{disconnect::kNoMoreAuthMethods}});
    EXPECT_FALSE(d.finish().has_value());
  }
}

TEST(ApfDecoder, SshUserAuthFailureFormNeedsNoPad) {
  Decoder d;
  auto r = d.feed(hex("33 00000008 70617373776f7264 00 34"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_TRUE((*r)[1] == Message{UserAuthSuccess{}});
}

// [SECTION] Hostile input

std::string first_error(const Bytes& bytes, Limits limits = {}) {
  Decoder d(limits);
  auto r = d.feed(bytes);
  if (r.ok()) {
    auto e = d.finish();
    return e ? e->code : "";
  }
  return r.error().code;
}

TEST(ApfDecoder, TruncatedMessagesWaitThenReportAtEnd) {
  const Stream s = sample_stream();
  // Every message cut one byte short: nothing decoded, finish() says truncated.
  for (const Message& m : {Message{ProtocolVersion{}}, Message{ServiceRequest{"x"}},
                           Message{UserAuthRequest{"u", "s", "password", "p", false, ""}},
                           Message{GlobalRequest{std::string(kTcpipForward), true, "h", 1, "", 0, {}}},
                           Message{ChannelOpen{}}, Message{ChannelOpenConfirmation{}},
                           Message{ChannelData{1, std::span<const std::uint8_t>(s.bytes).first(10)}},
                           Message{Disconnect{}}, Message{KeepAliveOptionsReply{}}, Message{JsonControl{"{}"}}}) {
    Bytes b = encode(m);
    b.pop_back();
    Decoder d;
    auto r = d.feed(b);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->empty());
    EXPECT_EQ(d.buffered(), b.size());
    auto e = d.finish();
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->code, "apf-truncated");
  }
}

TEST(ApfDecoder, OversizedStringIsRefusedAsSoonAsItsLengthArrives) {
  // 2049 > 2048 (MeshCentral's cap): refused after 5 bytes, nothing more is buffered.
  Decoder d;
  auto r = d.feed(hex("05 00000801"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "apf-too-long");
  EXPECT_EQ(d.buffered(), 0u);
  EXPECT_EQ(first_error(hex("05 00000800")), "apf-truncated");  // 2048 is allowed (and missing)
  // Inside other messages too: user name, channel type, the third string of CHANNEL_OPEN.
  EXPECT_EQ(first_error(hex("32 ffffffff")), "apf-too-long");
  EXPECT_EQ(first_error(hex("5a 00010000")), "apf-too-long");
  EXPECT_EQ(first_error(hex("5a 00000001 41 00000001 00000001 ffffffff 00000000 00000001 00000fff")),
            "apf-too-long");
}

TEST(ApfDecoder, OversizedChannelDataIsRefused) {
  Limits limits;
  limits.max_data = 4096;
  EXPECT_EQ(first_error(hex("5e 00000001 00001001"), limits), "apf-too-long");
  EXPECT_EQ(first_error(hex("5e 00000001 00001000"), limits), "apf-truncated");
  EXPECT_EQ(first_error(hex("5e 00000001 ffffffff")), "apf-too-long");  // default cap: 1 MiB
  EXPECT_EQ(first_error(hex("fa 7fffffff")), "apf-too-long");
  EXPECT_EQ(first_error(hex("50 00000019 7564702d73656e642d746f40616d742e696e74656c2e636f6d 00 00000000 00000000"
                            " 00000000 00000000 7fffffff")),
            "apf-too-long");
}

TEST(ApfDecoder, BufferingIsBoundedByTheLargestAllowedMessage) {
  Limits limits;
  limits.max_data = 8192;
  limits.max_json = 100;
  Decoder d(limits);
  EXPECT_EQ(d.max_message(), 26u + 3 * 2048 + 8192);
  // A CHANNEL_DATA announcing the maximum, then a trickle of bytes.
  ASSERT_TRUE(d.feed(hex("5e 00000001 00002000")).ok());
  const Bytes filler(100, 0x41);
  for (int i = 0; i < 81; ++i) ASSERT_TRUE(d.feed(filler).ok());
  EXPECT_EQ(d.buffered(), 9u + 8100);
  auto r = d.feed(Bytes(200, 0x42));  // completes it (92 bytes) and starts a bad next message
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "apf-unknown-type");
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(ApfDecoder, GarbageTypesAreErrors) {
  for (std::uint8_t t : {0x00, 0x02, 0x07, 0x35, 0x53, 0x5f, 0x62, 0x63, 0x64, 0xc1, 0xd4, 0xfb, 0xff}) {
    EXPECT_EQ(first_error(Bytes{t, 0, 0, 0, 0, 0, 0, 0, 0}), "apf-unknown-type") << int(t);
  }
  EXPECT_EQ(first_error(hex("5f 00000001 00000001 00000001 41")), "apf-unknown-type");  // SSH extended data
}

TEST(ApfDecoder, UnknownGlobalRequestCannotBeFramed) {
  EXPECT_EQ(first_error(hex("50 00000004 61626364 01 00000000 00000000")), "apf-unknown-request");
}

TEST(ApfDecoder, UnknownAuthMethodParsesWithoutFields) {
  Decoder d;
  auto r = d.feed(hex("32 00000001 75 00000001 73 00000009 7075626c69636b6579 34"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  const auto& m = std::get<UserAuthRequest>((*r)[0]);
  EXPECT_EQ(m.method, "publickey");
  EXPECT_EQ(m.password, "");
}

TEST(ApfDecoder, ErrorsAreSticky) {
  Decoder d;
  auto r = d.feed(hex("34 ff"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(d.failed());
  auto again = d.feed(encode(UserAuthSuccess{}));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "apf-unknown-type");
  ASSERT_TRUE(d.finish().has_value());
  // The vector overload keeps what came before the error.
  Decoder d2;
  std::vector<Message> out;
  auto n = d2.feed(hex("34 34 ff"), out);
  EXPECT_FALSE(n.ok());
  EXPECT_EQ(out.size(), 2u);
}

TEST(ApfDecoder, RandomGarbageNeverCrashesOrOverBuffers) {
  std::mt19937 rng(12345);
  Limits limits;
  limits.max_data = 2048;
  limits.max_json = 2048;
  for (int round = 0; round < 3000; ++round) {
    Bytes junk(rng() % 300);
    for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
    // Half the rounds start with a valid type byte to get past the first check.
    static const std::uint8_t kTypes[] = {1, 5, 6, 50, 51, 52, 80, 81, 82, 90, 91, 92, 93, 94, 96, 97, 192, 208, 250};
    if (!junk.empty() && round % 2 == 0) junk[0] = kTypes[rng() % std::size(kTypes)];
    Decoder d(limits);
    std::span<const std::uint8_t> in(junk);
    while (!in.empty()) {
      const std::size_t n = std::min<std::size_t>(in.size(), 1 + rng() % 16);
      auto r = d.feed(in.first(n));
      in = in.subspan(n);
      EXPECT_LE(d.buffered(), d.max_message());
      if (!r.ok()) break;
    }
    (void)d.finish();
  }
}

}  // namespace
