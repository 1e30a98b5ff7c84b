// The MPS of meshwork-server with simulated Intel AMT computers (tools/amtsim in CIRA mode) and
// MeshCentral's meshctrl.js as the user's view: devices of an "Intel AMT only" group log in with
// the group's CIRA user name and the MPS password, appear in their group with MeshCentral's
// device ids, connectivity and power state; wrong credentials are refused and logged (never the
// password); a device that stops answering goes offline within the keep-alive window; a browser
// opening the MPS port gets a plain-text answer.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "../../tools/amtsim/screen.hpp"
#include "../peers/amtsim_process.hpp"
#include "mw/rfb/client.hpp"
#include "mw/util/hex.hpp"
#include "mw/util/sha256.hpp"
#include "fixture.hpp"
#include "meshctrl.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace mw::test;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// A group id with '@' and '$' in its first 16 characters: its CIRA user name has them as 'X'.
const std::string kAmtGroup = "mesh//Amt@Group$Id00000000000000000000000000000000000000000000000000000";
const std::string kCiraUser = "AmtXGroupXId0000";
const std::string kMpsPass = "Cira-Pass-2026";
const std::string kAmtPass = "P@ssw0rd-sim";

// MeshCentral's id of an "Intel AMT only" device (the value after "node//"), computed by the test.
std::string node_value(const std::string& uuid) { return peer::meshcentral_amt_node_value(uuid); }

std::vector<std::string> uuids_in(const std::string& output) {
  const std::regex line(R"(device \d+ uuid=([0-9a-f-]{36}) cira=connected)");
  std::vector<std::string> out;
  for (std::sregex_iterator it(output.begin(), output.end(), line), end; it != end; ++it) out.push_back((*it)[1]);
  std::sort(out.begin(), out.end());  // devices connect in any order
  return out;
}

// The SHA-384 of amtsim's TLS certificate, as its device lines print it ("tls-sha384=").
std::string tls_hash_in(const std::string& output) {
  std::smatch m;
  const bool found = std::regex_search(output, m, std::regex("tls-sha384=([0-9a-f]{96})"));
  EXPECT_TRUE(found) << output;
  return found ? m[1].str() : std::string();
}

// One control action as the administrator, its answer (defined below).
std::string control(int port, const Fixture& f, json cmd);

class Mps : public ::testing::Test {
 protected:
  Fixture f;
  std::unique_ptr<ServerProcess> server;
  int port = 0, mps_port = 0;

  void SetUp() override {
    f.create_account("admin", "Admin-pass1");
    f.add_group(kAmtGroup, 1, "AMT lab", {{"admin", 0xFFFFFFFFu}});
    // AgentPong 1: keep-alives every second, a silent device is dropped after three.
    server = std::make_unique<ServerProcess>(f.args({"--mpsport", std::to_string(free_port()), "--mpsportbind", "127.0.0.1",
                                                     "--mpspass", kMpsPass, "--agentpong", "1"}));
    ASSERT_TRUE(server->running()) << server->output();
    port = server->https_port();
    mps_port = server->mps_port();
    ASSERT_GT(mps_port, 0) << server->output();
  }

  // meshctrl listdevices --csv, as {node value: [name, icon, conn, pwr]}.
  std::map<std::string, std::vector<std::string>> devices() {
    std::map<std::string, std::vector<std::string>> out;
    const std::regex row(R"re("([^"]*)","([^"]*)","([^"]*)","([^"]*)",(\d+),(\d+),(\d+))re");
    for (const auto& l : lines(meshctrl(port, {"listdevices", "--csv"}))) {
      std::smatch m;
      if (std::regex_match(l, m, row)) out[m[3]] = {m[4], m[5], m[6], m[7]};
    }
    return out;
  }

  // The node value of `sim`'s one device once it is listed, with its Intel AMT credentials set;
  // "" (and a recorded failure) when it did not get there.
  std::string device_with_credentials(peer::CiraSim& sim) {
    if (!sim.wait_for("ready\n", std::chrono::seconds(60))) {
      ADD_FAILURE() << "amtsim not ready: " << sim.output;
      return {};
    }
    const std::string id = node_value(uuids_in(sim.output).at(0));
    if (devices_until([&](const auto& m) { return m.count(id) > 0; }, std::chrono::seconds(10)).count(id) == 0) {
      ADD_FAILURE() << "device not listed: " << server->poll();
      return {};
    }
    const std::string answer = control(port, f, {{"action", "changedevice"}, {"nodeid", "node//" + id},
                                                 {"intelamt", {{"user", "admin"}, {"pass", kAmtPass}}}});
    if (answer.find("\"ok\"") == std::string::npos) {
      ADD_FAILURE() << "credentials not set: " << answer;
      return {};
    }
    return id;
  }

  // The device's record as meshctrl lists it (null when it is not listed).
  json record(const std::string& id) {
    for (const auto& d : json::parse(meshctrl(port, {"listdevices", "--json"}))) {
      if (d.value("_id", "") == "node//" + id) return d;
    }
    return json();
  }

  // Saves the device's Intel AMT TLS setting (as the device page does, which forgets the pinned
  // certificate) and waits (bounded) until `hash` is pinned and the mismatch flag is gone; `r`: the
  // record then. Fatal when the save is refused (call it inside ASSERT_NO_FATAL_FAILURE).
  void save_tls_and_wait_for_pin(const std::string& id, const std::string& hash, json& r) {
    ASSERT_NE(control(port, f, {{"action", "changedevice"}, {"nodeid", "node//" + id}, {"intelamt", {{"tls", 1}}}}).find("\"ok\""),
              std::string::npos);
    const auto deadline = Clock::now() + std::chrono::seconds(15);
    r = record(id);
    while ((r["intelamt"].value("hash", "") != hash || r["intelamt"].contains("warn")) && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      r = record(id);
    }
  }

  // Polls listdevices until `pred` holds (bounded).
  template <class Pred>
  std::map<std::string, std::vector<std::string>> devices_until(Pred pred, std::chrono::seconds within) {
    const auto deadline = Clock::now() + within;
    auto d = devices();
    while (!pred(d) && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      d = devices();
    }
    return d;
  }
};

TEST_F(Mps, CiraDevicesAppearInTheirGroupOnlineAndGoOfflineWhenTheyLeave) {
  std::vector<std::string> uuids;
  {
    peer::CiraSim sim(MW_AMTSIM, mps_port, kCiraUser, kMpsPass, 2, kAmtPass);
    ASSERT_TRUE(sim.wait_for("ready\n", std::chrono::seconds(60))) << sim.output << server->output();
    uuids = uuids_in(sim.output);
    ASSERT_EQ(uuids.size(), 2u) << sim.output;

    auto d = devices_until([&](const auto& m) { return m.size() == 2; }, std::chrono::seconds(10));
    ASSERT_EQ(d.size(), 2u) << server->output();
    for (const auto& u : uuids) {
      ASSERT_TRUE(d.count(node_value(u))) << u;
      // Named after the address it came from; desktop icon; conn 2 = CIRA; pwr 7 = present.
      EXPECT_EQ(d[node_value(u)], (std::vector<std::string>{"127.0.0.1", "1", "2", "7"}));
    }
    // The server said so in its log and in the group's events.
    EXPECT_NE(server->poll().find("CIRA device node//" + node_value(uuids[0])), std::string::npos) << server->output();
    const auto events = meshctrl(port, {"listevents"});
    EXPECT_NE(events.find("Added CIRA device 127.0.0.1 to group AMT lab"), std::string::npos) << events;
  }  // amtsim ends (SIGTERM): its connections close

  auto d = devices_until([](const auto& m) {
    for (const auto& [id, v] : m) {
      if (v[2] != "0") return false;
    }
    return true;
  }, std::chrono::seconds(10));
  ASSERT_EQ(d.size(), 2u);
  for (const auto& [id, v] : d) EXPECT_EQ(v[2], "0") << id << " still online";

  // Coming back is the same device (same id), online again, no new record.
  peer::CiraSim again(MW_AMTSIM, mps_port, kCiraUser, kMpsPass, 2, kAmtPass);
  ASSERT_TRUE(again.wait_for("ready\n", std::chrono::seconds(60))) << again.output;
  EXPECT_EQ(uuids_in(again.output), uuids);
  d = devices_until([](const auto& m) { return m.size() == 2 && m.begin()->second[2] == "2" && m.rbegin()->second[2] == "2"; },
                    std::chrono::seconds(10));
  EXPECT_EQ(d.size(), 2u);
  for (const auto& [id, v] : d) EXPECT_EQ(v[2], "2") << id;
}

TEST_F(Mps, ADeviceThatStopsAnsweringGoesOfflineWithinTheKeepAliveWindow) {
  peer::CiraSim sim(MW_AMTSIM, mps_port, kCiraUser, kMpsPass, 1, kAmtPass);
  ASSERT_TRUE(sim.wait_for("ready\n", std::chrono::seconds(60))) << sim.output;
  const auto uuids = uuids_in(sim.output);
  ASSERT_EQ(uuids.size(), 1u);
  auto d = devices_until([](const auto& m) { return m.size() == 1 && m.begin()->second[2] == "2"; }, std::chrono::seconds(10));
  ASSERT_EQ(d.size(), 1u);
  ASSERT_EQ(d.begin()->second[2], "2");

  // Frozen: its TCP connection stays open but nothing answers the server's keep-alives.
  ASSERT_EQ(::kill(sim.pid(), SIGSTOP), 0);
  const auto frozen = Clock::now();
  d = devices_until([](const auto& m) { return m.size() == 1 && m.begin()->second[2] == "0"; }, std::chrono::seconds(15));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - frozen).count();
  ::kill(sim.pid(), SIGCONT);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d.begin()->second[2], "0") << server->output();
  // Three silent keep-alive periods of 1 s, plus polling.
  EXPECT_LT(took, 8000);
  EXPECT_NE(server->poll().find("CIRA device node//" + node_value(uuids[0]) + " disconnected"), std::string::npos)
      << server->output();
}

TEST_F(Mps, WrongCiraCredentialsAreRefusedAndLogged) {
  peer::CiraSim wrong_pass(MW_AMTSIM, mps_port, kCiraUser, "Not-the-MPS-password", 1, kAmtPass);
  EXPECT_TRUE(wrong_pass.wait_for("cira=auth-failed")) << wrong_pass.output;
  peer::CiraSim wrong_user(MW_AMTSIM, mps_port, "NoSuchGroup12345", kMpsPass, 1, kAmtPass);
  EXPECT_TRUE(wrong_user.wait_for("cira=auth-failed")) << wrong_user.output;

  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (server->output().find("NoSuchGroup12345") == std::string::npos && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server->poll();
  }
  const auto& log = server->output();
  EXPECT_NE(log.find("CIRA login refused for user \"" + kCiraUser + "\": wrong password"), std::string::npos) << log;
  EXPECT_NE(log.find("CIRA login refused for user \"NoSuchGroup12345\": no device group has the CIRA user name"),
            std::string::npos) << log;
  EXPECT_EQ(log.find("Not-the-MPS-password"), std::string::npos) << "a password was logged";
  EXPECT_EQ(log.find(kMpsPass), std::string::npos) << "the MPS password was logged";
  EXPECT_EQ(devices().size(), 0u);
  // /metrics counts them.
  const auto metrics = https_request(port, "/metrics", f.verifying());
  // (amtsim tries again after a back-off, so there may be more than the two first attempts.)
  std::smatch m;
  const std::string body = metrics.body();
  ASSERT_TRUE(std::regex_search(body, m, std::regex(R"(meshwork_mps_logins_total\{result="refused"\} (\d+))"))) << body;
  EXPECT_GE(std::stoi(m[1]), 2);
  EXPECT_NE(body.find("meshwork_mps_logins_total{result=\"ok\"} 0"), std::string::npos) << body;
}

// Sends one control action as admin and returns the answer carrying its responseid.
std::string control(int port, const Fixture& f, json cmd) {
  auto o = f.verifying();
  o.headers = {meshauth("admin", "Admin-pass1")};
  WssClient ws(port, "/control.ashx", o);
  cmd["responseid"] = "t1";
  ws.send(cmd.dump());
  for (int i = 0; i < 20; ++i) {
    const std::string m = ws.read();
    if (m.find("\"responseid\":\"t1\"") != std::string::npos) return m;
  }
  return "";
}

TEST_F(Mps, WithCredentialsTheServerReadsIntelAmtAndCarriesOutPowerActions) {
  peer::CiraSim sim(MW_AMTSIM, mps_port, kCiraUser, kMpsPass, 1, kAmtPass);
  ASSERT_TRUE(sim.wait_for("ready\n", std::chrono::seconds(60))) << sim.output;
  const auto uuids = uuids_in(sim.output);
  ASSERT_EQ(uuids.size(), 1u);
  const std::string id = node_value(uuids[0]);
  auto d = devices_until([&](const auto& m) { return m.count(id) && m.at(id)[2] == "2"; }, std::chrono::seconds(10));
  ASSERT_TRUE(d.count(id));
  EXPECT_EQ(d[id][3], "7");  // present: no credentials, so the power state is not known

  // Credentials as MeshCentral's device page sends them; the server logs in (Digest) and reads
  // the device: its host name becomes the device's name, the power state is on.
  const auto set = control(port, f, {{"action", "changedevice"}, {"nodeid", "node//" + id},
                                     {"intelamt", {{"user", "admin"}, {"pass", kAmtPass}}}});
  EXPECT_NE(set.find("\"result\":\"ok\""), std::string::npos) << set;
  d = devices_until([&](const auto& m) { return m.count(id) && m.at(id)[3] == "1"; }, std::chrono::seconds(15));
  EXPECT_EQ(d[id], (std::vector<std::string>{"amtsim-1", "1", "2", "1"})) << server->poll();
  const auto info = json::parse(meshctrl(port, {"listdevices", "--json"}));
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0]["intelamt"]["ver"], "16.1.25") << info.dump();
  EXPECT_EQ(info[0]["intelamt"]["user"], "admin");
  EXPECT_FALSE(info[0]["intelamt"].contains("pass")) << "a password reached a client";
  EXPECT_EQ(info[0]["intelamt"]["uuid"], uuids[0]);

  // meshctrl's Intel AMT power off: the device turns off, the state is read back, an event says who.
  EXPECT_EQ(lines(meshctrl(port, {"devicepower", "--id", id, "--amtoff"})), std::vector<std::string>{"ok"});
  d = devices_until([&](const auto& m) { return m.count(id) && m.at(id)[3] == "6"; }, std::chrono::seconds(15));
  EXPECT_EQ(d[id][3], "6") << server->poll();
  const auto events = meshctrl(port, {"listevents"});
  EXPECT_NE(events.find("Intel AMT Power off of amtsim-1"), std::string::npos) << events;
  EXPECT_EQ(lines(meshctrl(port, {"devicepower", "--id", id, "--amton"})), std::vector<std::string>{"ok"});
  d = devices_until([&](const auto& m) { return m.count(id) && m.at(id)[3] == "1"; }, std::chrono::seconds(15));
  EXPECT_EQ(d[id][3], "1") << server->poll();

  // The password is in no database file: sealed with the data folder's key.
  ASSERT_EQ(server->stop(SIGTERM), 0);
  for (const char* file : {"meshwork.db", "meshwork.db-wal"}) {
    std::ifstream in(f.data() / file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(kAmtPass), std::string::npos) << file;
  }
  EXPECT_TRUE(std::filesystem::exists(f.data() / "amt-credentials.key"));
  EXPECT_EQ(std::filesystem::status(f.data() / "amt-credentials.key").permissions() & std::filesystem::perms::group_all,
            std::filesystem::perms::none);
}

TEST_F(Mps, WrongIntelAmtCredentialsAreReportedOnTheDevice) {
  peer::CiraSim sim(MW_AMTSIM, mps_port, kCiraUser, kMpsPass, 1, kAmtPass);
  ASSERT_TRUE(sim.wait_for("ready\n", std::chrono::seconds(60))) << sim.output;
  const std::string id = node_value(uuids_in(sim.output).at(0));
  ASSERT_FALSE(devices_until([&](const auto& m) { return m.count(id) > 0; }, std::chrono::seconds(10)).empty());
  const auto set = control(port, f, {{"action", "changedevice"}, {"nodeid", "node//" + id},
                                     {"intelamt", {{"user", "admin"}, {"pass", "Wrong-pass-1"}}}});
  EXPECT_NE(set.find("\"result\":\"ok\""), std::string::npos) << set;
  const auto deadline = Clock::now() + std::chrono::seconds(15);
  json info;
  while (Clock::now() < deadline) {
    info = json::parse(meshctrl(port, {"listdevices", "--json"}));
    if (info.size() == 1 && info[0]["intelamt"].value("warn", 0) == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  EXPECT_EQ(info[0]["intelamt"].value("warn", 0), 1) << info.dump();  // MeshCentral's "unknown credentials"
  EXPECT_NE(meshctrl(port, {"listevents"}).find("Intel AMT refused the credentials of 127.0.0.1"), std::string::npos);
  // A too short password is refused before anything is stored.
  const auto bad = control(port, f, {{"action", "changedevice"}, {"nodeid", "node//" + id},
                                     {"intelamt", {{"user", "admin"}, {"pass", "short"}}}});
  EXPECT_NE(bad.find("8 to 32 characters"), std::string::npos) << bad;
}

// Reads relay messages until `text` has appeared in the binary (terminal) ones; returns them all.
struct Relay {
  WssClient ws;
  std::string screen, status;
  Relay(int port, const Fixture& f, const std::string& target, const std::string& user, const std::string& pass)
      : ws(port, target, [&] {
          auto o = f.verifying();
          o.headers = {meshauth(user, pass)};
          return o;
        }()) {}
  bool wait_for(const std::string& text, std::chrono::seconds within = std::chrono::seconds(20)) {
    const auto deadline = Clock::now() + within;
    while (screen.find(text) == std::string::npos && Clock::now() < deadline) {
      std::string m;
      try {
        m = ws.read(std::chrono::milliseconds(500));
      } catch (const std::exception&) {
        continue;  // nothing within the half second
      }
      if (ws.last_was_binary()) screen += m; else status += m + "\n";
      if (!ws.last_was_binary() && m.find("\"closed\"") != std::string::npos) return false;
    }
    return screen.find(text) != std::string::npos;
  }
};

TEST_F(Mps, SerialOverLanRelayThroughTheServerReachesTheConsole) {
  peer::CiraSim sim(MW_AMTSIM, mps_port, kCiraUser, kMpsPass, 1, kAmtPass);
  const std::string id = device_with_credentials(sim);
  ASSERT_FALSE(id.empty());

  Relay sol(port, f, "/amtrelay.ashx?p=sol&nodeid=" + id, "admin", "Admin-pass1");
  // The server authenticated to Intel AMT and started SOL; the console shows its login prompt.
  ASSERT_TRUE(sol.wait_for("amtsim-1 login: ")) << sol.status << sol.screen << server->poll();
  EXPECT_NE(sol.status.find("\"state\":\"ready\""), std::string::npos) << sol.status;
  sol.ws.send_binary("operator\r");
  ASSERT_TRUE(sol.wait_for("operator@amtsim-1:~$ ")) << sol.screen;
  sol.ws.send_binary("hostname\r");
  ASSERT_TRUE(sol.wait_for("\r\namtsim-1\r\n")) << sol.screen;
}

// MeshCentral's boot actions: "reset to BIOS setup" (312) and "reset to PXE" (316) set Intel AMT's
// one-shot boot options and reset; the open serial console shows where the computer went, a
// plain reset afterwards boots the OS again, and Intel AMT's own logs (amtinfo) record it.
TEST_F(Mps, BootOptionsResetIntoBiosSetupOrANetworkBootOnce) {
  peer::CiraSim sim(MW_AMTSIM, mps_port, kCiraUser, kMpsPass, 1, kAmtPass);
  const std::string id = device_with_credentials(sim);
  ASSERT_FALSE(id.empty());
  Relay sol(port, f, "/amtrelay.ashx?p=sol&nodeid=" + id, "admin", "Admin-pass1");
  ASSERT_TRUE(sol.wait_for("amtsim-1 login: ")) << sol.status << sol.screen << server->poll();

  auto power = [&](int action) {
    return control(port, f, {{"action", "poweraction"}, {"nodeids", {"node//" + id}}, {"actiontype", action}});
  };
  EXPECT_NE(power(312).find("\"result\":\"ok\""), std::string::npos);
  ASSERT_TRUE(sol.wait_for("BIOS Setup Utility")) << sol.screen << server->poll();
  EXPECT_NE(sol.screen.find("Entered at the request of Intel(R) AMT"), std::string::npos) << sol.screen;
  // One boot only: a plain reset starts the operating system again.
  sol.screen.clear();
  EXPECT_NE(power(310).find("\"result\":\"ok\""), std::string::npos);
  ASSERT_TRUE(sol.wait_for("amtsim-1 login: ")) << sol.screen << server->poll();
  EXPECT_EQ(sol.screen.find("BIOS Setup Utility"), std::string::npos) << sol.screen;
  sol.screen.clear();
  EXPECT_NE(power(316).find("\"result\":\"ok\""), std::string::npos);
  ASSERT_TRUE(sol.wait_for("PXE-E18")) << sol.screen << server->poll();

  // The events name the actions; Intel AMT's audit log has the boot options set and the resets.
  std::string events;
  for (int i = 0; i < 50 && events.find("Intel AMT Reset to PXE boot of amtsim-1") == std::string::npos; ++i) {
    events = meshctrl(port, {"listevents"});
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(events.find("Intel AMT Reset to BIOS setup of amtsim-1"), std::string::npos) << events;
  EXPECT_NE(events.find("Intel AMT Reset to PXE boot of amtsim-1"), std::string::npos) << events;
  const auto audit = json::parse(control(port, f, {{"action", "amtinfo"}, {"nodeid", "node//" + id}, {"what", "auditlog"}}));
  ASSERT_EQ(audit["result"], "ok") << audit.dump();
  std::vector<std::string> names;
  for (const auto& a : audit["audit"]) names.push_back(a["app"].get<std::string>() + ": " + a["event"].get<std::string>());
  ASSERT_GE(names.size(), 5u) << audit.dump();
  // Newest first: the PXE reset and its boot options, the plain reset, the BIOS reset and its options.
  EXPECT_EQ(names[0], "RCO: Performed Reset") << audit.dump();
  EXPECT_EQ(names[1], "RCO: Set Boot Options") << audit.dump();
  EXPECT_EQ(names[2], "RCO: Performed Reset") << audit.dump();
  EXPECT_EQ(names[3], "RCO: Performed Reset") << audit.dump();
  EXPECT_EQ(names[4], "RCO: Set Boot Options") << audit.dump();
  // Hardware and the event log through the same path.
  const auto hw = json::parse(control(port, f, {{"action", "amtinfo"}, {"nodeid", "node//" + id}, {"what", "hardware"}}));
  EXPECT_EQ(hw["hardware"]["chassis"]["model"], "AMT Simulator") << hw.dump();
  EXPECT_EQ(hw["hardware"]["memory"].size(), 2u) << hw.dump();
  const auto ev = json::parse(control(port, f, {{"action", "amtinfo"}, {"nodeid", "node//" + id}, {"what", "eventlog"}}));
  ASSERT_FALSE(ev["events"].empty()) << ev.dump();
  EXPECT_EQ(ev["events"][0]["description"], "Option ROM initialization") << ev.dump();  // the PXE boot, newest
  EXPECT_NE(ev.dump().find("Entering BIOS setup"), std::string::npos) << ev.dump();
}

// IDE-R through the server: the user's own files hold a bootable CD image (xorriso) and a floppy
// (mkfs.fat); the relay lists them, serves the chosen ones to Intel AMT "on next boot", and a
// reset to the IDE-R CD-ROM (320) boots the computer from it: the simulated firmware reads the
// El Torito boot image and the whole medium, whose SHA-256 the serial console shows.
TEST_F(Mps, IderServesDiskImagesFromTheUsersFilesAndTheComputerBootsFromThem) {
  const fs::path home = f.dir.path() / "files" / "domain" / "user-admin";
  fs::create_directories(home / "isos");
  fs::create_directories(f.dir.path() / "isoroot");
  std::ofstream(f.dir.path() / "isoroot" / "boot.img", std::ios::binary) << std::string(2048, '\x5a');
  std::string payload(500000, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>((i * 31) ^ (i >> 11));
  std::ofstream(f.dir.path() / "isoroot" / "data.bin", std::ios::binary) << payload;
  const fs::path iso = home / "isos" / "install.iso";
  auto x = peer::run({"xorriso", "-as", "mkisofs", "-V", "MESHWORK_BOOT", "-b", "boot.img", "-no-emul-boot", "-boot-load-size",
                      "4", "-o", iso.string(), (f.dir.path() / "isoroot").string()},
                     peer::current_env());
  ASSERT_EQ(x.status, 0) << x.err;
  auto m = peer::run({"/sbin/mkfs.fat", "-C", "-n", "MWFLOPPY", (home / "tools.img").string(), "1440"}, peer::current_env());
  ASSERT_EQ(m.status, 0) << m.err;
  std::ofstream(home / "notes.txt") << "not an image\n";
  const std::string iso_sha = mw::util::hex_encode(mw::util::sha256(peer::read_file(iso)));

  peer::CiraSim sim(MW_AMTSIM, mps_port, kCiraUser, kMpsPass, 1, kAmtPass);
  const std::string id = device_with_credentials(sim);
  ASSERT_FALSE(id.empty());
  Relay sol(port, f, "/amtrelay.ashx?p=sol&nodeid=" + id, "admin", "Admin-pass1");
  ASSERT_TRUE(sol.wait_for("amtsim-1 login: ")) << sol.status << sol.screen << server->poll();

  auto o = f.verifying();
  o.headers = {meshauth("admin", "Admin-pass1")};
  WssClient ider(port, "/amtrelay.ashx?p=ider&nodeid=" + id, o);
  auto next_text = [&](const std::string& state) {
    for (int i = 0; i < 200; ++i) {
      const auto msg = ider.read(std::chrono::seconds(20));
      if (ider.last_was_binary()) continue;
      auto j = json::parse(msg);
      if (j.value("state", "") == state || j.value("state", "") == "closed") return j;
    }
    return json{{"state", "none"}};
  };
  const auto images = next_text("images");
  ASSERT_EQ(images["state"], "images") << images.dump();
  ASSERT_EQ(images["images"].size(), 2u) << images.dump();  // notes.txt is not offered
  EXPECT_EQ(images["images"][0]["path"], "/isos/install.iso") << images.dump();
  EXPECT_EQ(images["images"][0]["drive"], "cdrom");
  EXPECT_EQ(images["images"][0]["size"], fs::file_size(iso));
  EXPECT_EQ(images["images"][1]["path"], "/tools.img") << images.dump();
  EXPECT_EQ(images["images"][1]["drive"], "floppy");

  ider.send(json{{"action", "start"}, {"cdrom", "/isos/install.iso"}, {"floppy", "/tools.img"}, {"start", 0}}.dump());
  const auto enabled = next_text("enabled");
  ASSERT_EQ(enabled["state"], "enabled") << enabled.dump() << server->poll();
  EXPECT_EQ(enabled["cdrom"]["blocks"], fs::file_size(iso) / 2048);
  EXPECT_EQ(enabled["cdrom"]["read"], 0) << enabled.dump();  // "on next boot": nothing read yet

  sol.screen.clear();
  const std::size_t mark = sim.output.size();
  EXPECT_NE(control(port, f, {{"action", "poweraction"}, {"nodeids", {"node//" + id}}, {"actiontype", 320}}).find("\"result\":\"ok\""),
            std::string::npos);
  ASSERT_TRUE(sol.wait_for("System halted.", std::chrono::seconds(60))) << sol.screen << server->poll();
  EXPECT_NE(sol.screen.find("Booting from the IDE-R CD-ROM, requested by Intel(R) AMT"), std::string::npos) << sol.screen;
  EXPECT_NE(sol.screen.find("IDE-R CD-ROM: \"MESHWORK_BOOT\""), std::string::npos) << sol.screen;
  EXPECT_NE(sol.screen.find("El Torito boot image of 4 sectors"), std::string::npos) << sol.screen;
  EXPECT_NE(sol.screen.find("SHA-256 " + iso_sha), std::string::npos) << sol.screen;
  EXPECT_NE(sol.screen.find("IDE-R floppy: \"MWFLOPPY\""), std::string::npos) << sol.screen;
  ASSERT_TRUE(sim.wait_for("ider 1 cdrom", std::chrono::seconds(10), mark)) << sim.output;
  EXPECT_NE(sim.output.find("sha256=" + iso_sha, mark), std::string::npos) << sim.output.substr(mark);

  // The progress reports the whole medium read.
  json progress;
  for (int i = 0; i < 20; ++i) {
    progress = next_text("running");
    if (progress.value("state", "") != "running" || progress["cdrom"]["read"] >= progress["cdrom"]["blocks"]) break;
  }
  EXPECT_GE(progress["cdrom"]["read"], progress["cdrom"]["blocks"]) << progress.dump();
  EXPECT_GT(progress["toAmt"].get<std::uint64_t>(), fs::file_size(iso)) << progress.dump();

  // The power action is an event of its own.
  std::string events;
  for (int i = 0; i < 50 && events.find("Intel AMT Reset to IDE-R CD-ROM of amtsim-1") == std::string::npos; ++i) {
    events = meshctrl(port, {"listevents"});
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(events.find("Intel AMT Reset to IDE-R CD-ROM of amtsim-1"), std::string::npos) << events;
}

// What the IDE-R relay refuses: a path outside the user's files, a file that is no disk image,
// a start with no image, and a user without the remote control right.
TEST_F(Mps, IderRefusesPathsOutsideTheUsersFilesAndUsersWithoutRemoteControl) {
  const fs::path home = f.dir.path() / "files" / "domain" / "user-admin";
  fs::create_directories(home);
  std::ofstream(home / "odd.iso") << "too short for a CD";
  std::ofstream(f.dir.path() / "files" / "outside.iso") << std::string(4096, 'x');
  peer::CiraSim sim(MW_AMTSIM, mps_port, kCiraUser, kMpsPass, 1, kAmtPass);
  const std::string id = device_with_credentials(sim);
  ASSERT_FALSE(id.empty());
  auto closed_reason = [&](const std::string& user, const std::string& pass, const json& start) {
    auto o = f.verifying();
    o.headers = {meshauth(user, pass)};
    WssClient ws(port, "/amtrelay.ashx?p=ider&nodeid=" + id, o);
    for (int i = 0; i < 20; ++i) {
      auto j = json::parse(ws.read(std::chrono::seconds(20)));
      if (j.value("state", "") == "images") {
        EXPECT_TRUE(j["images"].empty()) << j.dump();  // odd.iso is not whole blocks
        ws.send(start.dump());
      }
      if (j.value("state", "") == "closed") return j.value("reason", "");
    }
    return std::string("not closed");
  };
  const std::string outside = closed_reason("admin", "Admin-pass1", {{"action", "start"}, {"cdrom", "/../outside.iso"}, {"start", 0}});
  EXPECT_NE(outside.find("is not in the files on the server"), std::string::npos) << outside;
  EXPECT_NE(closed_reason("admin", "Admin-pass1", {{"action", "start"}, {"cdrom", "/odd.iso"}, {"start", 0}}).find("is not a disk image"),
            std::string::npos);
  EXPECT_NE(closed_reason("admin", "Admin-pass1", {{"action", "start"}, {"start", 2}}).find("needs a CD-ROM or a floppy image"),
            std::string::npos);
  ASSERT_EQ(lines(meshctrl(port, {"adduser", "--user", "waker", "--pass", "Waker-pass1"})), std::vector<std::string>{"ok"});
  ASSERT_EQ(lines(meshctrl(port, {"addusertodevicegroup", "--id", kAmtGroup.substr(6), "--userid", "waker", "--wakedevices"})).size(), 1u);
  EXPECT_NE(closed_reason("waker", "Waker-pass1", {{"action", "start"}, {"cdrom", "/x.iso"}, {"start", 0}}).find("remote control right"),
            std::string::npos);
}

// A boot option Intel AMT refuses (amtsim --refuse SetBootConfigRole, as a firmware whose boot
// options are locked): the sequence stops before the reset, the computer keeps running, and the
// event names the refused step.
TEST_F(Mps, ABootOptionIntelAmtRefusesStopsTheSequenceBeforeThePowerChange) {
  peer::CiraSim sim(MW_AMTSIM, mps_port, kCiraUser, kMpsPass, 1, kAmtPass, {"--refuse", "SetBootConfigRole"});
  const std::string id = device_with_credentials(sim);
  ASSERT_FALSE(id.empty());
  Relay sol(port, f, "/amtrelay.ashx?p=sol&nodeid=" + id, "admin", "Admin-pass1");
  ASSERT_TRUE(sol.wait_for("amtsim-1 login: ")) << sol.status << sol.screen << server->poll();
  sol.screen.clear();
  EXPECT_NE(control(port, f, {{"action", "poweraction"}, {"nodeids", {"node//" + id}}, {"actiontype", 312}}).find("\"result\":\"ok\""),
            std::string::npos);
  std::string events;
  const std::string refused = "Intel AMT refused Reset to BIOS setup of amtsim-1: SetBootConfigRole returned 1";
  for (int i = 0; i < 100 && events.find(refused) == std::string::npos; ++i) {
    events = meshctrl(port, {"listevents"});
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(events.find(refused), std::string::npos) << events << server->poll();
  // No reset: the console shows no new boot, and Intel AMT's audit log ends with the boot
  // options that were set before the refused step, with no reset after them.
  EXPECT_FALSE(sol.wait_for("BIOS", std::chrono::seconds(2))) << sol.screen;
  const auto audit = json::parse(control(port, f, {{"action", "amtinfo"}, {"nodeid", "node//" + id}, {"what", "auditlog"}}));
  ASSERT_EQ(audit["result"], "ok") << audit.dump();
  ASSERT_FALSE(audit["audit"].empty()) << audit.dump();
  EXPECT_EQ(audit["audit"][0]["event"], "Set Boot Options") << audit.dump();
  EXPECT_EQ(audit.dump().find("Performed Reset"), std::string::npos) << audit.dump();
  EXPECT_EQ(devices()[id][3], "1");  // still on
}

// Reads a KVM relay into `viewer` until `want` updates arrived (or 20 s); the relay's text
// messages go to `status`.
int watch_kvm(WssClient& ws, mw::rfb::Client& viewer, int want, std::string& status) {
  int updates = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (updates < want && Clock::now() < deadline) {
    std::string m;
    try {
      m = ws.read(std::chrono::milliseconds(500));
    } catch (const std::exception&) {
      continue;
    }
    if (!ws.last_was_binary()) {
      status += m + "\n";
      if (m.find("\"closed\"") != std::string::npos) break;
      continue;
    }
    auto out = viewer.feed(std::span(reinterpret_cast<const std::uint8_t*>(m.data()), m.size()));
    for (const auto& e : out.events) {
      if (std::holds_alternative<mw::rfb::UpdateDone>(e)) ++updates;
      if (const auto* fail = std::get_if<mw::rfb::Failed>(&e)) status += "rfb failed: " + fail->error.message + "\n";
    }
    if (!out.send.empty()) ws.send_binary(std::string(out.send.begin(), out.send.end()));
  }
  return updates;
}

// "View only" on Intel AMT KVM: the viewer sees the desktop, and its keys, pointer and clipboard
// never reach the device (amtsim counts what its KVM received); a full user's input does; a
// "limited input" user's pointer and plain keys do, its modifiers and clipboard do not.
std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// True when `viewer` shows, pixel for pixel, the desktop amtsim draws for device 1 (`uuid`) at some
// second between `before_ms` and `after_ms` (wall clock; its clock changes the picture).
bool shows_amtsim_desktop(const mw::rfb::Client& viewer, const std::string& uuid, std::int64_t before_ms, std::int64_t after_ms) {
  mw::amtsim::ConsoleInfo info;
  info.index = 1;
  info.uuid = uuid;
  mw::amtsim::Screen expected(info);
  for (auto s = before_ms / 1000 - 2; s <= after_ms / 1000 + 1; ++s) {
    expected.show(mw::amtsim::ScreenMode::kDesktop, static_cast<std::uint64_t>(s) * 1000);
    const auto& fb = expected.framebuffer();
    if (fb.width() == viewer.framebuffer().width() && fb.height() == viewer.framebuffer().height() &&
        std::equal(fb.pixels().begin(), fb.pixels().end(), viewer.framebuffer().pixels().begin())) {
      return true;
    }
  }
  return false;
}

TEST_F(Mps, ViewOnlyKvmShowsTheDesktopAndKeepsTheViewersInputBack) {
  peer::CiraSim sim(MW_AMTSIM, mps_port, kCiraUser, kMpsPass, 1, kAmtPass);
  const std::string id = device_with_credentials(sim);
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(lines(meshctrl(port, {"adduser", "--user", "watcher", "--pass", "Watcher-pass1"})), std::vector<std::string>{"ok"});
  ASSERT_EQ(lines(meshctrl(port, {"addusertodevicegroup", "--id", kAmtGroup.substr(6), "--userid", "watcher",
                                  "--remotecontrol", "--desktopviewonly"}))
                .size(),
            1u);
  ASSERT_EQ(lines(meshctrl(port, {"adduser", "--user", "typist", "--pass", "Typist-pass1"})), std::vector<std::string>{"ok"});
  ASSERT_EQ(lines(meshctrl(port, {"addusertodevicegroup", "--id", kAmtGroup.substr(6), "--userid", "typist",
                                  "--remotecontrol", "--limiteddesktop"}))
                .size(),
            1u);
  auto session = [&](const char* user, const char* pass, bool view_only, bool limited = false) {
    auto o = f.verifying();
    o.headers = {meshauth(user, pass)};
    WssClient ws(port, "/amtrelay.ashx?p=kvm&nodeid=" + id, o);
    mw::rfb::Client viewer(mw::rfb::ClientConfig::intel_amt());
    std::string status;
    EXPECT_GE(watch_kvm(ws, viewer, 1, status), 1) << user << ": " << status;
    EXPECT_EQ(viewer.server().name, "amtsim-1") << user;
    EXPECT_EQ(status.find("\"viewonly\":true") != std::string::npos, view_only) << status;
    EXPECT_EQ(status.find("\"limitedinput\":true") != std::string::npos, limited) << status;
    // Input, as the browser sends it, then another update: the session is still alive.
    for (auto out : {viewer.key(0xFFE3, true), viewer.key(0x61, true), viewer.key(0x61, false), viewer.key(0xFFE3, false),
                     viewer.pointer(10, 20, 1), viewer.pointer(10, 20, 0),
                     viewer.cut_text("secret clipboard"), viewer.request_update(false)}) {
      if (!out.send.empty()) ws.send_binary(std::string(out.send.begin(), out.send.end()));
    }
    EXPECT_GE(watch_kvm(ws, viewer, 1, status), 1) << user << ": " << status;
    EXPECT_EQ(status.find("closed"), std::string::npos) << status;
  };
  const std::size_t mark = sim.output.size();
  session("watcher", "Watcher-pass1", true);
  ASSERT_TRUE(sim.wait_for("kvm 1 ended:", std::chrono::seconds(20), mark)) << sim.output;
  EXPECT_NE(sim.output.find("kvm 1 ended: keys 0, pointer 0, cut texts 0", mark), std::string::npos) << sim.output.substr(mark);
  const std::size_t mark2 = sim.output.size();
  session("admin", "Admin-pass1", false);
  ASSERT_TRUE(sim.wait_for("kvm 1 ended:", std::chrono::seconds(20), mark2)) << sim.output;
  EXPECT_NE(sim.output.find("kvm 1 ended: keys 4, pointer 2, cut texts 1", mark2), std::string::npos) << sim.output.substr(mark2);
  // "Limited input": the pointer and the letter pass; Control and the clipboard do not.
  const std::size_t mark3 = sim.output.size();
  session("typist", "Typist-pass1", false, true);
  ASSERT_TRUE(sim.wait_for("kvm 1 ended:", std::chrono::seconds(20), mark3)) << sim.output;
  EXPECT_NE(sim.output.find("kvm 1 ended: keys 2, pointer 2, cut texts 0", mark3), std::string::npos) << sim.output.substr(mark3);
}

TEST_F(Mps, KvmRelayThroughTheServerShowsTheDevicesDesktop) {
  peer::CiraSim sim(MW_AMTSIM, mps_port, kCiraUser, kMpsPass, 1, kAmtPass);
  const std::string id = device_with_credentials(sim);
  ASSERT_FALSE(id.empty());
  const std::string uuid = uuids_in(sim.output).at(0);

  auto o = f.verifying();
  o.headers = {meshauth("admin", "Admin-pass1")};
  WssClient ws(port, "/amtrelay.ashx?p=kvm&nodeid=" + id, o);
  // Meshwork's own RFB client (the browser's decoder) on the relayed bytes, as MeshCommander's
  // presets ask Intel AMT.
  mw::rfb::Client viewer(mw::rfb::ClientConfig::intel_amt());
  const auto before = wall_ms();
  std::string status;
  const int updates = watch_kvm(ws, viewer, 2, status);
  ASSERT_EQ(status.find("\"closed\""), std::string::npos) << status;
  ASSERT_EQ(status.find("rfb failed:"), std::string::npos) << status;
  ASSERT_GE(updates, 1) << status;
  EXPECT_NE(status.find("\"state\":\"ready\",\"type\":\"kvm\""), std::string::npos) << status;
  EXPECT_EQ(viewer.server().name, "amtsim-1");
  EXPECT_TRUE(shows_amtsim_desktop(viewer, uuid, before, wall_ms())) << "the relayed desktop differs from the one amtsim draws";
  EXPECT_GE(updates, 2) << "the clock's update did not come through";
}

TEST_F(Mps, RelaysNeedTheRemoteControlRightAndAConnectedDeviceWithCredentials) {
  peer::CiraSim sim(MW_AMTSIM, mps_port, kCiraUser, kMpsPass, 1, kAmtPass);
  ASSERT_TRUE(sim.wait_for("ready\n", std::chrono::seconds(60))) << sim.output;
  const std::string id = node_value(uuids_in(sim.output).at(0));
  ASSERT_FALSE(devices_until([&](const auto& m) { return m.count(id) > 0; }, std::chrono::seconds(10)).empty());
  {
    Relay r(port, f, "/amtrelay.ashx?p=sol&nodeid=" + id, "admin", "Admin-pass1");
    EXPECT_FALSE(r.wait_for("login:", std::chrono::seconds(5)));
    EXPECT_NE(r.status.find("The device has no Intel AMT credentials."), std::string::npos) << r.status;
  }
  ASSERT_NE(control(port, f, {{"action", "changedevice"}, {"nodeid", "node//" + id},
                              {"intelamt", {{"user", "admin"}, {"pass", kAmtPass}}}}).find("\"ok\""), std::string::npos);
  // A user who may see the group and wake its devices, but not control them remotely.
  ASSERT_EQ(lines(meshctrl(port, {"adduser", "--user", "waker", "--pass", "Waker-pass1"})), std::vector<std::string>{"ok"});
  ASSERT_EQ(lines(meshctrl(port, {"addusertodevicegroup", "--id", kAmtGroup.substr(6), "--userid", "waker", "--wakedevices"})).size(), 1u);
  {
    Relay r(port, f, "/amtrelay.ashx?p=sol&nodeid=" + id, "waker", "Waker-pass1");
    EXPECT_FALSE(r.wait_for("login:", std::chrono::seconds(5)));
    EXPECT_NE(r.status.find("Access denied"), std::string::npos) << r.status;
  }
  // "View only": Serial-over-LAN as well (KVM: ViewOnlyKvmShowsTheDesktopAndKeepsTheViewersInputBack).
  ASSERT_EQ(lines(meshctrl(port, {"adduser", "--user", "watcher", "--pass", "Watcher-pass1"})), std::vector<std::string>{"ok"});
  ASSERT_EQ(lines(meshctrl(port, {"addusertodevicegroup", "--id", kAmtGroup.substr(6), "--userid", "watcher",
                                  "--remotecontrol", "--desktopviewonly"}))
                .size(),
            1u);
  {
    Relay r(port, f, "/amtrelay.ashx?p=sol&nodeid=" + id, "watcher", "Watcher-pass1");
    EXPECT_TRUE(r.wait_for("login:")) << r.status << r.screen;
  }
  {
    Relay r(port, f, "/amtrelay.ashx?p=sol&nodeid=" + id, "admin", "wrong-password");
    EXPECT_FALSE(r.wait_for("login:", std::chrono::seconds(5)));
    EXPECT_EQ(r.screen, "");
  }
  {
    Relay r(port, f, "/amtrelay.ashx?p=telnet&nodeid=" + id, "admin", "Admin-pass1");
    EXPECT_FALSE(r.wait_for("login:", std::chrono::seconds(5)));
    EXPECT_NE(r.status.find("p must be sol, kvm or ider"), std::string::npos) << r.status;
  }
  // The relay event of a session names who and how much.
  {
    Relay sol(port, f, "/amtrelay.ashx?p=sol&nodeid=" + id, "admin", "Admin-pass1");
    ASSERT_TRUE(sol.wait_for("login: ")) << sol.status;
  }
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  std::string events;
  while (Clock::now() < deadline) {
    events = meshctrl(port, {"listevents"});
    if (events.find("Intel AMT Serial-over-LAN session to amtsim-1 ended") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  EXPECT_NE(events.find("Intel AMT Serial-over-LAN session to amtsim-1 ended"), std::string::npos) << events;
}

// "Scan network" from the Add Intel AMT device dialog: the server probes a range and lists the
// computers whose port 16992 answers as Intel AMT, with their version (amtsim on three addresses).
TEST_F(Mps, ScanNetworkFindsIntelAmtComputersInARange) {
  peer::LanSim sim(MW_AMTSIM, "127.0.0.70", 3, kAmtPass, "scan-test");
  ASSERT_TRUE(sim.ready) << sim.output;
  const auto found = json::parse(control(port, f, {{"action", "scanamtdevice"}, {"meshid", kAmtGroup}, {"range", "127.0.0.66-127.0.0.77"}}));
  ASSERT_EQ(found["action"], "scanamtdevice") << found.dump();
  EXPECT_EQ(found["range"], "127.0.0.66-127.0.0.77");
  ASSERT_TRUE(found["results"].is_object()) << found.dump();
  EXPECT_EQ(found["results"].size(), 3u) << found.dump();
  for (const char* ip : {"127.0.0.70", "127.0.0.71", "127.0.0.72"}) {
    EXPECT_EQ(found["results"][ip]["ver"], "16.1") << ip << found.dump();
    EXPECT_EQ(found["results"][ip]["state"], 2) << ip;
    EXPECT_EQ(found["results"][ip]["hostname"], ip);
  }
  // Ranges are checked before anything is probed.
  EXPECT_EQ(json::parse(control(port, f, {{"action", "scanamtdevice"}, {"meshid", kAmtGroup}, {"range", "10.0.0.0/8"}}))["result"],
            "a network scan covers at most 4096 addresses (/20)");
  EXPECT_EQ(json::parse(control(port, f, {{"action", "scanamtdevice"}, {"meshid", kAmtGroup}, {"range", "nowhere"}}))["result"],
            "\"nowhere\" is not an IPv4 address, range (a-b) or network (a/n)");
  EXPECT_NE(server->poll().find("scans 127.0.0.66-127.0.0.77 for Intel AMT"), std::string::npos);
}

TEST_F(Mps, LanDevicesAddedByAddressAreManagedOverTcp) {
  // amtsim on the LAN (its own loopback address, AMT's standard ports), not connected by CIRA.
  peer::LanSim sim(MW_AMTSIM, "127.0.0.93", 1, kAmtPass, "lan-test");
  ASSERT_TRUE(sim.ready) << sim.output;

  const auto added = json::parse(control(port, f, {{"action", "addamtdevice"}, {"meshid", kAmtGroup}, {"devicename", "lab-pc"},
                                                   {"hostname", "127.0.0.93"}, {"amtusername", "admin"}, {"amtpassword", kAmtPass}}));
  ASSERT_EQ(added["result"], "ok") << added.dump();
  const std::string id = added["nodeid"].get<std::string>().substr(6);
  // Read over TCP: present on the LAN (conn 4), powered on; the name given is kept.
  auto d = devices_until([&](const auto& m) { return m.count(id) && m.at(id)[3] == "1"; }, std::chrono::seconds(15));
  EXPECT_EQ(d[id], (std::vector<std::string>{"lab-pc", "1", "4", "1"})) << server->poll();
  const auto info = json::parse(meshctrl(port, {"listdevices", "--json"}));
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0]["intelamt"]["ver"], "16.1.25");
  EXPECT_FALSE(info[0]["intelamt"].contains("pass"));

  EXPECT_EQ(lines(meshctrl(port, {"devicepower", "--id", id, "--amtoff"})), std::vector<std::string>{"ok"});
  d = devices_until([&](const auto& m) { return m.count(id) && m.at(id)[3] == "6"; }, std::chrono::seconds(15));
  EXPECT_EQ(d[id][3], "6") << server->poll();
  EXPECT_EQ(lines(meshctrl(port, {"devicepower", "--id", id, "--amton"})), std::vector<std::string>{"ok"});
  d = devices_until([&](const auto& m) { return m.count(id) && m.at(id)[3] == "1"; }, std::chrono::seconds(15));
  EXPECT_EQ(d[id][3], "1");

  // Serial-over-LAN through the server, by TCP to the device's redirection port.
  Relay sol(port, f, "/amtrelay.ashx?p=sol&nodeid=" + id, "admin", "Admin-pass1");
  EXPECT_TRUE(sol.wait_for("amtsim-1 login: ")) << sol.status << sol.screen;

  // An address where nothing answers: the device is recorded, stays offline, the log says why.
  const auto nobody = json::parse(control(port, f, {{"action", "addamtdevice"}, {"meshid", kAmtGroup}, {"devicename", "gone"},
                                                    {"hostname", "127.0.0.94"}, {"amtpassword", kAmtPass}}));
  ASSERT_EQ(nobody["result"], "ok");
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (server->poll().find("cannot connect to 127.0.0.94") == std::string::npos && Clock::now() < deadline) {
  }
  EXPECT_NE(server->output().find("cannot connect to 127.0.0.94"), std::string::npos);
  d = devices();
  EXPECT_EQ(d[nobody["nodeid"].get<std::string>().substr(6)][2], "0");
  // Only "Intel AMT only" groups take LAN devices.
  const auto agent_group = json::parse(control(port, f, {{"action", "createmesh"}, {"meshname", "agents"}, {"meshtype", 2}}));
  const auto refused = json::parse(control(port, f, {{"action", "addamtdevice"}, {"meshid", agent_group.value("meshid", "")},
                                                     {"devicename", "x"}, {"hostname", "127.0.0.95"}, {"amtpassword", kAmtPass}}));
  EXPECT_EQ(refused["result"], "Intel AMT agentless mesh only allowed") << refused.dump();
}

// Intel AMT computers added on the LAN are checked every AmtPollInterval (1 s here; its own
// address, outside the other tests' scan ranges): a power
// change made by another console (MeshCentral's WS-Management stack, straight to the computer)
// shows, a computer that stops answering goes offline, and it is back once it answers again.
TEST_F(Mps, LanDevicesAreCheckedForPresenceAndPower) {
  server = std::make_unique<ServerProcess>(f.args({"--mpsport", std::to_string(free_port()), "--mpsportbind", "127.0.0.1",
                                                   "--mpspass", kMpsPass, "--amtpollinterval", "1"}));
  ASSERT_TRUE(server->running()) << server->output();
  port = server->https_port();
  auto sim = std::make_unique<peer::LanSim>(MW_AMTSIM, "127.0.0.130", 1, kAmtPass, "poll-test");
  ASSERT_TRUE(sim->ready) << sim->output;
  const auto added = json::parse(control(port, f, {{"action", "addamtdevice"}, {"meshid", kAmtGroup}, {"devicename", "desk-7"},
                                                   {"hostname", "127.0.0.130"}, {"amtusername", "admin"}, {"amtpassword", kAmtPass}}));
  ASSERT_EQ(added["result"], "ok") << added.dump();
  const std::string id = added["nodeid"].get<std::string>().substr(6);
  auto d = devices_until([&](const auto& m) { return m.count(id) && m.at(id)[2] == "4" && m.at(id)[3] == "1"; }, std::chrono::seconds(15));
  ASSERT_EQ(d[id][2], "4") << server->poll();

  // Powered off by someone else: the next check reads it.
  const auto r = peer::run({"node", std::string(MW_TEST_DATA) + "/../peers/redir/meshcentral_wsman.cjs", "127.0.0.130", "16992", "admin",
                            kAmtPass, "8"},
                           peer::current_env(), std::chrono::seconds(30));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  d = devices_until([&](const auto& m) { return m.count(id) && m.at(id)[3] == "6"; }, std::chrono::seconds(10));
  EXPECT_EQ(d[id][3], "6") << server->poll();

  // Gone from the network: offline within a few checks, without a warning every second.
  sim.reset();
  d = devices_until([&](const auto& m) { return m.count(id) && m.at(id)[2] == "0"; }, std::chrono::seconds(10));
  EXPECT_EQ(d[id][2], "0") << server->poll();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const std::string log = server->poll();
  EXPECT_EQ(log.find("check failed"), std::string::npos) << log;

  // Back (amtsim starts powered on): online again with its power state.
  sim = std::make_unique<peer::LanSim>(MW_AMTSIM, "127.0.0.130", 1, kAmtPass, "poll-test");
  ASSERT_TRUE(sim->ready) << sim->output;
  d = devices_until([&](const auto& m) { return m.count(id) && m.at(id)[2] == "4" && m.at(id)[3] == "1"; }, std::chrono::seconds(10));
  EXPECT_EQ(d[id], (std::vector<std::string>{"desk-7", "1", "4", "1"})) << server->poll();
}

// Intel AMT configured for TLS (amtsim --tls: 16993 and 16995 only, a new self-signed
// certificate each run). The server pins the certificate it first meets, refuses a different one
// before sending credentials (the device is flagged, an event says why), and pins again once an
// administrator saves the device's Intel AMT settings.
TEST_F(Mps, LanDevicesWithTlsArePinnedAndAChangedCertificateIsRefused) {
  auto sim1 = std::make_unique<peer::LanSim>(MW_AMTSIM, "127.0.0.97", 1, kAmtPass, "lan-tls-test", std::vector<std::string>{"--tls"});
  ASSERT_TRUE(sim1->ready) << sim1->output;
  const std::string hash1 = tls_hash_in(sim1->output);
  EXPECT_NE(sim1->output.find("redir=127.0.0.97:16995 wsman=127.0.0.97:16993"), std::string::npos) << sim1->output;
  // Scan network finds it on the TLS port (the plain one refuses), as MeshCentral's "tls":1.
  const auto found = json::parse(control(port, f, {{"action", "scanamtdevice"}, {"meshid", kAmtGroup}, {"range", "127.0.0.96-127.0.0.98"}}));
  ASSERT_TRUE(found["results"].is_object()) << found.dump();
  EXPECT_EQ(found["results"].size(), 1u) << found.dump();
  EXPECT_EQ(found["results"]["127.0.0.97"]["tls"], 1) << found.dump();
  EXPECT_EQ(found["results"]["127.0.0.97"]["ver"], "16.1") << found.dump();

  const auto added = json::parse(control(port, f, {{"action", "addamtdevice"}, {"meshid", kAmtGroup}, {"devicename", "lab-tls"},
                                                   {"hostname", "127.0.0.97"}, {"amtusername", "admin"}, {"amtpassword", kAmtPass},
                                                   {"amttls", 1}}));
  ASSERT_EQ(added["result"], "ok") << added.dump();
  const std::string id = added["nodeid"].get<std::string>().substr(6);
  auto d = devices_until([&](const auto& m) { return m.count(id) && m.at(id)[2] == "4" && m.at(id)[3] == "1"; }, std::chrono::seconds(15));
  EXPECT_EQ(d[id], (std::vector<std::string>{"lab-tls", "1", "4", "1"})) << server->poll();
  auto r = record(id);
  EXPECT_EQ(r["intelamt"]["tls"], 1) << r.dump();
  EXPECT_EQ(r["intelamt"]["ver"], "16.1.25");
  EXPECT_EQ(r["intelamt"]["hash"], hash1) << r.dump();
  {
    Relay sol(port, f, "/amtrelay.ashx?p=sol&nodeid=" + id, "admin", "Admin-pass1");
    EXPECT_TRUE(sol.wait_for("amtsim-1 login: ")) << sol.status << sol.screen;
  }
  EXPECT_EQ(lines(meshctrl(port, {"devicepower", "--id", id, "--amtoff"})), std::vector<std::string>{"ok"});
  d = devices_until([&](const auto& m) { return m.count(id) && m.at(id)[3] == "6"; }, std::chrono::seconds(15));
  EXPECT_EQ(d[id].size() > 3 ? d[id][3] : "", "6") << server->poll();

  // Another certificate at the same address (amtsim restarted: a new key).
  sim1.reset();  // stops it
  peer::LanSim sim2(MW_AMTSIM, "127.0.0.97", 1, kAmtPass, "lan-tls-test", {"--tls"});
  ASSERT_TRUE(sim2.ready) << sim2.output;
  const std::string hash2 = tls_hash_in(sim2.output);
  ASSERT_NE(hash1, hash2);
  // (It starts powered on; the power-off asked now must never reach it.)
  EXPECT_EQ(lines(meshctrl(port, {"devicepower", "--id", id, "--amtoff"})), std::vector<std::string>{"ok"});
  auto deadline = Clock::now() + std::chrono::seconds(15);
  while (server->poll().find("is not the one pinned for it; connection refused") == std::string::npos && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(server->output().find("(SHA-384 " + hash2 + ") is not the one pinned for it; connection refused"), std::string::npos)
      << server->output();
  {
    Relay sol(port, f, "/amtrelay.ashx?p=sol&nodeid=" + id, "admin", "Admin-pass1");
    EXPECT_FALSE(sol.wait_for("login: ", std::chrono::seconds(3))) << sol.screen;
  }
  r = record(id);
  EXPECT_EQ(r["intelamt"]["hash"], hash1) << r.dump();
  EXPECT_EQ(r["intelamt"].value("warn", 0) & 4, 4) << r.dump();
  deadline = Clock::now() + std::chrono::seconds(10);
  std::string events;
  while (Clock::now() < deadline) {
    events = meshctrl(port, {"listevents"});
    if (events.find("Intel AMT TLS certificate of lab-tls changed") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  EXPECT_NE(events.find("Intel AMT TLS certificate of lab-tls changed"), std::string::npos) << events;

  // The administrator saves the device's Intel AMT settings: the new certificate is pinned.
  ASSERT_NO_FATAL_FAILURE(save_tls_and_wait_for_pin(id, hash2, r));
  EXPECT_EQ(r["intelamt"]["hash"], hash2) << r.dump() << server->poll();
  EXPECT_FALSE(r["intelamt"].contains("warn")) << r.dump();
  // Read again over TLS: still on, so the power-off refused above never reached it.
  d = devices_until([&](const auto& m) { return m.count(id) && m.at(id)[2] == "4"; }, std::chrono::seconds(15));
  EXPECT_EQ(d[id], (std::vector<std::string>{"lab-tls", "1", "4", "1"})) << server->poll();
  Relay sol(port, f, "/amtrelay.ashx?p=sol&nodeid=" + id, "admin", "Admin-pass1");
  EXPECT_TRUE(sol.wait_for("amtsim-1 login: ")) << sol.status << sol.screen;

  const auto refused = json::parse(control(port, f, {{"action", "addamtdevice"}, {"meshid", kAmtGroup}, {"devicename", "x"},
                                                     {"hostname", "127.0.0.98"}, {"amtpassword", kAmtPass}, {"amttls", "yes"}}));
  EXPECT_EQ(refused["result"], "Invalid amttls");
}

// Intel AMT configured for TLS registers 16993 and 16995 on its CIRA connection instead of 16992
// and 16994: the server runs TLS inside the channels (the same pin as on the LAN: the first
// certificate is kept, another one refused until the administrator saves the device's Intel AMT
// settings), and inventory, power actions and the consoles work as without TLS.
TEST_F(Mps, CiraDevicesConfiguredForTlsAreManagedWithTlsInsideTheirChannels) {
  auto sim1 = std::make_unique<peer::CiraSim>(MW_AMTSIM, mps_port, kCiraUser, kMpsPass, 1, kAmtPass, std::vector<std::string>{"--tls"});
  const std::string id = device_with_credentials(*sim1);
  ASSERT_FALSE(id.empty());
  const std::string hash1 = tls_hash_in(sim1->output);
  // Read over TLS: the host name became its name, the power state is known, the certificate pinned.
  auto d = devices_until([&](const auto& m) { return m.count(id) && m.at(id)[3] == "1"; }, std::chrono::seconds(15));
  EXPECT_EQ(d[id], (std::vector<std::string>{"amtsim-1", "1", "2", "1"})) << server->poll();
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (server->poll().find("is configured for TLS (16993/16995): TLS inside its channels") == std::string::npos &&
         Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(server->output().find("is configured for TLS (16993/16995): TLS inside its channels"), std::string::npos)
      << server->output();
  deadline = Clock::now() + std::chrono::seconds(10);
  json r = record(id);
  while (r["intelamt"].value("hash", "") != hash1 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    r = record(id);
  }
  EXPECT_EQ(r["intelamt"].value("hash", ""), hash1) << r.dump();
  EXPECT_EQ(r["intelamt"]["ver"], "16.1.25") << r.dump();
  {
    // Serial-over-LAN: Digest login and the console, through TLS inside the CIRA channel.
    Relay sol(port, f, "/amtrelay.ashx?p=sol&nodeid=" + id, "admin", "Admin-pass1");
    ASSERT_TRUE(sol.wait_for("amtsim-1 login: ")) << sol.status << sol.screen << server->poll();
    sol.ws.send_binary("operator\r");
    ASSERT_TRUE(sol.wait_for("operator@amtsim-1:~$ ")) << sol.screen;
  }
  {
    // KVM: a whole desktop, many times the channel's window, through TLS (flow control).
    auto o = f.verifying();
    o.headers = {meshauth("admin", "Admin-pass1")};
    WssClient ws(port, "/amtrelay.ashx?p=kvm&nodeid=" + id, o);
    mw::rfb::Client viewer(mw::rfb::ClientConfig::intel_amt());
    const auto before = wall_ms();
    std::string status;
    ASSERT_GE(watch_kvm(ws, viewer, 1, status), 1) << status << server->poll();
    EXPECT_TRUE(shows_amtsim_desktop(viewer, uuids_in(sim1->output).at(0), before, wall_ms())) << status;
  }
  EXPECT_EQ(lines(meshctrl(port, {"devicepower", "--id", id, "--amtoff"})), std::vector<std::string>{"ok"});
  d = devices_until([&](const auto& m) { return m.count(id) && m.at(id)[3] == "6"; }, std::chrono::seconds(15));
  EXPECT_EQ(d[id].size() > 3 ? d[id][3] : "", "6") << server->poll();

  // The same computer with another certificate (amtsim restarted with a new key, same UUID).
  sim1.reset();
  peer::CiraSim sim2(MW_AMTSIM, mps_port, kCiraUser, kMpsPass, 1, kAmtPass, {"--tls"});
  ASSERT_TRUE(sim2.wait_for("ready\n", std::chrono::seconds(60))) << sim2.output;
  const std::string hash2 = tls_hash_in(sim2.output);
  ASSERT_NE(hash1, hash2);
  deadline = Clock::now() + std::chrono::seconds(15);
  while (server->poll().find("is not the one pinned for the device; channel refused") == std::string::npos && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(server->output().find("(SHA-384 " + hash2 + ") is not the one pinned for the device; channel refused"), std::string::npos)
      << server->output();
  {
    Relay sol(port, f, "/amtrelay.ashx?p=sol&nodeid=" + id, "admin", "Admin-pass1");
    EXPECT_FALSE(sol.wait_for("login: ", std::chrono::seconds(3))) << sol.screen;
  }
  deadline = Clock::now() + std::chrono::seconds(10);
  r = record(id);
  while ((r["intelamt"].value("warn", 0) & 4) == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    r = record(id);
  }
  EXPECT_EQ(r["intelamt"]["hash"], hash1) << r.dump();
  EXPECT_EQ(r["intelamt"].value("warn", 0) & 4, 4) << r.dump();

  // The administrator saves the device's Intel AMT settings: the new certificate is pinned and
  // the device is read again (amtsim started powered on).
  ASSERT_NO_FATAL_FAILURE(save_tls_and_wait_for_pin(id, hash2, r));
  EXPECT_EQ(r["intelamt"]["hash"], hash2) << r.dump() << server->poll();
  d = devices_until([&](const auto& m) { return m.count(id) && m.at(id)[3] == "1"; }, std::chrono::seconds(15));
  EXPECT_EQ(d[id].size() > 3 ? d[id][3] : "", "1") << server->poll();
  Relay sol(port, f, "/amtrelay.ashx?p=sol&nodeid=" + id, "admin", "Admin-pass1");
  EXPECT_TRUE(sol.wait_for("amtsim-1 login: ")) << sol.status << sol.screen;
}

// Intel AMT before version 11 speaks only TLS 1.0/1.1. By default (MpsHighSecurity true) the MPS
// refuses it and says how to accept it; with MpsHighSecurity false such a computer connects by
// CIRA and is reached on the LAN with TLS.
TEST_F(Mps, IntelAmtBeforeVersion11ConnectsOnlyWithMpsHighSecurityOff) {
  {
    peer::CiraSim old(MW_AMTSIM, mps_port, kCiraUser, kMpsPass, 1, kAmtPass, {"--legacy-tls"});
    const auto deadline = Clock::now() + std::chrono::seconds(15);
    while (server->poll().find("set MpsHighSecurity to false to accept it") == std::string::npos && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_NE(server->output().find("TLS handshake refused ("), std::string::npos) << server->output();
    EXPECT_EQ(old.output.find("cira=connected"), std::string::npos) << old.output;
    EXPECT_TRUE(devices().empty());
  }
  ASSERT_EQ(server->stop(SIGTERM), 0);
  // Intel AMT of those versions takes RSA certificates only (the default; the tests' fixture
  // makes ECDSA ones to save time): new certificates, RSA 3072.
  for (const auto& e : fs::directory_iterator(f.data())) {
    if (e.path().filename().string().find("-cert-") != std::string::npos) fs::remove(e.path());
  }
  auto args = f.args({"--mpsport", std::to_string(free_port()), "--mpsportbind", "127.0.0.1", "--mpspass", kMpsPass,
                      "--mpshighsecurity", "false"});
  std::replace(args.begin(), args.end(), std::string("ecdsa-p384"), std::string("rsa3072"));
  server = std::make_unique<ServerProcess>(args);
  ASSERT_TRUE(server->running()) << server->output();
  port = server->https_port();
  EXPECT_NE(server->output().find("MpsHighSecurity is false"), std::string::npos) << server->output();

  peer::CiraSim old(MW_AMTSIM, server->mps_port(), kCiraUser, kMpsPass, 1, kAmtPass, {"--legacy-tls"});
  const std::string id = device_with_credentials(old);
  ASSERT_FALSE(id.empty());
  auto d = devices_until([&](const auto& m) { return m.count(id) && m.at(id)[3] == "1"; }, std::chrono::seconds(15));
  EXPECT_EQ(d[id], (std::vector<std::string>{"amtsim-1", "1", "2", "1"})) << server->poll();

  // On the LAN with TLS 1.0 (16993/16995): read, powered off.
  peer::LanSim lan(MW_AMTSIM, "127.0.0.99", 1, kAmtPass, "lan-legacy-test", {"--tls", "--legacy-tls"});
  ASSERT_TRUE(lan.ready) << lan.output;
  const auto added = json::parse(control(port, f, {{"action", "addamtdevice"}, {"meshid", kAmtGroup}, {"devicename", "old-lan"},
                                                   {"hostname", "127.0.0.99"}, {"amtusername", "admin"}, {"amtpassword", kAmtPass},
                                                   {"amttls", 1}}));
  ASSERT_EQ(added["result"], "ok") << added.dump();
  const std::string lan_id = added["nodeid"].get<std::string>().substr(6);
  d = devices_until([&](const auto& m) { return m.count(lan_id) && m.at(lan_id)[3] == "1"; }, std::chrono::seconds(15));
  EXPECT_EQ(d[lan_id], (std::vector<std::string>{"old-lan", "1", "4", "1"})) << server->poll();
  EXPECT_EQ(record(lan_id)["intelamt"].value("hash", ""), tls_hash_in(lan.output));
}

TEST_F(Mps, GroupAdministratorsGetTheCiraSettingsOthersDoNot) {
  const auto cfg = json::parse(control(port, f, {{"action", "ciraconfig"}, {"meshid", kAmtGroup}}));
  EXPECT_EQ(cfg["result"], "ok") << cfg.dump();
  EXPECT_EQ(cfg["mpshost"], "mesh.test");
  EXPECT_EQ(cfg["mpsport"], mps_port);
  EXPECT_EQ(cfg["mpsuser"], kCiraUser);
  EXPECT_EQ(cfg["mpspass"], kMpsPass);
  EXPECT_EQ(cfg["rootcert"], read_text_file((f.data() / "root-cert-public.crt").string()));
  EXPECT_EQ(cfg["rootcertsha384"].get<std::string>().size(), 96u);
  // What it gives is what works: a device with exactly these settings connects.
  peer::CiraSim sim(MW_AMTSIM, cfg["mpsport"].get<int>(), cfg["mpsuser"], cfg["mpspass"], 1, kAmtPass);
  EXPECT_TRUE(sim.wait_for("cira=connected")) << sim.output;
  // A user of the group without the edit-group right is refused.
  ASSERT_EQ(lines(meshctrl(port, {"adduser", "--user", "viewer", "--pass", "Viewer-pass1"})), std::vector<std::string>{"ok"});
  ASSERT_EQ(lines(meshctrl(port, {"addusertodevicegroup", "--id", kAmtGroup.substr(6), "--userid", "viewer", "--remotecontrol"})).size(), 1u);
  auto o = f.verifying();
  o.headers = {meshauth("viewer", "Viewer-pass1")};
  WssClient ws(port, "/control.ashx", o);
  ws.send(json{{"action", "ciraconfig"}, {"meshid", kAmtGroup}, {"responseid", "v"}}.dump());
  std::string reply;
  for (int i = 0; i < 10 && reply.find("\"responseid\":\"v\"") == std::string::npos; ++i) reply = ws.read();
  EXPECT_NE(reply.find("Access denied"), std::string::npos) << reply;
  EXPECT_EQ(reply.find(kMpsPass), std::string::npos);
}

TEST_F(Mps, ABrowserOnTheMpsPortGetsPlainTextOverTheMpsCertificate) {
  ClientOptions o = f.verifying();  // the MPS certificate is issued by the server's root, for Cert
  const auto res = https_request(mps_port, "/", o);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_NE(res.body().find("Meshwork MPS server."), std::string::npos) << res.body();
  EXPECT_NE(res.body().find("https://mesh.test:" + std::to_string(port) + "/"), std::string::npos) << res.body();
}

}  // namespace
