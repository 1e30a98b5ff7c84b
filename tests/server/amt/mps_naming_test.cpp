// MeshCentral's CIRA naming, as the MPS applies it: user names from device group ids and device
// ids from system UUIDs (cross-checked with the values MeshCentral's MPS produced for amtsim
// devices in tests/peers/redir/amtsim_test.cpp).
#include <gtest/gtest.h>

#include "accounts/model.hpp"
#include "amt/mps_server.hpp"

namespace {

using namespace mw::server::amt;
using mw::server::accounts::cira_username;

TEST(MpsNaming, CiraUserNameIsTheGroupIdsFirst16CharactersWithoutAtOrDollar) {
  EXPECT_EQ(cira_username("mesh//Amt@Group$Id00000000000000000000"), "AmtXGroupXId0000");
  EXPECT_EQ(cira_username("mesh/acme/abcdefghijklmnopqrstuvwxyz"), "abcdefghijklmnop");
  EXPECT_EQ(cira_username("mesh//short"), "short");
}

TEST(MpsNaming, DeviceIdIsTheUuidInTextOrderThreeTimesInBase64) {
  // Wire bytes of AMT's UUID: the first three groups little-endian.
  const mw::apf::Uuid wire = {0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xef, 0x4d,
                              0x81, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  EXPECT_EQ(mw::apf::uuid_to_string(wire), "12345678-9abc-4def-8123-456789abcdef");
  // base64 of 12 34 56 78 9a bc 4d ef 81 23 45 67 89 ab cd ef (×3), '+' '/' as '@' '$'.
  EXPECT_EQ(cira_node_id("", wire), "node//EjRWeJq8Te@BI0VniavN7xI0VniavE3vgSNFZ4mrze8SNFZ4mrxN74EjRWeJq83v");
}

}  // namespace
