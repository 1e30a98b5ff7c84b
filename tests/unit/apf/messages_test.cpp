// APF messages: each type against bytes written by hand from the layouts (Intel's LMS header,
// RFC 4254, the reference MPSs), encode -> decode round trips, and the small helpers.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "mw/apf/decoder.hpp"
#include "mw/apf/messages.hpp"
#include "mw/util/hex.hpp"

namespace {

using namespace mw::apf;

// Hex with spaces for readability.
std::vector<std::uint8_t> hex(std::string_view text) {
  std::string compact;
  for (char c : text) {
    if (c != ' ') compact.push_back(c);
  }
  auto r = mw::util::hex_decode(compact);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? r.value() : std::vector<std::uint8_t>{};
}

const std::uint8_t kHello[] = {'h', 'e', 'l', 'l', 'o'};

Uuid counting_uuid() {
  Uuid u{};
  for (std::size_t i = 0; i < u.size(); ++i) u[i] = static_cast<std::uint8_t>(i);
  return u;
}

struct Vector {
  const char* name;
  std::string hex;
  Message message;
  ReplyForm reply = ReplyForm::kWithPort;
};

std::vector<Vector> vectors() {
  return {
      {"PROTOCOLVERSION",
       "c0 00000001 00000000 00000004 000102030405060708090a0b0c0d0e0f" + std::string(128, '0'),
       ProtocolVersion{1, 0, trigger::kPeriodic, counting_uuid()}},
      {"SERVICE_REQUEST auth", "05 00000012 6175746840616d742e696e74656c2e636f6d",
       ServiceRequest{"auth@amt.intel.com"}},
      {"SERVICE_ACCEPT pfwd", "06 00000012 7066776440616d742e696e74656c2e636f6d",
       ServiceAccept{"pfwd@amt.intel.com"}},
      {"USERAUTH_REQUEST password",
       "32 00000004 75736572 00000012 7066776440616d742e696e74656c2e636f6d 00000008 70617373776f7264"
       " 00 00000006 736563726574",
       UserAuthRequest{"user", "pfwd@amt.intel.com", "password", "secret", false, ""}},
      {"USERAUTH_REQUEST password change",
       "32 00000004 75736572 00000012 7066776440616d742e696e74656c2e636f6d 00000008 70617373776f7264"
       " 01 00000006 736563726574 00000003 6e6577",
       UserAuthRequest{"user", "pfwd@amt.intel.com", "password", "secret", true, "new"}},
      {"USERAUTH_REQUEST none",
       "32 00000004 75736572 00000012 7066776440616d742e696e74656c2e636f6d 00000004 6e6f6e65",
       UserAuthRequest{"user", "pfwd@amt.intel.com", "none", "", false, ""}},
      {"USERAUTH_FAILURE", "33 00000008 70617373776f7264 00", UserAuthFailure{"password", false}},
      {"USERAUTH_SUCCESS", "34", UserAuthSuccess{}},
      {"GLOBAL_REQUEST tcpip-forward", "50 0000000d 74637069702d666f7277617264 01 00000008 616d742e686f7374 00004260",
       GlobalRequest{"tcpip-forward", true, "amt.host", 16992, "", 0, {}}},
      {"GLOBAL_REQUEST cancel-tcpip-forward",
       "50 00000014 63616e63656c2d74637069702d666f7277617264 01 00000000 00004261",
       GlobalRequest{"cancel-tcpip-forward", true, "", 16993, "", 0, {}}},
      {"GLOBAL_REQUEST udp-send-to",
       "50 00000019 7564702d73656e642d746f40616d742e696e74656c2e636f6d 00 00000007 312e322e332e34 0000026f"
       " 00000007 352e362e372e38 00000298 00000003 010203",
       GlobalRequest{"udp-send-to@amt.intel.com", false, "1.2.3.4", 623, "5.6.7.8", 664, {1, 2, 3}}},
      {"REQUEST_SUCCESS port", "51 00004260", RequestSuccess{16992}, ReplyForm::kWithPort},
      {"REQUEST_SUCCESS bare", "51", RequestSuccess{}, ReplyForm::kBare},
      {"REQUEST_FAILURE", "52", RequestFailure{}},
      {"CHANNEL_OPEN forwarded-tcpip",
       "5a 0000000f 666f727761726465642d7463706970 00000004 00008000 ffffffff 00000000 00004260"
       " 00000007 312e322e332e34 00000400",
       ChannelOpen{"forwarded-tcpip", 4, 32768, kNoMaxPacket, "", 16992, "1.2.3.4", 1024}},
      {"CHANNEL_OPEN direct-tcpip",
       "5a 0000000c 6469726563742d7463706970 00000001 00001000 ffffffff 00000008 616d742e686f7374 00000050"
       " 00000007 352e362e372e38 00001f90",
       ChannelOpen{"direct-tcpip", 1, 4096, kNoMaxPacket, "amt.host", 80, "5.6.7.8", 8080}},
      {"CHANNEL_OPEN_CONFIRMATION", "5b 00000004 00000001 00001000 ffffffff",
       ChannelOpenConfirmation{4, 1, 4096, kNoMaxPacket}},
      {"CHANNEL_OPEN_FAILURE", "5c 00000004 00000003 00000000 00000000",
       ChannelOpenFailure{4, open_failure::kUnknownChannelType, "", ""}},
      {"CHANNEL_WINDOW_ADJUST", "5d 00000001 00004000", ChannelWindowAdjust{1, 16384}},
      {"CHANNEL_DATA", "5e 00000001 00000005 68656c6c6f", ChannelData{1, kHello}},
      {"CHANNEL_DATA empty", "5e 00000002 00000000", ChannelData{2, {}}},
      {"CHANNEL_EOF", "60 00000001", ChannelEof{1}},
      {"CHANNEL_CLOSE", "61 00000001", ChannelClose{1}},
      {"KEEPALIVE_REQUEST", "d0 12345678", KeepAliveRequest{0x12345678}},
      {"KEEPALIVE_REPLY", "d1 12345678", KeepAliveReply{0x12345678}},
      {"KEEPALIVE_OPTIONS_REQUEST", "d2 0000001e 00000000", KeepAliveOptionsRequest{30, 0}},
      {"KEEPALIVE_OPTIONS_REPLY", "d3 0000001e 0000005a", KeepAliveOptionsReply{30, 90}},
      {"DISCONNECT", "01 0000000b 0000", Disconnect{disconnect::kByApplication}},
      {"JSON_CONTROL", "fa 0000001f 7b22616374696f6e223a22636f6e6e54797065222c2276616c7565223a317d",
       JsonControl{R"({"action":"connType","value":1})"}},
  };
}

// Decodes exactly one message from `bytes`; checks nothing is left over.
Message decode_one(const std::vector<std::uint8_t>& bytes, ReplyForm reply) {
  Decoder d;
  d.expect_reply(reply);
  auto r = d.feed(bytes);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return Disconnect{0xDEAD};
  EXPECT_EQ(r->size(), 1u);
  EXPECT_EQ(d.buffered(), 0u);
  EXPECT_FALSE(d.finish().has_value());
  return r->empty() ? Message{Disconnect{0xDEAD}} : r->front();
}

TEST(ApfMessages, EncodeMatchesHandWrittenBytes) {
  for (const auto& v : vectors()) {
    EXPECT_EQ(mw::util::hex_encode(encode(v.message)), mw::util::hex_encode(hex(v.hex))) << v.name;
  }
}

TEST(ApfMessages, DecodeHandWrittenBytes) {
  for (const auto& v : vectors()) {
    const auto bytes = hex(v.hex);
    EXPECT_TRUE(decode_one(bytes, v.reply) == v.message) << v.name;
  }
}

TEST(ApfMessages, EveryTypeRoundTrips) {
  std::vector<bool> seen(std::variant_size_v<Message>, false);
  for (const auto& v : vectors()) {
    const auto bytes = encode(v.message);
    const Message back = decode_one(bytes, v.reply);
    EXPECT_TRUE(back == v.message) << v.name;
    EXPECT_EQ(encode(back), bytes) << v.name;
    EXPECT_EQ(message_type(back), message_type(v.message)) << v.name;
    EXPECT_EQ(bytes[0], static_cast<std::uint8_t>(message_type(v.message))) << v.name;
    seen[v.message.index()] = true;
  }
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_TRUE(seen[i]) << "no vector for variant index " << i;
}

TEST(ApfMessages, FixedSizesFromTheFactSheet) {
  EXPECT_EQ(encode(ProtocolVersion{}).size(), 93u);
  EXPECT_EQ(encode(ChannelOpenConfirmation{}).size(), 17u);
  EXPECT_EQ(encode(ChannelOpenFailure{}).size(), 17u);
  EXPECT_EQ(encode(ChannelWindowAdjust{}).size(), 9u);
  EXPECT_EQ(encode(ChannelClose{}).size(), 5u);
  EXPECT_EQ(encode(Disconnect{}).size(), 7u);
  EXPECT_EQ(encode(UserAuthFailure{}).size(), 14u);
  EXPECT_EQ(encode(RequestSuccess{5900}).size(), 5u);
  EXPECT_EQ(encode(RequestSuccess{}).size(), 1u);
  // USERAUTH_REQUEST (password) = 18 + the four string lengths.
  EXPECT_EQ(encode(UserAuthRequest{"u", "pfwd@amt.intel.com", "password", "pw", false, ""}).size(),
            18u + 1 + 18 + 8 + 2);
  // CHANNEL_OPEN = 33 + type + target + source.
  EXPECT_EQ(encode(ChannelOpen{"forwarded-tcpip", 4, 1, kNoMaxPacket, "ab", 1, "1.2.3.4", 2}).size(),
            33u + 15 + 2 + 7);
  // tcpip-forward = 14 + name + address; udp-send-to = 26 + name + address + originator + data.
  EXPECT_EQ(encode(GlobalRequest{"tcpip-forward", true, "abc", 1, "", 0, {}}).size(), 14u + 13 + 3);
  EXPECT_EQ(encode(GlobalRequest{"udp-send-to@amt.intel.com", true, "a", 1, "bc", 2, {9, 9, 9, 9}}).size(),
            26u + 25 + 1 + 2 + 4);
}

TEST(ApfMessages, OpenFailureWithStringsFollowsRfc4254) {
  const ChannelOpenFailure m{7, open_failure::kConnectFailed, "no", "en"};
  const auto bytes = encode(m);
  EXPECT_EQ(mw::util::hex_encode(bytes), "5c000000070000000200000002" "6e6f" "00000002" "656e");
  EXPECT_TRUE(decode_one(bytes, ReplyForm::kWithPort) == Message{m});
}

TEST(ApfMessages, EncodeToAppends) {
  std::vector<std::uint8_t> out = {0xAA};
  encode_to(ChannelData{3, kHello}, out);
  encode_to(ChannelClose{3}, out);
  EXPECT_EQ(mw::util::hex_encode(out), "aa" "5e000000030000000568656c6c6f" "6100000003");
}

TEST(ApfMessages, UuidTextSwapsTheFirstThreeGroups) {
  EXPECT_EQ(uuid_to_string(counting_uuid()), "03020100-0504-0706-0809-0a0b0c0d0e0f");
  Uuid ff;
  ff.fill(0xFF);
  EXPECT_EQ(uuid_to_string(ff), "ffffffff-ffff-ffff-ffff-ffffffffffff");
}

TEST(ApfMessages, Names) {
  EXPECT_EQ(message_name(94), "CHANNEL_DATA");
  EXPECT_EQ(message_name(192), "PROTOCOLVERSION");
  EXPECT_EQ(message_name(96), "CHANNEL_EOF");
  EXPECT_EQ(message_name(0), "UNKNOWN");
  EXPECT_EQ(message_name(95), "UNKNOWN");
}

TEST(ApfMessages, ChannelDataComparesContent) {
  const std::vector<std::uint8_t> a = {1, 2, 3};
  const std::vector<std::uint8_t> b = {1, 2, 3};
  const std::vector<std::uint8_t> c = {1, 2, 4};
  EXPECT_TRUE((ChannelData{1, a} == ChannelData{1, b}));
  EXPECT_FALSE((ChannelData{1, a} == ChannelData{1, c}));
  EXPECT_FALSE((ChannelData{1, a} == ChannelData{2, a}));
}

}  // namespace
