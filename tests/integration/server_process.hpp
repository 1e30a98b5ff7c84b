// Test helper: runs meshwork-server as a child process on 127.0.0.1 with ephemeral ports and a
// temporary data folder, reads its startup lines, and stops it (SIGTERM) when destroyed.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mw::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A free TCP port on 127.0.0.1 at the time of the call (for listeners that need a fixed number).
int free_port();

class ServerProcess {
 public:
  // Starts the server with the given extra arguments; waits for the HTTPS startup line or exit.
  explicit ServerProcess(std::vector<std::string> args,
                         std::chrono::milliseconds startup_timeout = std::chrono::seconds(60));
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool running() const { return https_port_ > 0 && !exit_code_; }
  int https_port() const { return https_port_; }
  int redirect_port() const { return redirect_port_; }
  int mps_port() const { return mps_port_; }
  // Everything the server printed so far (stdout and stderr).
  const std::string& output() const { return output_; }
  // Reads what the server printed since (waiting up to `timeout` for something) and returns all.
  const std::string& poll(std::chrono::milliseconds timeout = std::chrono::milliseconds(50)) {
    read_available(timeout);
    return output_;
  }
  // Sends `signal` and waits for exit; returns the exit code (or 128+signal if killed by one).
  int stop(int signal = 15, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Waits for the process to exit by itself; returns its exit code or nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

 private:
  void read_available(std::chrono::milliseconds timeout);
  int pid_ = -1;
  int out_fd_ = -1;
  int https_port_ = 0;
  int redirect_port_ = 0;
  int mps_port_ = 0;
  std::optional<int> exit_code_;
  std::string output_;
};

}  // namespace mw::test
