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

class TlsPipe {
 public:
  enum class Role { kClient, kServer };
  enum class State { kHandshake, kOpen, kClosed, kFailed };

  // `ctx` must outlive the pipe. `server_name`: SNI for a client (empty: none; give a host name,
  // never an address, RFC 6066 section 3).
  TlsPipe(SSL_CTX* ctx, Role role, const std::string& server_name = {});
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
  // Fed ciphertext that read() has not consumed yet.
  std::size_t ciphertext_buffered() const;
  // The peer's certificate (DER), empty before the handshake or when it sent none.
  std::vector<std::uint8_t> peer_certificate() const;
  // The negotiated protocol ("TLSv1.2", "TLSv1.3"), empty before the handshake.
  std::string protocol() const;

 private:
  void advance();  // handshake steps, then pending plaintext
  void fail(const std::string& what);
  void flush_pending();

  struct SslFree {
    void operator()(SSL* s) const;
  };
  std::unique_ptr<SSL, SslFree> ssl_;
  BIO* in_ = nullptr;   // owned by ssl_
  BIO* out_ = nullptr;  // owned by ssl_
  State state_ = State::kHandshake;
  bool peer_closed_ = false;
  std::vector<std::uint8_t> pending_;  // plaintext written before the handshake finished
  std::string error_;
};

}  // namespace mw::native
