// amtsim as a child process whose output a test reads: in CIRA mode (the peer tests against
// MeshCentral's MPS and the integration tests against meshwork-server's MPS share it) and in LAN
// mode (devices listening on their own loopback addresses).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "process.hpp"

namespace mw::test::peer {

// MeshCentral's id value (after "node/<domain>/") of an "Intel AMT only" device, computed here
// independently of the server: the UUID's 16 bytes in text order three times, base64 with '+' and
// '/' as '@' and '$'. `uuid` is the 8-4-4-4-12 text amtsim prints.
inline std::string meshcentral_amt_node_value(const std::string& uuid) {
  std::string hex;
  for (const char c : uuid) {
    if (c != '-') hex.push_back(c);
  }
  std::vector<std::uint8_t> raw;
  for (int k = 0; k < 3; ++k) {
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) raw.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@$";
  std::string out;
  for (std::size_t i = 0; i + 2 < raw.size(); i += 3) {
    const std::uint32_t v = std::uint32_t{raw[i]} << 16 | std::uint32_t{raw[i + 1]} << 8 | raw[i + 2];
    for (int k = 3; k >= 0; --k) out.push_back(kAlphabet[(v >> (6 * k)) & 63]);
  }
  return out;
}

// amtsim started with `argv`, its stdout read by the test.
class AmtsimProcess : public OutputChild {
 public:
  using OutputChild::OutputChild;
};

// amtsim in CIRA mode: `count` devices logging in to the MPS on `mps_port`.
class CiraSim : public AmtsimProcess {
 public:
  CiraSim(const std::string& amtsim, int mps_port, const std::string& user, const std::string& pass, int count,
          const std::string& amt_pass, std::vector<std::string> extra = {})
      : AmtsimProcess(args(amtsim, mps_port, user, pass, count, amt_pass, std::move(extra))) {}

 private:
  static std::vector<std::string> args(const std::string& amtsim, int mps_port, const std::string& user, const std::string& pass,
                                       int count, const std::string& amt_pass, std::vector<std::string> extra) {
    std::vector<std::string> argv{amtsim, "--mode", "cira", "--count", std::to_string(count), "--mps",
                                  "127.0.0.1:" + std::to_string(mps_port), "--mps-user", user, "--mps-pass", pass,
                                  "--amt-pass", amt_pass, "--seed", "cira-test"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
};

// amtsim in LAN mode: `count` devices from `first_ip` on, with AMT's standard ports (or, with
// "--tls" among `extra`, 16993 and 16995); the constructor waits until they listen.
class LanSim : public AmtsimProcess {
 public:
  LanSim(const std::string& amtsim, const std::string& first_ip, int count, const std::string& amt_pass,
         const std::string& seed, std::vector<std::string> extra = {})
      : AmtsimProcess(args(amtsim, first_ip, count, amt_pass, seed, std::move(extra))) {
    ready = wait_for("ready\n");
  }
  bool ready = false;

 private:
  static std::vector<std::string> args(const std::string& amtsim, const std::string& first_ip, int count,
                                       const std::string& amt_pass, const std::string& seed, std::vector<std::string> extra) {
    std::vector<std::string> argv{amtsim, "--mode", "lan", "--count", std::to_string(count), "--first-ip", first_ip,
                                  "--amt-pass", amt_pass, "--seed", seed};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
};

}  // namespace mw::test::peer
