// Shell commands on Linux (commands.hpp): fork, /bin/sh -c, a pipe for stdout and stderr, poll
// with a deadline.
#include "commands.hpp"
#include "child_fds.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <thread>

namespace mw::agent {

namespace {

std::pair<std::string, int> run(const std::string& cmds) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return {"cannot create a pipe", -1};
  const pid_t pid = fork();
  if (pid < 0) {
    ::close(out[0]);
    ::close(out[1]);
    return {"cannot start a process", -1};
  }
  if (pid == 0) {
    setsid();  // its own process group, so a timeout kills what it started too
    const int null = ::open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(out[1], 1);
    dup2(out[1], 2);
    close_inherited_fds();
    if (const char* home = getenv("HOME")) {
      if (chdir(home) != 0) chdir("/");
    }
    execl("/bin/sh", "sh", "-c", cmds.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ::close(out[1]);
  std::string output;
  bool cut = false, timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kCommandTimeoutSeconds);
  char buf[16384];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000))) < 0 && errno != EINTR) break;
    if (!(p.revents & (POLLIN | POLLHUP))) continue;
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    if (output.size() < kMaxCommandOutput) output.append(buf, static_cast<std::size_t>(std::min<ssize_t>(n, static_cast<ssize_t>(kMaxCommandOutput - output.size()))));
    else cut = true;
  }
  ::close(out[0]);
  if (timed_out) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (cut) output += "\n[output cut at 1 MiB]\n";
  if (timed_out) return {output + "\n[killed after " + std::to_string(kCommandTimeoutSeconds) + " s]\n", -1};
  return {output, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

}  // namespace

void run_commands(boost::asio::any_io_executor ex, std::string cmds, std::function<void(std::string, int)> done) {
  std::thread([ex, cmds = std::move(cmds), done = std::move(done)]() mutable {
    auto [output, code] = run(cmds);
    boost::asio::post(ex, [done = std::move(done), output = std::move(output), code = code]() mutable { done(std::move(output), code); });
  }).detach();
}

}  // namespace mw::agent
