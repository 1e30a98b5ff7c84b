// Peer tests of tools/amtsim in LAN mode (the device sides of shared/redir and shared/wsman)
// against programs nobody here wrote: Debian's amtterm connects to a simulated device,
// authenticates, starts Serial-over-LAN and shows the simulated console, typed commands come back,
// a wrong password is refused the way amtterm reports it; MeshCentral's own WS-Management stack
// (npm meshcentral, amt/*.js, driven by meshcentral_wsman.cjs) reads AMT_GeneralSettings and
// CIM_SoftwareIdentity and changes the power state with Digest authentication, which the SOL
// console then shows; MeshCentral's own MPS accepts amtsim's CIRA connections (APF login with the
// device group's 16-character id and the MPS password, tcpip-forward) and records the devices.
// The KVM over TCP (KvmAmtsim): a redirection client (shared/redir) logs in for KVM and Meshwork's
// RFB client (shared/rfb) decodes the desktop the amtsim binary serves, compared pixel for pixel
// with the screen drawn in-process (tools/amtsim/screen.cpp), and its clock ticking.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <fstream>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "../../../tools/amtsim/screen.hpp"
#include "../amtsim_process.hpp"
#include "../process.hpp"
#include "mw/redir/session.hpp"
#include "mw/rfb/client.hpp"
#include "mw/util/hex.hpp"
#include "mw/util/md5.hpp"
#include "mw/wsman/amt_logs.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using mw::test::peer::Child;
using mw::test::peer::current_env;
using mw::test::peer::read_until;

constexpr const char* kPassword = "P@ssw0rd-sim";

// amtsim on 127.0.0.N with ephemeral ports; reads its device lines until "ready".
class Amtsim {
 public:
  explicit Amtsim(int count, const std::string& first_ip = "127.0.0.1", const std::string& power = "on", bool tls = false) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return;
    std::vector<std::string> argv{MW_AMTSIM, "--mode", "lan", "--count", std::to_string(count), "--first-ip", first_ip,
                                  "--redir-port", "0", "--wsman-port", "0", "--amt-pass", kPassword, "--power", power};
    if (tls) argv.push_back("--tls");
    child_ = Child::spawn(argv, current_env(), {}, -1, -1, out[1]);
    close(out[1]);
    std::string text;
    read_until(out[0], text, "ready\n", 0, Clock::now() + std::chrono::seconds(20));
    close(out[0]);
    const std::regex line(R"(device (\d+) uuid=([0-9a-f-]{36}) redir=([0-9.]+):(\d+) wsman=[0-9.]+:(\d+) power=(\w+))");
    for (std::sregex_iterator it(text.begin(), text.end(), line), end; it != end; ++it) {
      devices.push_back({(*it)[2], (*it)[3], std::stoi((*it)[4]), std::stoi((*it)[5]), (*it)[6]});
    }
    ready = text.find("ready\n") != std::string::npos;
    output = text;
    std::smatch m;
    if (std::regex_search(text, m, std::regex("tls-sha384=([0-9a-f]{96})"))) tls_sha384 = m[1];
  }

  struct Device {
    std::string uuid, address;
    int port = 0;        // redirection
    int wsman_port = 0;  // WS-Management
    std::string power;
  };
  std::vector<Device> devices;
  bool ready = false;
  std::string output;
  std::string tls_sha384;  // --tls: the certificate's SHA-384 as amtsim printed it

 private:
  Child child_;
};

// amtterm in a pseudo-terminal (it puts its terminal in raw mode and reads keys from it).
class Amtterm {
 public:
  Amtterm(const std::string& address, int port, const std::string& password) {
    pid_ = forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      const std::string p = std::to_string(port);
      execlp("amtterm", "amtterm", "-u", "admin", "-p", password.c_str(), address.c_str(), p.c_str(),
             static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~Amtterm() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) close(master_);
  }

  // Reads until `text` has appeared (after what earlier waits consumed) or the deadline passes.
  bool wait_for(const std::string& text, std::chrono::milliseconds within = std::chrono::seconds(15)) {
    const auto at = read_until(master_, screen, text, seen_, Clock::now() + within);
    if (at == std::string::npos) return false;
    seen_ = at + text.size();
    return true;
  }

  void type(const std::string& keys) { ASSERT_EQ(write(master_, keys.data(), keys.size()), static_cast<ssize_t>(keys.size())); }

  // Exit status once amtterm has ended (reading what it still prints), -1 if it did not.
  int wait_exit(std::chrono::milliseconds within = std::chrono::seconds(10)) {
    const auto deadline = Clock::now() + within;
    while (Clock::now() < deadline) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        // What it wrote last may still be in the pseudo-terminal (a loaded machine reaps first).
        wait_for("\x01never\x01", std::chrono::milliseconds(200));
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      wait_for("\x01never\x01", std::chrono::milliseconds(50));
    }
    return -1;
  }

  std::string screen;

 private:
  pid_t pid_ = -1;
  int master_ = -1;
  std::size_t seen_ = 0;
};

TEST(AmttermAmtsim, SolConsoleLoginAndCommands) {
  Amtsim sim(2);
  ASSERT_TRUE(sim.ready) << sim.output;
  ASSERT_EQ(sim.devices.size(), 2u);
  // Consecutive loopback addresses, distinct stable UUIDs.
  EXPECT_EQ(sim.devices[0].address, "127.0.0.1");
  EXPECT_EQ(sim.devices[1].address, "127.0.0.2");
  EXPECT_NE(sim.devices[0].uuid, sim.devices[1].uuid);

  for (int i = 0; i < 2; ++i) {
    SCOPED_TRACE("device " + std::to_string(i + 1));
    const auto& d = sim.devices[static_cast<std::size_t>(i)];
    Amtterm term(d.address, d.port, kPassword);
    ASSERT_TRUE(term.wait_for("serial-over-lan redirection ok")) << term.screen;
    ASSERT_TRUE(term.wait_for("System UUID: " + d.uuid)) << term.screen;
    const std::string host = "amtsim-" + std::to_string(i + 1);
    ASSERT_TRUE(term.wait_for(host + " login: ")) << term.screen;
    term.type("admin\r");
    ASSERT_TRUE(term.wait_for("admin@" + host + ":~$ ")) << term.screen;
    term.type("echo sol works 42\r");
    // (the pseudo-terminal turns the console's CR LF into CR CR LF: lines are matched by their start)
    ASSERT_TRUE(term.wait_for("\nsol works 42\r")) << term.screen;
    term.type("hostname\r");
    ASSERT_TRUE(term.wait_for("\n" + host + "\r")) << term.screen;
    term.type("\x1d");  // ^]: amtterm ends SOL and the session
    EXPECT_EQ(term.wait_exit(), 0) << term.screen;
    EXPECT_NE(term.screen.find("CLOSING -> CLOSED"), std::string::npos) << term.screen;
  }
}

// amtterm gives up on a session after 20 s without a message from AMT; the device's SOL heartbeats
// (at the 5 s interval amtterm asks for) keep a quiet session up past that.
TEST(AmttermAmtsim, QuietSessionStaysUp) {
  Amtsim sim(1);
  ASSERT_TRUE(sim.ready) << sim.output;
  Amtterm term(sim.devices[0].address, sim.devices[0].port, kPassword);
  ASSERT_TRUE(term.wait_for("login: ")) << term.screen;
  std::this_thread::sleep_for(std::chrono::seconds(23));
  term.type("admin\r");
  ASSERT_TRUE(term.wait_for(":~$ ")) << term.screen;
  term.type("\x1d");
  EXPECT_EQ(term.wait_exit(), 0) << term.screen;
}

TEST(AmttermAmtsim, WrongPasswordIsRefused) {
  Amtsim sim(1);
  ASSERT_TRUE(sim.ready) << sim.output;
  Amtterm term(sim.devices[0].address, sim.devices[0].port, "not-the-password");
  // amtterm reports the refusal and ends (with status 0: it exits normally after any session).
  EXPECT_GE(term.wait_exit(std::chrono::seconds(15)), 0) << term.screen;
  EXPECT_NE(term.screen.find("AUTH -> ERROR"), std::string::npos) << term.screen;
  EXPECT_NE(term.screen.find("session authentication failed"), std::string::npos) << term.screen;
  EXPECT_EQ(term.screen.find("login:"), std::string::npos) << term.screen;
}

TEST(AmttermAmtsim, PoweredOffDeviceHasSolButNoConsoleOutput) {
  Amtsim sim(1, "127.0.0.1", "off");
  ASSERT_TRUE(sim.ready) << sim.output;
  EXPECT_EQ(sim.devices[0].power, "off");
  Amtterm term(sim.devices[0].address, sim.devices[0].port, kPassword);
  ASSERT_TRUE(term.wait_for("serial-over-lan redirection ok")) << term.screen;
  // The serial port of a computer that is off prints nothing, whatever is typed.
  term.type("help\r");
  EXPECT_FALSE(term.wait_for("login:", std::chrono::milliseconds(1500))) << term.screen;
  EXPECT_EQ(term.screen.find("commands:"), std::string::npos) << term.screen;
  term.type("\x1d");
  EXPECT_EQ(term.wait_exit(), 0) << term.screen;
}

TEST(AmttermAmtsim, BadArgumentsAreRefused) {
  const auto r = mw::test::peer::run({MW_AMTSIM, "--mode", "lan", "--amt-pass", "x", "--first-ip", "not-an-ip"},
                                    current_env(), std::chrono::seconds(10));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("not an IPv4 address"), std::string::npos) << r.err;
  const auto cira =
      mw::test::peer::run({MW_AMTSIM, "--mode", "cira", "--amt-pass", "x"}, current_env(), std::chrono::seconds(10));
  EXPECT_EQ(cira.status, 2);
  EXPECT_NE(cira.err.find("--mode cira needs --mps HOST:PORT"), std::string::npos) << cira.err;
}

// [SECTION] KVM: redirection login for KVMR, then RFB, over TCP to the amtsim binary

// A KVM console on a TCP connection: shared/redir's client session carrying shared/rfb's client.
class KvmViewer {
 public:
  KvmViewer(const Amtsim::Device& device, mw::rfb::ClientConfig config, const std::string& password = kPassword)
      : session_(redir_config(password)), viewer_(std::move(config)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(device.port));
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (inet_pton(AF_INET, device.address.c_str(), &a.sin_addr) != 1 ||
        connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      error = "cannot connect to " + device.address + ":" + std::to_string(device.port);
      failed = true;
      return;
    }
    write_all(session_.start().send);
  }
  ~KvmViewer() {
    if (fd_ >= 0) close(fd_);
  }
  KvmViewer(const KvmViewer&) = delete;
  KvmViewer& operator=(const KvmViewer&) = delete;

  // Reads and answers until `updates` complete FramebufferUpdates were decoded (or the deadline).
  bool wait_updates(int count, std::chrono::milliseconds within = std::chrono::seconds(10)) {
    const auto deadline = Clock::now() + within;
    while (updates < count && fd_ >= 0 && !failed) {
      const int left = mw::test::peer::ms_left(deadline);
      if (left <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, left) <= 0) continue;
      std::uint8_t buf[65536];
      const ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) {
        failed = true;
        error = "connection closed";
        break;
      }
      auto o = session_.feed({buf, static_cast<std::size_t>(n)});
      Bytes up = std::move(o.send);
      for (auto& e : o.events) {
        if (const auto* f = std::get_if<mw::redir::Failed>(&e)) {
          failed = true;
          error = f->error.message;
        }
        if (std::holds_alternative<mw::redir::AuthFailed>(e)) {
          failed = true;
          error = "authentication failed";
        }
        if (const auto* raw = std::get_if<mw::redir::RawData>(&e)) {
          auto v = viewer_.feed(raw->data);
          for (auto& ve : v.events) {
            if (const auto* u = std::get_if<mw::rfb::UpdateDone>(&ve)) {
              ++updates;
              last_rects = u->rects;
            }
            if (const auto* f = std::get_if<mw::rfb::Failed>(&ve)) {
              failed = true;
              error = f->error.message;
            }
          }
          const auto s = session_.send_raw(v.send);
          up.insert(up.end(), s.send.begin(), s.send.end());
        }
      }
      write_all(up);
    }
    return updates >= count;
  }

  const mw::rfb::Client& viewer() const { return viewer_; }
  int updates = 0;
  int last_rects = 0;
  bool failed = false;
  std::string error;

 private:
  using Bytes = std::vector<std::uint8_t>;
  static mw::redir::ClientConfig redir_config(const std::string& password) {
    mw::redir::ClientConfig c;
    c.type = mw::redir::SessionType::kKvm;
    c.username = "admin";
    c.password = password;
    c.md5_hex = [](std::string_view v) { return mw::util::hex_encode(mw::util::md5(v)); };
    c.make_cnonce = [] { return std::string("0123456789abcdef0123456789abcdef"); };
    return c;
  }
  void write_all(const Bytes& b) {
    for (std::size_t at = 0; at < b.size();) {
      const ssize_t n = write(fd_, b.data() + at, b.size() - at);
      if (n <= 0) return;
      at += static_cast<std::size_t>(n);
    }
  }

  int fd_ = -1;
  mw::redir::ClientSession session_;
  mw::rfb::Client viewer_;
};

std::uint64_t wall_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// The second of the clock (within [from_ms - 2 s, to_ms + 1 s]) for which the desktop drawn here
// equals the viewer's picture in every pixel; 0 when none does.
std::uint64_t matching_second(mw::amtsim::Screen& screen, const mw::rfb::Framebuffer& seen, std::uint64_t from_ms,
                              std::uint64_t to_ms) {
  for (std::uint64_t s = from_ms / 1000 - 2; s <= to_ms / 1000 + 1; ++s) {
    screen.show(mw::amtsim::ScreenMode::kDesktop, s * 1000);
    const auto& fb = screen.framebuffer();
    if (fb.width() == seen.width() && fb.height() == seen.height() &&
        std::equal(fb.pixels().begin(), fb.pixels().end(), seen.pixels().begin())) {
      return s;
    }
  }
  return 0;
}

TEST(KvmAmtsim, DesktopAndTickingClockOverTheRedirectionPort) {
  Amtsim sim(2);
  ASSERT_TRUE(sim.ready) << sim.output;
  const auto& d = sim.devices[1];
  mw::amtsim::ConsoleInfo info;
  info.index = 2;
  info.uuid = d.uuid;
  mw::amtsim::Screen expected(info);

  // ZRLE in the server's own format (32 bpp), as MeshCommander's RLE16 preset asks.
  mw::rfb::ClientConfig config = mw::rfb::ClientConfig::intel_amt();
  const std::uint64_t before = wall_ms();
  KvmViewer kvm(d, config);
  ASSERT_TRUE(kvm.wait_updates(1)) << kvm.error;
  const std::uint64_t after = wall_ms();
  EXPECT_EQ(kvm.viewer().server().name, "amtsim-2");
  EXPECT_EQ(kvm.viewer().server().width, 1024);
  EXPECT_EQ(kvm.viewer().server().height, 768);
  const mw::rfb::Framebuffer first = kvm.viewer().framebuffer();
  const std::uint64_t first_second = matching_second(expected, first, before, after);
  EXPECT_NE(first_second, 0u) << "the decoded desktop differs from the one drawn here";

  // The viewer asked again at once (incremental); the next answer comes when the clock changes
  // and carries only the clock.
  ASSERT_TRUE(kvm.wait_updates(2, std::chrono::seconds(3))) << kvm.error;
  const std::uint64_t later = wall_ms();
  const mw::rfb::Framebuffer second = kvm.viewer().framebuffer();
  const auto clock = mw::amtsim::Screen::clock_rect();
  long long inside = 0, outside = 0;
  for (int y = 0; y < first.height(); ++y) {
    for (int x = 0; x < first.width(); ++x) {
      if (first.at(x, y) == second.at(x, y)) continue;
      const bool in = x >= clock.x && x < clock.x + clock.w && y >= clock.y && y < clock.y + clock.h;
      (in ? inside : outside)++;
    }
  }
  EXPECT_GT(inside, 0);
  EXPECT_EQ(outside, 0);
  EXPECT_LE(kvm.last_rects, 2);  // the changed digits' boxes, in at most two 64x64 tiles
  const std::uint64_t second_second = matching_second(expected, second, after, later);
  EXPECT_GT(second_second, first_second);
  EXPECT_FALSE(kvm.failed) << kvm.error;
}

TEST(KvmAmtsim, Rgb565RawAndPoweredOffBlack) {
  Amtsim sim(1, "127.0.0.1", "off");
  ASSERT_TRUE(sim.ready) << sim.output;
  mw::rfb::ClientConfig config;
  config.pixel_format = mw::rfb::PixelFormat::rgb565();
  config.encodings = {mw::rfb::encoding::kRaw};
  KvmViewer kvm(sim.devices[0], config);
  ASSERT_TRUE(kvm.wait_updates(1)) << kvm.error;
  const auto& fb = kvm.viewer().framebuffer();
  ASSERT_EQ(fb.width(), 1024);
  EXPECT_TRUE(std::all_of(fb.pixels().begin(), fb.pixels().end(),
                          [](mw::rfb::Rgba p) { return p == mw::rfb::rgba(0, 0, 0); }));
  // Nothing changes on a black screen: no further update within two seconds.
  EXPECT_FALSE(kvm.wait_updates(2, std::chrono::seconds(2)));
  EXPECT_FALSE(kvm.failed) << kvm.error;
}

TEST(KvmAmtsim, WrongPasswordGetsNoPicture) {
  Amtsim sim(1);
  ASSERT_TRUE(sim.ready) << sim.output;
  KvmViewer kvm(sim.devices[0], mw::rfb::ClientConfig::intel_amt(), "not-the-password");
  EXPECT_FALSE(kvm.wait_updates(1, std::chrono::seconds(5)));
  EXPECT_TRUE(kvm.failed);
  EXPECT_EQ(kvm.error, "authentication failed");
  EXPECT_FALSE(kvm.viewer().running());
}

// MeshCentral's WS-Management stack against one device: the JSON its calls gave.
nlohmann::json meshcentral(const Amtsim::Device& d, int action, const std::string& password = kPassword, bool tls = false) {
  std::vector<std::string> argv{"node", std::string(MW_TEST_DATA) + "/../peers/redir/meshcentral_wsman.cjs", d.address,
                                std::to_string(d.wsman_port), "admin", password, std::to_string(action)};
  if (tls) argv.push_back("tls");
  const auto r = mw::test::peer::run(argv, current_env(), std::chrono::seconds(30));
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded()) return {{"error", "no JSON from node (status " + std::to_string(r.status) + "): " + r.out + r.err}};
  j["status"] = r.status;
  return j;
}

// amtsim --tls (Intel AMT configured for TLS) with MeshCentral's stack over TLS, as its
// amtmanager reaches such a LAN device: the same answers, and the certificate it meets is the
// one amtsim announced (the SHA-384 Meshwork pins; MeshCentral records the SHA-1 fingerprint).
TEST(MeshcentralWsmanAmtsim, OverTlsAsIntelAmtConfiguredForTls) {
  Amtsim sim(1, "127.0.0.1", "on", true);
  ASSERT_TRUE(sim.ready) << sim.output;
  ASSERT_EQ(sim.tls_sha384.size(), 96u) << sim.output;
  const auto& d = sim.devices[0];
  auto off = meshcentral(d, 8, kPassword, true);
  ASSERT_EQ(off["status"], 0) << off.dump();
  EXPECT_EQ(off["generalSettings"]["HostName"], "amtsim-1") << off.dump();
  EXPECT_NE(off["software"].dump().find(R"(["AMT","16.1.25"])"), std::string::npos) << off.dump();
  EXPECT_EQ(off["powerBefore"], 2) << off.dump();
  EXPECT_EQ(off["returnValue"], 0) << off.dump();
  EXPECT_EQ(off["powerAfter"], 8) << off.dump();
  EXPECT_EQ(off["tlsCertificate"]["sha384"], sim.tls_sha384) << off.dump();
  EXPECT_EQ(off["tlsCertificate"]["fingerprint"].get<std::string>().size(), 40u) << off.dump();
  // Plain HTTP to the TLS port gets no WS-Management answer.
  auto plain = meshcentral(d, 0);
  EXPECT_NE(plain["status"], 0) << plain.dump();
  EXPECT_FALSE(plain.contains("generalSettings")) << plain.dump();
}

TEST(MeshcentralWsmanAmtsim, ReadsSettingsAndSoftwareAndChangesPower) {
  Amtsim sim(2);
  ASSERT_TRUE(sim.ready) << sim.output;
  const auto& d = sim.devices[1];
  auto off = meshcentral(d, 8);  // power down
  ASSERT_EQ(off["status"], 0) << off.dump();
  EXPECT_EQ(off["generalSettings"]["HostName"], "amtsim-2") << off.dump();
  EXPECT_TRUE(off["generalSettings"]["DigestRealm"].get<std::string>().starts_with("Digest:")) << off.dump();
  EXPECT_NE(off["software"].dump().find(R"(["AMT","16.1.25"])"), std::string::npos) << off.dump();
  const auto& hw = off["hardware"];
  EXPECT_EQ(hw["CIM_Chassis"]["Model"], "AMT Simulator") << hw.dump();
  EXPECT_EQ(hw["CIM_Card"]["Model"], "AMTSIM-BOARD") << hw.dump();
  EXPECT_EQ(hw["CIM_BIOSElement"]["Version"], "MWSIM.1.0") << hw.dump();
  ASSERT_EQ(hw["CIM_Processor"].size(), 1u) << hw.dump();
  EXPECT_EQ(hw["CIM_Processor"][0]["MaxClockSpeed"], 4600) << hw.dump();
  ASSERT_EQ(hw["CIM_PhysicalMemory"].size(), 2u) << hw.dump();
  EXPECT_EQ(hw["CIM_PhysicalMemory"][1]["Capacity"], 8589934592ull) << hw.dump();
  ASSERT_EQ(hw["AMT_EthernetPortSettings"].size(), 1u) << hw.dump();
  EXPECT_EQ(hw["AMT_EthernetPortSettings"][0]["MACAddress"], "02-00-5e-" + d.uuid.substr(0, 2) + "-" + d.uuid.substr(2, 2) + "-" + d.uuid.substr(4, 2)) << hw.dump();
  EXPECT_EQ(off["powerBefore"], 2) << off.dump();
  EXPECT_EQ(off["returnValue"], 0) << off.dump();
  EXPECT_EQ(off["powerAfter"], 8) << off.dump();
  // The security audit log names the action and the user; the event log holds the boot progress.
  EXPECT_NE(off["audit"].dump().find(R"(["RCO","Performed Power Down","admin"])"), std::string::npos) << off.dump();
  EXPECT_NE(off["events"].dump().find(R"(["BIOS","Memory initialization."])"), std::string::npos) << off.dump();
  // Meshwork names every record as MeshCentral does (shared/wsman amt_log_text.cpp).
  ASSERT_EQ(off["auditIds"].size(), off["audit"].size()) << off.dump();
  ASSERT_FALSE(off["audit"].empty()) << off.dump();
  for (std::size_t i = 0; i < off["audit"].size(); ++i) {
    const auto app = off["auditIds"][i][0].get<std::uint16_t>(), event = off["auditIds"][i][1].get<std::uint16_t>();
    EXPECT_EQ(mw::wsman::audit_app_name(app), off["audit"][i][0]) << i;
    EXPECT_EQ(mw::wsman::audit_event_name(app, event), off["audit"][i][1]) << i;
  }
  ASSERT_EQ(off["eventRecords"].size(), off["events"].size()) << off.dump();
  ASSERT_GE(off["events"].size(), 3u) << off.dump();
  for (std::size_t i = 0; i < off["events"].size(); ++i) {
    const auto& raw = off["eventRecords"][i];
    mw::wsman::EventRecord r;
    r.event_sensor_type = raw["type"].get<std::uint8_t>();
    r.event_offset = raw["offset"].get<std::uint8_t>();
    r.entity = raw["entity"].get<std::uint8_t>();
    for (std::size_t k = 0; k < 8; ++k) r.event_data[k] = raw["data"][k].get<std::uint8_t>();
    EXPECT_EQ(mw::wsman::event_entity_name(r.entity), off["events"][i][0]) << i;
    EXPECT_EQ(mw::wsman::event_description(r), off["events"][i][1]) << i;
  }
  // The other device is untouched; a second power-down of an off computer is refused (5).
  EXPECT_EQ(meshcentral(sim.devices[0], 0)["powerBefore"], 2);
  auto again = meshcentral(d, 8);
  EXPECT_EQ(again["returnValue"], 5) << again.dump();
  EXPECT_EQ(again["powerAfter"], 8) << again.dump();

  // Off: SOL connects, the serial port is silent.
  {
    Amtterm term(d.address, d.port, kPassword);
    ASSERT_TRUE(term.wait_for("serial-over-lan redirection ok")) << term.screen;
    term.type("\r");
    EXPECT_FALSE(term.wait_for("login:", std::chrono::milliseconds(1000))) << term.screen;
    // Powered on while the console is open: the next key shows the boot screen and the prompt.
    auto on = meshcentral(d, 2);
    EXPECT_EQ(on["returnValue"], 0) << on.dump();
    EXPECT_EQ(on["powerAfter"], 2) << on.dump();
    EXPECT_NE(on["audit"].dump().find(R"(["Redirection Manager","SoL Session Opened","admin"])"), std::string::npos)
        << on.dump();
    EXPECT_NE(on["audit"].dump().find(R"(["RCO","Performed Power Up","admin"])"), std::string::npos) << on.dump();
    term.type("\r");
    EXPECT_TRUE(term.wait_for("Booting from Hard Disk...")) << term.screen;
    EXPECT_TRUE(term.wait_for("amtsim-2 login: ")) << term.screen;
    term.type("\x1d");
    EXPECT_EQ(term.wait_exit(), 0) << term.screen;
  }
}

TEST(MeshcentralWsmanAmtsim, WrongPasswordGets401) {
  Amtsim sim(1);
  ASSERT_TRUE(sim.ready) << sim.output;
  auto r = meshcentral(sim.devices[0], 0, "wrong");
  EXPECT_EQ(r["status"], 1) << r.dump();
  EXPECT_EQ(r["error"], "AMT_GeneralSettings: HTTP status 401") << r.dump();
}

// MeshCentral (npm meshcentral) started in a temporary folder with its MPS on a free port, an
// "Intel AMT only" device group in its NeDB database and an MPS password.
class MeshCentral {
 public:
  static constexpr const char* kMeshId = "mesh//Amtsim0Group0Id@Cira$TestMeshIdForMeshworkPeerTestsAbcdefghijklmnop";
  static constexpr const char* kMpsPass = "mps-Secret-1";

  MeshCentral() {
    dir_ = std::make_unique<mw::test::peer::TempDir>();
    const auto data = dir_->path / "meshcentral-data";
    std::filesystem::create_directories(data);
    mps_port = mw::test::peer::free_port();
    const int https_port = mw::test::peer::free_port();
    const nlohmann::json config = {
        {"settings",
         {{"datapath", data.string()}, {"filespath", (dir_->path / "files").string()}, {"cert", "127.0.0.1"},
          {"WANonly", true}, {"port", https_port}, {"portBind", "127.0.0.1"}, {"redirPort", 0},
          {"mpsPort", mps_port}, {"mpsPass", kMpsPass}, {"exactPorts", true}, {"selfUpdate", false},
          {"meshScanner", false}, {"amtScanner", false}, {"noAgentUpdate", true}, {"autoBackup", false}}}};
    mw::test::peer::write_file(data / "config.json", config.dump());
    const nlohmann::json mesh = {{"_id", kMeshId}, {"type", "mesh"}, {"mtype", 1}, {"name", "CIRA devices"},
                                 {"desc", ""}, {"domain", ""}, {"links", nlohmann::json::object()}};
    mw::test::peer::write_file(data / "meshcentral.db", mesh.dump() + "\n");
    db_ = data / "meshcentral.db";
    log_ = dir_->path / "meshcentral.log";
    child_ = Child::spawn({"node", std::string(MW_TEST_DATA) + "/../../node_modules/meshcentral", "--datapath", data.string()},
                          current_env(), log_);
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline && child_.running()) {
      const int fd = mw::test::peer::connect_loopback(mps_port);
      if (fd >= 0) {
        close(fd);
        ready = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  // The CIRA user name of the group: 16 characters of its id after "mesh//", @ and $ as X.
  static std::string cira_user() {
    std::string u = std::string(kMeshId).substr(6, 16);
    for (char& c : u) {
      if (c == '@' || c == '$') c = 'X';
    }
    return u;
  }

  std::string database() const { return mw::test::peer::read_file(db_); }
  std::string log() const { return mw::test::peer::read_file(log_); }

  int mps_port = 0;
  bool ready = false;

 private:
  std::unique_ptr<mw::test::peer::TempDir> dir_;
  std::filesystem::path db_, log_;
  Child child_;
};

// amtsim in CIRA mode with this test's device password.
class CiraSim : public mw::test::peer::CiraSim {
 public:
  CiraSim(int port, const std::string& user, const std::string& pass, int count = 1)
      : mw::test::peer::CiraSim(MW_AMTSIM, port, user, pass, count, kPassword) {}
};

// MeshCentral's node id of an "Intel AMT only" device in the default domain.
std::string meshcentral_node_id(const std::string& uuid) { return "node//" + mw::test::peer::meshcentral_amt_node_value(uuid); }

TEST(MeshcentralMpsAmtsim, CiraDevicesConnectAndAreRecorded) {
  MeshCentral mc;
  ASSERT_TRUE(mc.ready) << mc.log();
  CiraSim sim(mc.mps_port, MeshCentral::cira_user(), MeshCentral::kMpsPass, 2);
  ASSERT_TRUE(sim.wait_for("ready\n", std::chrono::seconds(60))) << sim.output << mc.log();
  const std::regex line(R"(device (\d) uuid=([0-9a-f-]{36}) cira=connected)");
  std::vector<std::string> uuids;
  for (std::sregex_iterator it(sim.output.begin(), sim.output.end(), line), end; it != end; ++it) uuids.push_back((*it)[2]);
  ASSERT_EQ(uuids.size(), 2u) << sim.output;
  // MeshCentral created a device for each, under the node id it derives from the UUID the device
  // sent: the UUID's byte order on the wire is AMT's.
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  std::string db;
  for (;;) {
    db = mc.database();
    if ((db.find(meshcentral_node_id(uuids[0])) != std::string::npos &&
         db.find(meshcentral_node_id(uuids[1])) != std::string::npos) || Clock::now() > deadline) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_NE(db.find(meshcentral_node_id(uuids[0])), std::string::npos) << db;
  EXPECT_NE(db.find(meshcentral_node_id(uuids[1])), std::string::npos) << db;
  EXPECT_NE(db.find(R"("meshid":")" + std::string(MeshCentral::kMeshId)), std::string::npos) << db;
}

TEST(MeshcentralMpsAmtsim, WrongCiraPasswordIsRefused) {
  MeshCentral mc;
  ASSERT_TRUE(mc.ready) << mc.log();
  CiraSim sim(mc.mps_port, MeshCentral::cira_user(), "not-the-mps-password");
  EXPECT_TRUE(sim.wait_for("cira=auth-failed")) << sim.output;
  EXPECT_EQ(sim.output.find("cira=connected"), std::string::npos) << sim.output;
  CiraSim unknown(mc.mps_port, "NoSuchGroup12345", MeshCentral::kMpsPass);
  EXPECT_TRUE(unknown.wait_for("cira=auth-failed")) << unknown.output;
}

}  // namespace
