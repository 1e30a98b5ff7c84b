// The native mw::rfb::Client over a socket, for the peer tests: a small blocking poll loop with
// a deadline that writes what the client sends and collects every event it gives.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "mw/rfb/client.hpp"
#include "process.hpp"

namespace mw::rfb::peer {

class Session {
 public:
  // Takes ownership of a connected socket (TCP or one end of a socketpair).
  Session(int fd, ClientConfig config) : fd_(fd), client_(std::move(config)) {
    if (fd_ < 0) error_ = "not connected";
  }
  ~Session() {
    if (fd_ >= 0) close(fd_);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Client& client() { return client_; }
  const std::vector<ClientEvent>& events() const { return events_; }
  const std::string& error() const { return error_; }  // transport problems, not RFB ones
  bool closed() const { return closed_; }
  int updates() const { return updates_; }

  template <typename T>
  int count() const {
    int n = 0;
    for (const auto& e : events_) n += std::holds_alternative<T>(e) ? 1 : 0;
    return n;
  }
  template <typename T>
  const T* last() const {
    for (auto it = events_.rbegin(); it != events_.rend(); ++it) {
      if (const T* v = std::get_if<T>(&*it)) return v;
    }
    return nullptr;
  }
  // The typed error of a Failed event, "" when there is none.
  std::string failure() const {
    const Failed* f = last<Failed>();
    return f ? f->error.code + ": " + f->error.message : std::string();
  }

  // Writes the client's bytes and keeps its events.
  bool apply(ClientOutput out) {
    for (auto& e : out.events) {
      if (std::holds_alternative<UpdateDone>(e)) ++updates_;
      events_.push_back(std::move(e));
    }
    std::size_t done = 0;
    while (done < out.send.size() && fd_ >= 0) {
      const ssize_t n = send(fd_, out.send.data() + done, out.send.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error_ = std::string("send: ") + std::strerror(errno);
        return false;
      }
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Feeds what the server sends until `done()` holds, the client fails, the connection closes or
  // `timeout` passes. Returns done().
  bool pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::vector<std::uint8_t> buf(1 << 16);
    while (!done()) {
      if (fd_ < 0 || closed_ || !error_.empty()) return false;
      const ClientState s = client_.state();
      if (s == ClientState::kFailed || s == ClientState::kClosed) return false;
      const int wait = ms_left(deadline);
      if (wait == 0) return false;
      pollfd p{fd_, POLLIN, 0};
      const int ready = poll(&p, 1, wait);
      if (ready < 0 && errno != EINTR) {
        error_ = std::string("poll: ") + std::strerror(errno);
        return false;
      }
      if (ready <= 0) continue;
      const ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error_ = std::string("recv: ") + std::strerror(errno);
        return false;
      }
      if (n == 0) {
        closed_ = true;
        apply(client_.end_of_stream());
        return done();
      }
      if (!apply(client_.feed({buf.data(), static_cast<std::size_t>(n)}))) return false;
    }
    return true;
  }

  // Pumps until `n` updates in all have been decoded.
  bool wait_updates(int n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    return pump_until([&] { return updates_ >= n; }, timeout);
  }

 private:
  int fd_ = -1;
  Client client_;
  std::vector<ClientEvent> events_;
  std::string error_;
  bool closed_ = false;
  int updates_ = 0;
};

}  // namespace mw::rfb::peer
