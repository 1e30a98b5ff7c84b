// meshwork-agent with meshwork-server on loopback: the settings file the server hands out (HTTP
// and --agentsettings), installing into a temporary root, connecting, the device appearing in
// its group with system information (and in MeshCentral's meshctrl), the same identity after a
// restart, refusing a server whose key does not match the pinned ServerID, and the terminal
// relayed through /meshrelay.ashx (echo, stty size after a resize, an interactive program) with
// its rights check and relay log event; files through the relay: listing, folders, rename and
// delete, a 50 MB upload (with a resume) and download with matching SHA-256, and traversal
// attempts ("..", absolute paths, a symbolic link) refused; the desktop of an Xvfb display through
// the relay, decoded by shared/rfb and compared pixel for pixel with xwd's screenshot, a click
// reaching an X client (xev), and view-only users' clicks not reaching it.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <cstring>
#include <regex>
#include <sstream>
#include <thread>

#include "../peers/process.hpp"
#include "../peers/rfb/image.hpp"
#include "../peers/rfb/process.hpp"
#include "mw/rfb/client.hpp"
#include "mw/rfb/clipboard.hpp"
#include "agent_process.hpp"
#include "files_session.hpp"
#include "fixture.hpp"
#include "meshctrl.hpp"
#include "mw/util/hex.hpp"
#include "mw/util/sha256.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace mw::test;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

const std::string kGroup = "mesh//AgentGroup00000000000000000000000000000000000000000000000000000";
const std::string kGroupShort = kGroup.substr(6);

class Agent : public ::testing::Test {
 protected:
  Fixture f;
  std::unique_ptr<ServerProcess> server;
  int port = 0;

  void SetUp() override {
    f.create_account("admin", "Admin-pass1");
    f.create_account("helpdesk", "Helpdesk-pass1");
    // helpdesk sees the group and may manage its devices, but has no remote control.
    f.add_group(kGroup, 2, "Office", {{"admin", 0xFFFFFFFFu}, {"helpdesk", 4 | 64}});
    server = std::make_unique<ServerProcess>(f.args({"--agentpong", "2"}));
    ASSERT_TRUE(server->running()) << server->output();
    port = server->https_port();
  }

  ClientOptions as(const std::string& user, const std::string& pass) const { return f.as(user, pass); }

  // The settings file from the server, pointed at 127.0.0.1 (the test has no DNS for mesh.test).
  std::string settings_text() {
    auto r = https_request(port, "/meshsettings?id=" + kGroupShort, f.verifying());
    EXPECT_EQ(r.result_int(), 200) << r.body();
    return std::regex_replace(r.body(), std::regex("wss://mesh\\.test:"), "wss://127.0.0.1:");
  }
  fs::path write_settings(const std::string& text) {
    const fs::path p = f.dir.path() / "agent.msh";
    std::ofstream(p) << text;
    return p;
  }

  // Sends one control action and returns the first answer with `action` (skipping events).
  json control(const json& cmd, const std::string& action, const ClientOptions& who) {
    return control_answer(port, who, cmd, action);
  }
  json nodes() {
    auto n = control({{"action", "nodes"}}, "nodes", as("admin", "Admin-pass1"));
    return n.contains("nodes") && n["nodes"].contains(kGroup) ? n["nodes"][kGroup] : json::array();
  }
};

// Reads relay messages until the terminal output (binary) contains `text`; returns the output.
std::string read_terminal_until(WssClient& ws, const std::string& text, std::string& seen) {
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline && seen.find(text) == std::string::npos) {
    const std::string m = ws.read();
    if (ws.last_was_binary()) seen += m;
    else if (m.find("\"closed\"") != std::string::npos) break;
  }
  return seen;
}

TEST_F(Agent, SettingsFromTheWebAndTheCommandLineAgree) {
  auto r = https_request(port, "/meshsettings?id=" + kGroupShort, f.verifying());
  ASSERT_EQ(r.result_int(), 200);
  const std::string web = r.body();
  EXPECT_NE(web.find("MeshID=" + kGroup + "\n"), std::string::npos) << web;
  EXPECT_NE(web.find("MeshName=Office\n"), std::string::npos);
  EXPECT_NE(web.find("MeshServer=wss://mesh.test:" + std::to_string(port) + "/agent.ashx\n"), std::string::npos) << web;
  const std::smatch id = [&] {
    std::smatch m;
    std::regex_search(web, m, std::regex("ServerID=([0-9a-f]{96})\n"));
    return m;
  }();
  ASSERT_FALSE(id.empty()) << web;
  EXPECT_NE(server->output().find("Agent server ID (ServerID): " + id[1].str()), std::string::npos);
  // The switch prints the same file (with the port it is told); the group id as meshctrl shows it or whole.
  for (const auto& g : {kGroupShort, kGroup}) {
    auto [code, out] = f.run({"--port", std::to_string(port), "--agentsettings", g});
    ASSERT_EQ(code, 0) << out;
    EXPECT_NE(out.find(web), std::string::npos) << out;
  }
  EXPECT_EQ(https_request(port, "/meshsettings?id=nosuchgroup", f.verifying()).result_int(), 404);
  auto [code, out] = f.run({"--agentsettings", "nosuchgroup"});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("no device group"), std::string::npos) << out;
}

TEST_F(Agent, InstallsIntoARootAndUninstalls) {
  const auto settings = write_settings(settings_text());
  const fs::path root = f.dir.path() / "root";
  fs::create_directories(root);
  auto run = peer::run({MW_AGENT_BINARY, "--install", "--root", root.string(), "--settings", settings.string()},
                       peer::current_env(), std::chrono::seconds(60));
  ASSERT_EQ(run.status, 0) << run.err;
  const fs::path bin = root / "usr/local/lib/meshwork-agent/meshwork-agent";
  const fs::path msh = root / "etc/meshwork-agent/meshwork-agent.msh";
  const fs::path unit = root / "etc/systemd/system/meshwork-agent.service";
  ASSERT_TRUE(fs::exists(bin));
  EXPECT_EQ(fs::file_size(bin), fs::file_size(MW_AGENT_BINARY));
  EXPECT_NE(fs::status(bin).permissions() & fs::perms::owner_exec, fs::perms::none);
  EXPECT_EQ(peer::read_file(msh), peer::read_file(settings));
  struct stat st {};
  ASSERT_EQ(::stat(msh.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // the settings name the group: not for every local user
  const std::string u = peer::read_file(unit);
  EXPECT_NE(u.find("ExecStart=/usr/local/lib/meshwork-agent/meshwork-agent --settings /etc/meshwork-agent/meshwork-agent.msh "
                   "--state-dir /var/lib/meshwork-agent\n"),
            std::string::npos)
      << u;
  EXPECT_NE(u.find("Restart=always"), std::string::npos);
  EXPECT_NE(u.find("WantedBy=multi-user.target"), std::string::npos);
  EXPECT_TRUE(fs::is_directory(root / "var/lib/meshwork-agent"));

  auto rm = peer::run({MW_AGENT_BINARY, "--uninstall", "--root", root.string()}, peer::current_env(), std::chrono::seconds(60));
  ASSERT_EQ(rm.status, 0) << rm.err;
  EXPECT_FALSE(fs::exists(bin));
  EXPECT_FALSE(fs::exists(msh));
  EXPECT_FALSE(fs::exists(unit));
  EXPECT_FALSE(fs::exists(root / "var/lib/meshwork-agent"));
}

TEST_F(Agent, ConnectsAppearsWithSystemInformationAndKeepsItsIdentity) {
  const auto settings = write_settings(settings_text());
  const fs::path state = f.dir.path() / "state";
  std::string nodeid;
  {
    AgentProcess agent(settings, state, f.dir.path() / "agent1.log");
    ASSERT_TRUE(agent.wait_for("connected to 127.0.0.1")) << agent.log() << server->poll();
    nodeid = "node//" + node_of(agent);
    ASSERT_NE(nodeid, "node//") << agent.log();
    // The key is private to the agent.
    struct stat st {};
    ASSERT_EQ(::stat((state / "agent-key.pem").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    char host[256] = {};
    gethostname(host, sizeof host - 1);
    const auto list = nodes();
    ASSERT_EQ(list.size(), 1u) << list.dump();
    EXPECT_EQ(list[0].value("_id", ""), nodeid);
    EXPECT_EQ(list[0].value("name", ""), host);
    EXPECT_EQ(list[0].value("conn", 0), 1);  // agent
    EXPECT_EQ(list[0].value("pwr", 0), 1);   // on

    // System information arrives right after the connection.
    json si;
    for (int i = 0; i < 100 && !si.contains("data"); ++i) {
      si = control({{"action", "getsysinfo"}, {"nodeid", nodeid}}, "getsysinfo", as("admin", "Admin-pass1"));
      if (!si.contains("data")) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(si.contains("data")) << si.dump();
    EXPECT_EQ(si["data"].value("hostname", ""), host);
    EXPECT_GE(si["data"]["cpu"].value("cores", 0), 1);
    EXPECT_GT(si["data"]["memory"].value("total", 0ull), 0ull);
    bool loopback = false;
    for (const auto& i : si["data"]["interfaces"]) {
      if (i.value("name", "") == "lo") loopback = std::find(i["ipv4"].begin(), i["ipv4"].end(), "127.0.0.1") != i["ipv4"].end();
    }
    EXPECT_TRUE(loopback) << si["data"]["interfaces"].dump();
    EXPECT_FALSE(si["data"]["os"].value("name", "").empty());
    // MeshCentral's own tool sees the device online.
    const auto csv = meshctrl(port, {"listdevices", "--csv"});
    EXPECT_NE(csv.find("\"" + nodeid.substr(6) + "\""), std::string::npos) << csv;
    agent.stop();
  }
  // Offline within moments of the agent going away.
  json list;
  for (int i = 0; i < 100; ++i) {
    list = nodes();
    if (!list.empty() && list[0].value("conn", 0) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].value("conn", 0), 0);
  // Restarted, it is the same device: no second record.
  AgentProcess again(settings, state, f.dir.path() / "agent2.log");
  ASSERT_TRUE(again.wait_for("as " + nodeid)) << again.log();
  EXPECT_EQ(nodes().size(), 1u);
}

// A UDP port free on loopback right now (bound, read, released).
int free_udp_port() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

TEST_F(Agent, FindsTheServerOnTheLocalNetworkInLanMode) {
  // LAN mode: the server hands out MeshServer=local with its discovery key and port, and answers
  // the agent's multicast question (on loopback here: DiscoveryInterface) with where it listens.
  server.reset();
  const int udp = free_udp_port();
  ASSERT_GT(udp, 0);
  server = std::make_unique<ServerProcess>(
      f.args({"--agentpong", "2", "--lanonly", "--localdiscovery", R"({"port": )" + std::to_string(udp) + R"(, "key": "lan-secret"})"}));
  ASSERT_TRUE(server->running()) << server->output();
  port = server->https_port();
  EXPECT_NE(server->output().find("LAN discovery on UDP port " + std::to_string(udp)), std::string::npos) << server->output();
  auto r = https_request(port, "/meshsettings?id=" + kGroupShort, f.verifying());
  ASSERT_EQ(r.result_int(), 200) << r.body();
  for (const std::string& line : std::vector<std::string>{"MeshServer=local", "DiscoveryKey=lan-secret", "DiscoveryPort=" + std::to_string(udp)}) {
    EXPECT_NE(r.body().find(line + "\n"), std::string::npos) << line << " in\n" << r.body();
  }
  const auto settings = write_settings(r.body() + "DiscoveryInterface=127.0.0.1\n");
  AgentProcess agent(settings, f.dir.path() / "state", f.dir.path() / "agent.log");
  ASSERT_TRUE(agent.wait_for("connected to")) << agent.log() << server->output();
  EXPECT_NE(agent.log().find("found the server on the local network: wss://127.0.0.1:" + std::to_string(port) + "/agent.ashx"),
            std::string::npos) << agent.log();
  const json list = nodes();
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0].value("_id", ""), "node//" + node_of(agent));
  EXPECT_EQ(list[0].value("conn", 0), 1);
}

TEST_F(Agent, UninstallsItselfWhenTheServerAsksWithTheRight) {
  const auto settings = write_settings(settings_text());
  const fs::path state = f.dir.path() / "state";
  AgentProcess agent(settings, state, f.dir.path() / "agent.log");
  ASSERT_TRUE(agent.wait_for("connected to")) << agent.log();
  const std::string nodeid = "node//" + node_of(agent);
  // helpdesk manages the group's devices but has no "uninstall agent": refused, the agent stays.
  EXPECT_EQ(control({{"action", "uninstallagent"}, {"nodeids", {nodeid}}}, "uninstallagent", as("helpdesk", "Helpdesk-pass1"))
                .value("result", ""),
            "Access denied");
  EXPECT_EQ(agent.wait_exit(std::chrono::seconds(1)), -1);
  EXPECT_TRUE(fs::exists(state / "agent-key.pem"));
  // The administrator asks: the agent forgets its identity and ends (it runs in the foreground).
  EXPECT_EQ(control({{"action", "uninstallagent"}, {"nodeids", {nodeid}}}, "uninstallagent", as("admin", "Admin-pass1"))
                .value("result", ""),
            "ok");
  EXPECT_EQ(agent.wait_exit(std::chrono::seconds(20)), 0) << agent.log();
  EXPECT_NE(agent.log().find("the server asked this agent to uninstall itself"), std::string::npos) << agent.log();
  EXPECT_FALSE(fs::exists(state / "agent-key.pem"));
  // The request is in the device's history; the record stays until the device is removed.
  const json events = control({{"action", "events"}, {"nodeid", nodeid}}, "events", as("admin", "Admin-pass1"));
  ASSERT_TRUE(events.contains("events")) << events.dump();
  EXPECT_NE(events["events"].dump().find("to uninstall itself"), std::string::npos) << events.dump();
  EXPECT_EQ(nodes().size(), 1u);
}

TEST_F(Agent, RefusesAServerWhoseKeyIsNotThePinnedOne) {
  std::string text = settings_text();
  text = std::regex_replace(text, std::regex("ServerID=[0-9a-f]{8}"), "ServerID=00000000");
  AgentProcess agent(write_settings(text), f.dir.path() / "state", f.dir.path() / "agent.log");
  ASSERT_TRUE(agent.wait_for("server identity mismatch")) << agent.log();
  EXPECT_EQ(agent.log().find("connected to"), std::string::npos);
  EXPECT_TRUE(nodes().empty());
  // It keeps trying, with back-off (not a busy loop): a few attempts in 3 s, not hundreds.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const std::string log = agent.log();
  std::size_t attempts = 0;
  for (std::size_t at = 0; (at = log.find("server identity mismatch", at)) != std::string::npos; ++at) ++attempts;
  EXPECT_GE(attempts, 2u);
  EXPECT_LE(attempts, 6u);
}

TEST_F(Agent, TerminalThroughTheRelay) {
  const auto settings = write_settings(settings_text());
  AgentProcess agent(settings, f.dir.path() / "state", f.dir.path() / "agent.log");
  ASSERT_TRUE(agent.wait_for("connected to")) << agent.log();
  const std::string node = node_of(agent);
  ASSERT_FALSE(node.empty()) << agent.log();
  {
    WssClient ws(port, "/meshrelay.ashx?p=1&cols=80&rows=24&nodeid=" + node, as("admin", "Admin-pass1"));
    const json ready = json::parse(ws.read(), nullptr, false);
    ASSERT_EQ(ready.value("state", ""), "ready") << ready.dump();
    EXPECT_EQ(ready.value("p", 0), 1);
    std::string out;
    ws.send_binary("echo hello-$((6*7))\r");
    read_terminal_until(ws, "hello-42", out);
    ASSERT_NE(out.find("hello-42"), std::string::npos) << out;
    ws.send("{\"ctrl\":\"resize\",\"cols\":100,\"rows\":30}");
    ws.send_binary("stty size\r");
    read_terminal_until(ws, "30 100", out);
    EXPECT_NE(out.find("30 100"), std::string::npos) << out;
    // An interactive program: it waits for a line typed afterwards.
    // The shell holds its terminal and nothing of the agent's (no sockets, no other files).
    ws.send_binary("ls -l /proc/$$/fd | grep -c -e socket: -e pipe: -e anon_inode: -e /state; echo fds-$((40+2))-checked\r");
    read_terminal_until(ws, "fds-42-checked", out);
    EXPECT_TRUE(std::regex_search(out, std::regex("[^0-9]0\r\nfds-42-checked"))) << out;
    ws.send_binary("read answer; echo got:$answer:\r");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ws.send_binary("xyzzy\r");
    read_terminal_until(ws, "got:xyzzy:", out);
    EXPECT_NE(out.find("got:xyzzy:"), std::string::npos) << out;
    // The shell ending closes the relay with a reason.
    ws.send_binary("exit\r");
    std::string closed;
    for (int i = 0; i < 50 && closed.empty(); ++i) {
      const std::string msg = ws.read();
      if (!ws.last_was_binary() && msg.find("\"closed\"") != std::string::npos) closed = msg;
    }
    EXPECT_NE(closed.find("The agent closed the relay."), std::string::npos) << closed;
  }
  // The session is in the device's events with its byte counts.
  json ev;
  for (int i = 0; i < 50; ++i) {
    auto events = control({{"action", "events"}, {"nodeid", "node//" + node}}, "events", as("admin", "Admin-pass1"));
    for (const auto& e : events["events"]) {
      if (e.value("action", "") == "relaylog") ev = e;
    }
    if (!ev.is_null()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(ev.is_null());
  EXPECT_EQ(ev.value("protocol", 0), 1);
  EXPECT_GT(ev.value("bytesin", 0), 20);
  EXPECT_GT(ev.value("bytesout", 0), 20);
  EXPECT_EQ(ev.value("username", ""), "admin");
}

TEST_F(Agent, RunsCommandsForMeshctrl) {
  AgentProcess agent(write_settings(settings_text()), f.dir.path() / "state", f.dir.path() / "agent.log");
  ASSERT_TRUE(agent.wait_for("connected to")) << agent.log();
  const std::string node = node_of(agent);
  // MeshCentral's own tool: the output comes back with --reply.
  const auto out = meshctrl(port, {"runcommand", "--id", node, "--run", "echo hello-$((6*7)); echo to-stderr >&2", "--reply"});
  EXPECT_NE(out.find("hello-42"), std::string::npos) << out << agent.log();
  EXPECT_NE(out.find("to-stderr"), std::string::npos) << out;
  // Commands hold nothing of the agent's but their output pipe (no sockets, no event descriptors).
  const auto fds = meshctrl(port, {"runcommand", "--id", node, "--run", "ls -l /proc/self/fd", "--reply"});
  EXPECT_EQ(fds.find("socket:"), std::string::npos) << fds;
  EXPECT_EQ(fds.find("anon_inode:"), std::string::npos) << fds;
  EXPECT_NE(fds.find("pipe:"), std::string::npos) << fds;  // stdout and stderr
  // Without --reply the server answers OK at once.
  EXPECT_NE(meshctrl(port, {"runcommand", "--id", node, "--run", "true"}).find("OK"), std::string::npos);
  // Exit codes and Windows-only types through the control channel.
  auto r = control({{"action", "runcommands"}, {"nodeids", {node}}, {"type", 3}, {"cmds", "exit 7"}, {"reply", true}, {"responseid", "x"}},
                   "msg", as("admin", "Admin-pass1"));
  EXPECT_EQ(r.value("type", ""), "runcommands");
  EXPECT_EQ(r.value("exitcode", 0), 7);
  auto win = control({{"action", "runcommands"}, {"nodeids", {node}}, {"type", 2}, {"cmds", "dir"}}, "runcommands", as("admin", "Admin-pass1"));
  EXPECT_NE(win.value("result", "").find("type 0 or 3"), std::string::npos) << win.dump();
  // helpdesk lacks the remote commands right.
  auto denied = control({{"action", "runcommands"}, {"nodeids", {node}}, {"type", 0}, {"cmds", "touch /tmp/should-not-exist"}, {"reply", true}},
                        "runcommands", as("helpdesk", "Helpdesk-pass1"));
  EXPECT_EQ(denied.value("result", ""), "Access denied");
  // The run is in the device's events, with who ran what.
  auto events = control({{"action", "events"}, {"nodeid", "node//" + node}}, "events", as("admin", "Admin-pass1"));
  bool logged = false;
  for (const auto& e : events["events"]) {
    if (e.value("action", "") == "runcommands" && e.value("cmds", "").find("hello-") != std::string::npos) logged = e.value("username", "") == "admin";
  }
  EXPECT_TRUE(logged) << events.dump();
  // An offline device: said so.
  agent.stop();
  for (int i = 0; i < 100 && nodes()[0].value("conn", 0) != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_NE(meshctrl(port, {"runcommand", "--id", node, "--run", "true", "--reply"}).find("Agent not connected"), std::string::npos);
}

// The agent console (MeshCentral's Console tab, and runcommands type 4): the agent answers about
// itself; the agent console right decides; it never runs a shell; an offline agent is said so.
TEST_F(Agent, ConsoleAnswersAboutItselfAndNeedsItsRight) {
  AgentProcess agent(write_settings(settings_text()), f.dir.path() / "state", f.dir.path() / "agent.log");
  ASSERT_TRUE(agent.wait_for("connected to")) << agent.log();
  const std::string node = node_of(agent);
  const auto console = [&](const std::string& command, const ClientOptions& who) {
    return control({{"action", "msg"}, {"type", "console"}, {"nodeid", "node//" + node}, {"value", command}}, "msg", who);
  };
  const auto admin = as("admin", "Admin-pass1");
  auto info = console("info", admin);
  EXPECT_EQ(info.value("type", ""), "console");
  EXPECT_EQ(info.value("nodeid", ""), "node//" + node);
  EXPECT_NE(info.value("value", "").find("Meshwork agent"), std::string::npos) << info.dump();
  EXPECT_NE(info.value("value", "").find(node), std::string::npos) << info.dump();
  EXPECT_NE(console("help", admin).value("value", "").find("sysinfo"), std::string::npos);
  auto sys = json::parse(console("sysinfo", admin).value("value", ""), nullptr, false);
  EXPECT_TRUE(sys.is_object() && sys.contains("hostname")) << sys.dump();
  // Not a shell: nothing runs, the answer says what is offered.
  const auto marker = f.dir.path() / "console-ran";
  EXPECT_NE(console("touch " + marker.string(), admin).value("value", "").find("Unknown command \"touch\""), std::string::npos);
  EXPECT_FALSE(fs::exists(marker));
  // meshctrl's form: runcommands type 4, answered like any runcommands.
  auto rc = control({{"action", "runcommands"}, {"nodeids", {node}}, {"type", 4}, {"cmds", "version"}, {"reply", true}}, "msg", admin);
  EXPECT_EQ(rc.value("type", ""), "runcommands");
  EXPECT_NE(rc.value("result", "").find("agent protocol"), std::string::npos) << rc.dump();
  // helpdesk has remote control but not the agent console right.
  EXPECT_EQ(console("info", as("helpdesk", "Helpdesk-pass1")).value("value", ""), "Access denied");
  // The command is in the device's events.
  auto events = control({{"action", "events"}, {"nodeid", "node//" + node}}, "events", admin);
  bool logged = false;
  for (const auto& e : events["events"]) logged = logged || (e.value("action", "") == "agentconsole" && e.value("cmd", "") == "info");
  EXPECT_TRUE(logged) << events.dump();
  agent.stop();
  for (int i = 0; i < 100 && nodes()[0].value("conn", 0) != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(console("info", admin).value("value", ""), "The agent is not connected.");
}

TEST_F(Agent, RelaysNeedTheRightAndAnOnlineAgent) {
  const auto settings = write_settings(settings_text());
  {
    // No agent yet: the device does not exist.
    WssClient ws(port, "/meshrelay.ashx?p=1&nodeid=nosuchdevice", as("admin", "Admin-pass1"));
    EXPECT_NE(ws.read().find("Device not found."), std::string::npos);
  }
  AgentProcess agent(settings, f.dir.path() / "state", f.dir.path() / "agent.log");
  ASSERT_TRUE(agent.wait_for("connected to")) << agent.log();
  const std::string node = node_of(agent);
  ASSERT_FALSE(node.empty()) << agent.log();
  for (const char* p : {"1", "2", "5"}) {
    WssClient ws(port, std::string("/meshrelay.ashx?p=") + p + "&nodeid=" + node, as("helpdesk", "Helpdesk-pass1"));
    const std::string msg = ws.read();
    EXPECT_NE(msg.find("Access denied"), std::string::npos) << p << ": " << msg;
  }
  {
    WssClient ws(port, "/meshrelay.ashx?p=9&nodeid=" + node, as("admin", "Admin-pass1"));
    EXPECT_NE(ws.read().find("Unknown relay type"), std::string::npos);
  }
  {
    // Without credentials nothing is relayed.
    WssClient ws(port, "/meshrelay.ashx?p=1&nodeid=" + node, f.verifying());
    const std::string msg = ws.read();
    EXPECT_EQ(msg.find("\"ready\""), std::string::npos) << msg;
  }
  {
    // A made-up relay id does not reach anyone.
    WssClient ws(port, "/meshrelay.ashx?id=0123456789abcdef0123456789abcdef", f.verifying());
    EXPECT_THROW(ws.read(std::chrono::seconds(5)), std::exception);
  }
  agent.stop();
  for (int i = 0; i < 100 && !nodes().empty() && nodes()[0].value("conn", 0) != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  WssClient ws(port, "/meshrelay.ashx?p=1&nodeid=" + node, as("admin", "Admin-pass1"));
  EXPECT_NE(ws.read().find("agent is not connected"), std::string::npos);
}

// A files relay: requests and their answers.
struct FilesRelay : FilesSession {
  FilesRelay(int port, const std::string& node, const ClientOptions& who)
      : FilesSession(port, "/meshrelay.ashx?p=5&nodeid=" + node, who) {}
};

std::string sha256_hex(std::string_view data) { return mw::util::hex_encode(mw::util::sha256(data)); }

TEST_F(Agent, FilesThroughTheRelay) {
  const fs::path served = f.dir.path() / "served";
  fs::create_directories(served / "docs");
  std::ofstream(served / "docs" / "note.txt") << "hello files\n";
  fs::create_symlink("/etc", served / "etc-link");
  const auto settings = write_settings(settings_text() + "FilesRoot=" + served.string() + "\n");
  AgentProcess agent(settings, f.dir.path() / "state", f.dir.path() / "agent.log");
  ASSERT_TRUE(agent.wait_for("connected to")) << agent.log();
  const std::string node = node_of(agent);
  const auto admin = as("admin", "Admin-pass1");
  const std::string root = served.string();

  // 50 MB of varied bytes (not a repeated pattern a bug could hide in).
  std::string big(50u << 20, '\0');
  std::uint32_t x = 2463534242u;
  for (auto& c : big) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    c = static_cast<char>(x);
  }
  const std::string big_sha = sha256_hex(big);
  constexpr std::size_t kChunk = 64 * 1024;
  {
    FilesRelay r(port, node, admin);
    ASSERT_TRUE(r.ready());
    EXPECT_EQ(r.root, (json{{"op", "root"}, {"path", root}})) << r.root.dump();
    auto ls = r.ask({{"op", "ls"}, {"path", root + "/docs"}});
    ASSERT_EQ(ls.value("op", ""), "ls") << ls.dump();
    ASSERT_EQ(ls["entries"].size(), 1u);
    EXPECT_EQ(ls["entries"][0].value("name", ""), "note.txt");
    EXPECT_EQ(ls["entries"][0].value("type", ""), "file");
    EXPECT_EQ(ls["entries"][0].value("size", 0), 12);
    EXPECT_GT(ls["entries"][0].value("mtime", 0ll), 1600000000000ll);
    EXPECT_EQ(ls["entries"][0].value("mode", 0), 0644);
    EXPECT_EQ(r.ask({{"op", "mkdir"}, {"path", root + "/new"}}).value("op", ""), "ok");
    EXPECT_TRUE(fs::is_directory(served / "new"));
    EXPECT_EQ(r.ask({{"op", "rename"}, {"path", root + "/new"}, {"to", root + "/renamed"}}).value("op", ""), "ok");
    EXPECT_TRUE(fs::is_directory(served / "renamed"));
    EXPECT_EQ(r.ask({{"op", "rm"}, {"path", root + "/renamed"}}).value("op", ""), "ok");
    EXPECT_FALSE(fs::exists(served / "renamed"));

    // Traversal: whatever the spelling, nothing outside the served folder.
    for (const std::string& bad : std::vector<std::string>{"/etc", root + "/../..", root + "/docs/../../", root + "/etc-link",
                                                         root + "/etc-link/passwd", "relative/path", root + std::string("/docs/\0x", 8)}) {
      auto a = r.ask({{"op", "ls"}, {"path", bad}});
      EXPECT_EQ(a.value("op", ""), "error") << bad << ": " << a.dump();
      auto d = r.ask({{"op", "download"}, {"path", bad == "/etc" ? "/etc/passwd" : bad}});
      EXPECT_EQ(d.value("op", ""), "error") << bad;
    }
    EXPECT_EQ(r.ask({{"op", "rename"}, {"path", root + "/docs/note.txt"}, {"to", "/tmp/escaped.txt"}}).value("op", ""), "error");
    EXPECT_TRUE(fs::exists(served / "docs" / "note.txt"));
    EXPECT_EQ(r.ask({{"op", "upload"}, {"path", root + "/../outside.bin"}, {"size", 3}}).value("op", ""), "error");
    EXPECT_FALSE(fs::exists(served.parent_path() / "outside.bin"));
    EXPECT_EQ(r.ask({{"op", "rm"}, {"path", root}, {"recursive", true}}).value("op", ""), "error");
    EXPECT_TRUE(fs::exists(served / "docs"));

    // Upload: the first half, then the relay breaks.
    auto ready = r.ask({{"op", "upload"}, {"path", root + "/big.bin"}, {"size", big.size()}});
    ASSERT_EQ(ready.value("op", ""), "ready") << ready.dump();
    EXPECT_EQ(ready.value("offset", 1), 0);
    for (std::size_t at = 0; at < big.size() / 2; at += kChunk) r.ws().send_binary(big.substr(at, kChunk));
  }
  // The agent has written what arrived; wait until the partial file stops growing.
  const fs::path part = served / "big.bin.mwpart";
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (fs::exists(part) && fs::file_size(part) == big.size() / 2) break;
  }
  ASSERT_TRUE(fs::exists(part));
  EXPECT_FALSE(fs::exists(served / "big.bin"));
  {
    FilesRelay r(port, node, admin);
    ASSERT_TRUE(r.ready());
    auto ready = r.ask({{"op", "upload"}, {"path", root + "/big.bin"}, {"size", big.size()}, {"resume", true}});
    ASSERT_EQ(ready.value("op", ""), "ready");
    const std::size_t offset = ready.value("offset", std::size_t{0});
    EXPECT_EQ(offset, big.size() / 2);  // resumed where it stopped
    for (std::size_t at = offset; at < big.size(); at += kChunk) r.ws().send_binary(big.substr(at, kChunk));
    json done = r.next();
    int progress = 0;
    while (done.value("op", "") == "progress") {
      ++progress;
      done = r.next();
    }
    EXPECT_EQ(done.value("op", ""), "done") << done.dump();
    EXPECT_GE(progress, 20);  // acknowledged every MiB
    EXPECT_EQ(peer::read_file(served / "big.bin").size(), big.size());
    EXPECT_EQ(sha256_hex(peer::read_file(served / "big.bin")), big_sha);
    EXPECT_FALSE(fs::exists(part));

    // Download it back through the relay.
    auto head = r.ask({{"op", "download"}, {"path", root + "/big.bin"}});
    ASSERT_EQ(head.value("op", ""), "download") << head.dump();
    EXPECT_EQ(head.value("size", std::size_t{0}), big.size());
    auto end = r.next();
    EXPECT_EQ(end.value("op", ""), "done");
    EXPECT_EQ(r.binary.size(), big.size());
    EXPECT_EQ(sha256_hex(r.binary), big_sha);
    // A resumed download starts at its offset.
    r.binary.clear();
    auto tail = r.ask({{"op", "download"}, {"path", root + "/big.bin"}, {"offset", big.size() - 1000}});
    EXPECT_EQ(tail.value("offset", std::size_t{0}), big.size() - 1000);
    EXPECT_EQ(r.next().value("op", ""), "done");
    EXPECT_EQ(r.binary, big.substr(big.size() - 1000));
  }
  // helpdesk has no remote control: no files relay.
  WssClient denied(port, "/meshrelay.ashx?p=5&nodeid=" + node, as("helpdesk", "Helpdesk-pass1"));
  EXPECT_NE(denied.read().find("Access denied"), std::string::npos);
}

// A private Xvfb (320x240, 24 bits) on a display it picks itself, with the test screen shown by
// xwud and an xev window on top that reports pointer buttons and keys (keys go to the window under
// the pointer: no window manager, focus PointerRoot).
class XDisplay {
 public:
  // `size`: the screen (wider than 320 shows the test screen again at x = 320).
  explicit XDisplay(const fs::path& dir, const std::string& size = "320x240x24") : dir_(dir) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    xvfb_ = peer::Child::spawn({"Xvfb", "-displayfd", "3", "-noreset", "-screen", "0", size, "-nolisten", "tcp"},
                               peer::current_env(), dir / "Xvfb.log", fds[1]);
    ::close(fds[1]);
    std::string out;
    peer::read_until(fds[0], out, "\n", 0, Clock::now() + std::chrono::seconds(20));
    ::close(fds[0]);
    if (out.empty() || out.find('\n') == std::string::npos) return;
    display_ = ":" + out.substr(0, out.find('\n'));
    env_ = mw::rfb::peer::x_env(display_);
    const fs::path xwd = dir / "screen.xwd";
    peer::write_file(xwd, mw::rfb::peer::write_xwd(mw::rfb::peer::test_screen()));
    xwud_ = peer::Child::spawn({"xwud", "-in", xwd.string(), "-geometry", "+0+0", "-noclick"}, env_, dir / "xwud.log");
    if (size.rfind("320x", 0) != 0) {
      xwud2_ = peer::Child::spawn({"xwud", "-in", xwd.string(), "-geometry", "+320+0", "-noclick"}, env_, dir / "xwud2.log");
    }
    int xev_out[2];
    if (pipe2(xev_out, O_CLOEXEC) != 0) return;
    xev_ = peer::Child::spawn({"xev", "-geometry", "80x60+220+160", "-event", "button", "-event", "keyboard"}, env_,
                              dir / "xev.err", -1, -1, xev_out[1]);
    ::close(xev_out[1]);
    xev_fd_ = xev_out[0];
  }
  ~XDisplay() {
    if (xev_fd_ >= 0) ::close(xev_fd_);
  }
  const std::string& display() const { return display_; }
  // The titles of the windows on the screen now (xwininfo's tree).
  std::string window_tree() const { return peer::run({"xwininfo", "-root", "-tree"}, env_, std::chrono::seconds(10)).out; }
  // xwd's picture of the whole screen.
  std::optional<mw::rfb::peer::Image> screenshot(std::string& error) const {
    const auto r = peer::run({"xwd", "-root", "-silent", "-display", display_}, env_, std::chrono::seconds(20));
    if (r.status != 0) {
      error = "xwd failed: " + r.err;
      return std::nullopt;
    }
    return mw::rfb::peer::read_xwd(r.out, error);
  }
  // Waits for xev to print `text` after offset `from` of its output.
  bool xev_printed(const std::string& text, std::chrono::milliseconds within, std::size_t from = 0) {
    return peer::read_until(xev_fd_, xev_output, text, from, Clock::now() + within) != std::string::npos;
  }
  std::string xev_output;

 private:
  fs::path dir_;
  std::string display_;
  std::vector<std::string> env_;
  peer::Child xvfb_, xwud_, xwud2_, xev_;
  int xev_fd_ = -1;
};

// An RFB viewer (shared/rfb, as the browser decodes) on a desktop relay.
struct Viewer {
  WssClient ws;
  mw::rfb::Client rfb{mw::rfb::ClientConfig{}};
  std::string status;
  int updates = 0;
  std::vector<mw::rfb::ServerCutText> cuts;  // the desktop's clipboard texts, as they came
  Viewer(int port, const std::string& node, const ClientOptions& who, const std::string& query = "")
      : ws(port, "/meshrelay.ashx?p=2&nodeid=" + node + query, who) {}
  // Reads until `updates` complete framebuffer updates have arrived (or the deadline).
  void pump_until(int want, std::chrono::seconds within = std::chrono::seconds(20)) {
    pump_while([&] { return updates < want; }, within);
  }
  // Reads while `more()` holds (or until the deadline).
  template <typename Pred>
  void pump_while(Pred more, std::chrono::milliseconds within) {
    const auto deadline = Clock::now() + within;
    while (more() && Clock::now() < deadline) {
      std::string m;
      try {
        m = ws.read(std::chrono::milliseconds(300));
      } catch (const std::exception&) {
        continue;
      }
      if (!ws.last_was_binary()) {
        status += m + "\n";
        continue;
      }
      handle(rfb.feed(std::span(reinterpret_cast<const std::uint8_t*>(m.data()), m.size())));
    }
  }
  void handle(const mw::rfb::ClientOutput& out) {
    for (const auto& e : out.events) {
      if (std::holds_alternative<mw::rfb::UpdateDone>(e)) ++updates;
      if (const auto* cut = std::get_if<mw::rfb::ServerCutText>(&e)) cuts.push_back(*cut);
      if (const auto* fail = std::get_if<mw::rfb::Failed>(&e)) status += "rfb: " + fail->error.message + "\n";
    }
    if (!out.send.empty()) ws.send_binary(std::string(out.send.begin(), out.send.end()));
  }
};

TEST_F(Agent, DesktopThroughTheRelay) {
  XDisplay x(f.dir.path());
  ASSERT_FALSE(x.display().empty()) << "Xvfb did not start (is xvfb installed?)";
  const auto settings = write_settings(settings_text() + "Display=" + x.display() + "\n");
  AgentProcess agent(settings, f.dir.path() / "state", f.dir.path() / "agent.log");
  ASSERT_TRUE(agent.wait_for("connected to")) << agent.log();
  const std::string node = node_of(agent);
  // What the screen shows, once xwud and xev have drawn.
  std::string error;
  std::optional<mw::rfb::peer::Image> want;
  for (int i = 0; i < 100; ++i) {
    want = x.screenshot(error);
    ASSERT_TRUE(want) << error;
    if (std::memcmp(want->at(10, 10), mw::rfb::peer::test_screen().at(10, 10), 3) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  {
    Viewer v(port, node, as("admin", "Admin-pass1"));
    v.pump_until(1);
    ASSERT_GE(v.updates, 1) << v.status << agent.log();
    EXPECT_NE(v.status.find("\"p\":2,\"state\":\"ready\""), std::string::npos) << v.status;
    EXPECT_EQ(v.rfb.framebuffer().width(), 320);
    EXPECT_EQ(v.rfb.framebuffer().height(), 240);
    // Pixel for pixel what xwd sees (updates keep coming while anything still changes).
    std::string diff = "no comparison";
    for (int i = 0; i < 20; ++i) {
      diff = mw::rfb::peer::difference(*want, mw::rfb::peer::from_framebuffer(v.rfb.framebuffer()));
      if (diff.empty()) break;
      v.pump_until(v.updates + 1, std::chrono::seconds(1));
      want = x.screenshot(error);
    }
    EXPECT_EQ(diff, "") << v.status;
    // A click in xev's window reaches it as button 1.
    v.handle(v.rfb.pointer(250, 190, 0));
    v.handle(v.rfb.pointer(250, 190, 1));
    v.handle(v.rfb.pointer(250, 190, 0));
    EXPECT_TRUE(x.xev_printed("ButtonRelease", std::chrono::seconds(10))) << x.xev_output;
    EXPECT_NE(x.xev_output.find("button 1,"), std::string::npos) << x.xev_output;
  }
  // A user with "view only" sees the desktop; their clicks do not reach it.
  f.set_rights("helpdesk", kGroup, 8 | 256);  // remote control + view only
  const std::size_t seen = x.xev_output.size();
  Viewer watcher(port, node, as("helpdesk", "Helpdesk-pass1"));
  watcher.pump_until(1);
  ASSERT_GE(watcher.updates, 1) << watcher.status;
  watcher.handle(watcher.rfb.pointer(250, 190, 1));
  watcher.handle(watcher.rfb.pointer(250, 190, 0));
  EXPECT_FALSE(x.xev_printed("ButtonPress", std::chrono::seconds(2), seen)) << x.xev_output.substr(seen);
}

// "Limited input" (4096): the viewer's pointer reaches the desktop, and of its keys only letters,
// digits, Enter and Backspace; modifiers, function keys and its clipboard do not (xev and xclip
// are the witnesses).
TEST_F(Agent, DesktopWithLimitedInputPassesThePointerAndPlainKeysOnly) {
  XDisplay x(f.dir.path());
  ASSERT_FALSE(x.display().empty()) << "Xvfb did not start (is xvfb installed?)";
  const auto settings = write_settings(settings_text() + "Display=" + x.display() + "\n");
  AgentProcess agent(settings, f.dir.path() / "state", f.dir.path() / "agent.log");
  ASSERT_TRUE(agent.wait_for("connected to")) << agent.log();
  const std::string node = node_of(agent);
  f.set_rights("helpdesk", kGroup, 8 | 4096);  // remote control + limited input
  Viewer v(port, node, as("helpdesk", "Helpdesk-pass1"));
  v.pump_until(1);
  ASSERT_GE(v.updates, 1) << v.status << agent.log();
  EXPECT_NE(v.status.find("\"limitedinput\":true"), std::string::npos) << v.status;
  // The pointer into xev's window, a click: it arrives.
  v.handle(v.rfb.pointer(250, 190, 0));
  v.handle(v.rfb.pointer(250, 190, 1));
  v.handle(v.rfb.pointer(250, 190, 0));
  ASSERT_TRUE(x.xev_printed("ButtonRelease", std::chrono::seconds(10))) << x.xev_output << agent.log();
  const std::size_t keys_from = x.xev_output.size();
  // Ctrl+C, F1, Alt, then x and Return: c (without Control), x and Return are typed.
  for (const std::uint32_t sym : {0xFFE3u, 0x63u}) v.handle(v.rfb.key(sym, true));
  for (const std::uint32_t sym : {0x63u, 0xFFE3u}) v.handle(v.rfb.key(sym, false));
  for (const std::uint32_t sym : {0xFFBEu, 0xFFE9u, 0x78u, 0xFF0Du}) {
    v.handle(v.rfb.key(sym, true));
    v.handle(v.rfb.key(sym, false));
  }
  v.handle(v.rfb.clipboard("from a limited viewer"));
  ASSERT_TRUE(x.xev_printed("Return", std::chrono::seconds(10), keys_from)) << x.xev_output.substr(keys_from) << agent.log();
  const std::string typed = x.xev_output.substr(keys_from);
  EXPECT_NE(typed.find("keysym 0x78, x)"), std::string::npos) << typed;
  EXPECT_EQ(typed.find("Control_L"), std::string::npos) << typed;
  EXPECT_NE(typed.find("keysym 0x63, c)"), std::string::npos) << typed;
  EXPECT_EQ(typed.find("F1"), std::string::npos) << typed;
  EXPECT_EQ(typed.find("Alt_L"), std::string::npos) << typed;
  const auto clip = peer::run({"xclip", "-o", "-selection", "clipboard"}, mw::rfb::peer::x_env(x.display()), std::chrono::seconds(5));
  EXPECT_NE(clip.out, "from a limited viewer");
  EXPECT_NE(agent.log().find("(limited input)"), std::string::npos) << agent.log();
}

// "Chat & notify" (16384): a message box and a notification from the server appear as windows on
// the agent's display (xmessage here: no zenity, no notification service), with the title asked;
// a message box with a timeout closes by itself; without the right the request is refused.
TEST_F(Agent, MessagesForThePersonAtTheDeviceAppearOnItsDisplay) {
  XDisplay x(f.dir.path());
  ASSERT_FALSE(x.display().empty()) << "Xvfb did not start (is xvfb installed?)";
  const auto settings = write_settings(settings_text() + "Display=" + x.display() + "\n");
  AgentProcess agent(settings, f.dir.path() / "state", f.dir.path() / "agent.log");
  ASSERT_TRUE(agent.wait_for("connected to")) << agent.log();
  const std::string nodeid = "node//" + node_of(agent);
  const auto shown = [&](const std::string& title, bool want, std::chrono::seconds within) {
    const auto deadline = Clock::now() + within;
    while (Clock::now() < deadline) {
      if ((x.window_tree().find("\"" + title + "\"") != std::string::npos) == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  // helpdesk may control the desktop but not notify.
  f.set_rights("helpdesk", kGroup, 8);
  EXPECT_EQ(control({{"action", "msg"}, {"type", "messagebox"}, {"nodeid", nodeid}, {"title", "Denied box"}, {"msg", "no"},
                     {"responseid", "r1"}},
                    "msg", as("helpdesk", "Helpdesk-pass1"))
                .value("result", ""),
            "Access denied");
  EXPECT_EQ(control({{"action", "toast"}, {"nodeids", {nodeid}}, {"msg", "no"}}, "toast", as("helpdesk", "Helpdesk-pass1"))
                .value("result", ""),
            "Access denied");
  // With the right: a message box that closes itself after 2 s.
  f.set_rights("helpdesk", kGroup, 8 | 16384);
  const fs::path never = f.dir.path() / "never";
  EXPECT_EQ(control({{"action", "msg"}, {"type", "messagebox"}, {"nodeid", nodeid}, {"title", "IT desk: reboot"},
                     {"msg", "Please save your work; $(touch " + never.string() + ") stays text."}, {"timeout", 2000},
                     {"responseid", "r2"}},
                    "msg", as("helpdesk", "Helpdesk-pass1"))
                .value("result", ""),
            "OK");
  EXPECT_TRUE(shown("IT desk: reboot", true, std::chrono::seconds(15))) << x.window_tree() << agent.log();
  EXPECT_TRUE(shown("IT desk: reboot", false, std::chrono::seconds(15))) << "the message box did not close after its timeout";
  EXPECT_NE(agent.log().find("message box from helpdesk shown"), std::string::npos) << agent.log();
  EXPECT_FALSE(fs::exists(never)) << "the message went through a shell";
  // A notification, titled by the domain's Title when the request has none.
  EXPECT_EQ(control({{"action", "toast"}, {"nodeids", {nodeid}}, {"msg", "Backup finished"}}, "toast",
                    as("helpdesk", "Helpdesk-pass1"))
                .value("result", ""),
            "ok");
  EXPECT_TRUE(shown("Meshwork", true, std::chrono::seconds(15))) << x.window_tree() << agent.log();
  EXPECT_NE(agent.log().find("notification from helpdesk shown"), std::string::npos) << agent.log();
  // The message text never reaches the agent's log.
  EXPECT_EQ(agent.log().find("Backup finished"), std::string::npos) << agent.log();
  // MeshCentral's meshctrl: devicemessage and devicetoast.
  EXPECT_EQ(lines(meshctrl(port, {"devicemessage", "--id", nodeid, "--title", "From a script", "--msg", "Hello", "--timeout", "1000"})),
            std::vector<std::string>{"OK"});
  EXPECT_TRUE(shown("From a script", true, std::chrono::seconds(15))) << x.window_tree() << agent.log();
  EXPECT_EQ(lines(meshctrl(port, {"devicetoast", "--id", nodeid, "--title", "Toast from a script", "--msg", "Hello"})),
            std::vector<std::string>{"ok"});
  EXPECT_TRUE(shown("Toast from a script", true, std::chrono::seconds(15))) << x.window_tree() << agent.log();
}

// The clipboard both ways between a viewer and the X display, checked with xclip (a real X
// selection client): UTF-8 text through the Extended Clipboard, Latin-1 for a STRING requestor,
// a text beyond 1 MiB cut at a character boundary, and nothing for a view-only viewer.
TEST_F(Agent, ClipboardBothWaysWithXclip) {
  XDisplay x(f.dir.path());
  ASSERT_FALSE(x.display().empty()) << "Xvfb did not start (is xvfb installed?)";
  const auto env = mw::rfb::peer::x_env(x.display());
  const auto settings = write_settings(settings_text() + "Display=" + x.display() + "\n");
  AgentProcess agent(settings, f.dir.path() / "state", f.dir.path() / "agent.log");
  ASSERT_TRUE(agent.wait_for("connected to")) << agent.log();
  const std::string node = node_of(agent);
  const auto xclip_out = [&](const std::string& selection, const std::string& target) {
    return peer::run({"xclip", "-o", "-selection", selection, "-t", target}, env, std::chrono::seconds(10));
  };

  Viewer v(port, node, as("admin", "Admin-pass1"));
  v.pump_until(1);
  ASSERT_GE(v.updates, 1) << v.status << agent.log();
  ASSERT_TRUE(v.rfb.extended_clipboard()) << "libvncserver sent no Extended Clipboard caps";

  // Viewer to desktop: CLIPBOARD and PRIMARY, UTF-8 and (for old clients) Latin-1.
  const std::string text = "Gr\xC3\xBC\xC3\x9F" "e \xE6\x97\xA5\xE6\x9C\xAC\nline 2";
  v.handle(v.rfb.clipboard(text));
  std::string got;
  for (int i = 0; i < 100 && got != text; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    got = xclip_out("clipboard", "UTF8_STRING").out;
  }
  EXPECT_EQ(got, text);
  EXPECT_EQ(xclip_out("primary", "UTF8_STRING").out, text);
  EXPECT_EQ(xclip_out("clipboard", "STRING").out, "Gr\xFC\xDF" "e ??\nline 2");
  const auto targets = xclip_out("clipboard", "TARGETS").out;
  EXPECT_NE(targets.find("UTF8_STRING"), std::string::npos) << targets;

  // Desktop to viewer: another program copies; the viewer gets UTF-8 (LF line ends).
  const std::string from_x = "from X: \xE2\x82\xAC \xF0\x9F\x98\x80\nsecond line";
  const auto file = f.dir.path() / "clip.txt";
  ASSERT_TRUE(peer::write_file(file, from_x));
  // -quiet: xclip serves the selection in the foreground until another program takes it.
  peer::Child copier = peer::Child::spawn({"xclip", "-quiet", "-i", "-selection", "clipboard", file.string()}, env,
                                          f.dir.path() / "xclip1.log");
  v.pump_while([&] { return v.cuts.empty(); }, std::chrono::seconds(10));
  ASSERT_FALSE(v.cuts.empty()) << v.status << agent.log();
  EXPECT_EQ(v.cuts.back().text, from_x);
  EXPECT_TRUE(v.cuts.back().utf8);

  // A view-only viewer neither sets the clipboard nor receives it.
  f.set_rights("helpdesk", kGroup, 8 | 256);  // remote control + view only
  Viewer watcher(port, node, as("helpdesk", "Helpdesk-pass1"));
  watcher.pump_until(1);
  ASSERT_GE(watcher.updates, 1) << watcher.status;
  watcher.handle(watcher.rfb.clipboard("from a watcher"));

  // More than 1 MiB: cut to what fits (CR LF and NUL included), at a character boundary.
  std::string big;
  while (big.size() < 1'300'000) big += "\xC3\xA9t\xC3\xA9 line " + std::to_string(big.size()) + "\n";
  const auto big_file = f.dir.path() / "big.txt";
  ASSERT_TRUE(peer::write_file(big_file, big));
  const std::size_t before = v.cuts.size();
  peer::Child big_copier = peer::Child::spawn({"xclip", "-quiet", "-i", "-selection", "clipboard", big_file.string()}, env,
                                              f.dir.path() / "xclip2.log");
  v.pump_while([&] { return v.cuts.size() == before; }, std::chrono::seconds(20));
  ASSERT_GT(v.cuts.size(), before) << v.status << agent.log();
  const std::string& cut = v.cuts.back().text;
  EXPECT_GT(cut.size(), 900'000u);
  EXPECT_LE(mw::rfb::clipboard::to_crlf(cut).size() + 1, std::size_t{1} << 20);
  EXPECT_EQ(cut, big.substr(0, cut.size()));
  ASSERT_LT(cut.size(), big.size());
  EXPECT_NE(static_cast<unsigned char>(big[cut.size()]) & 0xC0, 0x80) << "cut inside a character";

  watcher.pump_while([] { return true; }, std::chrono::seconds(1));
  EXPECT_TRUE(watcher.cuts.empty()) << "a view-only viewer received the clipboard";
  EXPECT_NE(xclip_out("clipboard", "UTF8_STRING").out, "from a watcher");
  EXPECT_TRUE(watcher.status.find("rfb:") == std::string::npos) << watcher.status;
}

// Monitors (RandR 1.5, defined with xrandr --setmonitor): the agent lists them before the RFB
// bytes, and a viewer that picks one sees only that part of the screen, with the pointer placed
// where that monitor is.
TEST_F(Agent, DesktopMonitorsAreListedAndEachOpensOnItsOwn) {
  XDisplay x(f.dir.path(), "640x240x24");
  ASSERT_FALSE(x.display().empty()) << "Xvfb did not start (is xvfb installed?)";
  const auto env = mw::rfb::peer::x_env(x.display());
  for (const auto& m : {std::vector<std::string>{"LEFT", "320/85x240/64+0+0"}, {"RIGHT", "320/85x240/64+320+0"}}) {
    const auto r = peer::run({"xrandr", "--setmonitor", m[0], m[1], "none"}, env, std::chrono::seconds(10));
    ASSERT_EQ(r.status, 0) << r.err;
  }
  const auto settings = write_settings(settings_text() + "Display=" + x.display() + "\n");
  AgentProcess agent(settings, f.dir.path() / "state", f.dir.path() / "agent.log");
  ASSERT_TRUE(agent.wait_for("connected to")) << agent.log();
  const std::string node = node_of(agent);
  const auto listing = [](const std::string& status) {
    std::istringstream lines(status);
    for (std::string line; std::getline(lines, line);) {
      auto j = json::parse(line, nullptr, false);
      if (j.is_object() && j.value("ctrl", "") == "displays") return j;
    }
    return json();
  };

  Viewer all(port, node, as("admin", "Admin-pass1"));
  all.pump_until(1);
  ASSERT_GE(all.updates, 1) << all.status << agent.log();
  EXPECT_EQ(all.rfb.framebuffer().width(), 640);
  const json list = listing(all.status);
  ASSERT_TRUE(list.is_object()) << all.status;
  EXPECT_EQ(list["display"], 0);
  ASSERT_GE(list["displays"].size(), 3u) << list.dump();
  EXPECT_EQ(list["displays"][0]["name"], "All displays");
  EXPECT_EQ(list["displays"][0]["width"], 640);
  int right = -1;
  for (const auto& d : list["displays"]) {
    if (d["name"] == "RIGHT") {
      right = d["id"].get<int>();
      EXPECT_EQ(d["x"], 320);
      EXPECT_EQ(d["width"], 320);
    }
  }
  ASSERT_GT(right, 0) << list.dump();

  // The right monitor alone: 320 x 240, pixel for pixel the screen's right half.
  Viewer v(port, node, as("admin", "Admin-pass1"), "&display=" + std::to_string(right));
  v.pump_until(1);
  ASSERT_GE(v.updates, 1) << v.status << agent.log();
  EXPECT_EQ(listing(v.status)["display"], right);
  EXPECT_EQ(v.rfb.framebuffer().width(), 320);
  EXPECT_EQ(v.rfb.framebuffer().height(), 240);
  std::string error, diff = "no comparison";
  for (int i = 0; i < 20 && !diff.empty(); ++i) {
    const auto screen = x.screenshot(error);
    ASSERT_TRUE(screen) << error;
    mw::rfb::peer::Image half(320, 240);
    for (int yy = 0; yy < 240; ++yy) std::memcpy(half.at(0, yy), screen->at(320, yy), 320 * 3);
    diff = mw::rfb::peer::difference(half, mw::rfb::peer::from_framebuffer(v.rfb.framebuffer()));
    if (!diff.empty()) v.pump_until(v.updates + 1, std::chrono::seconds(1));
  }
  EXPECT_EQ(diff, "");
  // The pointer lands on that monitor: (10, 20) there is (330, 20) on the screen.
  v.handle(v.rfb.pointer(10, 20, 0));
  std::string where;
  for (int i = 0; i < 50 && where.find("X=330\nY=20\n") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    where = peer::run({"xdotool", "getmouselocation", "--shell"}, env, std::chrono::seconds(10)).out;
  }
  EXPECT_NE(where.find("X=330\nY=20\n"), std::string::npos) << where;

  // A display that does not exist: a clear refusal, no RFB.
  Viewer none(port, node, as("admin", "Admin-pass1"), "&display=9");
  none.pump_while([&] { return none.status.find("does not exist") == std::string::npos; }, std::chrono::seconds(10));
  EXPECT_NE(none.status.find("does not exist"), std::string::npos) << none.status;
  EXPECT_EQ(none.updates, 0);
}

}  // namespace
