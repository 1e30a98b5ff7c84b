// Helpers of the peer tests (real programs started by the tests): bounded child processes, temporary
// folders, files, loopback ports. Header-only; used by every module's peer tests.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace mw::test::peer {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

inline int ms_left(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

// A private temporary folder, removed with everything in it when the test ends however it ends.
struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/mw-peer-XXXXXX";
    if (mkdtemp(tmpl) != nullptr) path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  fs::path path;
};

inline std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

inline bool write_file(const fs::path& p, std::string_view data) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  f.close();
  return static_cast<bool>(f);
}

// This process's environment, for children that need nothing else.
inline std::vector<std::string> current_env() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

// In a forked child: replaces it by argv[0] (searched in PATH) with `env`; exits 127 when that fails.
[[noreturn]] inline void exec_or_exit(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  std::vector<char*> a;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  std::vector<char*> e;
  for (const auto& s : env) e.push_back(const_cast<char*>(s.c_str()));
  e.push_back(nullptr);
  execvpe(a[0], a.data(), e.data());
  std::fprintf(stderr, "exec %s: %s\n", a[0], std::strerror(errno));
  _exit(127);
}

// A started program. The destructor ends it (SIGTERM, then SIGKILL after `grace`) and reaps it.
class Child {
 public:
  Child() = default;
  // stdin and stdout are /dev/null unless given; stderr goes to `log` (or /dev/null); `fd3`,
  // when >= 0, becomes the child's descriptor 3 (Xvnc's -displayfd).
  static Child spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                     const fs::path& log = {}, int fd3 = -1, int stdin_fd = -1,
                     int stdout_fd = -1) {
    Child c;
    const pid_t pid = fork();
    if (pid < 0) return c;
    if (pid == 0) {
      const int null = open("/dev/null", O_RDWR);
      dup2(stdin_fd >= 0 ? stdin_fd : null, 0);
      dup2(stdout_fd >= 0 ? stdout_fd : null, 1);
      const int err = log.empty() ? null : open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(err >= 0 ? err : null, 2);
      if (fd3 >= 0) {
        if (fd3 != 3) {
          dup2(fd3, 3);
        } else {
          fcntl(3, F_SETFD, 0);  // keep it across exec
        }
      }
      exec_or_exit(argv, env);
    }
    c.pid_ = pid;
    return c;
  }
  Child(Child&& o) noexcept : pid_(o.pid_), status_(o.status_) { o.pid_ = -1; }
  Child& operator=(Child&& o) noexcept {
    if (this != &o) {
      stop();
      pid_ = o.pid_;
      status_ = o.status_;
      o.pid_ = -1;
    }
    return *this;
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { stop(); }

  pid_t pid() const { return pid_; }
  // True while it runs; once it has ended, its exit code is in status().
  bool running() {
    if (pid_ <= 0) return false;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
      pid_ = -1;
      return false;
    }
    return true;
  }
  int status() const { return status_; }
  // Waits for the end, at most until `deadline`; false if it still runs.
  bool wait(Clock::time_point deadline) {
    while (running()) {
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000)) {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    if (!wait(Clock::now() + grace)) {
      kill(pid_, SIGKILL);
      int st = 0;
      waitpid(pid_, &st, 0);
      pid_ = -1;
      status_ = 128 + SIGKILL;
    }
  }

 private:
  pid_t pid_ = -1;
  int status_ = -2;  // -2: never started or still running
};

struct RunResult {
  std::string out;
  std::string err;
  int status = -1;  // exit code; -1 when it could not be started or had to be killed
};

// Runs a program to its end with stdout and stderr captured, bounded by `timeout`; `input` is
// its standard input.
inline RunResult run(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30),
                     std::string_view input = {}) {
  RunResult r;
  int out[2], err[2], in[2];
  if (pipe2(out, O_CLOEXEC) != 0) return r;
  if (pipe2(err, O_CLOEXEC) != 0 || pipe2(in, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    return r;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    exec_or_exit(argv, env);
  }
  close(out[1]);
  close(err[1]);
  close(in[0]);
  // Small inputs only (a password): written before reading, then closed for EOF.
  if (pid > 0 && !input.empty()) {
    [[maybe_unused]] const ssize_t n = write(in[1], input.data(), input.size());
  }
  close(in[1]);
  const auto deadline = Clock::now() + timeout;
  pollfd p[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (pid > 0 && open_fds > 0 && Clock::now() < deadline) {
    if (poll(p, 2, ms_left(deadline)) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = read(p[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
      } else {
        close(p[i].fd);
        p[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& x : p) {
    if (x.fd >= 0) close(x.fd);
  }
  if (pid <= 0) return r;
  int status = 0;
  for (;;) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      return r;
    }
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  r.status = -1;
  return r;
}

// Reads from `fd` into `buffer` until `text` appears at or after `from`, the deadline passes or
// the stream ends. Returns where `text` starts, or npos.
inline std::size_t read_until(int fd, std::string& buffer, std::string_view text, std::size_t from,
                              Clock::time_point deadline) {
  for (;;) {
    const auto at = buffer.find(text, from);
    if (at != std::string::npos) return at;
    pollfd p{fd, POLLIN, 0};
    if (Clock::now() >= deadline || poll(&p, 1, ms_left(deadline)) <= 0) return std::string::npos;
    char buf[4096];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return std::string::npos;
    buffer.append(buf, static_cast<std::size_t>(n));
  }
}

// A program started with `argv` whose stdout the test reads (stderr to `log`, or /dev/null).
class OutputChild {
 public:
  explicit OutputChild(const std::vector<std::string>& argv, const fs::path& log = {}) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return;
    child_ = Child::spawn(argv, current_env(), log, -1, -1, out[1]);
    close(out[1]);
    fd_ = out[0];
  }
  ~OutputChild() {
    if (fd_ >= 0) close(fd_);
  }
  OutputChild(const OutputChild&) = delete;
  OutputChild& operator=(const OutputChild&) = delete;

  // Reads stdout until `text` has appeared after offset `from` (or the deadline).
  bool wait_for(const std::string& text, std::chrono::seconds within = std::chrono::seconds(30), std::size_t from = 0) {
    return read_until(fd_, output, text, from, Clock::now() + within) != std::string::npos;
  }
  pid_t pid() const { return child_.pid(); }
  std::string output;  // its lines so far

 private:
  Child child_;
  int fd_ = -1;
};

// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel's choice).
inline int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

// A connected TCP socket to 127.0.0.1:port, or -1.
inline int connect_loopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace mw::test::peer
