// mw::native::TlsPipe: a client and a server pipe joined back to back in memory (as the MPS and
// Intel AMT inside an APF channel), with a certificate made by the test.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <random>
#include <vector>

#include "mw/native/tls_pipe.hpp"
#include "tls_test_context.hpp"

namespace {

using mw::native::TlsPipe;
using Bytes = std::vector<std::uint8_t>;

using Ctx = mw::test::SslCtx;

Ctx server_context(Bytes& der) { return mw::test::self_signed_server_context(&der); }

Ctx client_context() {
  Ctx ctx(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // Intel AMT's certificate is pinned, not checked by a PKI
  return ctx;
}

// Moves ciphertext both ways until neither side has any to send; returns the rounds it took.
int shuttle(TlsPipe& a, TlsPipe& b) {
  int rounds = 0;
  for (; rounds < 32; ++rounds) {
    const Bytes ab = a.take_output();
    const Bytes ba = b.take_output();
    if (ab.empty() && ba.empty()) break;
    b.feed(ab);
    a.feed(ba);
  }
  return rounds;
}

Bytes pattern(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

class TlsPipeTest : public ::testing::Test {
 protected:
  Bytes cert_der;
  Ctx server_ctx = server_context(cert_der);
  Ctx client_ctx = client_context();
  TlsPipe client{client_ctx.get(), TlsPipe::Role::kClient, "amt.example"};
  TlsPipe server{server_ctx.get(), TlsPipe::Role::kServer};

  void handshake() {
    client.start();
    server.start();
    shuttle(client, server);
    ASSERT_TRUE(client.open()) << client.error();
    ASSERT_TRUE(server.open()) << server.error();
  }
};

TEST_F(TlsPipeTest, HandshakesAndCarriesDataBothWays) {
  EXPECT_EQ(client.state(), TlsPipe::State::kHandshake);
  EXPECT_TRUE(client.peer_certificate().empty());
  EXPECT_TRUE(client.protocol().empty());
  handshake();
  EXPECT_EQ(client.peer_certificate(), cert_der);
  EXPECT_EQ(client.protocol(), "TLSv1.3");

  // 1 MiB each way, fed in odd-sized pieces and read at most 4 KB at a time.
  const Bytes up = pattern(1 << 20, 1), down = pattern(1 << 20, 2);
  for (std::size_t at = 0; at < up.size(); at += 65521) {
    client.write(std::span(up).subspan(at, std::min<std::size_t>(65521, up.size() - at)));
  }
  server.write(down);
  Bytes got_up, got_down;
  const Bytes c2s = client.take_output(), s2c = server.take_output();
  EXPECT_GT(c2s.size(), up.size());  // records: framing and tags
  for (std::size_t at = 0; at < c2s.size(); at += 1000) {
    server.feed(std::span(c2s).subspan(at, std::min<std::size_t>(1000, c2s.size() - at)));
    while (server.read(got_up, 4096) > 0) {
    }
  }
  const std::size_t before = client.ciphertext_buffered();  // TLS 1.3 session tickets, not read yet
  client.feed(s2c);
  std::size_t buffered = client.ciphertext_buffered();
  EXPECT_EQ(buffered, before + s2c.size());  // nothing is decrypted before it is read
  while (client.read(got_down, 4096) > 0) {
    EXPECT_LE(client.ciphertext_buffered(), buffered);
    buffered = client.ciphertext_buffered();
  }
  EXPECT_EQ(client.ciphertext_buffered(), 0u);
  EXPECT_EQ(got_up, up);
  EXPECT_EQ(got_down, down);
  EXPECT_FALSE(client.failed());
  EXPECT_FALSE(server.failed());
}

TEST_F(TlsPipeTest, WhatIsWrittenDuringTheHandshakeGoesOutAfterIt) {
  const Bytes hello{'G', 'E', 'T', ' ', '/'};
  client.write(hello);  // queued: no keys yet
  handshake();
  shuttle(client, server);
  Bytes got;
  server.read(got, 100);
  EXPECT_EQ(got, hello);
}

TEST_F(TlsPipeTest, CloseNotifyEndsThePeersStream) {
  handshake();
  server.write(Bytes{'b', 'y', 'e'});
  server.close();
  EXPECT_EQ(server.state(), TlsPipe::State::kClosed);
  server.write(Bytes{'x'});  // dropped after close
  client.feed(server.take_output());
  Bytes got;
  while (client.read(got, 100) > 0) {
  }
  EXPECT_EQ(got, (Bytes{'b', 'y', 'e'}));
  EXPECT_TRUE(client.peer_closed());
  EXPECT_FALSE(client.failed());
}

TEST_F(TlsPipeTest, AServerThatIsNotTlsFailsTheHandshakeWithAReason) {
  client.start();
  ASSERT_FALSE(client.take_output().empty());  // ClientHello
  const std::string http = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
  client.feed(Bytes(http.begin(), http.end()));
  EXPECT_TRUE(client.failed());
  EXPECT_NE(client.error().find("TLS handshake"), std::string::npos) << client.error();
  client.feed(Bytes{1, 2, 3});  // ignored once failed
  Bytes got;
  EXPECT_EQ(client.read(got, 100), 0u);
}

TEST_F(TlsPipeTest, ATamperedRecordFailsThePipe) {
  handshake();
  client.write(pattern(3000, 3));
  Bytes records = client.take_output();
  records[records.size() / 2] ^= 0x01;
  server.feed(records);
  Bytes got;
  server.read(got, 8192);
  EXPECT_TRUE(server.failed());
  EXPECT_TRUE(got.empty());  // nothing of a record that does not authenticate
  EXPECT_FALSE(server.error().empty());
}

TEST_F(TlsPipeTest, HostileBytesNeverCrashAndEndThePipe) {
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    TlsPipe s(server_ctx.get(), TlsPipe::Role::kServer);
    s.start();
    Bytes junk = pattern(1 + rng() % 4000, static_cast<std::uint32_t>(round));
    if (round % 2 == 0 && junk.size() >= 5) {  // a plausible record header in front
      junk[0] = 0x16;
      junk[1] = 0x03;
      junk[2] = 0x01;
    }
    for (std::size_t at = 0; at < junk.size(); at += 1 + rng() % 700) {
      s.feed(std::span(junk).subspan(at, std::min<std::size_t>(700, junk.size() - at)));
    }
    Bytes got;
    EXPECT_EQ(s.read(got, 1024), 0u);
    EXPECT_FALSE(s.open());
    (void)s.take_output();  // an alert, perhaps
  }
}

}  // namespace
