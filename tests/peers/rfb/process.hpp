// Programs for the Xvnc peer tests: a private Xvnc on a free display and port, and the X clients
// that show and read its screen (xwud, xwd, xdotool, xrandr). The generic helpers (children,
// temporary folders, ports) are ../process.hpp's.
#pragma once

#include "../process.hpp"

namespace mw::rfb::peer {

using namespace mw::test::peer;

// The environment of X clients: ours, with DISPLAY set to the test's server.
inline std::vector<std::string> x_env(const std::string& display) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "DISPLAY=", 8) != 0 && std::strncmp(*e, "XAUTHORITY=", 11) != 0)
      env.emplace_back(*e);
  }
  env.push_back("DISPLAY=" + display);
  return env;
}

// A private Xvnc (TigerVNC 1.12): X display chosen by the server itself (-displayfd), VNC on
// 127.0.0.1 at a free port, no cursor drawn (-nocursor: the screen then equals what xwd reads,
// whether or not a client takes the cursor as a pseudo-encoding), a fixed desktop name (it goes
// into the committed captures), logs in `dir`. Stopped and reaped on destruction.
class Xvnc {
 public:
  static std::unique_ptr<Xvnc> start(const fs::path& dir, const std::string& tag,
                                     const std::vector<std::string>& extra, std::string& error) {
    auto x = std::unique_ptr<Xvnc>(new Xvnc);
    x->log_ = dir / ("Xvnc-" + tag + ".log");
    // The port is free now; another program taking it before Xvnc binds is possible but
    // shows as a failed start, never as a wrong server.
    x->port_ = free_port();
    int fds[2];
    if (x->port_ <= 0 || pipe2(fds, O_CLOEXEC) != 0) {
      error = "no free port or pipe";
      return nullptr;
    }
    std::vector<std::string> argv = {"Xvnc",
                                     "-displayfd",
                                     "3",
                                     "-interface",
                                     "127.0.0.1",
                                     "-rfbport",
                                     std::to_string(x->port_),
                                     "-geometry",
                                     "320x240",
                                     "-depth",
                                     "24",
                                     "-nolisten",
                                     "tcp",
                                     "-nocursor",
                                     "-desktop",
                                     "meshwork-test",
                                     "-SecurityTypes",
                                     "None"};
    // Later options win: a test's own -SecurityTypes replaces the default None.
    argv.insert(argv.end(), extra.begin(), extra.end());
    x->child_ = Child::spawn(argv, x_env(":0"), x->log_, fds[1]);
    close(fds[1]);
    if (x->child_.pid() <= 0) {
      close(fds[0]);
      error = "cannot start Xvnc";
      return nullptr;
    }
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    std::string number;
    while (number.find('\n') == std::string::npos && Clock::now() < deadline) {
      pollfd p{fds[0], POLLIN, 0};
      if (poll(&p, 1, ms_left(deadline)) <= 0) continue;
      char buf[32];
      const ssize_t n = read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      number.append(buf, static_cast<std::size_t>(n));
    }
    close(fds[0]);
    if (number.find('\n') == std::string::npos) {
      error = "Xvnc did not report its display (is tigervnc-standalone-server installed?): " +
              read_file(x->log_);
      return nullptr;
    }
    x->display_ = ":" + std::to_string(std::atoi(number.c_str()));
    // The VNC listener is up when X is; still, wait for it rather than assume.
    while (Clock::now() < deadline) {
      const int fd = connect_loopback(x->port_);
      if (fd >= 0) {
        close(fd);
        return x;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    error = "Xvnc does not accept connections on port " + std::to_string(x->port_) + ": " +
            read_file(x->log_);
    return nullptr;
  }

  const std::string& display() const { return display_; }
  int port() const { return port_; }
  const fs::path& log() const { return log_; }
  std::vector<std::string> env() const { return x_env(display_); }
  bool running() { return child_.running(); }

 private:
  Xvnc() = default;
  Child child_;
  std::string display_;
  int port_ = -1;
  fs::path log_;
};

}  // namespace mw::rfb::peer
