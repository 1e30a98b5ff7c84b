// LAN devices: what a device record says about reaching it (host, TLS, pinned certificate), and
// the pin check, including MeshCentral's SHA-1 pins of imported records. The TLS connection
// itself is tested against amtsim --tls in tests/integration/mps_test.cpp.
#include <gtest/gtest.h>

#include "amt/tcp_link.hpp"

namespace {

using mw::server::amt::certificate_matches;
using mw::server::amt::lan_target;
using nlohmann::json;

const std::string kSha384 = "eaf60af5da8aa4d9437ed6cea0564e793fc218ad4dc665b2f6654f30b9d469473775b813e9ffdba5a94223dbeab4dd1f";
const std::string kSha1 = "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12";

TEST(LanTarget, ReadsHostTlsAndPinFromTheDeviceRecord) {
  auto t = lan_target(json{{"intelamt", {{"host", "pc.lab"}, {"uuid", "u"}, {"tls", 1}, {"hash", kSha384}}}});
  EXPECT_EQ(t.host, "pc.lab");
  EXPECT_EQ(t.uuid, "u");
  EXPECT_TRUE(t.tls);
  EXPECT_EQ(t.pin, kSha384);
  EXPECT_FALSE(lan_target(json{{"intelamt", {{"host", "pc"}, {"tls", 0}}}}).tls);
  EXPECT_TRUE(lan_target(json{{"intelamt", {{"host", "pc"}, {"tls", true}}}}).tls);
  // Mistyped fields of an imported record read as absent, never throw.
  t = lan_target(json{{"intelamt", {{"host", 5}, {"tls", "1"}, {"hash", json::array()}}}});
  EXPECT_EQ(t.host, "");
  EXPECT_FALSE(t.tls);
  EXPECT_EQ(t.pin, "");
  EXPECT_EQ(lan_target(json{{"intelamt", "x"}}).host, "");
  EXPECT_EQ(lan_target(json::object()).host, "");
}

TEST(LanTarget, APinMatchesItsOwnDigestOnly) {
  EXPECT_TRUE(certificate_matches(kSha384, kSha384, kSha1));
  // Upper case (as some tools print fingerprints) is the same pin.
  std::string upper = kSha384;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(certificate_matches(upper, kSha384, kSha1));
  // MeshCentral's pins are SHA-1 fingerprints.
  EXPECT_TRUE(certificate_matches(kSha1, kSha384, kSha1));
  std::string other = kSha384;
  other.back() = '0';
  EXPECT_FALSE(certificate_matches(other, kSha384, kSha1));
  EXPECT_FALSE(certificate_matches(kSha1.substr(0, 39) + "0", kSha384, kSha1));
  // Anything else is no pin a certificate can match.
  EXPECT_FALSE(certificate_matches(kSha384.substr(0, 64), kSha384, kSha1));
  EXPECT_FALSE(certificate_matches("", kSha384, kSha1));
  EXPECT_FALSE(certificate_matches("", "", ""));
}

}  // namespace
