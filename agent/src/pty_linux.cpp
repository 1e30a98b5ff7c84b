// Linux PTY: forkpty, the account's login shell, window size by TIOCSWINSZ (pty.hpp).
#include "pty.hpp"
#include "child_fds.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pty.h>
#include <pwd.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace mw::agent {

namespace asio = boost::asio;

namespace {

class LinuxPty : public Pty {
 public:
  LinuxPty(asio::any_io_executor ex, int fd, pid_t pid) : fd_(ex, fd), pid_(pid) {}
  ~LinuxPty() override { close(); }

  asio::awaitable<std::size_t> read(std::span<std::uint8_t> buffer) override {
    boost::system::error_code ec;
    const std::size_t n = co_await fd_.async_read_some(asio::buffer(buffer.data(), buffer.size()),
                                                        asio::redirect_error(asio::use_awaitable, ec));
    co_return ec ? 0 : n;  // EIO: the shell and everything on the terminal have gone
  }
  asio::awaitable<void> write(std::span<const std::uint8_t> data) override {
    co_await asio::async_write(fd_, asio::buffer(data.data(), data.size()), asio::use_awaitable);
  }
  void resize(int cols, int rows) override {
    winsize ws{};
    ws.ws_col = static_cast<unsigned short>(cols);
    ws.ws_row = static_cast<unsigned short>(rows);
    if (fd_.is_open()) ::ioctl(fd_.native_handle(), TIOCSWINSZ, &ws);  // the kernel sends SIGWINCH
  }
  void close() override {
    if (pid_ <= 0) return;
    boost::system::error_code ec;
    fd_.close(ec);
    ::kill(-pid_, SIGHUP);  // the session's process group: the shell and its jobs
    ::kill(pid_, SIGHUP);
    // Reaped off the I/O thread: a shell that ignores SIGHUP gets SIGKILL after 2 s.
    std::thread([pid = pid_] {
      for (int i = 0; i < 200; ++i) {
        if (::waitpid(pid, nullptr, WNOHANG) != 0) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }).detach();
    pid_ = -1;
  }

 private:
  asio::posix::stream_descriptor fd_;
  pid_t pid_;
};

}  // namespace

std::unique_ptr<Pty> Pty::spawn(asio::any_io_executor ex, const PtyOptions& o) {
  // Everything the child needs is looked up before fork: after it, only async-signal-safe calls.
  const bool root = ::geteuid() == 0;
  passwd pw{};
  passwd* found = nullptr;
  std::string buf(16384, '\0');
  if (!o.user.empty()) {
    getpwnam_r(o.user.c_str(), &pw, buf.data(), buf.size(), &found);
    if (!found) throw std::runtime_error("no account named \"" + o.user + "\" on this computer");
    if (!root && found->pw_uid != ::geteuid()) {
      throw std::runtime_error("the agent does not run as root, so it cannot open a terminal as \"" + o.user + "\"");
    }
  } else {
    getpwuid_r(::geteuid(), &pw, buf.data(), buf.size(), &found);
  }
  const std::string shell = found && found->pw_shell && *found->pw_shell ? found->pw_shell : "/bin/sh";
  const std::string home = found && found->pw_dir ? found->pw_dir : "/";
  const std::string name = found ? found->pw_name : "";
  const uid_t uid = found ? found->pw_uid : ::geteuid();
  const gid_t gid = found ? found->pw_gid : ::getegid();
  const bool switch_user = root && !o.user.empty();
  const std::string argv0 = "-" + shell.substr(shell.rfind('/') + 1);  // a login shell
  const std::string env_home = "HOME=" + home, env_user = "USER=" + name, env_logname = "LOGNAME=" + name,
                    env_shell = "SHELL=" + shell;
  std::vector<char*> envp{const_cast<char*>("TERM=xterm-256color"), const_cast<char*>(env_home.c_str()),
                          const_cast<char*>(env_user.c_str()),      const_cast<char*>(env_logname.c_str()),
                          const_cast<char*>(env_shell.c_str()),
                          const_cast<char*>("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
                          const_cast<char*>("LANG=C.UTF-8"), nullptr};
  winsize ws{};
  ws.ws_col = static_cast<unsigned short>(o.cols);
  ws.ws_row = static_cast<unsigned short>(o.rows);
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, &ws);
  if (pid < 0) throw std::runtime_error("cannot open a pseudo-terminal");
  if (pid == 0) {
    close_inherited_fds();
    if (switch_user && (::initgroups(name.c_str(), gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)) _exit(126);
    if (::chdir(home.c_str()) != 0 && ::chdir("/") != 0) _exit(126);
    char* argv[] = {const_cast<char*>(argv0.c_str()), nullptr};
    ::execve(shell.c_str(), argv, envp.data());
    _exit(127);
  }
  ::fcntl(master, F_SETFD, FD_CLOEXEC);
  return std::make_unique<LinuxPty>(ex, master, pid);
}

}  // namespace mw::agent
