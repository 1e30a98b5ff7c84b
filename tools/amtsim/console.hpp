// The serial console of a simulated Intel AMT computer, as Serial-over-LAN shows it: the BIOS
// screen and boot messages when the computer powers on, then a login prompt and a small line shell
// on the simulated operating system. Sans-I/O: bytes typed by the SOL console go in, bytes the
// host's serial port writes come out (VT100 text, CR LF line ends).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mw::amtsim {

enum class PowerState { kOn, kSleep, kHibernate, kSoftOff };
// What the firmware starts at a power-on: the operating system, or what Intel AMT's boot options
// asked for once (AMT_BootSettingData.BIOSSetup, a forced PXE boot source).
enum class FirmwareBoot { kOperatingSystem, kBiosSetup, kPxe, kIderFloppy, kIderCd };

struct ConsoleInfo {
  int index = 1;             // device number, 1-based (host name amtsim-N)
  std::string uuid;          // SMBIOS system UUID
  std::string amt_version = "16.1.25";
  // The computer's real-time clock (the KVM desktop's clock) shows the time passed to tick() plus
  // this, in milliseconds since the Unix epoch (amtsim: wall-clock time, UTC).
  std::int64_t clock_offset_ms = 0;
};

class Console {
 public:
  // `power` is the device's power state (changed by WS-Management power actions).
  Console(ConsoleInfo info, const PowerState& power);

  // What the serial port shows when a SOL session starts: the boot screen when on (the
  // simulated computer restarts its console for the new viewer), nothing otherwise.
  std::string attach();
  // Bytes typed in the SOL console: echoed, edited (backspace), executed on CR. After the computer
  // was powered on again, the first key shows the boot screen anew.
  std::string input(std::span<const std::uint8_t> typed);

  bool logged_in() const { return !user_.empty(); }
  PowerState power() const { return power_; }
  // Where the current power-on went (the device's WS-Management side decides; default: the OS).
  void set_firmware_boot(FirmwareBoot boot) { boot_ = boot; }
  // What the firmware's probe of the IDE-R drives found (shown on a boot from IDE-R).
  void set_ider_lines(std::vector<std::string> lines) { ider_lines_ = std::move(lines); }

 private:
  std::string prompt() const;
  std::string execute(const std::string& line);

  ConsoleInfo info_;
  const PowerState& power_;
  bool booted_ = false;  // the boot screen was shown since the last power-on
  FirmwareBoot boot_ = FirmwareBoot::kOperatingSystem;
  std::vector<std::string> ider_lines_;
  std::string line_;  // the line being typed
  std::string user_;  // empty: at the login prompt
};

}  // namespace mw::amtsim
