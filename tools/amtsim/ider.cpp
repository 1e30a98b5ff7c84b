#include "ider.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <iostream>
#include <memory>

#include "mw/util/hex.hpp"

namespace mw::amtsim {

namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr std::uint64_t kMaxVerifyBytes = 64ull << 20;  // the "installer" reads at most this much
constexpr std::uint16_t kVerifyBlocksCd = 32;           // 64 KiB per READ(10)
constexpr std::uint16_t kVerifyBlocksFloppy = 128;

std::uint32_t u32le(const Bytes& b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) | (static_cast<std::uint32_t>(b[at + 1]) << 8) |
         (static_cast<std::uint32_t>(b[at + 2]) << 16) | (static_cast<std::uint32_t>(b[at + 3]) << 24);
}
std::uint32_t u32be(const Bytes& b, std::size_t at) {
  return (static_cast<std::uint32_t>(b[at]) << 24) | (static_cast<std::uint32_t>(b[at + 1]) << 16) |
         (static_cast<std::uint32_t>(b[at + 2]) << 8) | b[at + 3];
}
// Printable text of a fixed-width field, trailing spaces cut.
std::string field(const Bytes& b, std::size_t at, std::size_t n) {
  std::string s;
  for (std::size_t i = at; i < at + n && i < b.size(); ++i) s.push_back(b[i] >= 0x20 && b[i] < 0x7F && b[i] != '"' ? static_cast<char>(b[i]) : '?');
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

// What the firmware learns about one drive.
struct IderDrives::Probe {
  ider::Drive drive = ider::Drive::kCdrom;
  Step step = Step::kIdle;
  int attempts = 0;
  std::uint64_t blocks = 0;
  std::string label, oem;
  bool bootable = false;
  std::uint32_t boot_sectors = 0, boot_lba = 0, catalog_lba = 0;
  std::uint64_t verify_next = 0, verify_end = 0, verified = 0;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sha{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
};

IderDrives::IderDrives(int index, WsmanDevice& device, const std::string& user)
    : index_(index), device_(device), user_(user), session_([] {
        ider::DeviceConfig c;
        c.info.fw_major = 16;
        c.info.fw_minor = 1;
        c.info.read_buffer = 8192;
        c.info.write_buffer = 8192;
        return c;
      }()) {
  device_.audit(18, 0, user_);  // Redirection Manager: IDE-R session opened
}

IderDrives::~IderDrives() {
  device_.ider_attach(false);
  device_.audit(18, 1, user_);  // IDE-R session closed
}

Bytes IderDrives::feed(std::span<const std::uint8_t> bytes) {
  Bytes out;
  handle(session_.feed(bytes), out);
  return out;
}

Bytes IderDrives::tick(std::uint64_t now_ms) {
  Bytes out;
  handle(session_.tick(now_ms), out);
  // A boot with the drives shown: the firmware probes them (once per boot).
  if (session_.enabled() && !probe_ && device_.ider_probe_pending() && device_.boots() != boot_seen_) {
    boot_seen_ = device_.boots();
    start_probe(out);
  }
  return out;
}

void IderDrives::handle(ider::Output o, Bytes& out) {
  out.insert(out.end(), o.send.begin(), o.send.end());
  for (auto& e : o.events) {
    if (auto* t = std::get_if<ider::Toggled>(&e)) {
      device_.ider_attach(t->ok);
      if (t->ok && t->mode != ider::StartMode::kOnReboot && !probe_) {
        boot_seen_ = device_.boots();  // shown now: probed now, and again at the next boot
        start_probe(out);
      } else if (t->ok) {
        boot_seen_ = device_.boots();
      }
    } else if (auto* d = std::get_if<ider::CommandDone>(&e)) {
      if (probe_) on_done(*d, out);
    } else if (auto* f = std::get_if<ider::Failed>(&e)) {
      std::cerr << "amtsim: device " << index_ << ": IDE-R session ended: " << f->error.message << "\n";
    }
  }
}

void IderDrives::start_probe(Bytes& out) {
  boot_lines_.clear();
  to_probe_.clear();
  // The boot drive first when the computer boots from IDE-R.
  if (device_.firmware_boot() == FirmwareBoot::kIderFloppy) {
    to_probe_ = {ider::Drive::kCdrom, ider::Drive::kFloppy};
  } else {
    to_probe_ = {ider::Drive::kFloppy, ider::Drive::kCdrom};
  }
  next_drive(out);
}

void IderDrives::next_drive(Bytes& out) {
  if (to_probe_.empty()) return finish_probe();
  probe_ = std::make_unique<Probe>();
  probe_->drive = to_probe_.back();
  to_probe_.pop_back();
  probe_->step = Step::kUnitReady;
  ask(ider::cdb_test_unit_ready(), out);
}

void IderDrives::ask(const std::array<std::uint8_t, ider::kCdbSize>& cdb, Bytes& out) {
  handle(session_.command(probe_->drive, cdb), out);
}

void IderDrives::on_done(const ider::CommandDone& d, Bytes& out) {
  Probe& p = *probe_;
  const bool cd = p.drive == ider::Drive::kCdrom;
  auto skip = [&] {  // nothing (more) to learn from this drive
    report();
    next_drive(out);
  };
  switch (p.step) {
    case Step::kUnitReady:
      if (d.sense.key == 0x06 && ++p.attempts < 3) return ask(ider::cdb_test_unit_ready(), out);  // medium changed: again
      if (!d.sense.ok()) {
        probe_.reset();
        return next_drive(out);  // no medium in this drive
      }
      p.step = Step::kCapacity;
      return ask(ider::cdb_read_capacity(), out);
    case Step::kCapacity:
      if (!d.sense.ok() || d.data.size() < 8) {  // no medium after all
        probe_.reset();
        return next_drive(out);
      }
      p.blocks = std::uint64_t{u32be(d.data, 0)} + 1;
      if (cd) {
        p.step = Step::kVolume;
        return ask(ider::cdb_read10(16, 1), out);
      }
      p.step = Step::kBootSector;
      return ask(ider::cdb_read10(0, 1), out);
    case Step::kVolume:  // ISO 9660 primary volume descriptor
      if (d.sense.ok() && d.data.size() == 2048 && d.data[0] == 1 && field(d.data, 1, 5) == "CD001") p.label = field(d.data, 40, 32);
      p.step = Step::kBootRecord;
      return ask(ider::cdb_read10(17, 1), out);
    case Step::kBootRecord:  // El Torito boot record volume descriptor
      if (d.sense.ok() && d.data.size() == 2048 && d.data[0] == 0 && field(d.data, 1, 5) == "CD001" &&
          field(d.data, 7, 23) == "EL TORITO SPECIFICATION") {
        p.catalog_lba = u32le(d.data, 0x47);
        if (p.catalog_lba < p.blocks) {
          p.step = Step::kCatalog;
          return ask(ider::cdb_read10(p.catalog_lba, 1), out);
        }
      }
      break;
    case Step::kCatalog:  // validation entry (0x01 ... 0x55 0xAA), then the initial entry
      if (d.sense.ok() && d.data.size() == 2048 && d.data[0] == 0x01 && d.data[30] == 0x55 && d.data[31] == 0xAA &&
          d.data[32] == 0x88) {
        p.boot_sectors = static_cast<std::uint32_t>(d.data[38] | (d.data[39] << 8));
        p.boot_lba = u32le(d.data, 40);
        const std::uint32_t blocks = std::max<std::uint32_t>(1, (p.boot_sectors * 512 + 2047) / 2048);
        if (p.boot_lba < p.blocks && blocks <= 64) {
          p.step = Step::kBootImage;
          return ask(ider::cdb_read10(p.boot_lba, static_cast<std::uint16_t>(blocks)), out);
        }
      }
      break;
    case Step::kBootImage:
      p.bootable = d.sense.ok() && !d.data.empty();
      break;
    case Step::kBootSector:
      if (d.sense.ok() && d.data.size() == 512) {
        p.bootable = d.data[510] == 0x55 && d.data[511] == 0xAA;
        p.oem = field(d.data, 3, 8);
        if (d.data[38] == 0x29) p.label = field(d.data, 43, 11);  // FAT12/16 extended boot record
      }
      break;
    case Step::kVerify:
      if (!d.sense.ok()) return skip();
      EVP_DigestUpdate(p.sha.get(), d.data.data(), d.data.size());
      p.verified += d.data.size();
      return verify_next(out);
    case Step::kIdle: return;
  }
  // The boot structures are read: now the whole medium, as an installer would.
  p.step = Step::kVerify;
  EVP_DigestInit_ex(p.sha.get(), EVP_sha256(), nullptr);
  p.verify_next = 0;
  p.verify_end = std::min<std::uint64_t>(p.blocks, kMaxVerifyBytes / ider::block_size(p.drive));
  verify_next(out);
}

void IderDrives::verify_next(Bytes& out) {
  Probe& p = *probe_;
  if (p.verify_next >= p.verify_end) {
    report();
    return next_drive(out);
  }
  const std::uint16_t step = p.drive == ider::Drive::kCdrom ? kVerifyBlocksCd : kVerifyBlocksFloppy;
  const auto n = static_cast<std::uint16_t>(std::min<std::uint64_t>(step, p.verify_end - p.verify_next));
  const auto lba = static_cast<std::uint32_t>(p.verify_next);
  p.verify_next += n;
  ask(ider::cdb_read10(lba, n), out);
}

void IderDrives::report() {
  Probe& p = *probe_;
  const bool cd = p.drive == ider::Drive::kCdrom;
  std::string hash;
  if (p.step == Step::kVerify && p.verify_next >= p.verify_end) {
    unsigned char md[32];
    unsigned int n = 0;
    EVP_DigestFinal_ex(p.sha.get(), md, &n);
    hash = util::hex_encode(std::span<const std::uint8_t>(md, n));
  }
  std::cout << "ider " << index_ << (cd ? " cdrom" : " floppy");
  if (!cd) std::cout << " oem=\"" << p.oem << "\"";
  std::cout << " label=\"" << p.label << "\" blocks=" << p.blocks;
  if (cd) std::cout << " boot=" << (p.bootable ? "el-torito" : "no") << " sectors=" << p.boot_sectors;
  else std::cout << " boot=" << (p.bootable ? "yes" : "no");
  std::cout << " sha256=" << (hash.empty() ? "-" : hash) << " bytes=" << p.verified << std::endl;

  const bool booting = device_.firmware_boot() == (cd ? FirmwareBoot::kIderCd : FirmwareBoot::kIderFloppy);
  const std::string name = cd ? "IDE-R CD-ROM" : "IDE-R floppy";
  boot_lines_.push_back(name + ": \"" + p.label + "\", " + std::to_string(p.blocks * ider::block_size(p.drive) / 1024) + " KB" +
                        (p.bootable ? (cd ? ", El Torito boot image of " + std::to_string(p.boot_sectors) + " sectors" : ", boot sector")
                                    : ", not bootable"));
  if (booting) {
    if (p.bootable) {
      boot_lines_.push_back("Booting from " + name + "...");
      boot_lines_.push_back("Meshwork simulated installer: read " + std::to_string(p.verified) + " bytes, SHA-256 " + hash);
      boot_lines_.push_back("Installation medium verified. System halted.");
    } else {
      boot_lines_.push_back("No bootable " + name + " -- insert boot disk and press any key");
    }
  }
}

void IderDrives::finish_probe() {
  probe_.reset();
  const FirmwareBoot fb = device_.firmware_boot();
  const bool ider_boot = fb == FirmwareBoot::kIderCd || fb == FirmwareBoot::kIderFloppy;
  if (ider_boot && boot_lines_.size() < 2) {
    boot_lines_.push_back(std::string("No medium in the ") + (fb == FirmwareBoot::kIderCd ? "IDE-R CD-ROM" : "IDE-R floppy") +
                          " -- insert boot disk and press any key");
  }
  device_.ider_probed(boot_lines_);
}

}  // namespace mw::amtsim
