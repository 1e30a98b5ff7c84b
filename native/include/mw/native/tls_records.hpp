// TlsRecords: the record layer of an established TLS connection, without OpenSSL's `SSL` object.
//
// Why: an idle TLS connection in OpenSSL holds its `SSL` object (about 7.6 KB), two cipher
// contexts (about 1 KB each) and what the handshake left behind, 12 KB or more in all, for as
// long as it lives. The MPS keeps thousands of Intel AMT computers connected that send a
// keep-alive every 30 s. Once the handshake is done, a TLS 1.2 or 1.3 connection with an AEAD
// suite needs only its traffic keys, IVs and sequence numbers (under 300 bytes); TlsPipe::detach()
// takes them from OpenSSL and frees the `SSL` object, and this class runs the records from then
// on (as the kernel's TLS offload, kTLS, does with keys handed over by OpenSSL).
//
// Scope (what detach() hands over; anything else stays with OpenSSL in the TlsPipe):
//   TLS 1.3: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256;
//   TLS 1.2: the AES-GCM suites (RFC 5288/5289: 4-byte salt, 8-byte explicit nonce) and the
//            ChaCha20-Poly1305 suites (RFC 7905).
// After the handshake it handles: application data both ways; alerts (close_notify ends the
// input; a fatal alert ends the connection); TLS 1.3 KeyUpdate from the peer (RFC 8446 4.6.3:
// new read keys, and when asked, a KeyUpdate of its own and new write keys); TLS 1.3
// NewSessionTicket when it is the client (ignored). TLS 1.2 renegotiation is refused (the
// server's context sets SSL_OP_NO_RENEGOTIATION too), as is anything else unexpected: a fatal
// alert goes out and the connection fails.
//
// Sans-I/O: the owner gives ciphertext to open() and sends what seal() and take_output()
// produce. Memory: the keys, and one incomplete record (at most 16 KB + 2 KB) only while its
// rest has not arrived. The AEAD contexts are per thread and re-keyed per call (a key schedule
// costs well under a microsecond with AES-NI); secrets are wiped when they are replaced and when
// the object goes.
//
// Errors: hostile bytes are ordinary input. A record that fails authentication, is too long or
// out of place fails the layer (`failed()`, `error()`); it then sends a fatal alert (in
// take_output()) and accepts and produces nothing more.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mw::native {

class TlsRecords {
 public:
  enum class Version : std::uint8_t { kTls12, kTls13 };
  enum class Aead : std::uint8_t { kAes128Gcm, kAes256Gcm, kChaCha20Poly1305 };

  // One direction's state. TLS 1.3: `secret` is the traffic secret (for KeyUpdate), `iv` 12
  // bytes; TLS 1.2: no secret, `iv` is the 4-byte GCM salt or ChaCha20-Poly1305's 12-byte IV.
  struct Keys {
    std::array<std::uint8_t, 48> secret{};
    std::array<std::uint8_t, 32> key{};
    std::array<std::uint8_t, 12> iv{};
    std::uint64_t seq = 0;
  };
  struct Params {
    Version version = Version::kTls13;
    Aead aead = Aead::kAes128Gcm;
    std::uint8_t hash_len = 32;  // TLS 1.3: length of the suite's hash (32 or 48)
    bool is_client = false;      // TLS 1.3: a client ignores NewSessionTicket
    std::uint16_t max_fragment = 16384;  // plaintext per record we send (max_fragment_length)
    Keys read, write;
  };

  explicit TlsRecords(const Params& params);
  // From TlsPipe::detach(): its parameters, and the bytes on either side of the switch.
  explicit TlsRecords(struct TlsHandover&& handover);
  ~TlsRecords();
  TlsRecords(const TlsRecords&) = delete;
  TlsRecords& operator=(const TlsRecords&) = delete;

  // TLS 1.3 keys from a traffic secret (32 or 48 bytes: the suite's hash length): key and IV by
  // HKDF-Expand-Label (RFC 8446 7.3), sequence number 0. False when OpenSSL cannot derive them.
  static bool derive_tls13(Aead aead, std::span<const std::uint8_t> secret, Keys& keys);
  // TLS 1.2 keys (RFC 5246 6.3): key_block = PRF(master_secret, "key expansion", server_random +
  // client_random), split into client key, server key, client IV, server IV (AEAD suites have no
  // MAC keys); sequence numbers 1 (each side's Finished was its first record under them).
  static bool derive_tls12(Aead aead, std::uint8_t hash_len, std::span<const std::uint8_t> master,
                           std::span<const std::uint8_t, 32> server_random, std::span<const std::uint8_t, 32> client_random,
                           Keys& client, Keys& server);
  static std::size_t key_length(Aead aead) { return aead == Aead::kAes128Gcm ? 16 : 32; }

  // Ciphertext from the peer: every whole record is checked and decrypted, its application data
  // appended to `plain`; an incomplete record waits for its rest. Input after a failure or the
  // peer's close_notify is ignored.
  void open(std::span<const std::uint8_t> ciphertext, std::vector<std::uint8_t>& plain);
  // Plaintext for the peer, as records appended to `out` (nothing after close() or a failure).
  void seal(std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out);
  // close_notify, appended to `out`; nothing is sealed after it.
  void close(std::vector<std::uint8_t>& out);
  // Records the layer produced itself (a KeyUpdate answer, a fatal alert, and what the handshake
  // left unsent at detach()), to be sent before anything sealed later.
  std::vector<std::uint8_t> take_output();

  bool failed() const { return failed_; }
  bool peer_closed() const { return peer_closed_; }
  const std::string& error() const { return error_; }
  // Bytes of an incomplete record waiting for its rest.
  std::size_t buffered() const { return partial_.size() + unread_.size(); }
  Version version() const { return p_.version; }
  Aead aead() const { return p_.aead; }

 private:
  void input(std::span<const std::uint8_t> data, std::vector<std::uint8_t>& plain);
  void record(std::span<const std::uint8_t> rec, std::vector<std::uint8_t>& plain);
  void content(std::uint8_t type, std::span<const std::uint8_t> data, std::vector<std::uint8_t>& plain);
  void handshake_message(std::span<const std::uint8_t> data);
  void seal_one(std::uint8_t type, std::span<const std::uint8_t> data, std::vector<std::uint8_t>& out);
  void fail(std::uint8_t alert, const std::string& why);
  bool update_secret(Keys& keys);  // TLS 1.3 KeyUpdate: next traffic secret, key and IV

  Params p_;
  std::vector<std::uint8_t> partial_;  // an incomplete record (freed once complete)
  std::vector<std::uint8_t> unread_;   // input from before detach()
  std::vector<std::uint8_t> output_;   // records of our own not yet taken
  std::string error_;
  bool failed_ = false, peer_closed_ = false, closed_ = false;
};

// What TlsPipe::detach() hands over. It may be made on one thread and turned into a TlsRecords
// on another: the MPS runs handshakes on threads of their own, so that their tens of KB of
// short-lived allocations stay in those threads' malloc arenas, and keeps the long-lived record
// layer with the connection's other state.
struct TlsHandover {
  TlsRecords::Params params;
  std::vector<std::uint8_t> unread;  // ciphertext that arrived behind the handshake (next open())
  std::vector<std::uint8_t> output;  // ciphertext of the handshake not sent yet (take_output())
  TlsHandover() = default;
  TlsHandover(const TlsHandover&) = delete;
  TlsHandover& operator=(const TlsHandover&) = delete;
  ~TlsHandover();  // wipes the keys
};

}  // namespace mw::native
