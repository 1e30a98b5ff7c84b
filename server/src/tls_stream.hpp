// TlsStream: TLS over a TCP socket, used by every server connection instead of Asio's ssl::stream.
//
// Why not ssl::stream: it gives each connection a BIO pair and two stream buffers, 4 × 17 KB
// held for the connection's whole life, and moves ciphertext one 16 KB record per system call.
// With 10,000 idle agents that is 680 MB; on a relay it is a read and a write per record.
// TlsStream holds buffers only while data is in flight:
//  - reads: OpenSSL reads the socket itself (a socket BIO on the non-blocking descriptor) with
//    read-ahead into a 64 KB buffer, so one system call brings several records; with
//    SSL_MODE_RELEASE_BUFFERS the buffer is freed as soon as it is empty;
//  - writes: records are appended to a string (a small BIO of our own; OpenSSL's memory BIO would
//    wipe every buffer it frees) that is detached and written with one system call per write (up
//    to kWriteBudget of plaintext, several records), then freed;
//  - readiness is waited for with a one-byte MSG_PEEK receive, which costs no buffer.
// This is nginx's model (SSL on the descriptor, event-driven retries) in Asio clothes.
//
// Concurrency: one read and one write may be outstanding at once, on one strand (as with any
// Asio stream). Only write, handshake and shutdown operations write to the socket
// asynchronously; records OpenSSL produces while reading (TLS 1.3 KeyUpdate answers, alerts)
// are sent at once without blocking when no write is in flight, otherwise by that write before it
// completes. Anything left goes out with the next write, which is the only time its order matters.
//
// Deadlines work like beast::tcp_stream's: expires_after() arms one timer for the operations
// that follow; when it fires, pending operations complete with beast::error::timeout.
// Errors: a close_notify from the peer is asio::error::eof, a close without it
// ssl::error::stream_truncated, OpenSSL failures are in asio::error::get_ssl_category().
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "net.hpp"

namespace mw::server {

class TlsStream {
 public:
  using executor_type = tcp::socket::executor_type;

  // Plaintext taken per write operation (several records, one system call).
  static constexpr std::size_t kWriteBudget = 64 * 1024;
  // Read-ahead buffer while data arrives (freed when empty).
  static constexpr std::size_t kReadBuffer = 64 * 1024;

  // The server side of a connection accepted on `socket`, with `ctx`'s certificates and options.
  TlsStream(tcp::socket socket, ssl::context& ctx);
  TlsStream(TlsStream&&) noexcept = default;
  TlsStream& operator=(TlsStream&&) noexcept = default;
  ~TlsStream() = default;

  executor_type get_executor() noexcept { return impl_->socket.get_executor(); }
  SSL* native_handle() noexcept { return impl_->ssl.get(); }
  tcp::socket& socket() noexcept { return impl_->socket; }

  void expires_after(std::chrono::steady_clock::duration d);
  void expires_never();
  // Closes the socket; pending operations complete with operation_aborted.
  void close();
  // Sends close_notify if the socket takes it without blocking, then closes.
  void shutdown_and_close();

  template <class Token>
  auto async_handshake(ssl::stream_base::handshake_type type, Token&& token) {
    return asio::async_compose<Token, void(beast::error_code)>(
        Op<HandshakeStep, false>{impl_, HandshakeStep{type}}, token, impl_->socket);
  }

  // Sends close_notify (does not wait for the peer's).
  template <class Token>
  auto async_shutdown(Token&& token) {
    return asio::async_compose<Token, void(beast::error_code)>(Op<ShutdownStep, false>{impl_, ShutdownStep{}}, token,
                                                               impl_->socket);
  }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return asio::async_compose<Token, void(beast::error_code, std::size_t)>(
        Op<ReadStep<MutableBuffers>, true>{impl_, ReadStep<MutableBuffers>{buffers}}, token, impl_->socket);
  }

  // Completes when a read would find something (decrypted bytes OpenSSL holds, or bytes on the
  // socket), without a buffer: a connection that idles holds none. It counts as the read
  // operation in flight. Errors are left to the read that follows (only cancellation and the
  // deadline end the wait with an error).
  template <class Token>
  auto async_wait_readable(Token&& token) {
    return asio::async_compose<Token, void(beast::error_code)>(Op<WaitStep, false, false>{impl_, WaitStep{}}, token,
                                                               impl_->socket);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return asio::async_compose<Token, void(beast::error_code, std::size_t)>(
        Op<WriteStep<ConstBuffers>, true, true>{impl_, WriteStep<ConstBuffers>{buffers}}, token, impl_->socket);
  }

 private:
  struct SslFree {
    void operator()(SSL* s) const noexcept { SSL_free(s); }
  };

 public:
  // Connection state shared by the stream and its operations (the stream may be moved, e.g.
  // from the HTTP session into a WebSocket session, while a timer callback still refers to it).
  struct Impl {
    Impl(tcp::socket s, ssl::context& ctx);
    tcp::socket socket;
    asio::steady_timer deadline;
    std::string out;  // ciphertext OpenSSL has produced and nobody is writing yet (the BIO's target)
    std::unique_ptr<SSL, SslFree> ssl;
    bool timed_out = false;
    bool writing = false;  // an operation is writing ciphertext to the socket

    // The ciphertext produced so far, detached (empty when there is none).
    std::string take_output() { return std::exchange(out, std::string()); }
    // Records produced while reading: sent now if no write is in flight and the socket takes
    // them, otherwise left for the next write.
    void send_output_now();
    // The error of a failed SSL call (call right after it, with its return value).
    beast::error_code ssl_error(int ret);
    // Completes `handler` (ec, bytes) when input is ready, without taking it. A one-byte
    // MSG_PEEK receive, not async_wait: Asio tries a receive at once when its reactor has seen the
    // socket become readable since, while a wait would sleep until the next edge of its
    // edge-triggered epoll, and OpenSSL's own read() may have met the edge's EAGAIN on another
    // thread just before (a lost wake-up: a click relayed seconds late).
    template <class Handler>
    void wait_readable(Handler&& handler) {
      socket.async_receive(asio::buffer(&peek, 1), tcp::socket::message_peek, std::forward<Handler>(handler));
    }
    unsigned char peek = 0;

    beast::error_code translate(beast::error_code ec) const {
      return timed_out && ec == asio::error::operation_aborted ? beast::error_code(beast::error::timeout) : ec;
    }
  };

 private:
  // What one non-blocking step of an operation asks for next.
  enum class Next { done, wait_read };
  struct StepResult {
    Next next = Next::done;
    beast::error_code ec;
    std::size_t bytes = 0;
  };

  struct HandshakeStep {
    ssl::stream_base::handshake_type type;
    bool began = false;
    StepResult operator()(Impl& impl);
  };
  struct ShutdownStep {
    StepResult operator()(Impl& impl) const;
  };
  struct WaitStep {
    bool waited = false;
    StepResult operator()(Impl& impl) {
      if (waited || SSL_has_pending(impl.ssl.get()) != 0) return {};
      waited = true;
      return {Next::wait_read, {}, 0};
    }
  };

  template <class MutableBuffers>
  struct ReadStep {
    MutableBuffers buffers;
    StepResult operator()(Impl& impl) const {
      StepResult r;
      for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
        asio::mutable_buffer b = *it;
        while (b.size() > 0) {
          ERR_clear_error();
          const int n = SSL_read(impl.ssl.get(), b.data(), static_cast<int>(std::min<std::size_t>(b.size(), 1u << 30)));
          if (n > 0) {
            r.bytes += static_cast<std::size_t>(n);
            b += static_cast<std::size_t>(n);
            // More only while OpenSSL holds unread input; otherwise the next call would cost a
            // system call that finds nothing.
            if (SSL_has_pending(impl.ssl.get()) == 0) return finish_read(impl, r);
            continue;
          }
          if (r.bytes > 0) return finish_read(impl, r);  // the error, if any, comes again next time
          const int err = SSL_get_error(impl.ssl.get(), n);
          if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
            r.next = Next::wait_read;
          } else {
            r.ec = impl.ssl_error(n);
          }
          return finish_read(impl, r);
        }
      }
      return finish_read(impl, r);
    }
    static StepResult finish_read(Impl& impl, StepResult r) {
      impl.send_output_now();
      return r;
    }
  };

  template <class ConstBuffers>
  struct WriteStep {
    ConstBuffers buffers;
    StepResult operator()(Impl& impl) const {
      // Small buffers (a WebSocket frame header before its payload) are gathered so they share
      // a record; large ones are encrypted in place. The memory BIO takes everything, so each
      // SSL_write is all or nothing.
      StepResult r;
      // Room for the records this write makes (each adds at most 256 bytes of header and tag).
      const std::size_t plain = std::min(asio::buffer_size(buffers), kWriteBudget);
      impl.out.reserve(impl.out.size() + plain + (plain / (16 * 1024) + 1) * 256);
      unsigned char stage[16 * 1024];
      std::size_t staged = 0;
      auto write = [&](const void* p, std::size_t n) {
        ERR_clear_error();
        const int w = SSL_write(impl.ssl.get(), p, static_cast<int>(n));
        if (w <= 0) {
          r.ec = impl.ssl_error(w);
          return false;
        }
        r.bytes += static_cast<std::size_t>(w);
        return true;
      };
      for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
        asio::const_buffer b = *it;
        while (b.size() > 0 && r.bytes + staged < kWriteBudget) {
          const std::size_t room = kWriteBudget - r.bytes - staged;
          if (staged == 0 && b.size() >= sizeof stage) {
            const std::size_t n = std::min(b.size(), room);
            if (!write(b.data(), n)) return r;
            b += n;
            continue;
          }
          const std::size_t n = std::min({b.size(), sizeof stage - staged, room});
          std::memcpy(stage + staged, b.data(), n);
          staged += n;
          b += n;
          if (staged == sizeof stage) {
            if (!write(stage, staged)) return r;
            staged = 0;
          }
        }
      }
      if (staged > 0) write(stage, staged);
      return r;
    }
  };

  // The composed operation around a step: run the step, write out what it produced (one
  // asynchronous write at a time), wait for input when it asks, repeat; complete never inline.
  template <class Step, bool WithBytes, bool Writes = !WithBytes>
  struct Op {
    std::shared_ptr<Impl> impl;
    Step step;
    StepResult result{};
    std::string out{};  // ciphertext being written by this operation
    bool started = false;
    bool finished = false;  // result is final; complete after the pending write or post

    template <class Self>
    void operator()(Self& self, beast::error_code ec = {}, std::size_t = 0) {
      const bool first = !started;
      started = true;
      if (!out.empty()) {  // a write of ciphertext completed
        out = std::string();
        impl->writing = false;
        if (ec) return complete(self, impl->translate(ec));
        if (!impl->out.empty()) return write_out(self);
        if (finished) return complete(self, result.ec);
        return impl->wait_readable(std::move(self));
      }
      if (!first && !finished) {
        // A wait for input ended. End of stream and errors are OpenSSL's to classify (close_notify
        // or truncation) on the next step; only cancellation and the deadline end the operation.
        if (impl->timed_out) return complete(self, beast::error::timeout);
        if (ec == asio::error::operation_aborted) return complete(self, ec);
      }
      if (finished) return complete(self, result.ec);      // posted after an immediate result
      if (impl->timed_out) {
        result.ec = beast::error::timeout;
        finished = true;
      } else {
        result = step(*impl);
        finished = result.ec || result.next == Next::done;
        // Ciphertext goes out before the operation goes on: the handshake's flight before
        // waiting for the answer, a write's records before it completes. Reads leave theirs to
        // Impl::send_output_now (a write may be in flight).
        if constexpr (Writes) {
          if (!impl->out.empty()) return write_out(self);
        }
      }
      if (!finished) return impl->wait_readable(std::move(self));
      if (first) return asio::post(impl->socket.get_executor(), std::move(self));
      complete(self, result.ec);
    }

   private:
    template <class Self>
    void write_out(Self& self) {
      out = impl->take_output();
      impl->writing = true;
      asio::async_write(impl->socket, asio::buffer(out), std::move(self));
    }

    template <class Self>
    void complete(Self& self, beast::error_code ec) {
      if constexpr (WithBytes) {
        self.complete(ec, ec ? 0 : result.bytes);
      } else {
        self.complete(ec);
      }
    }
  };

  std::shared_ptr<Impl> impl_;
};

// Beast closes the connection with this when a WebSocket timeout fires (argument-dependent lookup).
inline void beast_close_socket(TlsStream& stream) { stream.close(); }

// Beast's WebSocket closing handshake ends with these (found by argument-dependent lookup).
void teardown(beast::role_type role, TlsStream& stream, beast::error_code& ec);

template <class TeardownHandler>
void async_teardown(beast::role_type, TlsStream& stream, TeardownHandler&& handler) {
  auto ex = asio::get_associated_executor(handler, stream.get_executor());
  stream.async_shutdown(asio::bind_executor(
      ex, [&stream, h = std::forward<TeardownHandler>(handler)](beast::error_code ec) mutable {
        stream.close();
        // close_notify is best effort; a peer that already left is not an error here.
        if (ec == asio::error::operation_aborted || ec == asio::error::broken_pipe ||
            ec == asio::error::connection_reset || ec == beast::error::timeout)
          ec = {};
        std::move(h)(ec);
      }));
}

}  // namespace mw::server
