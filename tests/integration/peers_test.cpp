// Two meshwork-server processes as one (config.json "peers", MeshCentral's multi-server mode),
// sharing a PostgreSQL database the test starts on 127.0.0.1: they link up and prove the group's
// key; an agent connected to one server is online on the other, and a browser session on the
// other gets its terminal relayed through both servers, runs commands on it and sees events
// raised on the first; when the first stops, the device goes offline on the second. An Intel AMT
// computer (amtsim) connected by CIRA to one server is managed from the other: credentials,
// inventory, a power action, a log read and Serial-over-LAN. A server
// whose database holds another key is refused; peers without a shared database, or naming a
// server id not in the list, stop with a clear message.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include <cstring>
#include <random>
#include <regex>
#include <thread>

#include "../peers/amtsim_process.hpp"
#include "../peers/postgres.hpp"
#include "files_session.hpp"
#include "../peers/process.hpp"
#include "agent_process.hpp"
#include "fixture.hpp"

namespace {

using namespace mw::test;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// Server arguments with a fixed port (the peers' URLs name it).
std::vector<std::string> on_port(const Fixture& f, int port) {
  auto a = f.args({"--exactports"});
  for (std::size_t i = 0; i + 1 < a.size(); ++i) {
    if (a[i] == "--port") a[i + 1] = std::to_string(port);
  }
  return a;
}

json group_config(const peer::PostgresServer& pg, const std::string& database, const std::string& self, int alpha_port,
                  int beta_port) {
  return json{{"settings", {{"Postgres", {{"host", "127.0.0.1"}, {"port", pg.port()}, {"user", "postgres"}, {"database", database}}}}},
              {"peers",
               {{"serverId", self},
                {"servers",
                 {{"alpha", {{"url", "wss://127.0.0.1:" + std::to_string(alpha_port) + "/"}}},
                  {"beta", {{"url", "wss://127.0.0.1:" + std::to_string(beta_port) + "/"}}}}}}}};
}

bool wait_output(ServerProcess& s, const std::string& text, std::chrono::seconds within = std::chrono::seconds(20)) {
  const auto deadline = Clock::now() + within;
  while (Clock::now() < deadline) {
    if (s.poll(std::chrono::milliseconds(100)).find(text) != std::string::npos) return true;
  }
  return false;
}

json control(int port, const ClientOptions& who, const json& cmd, const std::string& action) {
  return control_answer(port, who, cmd, action);
}

// Reads events from a control channel until one satisfies `match`; that event, or null.
json wait_event(WssClient& ws, const std::function<bool(const json&)>& match, std::chrono::seconds within = std::chrono::seconds(20)) {
  const auto deadline = Clock::now() + within;
  while (Clock::now() < deadline) {
    json j = json::parse(ws.read(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()) +
                                 std::chrono::milliseconds(10)),
                         nullptr, false);
    if (j.value("action", "") == "event" && j.contains("event") && match(j["event"])) return j["event"];
  }
  return {};
}

TEST(Peers, TwoServersActAsOne) {
  peer::PostgresServer pg;
  ASSERT_TRUE(pg.running()) << pg.error();
  const std::string database = pg.create_database();
  ASSERT_FALSE(database.empty());
  Fixture fa, fb;
  const int alpha_port = free_port(), beta_port = free_port();
  fa.write_config(group_config(pg, database, "alpha", alpha_port, beta_port).dump());
  fb.write_config(group_config(pg, database, "beta", alpha_port, beta_port).dump());
  fa.create_account("admin", "Admin-pass1");  // in PostgreSQL: both servers know the account

  ServerProcess alpha(on_port(fa, alpha_port));
  ASSERT_TRUE(alpha.running()) << alpha.output();
  EXPECT_NE(alpha.output().find("Peer server \"alpha\" of a group with beta (wss://127.0.0.1:" + std::to_string(beta_port) + "/)."),
            std::string::npos)
      << alpha.output();
  auto beta = std::make_unique<ServerProcess>(on_port(fb, beta_port));
  ASSERT_TRUE(beta->running()) << beta->output();
  // alpha sorts first, so alpha dials (again and again, with back-off, until beta is up).
  ASSERT_TRUE(wait_output(alpha, "peer server beta connected (dialed)", std::chrono::seconds(40))) << alpha.output();
  ASSERT_TRUE(wait_output(*beta, "peer server alpha connected (accepted)")) << beta->output();

  const auto admin_a = fa.as("admin", "Admin-pass1");
  const auto admin_b = fb.as("admin", "Admin-pass1");
  // My Server shows the group and the link.
  const json stats = control(alpha_port, admin_a, {{"action", "serverstats"}}, "serverstats");
  EXPECT_EQ(stats["peers"], json::parse(R"({"serverid":"alpha","servers":[{"id":"beta","url":"wss://127.0.0.1:)" +
                                         std::to_string(beta_port) + R"(/","connected":true}]})"))
      << stats.dump();
  const json created = control(alpha_port, admin_a, {{"action", "createmesh"}, {"meshname", "Office"}, {"meshtype", 2}, {"responseid", "g"}},
                               "createmesh");
  const std::string meshid = created.value("meshid", "");
  ASSERT_EQ(meshid.rfind("mesh//", 0), 0u) << created.dump();

  // A browser's control channel on alpha, listening to events.
  WssClient events_a(alpha_port, "/control.ashx", admin_a);

  // The agent gets its settings from beta, and connects to beta.
  auto settings = https_request(beta_port, "/meshsettings?id=" + meshid.substr(6), fb.verifying());
  ASSERT_EQ(settings.result_int(), 200) << settings.body();
  const fs::path msh = fb.dir.path() / "agent.msh";
  // The agent serves a folder with a 64 MiB file of random bytes (a download through both servers).
  const fs::path share = fb.dir.path() / "share";
  fs::create_directories(share);
  std::string big(64u << 20, '\0');
  std::mt19937_64 rng(2026);
  for (std::size_t i = 0; i + 8 <= big.size(); i += 8) {
    const std::uint64_t v = rng();
    std::memcpy(big.data() + i, &v, 8);
  }
  std::ofstream(share / "big.bin", std::ios::binary) << big;
  std::ofstream(msh) << std::regex_replace(settings.body(), std::regex("wss://mesh\\.test:"), "wss://127.0.0.1:")
                     << "FilesRoot=" << share.string() << "\n";
  AgentProcess agent(msh, fb.dir.path() / "state", fb.dir.path() / "agent.log");
  ASSERT_TRUE(agent.wait_for("connected to")) << agent.log();
  ASSERT_FALSE(node_of(agent).empty()) << agent.log();
  const std::string nodeid = "node//" + node_of(agent);

  // Online on alpha: the live event, and the device list.
  const json online = wait_event(events_a, [&](const json& e) {
    return e.value("action", "") == "nodeconnect" && e.value("nodeid", "") == nodeid && (e.value("conn", 0) & 1);
  });
  ASSERT_FALSE(online.is_null()) << alpha.poll();
  const json nodes = control(alpha_port, admin_a, {{"action", "nodes"}}, "nodes");
  ASSERT_TRUE(nodes.contains("nodes") && nodes["nodes"].contains(meshid)) << nodes.dump();
  ASSERT_EQ(nodes["nodes"][meshid].size(), 1u) << nodes.dump();
  EXPECT_EQ(nodes["nodes"][meshid][0].value("conn", 0), 1) << nodes.dump();
  EXPECT_EQ(nodes["nodes"][meshid][0].value("pwr", 0), 1) << nodes.dump();

  // The terminal, through alpha (the user's server) and beta (the agent's).
  {
    WssClient ws(alpha_port, "/meshrelay.ashx?p=1&cols=80&rows=24&nodeid=" + nodeid.substr(6), admin_a);
    const json ready = json::parse(ws.read(), nullptr, false);
    ASSERT_EQ(ready.value("state", ""), "ready") << ready.dump() << alpha.poll() << beta->poll();
    std::string out;
    ws.send_binary("echo across-$((6*7))\r");
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (Clock::now() < deadline && out.find("across-42") == std::string::npos) {
      const std::string msg = ws.read();
      if (ws.last_was_binary()) out += msg;
    }
    EXPECT_NE(out.find("across-42"), std::string::npos) << out;
    // 300 KB of output crosses both hops whole.
    ws.send_binary("head -c 300000 /dev/zero | tr '\\0' x; echo; echo end-$((7*6))\r");
    std::size_t xs = 0;
    out.clear();
    while (Clock::now() < deadline + std::chrono::seconds(20) && out.find("end-42") == std::string::npos) {
      const std::string msg = ws.read();
      if (!ws.last_was_binary()) continue;
      out += msg;
      if (out.size() > 64) {  // keep the tail only: the marker may straddle two messages
        xs += static_cast<std::size_t>(std::count(out.begin(), out.end() - 64, 'x'));
        out.erase(0, out.size() - 64);
      }
    }
    xs += static_cast<std::size_t>(std::count(out.begin(), out.end(), 'x'));
    EXPECT_NE(out.find("end-42"), std::string::npos);
    EXPECT_GE(xs, 300000u);  // the echo of the command line adds a few
    ws.send_binary("exit\r");
    std::string closed;
    for (int i = 0; i < 50 && closed.empty(); ++i) {
      const std::string msg = ws.read();
      if (!ws.last_was_binary() && msg.find("\"closed\"") != std::string::npos) closed = msg;
    }
    EXPECT_NE(closed.find("The agent closed the relay."), std::string::npos) << closed;
  }

  // A 64 MiB download through both servers arrives whole and in order (the relay's connection
  // between the servers once ran its reads and writes on two threads at once, which mixed up
  // frames after some tens of megabytes).
  {
    FilesSession files(alpha_port, "/meshrelay.ashx?p=5&nodeid=" + nodeid.substr(6), admin_a);
    ASSERT_TRUE(files.ready()) << files.opening.dump() << alpha.poll();
    const json answer = files.ask({{"op", "download"}, {"path", (share / "big.bin").string()}});
    EXPECT_EQ(answer.value("op", ""), "download") << answer.dump();
    const json done = files.next();
    EXPECT_EQ(done.value("op", ""), "done") << done.dump();
    EXPECT_EQ(files.binary.size(), big.size());
    EXPECT_TRUE(files.binary == big) << "the download through two servers differs from the file";
  }

  // Commands, from alpha, run by beta's agent; the output and exit code come back.
  const json ran = control(alpha_port, admin_a,
                           {{"action", "runcommands"}, {"nodeids", {nodeid}}, {"type", 3}, {"cmds", "echo ran-$((40+2)); exit 3"},
                            {"reply", true}, {"responseid", "r"}},
                           "msg");
  EXPECT_NE(ran.value("result", "").find("ran-42"), std::string::npos) << ran.dump();
  EXPECT_EQ(ran.value("exitcode", 0), 3) << ran.dump();

  // An event raised on beta reaches alpha's session.
  const json changed = control(beta_port, admin_b, {{"action", "changedevice"}, {"nodeid", nodeid}, {"name", "renamed-on-beta"}, {"responseid", "c"}},
                               "changedevice");
  EXPECT_EQ(changed.value("result", ""), "ok") << changed.dump();
  const json renamed = wait_event(events_a, [&](const json& e) { return e.dump().find("renamed-on-beta") != std::string::npos; });
  EXPECT_FALSE(renamed.is_null());

  // beta stops: the link drops and the device goes offline on alpha.
  EXPECT_EQ(beta->stop(SIGTERM), 0) << beta->output();
  const json offline = wait_event(events_a, [&](const json& e) {
    return e.value("action", "") == "nodeconnect" && e.value("nodeid", "") == nodeid && e.value("conn", -1) == 0;
  });
  EXPECT_FALSE(offline.is_null()) << alpha.poll();
  EXPECT_TRUE(wait_output(alpha, "peer server beta disconnected")) << alpha.output();
  const json after = control(alpha_port, admin_a, {{"action", "runcommands"}, {"nodeids", {nodeid}}, {"type", 3}, {"cmds", "true"}, {"reply", true}},
                             "runcommands");
  EXPECT_EQ(after.value("result", ""), "Agent not connected") << after.dump();
  EXPECT_EQ(alpha.stop(SIGTERM), 0) << alpha.output();
}

TEST(Peers, IntelAmtOnOneServerIsManagedFromTheOther) {
  peer::PostgresServer pg;
  ASSERT_TRUE(pg.running()) << pg.error();
  const std::string database = pg.create_database();
  Fixture fa, fb;
  const int alpha_port = free_port(), beta_port = free_port();
  fa.write_config(group_config(pg, database, "alpha", alpha_port, beta_port).dump());
  fb.write_config(group_config(pg, database, "beta", alpha_port, beta_port).dump());
  fa.create_account("admin", "Admin-pass1");
  ServerProcess alpha(on_port(fa, alpha_port));
  ASSERT_TRUE(alpha.running()) << alpha.output();
  // Intel AMT passwords are sealed with the data folder's key: the group's servers share it.
  fs::copy_file(fa.data() / "amt-credentials.key", fb.data() / "amt-credentials.key");
  auto b_args = on_port(fb, beta_port);
  for (std::size_t i = 0; i + 1 < b_args.size(); ++i) {
    if (b_args[i] == "--mpsport") b_args[i + 1] = std::to_string(free_port());
  }
  b_args.insert(b_args.end(), {"--mpsportbind", "127.0.0.1", "--mpspass", "Cira-Pass-2026"});
  ServerProcess beta(b_args);
  ASSERT_TRUE(beta.running()) << beta.output();
  ASSERT_GT(beta.mps_port(), 0) << beta.output();
  ASSERT_TRUE(wait_output(alpha, "peer server beta connected (dialed)", std::chrono::seconds(40))) << alpha.output();

  const auto admin_a = fa.as("admin", "Admin-pass1");
  const json created = control(alpha_port, admin_a, {{"action", "createmesh"}, {"meshname", "AMT lab"}, {"meshtype", 1}, {"responseid", "g"}},
                               "createmesh");
  const std::string meshid = created.value("meshid", "");
  ASSERT_EQ(meshid.rfind("mesh//", 0), 0u) << created.dump();
  std::string cira_user = meshid.substr(6, 16);
  std::replace(cira_user.begin(), cira_user.end(), '@', 'X');
  std::replace(cira_user.begin(), cira_user.end(), '$', 'X');
  WssClient events_a(alpha_port, "/control.ashx", admin_a);

  peer::CiraSim sim(MW_AMTSIM, beta.mps_port(), cira_user, "Cira-Pass-2026", 1, "P@ssw0rd-sim");
  ASSERT_TRUE(sim.wait_for("ready\n", std::chrono::seconds(60))) << sim.output << beta.poll();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(sim.output, m, std::regex(R"(device \d+ uuid=([0-9a-f-]{36}) cira=connected)"))) << sim.output;
  const std::string id = peer::meshcentral_amt_node_value(m[1].str());
  const std::string nodeid = "node//" + id;
  const json present = wait_event(events_a, [&](const json& e) {
    return e.value("action", "") == "nodeconnect" && e.value("nodeid", "") == nodeid && (e.value("conn", 0) & 2);
  });
  ASSERT_FALSE(present.is_null()) << alpha.poll();

  // Credentials set on alpha: beta, which holds the CIRA connection, reads the computer.
  const json set = control(alpha_port, admin_a,
                           {{"action", "changedevice"}, {"nodeid", nodeid}, {"intelamt", {{"user", "admin"}, {"pass", "P@ssw0rd-sim"}}},
                            {"responseid", "c"}},
                           "changedevice");
  EXPECT_EQ(set.value("result", ""), "ok") << set.dump();
  const json on = wait_event(events_a, [&](const json& e) {
    return e.value("action", "") == "nodeconnect" && e.value("nodeid", "") == nodeid && e.value("pwr", 0) == 1;
  });
  ASSERT_FALSE(on.is_null()) << alpha.poll() << beta.poll();
  // A read answered through the link.
  const json hw = control(alpha_port, admin_a, {{"action", "amtinfo"}, {"nodeid", nodeid}, {"what", "hardware"}}, "amtinfo");
  EXPECT_EQ(hw["hardware"]["chassis"]["model"], "AMT Simulator") << hw.dump();
  // Serial-over-LAN from alpha: the session runs on beta.
  {
    WssClient sol(alpha_port, "/amtrelay.ashx?p=sol&nodeid=" + id, admin_a);
    std::string screen, status;
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (Clock::now() < deadline && screen.find("amtsim-1 login: ") == std::string::npos) {
      const std::string msg = sol.read();
      if (sol.last_was_binary()) screen += msg;
      else status += msg;
    }
    EXPECT_NE(status.find("\"state\":\"ready\""), std::string::npos) << status;
    ASSERT_NE(screen.find("amtsim-1 login: "), std::string::npos) << screen << status << alpha.poll() << beta.poll();
    sol.send_binary("operator\r");
    while (Clock::now() < deadline + std::chrono::seconds(10) && screen.find("operator@amtsim-1:~$ ") == std::string::npos) {
      const std::string msg = sol.read();
      if (sol.last_was_binary()) screen += msg;
    }
    EXPECT_NE(screen.find("operator@amtsim-1:~$ "), std::string::npos) << screen;
  }
  EXPECT_TRUE(wait_output(alpha, "sol relay to " + nodeid + " for user//admin through peer server beta")) << alpha.output();
  // A power action from alpha: the computer turns off, alpha's session sees it.
  const json off = control(alpha_port, admin_a, {{"action", "poweraction"}, {"nodeids", {nodeid}}, {"actiontype", 308}, {"responseid", "p"}},
                           "poweraction");
  EXPECT_EQ(off.value("result", ""), "ok") << off.dump();
  const json soft_off = wait_event(events_a, [&](const json& e) {
    return e.value("action", "") == "nodeconnect" && e.value("nodeid", "") == nodeid && e.value("pwr", 0) == 6;
  });
  EXPECT_FALSE(soft_off.is_null()) << alpha.poll() << beta.poll();
}

TEST(Peers, AServerWithAnotherKeyIsRefused) {
  peer::PostgresServer pg;
  ASSERT_TRUE(pg.running()) << pg.error();
  const std::string db1 = pg.create_database(), db2 = pg.create_database();
  Fixture fa, fb;
  const int alpha_port = free_port(), beta_port = free_port();
  fa.write_config(group_config(pg, db1, "alpha", alpha_port, beta_port).dump());
  fb.write_config(group_config(pg, db2, "beta", alpha_port, beta_port).dump());  // another database: another key
  ServerProcess beta(on_port(fb, beta_port));
  ASSERT_TRUE(beta.running()) << beta.output();
  ServerProcess alpha(on_port(fa, alpha_port));
  ASSERT_TRUE(alpha.running()) << alpha.output();
  EXPECT_TRUE(wait_output(beta, "refused as a peer server: its proof does not match")) << beta.output();
  EXPECT_TRUE(wait_output(alpha, "peer server beta (127.0.0.1:" + std::to_string(beta_port) + "): refused")) << alpha.output();
  EXPECT_EQ(alpha.output().find("connected ("), std::string::npos) << alpha.output();
  EXPECT_EQ(beta.output().find("connected ("), std::string::npos) << beta.output();
  // A stranger that is not in peers.servers never gets as far as a proof.
  WssClient stranger(beta_port, "/meshserver.ashx", fb.verifying());
  const json hello = json::parse(stranger.read(), nullptr, false);
  EXPECT_EQ(hello.value("action", ""), "peerhello");
  EXPECT_EQ(hello.value("serverid", ""), "beta");
  stranger.send(json{{"action", "peerhello"}, {"serverid", "gamma"}, {"nonce", std::string(64, 'a')}, {"purpose", "link"}, {"proof", "00"}}.dump());
  const json refused = json::parse(stranger.read(), nullptr, false);
  EXPECT_EQ(refused.value("action", ""), "peerrefused") << refused.dump();
  EXPECT_TRUE(wait_output(beta, "refused as a peer server: unknown server \"gamma\"")) << beta.output();
}

TEST(Peers, AGroupNeedsASharedDatabaseAndItsOwnName) {
  Fixture f;
  f.write_config(json{{"peers", {{"serverId", "alpha"}, {"servers", {{"alpha", {{"url", "wss://127.0.0.1:1/"}}}}}}}}.dump());
  auto [code, out] = f.run({});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("the servers of a group share one database; set settings.postgres"), std::string::npos) << out;
  f.write_config(json{{"peers", {{"serverId", "delta"}, {"servers", {{"alpha", {{"url", "wss://127.0.0.1:1/"}}}}}}}}.dump());
  std::tie(code, out) = f.run({});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("peers.serverId \"delta\" is not one of peers.servers"), std::string::npos) << out;
  f.write_config(json{{"peers", {{"serverId", "alpha"}, {"servers", {{"alpha", {{"url", "https://127.0.0.1:1/"}}}}}}}}.dump());
  std::tie(code, out) = f.run({});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("peers.servers.alpha.url \"https://127.0.0.1:1/\" must start with wss://"), std::string::npos) << out;
}

}  // namespace
