// amtsim in CIRA mode as a child process whose output a test reads (the peer tests against
// MeshCentral's MPS and the integration tests against meshwork-server's MPS share it).
#pragma once

#include <string>
#include <vector>

#include "process.hpp"

namespace mw::test::peer {

class CiraSim {
 public:
  CiraSim(const std::string& amtsim, int mps_port, const std::string& user, const std::string& pass, int count,
          const std::string& amt_pass, std::vector<std::string> extra = {}) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return;
    std::vector<std::string> argv{amtsim, "--mode", "cira", "--count", std::to_string(count), "--mps",
                                  "127.0.0.1:" + std::to_string(mps_port), "--mps-user", user, "--mps-pass", pass,
                                  "--amt-pass", amt_pass, "--seed", "cira-test"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    child_ = Child::spawn(argv, current_env(), {}, -1, -1, out[1]);
    close(out[1]);
    fd_ = out[0];
  }
  ~CiraSim() {
    if (fd_ >= 0) close(fd_);
  }
  CiraSim(const CiraSim&) = delete;
  CiraSim& operator=(const CiraSim&) = delete;

  // Reads stdout until `text` has appeared after offset `from` (or the deadline).
  bool wait_for(const std::string& text, std::chrono::seconds within = std::chrono::seconds(30), std::size_t from = 0) {
    return read_until(fd_, output, text, from, Clock::now() + within) != std::string::npos;
  }
  pid_t pid() const { return child_.pid(); }
  std::string output;

 private:
  Child child_;
  int fd_ = -1;
};

}  // namespace mw::test::peer
