// Control-channel message encoding and parsing, including malformed messages.
#include <gtest/gtest.h>

#include "mw/proto/control.hpp"

namespace {

using mw::proto::ControlMessage;
using mw::proto::ServerInfo;

TEST(Control, ServerInfoRoundTrips) {
  ServerInfo info{"mesh.example.com", "1.2.3", "customer1", 8443, 4433};
  auto parsed = mw::proto::parse_control_message(mw::proto::encode(info));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_TRUE(std::holds_alternative<ServerInfo>(parsed.value()));
  EXPECT_EQ(std::get<ServerInfo>(parsed.value()), info);
  info.emailcheck = true;
  parsed = mw::proto::parse_control_message(mw::proto::encode(info));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_TRUE(std::get<ServerInfo>(parsed.value()).emailcheck);
}

TEST(Control, UnknownActionIsKept) {
  auto parsed = mw::proto::parse_control_message(R"({"action":"wssessioncount","wssessions":{}})");
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(std::holds_alternative<mw::proto::UnknownAction>(parsed.value()));
  EXPECT_EQ(std::get<mw::proto::UnknownAction>(parsed.value()).action, "wssessioncount");
}

TEST(Control, UserInfoWithRights) {
  auto p = mw::proto::parse_control_message(
      R"({"action":"userinfo","userinfo":{"_id":"user//admin","name":"admin","siteadmin":4294967295,)"
      R"("email":"admin@example.com","emailVerified":true,)"
      R"("links":{"mesh//abc":{"rights":12},"node//x":{"rights":8},"mesh//bad":{"rights":"x"}}}})");
  ASSERT_TRUE(p.ok());
  const auto& u = std::get<mw::proto::UserInfo>(p.value());
  EXPECT_EQ(u.id, "user//admin");
  EXPECT_EQ(u.email, "admin@example.com");
  EXPECT_TRUE(u.email_verified);
  EXPECT_EQ(u.siteadmin, 0xFFFFFFFFu);
  EXPECT_EQ(u.mesh_rights.size(), 2u);  // device links are not group rights
  EXPECT_EQ(u.mesh_rights.at("mesh//abc"), 12u);
  EXPECT_EQ(u.mesh_rights.at("mesh//bad"), 0u);
}

TEST(Control, GroupsAndDevicesSkipOddEntries) {
  auto g = mw::proto::parse_control_message(
      R"({"action":"meshes","meshes":[{"_id":"mesh//a","name":"Lab","mtype":2,"desc":"d"},{"name":"no id"},7]})");
  ASSERT_TRUE(g.ok());
  const auto& groups = std::get<mw::proto::DeviceGroups>(g.value()).groups;
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].name, "Lab");
  auto n = mw::proto::parse_control_message(
      R"({"action":"nodes","nodes":{"mesh//a":[{"_id":"node//1","name":"pc","host":"10.0.0.1","icon":3,"tags":["x",5,"y"],)"
      R"("meshid":"mesh//a"},{"_id":5}],"mesh//b":"oops"},"responseid":"r"})");
  ASSERT_TRUE(n.ok());
  const auto& devices = std::get<mw::proto::Devices>(n.value()).devices;
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].meshid, "mesh//a");
  EXPECT_EQ(devices[0].icon, 3);
  EXPECT_EQ(devices[0].tags, (std::vector<std::string>{"x", "y"}));
}

TEST(Control, EventsCloseAndRequests) {
  auto e = mw::proto::parse_control_message(
      R"({"action":"event","event":{"etype":"node","action":"changenode","nodeid":"node//1","meshid":"mesh//a",)"
      R"("node":{"_id":"node//1","name":"renamed","meshid":"mesh//a"},"msg":"Changed"}})");
  ASSERT_TRUE(e.ok());
  const auto& ev = std::get<mw::proto::Event>(e.value());
  EXPECT_EQ(ev.action, "changenode");
  ASSERT_TRUE(ev.node.has_value());
  EXPECT_EQ(ev.node->name, "renamed");
  EXPECT_EQ(ev.node->meshid, "mesh//a");
  EXPECT_FALSE(ev.mesh.has_value());
  EXPECT_FALSE(ev.conn.has_value());
  EXPECT_FALSE(ev.pwr.has_value());
  // A presence change carries the connection bits and power state at the event's top level.
  auto nc = mw::proto::parse_control_message(
      R"({"action":"event","event":{"etype":"node","action":"nodeconnect","nodeid":"node//2","meshid":"mesh//a","conn":2,"pwr":6,"nolog":1}})");
  ASSERT_TRUE(nc.ok());
  const auto& ncev = std::get<mw::proto::Event>(nc.value());
  EXPECT_EQ(ncev.conn, 2);
  EXPECT_EQ(ncev.pwr, 6);
  EXPECT_FALSE(ncev.node.has_value());
  // Hostile values become 0 rather than anything out of range.
  auto bad = mw::proto::parse_control_message(R"({"action":"event","event":{"etype":"node","conn":"x","pwr":-5}})");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(std::get<mw::proto::Event>(bad.value()).conn, 0);
  EXPECT_EQ(std::get<mw::proto::Event>(bad.value()).pwr, 0);
  EXPECT_EQ(mw::proto::parse_control_message(R"({"action":"event"})").error().code, "bad-message");
  auto c = mw::proto::parse_control_message(R"({"action":"close","cause":"noauth","msg":"noauth","reason":"Not logged in."})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(std::get<mw::proto::Close>(c.value()).reason, "Not logged in.");
  EXPECT_EQ(mw::proto::encode_request("meshes"), R"({"action":"meshes"})");
}

TEST(Control, MalformedMessagesAreErrors) {
  EXPECT_EQ(mw::proto::parse_control_message("{").error().code, "bad-json");
  EXPECT_EQ(mw::proto::parse_control_message("[1,2]").error().code, "bad-message");
  EXPECT_EQ(mw::proto::parse_control_message(R"({"action":5})").error().code, "bad-message");
  EXPECT_EQ(mw::proto::parse_control_message(R"({"action":"serverinfo"})").error().code, "bad-message");
  EXPECT_EQ(mw::proto::parse_control_message(R"({"action":"serverinfo","serverinfo":{"port":"x"}})")
                .error()
                .code,
            "bad-message");
  EXPECT_EQ(mw::proto::parse_control_message(R"({"action":"serverinfo","serverinfo":{"port":70000}})")
                .error()
                .code,
            "bad-message");
  std::string nul("{\"action\":\"serverinfo\"\0}", 25);
  EXPECT_FALSE(mw::proto::parse_control_message(nul).ok());
}

}  // namespace
