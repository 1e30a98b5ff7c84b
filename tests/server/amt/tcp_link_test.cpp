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

// The digests of "abc" are the FIPS 180 examples, standing in for a certificate's DER bytes.
TEST(LanTarget, APinMatchesItsOwnDigestOnly) {
  const std::string sha1 = "a9993e364706816aba3e25717850c26c9cd0d89d";
  const std::string sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  const std::string sha384 = "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7";
  const std::string abc = "abc";
  const std::span<const unsigned char> der(reinterpret_cast<const unsigned char*>(abc.data()), abc.size());
  EXPECT_TRUE(certificate_matches(sha384, der));
  // Upper case (as some tools print fingerprints) is the same pin.
  std::string upper = sha384;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(certificate_matches(upper, der));
  // MeshCentral's pins: SHA-1 fingerprints (what its amtmanager records), SHA-256 read too.
  EXPECT_TRUE(certificate_matches(sha1, der));
  EXPECT_TRUE(certificate_matches(sha256, der));
  for (std::string other : {sha1, sha256, sha384}) {
    other.back() = other.back() == '0' ? '1' : '0';
    EXPECT_FALSE(certificate_matches(other, der)) << other;
  }
  const std::string abd = "abd";
  EXPECT_FALSE(certificate_matches(sha384, std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(abd.data()), 3)));
  // Anything else is no pin a certificate can match.
  EXPECT_FALSE(certificate_matches(sha384.substr(0, 50), der));
  EXPECT_FALSE(certificate_matches("", der));
  EXPECT_FALSE(certificate_matches(sha384, {}));
}

}  // namespace
