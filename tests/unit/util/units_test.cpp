// mw/util/units.hpp: sizes as the app, the server and the agent show them.
#include <gtest/gtest.h>

#include "mw/util/units.hpp"

namespace mw::util {
namespace {

TEST(Units, SizesReadAsPeopleWriteThem) {
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(1023), "1023 B");
  EXPECT_EQ(human_bytes(1024), "1.0 KiB");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(10 * 1024 - 1), "10.0 KiB");  // rounds, one decimal under 10
  EXPECT_EQ(human_bytes(25u << 20), "25 MiB");
  EXPECT_EQ(human_bytes(1u << 30), "1.0 GiB");
  EXPECT_EQ(human_bytes(~std::uint64_t{0}), "16384 PiB");  // the largest unit holds the rest
}

}  // namespace
}  // namespace mw::util
