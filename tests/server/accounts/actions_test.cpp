// Control actions against a real SQLite store: account rules (first administrator, password
// requirements, duplicates), MeshCentral's answers, device groups and their links on both sides,
// devices, events and what each user may see of them.
#include <gtest/gtest.h>

#include "accounts/model.hpp"
#include "accounts_fixture.hpp"
#include "auth/password.hpp"

namespace mw::server::accounts::testing {
namespace {

using Actions = AccountsFixture;

TEST_F(Actions, FirstAccountOfADomainIsItsAdministrator) {
  EXPECT_EQ(site_rights(get("user//admin")), site_right::kFull);
  const Json bob = make_user("Bob");
  EXPECT_EQ(bob["_id"], "user//bob");  // ids are lower case, the name keeps its case
  EXPECT_EQ(bob["name"], "Bob");
  EXPECT_FALSE(bob.contains("siteadmin"));
  ActionEnv other = env;
  other.domain = "acme";
  NewAccount a{"carol", "Carol-pass1", "", "", std::nullopt, false};
  auto carol = create_account(*db, other, a, nullptr, nullptr);
  ASSERT_TRUE(carol);
  EXPECT_EQ(carol->value("_id", ""), "user/acme/carol");
  EXPECT_EQ(site_rights(*carol), site_right::kFull);  // first of its own domain
}

TEST_F(Actions, PasswordRulesAndNamesAreEnforced) {
  env.rules = PasswordRules{10, 64, 1, 1, 2, 1};
  NewAccount a{"dave", "short", "", "", std::nullopt, false};
  auto r = create_account(*db, env, a, nullptr, nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "bad-password");
  EXPECT_EQ(r.error().message, "The password needs at least 10 characters.");
  a.password = "longenough1!";
  EXPECT_EQ(create_account(*db, env, a, nullptr, nullptr).error().message, "The password needs at least 1 upper-case letter.");
  a.password = "Longenough1!";
  EXPECT_EQ(create_account(*db, env, a, nullptr, nullptr).error().message, "The password needs at least 2 digits.");
  a.password = "Longenough12";
  EXPECT_EQ(create_account(*db, env, a, nullptr, nullptr).error().message, "The password needs at least 1 symbol.");
  a.password = "Longenough12!";
  EXPECT_TRUE(create_account(*db, env, a, nullptr, nullptr));
  EXPECT_EQ(create_account(*db, env, a, nullptr, nullptr).error().code, "exists");
  for (const char* bad : {"", "has space", "a/b", "~tilde", "x\x01y"}) {
    NewAccount b{bad, "Longenough12!", "", "", std::nullopt, false};
    EXPECT_EQ(create_account(*db, env, b, nullptr, nullptr).error().code, "bad-username") << bad;
  }
}

TEST_F(Actions, AddUserAnswersAsMeshCentralAndRecordsAnEvent) {
  auto out = run(admin, {{"action", "adduser"}, {"username", "erin"}, {"pass", "Erin-pass123"}, {"email", "Erin@Example.com"}});
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0], (Json{{"action", "adduser"}, {"responseid", "t"}, {"result", "ok"}}));
  const Json erin = get("user//erin");
  EXPECT_EQ(erin["email"], "erin@example.com");
  EXPECT_TRUE(auth::verify_password("Erin-pass123", erin["hash"].get<std::string>()));
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].event["action"], "accountcreate");
  EXPECT_FALSE(out.events[0].event["account"].contains("hash"));  // never a secret in an event
  EXPECT_EQ(result(admin, {{"action", "adduser"}, {"username", "erin"}, {"pass", "Erin-pass123"}}), "User already exists");
  EXPECT_EQ(result(admin, {{"action", "adduser"}, {"username", "frank"}, {"pass", "x"}}),
            "Invalid password: The password needs at least 8 characters.");
  // Listed without secrets.
  auto users = run(admin, {{"action", "users"}}).replies.at(0)["users"];
  ASSERT_EQ(users.size(), 2u);
  for (const auto& u : users) EXPECT_FALSE(u.contains("hash"));
  // Stored events are visible to the administrator.
  auto events = run(admin, {{"action", "events"}}).replies.at(0)["events"];
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0]["action"], "accountcreate");
}

TEST_F(Actions, EditAndDeleteUser) {
  make_user("gina");
  EXPECT_EQ(result(admin, {{"action", "edituser"}, {"userid", "gina"}, {"realname", "Gina G"}, {"siteadmin", site_right::kLocked}}), "ok");
  EXPECT_EQ(get("user//gina")["realname"], "Gina G");
  EXPECT_EQ(get("user//gina")["siteadmin"], site_right::kLocked);
  // A locked user's actions are refused and its session is told so.
  EXPECT_TRUE(run("user//gina", {{"action", "meshes"}}).caller_gone);
  EXPECT_EQ(result(admin, {{"action", "edituser"}, {"userid", "user//admin"}, {"siteadmin", 0}}), "Can't change own site rights");
  EXPECT_EQ(result(admin, {{"action", "deleteuser"}, {"userid", "user//admin"}}), "Can't delete self");
  const std::string mesh = create_mesh(admin, "Lab");
  EXPECT_EQ(result(admin, {{"action", "addmeshuser"}, {"meshid", mesh}, {"usernames", {"gina"}}, {"meshadmin", 8}}), "Added user gina");
  EXPECT_EQ(result(admin, {{"action", "deleteuser"}, {"userid", "user//gina"}}), "ok");
  EXPECT_TRUE(get("user//gina").is_null());
  EXPECT_FALSE(get(mesh)["links"].contains("user//gina"));  // no dangling link in the group
  EXPECT_EQ(result(admin, {{"action", "deleteuser"}, {"userid", "user//gina"}}), "Invalid userid");
}

TEST_F(Actions, DeviceGroupsKeepLinksOnBothSides) {
  make_user("hank");
  auto out = run(admin, {{"action", "createmesh"}, {"meshname", "Office"}, {"meshtype", 2}, {"desc", "2nd floor"}});
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0]["result"], "ok");
  const std::string mesh = out.replies[0]["meshid"];
  EXPECT_EQ(mesh.rfind("mesh//", 0), 0u);
  EXPECT_EQ(mesh.size(), 6u + 64u);  // 48 random bytes in base64
  EXPECT_EQ(mesh_rights(get(admin), mesh), mesh_right::kFull);
  EXPECT_EQ(get(mesh)["links"]["user//admin"]["rights"], mesh_right::kFull);
  EXPECT_EQ(result(admin, {{"action", "addmeshuser"}, {"meshname", "Office"}, {"usernames", {"hank", "nobody"}}, {"meshadmin", 4 | 8}}),
            "Added user hank, Unknown user nobody");
  EXPECT_EQ(mesh_rights(get("user//hank"), mesh), 12u);
  EXPECT_EQ(get(mesh)["links"]["user//hank"]["rights"], 12);
  // Hank now sees the group; after removal he does not.
  EXPECT_EQ(run("user//hank", {{"action", "meshes"}}).replies.at(0)["meshes"].size(), 1u);
  EXPECT_EQ(result(admin, {{"action", "removemeshuser"}, {"meshid", mesh}, {"userid", "hank"}}), "ok");
  EXPECT_EQ(mesh_rights(get("user//hank"), mesh), 0u);
  EXPECT_EQ(run("user//hank", {{"action", "meshes"}}).replies.at(0)["meshes"].size(), 0u);
  EXPECT_EQ(result(admin, {{"action", "removemeshuser"}, {"meshid", mesh}, {"userid", "hank"}}), "User not in group");
  // Edit, then delete with its devices.
  EXPECT_EQ(result(admin, {{"action", "editmesh"}, {"meshid", mesh}, {"meshname", "Office 2"}}), "ok");
  EXPECT_EQ(get(mesh)["name"], "Office 2");
  const std::string node = add_node(mesh, "pc1");
  EXPECT_EQ(result(admin, {{"action", "deletemesh"}, {"meshid", mesh}}), "ok");
  EXPECT_TRUE(get(mesh).is_null());
  EXPECT_TRUE(get(node).is_null());
  EXPECT_EQ(mesh_rights(get(admin), mesh), 0u);
  EXPECT_EQ(result(admin, {{"action", "deletemesh"}, {"meshid", mesh}}), "Unknown device group");
}

TEST_F(Actions, DevicesListEditAndRemove) {
  const std::string mesh = create_mesh(admin, "Servers");
  const std::string n1 = add_node(mesh, "web1"), n2 = add_node(mesh, "db1");
  auto nodes = run(admin, {{"action", "nodes"}}).replies.at(0);
  ASSERT_TRUE(nodes["nodes"].contains(mesh));
  EXPECT_EQ(nodes["nodes"][mesh].size(), 2u);
  EXPECT_EQ(nodes["nodes"][mesh][0]["name"], "db1");  // ordered by id
  EXPECT_EQ(nodes["responseid"], "t");
  const auto one = run(admin, {{"action", "nodes"}, {"id", n1}}).replies.at(0);
  ASSERT_EQ(one["nodes"][mesh].size(), 1u);
  EXPECT_EQ(one["nodes"][mesh][0]["_id"], n1);
  auto out = run(admin, {{"action", "changedevice"}, {"nodeid", n1}, {"name", "web-1"}, {"tags", "prod, eu"}, {"icon", 3}});
  EXPECT_EQ(out.replies.at(0)["result"], "ok");
  EXPECT_EQ(get(n1)["name"], "web-1");
  EXPECT_EQ(get(n1)["tags"], (Json{"prod", "eu"}));
  EXPECT_EQ(get(n1)["icon"], 3);
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].event["action"], "changenode");
  EXPECT_EQ(result(admin, {{"action", "changedevice"}, {"nodeid", n1}, {"icon", 99}}), "Invalid icon");
  EXPECT_EQ(result(admin, {{"action", "removedevices"}, {"nodeids", {n1, n2}}}), "ok");
  EXPECT_TRUE(get(n1).is_null());
  EXPECT_TRUE(get(n2).is_null());
  // Device events can be read by device id.
  auto ev = run(admin, {{"action", "events"}, {"nodeid", n1}});
  EXPECT_EQ(ev.replies.at(0)["result"], "Invalid node id");  // the device is gone
}

TEST_F(Actions, MoveDevicesBetweenGroupsNeedsRightsOnBoth) {
  make_user("jo");
  const std::string a = create_mesh(admin, "A"), b = create_mesh(admin, "B");
  const std::string n = add_node(a, "laptop");
  EXPECT_EQ(result(admin, {{"action", "addmeshuser"}, {"meshid", a}, {"usernames", {"jo"}}, {"meshadmin", 4}}), "Added user jo");
  EXPECT_EQ(result(admin, {{"action", "addmeshuser"}, {"meshid", b}, {"usernames", {"jo"}}, {"meshadmin", 8}}), "Added user jo");
  EXPECT_EQ(result("user//jo", {{"action", "changeDeviceMesh"}, {"nodeids", {n}}, {"meshid", b}}), "Permission denied");
  EXPECT_EQ(get(n)["meshid"], a);
  auto out = run(admin, {{"action", "changeDeviceMesh"}, {"nodeids", {n}}, {"meshid", b}});
  EXPECT_EQ(out.replies.at(0)["result"], "ok");
  EXPECT_EQ(get(n)["meshid"], b);
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].event["action"], "nodemeshchange");
  EXPECT_EQ(out.events[0].event["oldMeshId"], a);
  EXPECT_EQ(result(admin, {{"action", "changeDeviceMesh"}, {"nodeids", {n}}, {"meshid", b}}), "Device already in correct group");
  auto list = run(admin, {{"action", "nodes"}, {"meshid", b}}).replies.at(0);
  EXPECT_EQ(list["nodes"][b].size(), 1u);
}

TEST_F(Actions, EventsShowOnlyWhatTheUserMaySee) {
  make_user("ivy");
  const std::string mine = create_mesh(admin, "Mine");
  const std::string shared = create_mesh(admin, "Shared");
  EXPECT_EQ(result(admin, {{"action", "addmeshuser"}, {"meshid", shared}, {"usernames", {"ivy"}}, {"meshadmin", 8}}), "Added user ivy");
  EXPECT_EQ(result(admin, {{"action", "editmesh"}, {"meshid", mine}, {"desc", "private"}}), "ok");
  EXPECT_EQ(result(admin, {{"action", "editmesh"}, {"meshid", shared}, {"desc", "shared"}}), "ok");
  auto events = run("user//ivy", {{"action", "events"}}).replies.at(0)["events"];
  ASSERT_FALSE(events.empty());
  for (const auto& e : events) EXPECT_NE(e.value("meshid", ""), mine) << e.dump();
  bool saw_shared = false;
  for (const auto& e : events) saw_shared |= e.value("meshid", "") == shared;
  EXPECT_TRUE(saw_shared);
  // Another user's events need the manage-users site right.
  EXPECT_EQ(result("user//ivy", {{"action", "events"}, {"user", "admin"}}), "Access denied");
}

TEST_F(Actions, ChangePasswordChecksTheOldOne) {
  EXPECT_EQ(result(admin, {{"action", "changepassword"}, {"oldpass", "wrong"}, {"newpass", "New-pass123"}}), "Wrong current password");
  EXPECT_EQ(result(admin, {{"action", "changepassword"}, {"oldpass", "Admin-pass1"}, {"newpass", "short"}}),
            "The password needs at least 8 characters.");
  EXPECT_EQ(result(admin, {{"action", "changepassword"}, {"oldpass", "Admin-pass1"}, {"newpass", "New-pass123"}}), "ok");
  EXPECT_TRUE(auth::verify_password("New-pass123", get(admin)["hash"].get<std::string>()));
}

TEST_F(Actions, HostileMessagesAreAnsweredOrIgnoredNeverCrash) {
  for (const Json& cmd : {Json(nullptr), Json::array(), Json{{"action", 5}}, Json{{"action", "nosuchaction"}},
                          Json{{"action", "createmesh"}, {"meshname", Json::array()}}, Json{{"action", "nodes"}, {"meshid", 7}},
                          Json{{"action", "addmeshuser"}, {"meshid", "mesh//nope"}, {"meshadmin", "x"}},
                          Json{{"action", "removedevices"}, {"nodeids", {1, 2, Json::object()}}},
                          Json{{"action", "changedevice"}, {"nodeid", "node/other/x"}, {"name", "y"}},
                          Json{{"action", "events"}, {"limit", -5}}}) {
    (void)handle_action(*db, env, admin, cmd);
  }
  EXPECT_TRUE(run("user//nobody", {{"action", "meshes"}}).caller_gone);
}

}  // namespace
}  // namespace mw::server::accounts::testing

namespace mw::server::accounts::testing {
namespace {

TEST_F(AccountsFixture, CiraConfigGivesGroupAdministratorsWhatIntelAmtNeeds) {
  const std::string mesh = create_mesh(admin, "AMT");
  EXPECT_EQ(result(admin, {{"action", "ciraconfig"}, {"meshid", mesh}}), "The MPS is off (MpsPort 0 or LanOnly)");
  const CiraInfo cira{"mps.example.com", 4433, "Generated-pass-24chars00", std::string(96, 'a'), "PEM"};
  env.cira = &cira;
  auto out = run(admin, {{"action", "ciraconfig"}, {"meshid", mesh}, {"responseid", "r"}});
  ASSERT_EQ(out.replies.size(), 1u);
  const Json& a = out.replies[0];
  EXPECT_EQ(a["result"], "ok");
  EXPECT_EQ(a["responseid"], "r");
  EXPECT_EQ(a["mpshost"], "mps.example.com");
  EXPECT_EQ(a["mpsport"], 4433);
  EXPECT_EQ(a["mpspass"], "Generated-pass-24chars00");
  std::string user = value_of(mesh).substr(0, 16);
  for (char& c : user) {
    if (c == '@' || c == '$') c = 'X';
  }
  EXPECT_EQ(a["mpsuser"], user);
  make_user("viewer");
  ASSERT_EQ(result(admin, {{"action", "addmeshuser"}, {"meshid", mesh}, {"usernames", {"viewer"}}, {"meshadmin", mesh_right::kRemoteControl}}),
            "Added user viewer");
  EXPECT_EQ(result("user//viewer", {{"action", "ciraconfig"}, {"meshid", mesh}}), "Access denied");
}

TEST_F(Actions, NotesOfDevicesGroupsAndAccountsKeepMeshCentralsRecordAndRights) {
  const std::string mesh = create_mesh(admin, "Office");
  const std::string node = add_node(mesh, "pc");
  make_user("tech");
  make_user("manager");
  ASSERT_EQ(result(admin, {{"action", "addmeshuser"}, {"meshid", mesh}, {"usernames", {"tech"}}, {"meshadmin", mesh_right::kNotes}}),
            "Added user tech");
  ASSERT_EQ(result(admin, {{"action", "edituser"}, {"userid", "manager"}, {"siteadmin", site_right::kManageUsers}}), "ok");
  const auto notes = [&](const std::string& who, const std::string& id) {
    auto out = run(who, {{"action", "getNotes"}, {"id", id}});
    return out.replies.empty() ? Json("no answer") : out.replies[0].value("notes", Json("no notes field"));
  };

  // A device: "notes" writes, anyone who sees the device reads; the record is MeshCentral's.
  EXPECT_EQ(notes("user//tech", node), Json());
  EXPECT_EQ(result("user//tech", {{"action", "setNotes"}, {"id", node}, {"notes", "UPS behind the desk"}}), "ok");
  EXPECT_EQ(get("nt" + node), (Json{{"_id", "nt" + node}, {"type", "note"}, {"value", "UPS behind the desk"}}));
  EXPECT_EQ(notes(admin, node), "UPS behind the desk");
  EXPECT_EQ(result("user//manager", {{"action", "setNotes"}, {"id", node}, {"notes", "x"}}), "Access denied");
  EXPECT_EQ(result("user//manager", {{"action", "getNotes"}, {"id", node}}), "Access denied");
  EXPECT_EQ(result("user//tech", {{"action", "setNotes"}, {"id", node}, {"notes", std::string(64 * 1024 + 1, 'a')}}),
            "Notes are limited to 64 KiB");
  EXPECT_EQ(result("user//tech", {{"action", "setNotes"}, {"id", node}, {"notes", 5}}), "Invalid notes");
  EXPECT_EQ(notes(admin, node), "UPS behind the desk");  // refusals changed nothing

  // A group: "edit group" both ways (tech has only "notes" there).
  EXPECT_EQ(result("user//tech", {{"action", "getNotes"}, {"id", mesh}}), "Access denied");
  EXPECT_EQ(result(admin, {{"action", "setNotes"}, {"id", mesh}, {"notes", "Second floor"}}), "ok");
  EXPECT_EQ(notes(admin, mesh), "Second floor");

  // An account: "manage users"; a full administrator's only by a full administrator.
  EXPECT_EQ(result("user//manager", {{"action", "setNotes"}, {"id", "user//tech"}, {"notes", "on call in May"}}), "ok");
  EXPECT_EQ(notes("user//manager", "user//tech"), "on call in May");
  EXPECT_EQ(result("user//manager", {{"action", "setNotes"}, {"id", admin}, {"notes", "x"}}), "Access denied");
  EXPECT_EQ(result("user//tech", {{"action", "getNotes"}, {"id", "user//manager"}}), "Access denied");
  // Other domains and other kinds of id are not reached.
  EXPECT_EQ(result(admin, {{"action", "setNotes"}, {"id", "node/acme/x"}, {"notes", "x"}}), "Access denied");
  EXPECT_EQ(result(admin, {{"action", "setNotes"}, {"id", "event//1"}, {"notes", "x"}}), "Access denied");

  // Empty notes remove the record; removing the subject removes its notes.
  EXPECT_EQ(result("user//tech", {{"action", "setNotes"}, {"id", node}, {"notes", ""}}), "ok");
  EXPECT_TRUE(get("nt" + node).is_null());
  EXPECT_EQ(result(admin, {{"action", "setNotes"}, {"id", node}, {"notes", "again"}}), "ok");
  EXPECT_EQ(result(admin, {{"action", "removedevices"}, {"nodeids", {node}}}), "ok");
  EXPECT_TRUE(get("nt" + node).is_null());
  EXPECT_EQ(result(admin, {{"action", "deletemesh"}, {"meshid", mesh}}), "ok");
  EXPECT_TRUE(get("nt" + mesh).is_null());
  EXPECT_EQ(result(admin, {{"action", "deleteuser"}, {"userid", "user//tech"}}), "ok");
  EXPECT_TRUE(get("ntuser//tech").is_null());
}

}  // namespace
}  // namespace mw::server::accounts::testing
