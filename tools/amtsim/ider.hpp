// The simulated computer's IDE-R drives: shared/ider's DeviceSession in an IDER redirection
// session, and what the computer does with the floppy and CD-ROM the console serves.
//
// When the drives appear (at once for a "graceful" or "now" start, at the next boot for "on
// reboot"), the simulated firmware probes them as a BIOS does: TEST UNIT READY (the first answer
// is "medium changed"), READ CAPACITY, then the boot structures: a CD-ROM's ISO 9660 primary
// volume descriptor (LBA 16), El Torito boot record (17), boot catalog and boot image; a floppy's
// boot sector. It then reads the whole medium (up to 64 MiB) as an installer would, hashing it.
// Each probed drive gives one line on amtsim's output, which the tests read:
//   ider N cdrom label="LABEL" blocks=B boot=el-torito sectors=S sha256=HEX bytes=N
//   ider N floppy oem="OEM" label="LABEL" blocks=B boot=yes|no sha256=HEX bytes=N
// and what a boot from IDE-R shows on the serial console (WsmanDevice::ider_boot_text).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mw/ider/session.hpp"
#include "wsman_device.hpp"

namespace mw::amtsim {

class IderDrives {
 public:
  IderDrives(int index, WsmanDevice& device, const std::string& user);
  ~IderDrives();
  IderDrives(const IderDrives&) = delete;
  IderDrives& operator=(const IderDrives&) = delete;

  std::vector<std::uint8_t> feed(std::span<const std::uint8_t> bytes);  // from the console
  std::vector<std::uint8_t> tick(std::uint64_t now_ms);
  bool finished() const { return session_.finished(); }

 private:
  enum class Step { kIdle, kUnitReady, kCapacity, kVolume, kBootRecord, kCatalog, kBootImage, kBootSector, kVerify };
  struct Probe;

  void handle(ider::Output o, std::vector<std::uint8_t>& out);
  void start_probe(std::vector<std::uint8_t>& out);
  void next_drive(std::vector<std::uint8_t>& out);
  void on_done(const ider::CommandDone& done, std::vector<std::uint8_t>& out);
  void ask(const std::array<std::uint8_t, ider::kCdbSize>& cdb, std::vector<std::uint8_t>& out);
  void verify_next(std::vector<std::uint8_t>& out);
  void report();
  void finish_probe();

  int index_;
  WsmanDevice& device_;
  std::string user_;
  ider::DeviceSession session_;
  std::uint64_t boot_seen_ = 0;  // the boot the drives were last probed at
  std::vector<ider::Drive> to_probe_;
  std::unique_ptr<Probe> probe_;
  std::vector<std::string> boot_lines_;  // for the serial console
};

}  // namespace mw::amtsim
