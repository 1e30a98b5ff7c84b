// amtsim's KVM (tools/amtsim/kvm.cpp, screen.cpp) against Meshwork's own RFB client (shared/rfb,
// the browser's decoder) in one process: the RFB 3.8 handshake, Raw and ZRLE in 32, 16 and 8 bpp
// formats decoded pixel for pixel equal to the simulator's screen, incremental updates that carry
// only the clock when a second passes, the screen following the power state (black, BIOS with the
// UUID, desktop), hostile bytes ending the session cleanly, and the whole path through
// RedirHandler (redirection digest login, KvmStart, then RFB) driven by shared/redir's client.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <random>
#include <string>
#include <vector>

#include "../../../tools/amtsim/handlers.hpp"
#include "../../../tools/amtsim/kvm.hpp"
#include "../../../tools/amtsim/screen.hpp"
#include "mw/redir/session.hpp"
#include "mw/rfb/client.hpp"
#include "mw/rfb/intel_amt.hpp"
#include "mw/util/hex.hpp"
#include "mw/util/md5.hpp"

namespace {

using namespace mw;
using amtsim::Kvm;
using amtsim::PowerState;
using amtsim::Screen;
using amtsim::ScreenMode;
using rfb::PixelFormat;
using rfb::Rect;
using rfb::Rgba;
using Bytes = std::vector<std::uint8_t>;

constexpr const char* kUuid = "a00d3e18-0a1f-49da-b02d-93ac8450f99b";
// 2026-12-06 13:45:07 UTC, as the tick time plus the clock offset.
constexpr std::uint64_t kT0 = 10'000;
constexpr std::int64_t kOffset = 1'796'564'707'000 - 10'000;

amtsim::ConsoleInfo info(int index = 3, std::string uuid = kUuid) {
  amtsim::ConsoleInfo i;
  i.index = index;
  i.uuid = std::move(uuid);
  i.clock_offset_ms = kOffset;
  return i;
}

// A channel of `bits` bits widened back to 8 by bit replication (what the client's converter does).
std::uint8_t widen(std::uint8_t v, int bits) {
  const unsigned q = static_cast<unsigned>(v) >> (8 - bits);
  unsigned out = 0;
  int have = 0;
  while (have < 8) {
    out = out << bits | q;
    have += bits;
  }
  return static_cast<std::uint8_t>(out >> (have - 8));
}

// What a viewer in `f` sees of the server's pixel p.
Rgba through(const PixelFormat& f, Rgba p) {
  const auto bits = [](std::uint16_t max) { return std::popcount(static_cast<unsigned>(max)); };
  return rfb::rgba(widen(rfb::red_of(p), bits(f.red_max)), widen(rfb::green_of(p), bits(f.green_max)),
                   widen(rfb::blue_of(p), bits(f.blue_max)));
}

// Number of pixels where the viewer's framebuffer differs from what it should show of the server's.
long long mismatches(const rfb::Framebuffer& server, const rfb::Framebuffer& viewer, const PixelFormat& f) {
  if (server.width() != viewer.width() || server.height() != viewer.height()) return -1;
  long long bad = 0;
  for (int y = 0; y < server.height(); ++y) {
    for (int x = 0; x < server.width(); ++x) bad += through(f, server.at(x, y)) != viewer.at(x, y);
  }
  return bad;
}

bool inside(const Rect& inner, const Rect& outer) {
  return inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.w <= outer.x + outer.w &&
         inner.y + inner.h <= outer.y + outer.h;
}

// The KVM and the viewer connected back to back; bytes go both ways until both are quiet.
struct Link {
  explicit Link(rfb::ClientConfig config, PowerState p = PowerState::kOn, std::size_t chunk = 0)
      : power(p), kvm(info(), power), client(std::move(config)), chunk_(chunk) {
    to_client(kvm.start().send);
  }

  void to_client(const Bytes& b) { pump(b, {}); }
  void to_server(const Bytes& b) { pump({}, b); }
  // A tick of the KVM at `now` and what follows from it; returns the bytes the server sent then.
  std::size_t tick(std::uint64_t now) {
    auto o = kvm.tick(now);
    if (o.error) server_error = o.error;
    const std::size_t n = o.send.size();
    to_client(o.send);
    return n;
  }
  int updates() const {
    int n = 0;
    for (const auto& e : events) n += std::holds_alternative<rfb::UpdateDone>(e);
    return n;
  }
  const rfb::UpdateDone* last_update() const {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (const auto* u = std::get_if<rfb::UpdateDone>(&*it)) return u;
    }
    return nullptr;
  }

  PowerState power;
  Kvm kvm;
  rfb::Client client;
  std::vector<rfb::ClientEvent> events;
  std::optional<Error> server_error;

 private:
  void pump(Bytes down, Bytes up) {
    while (!down.empty() || !up.empty()) {
      Bytes next_up, next_down;
      for (std::size_t at = 0; at < down.size();) {
        const std::size_t n = chunk_ ? std::min(chunk_, down.size() - at) : down.size();
        auto o = client.feed({down.data() + at, n});
        at += n;
        next_up.insert(next_up.end(), o.send.begin(), o.send.end());
        for (auto& e : o.events) events.push_back(std::move(e));
      }
      for (std::size_t at = 0; at < up.size();) {
        const std::size_t n = chunk_ ? std::min(chunk_, up.size() - at) : up.size();
        auto o = kvm.feed({up.data() + at, n});
        at += n;
        if (o.error) server_error = o.error;
        next_down.insert(next_down.end(), o.send.begin(), o.send.end());
      }
      up = std::move(next_up);
      down = std::move(next_down);
    }
  }
  std::size_t chunk_ = 0;
};

rfb::ClientConfig viewer(std::optional<PixelFormat> format, std::vector<std::int32_t> encodings) {
  rfb::ClientConfig c;
  c.pixel_format = format;
  c.encodings = std::move(encodings);
  return c;
}

// [SECTION] Handshake

TEST(AmtsimKvm, HandshakeGivesServerInitAndNoPictureBeforeTheFirstTick) {
  Link l(viewer(std::nullopt, {rfb::encoding::kRaw}));
  ASSERT_TRUE(l.client.running());
  ASSERT_FALSE(l.events.empty());
  const auto* c = std::get_if<rfb::Connected>(&l.events[0]);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->version_minor, 8);
  EXPECT_EQ(c->security, rfb::SecurityType::kNone);
  EXPECT_EQ(c->width, 1024);
  EXPECT_EQ(c->height, 768);
  EXPECT_EQ(c->name, "amtsim-3");
  EXPECT_EQ(c->server_format, PixelFormat::rgb888());
  EXPECT_EQ(l.kvm.rfb().state(), amtsim::RfbState::kRunning);
  EXPECT_EQ(l.updates(), 0);  // the request waits for the screen
  EXPECT_GT(l.tick(kT0), 0u);
  EXPECT_EQ(l.updates(), 1);
  EXPECT_FALSE(l.server_error);
}

TEST(AmtsimKvm, ExactServerBytes) {
  PowerState on = PowerState::kOn;
  Kvm kvm(info(), on);
  const auto version = kvm.start().send;
  EXPECT_EQ(std::string(version.begin(), version.end()), "RFB 003.008\n");
  const std::string v = "RFB 003.008\n";
  EXPECT_EQ(kvm.feed({reinterpret_cast<const std::uint8_t*>(v.data()), v.size()}).send, (Bytes{1, 1}));
  EXPECT_EQ(kvm.feed(Bytes{1}).send, (Bytes{0, 0, 0, 0}));  // None; SecurityResult OK
  const auto init = kvm.feed(Bytes{1}).send;                 // ClientInit shared
  ASSERT_EQ(init.size(), 24u + 8u);
  EXPECT_EQ(Bytes(init.begin(), init.begin() + 4), (Bytes{0x04, 0x00, 0x03, 0x00}));
  const auto f = PixelFormat::rgb888().encode();
  EXPECT_EQ(Bytes(init.begin() + 4, init.begin() + 20), Bytes(f.begin(), f.end()));
  EXPECT_EQ(std::string(init.begin() + 24, init.end()), "amtsim-3");
}

TEST(AmtsimKvm, OlderViewersAreServed) {
  for (const std::string version : {"RFB 003.003\n", "RFB 003.007\n", "RFB 003.889\n"}) {
    PowerState on = PowerState::kOn;
    Kvm kvm(info(), on);
    kvm.start();
    auto o = kvm.feed({reinterpret_cast<const std::uint8_t*>(version.data()), version.size()});
    if (version == "RFB 003.003\n") {
      EXPECT_EQ(o.send, (Bytes{0, 0, 0, 1})) << version;  // the server chose None
      o = kvm.feed(Bytes{1});
      EXPECT_EQ(o.send.size(), 32u) << version;  // ServerInit right after ClientInit
    } else {
      EXPECT_EQ(o.send, (Bytes{1, 1})) << version;
      o = kvm.feed(Bytes{1});
      // 3.7 sends no SecurityResult for None; 3.8 (and later versions, spoken as 3.8) do.
      EXPECT_EQ(o.send.size(), version == "RFB 003.007\n" ? 0u : 4u) << version;
      o = kvm.feed(Bytes{0});
      EXPECT_EQ(o.send.size(), 32u) << version;
    }
    EXPECT_EQ(kvm.rfb().state(), amtsim::RfbState::kRunning) << version;
  }
}

// [SECTION] Pixels: every format and encoding decodes to the server's screen

struct FormatCase {
  const char* name;
  PixelFormat format;
  std::int32_t encoding;
};

PixelFormat big_endian(PixelFormat f) {
  f.big_endian = true;
  return f;
}
PixelFormat high_bytes() {  // 32 bpp with the colours in the top 24 bits: ZRLE's 3-byte CPIXEL "high"
  PixelFormat f = PixelFormat::rgb888();
  f.red_shift = 24;
  f.green_shift = 16;
  f.blue_shift = 8;
  return f;
}
PixelFormat bgr233() {
  PixelFormat f = PixelFormat::rgb332();
  f.red_max = 3;
  f.blue_max = 7;
  f.red_shift = 0;
  f.green_shift = 2;
  f.blue_shift = 5;
  return f;
}

class AmtsimKvmFormats : public testing::TestWithParam<FormatCase> {};

TEST_P(AmtsimKvmFormats, FullFrameEqualsTheScreenPixelForPixel) {
  const FormatCase& c = GetParam();
  for (const ScreenMode mode : {ScreenMode::kDesktop, ScreenMode::kBios}) {
    // The BIOS screen shows right after a power-on seen by the session.
    Link l(viewer(c.format, {c.encoding}), mode == ScreenMode::kBios ? PowerState::kSoftOff : PowerState::kOn);
    if (mode == ScreenMode::kBios) {
      l.tick(kT0 - 500);
      l.power = PowerState::kOn;
    }
    l.tick(kT0);
    ASSERT_EQ(l.kvm.screen().mode(), mode);
    ASSERT_FALSE(l.server_error);
    ASSERT_TRUE(l.client.running());
    EXPECT_EQ(l.kvm.rfb().pixel_format(), c.format);
    EXPECT_EQ(l.kvm.rfb().encoding(), c.encoding);
    EXPECT_EQ(mismatches(l.kvm.screen().framebuffer(), l.client.framebuffer(), c.format), 0) << c.name;
    // AMT's rectangles: never larger than 64x64.
    for (const Rect& r : l.kvm.rfb().last_update()) {
      EXPECT_LE(r.w, 64);
      EXPECT_LE(r.h, 64);
    }
  }
}

TEST_P(AmtsimKvmFormats, ByteByByteDeliveryGivesTheSamePicture) {
  const FormatCase& c = GetParam();
  Link l(viewer(c.format, {c.encoding}), PowerState::kOn, 1);
  l.tick(kT0);
  ASSERT_FALSE(l.server_error);
  EXPECT_EQ(mismatches(l.kvm.screen().framebuffer(), l.client.framebuffer(), c.format), 0) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    All, AmtsimKvmFormats,
    testing::Values(FormatCase{"rgb888_raw", PixelFormat::rgb888(), rfb::encoding::kRaw},
                    FormatCase{"rgb888_zrle", PixelFormat::rgb888(), rfb::encoding::kZrle},
                    FormatCase{"rgb888be_zrle", big_endian(PixelFormat::rgb888()), rfb::encoding::kZrle},
                    FormatCase{"high_bytes_zrle", high_bytes(), rfb::encoding::kZrle},
                    FormatCase{"rgb565_raw", PixelFormat::rgb565(), rfb::encoding::kRaw},
                    FormatCase{"rgb565_zrle", PixelFormat::rgb565(), rfb::encoding::kZrle},
                    FormatCase{"rgb565be_raw", big_endian(PixelFormat::rgb565()), rfb::encoding::kRaw},
                    FormatCase{"rgb332_zrle", PixelFormat::rgb332(), rfb::encoding::kZrle},
                    FormatCase{"bgr233_raw", bgr233(), rfb::encoding::kRaw}),
    [](const testing::TestParamInfo<FormatCase>& i) { return std::string(i.param.name); });

TEST(AmtsimKvm, ZrleWhenListedRawOtherwise) {
  Link zrle(viewer(PixelFormat::rgb888(), {rfb::encoding::kHextile, rfb::encoding::kZrle, rfb::encoding::kRaw}));
  Link raw(viewer(PixelFormat::rgb888(), {rfb::encoding::kHextile, rfb::encoding::kTight, rfb::encoding::kRaw}));
  zrle.tick(kT0);
  raw.tick(kT0);
  EXPECT_EQ(zrle.kvm.rfb().encoding(), rfb::encoding::kZrle);
  EXPECT_EQ(raw.kvm.rfb().encoding(), rfb::encoding::kRaw);
  // Raw carries every pixel; ZRLE a small fraction of that on this screen.
  const auto raw_bytes = raw.kvm.rfb().stats().update_bytes;
  const auto zrle_bytes = zrle.kvm.rfb().stats().update_bytes;
  EXPECT_GT(raw_bytes, 1024u * 768u * 4u);
  EXPECT_LT(zrle_bytes * 50, raw_bytes);
  EXPECT_EQ(mismatches(zrle.kvm.screen().framebuffer(), zrle.client.framebuffer(), PixelFormat::rgb888()), 0);
  EXPECT_EQ(mismatches(raw.kvm.screen().framebuffer(), raw.client.framebuffer(), PixelFormat::rgb888()), 0);
}

TEST(AmtsimKvm, IntelAmtPresetsOfMeshCommander) {
  // RLE16 (the server's own format), RLE8 (RGB332 by SetPixelFormat), Raw8.
  for (const int flags : {rfb::amt::flag::kRle | rfb::amt::flag::k16Bit, rfb::amt::flag::kRle, 0}) {
    Link l(rfb::amt::client_config(flags));
    l.tick(kT0);
    ASSERT_FALSE(l.server_error) << flags;
    const PixelFormat f = (flags & rfb::amt::flag::k16Bit) ? PixelFormat::rgb888() : PixelFormat::rgb332();
    EXPECT_EQ(l.kvm.rfb().pixel_format(), f) << flags;
    EXPECT_EQ(mismatches(l.kvm.screen().framebuffer(), l.client.framebuffer(), f), 0) << flags;
  }
}

// [SECTION] Incremental updates and the clock

// Pixels of a and b that differ, inside and outside `area`.
std::pair<long long, long long> differences(const rfb::Framebuffer& a, const rfb::Framebuffer& b, const Rect& area) {
  long long in = 0, out = 0;
  for (int y = 0; y < a.height(); ++y) {
    for (int x = 0; x < a.width(); ++x) {
      if (a.at(x, y) == b.at(x, y)) continue;
      (inside({x, y, 1, 1}, area) ? in : out)++;
    }
  }
  return {in, out};
}

TEST(AmtsimKvm, ClockText) {
  EXPECT_EQ(Screen::clock_text(kT0 + kOffset), "13:45:07");
  EXPECT_EQ(Screen::clock_text(kT0 + kOffset + 999), "13:45:07");
  EXPECT_EQ(Screen::clock_text(kT0 + kOffset + 1000), "13:45:08");
  EXPECT_EQ(Screen::clock_text(0), "00:00:00");
  EXPECT_EQ(Screen::clock_text(86'399'999), "23:59:59");
}

TEST(AmtsimKvm, IncrementalUpdateCarriesOnlyTheClock) {
  for (const std::int32_t enc : {rfb::encoding::kZrle, rfb::encoding::kRaw}) {
    SCOPED_TRACE(enc);
    Link l(viewer(PixelFormat::rgb565(), {enc}));
    l.tick(kT0);
    ASSERT_EQ(l.updates(), 1);
    const rfb::Framebuffer before = l.kvm.screen().framebuffer();
    // The viewer asked again at once (incremental): within the same second there is nothing to send.
    EXPECT_EQ(l.tick(kT0 + 500), 0u);
    EXPECT_EQ(l.updates(), 1);
    // The next second: the clock's pixels, nothing else.
    EXPECT_GT(l.tick(kT0 + 1000), 0u);
    ASSERT_EQ(l.updates(), 2);
    const auto [in, out] = differences(before, l.kvm.screen().framebuffer(), Screen::clock_rect());
    EXPECT_GT(in, 0);
    EXPECT_EQ(out, 0);
    const auto& rects = l.kvm.rfb().last_update();
    ASSERT_FALSE(rects.empty());
    long long area = 0;
    for (const Rect& r : rects) {
      EXPECT_TRUE(inside(r, Screen::clock_rect())) << r.x << "," << r.y << " " << r.w << "x" << r.h;
      area += r.area();
    }
    EXPECT_LT(area, Screen::clock_rect().area());  // bounding boxes of the changed digits
    EXPECT_EQ(l.last_update()->rects, static_cast<int>(rects.size()));  // the viewer decoded just these
    EXPECT_EQ(mismatches(l.kvm.screen().framebuffer(), l.client.framebuffer(), PixelFormat::rgb565()), 0);
    // A full request gets the whole screen again.
    l.to_server(l.client.request_update(false).send);
    ASSERT_EQ(l.updates(), 3);
    area = 0;
    for (const Rect& r : l.kvm.rfb().last_update()) area += r.area();
    EXPECT_EQ(area, 1024LL * 768);
  }
}

TEST(AmtsimKvm, RequestForPartOfTheScreen) {
  rfb::ClientConfig c = viewer(PixelFormat::rgb888(), {rfb::encoding::kZrle});
  c.auto_update = false;
  Link l(c);
  l.tick(kT0);
  EXPECT_EQ(l.updates(), 0);
  const Rect part{100, 700, 300, 68};
  l.to_server(l.client.request_update(part, false).send);
  ASSERT_EQ(l.updates(), 1);
  long long area = 0;
  for (const Rect& r : l.kvm.rfb().last_update()) {
    EXPECT_TRUE(inside(r, part));
    area += r.area();
  }
  EXPECT_EQ(area, part.area());
  // Beyond the screen: clipped.
  l.to_server(l.client.request_update(false).send);
  l.to_server(rfb::framebuffer_update_request(false, {1000, 760, 500, 500}));
  ASSERT_EQ(l.updates(), 3);
  for (const Rect& r : l.kvm.rfb().last_update()) EXPECT_TRUE(inside(r, {1000, 760, 24, 8}));
  EXPECT_EQ(mismatches(l.kvm.screen().framebuffer(), l.client.framebuffer(), PixelFormat::rgb888()), 0);
}

// [SECTION] The screen follows the power state

bool all_black(const rfb::Framebuffer& fb) {
  for (const Rgba p : fb.pixels()) {
    if (p != rfb::rgba(0, 0, 0)) return false;
  }
  return true;
}

TEST(AmtsimKvm, ScreenFollowsPowerState) {
  Link l(viewer(PixelFormat::rgb888(), {rfb::encoding::kZrle}));
  l.tick(kT0);
  EXPECT_EQ(l.kvm.screen().mode(), ScreenMode::kDesktop);  // on when the session started: running
  for (const PowerState p : {PowerState::kSoftOff, PowerState::kSleep, PowerState::kHibernate}) {
    l.power = PowerState::kOn;
    l.tick(kT0 + 100'000);  // the desktop again (whatever came before)
    l.tick(kT0 + 110'000);
    ASSERT_EQ(l.kvm.screen().mode(), ScreenMode::kDesktop);
    ASSERT_FALSE(all_black(l.client.framebuffer()));
    l.power = p;
    l.tick(kT0 + 120'000);
    EXPECT_EQ(l.kvm.screen().mode(), ScreenMode::kBlank);
    EXPECT_TRUE(all_black(l.client.framebuffer()));
  }
  // Powered on: the BIOS screen for Kvm::kBootMs, then the desktop.
  const std::uint64_t on_at = kT0 + 200'000;
  l.power = PowerState::kOn;
  l.tick(on_at);
  EXPECT_EQ(l.kvm.screen().mode(), ScreenMode::kBios);
  EXPECT_EQ(mismatches(l.kvm.screen().framebuffer(), l.client.framebuffer(), PixelFormat::rgb888()), 0);
  l.tick(on_at + Kvm::kBootMs - 1);
  EXPECT_EQ(l.kvm.screen().mode(), ScreenMode::kBios);
  l.tick(on_at + Kvm::kBootMs);
  EXPECT_EQ(l.kvm.screen().mode(), ScreenMode::kDesktop);
  EXPECT_EQ(mismatches(l.kvm.screen().framebuffer(), l.client.framebuffer(), PixelFormat::rgb888()), 0);
  EXPECT_FALSE(l.server_error);
}

TEST(AmtsimKvm, BiosScreenShowsTheUuidAndTheDesktopTheHostName) {
  const auto drawn = [](int index, const std::string& uuid, ScreenMode mode) {
    Screen s(info(index, uuid));
    s.show(mode, 0);
    return s.framebuffer();
  };
  const std::string other = "0c5e39f4-7b1a-4d3e-9a51-2f6c0e8d7b21";
  const auto same = [](const rfb::Framebuffer& a, const rfb::Framebuffer& b) {
    return std::equal(a.pixels().begin(), a.pixels().end(), b.pixels().begin());
  };
  EXPECT_FALSE(same(drawn(3, kUuid, ScreenMode::kBios), drawn(3, other, ScreenMode::kBios)));
  EXPECT_TRUE(same(drawn(3, kUuid, ScreenMode::kBios), drawn(4, kUuid, ScreenMode::kBios)));
  EXPECT_FALSE(same(drawn(3, kUuid, ScreenMode::kDesktop), drawn(4, kUuid, ScreenMode::kDesktop)));
  EXPECT_FALSE(all_black(drawn(3, kUuid, ScreenMode::kBios)));
  EXPECT_TRUE(all_black(drawn(3, kUuid, ScreenMode::kBlank)));
}

TEST(AmtsimKvm, FontHasDistinctGlyphs) {
  const std::string chars = "0123456789:-./ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::vector<std::vector<Rgba>> glyphs;
  for (const char c : chars) {
    rfb::Framebuffer fb(6, 8);
    Screen::draw_text(fb, 0, 0, std::string(1, c), rfb::rgba(255, 255, 255), 1);
    std::vector<Rgba> px(fb.pixels().begin(), fb.pixels().end());
    EXPECT_FALSE(all_black(fb)) << c;
    for (std::size_t i = 0; i < glyphs.size(); ++i) EXPECT_NE(glyphs[i], px) << chars[i] << " and " << c;
    glyphs.push_back(px);
  }
  // Lower case is drawn as upper case; characters without a glyph leave their cell empty.
  rfb::Framebuffer a(6, 8), b(6, 8), blank(12, 8);
  Screen::draw_text(a, 0, 0, "k", rfb::rgba(255, 255, 255), 1);
  Screen::draw_text(b, 0, 0, "K", rfb::rgba(255, 255, 255), 1);
  EXPECT_TRUE(std::equal(a.pixels().begin(), a.pixels().end(), b.pixels().begin()));
  Screen::draw_text(blank, 0, 0, " @", rfb::rgba(255, 255, 255), 1);
  EXPECT_TRUE(all_black(blank));
}

// [SECTION] Input from the viewer

TEST(AmtsimKvm, KeysPointerAndCutTextAreAccepted) {
  Link l(viewer(PixelFormat::rgb888(), {rfb::encoding::kZrle}));
  l.tick(kT0);
  l.to_server(l.client.ctrl_alt_del().send);
  l.to_server(l.client.pointer(10, 20, rfb::button::kLeft).send);
  l.to_server(l.client.cut_text(rfb::amt::kvm_ext_cmd(rfb::amt::ext_cmd::kSetZlib, 1)).send);
  EXPECT_EQ(l.kvm.rfb().stats().key_events, 6u);
  EXPECT_EQ(l.kvm.rfb().stats().pointer_events, 1u);
  EXPECT_EQ(l.kvm.rfb().stats().cut_texts, 1u);
  EXPECT_FALSE(l.server_error);
  EXPECT_TRUE(l.client.running());
}

TEST(AmtsimKvm, LongCutTextIsSkippedUnbuffered) {
  rfb::ClientConfig c = viewer(PixelFormat::rgb888(), {rfb::encoding::kRaw});
  c.auto_update = false;
  Link l(c);
  l.tick(kT0);
  const std::size_t len = 1'000'000;  // beyond RfbLimits::max_cut_text
  Bytes msg = {6, 0, 0, 0};
  for (int i = 3; i >= 0; --i) msg.push_back(static_cast<std::uint8_t>(len >> (8 * i)));
  msg.resize(msg.size() + len, 'x');
  const Bytes request = rfb::framebuffer_update_request(false, {0, 0, 64, 64});
  msg.insert(msg.end(), request.begin(), request.end());
  // In pieces of 4 KiB, the last one holding the end of the text and the update request.
  for (std::size_t at = 0; at < msg.size(); at += 4096) {
    l.to_server(Bytes(msg.begin() + static_cast<std::ptrdiff_t>(at),
                      msg.begin() + static_cast<std::ptrdiff_t>(std::min(msg.size(), at + 4096))));
  }
  EXPECT_FALSE(l.server_error);
  EXPECT_EQ(l.kvm.rfb().stats().cut_texts, 1u);
  EXPECT_EQ(l.updates(), 1);
}

// [SECTION] Hostile bytes: a clean error, the session over, nothing sent after

struct Hostile {
  PowerState power = PowerState::kOn;
  Kvm kvm{info(), power};
  // Through ClientInit and the first tick.
  void handshake() {
    kvm.start();
    const std::string v = "RFB 003.008\n";
    kvm.feed({reinterpret_cast<const std::uint8_t*>(v.data()), v.size()});
    kvm.feed(Bytes{1});
    kvm.feed(Bytes{1});
    kvm.tick(kT0);
  }
  std::string error(const Bytes& bytes) {
    auto o = kvm.feed(bytes);
    if (!o.error) return "";
    EXPECT_TRUE(kvm.rfb().failed());
    EXPECT_TRUE(kvm.feed(rfb::framebuffer_update_request(false, {0, 0, 10, 10})).send.empty());
    EXPECT_TRUE(kvm.tick(kT0 + 5000).send.empty());
    return o.error->code;
  }
};

Bytes pixel_format_message(const PixelFormat& f) { return rfb::set_pixel_format(f); }

TEST(AmtsimKvm, HostileHandshakes) {
  for (const std::string v : {"XFB 003.008\n", "RFB 004.000\n", "RFB 003.0x8\n", "GET / HTTP/1"}) {
    Hostile h;
    h.kvm.start();
    EXPECT_EQ(h.error(Bytes(v.begin(), v.end())), "bad-version") << v;
  }
  Hostile h;
  h.kvm.start();
  const std::string v = "RFB 003.008\n";
  h.kvm.feed(Bytes(v.begin(), v.end()));
  auto o = h.kvm.feed(Bytes{2});  // VNC authentication was not offered
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, "bad-security-type");
  const std::string reason = "security type not offered";
  Bytes expected = {0, 0, 0, 1, 0, 0, 0, static_cast<std::uint8_t>(reason.size())};
  expected.insert(expected.end(), reason.begin(), reason.end());
  EXPECT_EQ(o.send, expected);
}

TEST(AmtsimKvm, HostileMessages) {
  PixelFormat colour_map = PixelFormat::rgb332();
  colour_map.true_colour = false;
  PixelFormat wide = PixelFormat::rgb888();
  wide.depth = 30;
  wide.red_max = wide.green_max = wide.blue_max = 1023;
  wide.red_shift = 20;
  wide.green_shift = 10;
  wide.blue_shift = 0;
  const Bytes cases[] = {
      pixel_format_message(colour_map),
      pixel_format_message(PixelFormat::gray8()),
      pixel_format_message(wide),
  };
  for (const Bytes& b : cases) {
    Hostile h;
    h.handshake();
    EXPECT_EQ(h.error(b), "unsupported-pixel-format");
  }
  {
    Hostile h;
    h.handshake();
    Bytes b = pixel_format_message(PixelFormat::rgb888());
    b[4] = 24;  // 24 bits per pixel: not a format at all
    EXPECT_EQ(h.error(b), "unsupported-pixel-format");
  }
  for (const std::uint8_t type : {1, 7, 127, 150, 255}) {
    Hostile h;
    h.handshake();
    EXPECT_EQ(h.error(Bytes{type, 0, 0, 0, 0, 0, 0, 0, 0, 0}), "unknown-message") << int{type};
  }
}

TEST(AmtsimKvm, RandomBytesNeverBreakTheServer) {
  std::mt19937 rng(6143);
  int failed = 0;
  for (int round = 0; round < 400; ++round) {
    Hostile h;
    if (round % 4 == 0) {
      h.kvm.start();  // garbage in the handshake
    } else {
      h.handshake();
    }
    // Plausible message types first, so the parsers of each get exercised with random fields.
    Bytes b(1 + rng() % 400);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    static constexpr std::uint8_t kTypes[] = {0, 2, 3, 4, 5, 6};
    b[0] = kTypes[rng() % 6];
    bool error = false;
    for (std::size_t at = 0; at < b.size();) {
      const std::size_t n = std::min<std::size_t>(1 + rng() % 64, b.size() - at);
      auto o = h.kvm.feed({b.data() + at, n});
      at += n;
      if (o.error) error = true;
      if (error) {
        EXPECT_TRUE(h.kvm.rfb().failed());
      }
      auto t = h.kvm.tick(kT0 + at);
      if (t.error) error = true;
    }
    failed += error;
  }
  EXPECT_GT(failed, 0);  // some inputs are bad, and were found so
  EXPECT_LT(failed, 400);
}

// [SECTION] Through the redirection port: RedirHandler with shared/redir's client

std::string md5_hex(std::string_view s) { return util::hex_encode(util::md5(s)); }

TEST(AmtsimKvm, KvmSessionThroughRedirHandler) {
  PowerState power = PowerState::kOn;
  int n = 0;
  const auto tokens = [&n] { return "token" + std::to_string(++n); };
  amtsim::WsmanDevice wsman({3, kUuid, "16.1.25", "admin", "P@ssw0rd-kvm", "Digest:0123456789ABCDEF0123456789ABCDEF"},
                            power, [](std::size_t) { return std::string("00112233"); });
  redir::DeviceConfig dc;
  dc.username = "admin";
  dc.password = "P@ssw0rd-kvm";
  dc.md5_hex = md5_hex;
  dc.make_nonce = tokens;
  amtsim::RedirHandler handler(dc, info(), power, wsman);
  redir::ClientConfig cc;
  cc.type = redir::SessionType::kKvm;
  cc.username = "admin";
  cc.password = "P@ssw0rd-kvm";
  cc.md5_hex = md5_hex;
  cc.make_cnonce = tokens;
  redir::ClientSession console(cc);
  rfb::Client viewer(rfb::amt::client_config(rfb::amt::flag::kRle | rfb::amt::flag::k16Bit));
  bool ready = false;
  int updates = 0;

  // Bytes from the device through the console session to the viewer, and back, until quiet.
  const auto pump = [&](Bytes down) {
    while (!down.empty()) {
      auto o = console.feed(down);
      Bytes up = std::move(o.send);
      for (auto& e : o.events) {
        if (const auto* r = std::get_if<redir::Ready>(&e)) ready = r->type == redir::SessionType::kKvm;
        if (const auto* raw = std::get_if<redir::RawData>(&e)) {
          auto v = viewer.feed(raw->data);
          for (const auto& ve : v.events) updates += std::holds_alternative<rfb::UpdateDone>(ve);
          auto s = console.send_raw(v.send);
          up.insert(up.end(), s.send.begin(), s.send.end());
        }
      }
      down = handler.feed(up);
    }
  };
  pump(handler.feed(console.start().send));
  ASSERT_TRUE(ready);
  ASSERT_TRUE(viewer.running());
  ASSERT_NE(handler.kvm(), nullptr);
  EXPECT_EQ(viewer.server().name, "amtsim-3");
  pump(handler.tick(kT0));
  EXPECT_EQ(updates, 1);
  EXPECT_EQ(mismatches(handler.kvm()->screen().framebuffer(), viewer.framebuffer(), PixelFormat::rgb888()), 0);
  pump(handler.tick(kT0 + 1000));
  EXPECT_EQ(updates, 2);
  EXPECT_EQ(mismatches(handler.kvm()->screen().framebuffer(), viewer.framebuffer(), PixelFormat::rgb888()), 0);
  EXPECT_FALSE(handler.finished());
  // A viewer that breaks RFB ends the redirection session.
  handler.feed(console.send_raw(Bytes{0xEE}).send);
  EXPECT_TRUE(handler.finished());
}

}  // namespace
