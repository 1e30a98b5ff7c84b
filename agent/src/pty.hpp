// A shell on a pseudo-terminal, the agent's terminal sessions' local end. One implementation per
// platform (pty_linux.cpp: forkpty); a Windows port adds ConPTY in its own file.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace mw::agent {

struct PtyOptions {
  int cols = 80, rows = 24;
  std::string user;  // run as this account (needs root); "" = the agent's own account
};

class Pty {
 public:
  // Starts the account's login shell. Throws std::runtime_error with a clear message (unknown
  // user, not allowed to switch user, no PTY).
  static std::unique_ptr<Pty> spawn(boost::asio::any_io_executor ex, const PtyOptions& options);
  virtual ~Pty() = default;
  // Reads what the shell wrote; 0 when the shell has ended.
  virtual boost::asio::awaitable<std::size_t> read(std::span<std::uint8_t> buffer) = 0;
  virtual boost::asio::awaitable<void> write(std::span<const std::uint8_t> data) = 0;
  virtual void resize(int cols, int rows) = 0;
  // Hangs up the shell (SIGHUP, then SIGKILL if it lingers) and reaps it.
  virtual void close() = 0;
};

}  // namespace mw::agent
