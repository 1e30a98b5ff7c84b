#include "console.hpp"

#include <sstream>

namespace mw::amtsim {

namespace {

constexpr std::size_t kMaxLine = 256;  // longer lines are cut, as a serial getty does

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

Console::Console(ConsoleInfo info, const PowerState& power) : info_(std::move(info)), power_(power) {}

std::string Console::attach() {
  booted_ = power_ == PowerState::kOn;
  if (!booted_) return {};
  line_.clear();
  user_.clear();
  std::string s;
  s += "\x1b[2J\x1b[H";  // clear the screen, cursor home
  if (boot_ == FirmwareBoot::kBiosSetup) {  // Intel AMT asked for the setup screen (it stays there)
    s += "Meshwork AMT simulator BIOS Setup Utility (amtsim)\r\n";
    s += "  Main    Advanced    Boot    Security    Exit\r\n\r\n";
    s += "System UUID: " + info_.uuid + "\r\n";
    s += "Intel(R) Active Management Technology " + info_.amt_version + "\r\n";
    s += "Entered at the request of Intel(R) AMT\r\n\r\n";
    s += "F10: Save and Exit    ESC: Exit\r\n";
    return s;
  }
  s += "Meshwork AMT simulator BIOS v1.0 (amtsim)\r\n";
  s += "Intel(R) Active Management Technology " + info_.amt_version + "\r\n";
  s += "System UUID: " + info_.uuid + "\r\n";
  s += "Memory Test: 16384 MB OK\r\n";
  s += "Press <F2> to enter SETUP, <F12> for network boot\r\n\r\n";
  if (boot_ == FirmwareBoot::kPxe) {  // Intel AMT forced a network boot; no server answers here
    s += "Booting from network (PXE), requested by Intel(R) AMT...\r\n";
    s += "PXE-E18: Server response timeout.\r\n";
    s += "PXE-M0F: Exiting PXE ROM.\r\n";
    s += "No bootable device -- insert boot disk and press any key\r\n";
    return s;
  }
  if (boot_ == FirmwareBoot::kIderCd || boot_ == FirmwareBoot::kIderFloppy) {  // Intel AMT's remote drives
    s += std::string("Booting from the IDE-R ") + (boot_ == FirmwareBoot::kIderCd ? "CD-ROM" : "floppy") +
         ", requested by Intel(R) AMT...\r\n";
    for (const auto& line : ider_lines_) s += line + "\r\n";
    if (ider_lines_.empty()) s += "No IDE-R session -- insert boot disk and press any key\r\n";
    return s;
  }
  s += "Booting from Hard Disk...\r\n\r\n";
  s += "Meshwork simulated OS 1.0 amtsim-" + std::to_string(info_.index) + " ttyS0\r\n\r\n";
  s += prompt();
  return s;
}

std::string Console::prompt() const {
  const std::string host = "amtsim-" + std::to_string(info_.index);
  return user_.empty() ? host + " login: " : user_ + "@" + host + ":~$ ";
}

std::string Console::input(std::span<const std::uint8_t> typed) {
  if (power_ != PowerState::kOn) {
    booted_ = false;
    return {};
  }
  if (!booted_) return attach();  // powered on since: the keystroke wakes the boot screen
  if (boot_ != FirmwareBoot::kOperatingSystem) return {};  // setup / a failed network boot: keys do nothing here
  std::string out;
  for (const std::uint8_t c : typed) {
    if (c == '\r' || c == '\n') {
      out += "\r\n";
      const std::string line = line_;
      line_.clear();
      out += execute(line);
      out += prompt();
    } else if (c == 0x7F || c == 0x08) {
      if (!line_.empty()) {
        line_.pop_back();
        out += "\b \b";
      }
    } else if (c == 0x03) {  // ^C: drop the line
      line_.clear();
      out += "^C\r\n" + prompt();
    } else if (c >= 0x20 && c < 0x7F && line_.size() < kMaxLine) {
      line_.push_back(static_cast<char>(c));
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string Console::execute(const std::string& line) {
  const auto w = words(line);
  if (user_.empty()) {  // the login prompt: any name logs in (the simulated OS has no passwords)
    if (!w.empty()) user_ = w[0];
    return user_.empty() ? "" : "Welcome to Meshwork simulated OS 1.0\r\n";
  }
  if (w.empty()) return {};
  const std::string& cmd = w[0];
  if (cmd == "help") return "commands: help, echo, hostname, seq, uname, uuid, whoami, exit\r\n";
  if (cmd == "seq") {
    // As coreutils' seq: "seq LAST" or "seq FIRST LAST", one number a line. Output for throughput
    // measurements (scripts/bench.sh mps), so bounded: at most kMaxSeqLines lines.
    constexpr long long kMaxSeqLines = 2'000'000;
    auto number = [](const std::string& t, long long& v) {
      if (t.empty() || t.size() > 9 || t.find_first_not_of("0123456789") != std::string::npos) return false;
      v = std::stoll(t);
      return true;
    };
    long long first = 1, last = 0;
    const bool ok = (w.size() == 2 && number(w[1], last)) || (w.size() == 3 && number(w[1], first) && number(w[2], last));
    if (!ok) return "seq: usage: seq [FIRST] LAST\r\n";
    if (last >= first && last - first >= kMaxSeqLines) return "seq: at most 2000000 lines\r\n";
    std::string out;
    for (long long i = first; i <= last; ++i) out += std::to_string(i) + "\r\n";
    return out;
  }
  if (cmd == "echo") {
    std::string s;
    for (std::size_t i = 1; i < w.size(); ++i) s += (i > 1 ? " " : "") + w[i];
    return s + "\r\n";
  }
  if (cmd == "hostname") return "amtsim-" + std::to_string(info_.index) + "\r\n";
  if (cmd == "uname") {
    if (w.size() > 1 && w[1] == "-a") {
      return "MeshworkSimOS amtsim-" + std::to_string(info_.index) + " 1.0 x86_64 Intel AMT " + info_.amt_version +
             "\r\n";
    }
    return "MeshworkSimOS\r\n";
  }
  if (cmd == "uuid") return info_.uuid + "\r\n";
  if (cmd == "whoami") return user_ + "\r\n";
  if (cmd == "exit" || cmd == "logout") {
    user_.clear();
    return "\r\n";
  }
  return "sh: " + cmd + ": command not found\r\n";
}

}  // namespace mw::amtsim
