// APF sessions: a full CIRA session between MpsSession and DeviceSession (login, ports, channels
// with data beyond the window, closes from either side and both at once, keep-alives) delivered
// whole, byte by byte and in seeded random chunks with identical outcomes; a wire checker that
// no side ever sends beyond the peer's window; wrong password; hostile input.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "mw/apf/device_session.hpp"
#include "mw/apf/mps_session.hpp"
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


Bytes wire(std::initializer_list<Message> messages) {
  Bytes out;
  for (const auto& m : messages) encode_to(m, out);
  return out;
}

constexpr std::string_view kUser = "aB3dE5gH7jK9mN1p";  // 16 characters, like MeshCentral's
constexpr std::string_view kPassword = "P@ssw0rd-mps";

// [SECTION] Wire checker: decodes both directions and checks window flow control.

class WireChecker {
 public:
  void mps_to_device(std::span<const std::uint8_t> bytes) { run(to_dev_, bytes, true); }
  void device_to_mps(std::span<const std::uint8_t> bytes) { run(to_mps_, bytes, false); }
  std::size_t adjusts_to_mps = 0;  // WINDOW_ADJUSTs the device sent
  std::size_t adjusts_to_dev = 0;
  std::size_t data_messages = 0;
  std::vector<std::string> violations;

 private:
  // Credits and sent totals keyed by the recipient id the data carries.
  struct Side {
    std::map<std::uint32_t, std::uint64_t> credit;
    std::map<std::uint32_t, std::uint64_t> sent;
    std::map<std::uint32_t, std::uint32_t> opened_window;  // by the opener's own id
    std::map<std::uint32_t, std::uint32_t> peer_of;        // own id -> peer id
  };

  void run(mw::apf::Decoder& d, std::span<const std::uint8_t> bytes, bool from_mps) {
    Side& me = from_mps ? mps_ : dev_;
    Side& peer = from_mps ? dev_ : mps_;
    for (;;) {
      auto r = d.next(bytes);
      ASSERT_TRUE(r.ok()) << r.error().message;
      if (!r.value()) return;
      const Message& m = *r.value();
      if (auto* g = std::get_if<GlobalRequest>(&m); g && !from_mps && g->want_reply) {
        // Like the device session: tell the other direction's decoder how the reply looks.
        to_dev_.expect_reply(g->name == kCancelTcpipForward ? ReplyForm::kBare : ReplyForm::kWithPort);
      } else if (auto* o = std::get_if<ChannelOpen>(&m)) {
        me.opened_window[o->sender] = o->window;
      } else if (auto* c = std::get_if<ChannelOpenConfirmation>(&m)) {
        // The confirmer (me) accepts data up to c->window; the opener (peer) announced its own.
        me.peer_of[c->sender] = c->recipient;
        peer.peer_of[c->recipient] = c->sender;
        peer.credit[c->sender] = c->window;  // what the peer may send to me (addressed to my id)
        me.credit[c->recipient] = peer.opened_window[c->recipient];
      } else if (auto* a = std::get_if<ChannelWindowAdjust>(&m)) {
        // I grant the peer more: data the peer sends me carries my id = peer_of[recipient] seen from the peer.
        peer.credit[peer.peer_of[a->recipient]] += a->bytes;
        (from_mps ? adjusts_to_dev : adjusts_to_mps)++;
      } else if (auto* data = std::get_if<ChannelData>(&m)) {
        ++data_messages;
        me.sent[data->recipient] += data->data.size();
        if (me.sent[data->recipient] > me.credit[data->recipient]) {
          violations.push_back(std::string(from_mps ? "MPS" : "device") + " sent beyond the window of channel " +
                               std::to_string(data->recipient));
        }
      }
    }
  }

  mw::apf::Decoder to_dev_;
  mw::apf::Decoder to_mps_;
  Side mps_;  // data the MPS sends, keyed by the device's channel id
  Side dev_;
};

TEST(ApfSession, WireCheckerSeesDataBeyondTheWindow) {
  WireChecker w;
  const std::uint8_t five[] = {1, 2, 3, 4, 5};
  w.mps_to_device(wire({ChannelOpen{std::string(kForwardedTcpip), 4, 32768, kNoMaxPacket, "", 16992, "1.2.3.4", 1024}}));
  w.device_to_mps(wire({ChannelOpenConfirmation{4, 1, 8, kNoMaxPacket}}));
  w.mps_to_device(wire({ChannelData{1, five}}));
  EXPECT_TRUE(w.violations.empty());
  w.mps_to_device(wire({ChannelData{1, five}}));  // 10 > 8
  EXPECT_EQ(w.violations.size(), 1u);
  w.device_to_mps(wire({ChannelWindowAdjust{4, 100}}));
  w.mps_to_device(wire({ChannelData{1, five}}));
  EXPECT_EQ(w.violations.size(), 1u);
}

// [SECTION] Harness: two sessions, two owners, a wire with configurable chunking.

enum class Mode { kWhole, kBytes, kRandom };

class ByteQueue {
 public:
  void push(const Bytes& b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
  std::size_t size() const { return buf_.size() - head_; }
  std::span<const std::uint8_t> front(std::size_t n) const {
    return std::span<const std::uint8_t>(buf_).subspan(head_, n);
  }
  void pop(std::size_t n) {
    head_ += n;
    if (head_ == buf_.size()) {
      buf_.clear();
      head_ = 0;
    } else if (head_ > (1u << 20)) {
      buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

 private:
  Bytes buf_;
  std::size_t head_ = 0;
};

DeviceConfig device_config(std::vector<std::uint32_t> ports = {16992, 16993}) {
  DeviceConfig c;
  c.username = std::string(kUser);
  c.password = std::string(kPassword);
  for (std::size_t i = 0; i < c.uuid.size(); ++i) c.uuid[i] = static_cast<std::uint8_t>(0xA0 + i);
  c.trigger = trigger::kPeriodic;
  c.host = "amt-host.example";
  c.ports = std::move(ports);
  return c;
}

std::string hex_of(std::span<const std::uint8_t> b) { return mw::util::hex_encode(b); }

class Harness {
 public:
  Harness(Mode mode, std::uint32_t seed, DeviceConfig dc = device_config(), MpsConfig mc = {})
      : mps(std::move(mc)), dev(std::move(dc)), mode_(mode), rng_(seed) {}

  MpsSession mps;
  DeviceSession dev;
  std::vector<std::string> mps_log;
  std::vector<std::string> dev_log;
  std::map<std::uint32_t, Bytes> mps_rx;  // by MPS channel id
  std::map<std::uint32_t, Bytes> dev_rx;  // by device channel id
  std::map<std::uint32_t, std::uint32_t> dev_port;  // device channel id -> port
  Bytes mps_sent;  // every byte the MPS sent (for byte checks)
  WireChecker checker;

  bool dev_consumes = true;
  bool mps_consumes = true;
  // The device owner's reaction to data: the channel, the bytes just received, all so far.
  std::function<void(std::uint32_t, const Bytes&, const Bytes&)> on_dev_data;

  // Runs both ends until nothing more is in flight.
  void pump() {
    for (std::size_t guard = 0; guard < 50'000'000; ++guard) {
      collect();
      if (to_dev_.size() == 0 && to_mps_.size() == 0) {
        EXPECT_TRUE(checker.violations.empty()) << checker.violations.front();
        return;
      }
      if (to_dev_.size() != 0) {
        const auto chunk = to_dev_.front(chunk_size(to_dev_.size()));
        checker.mps_to_device(chunk);
        dev.feed(chunk);
        to_dev_.pop(chunk.size());
      }
      collect();
      if (to_mps_.size() != 0) {
        const auto chunk = to_mps_.front(chunk_size(to_mps_.size()));
        checker.device_to_mps(chunk);
        mps.feed(chunk);
        to_mps_.pop(chunk.size());
      }
    }
    ADD_FAILURE() << "pump did not settle";
  }

 private:
  std::size_t chunk_size(std::size_t available) {
    switch (mode_) {
      case Mode::kWhole: return available;
      case Mode::kBytes: return 1;
      case Mode::kRandom: return std::min<std::size_t>(available, 1 + rng_() % 3000);
    }
    return available;
  }

  void collect() {
    for (;;) {
      Output a = mps.take_output();
      Output b = dev.take_output();
      if (a.send.empty() && a.events.empty() && b.send.empty() && b.events.empty()) return;
      to_dev_.push(a.send);
      mps_sent.insert(mps_sent.end(), a.send.begin(), a.send.end());
      to_mps_.push(b.send);
      for (auto& e : a.events) on_mps_event(e);
      for (auto& e : b.events) on_dev_event(e);
    }
  }

  static std::string common(const Event& e, const std::map<std::uint32_t, Bytes>& rx) {
    if (auto* v = std::get_if<VersionReceived>(&e)) {
      return "version " + std::to_string(v->version.major) + "." + std::to_string(v->version.minor) + " " +
             uuid_to_string(v->version.uuid);
    }
    if (auto* a = std::get_if<Authenticated>(&e)) return "authenticated " + a->username;
    if (auto* f = std::get_if<AuthFailed>(&e)) return "auth-failed " + f->username + " " + f->method;
    if (auto* f = std::get_if<ForwardAdded>(&e)) return "forward-added " + f->address + ":" + std::to_string(f->port);
    if (auto* f = std::get_if<ForwardRemoved>(&e)) return "forward-removed " + std::to_string(f->port);
    if (auto* f = std::get_if<ForwardFailed>(&e)) return "forward-failed " + std::to_string(f->port);
    if (std::holds_alternative<Ready>(e)) return "ready";
    if (auto* o = std::get_if<ChannelOpened>(&e)) return "opened " + std::to_string(o->channel);
    if (auto* o = std::get_if<ChannelOpenFailed>(&e)) {
      return "open-failed " + std::to_string(o->channel) + " reason " + std::to_string(o->reason);
    }
    if (auto* d = std::get_if<ChannelDrained>(&e)) return "drained " + std::to_string(d->channel);
    if (auto* d = std::get_if<ChannelEofReceived>(&e)) return "eof " + std::to_string(d->channel);
    if (auto* c = std::get_if<ChannelClosed>(&e)) {
      auto it = rx.find(c->channel);
      const std::size_t n = it == rx.end() ? 0 : it->second.size();
      return "closed " + std::to_string(c->channel) + " after " + std::to_string(n) + " bytes";
    }
    if (auto* k = std::get_if<KeepAliveReceived>(&e)) return "keepalive-received " + std::to_string(k->cookie);
    if (auto* k = std::get_if<KeepAliveAnswered>(&e)) return "keepalive-answered " + std::to_string(k->cookie);
    if (auto* k = std::get_if<KeepAliveOptionsReceived>(&e)) {
      return "keepalive-options " + std::to_string(k->interval_s) + "/" + std::to_string(k->timeout_s);
    }
    if (auto* d = std::get_if<Disconnected>(&e)) return "disconnected " + std::to_string(d->reason);
    if (std::holds_alternative<Closed>(e)) return "closed";
    if (auto* f = std::get_if<Failed>(&e)) return "failed " + f->error.code;
    return "";
  }

  void on_mps_event(Event& e) {
    if (auto* a = std::get_if<AuthRequested>(&e)) {
      mps_log.push_back("auth-requested " + a->username + " for " + a->service);
      if (a->username == kUser && a->password == kPassword) {
        mps.accept_auth();
      } else {
        mps.reject_auth();
      }
      return;
    }
    if (auto* r = std::get_if<ChannelReceived>(&e)) {
      auto& rx = mps_rx[r->channel];
      rx.insert(rx.end(), r->data.begin(), r->data.end());
      if (mps_consumes) mps.consume(r->channel, r->data.size());
      return;
    }
    mps_log.push_back(common(e, mps_rx));
  }

  void on_dev_event(Event& e) {
    if (auto* o = std::get_if<ChannelOpenRequested>(&e)) {
      dev_port[o->channel] = o->connected_port;
      dev_log.push_back("open-requested " + std::to_string(o->channel) + " " + o->type + " " + o->connected_address +
                        ":" + std::to_string(o->connected_port) + " from " + o->originator_address);
      dev.accept_channel(o->channel);
      return;
    }
    if (auto* r = std::get_if<ChannelReceived>(&e)) {
      auto& rx = dev_rx[r->channel];
      rx.insert(rx.end(), r->data.begin(), r->data.end());
      if (dev_consumes) dev.consume(r->channel, r->data.size());
      if (on_dev_data) on_dev_data(r->channel, r->data, rx);
      return;
    }
    dev_log.push_back(common(e, dev_rx));
  }

  Mode mode_;
  std::mt19937 rng_;
  ByteQueue to_dev_;
  ByteQueue to_mps_;
};

std::uint32_t device_channel_for(const Harness& h, std::uint32_t port) {
  std::uint32_t id = 0;
  for (const auto& [ch, p] : h.dev_port) {
    if (p == port) id = std::max(id, ch);
  }
  return id;
}

std::string failure_of(Session& s) {
  const Output out = s.take_output();
  for (const auto& e : out.events) {
    if (auto* f = std::get_if<Failed>(&e)) return f->error.code;
  }
  return "";
}

// [SECTION] The full CIRA session

struct CiraOutcome {
  std::vector<std::string> mps_log;
  std::vector<std::string> dev_log;
  bool operator==(const CiraOutcome&) const = default;
};

CiraOutcome run_full_session(Mode mode, std::uint32_t seed) {
  Harness h(mode, seed);
  const Bytes request = payload(100000, 11);   // > 3 windows of 32768
  const Bytes response = payload(150000, 12);
  h.on_dev_data = [&](std::uint32_t ch, const Bytes& fresh, const Bytes& all) {
    const std::uint32_t port = h.dev_port[ch];
    if (port == 16992 && all.size() == request.size()) {
      // The "web server" answers once the whole request is in, then closes (device-side close).
      EXPECT_TRUE(h.dev.send_data(ch, response));
      EXPECT_TRUE(h.dev.close_channel(ch));
    } else if (port == 16993) {
      h.dev.send_data(ch, fresh);  // echo
    }
  };

  // Version, auth service, login, pfwd service, two ports.
  h.dev.start();
  h.pump();
  EXPECT_EQ(h.mps.state(), MpsState::kRunning);
  EXPECT_EQ(h.dev.state(), DeviceState::kRunning);
  EXPECT_EQ(h.mps.username(), kUser);
  EXPECT_TRUE(h.mps.forwarded(16992));
  EXPECT_TRUE(h.mps.forwarded(16993));
  EXPECT_FALSE(h.mps.forwarded(5900));
  EXPECT_EQ(h.dev.forwarded_ports(), (std::vector<std::uint32_t>{16992, 16993}));
  EXPECT_TRUE(h.mps.version().has_value());

  // Channel to 16992: data both ways beyond the window, closed by the device.
  const auto c1 = h.mps.open_channel(16992);
  EXPECT_TRUE(c1.has_value());
  EXPECT_EQ(*c1, 4u);  // the reference MPSs' first id
  EXPECT_TRUE(h.mps.send_data(*c1, request));  // queued before the confirmation
  h.pump();
  EXPECT_EQ(h.dev_rx[device_channel_for(h, 16992)], request);
  EXPECT_EQ(h.mps_rx[*c1], response);
  EXPECT_FALSE(h.mps.channel(*c1).has_value());
  EXPECT_GT(h.checker.adjusts_to_mps, 0u);  // the window had to be reopened both ways
  EXPECT_GT(h.checker.adjusts_to_dev, 0u);
  EXPECT_GE(h.checker.data_messages, (request.size() + response.size()) / 32768);

  // Channel to 16993: a small echo, closed by the MPS.
  const auto c2 = h.mps.open_channel(16993);
  EXPECT_TRUE(c2.has_value());
  h.pump();
  const std::string get = "GET / HTTP/1.1\r\n\r\n";
  h.mps.send_data(*c2, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(get.data()), get.size()));
  h.pump();
  EXPECT_EQ(std::string(h.mps_rx[*c2].begin(), h.mps_rx[*c2].end()), get);
  EXPECT_TRUE(h.mps.close_channel(*c2));
  h.pump();
  EXPECT_TRUE(h.mps.channel_ids().empty());
  EXPECT_TRUE(h.dev.channel_ids().empty());

  // Channel to 16992 again, closed by both ends at the same time.
  const auto c3 = h.mps.open_channel(16992);
  EXPECT_TRUE(c3.has_value());
  h.pump();
  const std::uint32_t d3 = device_channel_for(h, 16992);
  EXPECT_EQ(h.dev.channel(d3)->state, ChannelState::kOpen);
  EXPECT_TRUE(h.mps.close_channel(*c3));
  EXPECT_TRUE(h.dev.close_channel(d3));
  h.pump();
  EXPECT_TRUE(h.mps.channel_ids().empty());
  EXPECT_TRUE(h.dev.channel_ids().empty());

  // Keep-alive both ways, then options.
  const std::uint32_t cookie = h.dev.send_keepalive();
  h.mps.send_keepalive();
  h.mps.request_keepalive_options(30, 0);
  h.pump();

  // The device says goodbye.
  h.dev.disconnect();
  h.pump();
  EXPECT_TRUE(h.mps.finished());
  EXPECT_TRUE(h.dev.finished());
  EXPECT_EQ(h.mps.state(), MpsState::kClosed);

  const std::vector<std::string> mps_expected = {
      "version 1.0 a3a2a1a0-a5a4-a7a6-a8a9-aaabacadaeaf",
      "auth-requested aB3dE5gH7jK9mN1p for pfwd@amt.intel.com",
      "authenticated aB3dE5gH7jK9mN1p",
      "forward-added amt-host.example:16992",
      "forward-added amt-host.example:16993",
      "opened 4",
      "drained 4",
      "closed 4 after 150000 bytes",
      "opened 5",
      "closed 5 after 18 bytes",
      "opened 6",
      "closed 6 after 0 bytes",
      "keepalive-received " + std::to_string(cookie),
      "keepalive-answered 1",
      "keepalive-options 30/0",
      "disconnected 11",
  };
  const std::vector<std::string> dev_expected = {
      "authenticated aB3dE5gH7jK9mN1p",
      "forward-added amt-host.example:16992",
      "forward-added amt-host.example:16993",
      "ready",
      "open-requested 1 forwarded-tcpip amt-host.example:16992 from 1.2.3.4",
      "opened 1",
      "drained 1",
      "closed 1 after 100000 bytes",
      "open-requested 2 forwarded-tcpip amt-host.example:16993 from 1.2.3.4",
      "opened 2",
      "closed 2 after 18 bytes",
      "open-requested 3 forwarded-tcpip amt-host.example:16992 from 1.2.3.4",
      "opened 3",
      "closed 3 after 0 bytes",
      "keepalive-received 1",
      "keepalive-options 30/0",
      "keepalive-answered " + std::to_string(cookie),
      "closed",
  };
  EXPECT_EQ(h.mps_log, mps_expected);
  EXPECT_EQ(h.dev_log, dev_expected);
  return {h.mps_log, h.dev_log};
}

TEST(ApfSession, FullCiraSessionWhole) { run_full_session(Mode::kWhole, 1); }

TEST(ApfSession, FullCiraSessionSameOutcomeByteByByteAndInRandomChunks) {
  const CiraOutcome whole = run_full_session(Mode::kWhole, 1);
  EXPECT_EQ(run_full_session(Mode::kBytes, 1), whole);
  for (std::uint32_t seed : {7u, 42u, 20240601u}) EXPECT_EQ(run_full_session(Mode::kRandom, seed), whole) << seed;
}

TEST(ApfSession, DeviceSendsTheDocumentedHandshakeBytes) {
  DeviceConfig c = device_config({16992});
  c.uuid = Uuid{};
  c.trigger = trigger::kUserInitiated;
  DeviceSession dev(c);
  dev.start();
  const Output out = dev.take_output();
  // PROTOCOLVERSION 1.0 (93 bytes) then SERVICE_REQUEST "auth@amt.intel.com".
  EXPECT_EQ(hex_of(out.send), "c0" "00000001" "00000000" "00000001" + std::string(160, '0') +
                                  "05" "00000012" "6175746840616d742e696e74656c2e636f6d");
  EXPECT_EQ(dev.state(), DeviceState::kWaitAuthService);
}

TEST(ApfSession, MpsAnswersWithTheDocumentedBytes) {
  MpsSession mps;
  mps.feed(wire({ProtocolVersion{}, ServiceRequest{"auth@amt.intel.com"},
                 UserAuthRequest{"u", "pfwd@amt.intel.com", "password", "p", false, ""}}));
  Output out = mps.take_output();
  EXPECT_EQ(hex_of(out.send), "06" "00000012" "6175746840616d742e696e74656c2e636f6d");
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<AuthRequested>(out.events[1]));
  mps.accept_auth();
  EXPECT_EQ(hex_of(mps.take_output().send), "34");
  mps.feed(wire({ServiceRequest{"pfwd@amt.intel.com"},
                 GlobalRequest{"tcpip-forward", true, "", 16992, "", 0, {}},
                 GlobalRequest{"tcpip-forward", true, "", 5900, "", 0, {}}}));
  // SERVICE_ACCEPT pfwd, REQUEST_SUCCESS(16992), REQUEST_SUCCESS(5900), KEEPALIVE_OPTIONS_REQUEST(30, 0).
  EXPECT_EQ(hex_of(mps.take_output().send), "06" "00000012" "7066776440616d742e696e74656c2e636f6d"
                                            "51" "00004260" "51" "0000170c" "d2" "0000001e" "00000000");
  const auto ch = mps.open_channel(16992);
  ASSERT_TRUE(ch.has_value());
  // forwarded-tcpip, id 4, window 32768, 0xFFFFFFFF, "" : 16992, "1.2.3.4" : 1024.
  EXPECT_EQ(hex_of(mps.take_output().send), "5a" "0000000f" "666f727761726465642d7463706970" "00000004" "00008000"
                                            "ffffffff" "00000000" "00004260" "00000007" "312e322e332e34" "00000400");
}

TEST(ApfSession, WrongPasswordGivesUserAuthFailureAndBothOwnersSeeIt) {
  DeviceConfig c = device_config();
  c.password = "wrong";
  for (Mode mode : {Mode::kWhole, Mode::kBytes}) {
    Harness h(mode, 3, c);
    h.dev.start();
    h.pump();
    EXPECT_EQ(h.mps_log, (std::vector<std::string>{"version 1.0 a3a2a1a0-a5a4-a7a6-a8a9-aaabacadaeaf",
                                                   "auth-requested aB3dE5gH7jK9mN1p for pfwd@amt.intel.com",
                                                   "auth-failed aB3dE5gH7jK9mN1p password", "closed"}));
    EXPECT_EQ(h.dev_log, (std::vector<std::string>{"auth-failed aB3dE5gH7jK9mN1p password", "closed"}));
    EXPECT_EQ(h.dev.state(), DeviceState::kClosed);
    EXPECT_EQ(h.mps.state(), MpsState::kClosed);
    // USERAUTH_FAILURE("password", FALSE), then DISCONNECT(no more auth methods).
    const std::string sent = hex_of(h.mps_sent);
    EXPECT_NE(sent.find("330000000870617373776f726400" "010000000e0000"), std::string::npos) << sent;
  }
}

TEST(ApfSession, MpsAllowsRetriesWhenConfigured) {
  MpsConfig mc;
  mc.max_auth_attempts = 3;
  MpsSession mps(mc);
  mps.feed(wire({ProtocolVersion{}, UserAuthRequest{"u", "pfwd@amt.intel.com", "password", "bad", false, ""}}));
  mps.reject_auth();
  mps.feed(wire({UserAuthRequest{"u", "pfwd@amt.intel.com", "password", "good", false, ""}}));
  mps.accept_auth();
  EXPECT_EQ(mps.state(), MpsState::kWaitService);
  EXPECT_EQ(hex_of(mps.take_output().send), "330000000870617373776f726400" "34");
}

TEST(ApfSession, NonPasswordMethodsAreRefusedWithoutAskingTheOwner) {
  MpsSession mps;
  mps.feed(wire({ProtocolVersion{}, UserAuthRequest{"u", "pfwd@amt.intel.com", "none", "", false, ""}}));
  const Output out = mps.take_output();
  EXPECT_EQ(hex_of(out.send), "330000000870617373776f726400");
  ASSERT_EQ(out.events.size(), 2u);
  ASSERT_TRUE(std::holds_alternative<AuthFailed>(out.events[1]));
  EXPECT_EQ(std::get<AuthFailed>(out.events[1]).method, "none");
  EXPECT_EQ(mps.state(), MpsState::kWaitAuth);
}

TEST(ApfSession, InputAfterTheLoginWaitsForTheOwner) {
  MpsSession mps;
  // A device that does not wait for USERAUTH_SUCCESS: everything in one chunk.
  mps.feed(wire({ProtocolVersion{}, UserAuthRequest{"u", "pfwd@amt.intel.com", "password", "p", false, ""},
                 ServiceRequest{"pfwd@amt.intel.com"}, GlobalRequest{"tcpip-forward", true, "", 16992, "", 0, {}}}));
  EXPECT_EQ(mps.state(), MpsState::kAuthPending);
  EXPECT_TRUE(mps.take_output().send.empty());
  mps.feed(wire({KeepAliveRequest{5}}));  // still held
  EXPECT_TRUE(mps.take_output().send.empty());
  mps.accept_auth();
  EXPECT_EQ(mps.state(), MpsState::kRunning);
  EXPECT_EQ(hex_of(mps.take_output().send),
            "34" "06000000127066776440616d742e696e74656c2e636f6d" "5100004260" "d100000005");
}

TEST(ApfSession, PortForwardingBeforeLoginIsRefused) {
  MpsSession mps;
  mps.feed(wire({ProtocolVersion{}, ServiceRequest{"pfwd@amt.intel.com"}}));
  const Output out = mps.take_output();
  EXPECT_EQ(hex_of(out.send), "01000000070000");  // DISCONNECT service not available
  ASSERT_FALSE(out.events.empty());
  ASSERT_TRUE(std::holds_alternative<Failed>(out.events.back()));
  EXPECT_EQ(std::get<Failed>(out.events.back()).error.code, "apf-service-refused");
  EXPECT_EQ(mps.state(), MpsState::kFailed);
}

TEST(ApfSession, ChannelMessagesBeforePortForwardingAreAProtocolError) {
  MpsSession mps;
  const std::uint8_t data[] = {1, 2, 3};
  mps.feed(wire({ProtocolVersion{}, ChannelData{4, data}}));
  const Output out = mps.take_output();
  EXPECT_EQ(hex_of(out.send), "01000000020000");  // DISCONNECT protocol error
  EXPECT_EQ(std::get<Failed>(out.events.back()).error.code, "apf-out-of-order");
}

TEST(ApfSession, DeviceOpenedChannelsAreRefusedAsUnknownType) {
  Harness h(Mode::kWhole, 1);
  h.dev.start();
  h.pump();
  const auto id = h.dev.open_channel("mps.example", 80);
  ASSERT_TRUE(id.has_value());
  h.pump();
  EXPECT_EQ(h.dev_log.back(), "open-failed " + std::to_string(*id) + " reason 3");
  EXPECT_TRUE(h.dev.channel_ids().empty());
}

TEST(ApfSession, KeepAliveOptionsFollowPort5900AndDriveTheDeviceTimer) {
  Harness h(Mode::kWhole, 1, device_config({16993, 16992, 5900}));
  h.dev.start();
  h.pump();
  EXPECT_EQ(h.mps_log.back(), "keepalive-options 30/0");
  EXPECT_EQ(h.dev_log.back(), "keepalive-options 30/0");
  h.dev.tick(1000);
  h.dev.tick(30999);
  h.pump();
  EXPECT_EQ(h.dev_log.back(), "keepalive-options 30/0");
  h.dev.tick(31000);
  h.pump();
  EXPECT_EQ(h.dev_log.back(), "keepalive-answered 1");
  EXPECT_EQ(h.mps_log.back(), "keepalive-received 1");
}

TEST(ApfSession, CancelForwardUsesTheBareReply) {
  Harness h(Mode::kBytes, 1);
  h.dev.start();
  h.pump();
  EXPECT_TRUE(h.dev.cancel_forward(16993));
  h.pump();
  EXPECT_EQ(h.mps_log.back(), "forward-removed 16993");
  EXPECT_EQ(h.dev_log.back(), "forward-removed 16993");
  EXPECT_FALSE(h.mps.forwarded(16993));
  EXPECT_FALSE(h.mps.open_channel(16993).has_value());
  EXPECT_TRUE(h.dev.add_forward(16995));
  h.pump();
  EXPECT_EQ(h.mps_log.back(), "forward-added amt-host.example:16995");
}

TEST(ApfSession, SenderStopsAtTheWindowUntilTheOwnerConsumes) {
  Harness h(Mode::kRandom, 5);
  h.dev.start();
  h.pump();
  h.dev_consumes = false;
  const auto c = h.mps.open_channel(16992);
  ASSERT_TRUE(c.has_value());
  h.pump();
  const Bytes big = payload(100000, 9);
  h.mps.send_data(*c, big);
  h.pump();
  const std::uint32_t d = device_channel_for(h, 16992);
  EXPECT_EQ(h.dev_rx[d].size(), 32768u);
  EXPECT_EQ(h.mps.channel(*c)->queued, 100000u - 32768u);
  EXPECT_EQ(h.mps.channel(*c)->send_window, 0u);
  EXPECT_EQ(h.dev.channel(d)->unconsumed, 32768u);
  EXPECT_EQ(h.dev.channel(d)->receive_window, 0u);
  h.dev.consume(d, 16384);  // exactly half: no WINDOW_ADJUST yet (MeshCentral: "> half")
  h.pump();
  EXPECT_EQ(h.dev_rx[d].size(), 32768u);
  h.dev.consume(d, 1);
  h.pump();
  EXPECT_EQ(h.dev_rx[d].size(), 32768u + 16385u);
  h.dev_consumes = true;
  h.dev.consume(d, 100000);  // clamped to what was received
  h.pump();
  EXPECT_EQ(h.dev_rx[d], big);
  EXPECT_EQ(h.mps.channel(*c)->queued, 0u);
}

TEST(ApfSession, CloseWaitsForQueuedData) {
  Harness h(Mode::kWhole, 1);
  h.dev.start();
  h.pump();
  const auto c = h.mps.open_channel(16993);
  const Bytes big = payload(70000, 4);
  h.mps.send_data(*c, big);
  EXPECT_TRUE(h.mps.close_channel(*c));  // before the confirmation, with 70000 bytes queued
  EXPECT_FALSE(h.mps.send_data(*c, big));  // closing: refused
  h.pump();
  EXPECT_EQ(h.dev_rx[device_channel_for(h, 16993)], big);
  EXPECT_TRUE(h.mps.channel_ids().empty());
  EXPECT_TRUE(h.dev.channel_ids().empty());
}

TEST(ApfSession, DataBeyondTheWindowIsAProtocolError) {
  Harness h(Mode::kWhole, 1);
  h.dev.start();
  h.pump();
  const auto c = h.mps.open_channel(16992);
  h.pump();
  const Bytes part = payload(20000, 1);
  h.mps.feed(encode(ChannelData{*c, part}));  // fine: 12768 bytes of window left, not consumed
  (void)h.mps.take_output();
  h.mps.feed(encode(ChannelData{*c, part}));
  const Output out = h.mps.take_output();
  EXPECT_EQ(hex_of(out.send), "01000000020000");
  ASSERT_GE(out.events.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<ChannelClosed>(out.events[0]));
  EXPECT_EQ(std::get<Failed>(out.events.back()).error.code, "apf-window-exceeded");
}

TEST(ApfSession, ChannelDataLongerThanTheWindowIsRefusedByLength) {
  // The session caps the decoder's CHANNEL_DATA length at its receive window: a hostile peer
  // cannot make it buffer more than that per connection.
  Harness h(Mode::kWhole, 1);
  h.dev.start();
  h.pump();
  const auto c = h.mps.open_channel(16992);
  ASSERT_EQ(c, 4u);
  h.pump();
  h.mps.feed(hex("5e 00000004 00008001"));  // 32769 announced, nothing more sent
  EXPECT_EQ(failure_of(h.mps), "apf-too-long");
}

TEST(ApfSession, IdleTimeoutCountsFromTheLastTickWithInput) {
  MpsSession mps;  // 90 s, as MeshCentral
  mps.tick(1000);
  mps.feed(wire({ProtocolVersion{}}));
  mps.tick(50000);  // the version arrived before this tick
  mps.tick(139999);
  EXPECT_FALSE(mps.finished());
  mps.tick(140000);
  EXPECT_EQ(mps.state(), MpsState::kFailed);
  const Output out = mps.take_output();
  EXPECT_EQ(std::get<Failed>(out.events.back()).error.code, "apf-idle-timeout");
}

TEST(ApfSession, PeerDisconnectEndsEverything) {
  Harness h(Mode::kWhole, 1);
  h.dev.start();
  h.pump();
  const auto c = h.mps.open_channel(16992);
  h.pump();
  h.mps.feed(encode(Disconnect{disconnect::kByApplication}));
  const Output out = h.mps.take_output();
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_EQ(std::get<ChannelClosed>(out.events[0]).channel, *c);
  EXPECT_EQ(std::get<Disconnected>(out.events[1]).reason, disconnect::kByApplication);
  h.mps.feed(encode(KeepAliveRequest{1}));  // ignored from now on
  EXPECT_TRUE(h.mps.take_output().send.empty());
}

// [SECTION] Hostile input

TEST(ApfSession, GarbageTruncatedAndOversizedInputFailCleanly) {
  {
    MpsSession mps;
    mps.feed(hex("ff ff ff ff"));
    EXPECT_EQ(failure_of(mps), "apf-unknown-type");
  }
  {
    MpsSession mps;
    mps.feed(std::span<const std::uint8_t>(encode(ProtocolVersion{})).first(50));
    EXPECT_FALSE(mps.finished());
    mps.end_of_stream();
    EXPECT_EQ(failure_of(mps), "apf-truncated");
  }
  {
    MpsSession mps;
    mps.feed(encode(ProtocolVersion{}));
    mps.feed(hex("32 00100000"));  // a 1 MiB user name
    EXPECT_EQ(failure_of(mps), "apf-too-long");
  }
  {
    MpsSession mps;
    mps.feed(wire({ProtocolVersion{}, UserAuthRequest{"u", "s", "password", "p", false, ""}}));
    mps.feed(Bytes(70 * 1024, 0x5e));  // floods the hold while the owner decides
    EXPECT_EQ(failure_of(mps), "apf-held-overflow");
  }
  {
    DeviceSession dev(device_config());
    dev.start();
    dev.feed(hex("34"));  // USERAUTH_SUCCESS before the auth service was accepted
    EXPECT_EQ(failure_of(dev), "apf-unexpected");
  }
  {
    DeviceSession dev(device_config());
    dev.start();
    dev.end_of_stream();
    EXPECT_EQ(dev.state(), DeviceState::kClosed);
  }
}

TEST(ApfSession, RandomInputNeverBreaksEitherRole) {
  std::mt19937 rng(99);
  const Bytes good = wire({ProtocolVersion{}, ServiceRequest{"auth@amt.intel.com"},
                           UserAuthRequest{"u", "pfwd@amt.intel.com", "password", "p", false, ""},
                           ServiceRequest{"pfwd@amt.intel.com"}, GlobalRequest{"tcpip-forward", true, "", 16992, "", 0, {}}});
  for (int round = 0; round < 500; ++round) {
    Bytes input = good;
    // Flip a few bytes and append junk.
    for (int i = 0; i < 3; ++i) input[rng() % input.size()] = static_cast<std::uint8_t>(rng());
    for (auto i = rng() % 200; i > 0; --i) input.push_back(static_cast<std::uint8_t>(rng()));
    MpsSession mps;
    DeviceSession dev(device_config());
    dev.start();
    mw::apf::Decoder check_mps;
    mw::apf::Decoder check_dev;
    for (std::size_t i = 0; i < input.size();) {
      const std::size_t n = std::min<std::size_t>(input.size() - i, 1 + rng() % 40);
      const auto chunk = std::span<const std::uint8_t>(input).subspan(i, n);
      mps.feed(chunk);
      dev.feed(chunk);
      i += n;
      for (auto* s : {static_cast<Session*>(&mps), static_cast<Session*>(&dev)}) {
        Output out = s->take_output();
        for (auto& e : out.events) {
          if (std::holds_alternative<AuthRequested>(e)) mps.accept_auth();
          if (auto* o = std::get_if<ChannelOpenRequested>(&e)) dev.accept_channel(o->channel);
        }
        // Whatever we send must itself be valid APF.
        auto& checker = s == &mps ? check_mps : check_dev;
        EXPECT_TRUE(checker.feed(out.send).ok());
      }
    }
    mps.end_of_stream();
    dev.end_of_stream();
  }
}

}  // namespace
