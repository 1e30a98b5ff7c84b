// Administration answers (users, serverstats, ciraconfig, plain results) and group members, as
// the server sends them, and what hostile input becomes.
#include "mw/proto/admin.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "mw/proto/control.hpp"

namespace mw::proto {
namespace {

TEST(Admin, UserListAsTheServerSendsIt) {
  const auto list = parse_user_list(R"({"action":"users","users":[
    {"_id":"user//admin","name":"admin","siteadmin":4294967295,"creation":1764979200,"passchange":1764979200,
     "links":{"mesh//g1":{"rights":4294967295}}},
    {"_id":"user//bob","name":"bob","email":"bob@example.com","realname":"Bob B","siteadmin":2,"passchange":-1,
     "links":{"mesh//g1":{"rights":8},"mesh//g2":{"rights":264}}}]})");
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ(list.value().size(), 2u);
  const Account& admin = list.value()[0];
  EXPECT_EQ(admin.id, "user//admin");
  EXPECT_EQ(admin.siteadmin, 0xFFFFFFFFu);
  EXPECT_EQ(admin.creation, 1764979200);
  EXPECT_FALSE(admin.reset_next_login);
  const Account& bob = list.value()[1];
  EXPECT_EQ(bob.email, "bob@example.com");
  EXPECT_EQ(bob.realname, "Bob B");
  EXPECT_EQ(bob.siteadmin, 2u);
  EXPECT_TRUE(bob.reset_next_login);
  EXPECT_EQ(bob.links.size(), 2u);
  EXPECT_EQ(bob.links.at("mesh//g2"), 264u);
}

TEST(Admin, UserListRefusalAndHostileEntries) {
  // Refused: MeshCentral's listing answers carry the reason in "result" and no list.
  const auto refused = parse_user_list(R"({"action":"users","result":"Access denied"})");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("Access denied"), std::string::npos);
  EXPECT_FALSE(parse_user_list("{not json").ok());
  EXPECT_FALSE(parse_user_list(R"({"action":"meshes","users":[]})").ok());
  // Entries of the wrong shape are skipped; fields of the wrong type read as empty or 0.
  const auto odd = parse_user_list(R"({"action":"users","users":[7,"x",{"name":"no id"},
    {"_id":"user//c","name":5,"siteadmin":"all","creation":1.5,"links":{"mesh//g":"rw","mesh//h":{"rights":-1}}}]})");
  ASSERT_TRUE(odd.ok());
  ASSERT_EQ(odd.value().size(), 1u);
  const Account& c = odd.value()[0];
  EXPECT_EQ(c.name, "");
  EXPECT_EQ(c.siteadmin, 0u);
  EXPECT_EQ(c.creation, 0);
  EXPECT_EQ(c.links.size(), 1u);
  EXPECT_EQ(c.links.at("mesh//h"), 0xFFFFFFFFu);
}

TEST(Admin, ServerStats) {
  const auto s = parse_server_stats(R"({"action":"serverstats","version":"0.1.0","uptime":93784.5,"rss":41943040,
    "totalmem":8589934592,"freemem":4294967296,"cpuavg":[0.5,0.25,0.125],
    "values":{"serverStats":{"UserAccounts":3,"DeviceGroups":2,"UsersSessions":1,"AgentSessions":5,
                             "RelaySessions":2,"ConnectedIntelAMT":4}}})");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->version, "0.1.0");
  EXPECT_DOUBLE_EQ(s->uptime, 93784.5);
  EXPECT_EQ(s->rss, 41943040u);
  EXPECT_EQ(s->totalmem, 8589934592u);
  EXPECT_EQ(s->freemem, 4294967296u);
  EXPECT_DOUBLE_EQ(s->load5, 0.25);
  EXPECT_EQ(s->user_accounts, 3u);
  EXPECT_EQ(s->device_groups, 2u);
  EXPECT_EQ(s->user_sessions, 1u);
  EXPECT_EQ(s->agent_sessions, 5u);
  EXPECT_EQ(s->relay_sessions, 2u);
  EXPECT_EQ(s->connected_amt, 4u);
  EXPECT_TRUE(s->server_id.empty());
  EXPECT_TRUE(s->peers.empty());
  // With peer servers.
  const auto p = parse_server_stats(R"({"action":"serverstats","peers":{"serverid":"alpha","servers":[
    {"id":"beta","url":"wss://10.0.0.2:443/","connected":true},{"id":"gamma","url":"wss://g/","connected":"yes"},7]}})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->server_id, "alpha");
  ASSERT_EQ(p->peers.size(), 2u);
  EXPECT_EQ(p->peers[0].id, "beta");
  EXPECT_EQ(p->peers[0].url, "wss://10.0.0.2:443/");
  EXPECT_TRUE(p->peers[0].connected);
  EXPECT_FALSE(p->peers[1].connected);  // not a boolean: not connected
  // Hostile: wrong types read as 0, a short load list is ignored.
  const auto odd = parse_server_stats(R"({"action":"serverstats","uptime":"long","rss":-5,"cpuavg":[1],
    "values":{"serverStats":[1,2]}})");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->uptime, 0);
  EXPECT_EQ(odd->rss, 0u);
  EXPECT_EQ(odd->load1, 0);
  EXPECT_EQ(odd->agent_sessions, 0u);
  EXPECT_FALSE(parse_server_stats(R"({"action":"users"})").ok());
}

TEST(Admin, CiraConfigAndPlainResults) {
  const auto c = parse_cira_config(R"({"action":"ciraconfig","meshid":"mesh//g","result":"ok","mpshost":"mw.example",
    "mpsport":4433,"mpsuser":"abcdefghijklmnop","mpspass":"Secret-1","rootcertsha384":"ab12"})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->meshid, "mesh//g");
  EXPECT_EQ(c->result, "ok");
  EXPECT_EQ(c->mps_host, "mw.example");
  EXPECT_EQ(c->mps_port, 4433);
  EXPECT_EQ(c->mps_user, "abcdefghijklmnop");
  EXPECT_EQ(c->mps_pass, "Secret-1");
  EXPECT_EQ(c->root_sha384, "ab12");
  const auto big = parse_cira_config(R"({"action":"ciraconfig","mpsport":70000})");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->mps_port, 0);

  const auto r = parse_action_result(R"({"action":"adduser","responseid":12,"result":"User already exists"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->action, "adduser");
  EXPECT_EQ(r->result, "User already exists");
  EXPECT_EQ(r->responseid, "12");
  const auto t = parse_action_result(R"({"action":"createmesh","responseid":"abc","result":"ok"})");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->responseid, "abc");
  EXPECT_FALSE(parse_action_result(R"({"result":"ok"})").ok());
  EXPECT_FALSE(parse_action_result("[]").ok());
}

TEST(Admin, CommandOutputBothForms) {
  const auto out = parse_command_output(
      R"({"action":"msg","type":"runcommands","nodeid":"node//a","result":"hello\n","exitcode":3,"responseid":1})");
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->finished);
  EXPECT_EQ(out->nodeid, "node//a");
  EXPECT_EQ(out->result, "hello\n");
  EXPECT_EQ(out->exitcode, 3);
  const auto offline = parse_command_output(R"({"action":"runcommands","nodeid":"node//b","result":"Agent not connected"})");
  ASSERT_TRUE(offline.ok());
  EXPECT_FALSE(offline->finished);
  EXPECT_EQ(offline->result, "Agent not connected");
  const auto denied = parse_command_output(R"({"action":"runcommands","result":"Access denied"})");
  ASSERT_TRUE(denied.ok());
  EXPECT_EQ(denied->nodeid, "");
  const auto huge = parse_command_output(R"({"action":"msg","type":"runcommands","exitcode":99999999999})");
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ(huge->exitcode, -1);
  EXPECT_FALSE(parse_command_output(R"({"action":"msg","type":"chat"})").ok());
  EXPECT_FALSE(parse_command_output("nope").ok());
}

TEST(Admin, ConsoleOutput) {
  const auto out = parse_console_output(R"({"action":"msg","type":"console","nodeid":"node//a","value":"Commands:\n  help"})");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->nodeid, "node//a");
  EXPECT_EQ(out->value, "Commands:\n  help");
  // A console answer is not a runcommands answer, nor the other way round.
  EXPECT_FALSE(parse_command_output(R"({"action":"msg","type":"console","value":"x"})").ok());
  EXPECT_FALSE(parse_console_output(R"({"action":"msg","type":"runcommands","result":"x"})").ok());
  const auto odd = parse_console_output(R"({"action":"msg","type":"console","value":5})");  // no text: nothing shown
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->value, "");
  EXPECT_FALSE(parse_console_output("[1]").ok());
}

TEST(Admin, AmtScanAnswers) {
  const auto s = parse_amt_scan(R"({"action":"scanamtdevice","range":"10.0.0.1-10.0.0.9","results":{
    "10.0.0.2":{"ver":"16.1","tls":0,"state":2,"hostname":"10.0.0.2","hosttype":"addr"},"10.0.0.7":{"ver":"11.8","tls":1},"x":5}})");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->started);
  EXPECT_EQ(s->range, "10.0.0.1-10.0.0.9");
  ASSERT_EQ(s->found.size(), 2u);  // the malformed entry is skipped
  EXPECT_EQ(s->found[0].address, "10.0.0.2");
  EXPECT_EQ(s->found[0].version, "16.1");
  EXPECT_EQ(s->found[0].state, 2);
  EXPECT_FALSE(s->found[0].tls);
  EXPECT_TRUE(s->found[1].tls);
  const auto busy = parse_amt_scan(R"({"action":"scanamtdevice","range":"r","results":null})");
  ASSERT_TRUE(busy.ok());
  EXPECT_FALSE(busy->started);
  const auto refused = parse_amt_scan(R"({"action":"scanamtdevice","result":"Invalid range"})");
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->result, "Invalid range");
  EXPECT_FALSE(parse_amt_scan(R"({"action":"users"})").ok());
}

TEST(Admin, GroupMembersFromLinks) {
  const auto m = parse_control_message(R"({"action":"meshes","meshes":[{"_id":"mesh//g","name":"G","mtype":2,
    "links":{"user//admin":{"name":"admin","rights":4294967295},"user//bob":{"name":"bob","rights":264},"user//x":3}}]})");
  ASSERT_TRUE(m.ok());
  const auto& groups = std::get<DeviceGroups>(m.value()).groups;
  ASSERT_EQ(groups.size(), 1u);
  ASSERT_EQ(groups[0].members.size(), 2u);  // the malformed link is skipped
  EXPECT_EQ(groups[0].members[0].userid, "user//admin");
  EXPECT_EQ(groups[0].members[0].rights, 0xFFFFFFFFu);
  EXPECT_EQ(groups[0].members[1].name, "bob");
  EXPECT_EQ(groups[0].members[1].rights, 264u);
}

}  // namespace
}  // namespace mw::proto
