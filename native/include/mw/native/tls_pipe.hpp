// TlsPipe: TLS over any byte transport, sans-I/O. The owner moves ciphertext between the pipe and
// its transport (feed() what arrived, take_output() what to send) and plaintext between the pipe
// and its user (read(), write()). OpenSSL does the work, with memory BIOs.
//
// Used where TLS runs inside another protocol rather than on a socket: an APF channel inside a
// CIRA connection to Intel AMT configured for TLS (the server is the client, to 16993/16995;
// tools/amtsim is the server side). Connections on sockets use the server's TlsStream.
//
// Memory: what the pipe holds is bounded by its owner. Ciphertext waits in the pipe until read()
// decrypts it, so an owner that credits its transport only for decrypted bytes
// (`ciphertext_buffered()`) keeps the peer's window as the bound; read() takes at most `max`
// plaintext bytes at a time.
//
// Detaching (servers with many idle connections: the MPS): a pipe created `detachable` hands
// the connection to a TlsRecords once the handshake is done (detach()), and OpenSSL's `SSL`
// object is freed. To make that exact, such a pipe gives OpenSSL one record at a time during the
// handshake and holds what follows it; TLS 1.3 session tickets are off for it (they would be
// records after the handshake).
//
// Errors: a handshake or record failure ends the pipe (`failed()`, `error()` says why; nothing
// more is accepted or produced apart from the alert OpenSSL sends). Hostile bytes are normal
// input: they end the pipe, never the process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct bio_st BIO;

namespace mw::native {

struct TlsHandover;

class TlsPipe {
 public:
  enum class Role { kClient, kServer };
  enum class State { kHandshake, kOpen, kClosed, kFailed, kDetached };

  // `ctx` must outlive the pipe. `server_name`: SNI for a client (empty: none; give a host name,
  // never an address, RFC 6066 section 3). `detachable`: see detach() (the context needs
  // allow_detach()).
  TlsPipe(SSL_CTX* ctx, Role role, const std::string& server_name = {}, bool detachable = false);

  // Lets detachable pipes on `ctx` learn their TLS 1.3 traffic secrets: installs a key-log
  // callback that hands them to the pipe they belong to (and to nothing else: nothing is logged).
  // Once per context, before its pipes are created.
  static void allow_detach(SSL_CTX* ctx);
  // After the handshake of a detachable pipe (open()): what a TlsRecords needs to carry the
  // connection on (`TlsRecords(std::move(*handover))`): keys, what arrived after the handshake
  // and what is still to be sent; the pipe frees its `SSL` object and is kDetached. nullptr when
  // the connection cannot be handed over (not TLS 1.2/1.3 with an AEAD suite, or OpenSSL holds
  // input): the pipe then goes on as an ordinary one. Call once, before read() or write().
  std::unique_ptr<TlsHandover> detach();
  ~TlsPipe();
  TlsPipe(const TlsPipe&) = delete;
  TlsPipe& operator=(const TlsPipe&) = delete;

  // A client produces its ClientHello (take_output()); a server waits for it.
  void start();
  // Ciphertext from the peer; decrypted by read(). Progresses the handshake.
  void feed(std::span<const std::uint8_t> ciphertext);
  // Appends up to `max` decrypted bytes to `out`; returns how many.
  std::size_t read(std::vector<std::uint8_t>& out, std::size_t max);
  // Plaintext for the peer. Before the handshake is done it waits in the pipe; after close() or a
  // failure it is dropped.
  void write(std::span<const std::uint8_t> plaintext);
  // Sends close_notify; nothing more is written.
  void close();
  // Ciphertext to send (handshake messages, records, alerts), in order. Empty when none.
  std::vector<std::uint8_t> take_output();

  State state() const { return state_; }
  bool open() const { return state_ == State::kOpen; }
  bool failed() const { return state_ == State::kFailed; }
  // The peer sent close_notify (its side is finished).
  bool peer_closed() const { return peer_closed_; }
  const std::string& error() const { return error_; }
  // OpenSSL's error code of the failure (ERR_get_error()), 0 when it gave none.
  unsigned long error_code() const { return error_code_; }
  // Fed ciphertext that read() has not consumed yet.
  std::size_t ciphertext_buffered() const;
  // The peer's certificate (DER), empty before the handshake or when it sent none.
  std::vector<std::uint8_t> peer_certificate() const;
  // The negotiated protocol ("TLSv1.2", "TLSv1.3"), empty before the handshake.
  std::string protocol() const;

 private:
  void advance();  // handshake steps, then pending plaintext
  void fail(const std::string& what);
  std::string openssl_error(const char* fallback);  // the queued error as text; keeps its code
  void flush_pending();
  void release_staged();  // gives what was held back to OpenSSL
  std::unique_ptr<TlsHandover> handover();
  static void keylog(const SSL* ssl, const char* line);

  struct Secrets;  // TLS 1.3 traffic secrets from the key log (detachable pipes)
  struct SecretsFree {
    void operator()(Secrets* s) const;
  };

  struct SslFree {
    void operator()(SSL* s) const;
  };
  std::unique_ptr<SSL, SslFree> ssl_;
  BIO* in_ = nullptr;   // owned by ssl_
  BIO* out_ = nullptr;  // owned by ssl_
  State state_ = State::kHandshake;
  bool peer_closed_ = false;
  std::vector<std::uint8_t> pending_;  // plaintext written before the handshake finished
  std::vector<std::uint8_t> staged_;   // detachable: ciphertext not given to OpenSSL yet
  std::unique_ptr<Secrets, SecretsFree> secrets_;
  Role role_;
  bool detachable_ = false;
  unsigned long error_code_ = 0;
  std::string error_;
};

}  // namespace mw::native
