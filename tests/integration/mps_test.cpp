// The MPS of meshwork-server with simulated Intel AMT computers (tools/amtsim in CIRA mode) and
// MeshCentral's meshctrl.js as the user's view: devices of an "Intel AMT only" group log in with
// the group's CIRA user name and the MPS password, appear in their group with MeshCentral's
// device ids, connectivity and power state; wrong credentials are refused and logged (never the
// password); a device that stops answering goes offline within the keep-alive window; a browser
// opening the MPS port gets a plain-text answer.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "../peers/amtsim_process.hpp"
#include "fixture.hpp"
#include "meshctrl.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace mw::test;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// A group id with '@' and '$' in its first 16 characters: its CIRA user name has them as 'X'.
const std::string kAmtGroup = "mesh//Amt@Group$Id00000000000000000000000000000000000000000000000000000";
const std::string kCiraUser = "AmtXGroupXId0000";
const std::string kMpsPass = "Cira-Pass-2026";
const std::string kAmtPass = "P@ssw0rd-sim";

// MeshCentral's id of an "Intel AMT only" device (the value after "node//"): the UUID's bytes in
// text order, three times, base64 with '@' and '$'.
std::string node_value(const std::string& uuid) {
  std::string hex;
  for (const char c : uuid) {
    if (c != '-') hex.push_back(c);
  }
  std::vector<std::uint8_t> raw;
  for (int k = 0; k < 3; ++k) {
    for (std::size_t i = 0; i < 32; i += 2) raw.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  std::string b = mw::util::base64_encode(raw);
  for (char& c : b) {
    if (c == '+') c = '@';
    if (c == '/') c = '$';
  }
  return b;
}

std::vector<std::string> uuids_in(const std::string& output) {
  const std::regex line(R"(device \d+ uuid=([0-9a-f-]{36}) cira=connected)");
  std::vector<std::string> out;
  for (std::sregex_iterator it(output.begin(), output.end(), line), end; it != end; ++it) out.push_back((*it)[1]);
  std::sort(out.begin(), out.end());  // devices connect in any order
  return out;
}

class Mps : public ::testing::Test {
 protected:
  Fixture f;
  std::unique_ptr<ServerProcess> server;
  int port = 0, mps_port = 0;

  void SetUp() override {
    f.create_account("admin", "Admin-pass1");
    {
      auto db = mw::server::store::SqliteStore::open(f.data() / "meshwork.db");
      ASSERT_TRUE(db) << db.error().message;
      auto& s = *db.value();
      auto admin = s.get("user//admin").value().value();
      admin["links"][kAmtGroup] = {{"rights", 0xFFFFFFFFu}};
      ASSERT_TRUE(s.put(admin));
      ASSERT_TRUE(s.put({{"_id", kAmtGroup}, {"type", "mesh"}, {"mtype", 1}, {"name", "AMT lab"}, {"domain", ""},
                         {"links", {{"user//admin", {{"name", "admin"}, {"rights", 0xFFFFFFFFu}}}}}}));
    }
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

TEST_F(Mps, ABrowserOnTheMpsPortGetsPlainTextOverTheMpsCertificate) {
  ClientOptions o = f.verifying();  // the MPS certificate is issued by the server's root, for Cert
  const auto res = https_request(mps_port, "/", o);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_NE(res.body().find("Meshwork MPS server."), std::string::npos) << res.body();
  EXPECT_NE(res.body().find("https://mesh.test:" + std::to_string(port) + "/"), std::string::npos) << res.body();
}

}  // namespace
