// mw::native::TlsRecords, and TlsPipe::detach() that creates it: after a real handshake, the
// record layer of our own must interoperate with OpenSSL's on the other side in every suite it
// takes over (TLS 1.2 and 1.3; AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305), both roles,
// including what OpenSSL does after the handshake (KeyUpdate, session tickets, close_notify,
// renegotiation) and hostile bytes.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "mw/native/tls_pipe.hpp"
#include "mw/native/tls_records.hpp"
#include "tls_test_context.hpp"

namespace {

using mw::native::TlsPipe;
using mw::native::TlsRecords;
using Bytes = std::vector<std::uint8_t>;

using Ctx = mw::test::SslCtx;
const auto server_context = [] { return mw::test::self_signed_server_context(); };

// TLS 1.2 cipher list / TLS 1.3 suite name for a context limited to one version and one suite.
void limit(SSL_CTX* ctx, bool tls13, const std::string& suite) {
  const int v = tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
  SSL_CTX_set_min_proto_version(ctx, v);
  SSL_CTX_set_max_proto_version(ctx, v);
  if (tls13) {
    SSL_CTX_set_ciphersuites(ctx, suite.c_str());
  } else {
    SSL_CTX_set_cipher_list(ctx, suite.c_str());
  }
}

// OpenSSL itself on the other side, with memory BIOs: the reference the record layer must match.
struct Peer {
  SSL* ssl;
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  Peer(SSL_CTX* ctx, bool client) : ssl(SSL_new(ctx)) {
    BIO_set_mem_eof_return(in, -1);
    BIO_set_mem_eof_return(out, -1);
    SSL_set_bio(ssl, in, out);
    if (client) {
      SSL_set_connect_state(ssl);
    } else {
      SSL_set_accept_state(ssl);
    }
  }
  ~Peer() { SSL_free(ssl); }
  void feed(const Bytes& b) {
    if (!b.empty()) BIO_write(in, b.data(), static_cast<int>(b.size()));
  }
  Bytes take() {
    Bytes b(BIO_ctrl_pending(out));
    if (!b.empty()) b.resize(static_cast<std::size_t>(std::max(0, BIO_read(out, b.data(), static_cast<int>(b.size())))));
    return b;
  }
  void write(const Bytes& b) {
    std::size_t n = 0;
    ASSERT_EQ(SSL_write_ex(ssl, b.data(), b.size(), &n), 1);
    ASSERT_EQ(n, b.size());
  }
  // Everything readable; `error` gets SSL_get_error of the call that stopped.
  Bytes read_all(int* error = nullptr) {
    Bytes got, buf(1 << 16);
    for (;;) {
      std::size_t n = 0;
      const int r = SSL_read_ex(ssl, buf.data(), buf.size(), &n);
      if (r != 1) {
        if (error) *error = SSL_get_error(ssl, r);
        break;
      }
      got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    }
    return got;
  }
};

// The record layer a detachable pipe hands over, or nullptr.
std::unique_ptr<TlsRecords> take(TlsPipe& pipe) {
  auto handover = pipe.detach();
  return handover ? std::make_unique<TlsRecords>(std::move(*handover)) : nullptr;
}

Bytes pattern(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

// Runs a handshake between `peer` (OpenSSL) and `pipe` (detachable). `after` is written by the
// peer as soon as its handshake is done, when the peer is the client (a device sends its first
// APF message right behind its Finished; in TLS 1.3 in the same flight): the pipe holds it.
void handshake(Peer& peer, TlsPipe& pipe, bool peer_is_client, const Bytes& after = {}) {
  bool wrote = false;
  pipe.start();
  for (int i = 0; i < 32; ++i) {
    if (!SSL_is_init_finished(peer.ssl)) SSL_do_handshake(peer.ssl);
    if (peer_is_client && SSL_is_init_finished(peer.ssl) && !wrote && !after.empty()) {
      peer.write(after);
      wrote = true;
    }
    const Bytes a = peer.take();
    pipe.feed(a);
    const Bytes b = pipe.take_output();
    peer.feed(b);
    if (a.empty() && b.empty() && SSL_is_init_finished(peer.ssl) && pipe.open()) break;
  }
  ASSERT_TRUE(pipe.open()) << pipe.error();
}

// A detached server layer for `device` (OpenSSL as the client), its handshake flight sent.
std::unique_ptr<TlsRecords> serve(Peer& device, SSL_CTX* ctx, const Bytes& first = {}) {
  TlsPipe server(ctx, TlsPipe::Role::kServer, {}, true);
  handshake(device, server, true, first);
  auto rec = take(server);
  if (rec) device.feed(rec->take_output());
  return rec;
}

struct Suite {
  bool tls13;
  const char* name;
  TlsRecords::Aead aead;
};

std::string suite_name(const testing::TestParamInfo<Suite>& info) {
  std::string n = std::string(info.param.tls13 ? "Tls13_" : "Tls12_") + info.param.name;
  for (auto& c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
  }
  return n;
}

class Detached : public testing::TestWithParam<Suite> {
 protected:
  Ctx server_ctx = server_context();
  Ctx client_ctx{SSL_CTX_new(TLS_client_method())};
  void SetUp() override {
    limit(server_ctx.get(), GetParam().tls13, GetParam().name);
    limit(client_ctx.get(), GetParam().tls13, GetParam().name);
    SSL_CTX_set_verify(client_ctx.get(), SSL_VERIFY_NONE, nullptr);
    TlsPipe::allow_detach(server_ctx.get());
    TlsPipe::allow_detach(client_ctx.get());
  }
};

// The MPS's case: the record layer is the server, OpenSSL the device.
TEST_P(Detached, ServerCarriesDataBothWaysWithOpenSsl) {
  Peer device(client_ctx.get(), true);
  TlsPipe server(server_ctx.get(), TlsPipe::Role::kServer, {}, true);
  const Bytes first = pattern(300, 7);  // in the device's Finished flight
  handshake(device, server, true, first);
  auto rec = take(server);
  ASSERT_TRUE(rec) << "not handed over";
  EXPECT_EQ(server.state(), TlsPipe::State::kDetached);
  EXPECT_EQ(rec->version(), GetParam().tls13 ? TlsRecords::Version::kTls13 : TlsRecords::Version::kTls12);
  EXPECT_EQ(rec->aead(), GetParam().aead);
  device.feed(rec->take_output());  // TLS 1.2: the server's Finished flight
  Bytes got;
  rec->open({}, got);
  EXPECT_EQ(got, first);

  // 300 KB each way: records of 16 KB, fed in odd-sized pieces (every split point of a header).
  const Bytes up = pattern(300000, 1), down = pattern(300000, 2);
  device.write(up);
  const Bytes c2s = device.take();
  got.clear();
  for (std::size_t at = 0; at < c2s.size(); at += 997) rec->open(std::span(c2s).subspan(at, std::min<std::size_t>(997, c2s.size() - at)), got);
  EXPECT_EQ(got, up);
  EXPECT_EQ(rec->buffered(), 0u);
  Bytes s2c;
  rec->seal(down, s2c);
  EXPECT_EQ(s2c.size(), down.size() + 19 * (5 + 16 + (GetParam().tls13 ? 1 : 0) +
                                            (!GetParam().tls13 && GetParam().aead != TlsRecords::Aead::kChaCha20Poly1305 ? 8 : 0)));
  device.feed(s2c);
  EXPECT_EQ(device.read_all(), down);

  // close_notify both ways.
  ASSERT_GE(SSL_shutdown(device.ssl), 0);
  rec->open(device.take(), got);
  EXPECT_TRUE(rec->peer_closed());
  EXPECT_FALSE(rec->failed()) << rec->error();
  Bytes bye;
  rec->close(bye);
  device.feed(bye);
  int err = 0;
  device.read_all(&err);
  EXPECT_EQ(err, SSL_ERROR_ZERO_RETURN);
  Bytes after;
  rec->seal(up, after);
  EXPECT_TRUE(after.empty());  // nothing after close_notify
}

// The other role, against an OpenSSL server that sends TLS 1.3 session tickets after the
// handshake (records the client layer skips).
TEST_P(Detached, ClientCarriesDataBothWaysWithOpenSsl) {
  Peer server(server_ctx.get(), false);
  TlsPipe client(client_ctx.get(), TlsPipe::Role::kClient, {}, true);
  handshake(server, client, false);
  auto rec = take(client);
  ASSERT_TRUE(rec);
  Bytes out = rec->take_output();
  const Bytes up = pattern(40000, 3), down = pattern(40000, 4);
  rec->seal(up, out);
  server.feed(out);
  SSL_do_handshake(server.ssl);
  EXPECT_EQ(server.read_all(), up);
  server.write(down);
  Bytes got;
  rec->open(server.take(), got);  // TLS 1.3: two tickets, then the data
  EXPECT_EQ(got, down);
  EXPECT_FALSE(rec->failed()) << rec->error();
}

TEST_P(Detached, TamperedOrHostileRecordsFailWithAnAlert) {
  Peer device(client_ctx.get(), true);
  auto rec = serve(device, server_ctx.get());
  ASSERT_TRUE(rec);
  device.write(pattern(1000, 5));
  Bytes c2s = device.take();
  c2s[c2s.size() / 2] ^= 0x20;
  Bytes got;
  rec->open(c2s, got);
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(rec->failed());
  EXPECT_NE(rec->error().find("authentication"), std::string::npos) << rec->error();
  device.feed(rec->take_output());
  int err = 0;
  device.read_all(&err);
  EXPECT_EQ(err, SSL_ERROR_SSL);  // OpenSSL decrypted and understood the fatal alert
  rec->open(pattern(100, 6), got);  // ignored from now on
  EXPECT_TRUE(got.empty());

  // Random bytes of every length and split, into fresh layers: they fail, never crash or grow.
  for (std::uint32_t seed = 0; seed < 200; ++seed) {
    Peer d(client_ctx.get(), true);
    auto r = serve(d, server_ctx.get());
    ASSERT_TRUE(r);
    Bytes junk = pattern(1 + seed * 97 % 20000, seed);
    if (seed % 2 == 0) {
      junk[0] = 23;
      junk[1] = 3;
      junk[2] = 3;
    }
    Bytes plain;
    for (std::size_t at = 0; at < junk.size(); at += 1 + seed) r->open(std::span(junk).subspan(at, std::min<std::size_t>(1 + seed, junk.size() - at)), plain);
    EXPECT_TRUE(plain.empty());
    EXPECT_LE(r->buffered(), 5u + 16384 + 2048);
  }
}

INSTANTIATE_TEST_SUITE_P(Suites, Detached,
                         testing::Values(Suite{true, "TLS_AES_128_GCM_SHA256", TlsRecords::Aead::kAes128Gcm},
                                         Suite{true, "TLS_AES_256_GCM_SHA384", TlsRecords::Aead::kAes256Gcm},
                                         Suite{true, "TLS_CHACHA20_POLY1305_SHA256", TlsRecords::Aead::kChaCha20Poly1305},
                                         Suite{false, "ECDHE-ECDSA-AES128-GCM-SHA256", TlsRecords::Aead::kAes128Gcm},
                                         Suite{false, "ECDHE-ECDSA-AES256-GCM-SHA384", TlsRecords::Aead::kAes256Gcm},
                                         Suite{false, "ECDHE-ECDSA-CHACHA20-POLY1305", TlsRecords::Aead::kChaCha20Poly1305}),
                         suite_name);

class DetachTest : public testing::Test {
 protected:
  Ctx server_ctx = server_context();
  Ctx client_ctx{SSL_CTX_new(TLS_client_method())};
  void SetUp() override {
    SSL_CTX_set_verify(client_ctx.get(), SSL_VERIFY_NONE, nullptr);
    TlsPipe::allow_detach(server_ctx.get());
  }
};

// TLS 1.3 KeyUpdate from the device, asking for ours: new keys both ways (RFC 8446 4.6.3).
TEST_F(DetachTest, KeyUpdateRenewsBothDirections) {
  Peer device(client_ctx.get(), true);
  auto rec = serve(device, server_ctx.get());
  ASSERT_TRUE(rec);
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(SSL_key_update(device.ssl, SSL_KEY_UPDATE_REQUESTED), 1);
    const Bytes up = pattern(5000, 10 + round);
    device.write(up);  // the KeyUpdate goes first, then data under the new keys
    Bytes got;
    rec->open(device.take(), got);
    ASSERT_FALSE(rec->failed()) << rec->error();
    EXPECT_EQ(got, up);
    const Bytes down = pattern(5000, 20 + round);
    Bytes out = rec->take_output();  // our KeyUpdate, under the old keys
    EXPECT_FALSE(out.empty());
    rec->seal(down, out);  // under the new ones
    device.feed(out);
    EXPECT_EQ(device.read_all(), down);
  }
  // And one that asks for nothing back.
  ASSERT_EQ(SSL_key_update(device.ssl, SSL_KEY_UPDATE_NOT_REQUESTED), 1);
  device.write(pattern(10, 30));
  Bytes got;
  rec->open(device.take(), got);
  EXPECT_EQ(got, pattern(10, 30));
  EXPECT_TRUE(rec->take_output().empty());
}

TEST_F(DetachTest, TlsTwelveRenegotiationIsRefused) {
  limit(server_ctx.get(), false, "ECDHE-ECDSA-AES128-GCM-SHA256");
  Peer device(client_ctx.get(), true);
  auto rec = serve(device, server_ctx.get());
  ASSERT_TRUE(rec);
  ASSERT_EQ(SSL_renegotiate(device.ssl), 1);
  SSL_do_handshake(device.ssl);
  Bytes got;
  rec->open(device.take(), got);
  EXPECT_TRUE(rec->failed());
  EXPECT_NE(rec->error().find("renegotiation"), std::string::npos) << rec->error();
}

// A device that asked for 512-byte records (max_fragment_length) gets no longer ones.
TEST_F(DetachTest, MaxFragmentLengthIsHonoured) {
  limit(server_ctx.get(), false, "ECDHE-ECDSA-AES256-GCM-SHA384");
  Peer device(client_ctx.get(), true);
  ASSERT_EQ(SSL_set_tlsext_max_fragment_length(device.ssl, TLSEXT_max_fragment_length_512), 1);
  auto rec = serve(device, server_ctx.get());
  ASSERT_TRUE(rec);
  const Bytes down = pattern(5000, 8);
  Bytes out;
  rec->seal(down, out);
  EXPECT_EQ(out.size(), down.size() + 10 * (5 + 8 + 16));  // ten records of at most 512 bytes
  device.feed(out);
  EXPECT_EQ(device.read_all(), down);  // OpenSSL fails a longer record (record_overflow)
}

// A suite the layer does not take over (Intel AMT before version 11: CBC): the pipe goes on
// with OpenSSL, including what arrived behind the handshake.
TEST_F(DetachTest, OtherSuitesStayWithOpenSsl) {
  SSL_CTX_set_security_level(server_ctx.get(), 0);
  SSL_CTX_set_security_level(client_ctx.get(), 0);
  limit(server_ctx.get(), false, "ECDHE-ECDSA-AES128-SHA");
  limit(client_ctx.get(), false, "ECDHE-ECDSA-AES128-SHA");
  Peer device(client_ctx.get(), true);
  TlsPipe server(server_ctx.get(), TlsPipe::Role::kServer, {}, true);
  const Bytes first = pattern(64, 9);
  handshake(device, server, true, first);
  EXPECT_FALSE(server.detach());
  EXPECT_EQ(server.state(), TlsPipe::State::kOpen);
  device.feed(server.take_output());
  Bytes got;
  server.read(got, 1000);
  EXPECT_EQ(got, first);
  server.write(pattern(100, 10));
  device.feed(server.take_output());
  EXPECT_EQ(device.read_all(), pattern(100, 10));
}

TEST_F(DetachTest, AConnectionHoldsOnlyItsKeys) {
  // What the MPS keeps per idle Intel AMT computer instead of OpenSSL's SSL object (~7.6 KB)
  // and two cipher contexts (~1 KB each).
  EXPECT_LE(sizeof(TlsRecords), 400u);
}

}  // namespace
