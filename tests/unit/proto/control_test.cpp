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
}

TEST(Control, UnknownActionIsKept) {
  auto parsed = mw::proto::parse_control_message(R"({"action":"nodes","nodes":{}})");
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(std::holds_alternative<mw::proto::UnknownAction>(parsed.value()));
  EXPECT_EQ(std::get<mw::proto::UnknownAction>(parsed.value()).action, "nodes");
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
