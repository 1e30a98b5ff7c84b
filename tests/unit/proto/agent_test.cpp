// The agent channel's messages and settings file (mw/proto/agent.hpp): round trips, the
// transcripts' binding of every input, and hostile input as errors.
#include "mw/proto/agent.hpp"

#include <gtest/gtest.h>

namespace {

using namespace mw::proto::agent;

Bytes filled(std::size_t n, std::uint8_t v) { return Bytes(n, v); }

TEST(AgentProto, HelloAndAuthRoundTrip) {
  auto m = parse(encode(AgentHello{kVersion, filled(kNonceSize, 7)}));
  ASSERT_TRUE(m) << m.error().message;
  auto& h = std::get<AgentHello>(*m);
  EXPECT_EQ(h.version, 1);
  EXPECT_EQ(h.nonce, filled(kNonceSize, 7));

  auto s = parse(encode(ServerAuth{filled(kNonceSize, 1), filled(700, 2), filled(96, 3)}));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(std::get<ServerAuth>(*s).cert_der.size(), 700u);
  EXPECT_EQ(std::get<ServerAuth>(*s).signature, filled(96, 3));

  auto a = parse(encode(AgentAuth{filled(120, 4), filled(100, 5), "mesh//abc", "0.1.0", "linux", "pc-1"}));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(std::get<AgentAuth>(*a).meshid, "mesh//abc");
  EXPECT_EQ(std::get<AgentAuth>(*a).platform, "linux");

  auto t = parse(encode(Tunnel{"r1", RelayProtocol::kFiles, 100, 30}));
  ASSERT_TRUE(t);
  EXPECT_EQ(std::get<Tunnel>(*t).protocol, RelayProtocol::kFiles);
  EXPECT_EQ(std::get<Tunnel>(*t).cols, 100);
  EXPECT_EQ(std::get<Tunnel>(*t).rows, 30);
  EXPECT_EQ(std::get<Tunnel>(*t).display, 0);
  auto desk = parse(encode(Tunnel{"r2", RelayProtocol::kDesktop, 80, 24, true, 2}));
  ASSERT_TRUE(desk);
  EXPECT_EQ(std::get<Tunnel>(*desk).display, 2);
  EXPECT_TRUE(std::get<Tunnel>(*desk).view_only);
  EXPECT_FALSE(std::get<Tunnel>(*desk).limited_input);
  Tunnel limited{"r3", RelayProtocol::kDesktop};
  limited.limited_input = true;
  EXPECT_TRUE(std::get<Tunnel>(*parse(encode(limited))).limited_input);
  EXPECT_TRUE(std::holds_alternative<Ping>(*parse(encode(Ping{}))));
  EXPECT_EQ(encode(UninstallAgent{}), R"({"action":"uninstallagent"})");  // MeshCentral's message
  EXPECT_TRUE(std::holds_alternative<UninstallAgent>(*parse(R"({"action":"uninstallagent"})")));
  auto rc = parse(encode(RunCommands{"7", "uname -a", true}));
  ASSERT_TRUE(rc);
  EXPECT_EQ(std::get<RunCommands>(*rc).cmds, "uname -a");
  EXPECT_TRUE(std::get<RunCommands>(*rc).reply);
  auto rr = parse(encode(RunCommandsResult{"7", "Linux\n", 3}));
  ASSERT_TRUE(rr);
  EXPECT_EQ(std::get<RunCommandsResult>(*rr).result, "Linux\n");
  EXPECT_EQ(std::get<RunCommandsResult>(*rr).exit_code, 3);
  EXPECT_EQ(parse(R"({"action":"runcommands","id":"1"})").error().code, "missing-field");
  EXPECT_EQ(std::get<Unknown>(*parse(R"({"action":"future","x":1})")).action, "future");
}

TEST(AgentProto, NotifyRoundTripsAndIsBounded) {
  auto toast = parse(encode(Notify{Notify::Kind::kToast, "IT desk", "Rebooting at noon", "admin", 0}));
  ASSERT_TRUE(toast) << toast.error().message;
  EXPECT_EQ(std::get<Notify>(*toast).kind, Notify::Kind::kToast);
  EXPECT_EQ(std::get<Notify>(*toast).title, "IT desk");
  EXPECT_EQ(std::get<Notify>(*toast).message, "Rebooting at noon");
  EXPECT_EQ(std::get<Notify>(*toast).from, "admin");
  auto box = parse(encode(Notify{Notify::Kind::kMessageBox, "", "Please save your work", "admin", 120}));
  ASSERT_TRUE(box) << box.error().message;
  EXPECT_EQ(std::get<Notify>(*box).kind, Notify::Kind::kMessageBox);
  EXPECT_EQ(std::get<Notify>(*box).timeout_s, 120);
  // Out-of-range timeouts are clamped; unknown kinds, empty or oversized texts are errors.
  EXPECT_EQ(std::get<Notify>(*parse(R"({"action":"notify","kind":"messagebox","msg":"x","timeout":99999})")).timeout_s,
            kMaxNotifyTimeoutSeconds);
  EXPECT_EQ(std::get<Notify>(*parse(R"({"action":"notify","kind":"messagebox","msg":"x","timeout":-5})")).timeout_s, 0);
  EXPECT_EQ(parse(R"({"action":"notify","kind":"beep","msg":"x"})").error().code, "bad-field");
  EXPECT_EQ(parse(R"({"action":"notify","kind":"toast"})").error().code, "missing-field");
  EXPECT_EQ(parse(R"({"action":"notify","kind":"toast","msg":""})").error().code, "bad-field");
  EXPECT_EQ(parse(R"({"action":"notify","kind":"toast","msg":7})").error().code, "bad-field");
  EXPECT_EQ(parse(encode(Notify{Notify::Kind::kToast, "", std::string(kMaxNotifyMessage + 1, 'x'), "a", 0})).error().code,
            "bad-field");
}

TEST(AgentProto, HostileMessagesAreErrors) {
  EXPECT_EQ(parse("not json").error().code, "bad-json");
  EXPECT_EQ(parse("[1,2]").error().code, "bad-json");
  EXPECT_EQ(parse(R"({"nonce":"AA=="})").error().code, "missing-field");
  EXPECT_EQ(parse(R"({"action":5})").error().code, "bad-field");
  EXPECT_EQ(parse(R"({"action":"agenthello","nonce":"AAAA"})").error().code, "bad-size");
  EXPECT_EQ(parse(R"({"action":"agenthello","nonce":"!!"})").error().code, "bad-base64");
  EXPECT_EQ(parse(R"({"action":"sysinfo","info":[]})").error().code, "bad-field");
  EXPECT_EQ(parse(R"({"action":"tunnel","id":"x","p":3})").error().code, "bad-field");
  EXPECT_EQ(parse(R"({"action":"tunnel","id":"","p":1})").error().code, "bad-field");
  const std::string big = R"({"action":"agentauth","pubkey":")" + std::string(40000, 'A') + R"(","sig":"AA==","meshid":"m"})";
  EXPECT_EQ(parse(big).error().code, "too-large");
  // Out-of-range sizes are clamped, not trusted.
  auto t = parse(R"({"action":"tunnel","id":"x","p":1,"cols":99999999,"rows":-4})");
  ASSERT_TRUE(t);
  EXPECT_EQ(std::get<Tunnel>(*t).cols, 80);
  EXPECT_EQ(std::get<Tunnel>(*t).rows, 1);
  EXPECT_EQ(std::get<Tunnel>(*parse(R"({"action":"tunnel","id":"x","p":2,"display":99})")).display, kMaxDisplay);
  EXPECT_EQ(std::get<Tunnel>(*parse(R"({"action":"tunnel","id":"x","p":2,"display":-3})")).display, 0);
}

TEST(AgentProto, TranscriptsBindEveryInputAndDiffer) {
  const Bytes h = filled(kHashSize, 1), a = filled(kNonceSize, 2), s = filled(kNonceSize, 3);
  const auto base = server_transcript(h, a, s);
  EXPECT_NE(base, agent_transcript(h, a, s));  // a proof for one side is never valid for the other
  EXPECT_NE(base, server_transcript(filled(kHashSize, 9), a, s));
  EXPECT_NE(base, server_transcript(h, s, a));
  EXPECT_NE(base, server_transcript(h, a, filled(kNonceSize, 4)));
  // Length prefixes: moving a byte between parts changes the transcript.
  EXPECT_NE(server_transcript(Bytes{1, 2}, Bytes{3}, Bytes{}), server_transcript(Bytes{1}, Bytes{2, 3}, Bytes{}));
}

TEST(AgentProto, NodeValueIsMeshCentralBase64) {
  Bytes h(kHashSize, 0xFB);  // base64 of 0xFB... has '+' and '/'
  const auto v = node_value(h);
  EXPECT_EQ(v.size(), 64u);
  EXPECT_EQ(v.find_first_of("+/"), std::string::npos);
  EXPECT_NE(v.find_first_of("@$"), std::string::npos);
}

TEST(AgentProto, SettingsRoundTripAndErrors) {
  Settings s;
  s.server_url = "wss://mesh.example:8443/agent.ashx";
  s.server_id = std::string(96, 'a');
  s.mesh_id = "mesh//grp";
  s.mesh_name = "Office PCs";
  s.terminal_user = "support";
  auto back = parse_settings(format_settings(s));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->server_url, s.server_url);
  EXPECT_EQ(back->mesh_name, "Office PCs");
  EXPECT_EQ(back->terminal_user, "support");
  // Keys are case-insensitive, MeshCentral's extra keys are accepted, comments skipped.
  auto mc = parse_settings("# from MeshCentral\r\nmeshserver=wss://h/agent.ashx\r\nSERVERID=" + std::string(96, 'F') +
                           "\r\nMeshType=2\r\nMeshID=mesh//x\r\n");
  ASSERT_TRUE(mc) << mc.error().message;
  EXPECT_EQ(mc->server_id, std::string(96, 'f'));
  EXPECT_EQ(parse_settings("MeshServer=wss://h/a\nServerID=" + std::string(96, 'a') + "\nMeshID=mesh//x\nColour=red\n")
                .error().message, "unknown settings: Colour");
  EXPECT_FALSE(parse_settings("MeshServer=https://h/a\nServerID=" + std::string(96, 'a') + "\nMeshID=mesh//x\n"));
  EXPECT_FALSE(parse_settings("MeshServer=wss://h/a\nServerID=abc\nMeshID=mesh//x\n"));
  EXPECT_FALSE(parse_settings("just a line\n"));
}

TEST(AgentProto, SettingsForLanDiscovery) {
  // MeshCentral's LAN mode: MeshServer=local, with its DiscoveryKey; Meshwork's DiscoveryPort.
  const std::string id = "ServerID=" + std::string(96, 'a') + "\nMeshID=mesh//x\n";
  auto lan = parse_settings("MeshServer=LOCAL\nDiscoveryKey=s3cret\nDiscoveryPort=40001\nDiscoveryInterface=127.0.0.1\n" + id);
  ASSERT_TRUE(lan) << lan.error().message;
  EXPECT_EQ(lan->server_url, "local");
  EXPECT_EQ(lan->discovery_key, "s3cret");
  EXPECT_EQ(lan->discovery_port, 40001);
  auto back = parse_settings(format_settings(*lan));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->discovery_key, "s3cret");
  EXPECT_EQ(back->discovery_port, 40001);
  EXPECT_EQ(back->discovery_interface, "127.0.0.1");
  EXPECT_EQ(parse_settings("MeshServer=local\n" + id)->discovery_port, 0);  // the default, 16989
  for (const char* bad : {"0", "65536", "-1", "http", "123456"}) {
    EXPECT_FALSE(parse_settings("MeshServer=local\nDiscoveryPort=" + std::string(bad) + "\n" + id)) << bad;
  }
  EXPECT_FALSE(parse_settings("MeshServer=locally\n" + id));
}

TEST(AgentProto, WssUrls) {
  auto u = parse_wss_url("wss://[::1]:4443/agent.ashx");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 4443);
  EXPECT_EQ(u->path, "/agent.ashx");
  auto d = parse_wss_url("wss://mesh.example");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->port, 443);
  EXPECT_EQ(d->path, "/");
  EXPECT_FALSE(parse_wss_url("wss://h:0/x"));
  EXPECT_FALSE(parse_wss_url("wss://h:99999/x"));
  EXPECT_FALSE(parse_wss_url("wss://:443/x"));
  EXPECT_FALSE(parse_wss_url("ws://h/x"));
}

}  // namespace
