// Device icon kinds as the app reads a node's "icon" (webclient/src/device_icons.hpp): MeshCentral's
// 1..8, and what a record without one, or with a value from elsewhere, shows.
#include "device_icons.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace mw::web {
namespace {

TEST(DeviceIcons, MeshCentralsEightKinds) {
  EXPECT_STREQ(device_icon_name(1), "Desktop computer");
  EXPECT_STREQ(device_icon_name(2), "Laptop");
  EXPECT_STREQ(device_icon_name(3), "Phone");
  EXPECT_STREQ(device_icon_name(4), "Server");
  EXPECT_STREQ(device_icon_name(5), "Storage");
  EXPECT_STREQ(device_icon_name(6), "Network device");
  EXPECT_STREQ(device_icon_name(7), "Embedded board");
  EXPECT_STREQ(device_icon_name(8), "Virtual machine");
  std::set<std::string> names;
  for (int i = 1; i <= kDeviceIconCount; ++i) {
    EXPECT_EQ(device_icon_kind(i), i);
    names.insert(device_icon_name(i));
  }
  EXPECT_EQ(names.size(), 8u);
}

TEST(DeviceIcons, UnsetOrOutOfRangeIsTheDesktop) {
  for (const int v : {0, -1, 9, 100, -2147483647 - 1, 2147483647}) {
    EXPECT_EQ(device_icon_kind(v), 1) << v;
    EXPECT_STREQ(device_icon_name(v), "Desktop computer") << v;
  }
}

}  // namespace
}  // namespace mw::web
