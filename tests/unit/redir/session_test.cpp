// Redirection sessions: client and device run the SOL, KVM and IDE-R handshakes (digest auth)
// against each other with whole, byte-by-byte and random chunks; wrong passwords, hostile bytes
// and amtterm's exact byte sequence against the device.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "mw/redir/session.hpp"
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

using namespace std::string_literals;

TokenSource counter_tokens(std::string prefix) {
  auto n = std::make_shared<int>(0);
  return [prefix, n] { return prefix + std::to_string(++*n); };
}

ClientConfig client_config(SessionType type, std::string password = "P@ssw0rd") {
  ClientConfig c;
  c.type = type;
  c.username = "admin";
  c.password = std::move(password);
  c.md5_hex = md5_hex;
  c.make_cnonce = counter_tokens("cn");
  return c;
}

DeviceConfig device_config() {
  DeviceConfig d;
  d.username = "admin";
  d.password = "P@ssw0rd";
  d.md5_hex = md5_hex;
  d.make_nonce = counter_tokens("nonce");
  return d;
}

// One-line summary of an event, so whole transcripts compare across chunkings.
std::string describe(const Event& e) {
  std::ostringstream s;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Ready>) {
          const char* name = v.type == SessionType::kSol ? "sol" : v.type == SessionType::kKvm ? "kvm" : "ider";
          s << "ready:" << name << ":" << v.sol.heartbeat_interval;
        } else if constexpr (std::is_same_v<T, Authenticated>) {
          s << "auth:" << static_cast<int>(v.method) << ":" << v.username;
        } else if constexpr (std::is_same_v<T, AuthFailed>) {
          s << "authfail:" << static_cast<int>(v.method) << ":" << static_cast<int>(v.status);
        } else if constexpr (std::is_same_v<T, SolData>) {
          s << "sol:" << std::string(v.data.begin(), v.data.end());
        } else if constexpr (std::is_same_v<T, SolControls>) {
          s << "controls:" << static_cast<int>(v.control) << ":" << static_cast<int>(v.status);
        } else if constexpr (std::is_same_v<T, RawData>) {
          s << "raw:" << std::string(v.data.begin(), v.data.end());
        } else if constexpr (std::is_same_v<T, RecordingNotice>) {
          s << "recording";
        } else if constexpr (std::is_same_v<T, SolEnded>) {
          s << "solended";
        } else if constexpr (std::is_same_v<T, Closed>) {
          s << "closed";
        } else {
          s << "failed:" << v.error.code;
        }
      },
      e);
  return s.str();
}

// Joins consecutive raw events: how raw bytes are cut depends on the chunking.
std::vector<std::string> transcript(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    std::string d = describe(e);
    if (!out.empty() && d.rfind("raw:", 0) == 0 && out.back().rfind("raw:", 0) == 0) {
      out.back() += d.substr(4);
    } else {
      out.push_back(std::move(d));
    }
  }
  return out;
}

// Client and device wired together; bytes cross in chunks of 0 = whole, 1 = single bytes,
// 2 = random sizes (seeded).
struct Link {
  ClientSession client;
  DeviceSession device;
  int mode;
  std::mt19937 rng;
  Bytes to_device, to_client;
  Bytes wire_to_device, wire_to_client;  // everything that crossed, for comparisons
  std::vector<Event> client_events, device_events;

  Link(ClientConfig c, DeviceConfig d, int chunk_mode, std::uint32_t seed)
      : client(std::move(c)), device(std::move(d)), mode(chunk_mode), rng(seed) {}

  void take_client(Output o) {
    to_device.insert(to_device.end(), o.send.begin(), o.send.end());
    for (auto& e : o.events) client_events.push_back(std::move(e));
  }
  void take_device(Output o) {
    to_client.insert(to_client.end(), o.send.begin(), o.send.end());
    for (auto& e : o.events) device_events.push_back(std::move(e));
  }
  std::size_t chunk(std::size_t left) {
    if (mode == 0) return left;
    if (mode == 1) return 1;
    return std::min(left, std::size_t{1} + rng() % 23);
  }
  void pump() {
    while (!to_device.empty() || !to_client.empty()) {
      Bytes d;
      d.swap(to_device);
      wire_to_device.insert(wire_to_device.end(), d.begin(), d.end());
      for (std::size_t pos = 0; pos < d.size();) {
        const std::size_t n = chunk(d.size() - pos);
        take_device(device.feed(std::span<const std::uint8_t>(d).subspan(pos, n)));
        pos += n;
      }
      Bytes c;
      c.swap(to_client);
      wire_to_client.insert(wire_to_client.end(), c.begin(), c.end());
      for (std::size_t pos = 0; pos < c.size();) {
        const std::size_t n = chunk(c.size() - pos);
        take_client(client.feed(std::span<const std::uint8_t>(c).subspan(pos, n)));
        pos += n;
      }
    }
  }
};

struct Outcome {
  std::vector<std::string> client, device;
  Bytes wire_to_device, wire_to_client;
  ClientState client_state;
  DeviceState device_state;
  bool operator==(const Outcome&) const = default;
};

// A full SOL session: handshake, data both ways, keep-alive and heartbeat, orderly end.
Outcome run_sol(int mode, std::uint32_t seed) {
  Link link(client_config(SessionType::kSol), device_config(), mode, seed);
  link.take_client(link.client.start());
  link.pump();
  EXPECT_EQ(link.client.state(), ClientState::kRunning);
  EXPECT_EQ(link.device.state(), DeviceState::kRunning);
  link.take_client(link.client.send_sol_data(bytes("dir\r")));
  link.take_device(link.device.send_sol_data(bytes("C:\\> ")));
  link.take_device(link.device.send_sol_controls(kControlDtr, kStatusPowerOn));
  link.take_client(link.client.tick(1000));  // starts the keep-alive clock
  link.take_client(link.client.tick(3000));  // one keep-alive
  link.pump();
  link.take_client(link.client.close());
  link.pump();
  return {transcript(link.client_events), transcript(link.device_events), link.wire_to_device,
          link.wire_to_client, link.client.state(), link.device.state()};
}

TEST(RedirSession, SolHandshakeWithDigestSameForAnyChunking) {
  const Outcome whole = run_sol(0, 0);
  const std::vector<std::string> client_expected = {"auth:4:admin", "ready:sol:0", "sol:C:\\> ",
                                                    "controls:2:4", "closed"};
  const std::vector<std::string> device_expected = {"auth:4:admin", "ready:sol:0", "sol:dir\r",
                                                    "solended", "closed"};
  EXPECT_EQ(whole.client, client_expected);
  EXPECT_EQ(whole.device, device_expected);
  EXPECT_EQ(whole.client_state, ClientState::kClosed);
  EXPECT_EQ(whole.device_state, DeviceState::kClosed);
  EXPECT_EQ(run_sol(1, 0), whole);
  for (std::uint32_t seed = 1; seed <= 20; ++seed) EXPECT_EQ(run_sol(2, seed), whole) << seed;
}

Outcome run_kvm(int mode, std::uint32_t seed) {
  Link link(client_config(SessionType::kKvm), device_config(), mode, seed);
  link.take_client(link.client.start());
  link.pump();
  // The device's RFB server speaks first; with chunking it may arrive with 0x41 in one read.
  link.take_device(link.device.send_raw(bytes("RFB 003.008\n")));
  link.pump();
  link.take_client(link.client.send_raw(bytes("RFB 003.008\n")));
  link.take_device(link.device.send_raw(hex("01 01")));
  link.pump();
  link.take_client(link.client.end_of_stream());
  link.take_device(link.device.end_of_stream());
  return {transcript(link.client_events), transcript(link.device_events), link.wire_to_device,
          link.wire_to_client, link.client.state(), link.device.state()};
}

TEST(RedirSession, KvmHandshakeWithDigestSameForAnyChunking) {
  const Outcome whole = run_kvm(0, 0);
  const std::vector<std::string> client_expected = {"auth:4:admin", "ready:kvm:0",
                                                    "raw:RFB 003.008\n\x01\x01", "closed"};
  const std::vector<std::string> device_expected = {"auth:4:admin", "ready:kvm:0",
                                                    "raw:RFB 003.008\n", "closed"};
  EXPECT_EQ(whole.client, client_expected);
  EXPECT_EQ(whole.device, device_expected);
  // The console's side of the fact-sheet flow: start KVMR, query, empty digest, digest, 0x40.
  EXPECT_EQ(Bytes(whole.wire_to_device.begin(), whole.wire_to_device.begin() + 17),
            hex("10 01 00 00 4B 56 4D 52 13 00 00 00 00 00 00 00 00"));
  EXPECT_EQ(run_kvm(1, 0), whole);
  for (std::uint32_t seed = 1; seed <= 20; ++seed) EXPECT_EQ(run_kvm(2, seed), whole) << seed;
}

TEST(RedirSession, KvmRfbInSameReadAsStartReply) {
  // AMT's 0x41 and "RFB 003.008\n" in one segment (fact sheet: bytes after 0x41 are RFB).
  ClientSession client(client_config(SessionType::kKvm));
  client.start();
  client.feed(encode(StartRedirectionSessionReply{}));
  client.feed(hex("14 00 00 00 00 01 00 00 00 04"));
  client.feed(cat({hex("14 01 00 00 04 0C 00 00 00 01 72 04 6E 6F 6E 63 04 61 75 74 68")}));
  Output done = client.feed(hex("14 00 00 00 04 00 00 00 00"));
  EXPECT_EQ(done.send, hex("40 00 00 00 00 00 00 00"));
  Output out = client.feed(cat({hex("41 00 00 00 00 00 00 00"), bytes("RFB 003.008\n")}));
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<Ready>(out.events[0]));
  EXPECT_EQ(std::get<RawData>(out.events[1]).data, bytes("RFB 003.008\n"));
}

TEST(RedirSession, IderHandsOverAfterAuthentication) {
  Link link(client_config(SessionType::kIder), device_config(), 0, 0);
  link.take_client(link.client.start());
  link.pump();
  EXPECT_EQ(link.client.state(), ClientState::kRunning);
  EXPECT_EQ(link.device.state(), DeviceState::kAuthenticated);
  link.take_client(link.client.send_raw(hex("40 00 00 00 01 00 00 00")));  // IDE-R OPEN_SESSION
  link.pump();
  EXPECT_EQ(link.device.state(), DeviceState::kRunning);
  link.take_device(link.device.send_raw(hex("41 00 00 00 01 00 00 00")));
  link.pump();
  EXPECT_EQ(transcript(link.client_events), (std::vector<std::string>{"auth:4:admin", "ready:ider:0",
                                                                      "raw:A\x00\x00\x00\x01\x00\x00\x00"s}));
}

TEST(RedirSession, WrongPasswordIsReportedToBothEnds) {
  for (int mode : {0, 1, 2}) {
    Link link(client_config(SessionType::kSol, "wrong"), device_config(), mode, 7);
    link.take_client(link.client.start());
    link.pump();
    EXPECT_EQ(link.client.state(), ClientState::kFailed);
    ASSERT_EQ(link.client_events.size(), 1u);
    const auto& failed = std::get<AuthFailed>(link.client_events[0]);
    EXPECT_EQ(failed.status, kAuthFailure);
    EXPECT_EQ(failed.method, AuthType::kDigest);
    EXPECT_EQ(transcript(link.device_events), std::vector<std::string>{"authfail:4:1"});
    EXPECT_EQ(link.device.state(), DeviceState::kAuthenticating);  // may try again
  }
}

TEST(RedirSession, DeviceGivesUpAfterMaxAttempts) {
  DeviceConfig cfg = device_config();
  cfg.max_auth_attempts = 2;
  DeviceSession device(cfg);
  device.feed(hex("10 00 00 00 53 4F 4C 20"));
  const Bytes wrong = cat({hex("13 00 00 00 01 08 00 00 00 05"), bytes("admin"), hex("01"), bytes("x")});
  Output first = device.feed(wrong);
  EXPECT_EQ(first.send, hex("14 01 00 00 01 00 00 00 00"));
  EXPECT_EQ(device.state(), DeviceState::kAuthenticating);
  Output second = device.feed(wrong);
  EXPECT_EQ(device.state(), DeviceState::kFailed);
  ASSERT_EQ(second.events.size(), 2u);
  EXPECT_EQ(std::get<Failed>(second.events[1]).error.code, "redir-auth-attempts");
}

TEST(RedirSession, LegacyDigestAndPlaintextChoices) {
  // Only type 3 offered: the client uses it.
  {
    DeviceConfig d = device_config();
    d.auth_methods = {AuthType::kLegacyDigest};
    Link link(client_config(SessionType::kSol), d, 0, 0);
    link.take_client(link.client.start());
    link.pump();
    EXPECT_EQ(transcript(link.client_events)[0], "auth:3:admin");
    EXPECT_EQ(link.client.state(), ClientState::kRunning);
  }
  // Only plaintext offered: refused unless the owner allows it.
  {
    DeviceConfig d = device_config();
    d.auth_methods = {AuthType::kUserPassword};
    Link link(client_config(SessionType::kSol), d, 0, 0);
    link.take_client(link.client.start());
    link.pump();
    EXPECT_EQ(transcript(link.client_events), std::vector<std::string>{"failed:redir-no-auth-method"});
    ClientConfig allow = client_config(SessionType::kSol);
    allow.allow_user_password = true;
    Link ok(allow, d, 1, 0);
    ok.take_client(ok.client.start());
    ok.pump();
    EXPECT_EQ(transcript(ok.client_events)[0], "auth:1:admin");
    EXPECT_EQ(ok.client.state(), ClientState::kRunning);
  }
}

// amtterm 1.4 (redir.c), byte for byte: no query, plaintext auth, sequence 0 everywhere.
TEST(RedirSession, DeviceAcceptsAmttermExactly) {
  DeviceSession device(device_config());
  Output start = device.feed(hex("10 00 00 00 53 4F 4C 20"));
  // amtterm needs exactly 13 bytes (OEM length 0) and status 0 at byte 1.
  EXPECT_EQ(start.send, hex("11 00 00 00 01 00 01 00 57 01 00 00 00"));

  Output auth = device.feed(cat({hex("13 00 00 00 01 0F 00 00 00 05"), bytes("admin"), hex("08"), bytes("P@ssw0rd")}));
  EXPECT_EQ(auth.send, hex("14 00 00 00 01 00 00 00 00"));
  EXPECT_EQ(transcript(auth.events), std::vector<std::string>{"auth:1:admin"});

  Output sol = device.feed(hex("20 00 00 00 00 00 00 00 E8 03 64 00 00 00 10 27 00 00 88 13 00 00 00 00"));
  ASSERT_EQ(sol.send.size(), 23u);
  EXPECT_EQ(sol.send[0], 0x21);
  EXPECT_EQ(sol.send[1], kStatusSuccess);
  EXPECT_EQ(transcript(sol.events), std::vector<std::string>{"ready:sol:5000"});

  // Heartbeats at the 5000 ms amtterm asked for; amtterm echoes them unchanged.
  EXPECT_TRUE(device.tick(100000).send.empty());
  EXPECT_TRUE(device.tick(104999).send.empty());
  Output hb = device.tick(105000);
  EXPECT_EQ(hb.send, hex("2B 00 00 00 01 00 00 00"));
  EXPECT_TRUE(device.feed(hb.send).events.empty());

  Output typed = device.feed(hex("28 00 00 00 00 00 00 00 03 00 6C 73 0D"));
  EXPECT_EQ(transcript(typed.events), std::vector<std::string>{"sol:ls\r"});

  // ^]: EndSol, then the keystroke itself as data, then (after 0x23) EndRedirectionSession.
  Output end = device.feed(cat({hex("22 00 00 00 00 00 00 00"), hex("28 00 00 00 00 00 00 00 01 00 1D")}));
  EXPECT_EQ(end.send, hex("23 00 00 00 00 00 00 00"));
  EXPECT_EQ(transcript(end.events), (std::vector<std::string>{"solended", "sol:\x1d"}));
  Output bye = device.feed(hex("12 00 00 00"));
  EXPECT_EQ(transcript(bye.events), std::vector<std::string>{"closed"});
  EXPECT_EQ(device.state(), DeviceState::kClosed);
}

TEST(RedirSession, DeviceRejectsAmttermWrongPassword) {
  DeviceSession device(device_config());
  device.feed(hex("10 00 00 00 53 4F 4C 20"));
  Output auth = device.feed(cat({hex("13 00 00 00 01 0C 00 00 00 05"), bytes("admin"), hex("05"), bytes("guess")}));
  EXPECT_EQ(auth.send, hex("14 01 00 00 01 00 00 00 00"));
  EXPECT_EQ(transcript(auth.events), std::vector<std::string>{"authfail:1:1"});
  // amtterm then closes the connection.
  EXPECT_EQ(transcript(device.end_of_stream().events), std::vector<std::string>{"closed"});
}

TEST(RedirSession, DeviceAcceptsMeshCommanderSolExtras) {
  // MeshCommander: query, digest, StartSol seq 1, then 0x27 and 2-second 0x2B keep-alives.
  Link link(client_config(SessionType::kSol), device_config(), 0, 0);
  link.take_client(link.client.start());
  link.pump();
  Output extras = link.device.feed(cat({hex("27 00 00 00 02 00 00 00 00 00 1B 00 00 00"),
                                        hex("2B 00 00 00 03 00 00 00"), hex("24 00 00 00 04 00 00 00")}));
  EXPECT_TRUE(extras.events.empty());
  EXPECT_EQ(extras.send, hex("25 00 00 00 04 00 00 00"));  // ping answered with pong
  EXPECT_EQ(link.device.state(), DeviceState::kRunning);
}

TEST(RedirSession, DeviceRefusesDisabledSessionType) {
  DeviceConfig cfg = device_config();
  cfg.session_types = {SessionType::kSol};
  DeviceSession device(cfg);
  Output out = device.feed(hex("10 01 00 00 4B 56 4D 52"));
  ASSERT_EQ(out.send.size(), 13u);
  EXPECT_EQ(out.send[1], kStartUnsupported);
  EXPECT_EQ(device.state(), DeviceState::kFailed);
  DeviceSession other(device_config());
  EXPECT_EQ(other.feed(hex("10 00 00 00 41 42 43 44")).send[1], kStartTypeUnknown);

  ClientSession client(client_config(SessionType::kKvm));
  client.start();
  Output refused = client.feed(out.send);
  EXPECT_EQ(transcript(refused.events), std::vector<std::string>{"failed:redir-start-refused"});
}

TEST(RedirSession, ClientAcceptsInterceptorShortcut) {
  // A front end that authenticates for us answers the empty digest request with success.
  ClientSession client(client_config(SessionType::kSol));
  client.start();
  client.feed(encode(StartRedirectionSessionReply{}));
  client.feed(hex("14 00 00 00 00 01 00 00 00 04"));
  Output out = client.feed(hex("14 00 00 00 04 00 00 00 00"));
  EXPECT_EQ(transcript(out.events), std::vector<std::string>{"auth:4:admin"});
  EXPECT_EQ(out.send[0], 0x20);
}

TEST(RedirSession, RecordingNoticeIsPassedOn) {
  ClientSession client(client_config(SessionType::kSol));
  client.start();
  Output out = client.feed(cat({hex("F0"), encode(StartRedirectionSessionReply{})}));
  EXPECT_EQ(transcript(out.events), std::vector<std::string>{"recording"});
  EXPECT_EQ(out.send, hex("13 00 00 00 00 00 00 00 00"));
}

TEST(RedirSession, GarbageAndTruncationFailBothEnds) {
  ClientSession client(client_config(SessionType::kSol));
  client.start();
  Output bad = client.feed(hex("99 99 99 99"));
  EXPECT_EQ(transcript(bad.events), std::vector<std::string>{"failed:redir-unknown-command"});
  EXPECT_TRUE(client.feed(encode(StartRedirectionSessionReply{})).events.empty());  // finished

  DeviceSession device(device_config());
  EXPECT_EQ(transcript(device.feed(hex("13 00 00 00 04 00 00 10 00")).events),
            std::vector<std::string>{"failed:redir-too-long"});

  DeviceSession cut(device_config());
  cut.feed(hex("10 00 00 00 53 4F"));
  EXPECT_EQ(transcript(cut.end_of_stream().events), std::vector<std::string>{"failed:redir-truncated"});

  ClientSession early(client_config(SessionType::kSol));
  early.start();
  early.feed(encode(StartRedirectionSessionReply{}));
  EXPECT_EQ(transcript(early.end_of_stream().events), std::vector<std::string>{"failed:redir-eof"});
}

TEST(RedirSession, OutOfOrderMessagesAreErrors) {
  DeviceSession device(device_config());
  device.feed(hex("10 00 00 00 53 4F 4C 20"));
  // SOL before authentication.
  EXPECT_EQ(transcript(device.feed(encode(StartSol{0, kAmttermSolSettings})).events),
            std::vector<std::string>{"failed:redir-unexpected"});

  DeviceSession ider(device_config());
  ider.feed(hex("10 00 00 00 49 44 45 52"));
  EXPECT_EQ(transcript(ider.feed(hex("40 00 00 00 00 00 00 00")).events),
            std::vector<std::string>{"failed:redir-unauthenticated"});

  ClientSession client(client_config(SessionType::kSol));
  client.start();
  EXPECT_EQ(transcript(client.feed(encode(StartSolReply{})).events),
            std::vector<std::string>{"failed:redir-unexpected"});
}

TEST(RedirSession, SolDataIsSplitIntoChunks) {
  ClientConfig c = client_config(SessionType::kSol);
  c.max_sol_chunk = 4;
  Link link(c, device_config(), 0, 0);
  link.take_client(link.client.start());
  link.pump();
  const Output out = link.client.send_sol_data(bytes("0123456789"));
  Decoder d(Role::kDevice);
  auto msgs = d.feed(out.send);
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), 3u);
  EXPECT_EQ(std::get<SolDataToHost>((*msgs)[2]).data, bytes("89"));
  // Sequence numbers keep counting (1 went to StartSol).
  EXPECT_EQ(std::get<SolDataToHost>((*msgs)[0]).sequence, 2u);
  EXPECT_EQ(std::get<SolDataToHost>((*msgs)[2]).sequence, 4u);
}

TEST(RedirSession, CallsOutsideTheirStateAreIgnored) {
  ClientSession client(client_config(SessionType::kSol));
  EXPECT_TRUE(client.send_sol_data(bytes("x")).send.empty());
  EXPECT_TRUE(client.send_raw(bytes("x")).send.empty());
  EXPECT_TRUE(client.tick(5000).send.empty());
  DeviceSession device(device_config());
  EXPECT_TRUE(device.send_sol_data(bytes("x")).send.empty());
  EXPECT_TRUE(device.send_sol_controls(1, 1).send.empty());
  EXPECT_TRUE(device.tick(5000).send.empty());
  // Closing before anything was sent just ends the session.
  EXPECT_EQ(transcript(client.close().events), std::vector<std::string>{"closed"});
}

}  // namespace
