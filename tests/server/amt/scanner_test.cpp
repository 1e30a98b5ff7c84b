// "Scan network": range syntax and limits, what counts as an Intel AMT answer, and a real scan of
// loopback addresses where a listener answers as Intel AMT does, one answers as another web
// server, one accepts and says nothing (the probe times out) and the rest refuse.
#include "amt/amt_scanner.hpp"

#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <atomic>
#include <thread>

namespace mw::server::amt {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

TEST(AmtScanner, Ranges) {
  auto one = parse_ipv4_range("192.168.1.5");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->first, 0xC0A80105u);
  EXPECT_EQ(one->size(), 1u);
  auto span = parse_ipv4_range(" 10.0.0.250 - 10.0.1.4 ");
  ASSERT_TRUE(span.ok()) << span.error().message;
  EXPECT_EQ(span->size(), 11u);
  EXPECT_EQ(ipv4_text(span->first), "10.0.0.250");
  EXPECT_EQ(ipv4_text(span->last), "10.0.1.4");
  auto net = parse_ipv4_range("172.16.5.77/24");
  ASSERT_TRUE(net.ok());
  EXPECT_EQ(ipv4_text(net->first), "172.16.5.0");
  EXPECT_EQ(ipv4_text(net->last), "172.16.5.255");
  EXPECT_EQ(parse_ipv4_range("10.0.0.0/20")->size(), 4096u);
  EXPECT_EQ(parse_ipv4_range("10.0.0.0/19").error().code, "too-large");
  EXPECT_EQ(parse_ipv4_range("10.0.0.0-10.0.16.0").error().code, "too-large");
  EXPECT_EQ(parse_ipv4_range("10.0.0.9-10.0.0.1").error().code, "bad-range");
  for (const char* bad : {"", "10.0.0", "10.0.0.256", "10.0.0.1.2", "a.b.c.d", "10.0.0.1/33", "10.0.0.1/", "-", "10.0.0.1-",
                          "1000.0.0.1", "10.0.0.01x", "10..0.1"}) {
    EXPECT_FALSE(parse_ipv4_range(bad).ok()) << bad;
  }
}

TEST(AmtScanner, ProbeAnswers) {
  const std::string amt =
      "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"Digest:0123456789ABCDEF0123456789ABCDEF\", "
      "nonce=\"abc\", qop=\"auth\"\r\nContent-Type: text/html\r\nServer: Intel(R) Active Management Technology 16.1.25\r\n"
      "Content-Length: 42\r\n\r\n";
  auto hit = read_probe_answer("10.0.0.7", amt);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->address, "10.0.0.7");
  EXPECT_EQ(hit->version, "16.1.25");
  EXPECT_EQ(hit->realm, "Digest:0123456789ABCDEF0123456789ABCDEF");
  // The realm alone is enough (a Server header may be absent), and so is the Server header.
  EXPECT_TRUE(read_probe_answer("a", "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"Digest:0123456789ABCDEF0123456789ABCDEF\", nonce=\"x\"\r\n\r\n"));
  EXPECT_TRUE(read_probe_answer("a", "HTTP/1.1 404 Not Found\r\nServer: Intel(R) Active Management Technology 11.8.50\r\n\r\n"));
  // Other servers, and garbage, are not Intel AMT.
  EXPECT_FALSE(read_probe_answer("a", "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"router\", nonce=\"x\"\r\n\r\n"));
  EXPECT_FALSE(read_probe_answer("a", "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 5\r\n\r\n"));
  EXPECT_FALSE(read_probe_answer("a", "SSH-2.0-OpenSSH_9.2\r\n\r\n"));
  EXPECT_FALSE(read_probe_answer("a", std::string(5000, 'x')));
  EXPECT_FALSE(read_probe_answer("a", ""));
}

// Listeners on 127.0.0.1, 127.0.0.2 and 127.0.0.3 (one port for all; Linux routes 127/8 to lo).
TEST(AmtScanner, ScansARangeWithBoundedProbes) {
  asio::io_context ioc;
  tcp::acceptor amt(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.2"), 0));
  const auto port = amt.local_endpoint().port();
  tcp::acceptor web(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.3"), port));
  tcp::acceptor silent(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.4"), port));
  std::vector<std::shared_ptr<tcp::socket>> keep;
  auto serve = [&](tcp::acceptor& a, std::string answer) {
    auto s = std::make_shared<tcp::socket>(ioc);
    a.async_accept(*s, [&, s, answer](boost::system::error_code ec) {
      if (ec) return;
      keep.push_back(s);
      auto buf = std::make_shared<asio::streambuf>();
      asio::async_read_until(*s, *buf, "\r\n\r\n", [s, buf, answer](boost::system::error_code e, std::size_t) {
        if (!e) asio::write(*s, asio::buffer(answer));
      });
    });
  };
  serve(amt, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"Digest:0123456789ABCDEF0123456789ABCDEF\", "
             "nonce=\"n\", qop=\"auth\"\r\nServer: Intel(R) Active Management Technology 12.0.45\r\nContent-Length: 0\r\n\r\n");
  serve(web, "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 0\r\n\r\n");
  auto silent_socket = std::make_shared<tcp::socket>(ioc);
  silent.async_accept(*silent_socket, [](boost::system::error_code) {});  // accepts, never answers

  AmtScanner scanner(ioc.get_executor(), port);
  std::vector<ScanHit> hits;
  bool done = false;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(scanner.scan(*parse_ipv4_range("127.0.0.1-127.0.0.40"), [&](std::vector<ScanHit> h) {
    hits = std::move(h);
    done = true;
  }));
  EXPECT_EQ(scanner.running(), 1u);
  ioc.run_for(std::chrono::seconds(10));
  ASSERT_TRUE(done);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].address, "127.0.0.2");
  EXPECT_EQ(hits[0].version, "12.0.45");
  EXPECT_EQ(scanner.running(), 0u);
  // Paced (40 probes, one per 4 ms at most) and bounded by the silent one's timeout.
  EXPECT_GE(took, AmtScanner::kPace * 39);
  EXPECT_LT(took, AmtScanner::kProbeTimeout + std::chrono::seconds(2));
}

TEST(AmtScanner, AtMostFourScansAtOnce) {
  asio::io_context ioc;
  AmtScanner scanner(ioc.get_executor(), 9);  // the discard port: refused on loopback
  int finished = 0;
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(scanner.scan(*parse_ipv4_range("127.0.0.1"), [&](std::vector<ScanHit>) { ++finished; }));
  EXPECT_FALSE(scanner.scan(*parse_ipv4_range("127.0.0.1"), [&](std::vector<ScanHit>) { ++finished; }));
  ioc.run_for(std::chrono::seconds(5));
  EXPECT_EQ(finished, 4);
  EXPECT_EQ(scanner.running(), 0u);
  EXPECT_TRUE(scanner.scan(*parse_ipv4_range("127.0.0.1"), [&](std::vector<ScanHit>) { ++finished; }));
  ioc.restart();  // it stopped when it ran out of work
  ioc.run_for(std::chrono::seconds(5));
  EXPECT_EQ(finished, 5);
}

}  // namespace
}  // namespace mw::server::amt
