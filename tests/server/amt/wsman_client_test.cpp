// mw::wsman::Client against amtsim's WS-Management device in the same process: Digest login on
// the first 401, requests with credentials afterwards, enumeration, method calls, wrong
// passwords, any chunking of the device's bytes, and hostile answers.
#include <gtest/gtest.h>

#include <random>

#include "../../../tools/amtsim/wsman_device.hpp"
#include "mw/wsman/amt.hpp"
#include "mw/wsman/client.hpp"
#include "mw/wsman/enumeration.hpp"

namespace {

using namespace mw;
using namespace mw::wsman;

std::string random_hex(std::size_t n) {
  static std::mt19937 rng(42);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < 2 * n; ++i) s.push_back(kHex[rng() % 16]);
  return s;
}

struct Device {
  amtsim::PowerState power = amtsim::PowerState::kOn;
  amtsim::WsmanDevice device{{1, "12345678-9abc-4def-8123-456789abcdef", "16.1.25", "admin", "P@ssw0rd-1",
                              "Digest:0123456789ABCDEF0123456789ABCDEF"},
                             power, random_hex};
  HttpParser parser{HttpRole::kRequest};
  int requests = 0;
  int with_authorization = 0;

  // The device's answer to everything the client wrote.
  std::string answer(const std::string& bytes) {
    std::vector<HttpMessage> in;
    EXPECT_TRUE(parser.feed(bytes, in));
    std::string out;
    for (const auto& m : in) {
      ++requests;
      if (m.has_header("Authorization")) ++with_authorization;
      out += device.handle(m);
    }
    return out;
  }
};

// Runs one request to its end, handing the device's bytes over `chunk` at a time.
Result<Response> exchange(Client& c, Device& d, Request r, std::size_t chunk = 1 << 20) {
  EXPECT_TRUE(c.send(std::move(r)));
  for (int round = 0; round < 4; ++round) {
    const std::string reply = d.answer(c.take_output());
    for (std::size_t i = 0; i < reply.size(); i += chunk) {
      const auto part = std::string_view(reply).substr(i, chunk);
      if (auto res = c.feed(std::span(reinterpret_cast<const std::uint8_t*>(part.data()), part.size()))) return *res;
    }
  }
  return make_error("test-no-answer", "no result after four rounds");
}

Client client(const std::string& pass = "P@ssw0rd-1") { return Client({"127.0.0.2:16992", "admin", pass, "", {}}, random_hex); }

TEST(WsmanClient, LogsInOnTheFirstChallengeThenSendsCredentialsAtOnce) {
  Device d;
  auto c = client();
  auto r = exchange(c, d, get_request<GeneralSettings>());
  ASSERT_TRUE(r) << r.error().message;
  auto gs = read_response<GeneralSettings>(*r);
  ASSERT_TRUE(gs) << gs.error().message;
  EXPECT_EQ(gs->digest_realm, "Digest:0123456789ABCDEF0123456789ABCDEF");
  EXPECT_EQ(c.realm(), "Digest:0123456789ABCDEF0123456789ABCDEF");
  EXPECT_EQ(d.requests, 2);  // without credentials (401), then with them
  auto again = exchange(c, d, get_request<GeneralSettings>());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(d.requests, 3);  // one round trip: the nonce is reused with the next nc
  EXPECT_EQ(d.with_authorization, 2);
}

TEST(WsmanClient, EnumeratesAndCallsMethodsWhateverTheChunking) {
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{1} << 20}) {
    Device d;
    auto c = client();
    auto e = enumeration<SoftwareIdentity>();
    std::optional<Request> next = e.start();
    int steps = 0;
    while (next && steps++ < 20) {
      auto r = exchange(c, d, *next, chunk);
      ASSERT_TRUE(r) << r.error().message;
      auto n = e.on_response(*r);
      ASSERT_TRUE(n) << n.error().message;
      next = *n;
    }
    auto ids = read_items<SoftwareIdentity>(e.items());
    ASSERT_TRUE(ids);
    EXPECT_EQ(amt_version(*ids), "16.1.25") << "chunk " << chunk;

    auto off = exchange(c, d, request_power_state_change(PowerState::kOffSoft), chunk);
    ASSERT_TRUE(off) << off.error().message;
    auto rv = read_return_value(*off, "RequestPowerStateChange");
    ASSERT_TRUE(rv);
    EXPECT_EQ(*rv, 0u);
    EXPECT_EQ(d.power, amtsim::PowerState::kSoftOff);
  }
}

TEST(WsmanClient, AWrongPasswordIsUnauthorizedAfterOneTry) {
  Device d;
  auto c = client("not-the-password");
  auto r = exchange(c, d, get_request<GeneralSettings>());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "wsman-unauthorized");
  EXPECT_EQ(d.requests, 2);
  EXPECT_FALSE(c.busy());
}

TEST(WsmanClient, OneRequestAtATime) {
  auto c = client();
  EXPECT_TRUE(c.send(get_request<GeneralSettings>()));
  EXPECT_FALSE(c.send(get_request<GeneralSettings>()));
  EXPECT_TRUE(c.busy());
  auto end = c.end_of_stream();
  ASSERT_TRUE(end.has_value());
  ASSERT_FALSE(*end);
  EXPECT_EQ(end->error().code, "wsman-closed");
  EXPECT_FALSE(c.send(get_request<GeneralSettings>()));  // the stream is gone
}

TEST(WsmanClient, HostileAnswersAreErrorsNotCrashes) {
  const std::string bodies[] = {
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
      "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
      "garbage\r\n\r\n",
  };
  for (const auto& b : bodies) {
    auto c = client();
    ASSERT_TRUE(c.send(get_request<GeneralSettings>()));
    (void)c.take_output();
    auto r = c.feed(std::span(reinterpret_cast<const std::uint8_t*>(b.data()), b.size()));
    if (!r) r = c.end_of_stream();
    ASSERT_TRUE(r.has_value()) << b;
    EXPECT_FALSE(*r) << b;
    EXPECT_FALSE(c.busy()) << b;
  }
}

}  // namespace
