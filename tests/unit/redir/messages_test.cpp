// Redirection messages: exact wire bytes from the fact sheet, amtterm and MeshCommander, round
// trips of every message, and the auth-data helpers with the digest computation.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "mw/redir/auth.hpp"
#include "mw/redir/decoder.hpp"
#include "mw/redir/messages.hpp"
#include "mw/util/hex.hpp"
#include "mw/util/md5.hpp"

#include "../test_bytes.hpp"

namespace {

using namespace mw::redir;

using mw::test::Bytes;
using mw::test::hex;
using mw::test::bytes;
using mw::test::cat;




std::string md5_hex(std::string_view s) { return mw::util::hex_encode(mw::util::md5(s)); }

// Decodes `wire` as one stream and expects exactly one message.
Message decode_one(Role role, const Bytes& wire, SessionType type = SessionType::kSol) {
  Decoder d(role);
  d.set_session_type(type);
  auto r = d.feed(wire);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok() || r->size() != 1) {
    ADD_FAILURE() << "expected one message";
    return RawData{};
  }
  EXPECT_EQ(d.buffered(), 0u);
  return r->front();
}

TEST(RedirMessages, StartRedirectionSessionBytes) {
  EXPECT_EQ(encode(StartRedirectionSession{SessionType::kSol, 0}), hex("10 00 00 00 53 4F 4C 20"));
  EXPECT_EQ(encode(StartRedirectionSession{SessionType::kIder, 0}), hex("10 00 00 00 49 44 45 52"));
  EXPECT_EQ(encode(StartRedirectionSession{SessionType::kKvm, 1}), hex("10 01 00 00 4B 56 4D 52"));
  EXPECT_EQ(std::get<StartRedirectionSession>(decode_one(Role::kDevice, hex("10 01 00 00 4B 56 4D 52"))),
            (StartRedirectionSession{SessionType::kKvm, 1}));
}

TEST(RedirMessages, StartRedirectionSessionReply) {
  StartRedirectionSessionReply ok;
  ok.firmware_major = 11;
  ok.firmware_minor = 8;
  ok.oem_iana = 343;
  EXPECT_EQ(encode(ok), hex("11 00 00 00 01 00 0B 08 57 01 00 00 00"));
  ok.oem_data = {0xAA, 0xBB};
  const Bytes wire = hex("11 00 00 00 01 00 0B 08 57 01 00 00 02 AA BB");
  EXPECT_EQ(encode(ok), wire);
  EXPECT_EQ(std::get<StartRedirectionSessionReply>(decode_one(Role::kClient, wire)), ok);

  // A refusal goes out at full length (amtterm waits for 13 bytes) but only 4 are needed.
  StartRedirectionSessionReply busy{};
  busy.status = kStartBusy;
  busy.protocol_major = busy.protocol_minor = busy.firmware_major = busy.firmware_minor = 0;
  EXPECT_EQ(encode(busy).size(), 13u);
  Decoder d(Role::kClient);
  auto r = d.feed(hex("11 02 00 00"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(std::get<StartRedirectionSessionReply>(r->front()), busy);
}

TEST(RedirMessages, AuthQueryAndReplyFromFactSheet) {
  EXPECT_EQ(encode(AuthenticateSession{AuthType::kQuery, {}}), hex("13 00 00 00 00 00 00 00 00"));
  const Bytes reply = hex("14 00 00 00 00 03 00 00 00 01 03 04");
  const auto m = std::get<AuthenticateSessionReply>(decode_one(Role::kClient, reply));
  EXPECT_EQ(m.status, kStatusSuccess);
  EXPECT_EQ(m.auth_type, AuthType::kQuery);
  EXPECT_EQ(m.data, hex("01 03 04"));
  EXPECT_EQ(encode(m), reply);
}

TEST(RedirMessages, DigestFirstRequestMatchesMeshCommander) {
  // user, "", "", uri, "", "", "", "" with L = len(user) + len(uri) + 8.
  DigestResponse first;
  first.username = "admin";
  first.uri = "/RedirectionService";
  auto data = encode_digest_response(first, AuthType::kDigest);
  ASSERT_TRUE(data.ok());
  const Bytes wire = encode(AuthenticateSession{AuthType::kDigest, data.value()});
  EXPECT_EQ(wire, cat({hex("13 00 00 00 04 20 00 00 00 05"), bytes("admin"), hex("00 00 13"),
                       bytes("/RedirectionService"), hex("00 00 00 00")}));
  // Legacy digest: one string fewer (no qop).
  auto legacy = encode_digest_response(first, AuthType::kLegacyDigest);
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(legacy->size(), 5u + 19u + 7u);
}

TEST(RedirMessages, DigestChallengeAndResponse) {
  // L = (1 + 39) + (1 + 16) + (1 + 4) = 62.
  const Bytes wire =
      cat({hex("14 01 00 00 04 3E 00 00 00 27"), bytes("Digest:0F3A5B9C2D4E6F708192A3B4C5D6E7F8"),
           hex("10"), bytes("4ae12d3c5b6a7980"), hex("04"), bytes("auth")});
  const auto reply = std::get<AuthenticateSessionReply>(decode_one(Role::kClient, wire));
  EXPECT_EQ(reply.status, kAuthFailure);
  auto c = parse_digest_challenge(reply.data, AuthType::kDigest);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->realm, "Digest:0F3A5B9C2D4E6F708192A3B4C5D6E7F8");
  EXPECT_EQ(c->nonce, "4ae12d3c5b6a7980");
  EXPECT_EQ(c->qop, "auth");

  DigestResponse r;
  r.username = "admin";
  r.realm = c->realm;
  r.nonce = c->nonce;
  r.uri = "/RedirectionService";
  r.cnonce = "0a4f113b9c8d7e6f";
  r.nc = "00000001";
  r.qop = "auth";
  // Expected values computed independently (Python hashlib) from the formula in the fact sheet.
  EXPECT_EQ(digest_response(md5_hex, r, "P@ssw0rd", AuthType::kDigest), "48fa0260fa6edab222d38ae2efa5210e");
  EXPECT_EQ(digest_response(md5_hex, r, "P@ssw0rd", AuthType::kLegacyDigest),
            "d6b7446ea4cdf2c4534a11ff13829d63");
  r.response = digest_response(md5_hex, r, "P@ssw0rd", AuthType::kDigest);
  auto data = encode_digest_response(r, AuthType::kDigest);
  ASSERT_TRUE(data.ok());
  auto back = parse_digest_response(data.value(), AuthType::kDigest);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.value(), r);
}

TEST(RedirMessages, AmttermPasswordAuthBytes) {
  // amtterm redir_auth(): type 1, L = ulen + plen + 2, [ulen] user [plen] pass.
  const Bytes wire = cat({hex("13 00 00 00 01 0A 00 00 00 05"), bytes("admin"), hex("03"), bytes("pw!")});
  const auto m = std::get<AuthenticateSession>(decode_one(Role::kDevice, wire));
  EXPECT_EQ(m.auth_type, AuthType::kUserPassword);
  auto up = parse_user_password(m.data);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up.value(), (UserPassword{"admin", "pw!"}));
  auto again = encode_user_password(up.value());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(encode(AuthenticateSession{AuthType::kUserPassword, again.value()}), wire);
}

TEST(RedirMessages, AuthDataErrors) {
  EXPECT_FALSE(parse_user_password(hex("05 61 64")).ok());                     // string overruns
  EXPECT_FALSE(parse_user_password(hex("01 61 01 62 FF")).ok());               // trailing byte
  EXPECT_FALSE(parse_digest_challenge(hex("01 61 01 62"), AuthType::kDigest).ok());  // no qop
  EXPECT_TRUE(parse_digest_challenge(hex("01 61 01 62"), AuthType::kLegacyDigest).ok());
  EXPECT_FALSE(parse_digest_challenge({}, AuthType::kUserPassword).ok());
  UserPassword big{std::string(256, 'u'), "p"};
  auto e = encode_user_password(big);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, "redir-auth-field");
}

TEST(RedirMessages, AmttermStartSolBytes) {
  // amtterm redir_sol_start(): sequence 0 and its RedirectionConstants.h values.
  const Bytes wire = hex("20 00 00 00 00 00 00 00 E8 03 64 00 00 00 10 27 00 00 88 13 00 00 00 00");
  EXPECT_EQ(encode(StartSol{0, kAmttermSolSettings}), wire);
  EXPECT_EQ(std::get<StartSol>(decode_one(Role::kDevice, wire)), (StartSol{0, kAmttermSolSettings}));
  // MeshCommander: sequence 1, 10000/100/0/10000/100/0 (our defaults).
  EXPECT_EQ(encode(StartSol{1, SolSettings{}}),
            hex("20 00 00 00 01 00 00 00 10 27 64 00 00 00 10 27 64 00 00 00 00 00 00 00"));
}

TEST(RedirMessages, StartSolReplyLayout) {
  StartSolReply r;
  r.settings = kAmttermSolSettings;
  r.oem_iana = 343;
  const Bytes wire = encode(r);
  ASSERT_EQ(wire.size(), 23u);
  EXPECT_EQ(wire, hex("21 00 00 00 01 00 E8 03 64 00 00 00 10 27 00 00 88 13 57 01 00 00 00"));
  EXPECT_EQ(std::get<StartSolReply>(decode_one(Role::kClient, wire)), r);
}

TEST(RedirMessages, SolFramesFromAmttermAndMeshCommander) {
  // amtterm redir_sol_send(): sequence 0.
  EXPECT_EQ(encode(SolDataToHost{0, bytes("ls\r")}), hex("28 00 00 00 00 00 00 00 03 00 6C 73 0D"));
  // MeshCommander keep-alive and its 0x27 after the SOL reply.
  EXPECT_EQ(encode(Heartbeat{7}), hex("2B 00 00 00 07 00 00 00"));
  EXPECT_EQ(encode(SolControlsToHost{3, {0x00, 0x00, 0x1B, 0x00, 0x00, 0x00}}),
            hex("27 00 00 00 03 00 00 00 00 00 1B 00 00 00"));
  EXPECT_EQ(encode(EndSol{0}), hex("22 00 00 00 00 00 00 00"));
  EXPECT_EQ(encode(EndRedirectionSession{}), hex("12 00 00 00"));
  // From the host: text and modem/status bits (amtterm's controls_from_host_message).
  const auto data =
      std::get<SolDataFromHost>(decode_one(Role::kClient, hex("2A 00 00 00 05 00 00 00 02 00 4F 4B")));
  EXPECT_EQ(data.sequence, 5u);
  EXPECT_EQ(data.data, bytes("OK"));
  const auto controls = std::get<SolControlsFromHost>(decode_one(Role::kClient, hex("29 00 00 00 09 00 00 00 03 06")));
  EXPECT_EQ(controls.control, kControlRts | kControlDtr);
  EXPECT_EQ(controls.status, kStatusLoopback | kStatusPowerOn);
}

TEST(RedirMessages, KvmStartBytes) {
  EXPECT_EQ(encode(KvmStart{}), hex("40 00 00 00 00 00 00 00"));
  EXPECT_EQ(encode(KvmStartReply{}), hex("41 00 00 00 00 00 00 00"));
  EXPECT_EQ(encode(RecordingNotice{}), hex("F0"));
}

TEST(RedirMessages, EveryMessageRoundTrips) {
  const std::vector<Message> console = {
      StartRedirectionSession{SessionType::kIder, 0},
      EndRedirectionSession{},
      AuthenticateSession{AuthType::kDigest, hex("01 61 00 00 01 2F 00 00 00 00")},
      StartSol{9, SolSettings{1, 2, 3, 4, 5, 6}},
      EndSol{0xFFFFFFFF},
      KeepAlivePing{4},
      KeepAlivePong{5},
      SolControlsToHost{6, {1, 2, 3, 4, 5, 6}},
      SolDataToHost{7, Bytes(kMaxSolPayload, 0x41)},
      SolDataToHost{8, {}},
      Heartbeat{10},
  };
  for (const auto& m : console) EXPECT_EQ(decode_one(Role::kDevice, encode(m)), m) << m.index();
  EXPECT_EQ(decode_one(Role::kDevice, encode(KvmStart{}), SessionType::kKvm), Message(KvmStart{}));

  StartRedirectionSessionReply start;
  start.oem_data = Bytes(255, 0x5A);
  const std::vector<Message> device = {
      start,
      AuthenticateSessionReply{kAuthNotSupported, AuthType::kKerberos, {}},
      AuthenticateSessionReply{kStatusSuccess, AuthType::kQuery, hex("01 03 04")},
      StartSolReply{kStatusSuccess, 1, 0, SolSettings{}, 0x12345678},
      EndSolReply{11},
      KeepAlivePing{12},
      KeepAlivePong{13},
      SolControlsFromHost{14, 0x07, 0x1F},
      SolDataFromHost{15, bytes("\x1b[2J")},
      Heartbeat{16},
      RecordingNotice{},
  };
  for (const auto& m : device) EXPECT_EQ(decode_one(Role::kClient, encode(m)), m) << m.index();
  EXPECT_EQ(decode_one(Role::kClient, encode(KvmStartReply{}), SessionType::kKvm), Message(KvmStartReply{}));
}

TEST(RedirMessages, EncodeToAppends) {
  Bytes out = hex("AA");
  encode_to(Heartbeat{1}, out);
  encode_to(RawData{hex("BB CC")}, out);
  EXPECT_EQ(out, hex("AA 2B 00 00 00 01 00 00 00 BB CC"));
}

}  // namespace
