// LAN discovery: the packets (MeshCentral's text, hostile input, the optional AES-256-CBC key)
// and the server's responder on real UDP multicast over loopback: an agent's probe with the
// ServerID, a MeshServerScan probe, another server's id, the key, and the answer rate limit.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/udp.hpp>

#include <chrono>
#include <optional>
#include <thread>

#include "agents/lan_discovery.hpp"
#include "mw/native/lan_discovery.hpp"

namespace mw::server::agents {
namespace {

namespace asio = boost::asio;
using udp = asio::ip::udp;
namespace nd = native::discovery;

const std::string kId = std::string(48, 'a') + std::string(48, '7');
const std::string kIdUpper = std::string(48, 'A') + std::string(48, '7');

TEST(LanDiscoveryPackets, MeshCentralsTextBothWays) {
  const std::string wire = "MeshCentral2|" + kIdUpper + "|wss://%s:443/agent.ashx";
  EXPECT_EQ(nd::format({kId, "wss://%s:443/agent.ashx", "", ""}), wire);
  const auto a = nd::parse(wire);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->server_id, kIdUpper);
  EXPECT_EQ(nd::url_for(*a, "192.168.1.20"), "wss://192.168.1.20:443/agent.ashx");
  EXPECT_EQ(nd::url_for(*a, "fe80::1"), "wss://[fe80::1]:443/agent.ashx");
  EXPECT_EQ(nd::url_for(*nd::parse("MeshCentral2|" + kId + "|wss://[%s]:443/agent.ashx"), "fe80::1"), "wss://[fe80::1]:443/agent.ashx");
  EXPECT_EQ(nd::url_for(*nd::parse("MeshCentral2|" + kId + "|wss://mesh.example:443/agent.ashx"), "10.0.0.1"),
            "wss://mesh.example:443/agent.ashx");
  const auto scan = nd::parse("MeshCentral2|" + kId + "|wss://%s:443/agent.ashx|Office server|mesh.example");
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->name, "Office server");
  EXPECT_EQ(scan->info, "mesh.example");
  EXPECT_EQ(nd::probe(kId), kIdUpper);
  EXPECT_TRUE(nd::is_probe_for(nd::probe(kId), kId));
  EXPECT_TRUE(nd::is_probe_for(kIdUpper, kId));
  EXPECT_FALSE(nd::is_probe_for(kId.substr(1), kId));
  EXPECT_FALSE(nd::is_probe_for(std::string(96, 'b'), kId));
}

TEST(LanDiscoveryPackets, HostilePacketsAreNotAnswers) {
  const std::string ok = "|wss://%s:443/agent.ashx";
  for (const std::string& bad : std::vector<std::string>{
           "", "MeshCentral2", "MeshCentral2|", "MeshCentral1|" + kId + ok, "MeshCentral2|" + kId.substr(2) + ok,
           "MeshCentral2|" + std::string(96, 'g') + ok, "MeshCentral2|" + kId + "|https://h/agent.ashx",
           "MeshCentral2|" + kId + ok + "|name", "MeshCentral2|" + kId + ok + "|a|b|c",
           "MeshCentral2|" + kId + "|wss://h\n:1/agent.ashx", "MeshCentral2|" + kId + "|wss://h /x",
           "MeshCentral2|" + kId + ok + "|" + std::string(2000, 'n') + "|i", std::string("MeshCentral2|\0", 14)}) {
    EXPECT_FALSE(nd::parse(bad)) << bad.substr(0, 80);
  }
}

TEST(LanDiscoveryPackets, KeyedPacketsOpenOnlyWithTheKey) {
  const nd::Cipher none(""), key("lan-secret"), other("another");
  EXPECT_FALSE(none.enabled());
  EXPECT_EQ(none.seal("x"), "x");
  const std::string sealed = key.seal(kIdUpper);
  EXPECT_EQ(sealed.size(), 16u + 112u);  // IV, then 96 bytes padded to whole blocks
  EXPECT_EQ(key.open(sealed), kIdUpper);
  EXPECT_NE(key.seal(kIdUpper), sealed);  // a fresh IV each time
  EXPECT_NE(other.open(sealed), std::optional<std::string>(kIdUpper));
  for (const std::string& bad : {std::string(), std::string(16, 'x'), std::string(33, 'x'), kIdUpper, std::string(4096, 'x')}) {
    EXPECT_FALSE(key.open(bad)) << bad.size();
  }
}

// A free UDP port on loopback (bound, read, released).
std::uint16_t free_udp_port() {
  asio::io_context io;
  udp::socket s(io, udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  return s.local_endpoint().port();
}

class LanResponder : public ::testing::Test {
 protected:
  void start(const std::string& key = "") {
    settings.lan_only = true;
    settings.cert = "office-server";
    settings.port_bind = "127.0.0.1";  // as the tests' servers: loopback only, which the answers name
    settings.discovery_port = free_udp_port();
    settings.discovery_key = key;
    server = std::make_unique<LanDiscovery>(io, settings, "Office", kId, 8443);
    ASSERT_TRUE(server->start()) << server->error();
    ASSERT_EQ(server->joined(), 1u);  // loopback, the bound address's interface, only
    thread = std::thread([this] { io.run(); });
  }
  void TearDown() override {
    io.stop();
    if (thread.joinable()) thread.join();
  }
  // Sends `packet` to the discovery group through the loopback interface, as an agent on this
  // computer does; the answers that arrive within `wait`.
  std::vector<std::string> ask(const std::string& packet, int count = 1, std::chrono::milliseconds wait = std::chrono::milliseconds(1500)) {
    asio::io_context cio;
    udp::socket s(cio, udp::endpoint(udp::v4(), 0));
    s.set_option(asio::ip::multicast::outbound_interface(asio::ip::make_address_v4("127.0.0.1")));
    s.set_option(asio::ip::multicast::enable_loopback(true));
    const udp::endpoint group(asio::ip::make_address_v4(nd::kGroup4), settings.discovery_port);
    for (int i = 0; i < count; ++i) s.send_to(asio::buffer(packet), group);
    std::vector<std::string> answers;
    s.non_blocking(true);
    const auto deadline = std::chrono::steady_clock::now() + wait;
    std::array<char, 2048> buf{};
    while (std::chrono::steady_clock::now() < deadline) {
      udp::endpoint from;
      boost::system::error_code ec;
      const auto n = s.receive_from(asio::buffer(buf), from, 0, ec);
      if (!ec) {
        answers.emplace_back(buf.data(), n);
        if (answers.size() == static_cast<std::size_t>(count)) break;
        continue;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return answers;
  }
  asio::io_context io;
  Settings settings;
  std::unique_ptr<LanDiscovery> server;
  std::thread thread;
};

TEST_F(LanResponder, AnswersItsServerIdAndScansOverMulticast) {
  start();
  auto answers = ask(kIdUpper);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0], "MeshCentral2|" + kIdUpper + "|wss://127.0.0.1:8443/agent.ashx");
  answers = ask(kId);  // the id in lower case is the same id
  ASSERT_EQ(answers.size(), 1u);
  answers = ask("MeshServerScan");
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0], "MeshCentral2|" + kIdUpper + "|wss://127.0.0.1:8443/agent.ashx|Office|office-server");
  // Another server's id, and noise, get nothing.
  EXPECT_TRUE(ask(std::string(96, 'B'), 1, std::chrono::milliseconds(300)).empty());
  EXPECT_TRUE(ask("hello", 1, std::chrono::milliseconds(300)).empty());
}

TEST_F(LanResponder, WithAKeyOnlySealedProbesAreAnswered) {
  start("lan-secret");
  EXPECT_TRUE(ask(kIdUpper, 1, std::chrono::milliseconds(300)).empty());
  const nd::Cipher key("lan-secret");
  const auto answers = ask(key.seal(kIdUpper));
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(key.open(answers[0]), "MeshCentral2|" + kIdUpper + "|wss://127.0.0.1:8443/agent.ashx");
  EXPECT_TRUE(ask(nd::Cipher("wrong").seal(kIdUpper), 1, std::chrono::milliseconds(300)).empty());
}

TEST_F(LanResponder, AFloodOfProbesGetsAtMostTheRateOfAnswers) {
  start();
  const auto answers = ask(kIdUpper, 400, std::chrono::milliseconds(800));
  EXPECT_GE(answers.size(), 10u);
  // The bucket holds kAnswersPerSecond and refills at that rate: under a second of probes gets
  // at most twice that, however many were sent.
  EXPECT_LE(answers.size(), static_cast<std::size_t>(2 * LanDiscovery::kAnswersPerSecond));
}

}  // namespace
}  // namespace mw::server::agents
