// The rights matrix: for each device-group right bit, a user holding only that bit on a group
// can do exactly what the bit allows there and nothing else; site actions need site rights.
// Every (bit, action) pair runs on a fresh database, so destructive actions do not interfere.
#include <gtest/gtest.h>

#include <set>

#include "accounts/model.hpp"
#include "accounts_fixture.hpp"
#include "accounts/relay_rights.hpp"
#include "files/server_files.hpp"

namespace mw::server::accounts::testing {
namespace {

struct Case {
  const char* action;
  std::uint32_t needs;  // 0: any right on the group
};

// The group-scoped actions and the bit each needs.
const Case kCases[] = {
    {"editmesh", mesh_right::kEditGroup},     {"deletemesh", mesh_right::kEditGroup},
    {"addmeshuser", mesh_right::kManageUsers}, {"removemeshuser", mesh_right::kManageUsers},
    {"changedevice", mesh_right::kManageDevices}, {"removedevices", mesh_right::kManageDevices},
    {"nodes", 0},                              {"deviceevents", 0},
    {"getsysinfo", 0},                         {"runcommands", mesh_right::kRemoteCommands},
    {"amtpoweroff", mesh_right::kResetPowerOff}, {"amtpoweron", mesh_right::kWake},
    {"amtinfo", mesh_right::kRemoteControl},  {"scanamtdevice", mesh_right::kManageDevices},
    {"agentconsole", mesh_right::kAgentConsole}, {"runcommands4", mesh_right::kAgentConsole},
    {"serverfiles", mesh_right::kServerFiles},  {"setnotes", mesh_right::kNotes},
    {"getnotes", 0},                          {"uninstallagent", mesh_right::kUninstall},
    {"toast", mesh_right::kChatNotify},       {"messagebox", mesh_right::kChatNotify},
};

const std::uint32_t kBits[] = {
    mesh_right::kEditGroup,    mesh_right::kManageUsers, mesh_right::kManageDevices, mesh_right::kRemoteControl,
    mesh_right::kAgentConsole, mesh_right::kServerFiles, mesh_right::kWake,          mesh_right::kNotes,
    mesh_right::kViewOnly,     mesh_right::kNoTerminal,  mesh_right::kNoFiles,       mesh_right::kNoAmt,
    mesh_right::kLimitedInput, mesh_right::kLimitEvents, mesh_right::kChatNotify,    mesh_right::kUninstall,
    mesh_right::kNoDesktop,    mesh_right::kRemoteCommands, mesh_right::kResetPowerOff,
};

class RightsMatrix : public AccountsFixture, public ::testing::WithParamInterface<std::uint32_t> {};

// Runs `action` as `user` on group `mesh` / device `node`; true when it was carried out.
bool allowed(AccountsFixture& f, const std::string& user, const std::string& action, const std::string& mesh,
             const std::string& node) {
  const std::string other = "user//other";
  if (action == "editmesh") return f.result(user, {{"action", "editmesh"}, {"meshid", mesh}, {"desc", "changed"}}) == "ok";
  if (action == "deletemesh") return f.result(user, {{"action", "deletemesh"}, {"meshid", mesh}}) == "ok" && f.get(mesh).is_null();
  if (action == "addmeshuser") {
    // The rights given are the bit the caller itself holds, so "no rights you do not have" is met.
    const auto rights = mesh_rights(f.get(user), mesh);
    return f.result(user, {{"action", "addmeshuser"}, {"meshid", mesh}, {"usernames", {"other"}}, {"meshadmin", rights}}) ==
           "Added user other";
  }
  if (action == "removemeshuser") {
    EXPECT_EQ(f.result("user//admin", {{"action", "addmeshuser"}, {"meshid", mesh}, {"usernames", {"other"}}, {"meshadmin", 8}}),
              "Added user other");
    return f.result(user, {{"action", "removemeshuser"}, {"meshid", mesh}, {"userid", other}}) == "ok";
  }
  if (action == "changedevice") return f.result(user, {{"action", "changedevice"}, {"nodeid", node}, {"name", "renamed"}}) == "ok";
  if (action == "removedevices") return f.result(user, {{"action", "removedevices"}, {"nodeids", {node}}}) == "ok";
  if (action == "nodes") {
    auto out = f.run(user, {{"action", "nodes"}, {"meshid", mesh}});
    return !out.replies.empty() && out.replies[0].contains("nodes") && out.replies[0]["nodes"][mesh].size() == 1;
  }
  if (action == "amtpoweroff" || action == "amtpoweron") {
    // Accepted power actions become jobs for the AMT manager; refused devices are skipped.
    auto out = f.run(user, {{"action", "poweraction"}, {"nodeids", {node}}, {"actiontype", action == "amtpoweron" ? 302 : 308}});
    return out.amt_jobs.size() == 1 && out.amt_jobs[0].nodeid == node;
  }
  if (action == "runcommands") {
    // Accepted commands become jobs for the device's agent; refused ones answer "Access denied".
    auto out = f.run(user, {{"action", "runcommands"}, {"nodeids", {node}}, {"type", 0}, {"cmds", "true"}});
    return out.agent_jobs.size() == 1 && out.agent_jobs[0].nodeid == node;
  }
  if (action == "agentconsole") {
    // The web UI's console: a job answered as console text; a refusal is console text at once.
    auto out = f.run(user, {{"action", "msg"}, {"type", "console"}, {"nodeid", node}, {"value", "info"}});
    const bool job = out.agent_jobs.size() == 1 && out.agent_jobs[0].nodeid == node && out.agent_jobs[0].type == 4 &&
                     out.agent_jobs[0].console_answer && out.agent_jobs[0].cmds == "info";
    if (!job) {
      EXPECT_EQ(out.replies.size() == 1 ? out.replies[0].value("value", "") : "", "Access denied");
    }
    return job;
  }
  if (action == "runcommands4") {  // meshctrl's agent console (runcommands type 4)
    auto out = f.run(user, {{"action", "runcommands"}, {"nodeids", {node}}, {"type", 4}, {"cmds", "help"}, {"reply", true}});
    return out.agent_jobs.size() == 1 && out.agent_jobs[0].type == 4 && !out.agent_jobs[0].console_answer;
  }
  if (action == "scanamtdevice") {
    auto out = f.run(user, {{"action", "scanamtdevice"}, {"meshid", mesh}, {"range", "127.0.0.1-127.0.0.3"}});
    return out.amt_scan && out.amt_scan->first == 0x7F000001u && out.amt_scan->last == 0x7F000003u;
  }
  if (action == "amtinfo") {
    // Reads of Intel AMT (hardware, logs) become jobs that answer the caller; refusals answer at once.
    Json n = f.get(node);
    n["intelamt"] = {{"host", "127.0.0.2"}};
    EXPECT_TRUE(f.db->put(n));
    auto out = f.run(user, {{"action", "amtinfo"}, {"nodeid", node}, {"what", "auditlog"}, {"responseid", 5}});
    const bool job = out.amt_jobs.size() == 1 && out.amt_jobs[0].kind == AmtJob::Kind::kRead &&
                     out.amt_jobs[0].what == "auditlog" && out.amt_jobs[0].responseid == 5;
    EXPECT_EQ(job, out.replies.empty()) << "either a job or an answer";
    return job;
  }
  if (action == "getsysinfo") {
    auto out = f.run(user, {{"action", "getsysinfo"}, {"nodeid", node}});
    return !out.replies.empty() && out.replies[0].value("action", "") == "getsysinfo" && out.replies[0].value("nodeid", "") == node;
  }
  if (action == "deviceevents") {
    auto out = f.run(user, {{"action", "events"}, {"nodeid", node}});
    return !out.replies.empty() && out.replies[0].contains("events");
  }
  if (action == "uninstallagent") {
    auto out = f.run(user, {{"action", "uninstallagent"}, {"nodeids", {node}}});
    return out.agent_uninstalls.size() == 1 && out.agent_uninstalls[0] == node;
  }
  if (action == "toast") {  // a notification for each device allowed, for its agent
    auto out = f.run(user, {{"action", "toast"}, {"nodeids", {node}}, {"title", "IT"}, {"msg", "Rebooting at noon"}});
    if (out.agent_notices.size() != 1) return false;
    const auto& n = out.agent_notices[0].notice;
    return out.agent_notices[0].nodeid == node && n.kind == proto::agent::Notify::Kind::kToast && n.title == "IT" &&
           n.message == "Rebooting at noon";
  }
  if (action == "messagebox") {  // answered by the control session once it knows the agent is there
    auto out = f.run(user, {{"action", "msg"}, {"type", "messagebox"}, {"nodeid", node}, {"msg", "Save your work"},
                            {"timeout", 5000}, {"responseid", "r"}});
    const bool job = out.agent_notices.size() == 1 &&
                     out.agent_notices[0].notice.kind == proto::agent::Notify::Kind::kMessageBox &&
                     out.agent_notices[0].notice.timeout_s == 5 && out.agent_notices[0].answer &&
                     out.agent_notices[0].notice.title == "Meshwork";
    EXPECT_EQ(job, out.replies.empty()) << "either a job or a refusal";
    return job;
  }
  if (action == "setnotes") {
    return f.result(user, {{"action", "setNotes"}, {"id", node}, {"notes", "reboot on Fridays"}}) == "ok" &&
           f.get("nt" + node).value("value", "") == "reboot on Fridays";
  }
  if (action == "getnotes") {
    EXPECT_TRUE(f.db->put({{"_id", "nt" + node}, {"type", "note"}, {"value", "spare disk in the cupboard"}}));
    auto out = f.run(user, {{"action", "getNotes"}, {"id", node}});
    return out.replies.size() == 1 && out.replies[0].value("notes", Json()) == "spare disk in the cupboard";
  }
  if (action == "serverfiles") {  // the group's files on the server (/serverfiles.ashx)
    return files::check_store(*f.db, DomainSettings{}, "/files", user, mesh).error.empty();
  }
  ADD_FAILURE() << "unknown case " << action;
  return false;
}

TEST_P(RightsMatrix, OneBitAllowsExactlyItsActions) {
  const std::uint32_t bit = GetParam();
  for (const auto& c : kCases) {
    // A fresh database per action.
    TearDown();
    db.reset();
    std::filesystem::remove_all(dir.path());
    std::filesystem::create_directories(dir.path());
    SetUp();
    make_user("user1");
    make_user("other");
    const std::string mesh = create_mesh(admin, "G");
    const std::string node = add_node(mesh, "pc");
    ASSERT_EQ(result(admin, {{"action", "addmeshuser"}, {"meshid", mesh}, {"usernames", {"user1"}}, {"meshadmin", bit}}), "Added user user1");
    const bool expect = c.needs == 0 || c.needs == bit;
    EXPECT_EQ(allowed(*this, "user//user1", c.action, mesh, node), expect) << c.action << " with bit " << bit;
    // Whatever was refused left the records as they were.
    if (!expect) {
      EXPECT_FALSE(get(mesh).is_null());
      EXPECT_EQ(get(mesh).value("desc", ""), "");
      EXPECT_EQ(get(node).value("name", ""), "pc");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EachBit, RightsMatrix, ::testing::ValuesIn(kBits),
                         [](const auto& bit) { return "bit" + std::to_string(bit.param); });

TEST_F(AccountsFixture, SiteActionsNeedSiteRights) {
  make_user("plain");
  make_user("manager");
  ASSERT_EQ(result(admin, {{"action", "edituser"}, {"userid", "manager"}, {"siteadmin", site_right::kManageUsers}}), "ok");
  for (const char* action : {"users", "adduser", "edituser", "deleteuser"}) {
    Json cmd{{"action", action}, {"username", "newbie"}, {"pass", "Newbie-pass1"}, {"userid", "user//admin"}};
    EXPECT_EQ(result("user//plain", cmd), "Access denied") << action;
  }
  auto list = run("user//manager", {{"action", "users"}});
  ASSERT_EQ(list.replies.size(), 1u);
  EXPECT_EQ(list.replies[0]["users"].size(), 3u);
  EXPECT_EQ(result("user//manager", {{"action", "adduser"}, {"username", "newbie"}, {"pass", "Newbie-pass1"}}), "ok");
  // A user manager may not make administrators, nor touch a full administrator.
  EXPECT_EQ(result("user//manager", {{"action", "adduser"}, {"username", "boss"}, {"pass", "Newbie-pass1"}, {"siteadmin", site_right::kFull}}),
            "Invalid site permissions");
  EXPECT_EQ(result("user//manager", {{"action", "deleteuser"}, {"userid", "user//admin"}}), "Access denied");
  // No new groups when the site right says so.
  ASSERT_EQ(result(admin, {{"action", "edituser"}, {"userid", "plain"}, {"siteadmin", site_right::kNoNewGroups}}), "ok");
  EXPECT_EQ(result("user//plain", {{"action", "createmesh"}, {"meshname", "x"}}), "Access denied");
  EXPECT_EQ(result("user//manager", {{"action", "createmesh"}, {"meshname", "x"}}), "ok");
}

// Reading Intel AMT needs an Intel AMT device, a known "what", and is closed by "no Intel AMT"
// (except to full administrators of the group).
TEST_F(AccountsFixture, AmtInfoRefusals) {
  make_user("tech");
  const std::string mesh = create_mesh(admin, "G");
  const std::string plain = add_node(mesh, "pc");
  const std::string amt = add_node(mesh, "amt");
  Json n = get(amt);
  n["intelamt"] = {{"host", "127.0.0.2"}};
  ASSERT_TRUE(db->put(n));
  EXPECT_EQ(result(admin, {{"action", "amtinfo"}, {"nodeid", plain}, {"what", "hardware"}}), "Not an Intel AMT device");
  EXPECT_EQ(result(admin, {{"action", "amtinfo"}, {"nodeid", amt}, {"what", "everything"}}), "Invalid what");
  EXPECT_EQ(run(admin, {{"action", "amtinfo"}, {"nodeid", amt}, {"what", "hardware"}}).amt_jobs.size(), 1u);
  ASSERT_EQ(result(admin, {{"action", "addmeshuser"}, {"meshid", mesh}, {"usernames", {"tech"}},
                           {"meshadmin", mesh_right::kRemoteControl | mesh_right::kNoAmt}}), "Added user tech");
  EXPECT_EQ(result("user//tech", {{"action", "amtinfo"}, {"nodeid", amt}, {"what", "hardware"}}), "Access denied");
}

// My Server's figures, as MeshCentral allows them: site backup, restore or update rights (any of
// them); a user manager or a plain user is refused. The database part counts this domain only.
TEST_F(AccountsFixture, ServerStatsNeedBackupRestoreOrUpdate) {
  make_user("plain");
  make_user("manager");
  make_user("updater");
  ASSERT_EQ(result(admin, {{"action", "edituser"}, {"userid", "manager"}, {"siteadmin", site_right::kManageUsers}}), "ok");
  ASSERT_EQ(result(admin, {{"action", "edituser"}, {"userid", "updater"}, {"siteadmin", site_right::kUpdate}}), "ok");
  create_mesh(admin, "G1");
  create_mesh(admin, "G2");
  for (const char* who : {"user//plain", "user//manager"}) {
    auto out = run(who, {{"action", "serverstats"}, {"responseid", "r1"}});
    EXPECT_FALSE(out.server_stats) << who;
    ASSERT_EQ(out.replies.size(), 1u) << who;
    EXPECT_EQ(out.replies[0].value("result", ""), "Access denied") << who;
    EXPECT_EQ(out.replies[0].value("responseid", ""), "r1") << who;
  }
  for (const char* who : {"user//updater", "user//admin"}) {
    auto out = run(who, {{"action", "serverstats"}, {"responseid", 7}});
    ASSERT_TRUE(out.server_stats) << who;
    EXPECT_TRUE(out.replies.empty()) << who;
    EXPECT_EQ((*out.server_stats)["UserAccounts"], 4) << who;
    EXPECT_EQ((*out.server_stats)["DeviceGroups"], 2) << who;
    EXPECT_EQ((*out.server_stats)["responseid"], 7) << who;
  }
}

// Relay requests (agent terminal, desktop and files; Intel AMT SOL, KVM and IDE-R), decided by
// relay_right() for both relays: a single bit opens exactly what it allows, which is nothing
// unless it is remote control; the "no ..." bits take kinds away again, except from a full
// administrator; view only limits both desktops' input.
constexpr RelayKind kRelayKinds[] = {RelayKind::kAgentTerminal, RelayKind::kAgentDesktop, RelayKind::kAgentFiles,
                                     RelayKind::kAmtSol, RelayKind::kAmtKvm, RelayKind::kAmtIder};

TEST(RelayRights, EachBitAloneOpensExactlyWhatItAllows) {
  for (const auto bit : kBits) {
    for (const auto kind : kRelayKinds) {
      const auto r = relay_right(bit, kind);
      EXPECT_EQ(r.allowed, bit == mesh_right::kRemoteControl) << "bit " << bit << ", kind " << static_cast<int>(kind);
      EXPECT_FALSE(r.view_only) << "bit " << bit;
      EXPECT_FALSE(r.limited_input) << "bit " << bit;
    }
  }
  for (const auto kind : kRelayKinds) EXPECT_FALSE(relay_right(0, kind).allowed);
}

TEST(RelayRights, NoBitsTakeKindsAwayExceptFromAFullAdministrator) {
  struct Row {
    std::uint32_t extra;
    bool terminal, desktop, files, sol, kvm, ider;
  };
  // IDE-R is remote control alone (as MeshCentral's): only "no Intel AMT" takes it away.
  const Row rows[] = {
      {0, true, true, true, true, true, true},
      {mesh_right::kNoTerminal, false, true, true, false, true, true},
      {mesh_right::kNoFiles, true, true, false, true, true, true},
      {mesh_right::kNoDesktop, true, false, true, true, false, true},
      {mesh_right::kNoAmt, true, true, true, false, false, false},
      {mesh_right::kNoTerminal | mesh_right::kNoDesktop | mesh_right::kNoFiles, false, false, false, false, false, true},
  };
  for (const auto& row : rows) {
    const std::uint32_t r = mesh_right::kRemoteControl | row.extra;
    EXPECT_EQ(relay_right(r, RelayKind::kAgentTerminal).allowed, row.terminal) << row.extra;
    EXPECT_EQ(relay_right(r, RelayKind::kAgentDesktop).allowed, row.desktop) << row.extra;
    EXPECT_EQ(relay_right(r, RelayKind::kAgentFiles).allowed, row.files) << row.extra;
    EXPECT_EQ(relay_right(r, RelayKind::kAmtSol).allowed, row.sol) << row.extra;
    EXPECT_EQ(relay_right(r, RelayKind::kAmtKvm).allowed, row.kvm) << row.extra;
    EXPECT_EQ(relay_right(r, RelayKind::kAmtIder).allowed, row.ider) << row.extra;
    EXPECT_FALSE(relay_right(r, RelayKind::kAmtIder).view_only) << row.extra;
  }
  for (const auto kind : kRelayKinds) {
    EXPECT_TRUE(relay_right(mesh_right::kFull, kind).allowed);
    EXPECT_FALSE(relay_right(mesh_right::kFull, kind).view_only);
  }
  // Without remote control the "no ..." bits open nothing either.
  EXPECT_FALSE(relay_right(mesh_right::kFull & ~mesh_right::kRemoteControl, RelayKind::kAgentTerminal).allowed);
}

TEST(RelayRights, ViewOnlyLimitsBothDesktopsToWatching) {
  const std::uint32_t r = mesh_right::kRemoteControl | mesh_right::kViewOnly;
  EXPECT_TRUE(relay_right(r, RelayKind::kAgentDesktop).allowed);
  EXPECT_TRUE(relay_right(r, RelayKind::kAgentDesktop).view_only);
  EXPECT_FALSE(relay_right(r, RelayKind::kAgentTerminal).view_only);
  EXPECT_FALSE(relay_right(r, RelayKind::kAgentFiles).view_only);
  // The Intel AMT relay filters the viewer's input out of the RFB stream.
  EXPECT_TRUE(relay_right(r, RelayKind::kAmtKvm).allowed);
  EXPECT_TRUE(relay_right(r, RelayKind::kAmtKvm).view_only);
  EXPECT_FALSE(relay_right(r | mesh_right::kNoDesktop, RelayKind::kAmtKvm).allowed);
  EXPECT_TRUE(relay_right(r, RelayKind::kAmtSol).allowed);
  EXPECT_FALSE(relay_right(r, RelayKind::kAmtSol).view_only);
  EXPECT_TRUE(relay_right(mesh_right::kFull, RelayKind::kAmtKvm).allowed);
  EXPECT_FALSE(relay_right(mesh_right::kFull, RelayKind::kAmtKvm).view_only);
}

TEST(RelayRights, LimitedInputLimitsBothDesktopsKeysOnly) {
  const std::uint32_t r = mesh_right::kRemoteControl | mesh_right::kLimitedInput;
  for (const auto kind : {RelayKind::kAgentDesktop, RelayKind::kAmtKvm}) {
    EXPECT_TRUE(relay_right(r, kind).allowed);
    EXPECT_TRUE(relay_right(r, kind).limited_input);
    EXPECT_FALSE(relay_right(r, kind).view_only);
    // View only is the stronger limit: with both, the viewer only watches.
    EXPECT_TRUE(relay_right(r | mesh_right::kViewOnly, kind).view_only);
    EXPECT_FALSE(relay_right(r | mesh_right::kViewOnly, kind).limited_input);
    // A full administrator (every bit, this one too) is not limited.
    EXPECT_FALSE(relay_right(mesh_right::kFull, kind).limited_input);
  }
  for (const auto kind : {RelayKind::kAgentTerminal, RelayKind::kAgentFiles, RelayKind::kAmtSol}) {
    EXPECT_TRUE(relay_right(r, kind).allowed);
    EXPECT_FALSE(relay_right(r, kind).limited_input);
  }
}

}  // namespace
}  // namespace mw::server::accounts::testing
