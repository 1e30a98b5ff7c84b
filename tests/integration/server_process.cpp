// ServerProcess: fork/exec with a pipe for stdout+stderr, line scanning for the startup lines.
#include "server_process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <regex>
#include <stdexcept>

#ifndef MW_SERVER_BINARY
#error "MW_SERVER_BINARY must name the meshwork-server executable"
#endif

namespace mw::test {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "mwtest-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

ServerProcess::ServerProcess(std::vector<std::string> args, std::chrono::milliseconds startup_timeout) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> argv_s{MW_SERVER_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(fds[1]);
  out_fd_ = fds[0];
  const auto deadline = std::chrono::steady_clock::now() + startup_timeout;
  static const std::regex https_re(R"((?:HTTPS server|HTTP server \(TLS offload\)) running on .*:(\d+)\.)");
  static const std::regex redir_re(R"(HTTP redirection server running on port (\d+)\.)");
  while (std::chrono::steady_clock::now() < deadline && !exit_code_) {
    read_available(std::chrono::milliseconds(100));
    std::smatch m;
    if (std::regex_search(output_, m, redir_re)) redirect_port_ = std::stoi(m[1]);
    if (std::regex_search(output_, m, https_re)) {
      https_port_ = std::stoi(m[1]);
      // The remaining startup lines follow at once; the last one says where to point a browser.
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (output_.find(" in a browser.") == std::string::npos && std::chrono::steady_clock::now() < until) {
        read_available(std::chrono::milliseconds(50));
      }
      static const std::regex mps_re(R"(MPS server(?: \(TLS offload\))? running on .*:(\d+)\.)");
      if (std::regex_search(output_, m, mps_re)) mps_port_ = std::stoi(m[1]);
      break;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      read_available(std::chrono::milliseconds(50));
    }
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
}

void ServerProcess::read_available(std::chrono::milliseconds timeout) {
  pollfd p{out_fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return;
  char buf[4096];
  const ssize_t n = ::read(out_fd_, buf, sizeof buf);
  if (n > 0) output_.append(buf, static_cast<std::size_t>(n));
}

std::optional<int> ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      for (int i = 0; i < 5; ++i) read_available(std::chrono::milliseconds(20));
      return exit_code_;
    }
    read_available(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

int ServerProcess::stop(int signal, std::chrono::milliseconds timeout) {
  if (exit_code_) return *exit_code_;
  ::kill(pid_, signal);
  if (auto code = wait_exit(timeout)) return *code;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  exit_code_ = 128 + SIGKILL;
  return *exit_code_;
}

}  // namespace mw::test
