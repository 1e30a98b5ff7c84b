// The console end of IDE-R (session.hpp): a read-only ATAPI floppy and CD-ROM drive.
// SCSI answers follow SPC/MMC for a read-only drive with its medium loaded; the mode pages and
// feature descriptors are those Intel AMT consoles are known to send (docs/protocols/redirection.md).
#include <algorithm>
#include <string>

#include "mw/ider/session.hpp"

namespace mw::ider {

namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr Sense kGood{};
constexpr Sense kNoMedium{0x02, 0x3A, 0x00};         // NOT READY, medium not present
constexpr Sense kMediumChanged{0x06, 0x28, 0x00};    // UNIT ATTENTION, medium may have changed
constexpr Sense kInvalidOpcode{0x05, 0x20, 0x00};    // ILLEGAL REQUEST, invalid command operation code
constexpr Sense kInvalidField{0x05, 0x24, 0x00};     // ILLEGAL REQUEST, invalid field in CDB
constexpr Sense kOutOfRange{0x05, 0x21, 0x00};       // ILLEGAL REQUEST, LBA out of range
constexpr Sense kWriteProtected{0x07, 0x27, 0x00};   // DATA PROTECT, write protected
constexpr Sense kReadError{0x03, 0x11, 0x00};        // MEDIUM ERROR, unrecovered read error

std::uint16_t be16(const std::array<std::uint8_t, kCdbSize>& c, std::size_t at) {
  return static_cast<std::uint16_t>((c[at] << 8) | c[at + 1]);
}
std::uint32_t be32(const std::array<std::uint8_t, kCdbSize>& c, std::size_t at) {
  return (static_cast<std::uint32_t>(c[at]) << 24) | (static_cast<std::uint32_t>(c[at + 1]) << 16) |
         (static_cast<std::uint32_t>(c[at + 2]) << 8) | c[at + 3];
}
void put_be16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put_be32(Bytes& b, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_text(Bytes& b, const std::string& s, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) b.push_back(static_cast<std::uint8_t>(i < s.size() ? s[i] : ' '));
}

int index_of(Drive d) { return d == Drive::kCdrom ? 1 : 0; }

// A TOC address: LBA, or minute/second/frame (75 frames a second, 2 s of lead-in).
void put_address(Bytes& b, std::uint64_t lba, bool msf) {
  if (!msf) return put_be32(b, static_cast<std::uint32_t>(std::min<std::uint64_t>(lba, 0xFFFFFFFFu)));
  const std::uint64_t f = lba + 150;
  b.push_back(0);
  b.push_back(static_cast<std::uint8_t>(std::min<std::uint64_t>(f / (75 * 60), 255)));
  b.push_back(static_cast<std::uint8_t>((f / 75) % 60));
  b.push_back(static_cast<std::uint8_t>(f % 75));
}

// [SECTION] Mode pages (MODE SENSE)

const Bytes kFloppyErrorRecovery{0x01, 0x0A, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00};
const Bytes kCdErrorRecovery{0x01, 0x06, 0x00, 0xFF, 0x00, 0x00, 0x00, 0x00};
// Flexible disk page of a 1.44 MB floppy (2 heads, 18 sectors a track, 512 bytes, 80 cylinders)
// and of an LS-120 (larger images).
const Bytes kFlexibleDisk144{0x05, 0x1E, 0x04, 0xB0, 0x02, 0x12, 0x02, 0x00, 0x00, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                             0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xD0, 0x00, 0x00};
const Bytes kFlexibleDiskLs120{0x05, 0x1E, 0x10, 0xA9, 0x08, 0x20, 0x02, 0x00, 0x03, 0xC3, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                               0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xD0, 0x00, 0x00};
const Bytes kCdPowerCondition{0x1A, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
const Bytes kCdTimeout{0x1D, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
const Bytes kCdCapabilities{0x2A, 0x18, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                            0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

// [SECTION] Features (GET CONFIGURATION), profile 0x0008 CD-ROM
struct Feature {
  std::uint16_t code;
  Bytes bytes;
};
const std::vector<Feature>& cd_features() {
  static const std::vector<Feature> f{
      {0x0000, {0x00, 0x00, 0x03, 0x04, 0x00, 0x08, 0x01, 0x00}},  // profile list: CD-ROM, current
      {0x0001, {0x00, 0x01, 0x03, 0x04, 0x00, 0x00, 0x00, 0x02}},  // core: ATAPI
      {0x0002, {0x00, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00}},  // morphing
      {0x0003, {0x00, 0x03, 0x03, 0x04, 0x29, 0x00, 0x00, 0x02}},  // removable medium: tray, lock
      {0x0010, {0x00, 0x10, 0x01, 0x08, 0x00, 0x00, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00}},  // random readable, 2048
      {0x001E, {0x00, 0x1E, 0x03, 0x00}},  // CD read
      {0x0100, {0x01, 0x00, 0x03, 0x00}},  // power management
      {0x0105, {0x01, 0x05, 0x03, 0x00}},  // timeout
  };
  return f;
}

}  // namespace

HostSession::HostSession(HostConfig config) : config_(std::move(config)) {}

const Media* HostSession::media(Drive d) const {
  const auto& m = d == Drive::kCdrom ? config_.cdrom : config_.floppy;
  return m && m->size >= block_size(d) ? &*m : nullptr;
}

void HostSession::send(std::uint8_t opcode, std::uint8_t attributes, std::span<const std::uint8_t> body, Output& out) {
  const std::size_t before = out.send.size();
  encode_to(opcode, attributes, body, sequence_, out.send);
  stats_.bytes_to_amt += out.send.size() - before;
}

void HostSession::fail(Output& out, std::string code, std::string message) {
  if (finished_) return;
  finished_ = true;
  read_.reset();
  queued_.clear();
  out.events.emplace_back(Failed{make_error(std::move(code), std::move(message))});
}

Output HostSession::start() {
  Output out;
  if (!media(Drive::kFloppy) && !media(Drive::kCdrom)) {
    fail(out, "ider-no-media", "an IDE-R session needs a floppy or a CD-ROM image");
    return out;
  }
  send(kOpenSession, 0, encode_timeouts(config_.timeouts), out);
  return out;
}

Output HostSession::feed(std::span<const std::uint8_t> bytes) {
  Output out;
  if (finished_) return out;
  stats_.bytes_from_amt += bytes.size();
  std::vector<Frame> frames;
  auto r = splitter_.feed(bytes, frames);
  for (auto& f : frames) {
    if (finished_) break;
    on_frame(f, out);
  }
  if (!r) fail(out, r.error().code, r.error().message);
  return out;
}

void HostSession::on_frame(Frame& f, Output& out) {
  switch (f.opcode) {
    case kOpenSessionReply: {
      auto info = decode_device_info(f.body);
      if (!info) return fail(out, info.error().code, info.error().message);
      if (info->protocol != 0) return fail(out, "ider-protocol", "Intel AMT offers IDE-R protocol " + std::to_string(info->protocol));
      if (info->read_buffer < 512) {
        return fail(out, "ider-read-buffer", "Intel AMT's IDE-R read buffer of " + std::to_string(info->read_buffer) + " bytes is below one block");
      }
      device_ = std::move(*info);
      opened_ = true;
      chunk_.reserve(device_.read_buffer - device_.read_buffer % 512);
      out.events.emplace_back(Opened{device_, config_.timeouts});
      return send(kDisableEnableFeatures, 0, encode_features({kRegsToggle, toggle_value(config_.start)}), out);
    }
    case kCloseSessionReply:
      finished_ = true;
      read_.reset();
      out.events.emplace_back(Closed{});
      return;
    case kKeepAlivePing: return send(kKeepAlivePong, 0, {}, out);
    case kKeepAlivePong:
    case kHeartbeat:
    case kErrorOccurred: return;
    case kResetOccurred:
      read_.reset();
      queued_.clear();
      send(kResetOccurredResponse, 0, {}, out);
      out.events.emplace_back(BusReset{});
      return;
    case kDisableEnableFeaturesReply: {
      const Features r = decode_features(f.body);
      if (r.type == kRegsToggle) {
        enabled_ = r.value == 1;
        out.events.emplace_back(Toggled{enabled_, config_.start});
      } else if (r.type == kRegsStatus) {
        enabled_ = (r.value & 2) != 0;
      }
      return;
    }
    case kCommandWritten: {
      auto c = decode_command(f.body);
      if (!c) return fail(out, c.error().code, c.error().message);
      return on_command(*c, out);
    }
    case kDataFromHost:  // a write's data: the drives are read-only (and never ask for it)
      return end(Drive::kFloppy, kWriteProtected, out);
    default: return;
  }
}

void HostSession::on_command(const Command& c, Output& out) {
  if (!opened_) return fail(out, "ider-protocol", "Intel AMT wrote an IDE-R command before it opened the session");
  ++stats_.commands;
  if (read_) {
    if (queued_.size() >= config_.max_queued_commands) {
      return fail(out, "ider-too-many-commands", "Intel AMT wrote more IDE-R commands than are answered");
    }
    queued_.push_back(c);
    return;
  }
  execute(c, out);
}

void HostSession::end(Drive d, const Sense& s, Output& out) {
  last_sense_[index_of(d)] = s;
  send(kCommandEndResponse, kAttrLast, encode_command_end(d, s), out);
}

void HostSession::data(const Command& c, Bytes bytes, std::size_t allocation, Output& out) {
  if (bytes.size() > allocation) bytes.resize(allocation);
  if (bytes.empty()) return end(c.drive, kGood, out);
  last_sense_[index_of(c.drive)] = kGood;
  send(kDataToHost, static_cast<std::uint8_t>(kAttrLast | (c.dma ? kAttrDma : 0)),
       encode_data_to_host(c.drive, true, c.dma, bytes), out);
}

void HostSession::start_read(const Command& c, std::uint64_t lba, std::uint32_t blocks, Output& out) {
  const Media* m = media(c.drive);
  if (!m) return end(c.drive, kNoMedium, out);
  const std::uint64_t bs = block_size(c.drive);
  const std::uint64_t total = m->size / bs;
  if (lba > total || blocks > total - lba) return end(c.drive, kOutOfRange, out);
  if (blocks == 0) return end(c.drive, kGood, out);
  stats_.blocks_read[index_of(c.drive)] += blocks;
  out.events.emplace_back(Read{c.drive, lba, blocks});
  read_ = PendingRead{c.drive, c.dma, lba * bs, std::uint64_t{blocks} * bs, lba, blocks};
}

std::size_t HostSession::chunk_size() const {
  if (!opened_) return 0;
  return std::min<std::size_t>(device_.read_buffer - device_.read_buffer % 512, kMaxDataChunk & ~std::size_t{511});
}

Output HostSession::pump(std::size_t budget) {
  Output out;
  const std::size_t chunk = chunk_size();
  std::size_t produced = 0;
  while (read_ && !finished_ && (produced == 0 || produced < budget)) {
    PendingRead& r = *read_;
    const Media* m = media(r.drive);
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(r.remaining, chunk));
    chunk_.resize(n);
    if (!m || !m->read || !m->read(r.offset, chunk_)) {
      const Drive d = r.drive;
      read_.reset();
      end(d, kReadError, out);
    } else {
      r.offset += n;
      r.remaining -= n;
      const bool last = r.remaining == 0;
      last_sense_[index_of(r.drive)] = kGood;
      send(kDataToHost, static_cast<std::uint8_t>((last ? kAttrLast : 0) | (r.dma ? kAttrDma : 0)),
           encode_data_to_host(r.drive, last, r.dma, chunk_), out);
      produced += n;
      if (last) read_.reset();
    }
    // The next queued command runs once the read before it is answered.
    while (!read_ && !queued_.empty() && !finished_) {
      const Command c = queued_.front();
      queued_.pop_front();
      execute(c, out);
    }
  }
  return out;
}

void HostSession::execute(const Command& c, Output& out) {
  const auto& cdb = c.cdb;
  const Media* m = media(c.drive);
  const bool cd = c.drive == Drive::kCdrom;
  const std::uint64_t blocks = m ? m->size / block_size(c.drive) : 0;
  switch (cdb[0]) {
    case 0x00:  // TEST UNIT READY
      if (!m) return end(c.drive, kNoMedium, out);
      if (attention_[index_of(c.drive)]) {
        attention_[index_of(c.drive)] = false;
        return end(c.drive, kMediumChanged, out);
      }
      return end(c.drive, kGood, out);
    case 0x03: {  // REQUEST SENSE: fixed format
      const Sense s = last_sense_[index_of(c.drive)];
      Bytes d(18, 0);
      d[0] = 0x70;
      d[2] = s.key;
      d[7] = 10;
      d[12] = s.asc;
      d[13] = s.ascq;
      return data(c, std::move(d), cdb[4], out);
    }
    case 0x12: {  // INQUIRY
      if (cdb[1] & 0x01) return end(c.drive, kInvalidField, out);  // no vital product data pages
      Bytes d;
      d.push_back(cd ? 0x05 : 0x00);  // CD/DVD device, or direct access (the floppy)
      d.push_back(0x80);              // removable
      d.push_back(0x00);
      d.push_back(0x21);              // ATAPI, response data format 1
      d.push_back(31);                // additional length
      d.push_back(0);
      d.push_back(0);
      d.push_back(0);
      put_text(d, config_.vendor, 8);
      put_text(d, cd ? "IDE-R CD-ROM" : "IDE-R Floppy", 16);
      put_text(d, "1.00", 4);
      return data(c, std::move(d), be16(cdb, 3), out);
    }
    case 0x08: {  // READ(6)
      const std::uint32_t lba = (static_cast<std::uint32_t>(cdb[1] & 0x1F) << 16) | (cdb[2] << 8) | cdb[3];
      return start_read(c, lba, cdb[4] == 0 ? 256 : cdb[4], out);
    }
    case 0x28: return start_read(c, be32(cdb, 2), be16(cdb, 7), out);  // READ(10)
    case 0xA8: return start_read(c, be32(cdb, 2), be32(cdb, 6), out);  // READ(12)
    case 0x0A:                                                          // WRITE(6)
    case 0x2A:                                                          // WRITE(10)
    case 0x2E:                                                          // WRITE AND VERIFY(10)
    case 0xAA:                                                          // WRITE(12)
      return end(c.drive, m ? kWriteProtected : kNoMedium, out);
    case 0x1B:  // START STOP UNIT (eject, load): the image stays
    case 0x2B:  // SEEK(10)
    case 0x35:  // SYNCHRONIZE CACHE
      return end(c.drive, kGood, out);
    case 0x1E:  // PREVENT ALLOW MEDIUM REMOVAL
      return end(c.drive, m ? kGood : kNoMedium, out);
    case 0x1A:    // MODE SENSE(6)
    case 0x5A: {  // MODE SENSE(10)
      if (!m) return end(c.drive, kNoMedium, out);
      const bool ten = cdb[0] == 0x5A;
      const std::uint8_t page = cdb[2] & 0x3F;
      const bool ls120 = !cd && blocks > 2880;
      std::vector<const Bytes*> pages;
      auto want = [&](std::uint8_t p) { return page == 0x3F || page == p; };
      if (want(0x01)) pages.push_back(cd ? &kCdErrorRecovery : &kFloppyErrorRecovery);
      if (!cd && want(0x05)) pages.push_back(ls120 ? &kFlexibleDiskLs120 : &kFlexibleDisk144);
      if (cd && want(0x1A)) pages.push_back(&kCdPowerCondition);
      if (cd && want(0x1D)) pages.push_back(&kCdTimeout);
      if (cd && want(0x2A)) pages.push_back(&kCdCapabilities);
      if (pages.empty()) return end(c.drive, kInvalidField, out);
      const std::uint8_t medium = cd ? 0x01 : ls120 ? 0x31 : 0x24;  // 120 mm data CD; LS-120; 1.44 MB
      Bytes d;
      if (ten) {
        d = {0, 0, medium, 0x80, 0, 0, 0, 0};  // write protected, no block descriptors
      } else {
        d = {0, medium, 0x80, 0};
      }
      for (const Bytes* p : pages) d.insert(d.end(), p->begin(), p->end());
      if (ten) {
        d[0] = static_cast<std::uint8_t>((d.size() - 2) >> 8);
        d[1] = static_cast<std::uint8_t>(d.size() - 2);
      } else {
        d[0] = static_cast<std::uint8_t>(std::min<std::size_t>(d.size() - 1, 255));
      }
      return data(c, std::move(d), ten ? be16(cdb, 7) : cdb[4], out);
    }
    case 0x23: {  // READ FORMAT CAPACITIES (floppy)
      if (cd) return end(c.drive, kInvalidOpcode, out);
      if (!m) return end(c.drive, kNoMedium, out);
      Bytes d{0, 0, 0, 8};
      put_be32(d, static_cast<std::uint32_t>(std::min<std::uint64_t>(blocks, 0xFFFFFFFFu)));
      d.push_back(0x02);  // formatted medium
      d.push_back(0x00);
      put_be16(d, 512);
      return data(c, std::move(d), be16(cdb, 7), out);
    }
    case 0x25: {  // READ CAPACITY(10)
      if (!m) return end(c.drive, kNoMedium, out);
      Bytes d;
      put_be32(d, static_cast<std::uint32_t>(std::min<std::uint64_t>(blocks - 1, 0xFFFFFFFFu)));
      put_be32(d, static_cast<std::uint32_t>(block_size(c.drive)));
      return data(c, std::move(d), 8, out);
    }
    case 0x43: {  // READ TOC/PMA/ATIP (CD)
      if (!cd) return end(c.drive, kInvalidOpcode, out);
      if (!m) return end(c.drive, kNoMedium, out);
      const bool msf = (cdb[1] & 0x02) != 0;
      std::uint8_t format = cdb[2] & 0x0F;
      if (format == 0) format = cdb[9] >> 6;  // the older place of the format
      Bytes d;
      if (format == 0) {  // TOC: track 1 (data) and the lead-out
        d = {0x00, 0x12, 0x01, 0x01, 0x00, 0x14, 0x01, 0x00};
        put_address(d, 0, msf);
        d.insert(d.end(), {0x00, 0x14, 0xAA, 0x00});
        put_address(d, blocks, msf);
      } else if (format == 1) {  // session information: one session, starting with track 1
        d = {0x00, 0x0A, 0x01, 0x01, 0x00, 0x14, 0x01, 0x00};
        put_address(d, 0, msf);
      } else {
        return end(c.drive, kInvalidField, out);
      }
      return data(c, std::move(d), be16(cdb, 7), out);
    }
    case 0x46: {  // GET CONFIGURATION (CD)
      if (!cd) return end(c.drive, kInvalidOpcode, out);
      const std::uint8_t rt = cdb[1] & 0x03;
      const std::uint16_t first = be16(cdb, 2);
      Bytes d{0, 0, 0, 0, 0, 0, 0x00, 0x08};  // current profile: CD-ROM
      for (const auto& f : cd_features()) {
        if (rt == 2 ? f.code == first : f.code >= first) d.insert(d.end(), f.bytes.begin(), f.bytes.end());
      }
      const std::uint32_t len = static_cast<std::uint32_t>(d.size() - 4);
      d[0] = static_cast<std::uint8_t>(len >> 24);
      d[1] = static_cast<std::uint8_t>(len >> 16);
      d[2] = static_cast<std::uint8_t>(len >> 8);
      d[3] = static_cast<std::uint8_t>(len);
      return data(c, std::move(d), be16(cdb, 7), out);
    }
    case 0x4A: {  // GET EVENT STATUS NOTIFICATION (polled)
      if ((cdb[1] & 0x01) == 0) return end(c.drive, kInvalidField, out);
      Bytes d;
      if (cdb[4] & 0x10) {  // media class
        d = {0x00, 0x06, 0x04, 0x10, 0x00, static_cast<std::uint8_t>(m ? 0x02 : 0x00), 0x00, 0x00};
      } else {
        d = {0x00, 0x02, 0x80, 0x10};  // no event available; media class supported
      }
      return data(c, std::move(d), be16(cdb, 7), out);
    }
    case 0xAC: {  // GET PERFORMANCE: header only (no performance descriptors)
      if (!cd) return end(c.drive, kInvalidOpcode, out);
      return data(c, Bytes{0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00}, 8, out);
    }
    default: return end(c.drive, kInvalidOpcode, out);
  }
}

Output HostSession::tick(std::uint64_t now_ms) {
  Output out;
  if (finished_ || !opened_ || config_.timeouts.heartbeat_ms == 0) return out;
  if (heartbeat_.due(now_ms, config_.timeouts.heartbeat_ms)) send(kHeartbeat, 0, {}, out);
  return out;
}

Output HostSession::close() {
  Output out;
  if (finished_) return out;
  send(kCloseSession, 0, {}, out);
  finished_ = true;
  read_.reset();
  queued_.clear();
  return out;
}

// [SECTION] SCSI packets

std::array<std::uint8_t, kCdbSize> cdb_test_unit_ready() { return {}; }
std::array<std::uint8_t, kCdbSize> cdb_inquiry(std::uint8_t allocation) {
  std::array<std::uint8_t, kCdbSize> c{};
  c[0] = 0x12;
  c[4] = allocation;
  return c;
}
std::array<std::uint8_t, kCdbSize> cdb_read_capacity() {
  std::array<std::uint8_t, kCdbSize> c{};
  c[0] = 0x25;
  return c;
}
std::array<std::uint8_t, kCdbSize> cdb_read10(std::uint32_t lba, std::uint16_t blocks) {
  std::array<std::uint8_t, kCdbSize> c{};
  c[0] = 0x28;
  c[2] = static_cast<std::uint8_t>(lba >> 24);
  c[3] = static_cast<std::uint8_t>(lba >> 16);
  c[4] = static_cast<std::uint8_t>(lba >> 8);
  c[5] = static_cast<std::uint8_t>(lba);
  c[7] = static_cast<std::uint8_t>(blocks >> 8);
  c[8] = static_cast<std::uint8_t>(blocks);
  return c;
}
std::array<std::uint8_t, kCdbSize> cdb_request_sense(std::uint8_t allocation) {
  std::array<std::uint8_t, kCdbSize> c{};
  c[0] = 0x03;
  c[4] = allocation;
  return c;
}

}  // namespace mw::ider
