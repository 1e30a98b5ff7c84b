// Notifications on Linux (notify.hpp): posix_spawnp of zenity, xmessage or notify-send with the
// display set in its environment, the message on a pipe where the program reads it.
#include "notify.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "agent.hpp"

extern char** environ;

namespace mw::agent {
namespace {

using proto::agent::Notify;

std::atomic<int> open_notices{0};

// The agent's environment with DISPLAY replaced.
std::vector<std::string> environment(const std::string& display) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, "DISPLAY=", 8) != 0) env.emplace_back(*e);
  }
  env.push_back("DISPLAY=" + display);
  return env;
}

struct Started {
  pid_t pid = -1;
  int error = 0;
};

// Starts `argv` with `input` on its standard input (nothing when empty), in its own session,
// output discarded.
Started spawn(const std::vector<std::string>& argv, const std::string& display, const std::string& input) {
  int in[2];
  if (pipe2(in, O_CLOEXEC) != 0) return {-1, errno};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);  // nothing of the agent's (child_fds.hpp)
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto env_strings = environment(display);
  std::vector<char*> env;
  for (const auto& e : env_strings) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &fa, &attr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(in[0]);
  if (rc == 0 && !input.empty()) {
    // At most 4 KiB of message: less than a pipe holds, so this never waits for the reader.
    const ssize_t n = ::write(in[1], input.data(), input.size());
    (void)n;
  }
  ::close(in[1]);
  if (rc != 0) return {-1, rc};
  return {pid, 0};
}

// The message box's command lines, best first.
std::vector<std::vector<std::string>> box_commands(const std::string& title, const std::string& message, int seconds) {
  std::vector<std::string> zenity{"zenity", "--info", "--no-markup", "--title=" + title, "--text=" + message};
  if (seconds > 0) zenity.push_back("--timeout=" + std::to_string(seconds));
  // xmessage reads the text from its standard input ("-file -").
  std::vector<std::string> xmessage{"xmessage", "-center", "-title", title, "-buttons", "OK:0", "-default", "OK"};
  if (seconds > 0) {
    xmessage.push_back("-timeout");
    xmessage.push_back(std::to_string(seconds));
  }
  xmessage.push_back("-file");
  xmessage.push_back("-");
  return {zenity, xmessage};
}

// Every program started counts against kMaxOpenNotices from take_slot() until reap() sees it end
// (or, when it could not start, until the caller gives the slot back).
bool take_slot() {
  if (open_notices.fetch_add(1) < kMaxOpenNotices) return true;
  open_notices.fetch_sub(1);
  return false;
}
void give_back_slot() { open_notices.fetch_sub(1); }
constexpr const char* kTooMany = "too many messages are open on this device";

// Reaps `pid` off the caller's thread and gives its slot back; `on_exit` gets its exit status
// (-1 when killed).
void reap(pid_t pid, std::function<void(int)> on_exit) {
  std::thread([pid, on_exit = std::move(on_exit)] {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    give_back_slot();
    if (on_exit) on_exit(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }).detach();
}

std::string show_box(const std::string& title, const std::string& message, int seconds, const std::string& display) {
  if (!take_slot()) return kTooMany;
  for (const auto& argv : box_commands(title, message, seconds)) {
    const bool stdin_text = argv.front() == "xmessage";
    const Started s = spawn(argv, display, stdin_text ? message : std::string());
    if (s.pid < 0) {
      if (s.error == ENOENT) continue;  // not installed: the next one
      give_back_slot();
      return "cannot start " + argv.front() + ": " + std::strerror(s.error);
    }
    reap(s.pid, [program = argv.front(), display](int code) {
      // zenity exits 5 at its timeout, xmessage with the button's value (0) or 0 at its timeout.
      if (code != 0 && !(program == "zenity" && code == 5) && !(program == "zenity" && code == 1)) {
        log_line("message box: " + program + " on " + display + " ended with " + std::to_string(code));
      }
    });
    return "";
  }
  give_back_slot();
  return "neither zenity nor xmessage is installed";
}

}  // namespace

std::string show_notice(const Notify& n, const std::string& display_setting) {
  std::string display = display_setting;
  if (display.empty()) {
    const char* env = std::getenv("DISPLAY");
    display = env && *env ? env : ":0";
  }
  const std::string title = n.title.empty() ? "Meshwork" : n.title;
  if (n.kind == Notify::Kind::kMessageBox) return show_box(title, n.message, n.timeout_s, display);
  const char* bus = std::getenv("DBUS_SESSION_BUS_ADDRESS");
  if (bus && *bus) {
    if (!take_slot()) return kTooMany;
    const Started s = spawn({"notify-send", "--app-name=Meshwork", "--", title, n.message}, display, "");
    if (s.pid > 0) {
      reap(s.pid, [title, message = n.message, display](int code) {
        if (code == 0) return;
        // No notification service answered: a message box instead (with a slot of its own).
        log_line("notify-send ended with " + std::to_string(code) + "; showing the notification as a message box");
        show_box(title, message, kToastSeconds, display);
      });
      return "";
    }
    give_back_slot();
  }
  return show_box(title, n.message, kToastSeconds, display);
}

}  // namespace mw::agent
