// The "peers" section, the peer proof, and how the presence table merges what peer servers
// report with this server's own connections.
#include <gtest/gtest.h>

#include "accounts/presence.hpp"
#include "peers/peer_settings.hpp"

namespace {

using namespace mw::server;
using nlohmann::json;

TEST(PeerSettings, ParsesMeshCentralsSection) {
  std::vector<std::string> warnings;
  auto s = peers::parse_peer_settings(json::parse(R"({"serverid":"one","servers":{
      "one":{"url":"wss://10.0.0.1:443/"},"two":{"url":"wss://[fd00::2]:8443/mesh/"},"three":{"url":"ws://10.0.0.3"},
      "_four":{"url":"nonsense"}},"extra":1})"),
                                      warnings);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->server_id, "one");
  ASSERT_EQ(s->servers.size(), 2u);  // itself and the commented-out one are not peers
  const auto* two = s->find("two");
  ASSERT_NE(two, nullptr);
  EXPECT_TRUE(two->tls);
  EXPECT_EQ(two->host, "fd00::2");
  EXPECT_EQ(two->port, "8443");
  EXPECT_EQ(two->path, "/mesh/");
  const auto* three = s->find("three");
  ASSERT_NE(three, nullptr);
  EXPECT_FALSE(three->tls);
  EXPECT_EQ(three->port, "80");
  EXPECT_EQ(three->path, "/");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("peers.extra"), std::string::npos);
}

TEST(PeerSettings, RefusesWhatCannotWork) {
  std::vector<std::string> w;
  const auto error = [&](const char* text) {
    auto s = peers::parse_peer_settings(json::parse(text), w);
    return s ? std::string("accepted") : s.error().message;
  };
  EXPECT_NE(error(R"({"servers":{"a":{"url":"wss://h/"}}})").find("serverId must name this server"), std::string::npos);
  EXPECT_NE(error(R"({"serverid":"b","servers":{"a":{"url":"wss://h/"}}})").find("\"b\" is not one of peers.servers"), std::string::npos);
  EXPECT_NE(error(R"({"serverid":"a","servers":{"a":{"url":"https://h/"}}})").find("must start with wss://"), std::string::npos);
  EXPECT_NE(error(R"({"serverid":"a","servers":{"a":{"url":"wss://h/"},"b":{"url":"wss://h:99999/"}}})").find("port"), std::string::npos);
  EXPECT_NE(error(R"({"serverid":"a","servers":{"a":{"url":"wss://h/"},"b c":{"url":"wss://h/"}}})").find("a server id may use"), std::string::npos);
  EXPECT_NE(error(R"({"serverid":"a","servers":{"a":{"url":"wss:///"}}})").find("has no host"), std::string::npos);
  EXPECT_NE(error(R"({"serverid":"a","servers":{"a":{"url":"wss://h/?x=1"}}})").find("query"), std::string::npos);
  EXPECT_NE(error(R"({"serverid":"a","servers":{"a":{"url":5}}})").find("url must be a string"), std::string::npos);
  EXPECT_NE(error(R"([1])").find("must be an object"), std::string::npos);
}

TEST(PeerProof, DependsOnEveryField) {
  const std::vector<std::uint8_t> key(48, 7), other(48, 8);
  const auto base = peers::peer_proof(key, "dialer", "a", "b", "n1", "n2", "bind");
  EXPECT_EQ(base.size(), 96u);  // SHA-384, hex
  EXPECT_EQ(base, peers::peer_proof(key, "dialer", "a", "b", "n1", "n2", "bind"));
  EXPECT_NE(base, peers::peer_proof(other, "dialer", "a", "b", "n1", "n2", "bind"));
  EXPECT_NE(base, peers::peer_proof(key, "acceptor", "a", "b", "n1", "n2", "bind"));  // no reflection
  EXPECT_NE(base, peers::peer_proof(key, "dialer", "b", "a", "n1", "n2", "bind"));
  EXPECT_NE(base, peers::peer_proof(key, "dialer", "a", "b", "n2", "n1", "bind"));
  EXPECT_NE(base, peers::peer_proof(key, "dialer", "a", "b", "n1", "n2", "other-channel"));  // no replay elsewhere
  EXPECT_NE(base, peers::peer_proof(key, "dialer", "ab", "", "n1", "n2", "bind"));  // fields do not run together
}

TEST(PresenceMerge, APeersDevicesAreOnlineHereUntilItsLinkDrops) {
  accounts::PresenceTable t;
  std::vector<std::pair<std::string, accounts::PresenceState>> seen;
  t.set_observer([&](const std::string& n, const accounts::PresenceState& s) { seen.emplace_back(n, s); });
  // A device the peer holds.
  auto merged = t.set_remote("beta", "node//x", {"mesh//g", 1, 1, 1000});
  EXPECT_EQ(merged.conn, 1u);
  ASSERT_TRUE(t.get("node//x"));
  EXPECT_EQ(t.get("node//x")->pwr, 1);
  EXPECT_TRUE(t.any_in_mesh("mesh//g"));
  EXPECT_EQ(t.count(accounts::conn_bit::kAgent), 0u);  // not connected to this server
  EXPECT_EQ(t.remote_server_of("node//x", accounts::conn_bit::kAgent), "beta");
  EXPECT_EQ(t.remote_server_of("node//x", accounts::conn_bit::kCira), "");
  EXPECT_TRUE(seen.empty());  // the observer hears of this server's own changes only
  // Its CIRA connection here: the states merge.
  merged = t.connect("node//x", "mesh//g", accounts::conn_bit::kCira, accounts::power::kPresent, 500);
  EXPECT_EQ(merged.conn, 3u);
  EXPECT_EQ(merged.pwr, 1);  // the peer's real power state wins over "present"
  EXPECT_EQ(merged.ct, 500);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].second.conn, 2u);  // what the peers are told: this server's own
  EXPECT_EQ(t.local_snapshot().size(), 1u);
  // The peer's link drops: still online through CIRA here.
  auto dropped = t.drop_server("beta");
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].second.conn, 2u);
  EXPECT_EQ(t.remote_server_of("node//x", accounts::conn_bit::kAgent), "");
  // This server's connection goes too: offline, in its group.
  merged = t.disconnect("node//x", accounts::conn_bit::kCira);
  EXPECT_EQ(merged.conn, 0u);
  EXPECT_EQ(merged.meshid, "mesh//g");
  EXPECT_FALSE(t.get("node//x"));
  EXPECT_FALSE(t.any_in_mesh("mesh//g"));
  // A peer reporting conn 0 forgets the device; a group move follows remote entries too.
  t.set_remote("beta", "node//y", {"mesh//g", 1, 1, 1});
  t.relocate("node//y", "mesh//h");
  EXPECT_TRUE(t.any_in_mesh("mesh//h"));
  EXPECT_FALSE(t.any_in_mesh("mesh//g"));
  merged = t.set_remote("beta", "node//y", {"mesh//h", 0, 0, 0});
  EXPECT_EQ(merged.conn, 0u);
  EXPECT_FALSE(t.any_in_mesh("mesh//h"));
}

}  // namespace
