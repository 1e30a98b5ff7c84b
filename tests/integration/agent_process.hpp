// A meshwork-agent the test runs in the foreground, with its log (stderr) in a file the test reads.
#pragma once

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>

#include "../peers/process.hpp"

namespace mw::test {

class AgentProcess {
 public:
  using Clock = std::chrono::steady_clock;
  AgentProcess(const std::filesystem::path& settings, const std::filesystem::path& state, const std::filesystem::path& log)
      : log_(log) {
    child_ = peer::Child::spawn({MW_AGENT_BINARY, "--settings", settings.string(), "--state-dir", state.string()},
                                peer::current_env(), log);
  }
  bool wait_for(const std::string& text, std::chrono::seconds within = std::chrono::seconds(30)) {
    const auto deadline = Clock::now() + within;
    while (Clock::now() < deadline) {
      if (log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  std::string log() const { return peer::read_file(log_); }
  void stop() { child_.stop(); }
  // Waits for the agent to end by itself; its exit code, or -1 if it still runs.
  int wait_exit(std::chrono::seconds within) { return child_.wait(Clock::now() + within) ? child_.status() : -1; }

 private:
  std::filesystem::path log_;
  peer::Child child_;
};

// The device id value the agent logged ("as node//..."), without "node//".
inline std::string node_of(const AgentProcess& agent) {
  std::smatch m;
  const std::string log = agent.log();
  return std::regex_search(log, m, std::regex("as node//([A-Za-z0-9@$]{64})")) ? m[1].str() : "";
}

}  // namespace mw::test
