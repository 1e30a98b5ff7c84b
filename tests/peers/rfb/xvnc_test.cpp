// shared/rfb against a real VNC server: TigerVNC's Xvnc 1.12 (Debian's
// tigervnc-standalone-server), started by the tests on a free display and port. A procedural
// 320x240 picture (image.hpp) is shown full-screen with xwud, `xwd -root` tells what the screen
// holds, and the native mw::rfb::Client must decode exactly that for every lossless encoding at
// 32, 16 and 8 bpp (after the quantization Xvnc applies), and come within 30 dB PSNR with JPEG.
// Also: CopyRect of a moved window (xdotool), VNC authentication (vncpasswd), RFB 3.3 (Xvnc
// -Protocol3.3) and 3.7 (a canned fake server: Xvnc cannot be made to speak it), DesktopSize
// (xrandr), pointer and key events, and `mwcodec rfb-record` / `rfb-decode`.
//
// MW_RFB_WRITE_DATA=DIR makes XvncRecord.WriteCaptures also write the captures the unit tests
// decode (DIR/NAME-BPP.rfb.gz, DIR/screen.rgb.gz, DIR/manifest.json); copy them to
// tests/data/rfb/ to refresh them. Without it the same recordings are made and checked in a
// temporary folder.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "image.hpp"
#include "mw/rfb/capture.hpp"
#include "mw/rfb/client.hpp"
#include "mw/rfb/messages.hpp"
#include "mw/util/sha256.hpp"
#include "process.hpp"
#include "session.hpp"

namespace {

using namespace mw::rfb;
using namespace mw::rfb::peer;
using namespace std::chrono_literals;

// [SECTION] Screens

std::optional<Image> screenshot(const std::vector<std::string>& env, const std::string& display,
                                std::string& error) {
  const RunResult r = run({"xwd", "-root", "-silent", "-display", display}, env, 20s);
  if (r.status != 0) {
    error =
        "xwd failed (status " + std::to_string(r.status) + ", is x11-apps installed?): " + r.err;
    return std::nullopt;
  }
  return read_xwd(r.out, error);
}

// Takes screenshots until `ok` accepts one (the X server draws asynchronously to its clients).
std::optional<Image> wait_screen(const Xvnc& x, const std::function<bool(const Image&)>& ok,
                                 std::string& error, std::chrono::milliseconds timeout = 20s) {
  const auto deadline = Clock::now() + timeout;
  std::optional<Image> last;
  do {
    last = screenshot(x.env(), x.display(), error);
    if (!last) return std::nullopt;
    if (ok(*last)) return last;
    std::this_thread::sleep_for(30ms);
  } while (Clock::now() < deadline);
  error = "the screen did not reach the expected state in time";
  return std::nullopt;
}

// xwud showing `img` at `geometry` ("+X+Y") on the server; the returned child keeps it there.
Child show(const Xvnc& x, const fs::path& dir, const Image& img, const std::string& geometry) {
  const fs::path file = dir / "screen.xwd";
  if (!fs::exists(file)) write_file(file, write_xwd(img));
  // -noclick: a pointer button in the window would otherwise end xwud.
  return Child::spawn(
      {"xwud", "-in", file.string(), "-geometry", geometry, "-noclick", "-display", x.display()},
      x.env(), dir / "xwud.log");
}

std::string sha256_hex(std::span<const std::uint8_t> data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (const std::uint8_t b : mw::util::sha256(data)) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  return hex;
}

// [SECTION] The shared desktop

// One Xvnc showing the test screen, for all tests of this program; started on first use and
// stopped (SIGTERM, then SIGKILL) by the environment at the end.
class Desktop {
 public:
  static Desktop& get() {
    if (!instance_) instance_.reset(new Desktop);
    return *instance_;
  }
  static void stop() { instance_.reset(); }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  Xvnc& xvnc() { return *xvnc_; }
  const fs::path& dir() const { return dir_.path; }
  // What xwd reads of the screen: must be the generated picture.
  const Image& screen() const { return screen_; }

  // xwud's window id, for xdotool.
  std::string window() {
    const RunResult r = run({"xdotool", "search", "--class", "Xwud"}, xvnc_->env(), 10s);
    std::string id = r.out.substr(0, r.out.find('\n'));
    return r.status == 0 ? id : std::string();
  }

 private:
  Desktop() {
    if (dir_.path.empty()) {
      error_ = "no temporary folder";
      return;
    }
    xvnc_ = Xvnc::start(dir_.path, "desktop", {}, error_);
    if (!xvnc_) return;
    const Image want = test_screen();
    xwud_ = show(*xvnc_, dir_.path, want, "+0+0");
    std::string error;
    auto shown = wait_screen(
        *xvnc_, [&](const Image& s) { return s == want; }, error);
    if (!shown) {
      error_ = "xwud did not show the test screen (is x11-apps installed?): " + error + " " +
               read_file(dir_.path / "xwud.log");
      return;
    }
    screen_ = *shown;
  }

  static std::unique_ptr<Desktop> instance_;
  TempDir dir_;
  std::unique_ptr<Xvnc> xvnc_;
  Child xwud_;
  Image screen_;
  std::string error_;
};
std::unique_ptr<Desktop> Desktop::instance_;

class DesktopEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { Desktop::stop(); }
};
[[maybe_unused]] const auto* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new DesktopEnvironment);

// [SECTION] The encoding matrix

struct Case {
  std::string name;      // file name stem: "zrle-16"
  std::string encoding;  // as mwcodec takes it
  int bpp;
  int jpeg;          // JPEG quality, -1 for none
  double min_share;  // of the pixels, at least this much in the named encoding
};

// gtest prints a parameter in test names and ctest's listing: the name, not the bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

// TigerVNC picks an encoder per rectangle class (common/rfb/EncodeManager.cxx, prepareEncoders):
// with RRE it sends only solid and run-length-friendly areas as RRE and the rest Raw (the solid
// blocks are a third of the screen); CopyRect is measured after a window move, not on the first
// update; every other encoding covers everything.
std::vector<Case> cases() {
  std::vector<Case> c;
  for (const int bpp : {32, 16}) {
    const std::string b = "-" + std::to_string(bpp);
    c.push_back({"raw" + b, "raw", bpp, -1, 1.0});
    c.push_back({"copyrect" + b, "copyrect", bpp, -1, 0.0});
    c.push_back({"rre" + b, "rre", bpp, -1, 0.3});
    c.push_back({"hextile" + b, "hextile", bpp, -1, 1.0});
    c.push_back({"zrle" + b, "zrle", bpp, -1, 1.0});
    c.push_back({"tight" + b, "tight", bpp, -1, 1.0});
    c.push_back({"tight-jpeg" + b, "tight", bpp, 8, 1.0});
  }
  c.push_back({"raw-8", "raw", 8, -1, 1.0});
  return c;
}

PixelFormat format_of(int bpp) {
  return bpp == 32   ? PixelFormat::rgb888()
         : bpp == 16 ? PixelFormat::rgb565()
                     : PixelFormat::rgb332();
}

// The same choice as `mwcodec rfb-record`: Raw alone, or the encoding with DesktopSize, LastRect
// and the JPEG quality.
ClientConfig config_of(const Case& c) {
  ClientConfig config;
  config.pixel_format = format_of(c.bpp);
  std::int32_t e = 0;
  encoding_by_name(c.encoding, e);
  if (e == encoding::kRaw) {
    config.encodings = {encoding::kRaw};
  } else {
    config.encodings = {e, encoding::kDesktopSize, encoding::kLastRect};
    if (c.jpeg >= 0) config.encodings.push_back(encoding::kJpegQuality0 + c.jpeg);
  }
  return config;
}

// The pixels of `encoding` in the decoder's statistics, as a share of all rectangle pixels.
double share_of(const Decoder& d, std::int32_t encoding, std::string& summary) {
  std::uint64_t all = 0, mine = 0;
  for (const auto& s : d.stats()) {
    summary += std::string(encoding_name(s.encoding)) + " " + std::to_string(s.rects) + " rects " +
               std::to_string(s.pixels) + " px; ";
    if (s.encoding < 0) continue;  // pseudo-encodings carry no pixels
    all += s.pixels;
    if (s.encoding == encoding) mine += s.pixels;
  }
  return all == 0 ? 0 : static_cast<double>(mine) / static_cast<double>(all);
}

std::uint64_t rects_of(const Decoder& d, std::int32_t encoding) {
  for (const auto& s : d.stats()) {
    if (s.encoding == encoding) return s.rects;
  }
  return 0;
}

class XvncEncoding : public ::testing::TestWithParam<Case> {};

// Pumps `s` until its framebuffer (checked after each complete update) equals `want`.
bool wait_framebuffer(Session& s, const Image& want, std::chrono::milliseconds timeout = 20s) {
  int seen = -1;
  return s.pump_until(
      [&] {
        if (s.updates() == seen) return false;
        seen = s.updates();
        return difference(want, from_framebuffer(s.client().framebuffer())).empty();
      },
      timeout);
}

TEST_P(XvncEncoding, FirstUpdateMatchesScreen) {
  const Case& c = GetParam();
  Desktop& d = Desktop::get();
  ASSERT_TRUE(d.ok()) << d.error();
  const Image want = quantize(d.screen(), format_of(c.bpp));

  Session s(connect_loopback(d.xvnc().port()), config_of(c));
  ASSERT_TRUE(s.wait_updates(1)) << s.failure() << s.error();
  const Connected* hello = s.last<Connected>();
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->version_minor, 8);
  EXPECT_EQ(hello->name, "meshwork-test");
  const Image fb = from_framebuffer(s.client().framebuffer());

  std::int32_t enc = 0;
  ASSERT_TRUE(encoding_by_name(c.encoding, enc));
  std::string summary;
  const double share = share_of(*s.client().decoder(), enc, summary);
  if (enc != encoding::kCopyRect) {
    EXPECT_GE(share, c.min_share) << c.name << ": " << summary;
  }
  if (c.jpeg < 0) {
    EXPECT_EQ(difference(want, fb), "") << c.name << ": " << summary;
  } else {
    EXPECT_GE(psnr(d.screen(), fb), 30.0) << c.name;
    // Exactly equal would mean the server did not use JPEG at all.
    EXPECT_NE(difference(want, fb), "") << c.name << " decoded losslessly: was JPEG used?";
  }

  if (enc == encoding::kCopyRect) {
    // Moving a window is a CopyWindow in the X server, which Xvnc sends as CopyRect; the area
    // it uncovers comes as Raw.
    const std::string window = d.window();
    ASSERT_FALSE(window.empty()) << "xdotool found no xwud window (is xdotool installed?)";
    const Image before = d.screen();
    ASSERT_EQ(run({"xdotool", "windowmove", window, "40", "30"}, d.xvnc().env(), 10s).status, 0);
    std::string error;
    const auto moved = wait_screen(
        d.xvnc(), [&](const Image& img) { return !(img == before); }, error);
    ASSERT_TRUE(moved) << error;
    EXPECT_TRUE(wait_framebuffer(s, quantize(*moved, format_of(c.bpp))))
        << difference(quantize(*moved, format_of(c.bpp)),
                      from_framebuffer(s.client().framebuffer()))
        << s.failure();
    EXPECT_GE(rects_of(*s.client().decoder(), encoding::kCopyRect), 1u);
    // Back where the other tests expect it.
    ASSERT_EQ(run({"xdotool", "windowmove", window, "0", "0"}, d.xvnc().env(), 10s).status, 0);
    const auto back = wait_screen(
        d.xvnc(), [&](const Image& img) { return img == before; }, error);
    ASSERT_TRUE(back) << error;
    EXPECT_TRUE(wait_framebuffer(s, want)) << s.failure();
    EXPECT_GE(rects_of(*s.client().decoder(), encoding::kCopyRect), 2u);
  }
  EXPECT_EQ(s.failure(), "");
}

std::string case_name(const ::testing::TestParamInfo<Case>& param) {
  std::string n = param.param.name;
  for (char& ch : n) {
    if (ch == '-') ch = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(Xvnc, XvncEncoding, ::testing::ValuesIn(cases()), case_name);

// What a viewer asks for by default (ClientConfig's Tight, ZRLE, ..., ExtendedDesktopSize, Cursor,
// LastRect): TigerVNC then starts with a Cursor rectangle (0x0 here: -nocursor) and an
// ExtendedDesktopSize one before the pixels.
TEST(XvncDefaults, DefaultConfigMatchesScreen) {
  Desktop& d = Desktop::get();
  ASSERT_TRUE(d.ok()) << d.error();
  Session s(connect_loopback(d.xvnc().port()), ClientConfig{});
  ASSERT_TRUE(
      s.pump_until([&] { return s.updates() >= 1 && s.client().decoder()->updates() >= 1; }, 20s))
      << s.failure() << s.error()
      << " (decoder idle: " << (s.client().decoder() && s.client().decoder()->idle()) << ")";
  ASSERT_TRUE(wait_framebuffer(s, d.screen()))
      << difference(d.screen(), from_framebuffer(s.client().framebuffer()));
  std::string summary;
  EXPECT_EQ(share_of(*s.client().decoder(), encoding::kTight, summary), 1.0) << summary;
  EXPECT_EQ(s.failure(), "");
}

// [SECTION] Security and versions

// The password file of VNC authentication, made by TigerVNC's own tool.
fs::path password_file(const fs::path& dir, const std::string& password, std::string& error) {
  const RunResult r = run({"vncpasswd", "-f"}, x_env(":0"), 10s, password + "\n");
  if (r.status != 0 || r.out.size() != 8) {
    error = "vncpasswd -f failed (is tigervnc-tools installed?): status " +
            std::to_string(r.status) + " " + r.err;
    return {};
  }
  const fs::path file = dir / "passwd";
  write_file(file, r.out);
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  return file;
}

TEST(XvncAuth, VncAuthenticationAcceptsThePasswordAndRefusesAnother) {
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  std::string error;
  const fs::path pw = password_file(dir.path, "meshwork", error);
  ASSERT_FALSE(pw.empty()) << error;
  auto x = Xvnc::start(dir.path, "auth",
                       {"-SecurityTypes", "VncAuth", "-PasswordFile", pw.string()}, error);
  ASSERT_TRUE(x) << error;

  {
    ClientConfig config;
    config.password = "meshwork";
    config.encodings = {encoding::kZrle, encoding::kDesktopSize};
    Session s(connect_loopback(x->port()), config);
    ASSERT_TRUE(s.wait_updates(1)) << s.failure() << s.error();
    EXPECT_EQ(s.client().server().security, SecurityType::kVncAuth);
    EXPECT_EQ(s.client().framebuffer().width(), 320);
  }
  {
    ClientConfig config;
    config.password = "wrong-pw";
    Session s(connect_loopback(x->port()), config);
    s.pump_until([&] { return s.count<AuthFailed>() > 0; }, 20s);
    const AuthFailed* failed = s.last<AuthFailed>();
    ASSERT_NE(failed, nullptr) << s.failure() << s.error();
    // RFB 3.8 carries the server's reason; the client's own fallback text is lower-case.
    EXPECT_NE(failed->reason, "authentication failed");
    EXPECT_EQ(failed->reason, "Authentication failure");  // TigerVNC 1.12's text
    EXPECT_EQ(s.client().state(), ClientState::kFailed);
  }
}

TEST(XvncVersions, Rfb33WithXvncProtocol33) {
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  std::string error;
  auto x = Xvnc::start(dir.path, "rfb33", {"-Protocol3.3"}, error);
  ASSERT_TRUE(x) << error;
  const auto screen = screenshot(x->env(), x->display(), error);
  ASSERT_TRUE(screen) << error;
  ClientConfig config;
  config.encodings = {encoding::kZrle, encoding::kRaw};
  Session s(connect_loopback(x->port()), config);
  ASSERT_TRUE(s.wait_updates(1)) << s.failure() << s.error();
  EXPECT_EQ(s.client().server().version_minor, 3);
  EXPECT_EQ(s.client().server().security, SecurityType::kNone);
  EXPECT_EQ(difference(*screen, from_framebuffer(s.client().framebuffer())), "");
}

// Bytes the fake server reads from the client: exactly `n` of them, within 5 s.
std::vector<std::uint8_t> read_exactly(int fd, std::size_t n) {
  std::vector<std::uint8_t> out;
  const auto deadline = Clock::now() + 5s;
  while (out.size() < n && Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, ms_left(deadline)) <= 0) continue;
    std::uint8_t buf[4096];
    const ssize_t got = recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
    if (got <= 0) break;
    out.insert(out.end(), buf, buf + got);
  }
  return out;
}

void write_all(int fd, const std::vector<std::uint8_t>& bytes) {
  ASSERT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
}

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

// RFB 3.7 (RFC 6143 §7.1.2 and §7.2): the server lists the security types, and there is no
// SecurityResult after None. Xvnc only speaks 3.3 and 3.8, so a fake server sends canned bytes
// over a socket pair and checks what the client answers.
TEST(XvncVersions, Rfb37FakeServerNone) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  const int server = sv[1];
  ClientConfig config;
  config.encodings = {encoding::kRaw};
  Session s(sv[0], config);

  write_all(server, bytes_of("RFB 003.007\n"));
  ASSERT_TRUE(s.pump_until([&] { return s.client().state() == ClientState::kSecurityTypes; }, 5s));
  EXPECT_EQ(read_exactly(server, 12), bytes_of("RFB 003.007\n"));
  write_all(server, {1, 1});  // one type: None
  ASSERT_TRUE(s.pump_until([&] { return s.client().state() == ClientState::kServerInit; }, 5s))
      << s.failure();
  EXPECT_EQ(read_exactly(server, 2),
            (std::vector<std::uint8_t>{1, 1}));  // None, then ClientInit shared

  std::vector<std::uint8_t> init = {0, 4, 0, 2};
  const auto pf = PixelFormat::rgb888().encode();
  init.insert(init.end(), pf.begin(), pf.end());
  init.insert(init.end(), {0, 0, 0, 4, 'f', 'a', 'k', 'e'});
  write_all(server, init);
  ASSERT_TRUE(s.pump_until([&] { return s.client().running(); }, 5s)) << s.failure();
  EXPECT_EQ(s.client().server().version_minor, 7);
  EXPECT_EQ(s.client().server().name, "fake");
  // SetPixelFormat, SetEncodings [Raw], FramebufferUpdateRequest of the whole screen.
  std::vector<std::uint8_t> want = {0, 0, 0, 0};
  want.insert(want.end(), pf.begin(), pf.end());
  want.insert(want.end(), {2, 0, 0, 1, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 4, 0, 2});
  EXPECT_EQ(read_exactly(server, want.size()), want);

  std::vector<std::uint8_t> update = {0, 0, 0, 1, 0, 0, 0, 0, 0, 4, 0, 2, 0, 0, 0, 0};
  for (int i = 0; i < 8; ++i)
    update.insert(update.end(), {static_cast<std::uint8_t>(i * 30), 0x80, 0x10, 0});
  write_all(server, update);
  ASSERT_TRUE(s.wait_updates(1, 5s)) << s.failure();
  EXPECT_EQ(s.client().framebuffer().at(3, 1), rgba(0x10, 0x80, 7 * 30));
  EXPECT_EQ(read_exactly(server, 10), (std::vector<std::uint8_t>{3, 1, 0, 0, 0, 0, 0, 4, 0, 2}));
  close(server);
}

// RFB 3.7 with VNC authentication refused: 3.7 has no reason string after SecurityResult 1.
TEST(XvncVersions, Rfb37FakeServerVncAuthRefused) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  const int server = sv[1];
  ClientConfig config;
  config.password = "secret";
  Session s(sv[0], config);
  std::vector<std::uint8_t> hello = bytes_of("RFB 003.007\n");
  hello.insert(hello.end(), {1, 2});
  std::array<std::uint8_t, 16> challenge{};
  for (std::size_t i = 0; i < challenge.size(); ++i)
    challenge[i] = static_cast<std::uint8_t>(i * 17 + 3);
  hello.insert(hello.end(), challenge.begin(), challenge.end());
  write_all(server, hello);
  ASSERT_TRUE(s.pump_until([&] { return s.client().state() == ClientState::kSecurityResult; }, 5s))
      << s.failure();
  std::vector<std::uint8_t> want = bytes_of("RFB 003.007\n");
  want.push_back(2);
  const auto response = vnc_auth_response(challenge, "secret");
  want.insert(want.end(), response.begin(), response.end());
  EXPECT_EQ(read_exactly(server, want.size()), want);
  write_all(server, {0, 0, 0, 1});
  s.pump_until([&] { return s.count<AuthFailed>() > 0; }, 5s);
  ASSERT_NE(s.last<AuthFailed>(), nullptr) << s.failure();
  EXPECT_EQ(s.client().state(), ClientState::kFailed);
  close(server);
}

// [SECTION] DesktopSize

TEST(XvncDesktopSize, XrandrResizeArrivesAsDesktopSize) {
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  std::string error;
  auto x = Xvnc::start(dir.path, "resize", {}, error);
  ASSERT_TRUE(x) << error;
  const Image img = test_screen();
  Child xwud = show(*x, dir.path, img, "+0+0");
  ASSERT_TRUE(wait_screen(
      *x, [&](const Image& s) { return s == img; }, error))
      << error;

  ClientConfig config;
  config.encodings = {encoding::kZrle, encoding::kDesktopSize, encoding::kLastRect};
  Session s(connect_loopback(x->port()), config);
  ASSERT_TRUE(s.wait_updates(1)) << s.failure() << s.error();
  EXPECT_EQ(difference(img, from_framebuffer(s.client().framebuffer())), "");

  const RunResult r = run({"xrandr", "--fb", "400x300"}, x->env(), 10s);
  ASSERT_EQ(r.status, 0) << "xrandr (x11-xserver-utils) failed: " << r.err;
  const auto resized = wait_screen(
      *x, [](const Image& shot) { return shot.width == 400 && shot.height == 300; }, error);
  ASSERT_TRUE(resized) << error;
  ASSERT_TRUE(s.pump_until([&] { return s.count<Resized>() > 0; }, 20s)) << s.failure();
  EXPECT_EQ(s.last<Resized>()->width, 400);
  EXPECT_EQ(s.last<Resized>()->height, 300);
  // The client asks for the whole new screen by itself; the picture stays in the corner.
  EXPECT_TRUE(wait_framebuffer(s, *resized))
      << difference(*resized, from_framebuffer(s.client().framebuffer())) << s.failure();
  EXPECT_GE(rects_of(*s.client().decoder(), encoding::kDesktopSize), 1u);
}

// [SECTION] Input

TEST(XvncInput, PointerAndKeyEventsReachTheServer) {
  Desktop& d = Desktop::get();
  ASSERT_TRUE(d.ok()) << d.error();
  ClientConfig config;
  config.encodings = {encoding::kZrle, encoding::kDesktopSize};
  Session s(connect_loopback(d.xvnc().port()), config);
  ASSERT_TRUE(s.wait_updates(1)) << s.failure() << s.error();

  const auto pointer_at = [&](int x, int y) {
    const std::string want = "X=" + std::to_string(x) + "\nY=" + std::to_string(y) + "\n";
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
      const RunResult r = run({"xdotool", "getmouselocation", "--shell"}, d.xvnc().env(), 10s);
      if (r.status != 0) return "xdotool failed: " + r.err;
      if (r.out.rfind(want, 0) == 0) return std::string();
      // Let the server read what was sent: the session keeps reading meanwhile.
      s.pump_until([] { return false; }, 30ms);
    }
    return "the pointer is not at " + std::to_string(x) + "," + std::to_string(y);
  };
  ASSERT_TRUE(s.apply(s.client().pointer(100, 50, 0)));
  EXPECT_EQ(pointer_at(100, 50), "");
  // Clamped to the framebuffer.
  ASSERT_TRUE(s.apply(s.client().pointer(5000, -3, 0)));
  EXPECT_EQ(pointer_at(319, 0), "");
  // Shift down and up: nothing on the screen reacts, the server must simply accept them.
  ASSERT_TRUE(s.apply(s.client().key(0xFFE1, true)));
  ASSERT_TRUE(s.apply(s.client().key(0xFFE1, false)));
  ASSERT_TRUE(s.apply(s.client().request_update(false)));
  const int before = s.updates();
  ASSERT_TRUE(s.wait_updates(before + 1)) << s.failure() << s.error();
  EXPECT_EQ(difference(d.screen(), from_framebuffer(s.client().framebuffer())), "");
  EXPECT_EQ(s.failure(), "");
  EXPECT_TRUE(d.xvnc().running());
}

// [SECTION] Recordings (mwcodec rfb-record / rfb-decode) and the unit tests' data

// The pixels of a PNG as mwcodec writes it (8-bit RGB, filter 0 on every row).
std::optional<Image> read_png(const std::string& png, std::string& error) {
  if (png.size() < 8 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) {
    error = "not a PNG";
    return std::nullopt;
  }
  const auto be32 = [&](std::size_t at) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(png.data()) + at;
    return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
           static_cast<std::uint32_t>(p[2]) << 8 | p[3];
  };
  std::size_t at = 8;
  int width = 0, height = 0;
  std::string z;
  while (at + 12 <= png.size()) {
    const std::uint32_t len = be32(at);
    const std::string type = png.substr(at + 4, 4);
    if (at + 12 + len > png.size()) break;
    const std::uint32_t crc = be32(at + 8 + len);
    if (crc != crc32(0, reinterpret_cast<const Bytef*>(png.data() + at + 4), len + 4)) {
      error = "bad CRC in " + type;
      return std::nullopt;
    }
    if (type == "IHDR") {
      width = static_cast<int>(be32(at + 8));
      height = static_cast<int>(be32(at + 12));
      if (png.compare(at + 16, 5, std::string("\x08\x02\x00\x00\x00", 5)) != 0) {
        error = "not 8-bit RGB";
        return std::nullopt;
      }
    } else if (type == "IDAT") {
      z += png.substr(at + 8, len);
    } else if (type == "IEND") {
      break;
    }
    at += 12 + len;
  }
  Image img(width, height);
  std::vector<std::uint8_t> raw(static_cast<std::size_t>(height) * (1 + width * 3));
  uLongf size = raw.size();
  if (width <= 0 || height <= 0 ||
      uncompress(raw.data(), &size, reinterpret_cast<const Bytef*>(z.data()), z.size()) != Z_OK ||
      size != raw.size()) {
    error = "bad IDAT";
    return std::nullopt;
  }
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* row = raw.data() + static_cast<std::size_t>(y) * (1 + width * 3);
    if (row[0] != 0) {
      error = "a row with a filter";
      return std::nullopt;
    }
    std::copy(row + 1, row + 1 + width * 3, img.at(0, y));
  }
  return img;
}

// Each capture of the matrix, recorded by mwcodec (the first complete update: enough for the unit
// tests and small; CopyRect's also holds a window moved out and back) and decoded by mwcodec: the
// PNG must be the screen (exactly for lossless encodings, 30 dB for JPEG) and carry the printed
// SHA-256, which must also be that of a live session's framebuffer in the same configuration.
TEST(XvncRecord, WriteCaptures) {
  Desktop& d = Desktop::get();
  ASSERT_TRUE(d.ok()) << d.error();
  const char* write_dir = std::getenv("MW_RFB_WRITE_DATA");
  TempDir tmp;
  ASSERT_FALSE(tmp.path.empty());
  const fs::path out = write_dir != nullptr && *write_dir != '\0' ? fs::path(write_dir) : tmp.path;
  fs::create_directories(out);

  nlohmann::json manifest = {
      {"screen", "screen.rgb.gz"}, {"width", kScreenWidth}, {"height", kScreenHeight}};
  manifest["captures"] = nlohmann::json::array();
  std::size_t total = 0;
  for (const Case& c : cases()) {
    const fs::path file = out / (c.name + ".rfb.gz");
    const bool moves = c.encoding == "copyrect";
    std::vector<std::string> argv = {
        MW_MWCODEC,           "rfb-record", "127.0.0.1:" + std::to_string(d.xvnc().port()),
        "--encoding",         c.encoding,   "--bpp",
        std::to_string(c.bpp)};
    if (c.jpeg >= 0) argv.insert(argv.end(), {"--jpeg", std::to_string(c.jpeg)});
    // The first update only, except for CopyRect: there the moves decide (the screen is still
    // afterwards, so nothing more comes within the seconds).
    if (moves) {
      argv.insert(argv.end(), {"--seconds", "4"});
    } else {
      argv.insert(argv.end(), {"--seconds", "10", "--updates", "1"});
    }
    argv.push_back(file.string());
    if (moves) {
      // The window moves out and back while the recorder runs, so that the capture holds
      // CopyRect rectangles and still ends on the test screen.
      const auto accepted = [&] {
        const std::string log = read_file(d.xvnc().log());
        std::size_t n = 0;
        for (std::size_t at = 0; (at = log.find("Client pixel format", at)) != std::string::npos;
             ++at)
          ++n;
        return n;
      };
      const std::size_t before = accepted();
      Child recorder = Child::spawn(argv, x_env(":0"), tmp.path / "record.log");
      const auto deadline = Clock::now() + 20s;
      while (accepted() == before && recorder.running() && Clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
      }
      const std::string window = d.window();
      ASSERT_FALSE(window.empty());
      std::string error;
      for (const char* at : {"60", "0"}) {
        ASSERT_EQ(run({"xdotool", "windowmove", window, at, at}, d.xvnc().env(), 10s).status, 0);
        const bool home = std::string(at) == "0";
        ASSERT_TRUE(wait_screen(
            d.xvnc(), [&](const Image& img) { return (img == d.screen()) == home; }, error))
            << error;
      }
      ASSERT_TRUE(recorder.wait(Clock::now() + 30s));
      ASSERT_EQ(recorder.status(), 0) << read_file(tmp.path / "record.log");
    } else {
      const RunResult rec = run(argv, x_env(":0"), 60s);
      ASSERT_EQ(rec.status, 0) << c.name << ": " << rec.err;
    }
    total += fs::file_size(file);

    const fs::path png = tmp.path / (c.name + ".png");
    const RunResult dec =
        run({MW_MWCODEC, "rfb-decode", file.string(), "--png", png.string()}, x_env(":0"), 60s);
    ASSERT_EQ(dec.status, 0) << c.name << ": " << dec.err;
    ASSERT_EQ(dec.out.rfind("sha256 ", 0), 0u) << dec.out;
    const std::string sha = dec.out.substr(7, 64);
    std::string error;
    const auto image = read_png(read_file(png), error);
    ASSERT_TRUE(image) << c.name << ": " << error;
    EXPECT_EQ(sha256_hex(image->rgb), sha) << c.name;
    if (moves) {
      EXPECT_NE(dec.out.find("CopyRect"), std::string::npos) << dec.out;
    }
    const bool lossless = c.jpeg < 0;
    if (lossless) {
      EXPECT_EQ(difference(quantize(d.screen(), format_of(c.bpp)), *image), "") << c.name;
    } else {
      EXPECT_GE(psnr(d.screen(), *image), 30.0) << c.name;
    }

    Session live(connect_loopback(d.xvnc().port()), config_of(c));
    ASSERT_TRUE(live.wait_updates(1)) << live.failure() << live.error();
    EXPECT_EQ(sha256_hex(from_framebuffer(live.client().framebuffer()).rgb), sha) << c.name;

    nlohmann::json entry = {{"file", c.name + ".rfb.gz"},
                            {"encoding", c.encoding},
                            {"bpp", c.bpp},
                            {"sha256", sha},
                            {"lossless", lossless}};
    if (c.jpeg >= 0) entry["jpegQuality"] = c.jpeg;
    manifest["captures"].push_back(entry);
    std::printf("%s: %zu bytes; %s", c.name.c_str(), static_cast<std::size_t>(fs::file_size(file)),
                dec.out.c_str());
  }
  const auto screen = gzip(d.screen().rgb);
  total += screen.size();
  // The committed data stays small: under 1.5 MB for everything.
  EXPECT_LT(total, 1536u * 1024u);
  std::printf("total %zu bytes\n", total);
  ASSERT_TRUE(
      write_file(out / "screen.rgb.gz",
                 std::string_view(reinterpret_cast<const char*>(screen.data()), screen.size())));
  ASSERT_TRUE(write_file(out / "manifest.json", manifest.dump(2) + "\n"));
}

// The committed data still describes today's screen: the picture xwud shows is the committed
// one, and every lossless capture's SHA-256 is that of the screen as Xvnc quantizes it.
TEST(XvncRecord, CommittedDataMatchesTheScreen) {
  Desktop& d = Desktop::get();
  ASSERT_TRUE(d.ok()) << d.error();
  const fs::path data = fs::path(MW_TEST_DATA) / "rfb";
  const std::string gz = read_file(data / "screen.rgb.gz");
  const auto rgb = gunzip({reinterpret_cast<const std::uint8_t*>(gz.data()), gz.size()}, 1 << 20);
  ASSERT_TRUE(rgb) << rgb.error().message;
  EXPECT_TRUE(*rgb == d.screen().rgb) << "tests/data/rfb/screen.rgb.gz is not the test screen";
  const auto manifest = nlohmann::json::parse(read_file(data / "manifest.json"), nullptr, false);
  ASSERT_TRUE(manifest.is_object());
  int checked = 0;
  for (const auto& entry : manifest["captures"]) {
    EXPECT_TRUE(fs::exists(data / entry["file"].get<std::string>())) << entry["file"];
    if (!entry["lossless"].get<bool>()) continue;
    const Image want = quantize(d.screen(), format_of(entry["bpp"].get<int>()));
    EXPECT_EQ(entry["sha256"].get<std::string>(), sha256_hex(want.rgb)) << entry["file"];
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(cases().size()) - 2);  // all but the two JPEG captures
}

}  // namespace
