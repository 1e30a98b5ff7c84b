// MeshCentral's own command-line tool, meshctrl.js from the npm package "meshcentral", run
// unmodified with Node against a real meshwork-server: each command is checked by its printed
// output and by the database state it leaves (read back through the control channel or with
// --show* after the server stopped).
#include <gtest/gtest.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include <array>
#include <nlohmann/json.hpp>

#include "fixture.hpp"
#include "meshctrl.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace mw::test;
using nlohmann::json;

const std::string kGroup = "mesh//LabGroupId0000000000000000000000000000000000000000000000000000";

// A links key as --dbexport/--show* write it: MeshCentral escapes '%', '.', '$' and ','.
std::string escaped(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '%') out += "%25";
    else if (c == '.') out += "%2E";
    else if (c == '$') out += "%24";
    else if (c == ',') out += "%2C";
    else out += c;
  }
  return out;
}

class Meshctrl : public ::testing::Test {
 protected:
  Fixture f;
  std::unique_ptr<ServerProcess> server;
  int port = 0;

  void SetUp() override {
    f.create_account("admin", "Admin-pass1");
    // A device group with two devices, written straight into the database the server will open.
    f.add_group(kGroup, 2, "Lab", {{"admin", 0xFFFFFFFFu}});
    {
      auto db = mw::server::store::SqliteStore::open(f.data() / "meshwork.db");
      ASSERT_TRUE(db) << db.error().message;
      auto& s = *db.value();
      ASSERT_TRUE(s.put({{"_id", "node//pc1"}, {"type", "node"}, {"meshid", kGroup}, {"name", "pc-one"}, {"domain", ""}, {"icon", 1}}));
      ASSERT_TRUE(s.put({{"_id", "node//pc2"}, {"type", "node"}, {"meshid", kGroup}, {"name", "pc-two"}, {"domain", ""}, {"icon", 2}}));
    }
    server = std::make_unique<ServerProcess>(f.args());
    ASSERT_TRUE(server->running()) << server->output();
    port = server->https_port();
  }

  // The records of a type after the server stopped (--show*), by id.
  std::map<std::string, json> shown(const char* sw) {
    if (server) {
      EXPECT_EQ(server->stop(SIGTERM), 0) << server->output();
      server.reset();
    }
    auto [code, out] = f.run({sw});
    EXPECT_EQ(code, 0) << out;
    std::map<std::string, json> m;
    const auto start = out.find('[');
    if (start == std::string::npos) return m;
    for (const auto& r : json::parse(out.substr(start))) m[r["_id"].get<std::string>()] = r;
    return m;
  }
};

TEST_F(Meshctrl, ServerInfoAndUserInfo) {
  const auto info = lines(meshctrl(port, {"serverinfo"}));
  EXPECT_NE(std::find(info.begin(), info.end(), "name: mesh.test"), info.end()) << ::testing::PrintToString(info);
  EXPECT_NE(std::find(info.begin(), info.end(), "port: " + std::to_string(port)), info.end());
  EXPECT_NE(std::find(info.begin(), info.end(), "domain: "), info.end());
  const auto user = json::parse(meshctrl(port, {"userinfo", "--json"}));
  EXPECT_EQ(user["_id"], "user//admin");
  EXPECT_EQ(user["siteadmin"], 0xFFFFFFFFu);
  EXPECT_FALSE(user.contains("hash"));
  EXPECT_EQ(lines(meshctrl(port, {"serverinfo"}, "admin", "wrong")), std::vector<std::string>{"Invalid login."});
}

TEST_F(Meshctrl, UsersAddListRemove) {
  EXPECT_EQ(lines(meshctrl(port, {"adduser", "--user", "bob", "--pass", "Bob-pass123", "--email", "bob@example.com"})),
            std::vector<std::string>{"ok"});
  EXPECT_EQ(lines(meshctrl(port, {"adduser", "--user", "bob", "--pass", "Bob-pass123"})),
            std::vector<std::string>{"User already exists"});
  EXPECT_EQ(lines(meshctrl(port, {"listusers"})),
            (std::vector<std::string>{"id, name, email", "---------------", "\"admin\", \"admin\"", "\"bob\", \"bob\", \"bob@example.com\""}));
  // The new user can log in with meshctrl and sees no users list (no site rights).
  EXPECT_EQ(lines(meshctrl(port, {"listusers"}, "bob", "Bob-pass123")), std::vector<std::string>{"Access denied"});
  EXPECT_EQ(lines(meshctrl(port, {"adduser", "--user", "carl", "--pass", "Carl-pass123"})), std::vector<std::string>{"ok"});
  EXPECT_EQ(lines(meshctrl(port, {"removeuser", "--userid", "carl"})), std::vector<std::string>{"ok"});
  auto users = shown("--showusers");
  EXPECT_EQ(users.size(), 2u);
  ASSERT_TRUE(users.count("user//bob"));
  EXPECT_EQ(users["user//bob"]["email"], "bob@example.com");
  EXPECT_FALSE(users.count("user//carl"));
}

TEST_F(Meshctrl, DeviceGroupsAndTheirUsers) {
  ASSERT_EQ(lines(meshctrl(port, {"adduser", "--user", "dana", "--pass", "Dana-pass123"})), std::vector<std::string>{"ok"});
  const auto added = lines(meshctrl(port, {"adddevicegroup", "--name", "Office PCs", "--desc", "2nd floor"}));
  ASSERT_EQ(added.size(), 1u);
  ASSERT_EQ(added[0].rfind("ok mesh//", 0), 0u) << added[0];
  const std::string meshid = added[0].substr(3);
  const auto list = lines(meshctrl(port, {"listdevicegroups"}));
  ASSERT_EQ(list.size(), 4u) << ::testing::PrintToString(list);
  EXPECT_EQ(list[0], "id, name");
  EXPECT_NE(std::find(list.begin(), list.end(), "\"" + meshid.substr(6) + "\", \"Office PCs\""), list.end());
  EXPECT_NE(std::find(list.begin(), list.end(), "\"" + kGroup.substr(6) + "\", \"Lab\""), list.end());
  EXPECT_EQ(lines(meshctrl(port, {"addusertodevicegroup", "--group", "Office PCs", "--userid", "dana", "--remotecontrol", "--wakedevices"})),
            std::vector<std::string>{"Added user dana"});
  // Dana now sees that group, with the rights given.
  const auto dana = lines(meshctrl(port, {"listdevicegroups"}, "dana", "Dana-pass123"));
  EXPECT_EQ(dana, (std::vector<std::string>{"id, name", "---------------", "\"" + meshid.substr(6) + "\", \"Office PCs\""}));
  EXPECT_EQ(lines(meshctrl(port, {"removeuserfromdevicegroup", "--id", meshid, "--userid", "user//dana"})), std::vector<std::string>{"ok"});
  EXPECT_EQ(lines(meshctrl(port, {"listdevicegroups"}, "dana", "Dana-pass123")),
            (std::vector<std::string>{"id, name", "---------------"}));
  EXPECT_EQ(lines(meshctrl(port, {"addusertodevicegroup", "--id", meshid, "--userid", "dana", "--fullrights"})),
            std::vector<std::string>{"Added user dana"});
  EXPECT_EQ(lines(meshctrl(port, {"removedevicegroup", "--group", "Lab"})), std::vector<std::string>{"ok"});
  auto meshes = shown("--showmeshes");
  EXPECT_FALSE(meshes.count(kGroup));
  ASSERT_TRUE(meshes.count(meshid));
  EXPECT_EQ(meshes[meshid]["desc"], "2nd floor");
  EXPECT_EQ(meshes[meshid]["links"]["user//dana"]["rights"], 0xFFFFFFFFu);
  auto users = shown("--showusers");
  EXPECT_EQ(users["user//dana"]["links"][escaped(meshid)]["rights"], 0xFFFFFFFFu);
  EXPECT_FALSE(users["user//admin"]["links"].contains(kGroup));
  EXPECT_TRUE(shown("--shownodes").empty());  // the Lab group's devices went with it
}

TEST_F(Meshctrl, DevicesAndEvents) {
  const auto devs = lines(meshctrl(port, {"listdevices"}));
  EXPECT_EQ(devs, (std::vector<std::string>{"", "Device group: \"Lab\"", "id, name, icon, conn, pwr", "-------------------------",
                                            "\"pc1\", \"pc-one\", 1, 0, 0", "\"pc2\", \"pc-two\", 2, 0, 0"}));
  const auto by_group = json::parse(meshctrl(port, {"listdevices", "--group", "Lab", "--json"}));
  ASSERT_EQ(by_group.size(), 2u);
  EXPECT_EQ(by_group[0]["meshid"], kGroup);
  EXPECT_EQ(lines(meshctrl(port, {"listdevices", "--count"})), std::vector<std::string>{"2"});
  ASSERT_EQ(lines(meshctrl(port, {"adduser", "--user", "eve", "--pass", "Eve-pass1234"})), std::vector<std::string>{"ok"});
  const auto events = lines(meshctrl(port, {"listevents"}));
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[0], "time,type,action,nodeid,userid,msg");
  EXPECT_NE(events[1].find(R"(,"user","accountcreate",,"user//admin","Account created, username is eve")"), std::string::npos) << events[1];
  const auto limited = json::parse(meshctrl(port, {"listevents", "--limit", "1", "--json"}));
  EXPECT_EQ(limited.size(), 1u);
  // Eve (no site rights) does not see server-wide user events.
  EXPECT_EQ(lines(meshctrl(port, {"listevents"}, "eve", "Eve-pass1234")), std::vector<std::string>{"time,type,action,nodeid,userid,msg"});
}

}  // namespace
