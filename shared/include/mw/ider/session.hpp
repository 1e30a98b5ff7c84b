// The two ends of an IDE-R session as sans-I/O state machines (messages.hpp for the framing).
//
// HostSession is the console, the end that holds the disk images: the server, serving a floppy
// image and/or a CD-ROM image from a user's files to an Intel AMT computer. AMT shows the
// computer an IDE floppy and CD-ROM drive; every ATAPI packet the computer's BIOS or OS writes to
// them arrives as a CommandWritten, which HostSession answers as a read-only drive would (SCSI /
// MMC: TEST UNIT READY, INQUIRY, READ CAPACITY, READ(6/10/12), MODE SENSE, READ TOC, GET
// CONFIGURATION, ...). A read's data goes out in chunks of at most AMT's read buffer, produced by
// pump() as the connection drains, so a read of any size holds one chunk in memory.
//
// DeviceSession is Intel AMT's end (the amtsim simulator): it answers OpenSession and the
// feature toggles, and lets its owner write SCSI packets and get their data and status back.
//
// Every call returns an Output: bytes for the peer, in order, and events for the owner.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "mw/ider/messages.hpp"
#include "mw/redir/session.hpp"  // Interval
#include "mw/util/result.hpp"

namespace mw::ider {

// [SECTION] Events

struct Opened {  // host: AMT answered OpenSession; device: the console opened the session
  DeviceInfo device;
  SessionTimeouts timeouts;
};
struct Toggled {  // host: AMT answered the REGS_TOGGLE (`ok`); device: the console asked for it
  bool ok = false;
  StartMode mode = StartMode::kOnReboot;
};
struct Read {  // host: the computer read `blocks` blocks at `lba` (for progress)
  Drive drive = Drive::kCdrom;
  std::uint64_t lba = 0;
  std::uint32_t blocks = 0;
};
struct BusReset {};  // host: the computer reset its IDE bus (pending reads were dropped)
struct CommandDone {  // device: the answer to command()
  Drive drive = Drive::kCdrom;
  Sense sense;                     // GOOD or CHECK CONDITION
  std::vector<std::uint8_t> data;  // data in, for a command that reads
};
struct Closed {};  // the peer closed the session
struct Failed {    // protocol error; the session is over
  Error error;
};
using Event = std::variant<Opened, Toggled, Read, BusReset, CommandDone, Closed, Failed>;

struct Output {
  std::vector<std::uint8_t> send;
  std::vector<Event> events;
};

// [SECTION] Console (host of the disk images)

// A disk image: its size in bytes (a multiple of the drive's block size; a partial last block is
// not visible) and how to read it. read() fills `out` from `offset` and returns false on an I/O
// error (reported to the computer as a medium error). It is called from pump() only.
struct Media {
  std::uint64_t size = 0;
  std::function<bool(std::uint64_t offset, std::span<std::uint8_t> out)> read;
};

struct HostConfig {
  std::optional<Media> floppy, cdrom;
  StartMode start = StartMode::kOnReboot;
  SessionTimeouts timeouts;
  // Product name INQUIRY reports (16 characters at most are used).
  std::string vendor = "Meshwork";
  std::size_t max_queued_commands = 8;  // commands AMT writes before the last one is answered
};

struct HostStats {
  std::uint64_t bytes_to_amt = 0, bytes_from_amt = 0;
  std::uint64_t commands = 0;
  std::uint64_t blocks_read[2] = {0, 0};  // floppy, CD-ROM
};

class HostSession {
 public:
  explicit HostSession(HostConfig config);

  Output start();  // OpenSession
  Output feed(std::span<const std::uint8_t> bytes);
  // Up to about `budget` bytes of the read in progress (whole chunks of AMT's read buffer; at
  // least one when data is pending). Call while has_pending_data() and the link has room.
  Output pump(std::size_t budget);
  bool has_pending_data() const { return read_.has_value(); }
  // Where the read in progress continues (drive, byte offset in its image, bytes left), for an
  // owner that fetches the image's bytes ahead of pump(); and the data per DataToHost (AMT's read
  // buffer rounded down to whole 512-byte blocks; 0 before AMT answered OpenSession).
  struct ReadPosition {
    Drive drive;
    std::uint64_t offset, remaining;
  };
  std::optional<ReadPosition> pending_read() const {
    if (!read_) return std::nullopt;
    return ReadPosition{read_->drive, read_->offset, read_->remaining};
  }
  std::size_t chunk_size() const;
  Output tick(std::uint64_t now_ms);  // heartbeats at the interval asked for in OpenSession
  Output close();                      // CloseSession

  bool opened() const { return opened_; }
  bool enabled() const { return enabled_; }
  bool finished() const { return finished_; }
  const HostStats& stats() const { return stats_; }

 private:
  struct PendingRead {
    Drive drive;
    bool dma;
    std::uint64_t offset, remaining;
    std::uint64_t lba;
    std::uint32_t blocks;
  };
  void on_frame(Frame& f, Output& out);
  void on_command(const Command& c, Output& out);
  void execute(const Command& c, Output& out);
  void send(std::uint8_t opcode, std::uint8_t attributes, std::span<const std::uint8_t> body, Output& out);
  void end(Drive d, const Sense& s, Output& out);
  void data(const Command& c, std::vector<std::uint8_t> bytes, std::size_t allocation, Output& out);
  void start_read(const Command& c, std::uint64_t lba, std::uint32_t blocks, Output& out);
  void fail(Output& out, std::string code, std::string message);
  const Media* media(Drive d) const;

  HostConfig config_;
  Splitter splitter_{Direction::kFromDevice};
  std::uint32_t sequence_ = 0;
  DeviceInfo device_;
  bool opened_ = false, enabled_ = false, finished_ = false;
  bool attention_[2] = {true, true};  // UNIT ATTENTION due once (medium changed) per drive
  Sense last_sense_[2];
  std::optional<PendingRead> read_;
  std::deque<Command> queued_;
  HostStats stats_;
  redir::Interval heartbeat_;
  std::vector<std::uint8_t> chunk_;  // reused read buffer (AMT's read buffer size)
};

// [SECTION] Intel AMT (device) end

struct DeviceConfig {
  DeviceInfo info;
  std::size_t max_data = 1u << 20;  // largest data in one command's answer this end accepts
};

class DeviceSession {
 public:
  explicit DeviceSession(DeviceConfig config);

  Output feed(std::span<const std::uint8_t> bytes);
  // Writes a SCSI packet to `drive`; its answer comes as CommandDone. One at a time (as ATAPI):
  // a second one before the answer fails the session.
  Output command(Drive drive, const std::array<std::uint8_t, kCdbSize>& cdb);
  Output reset();                     // ResetOccurred
  Output tick(std::uint64_t now_ms);  // heartbeats at the interval the console asked for
  Output close();                     // CloseSessionReply (AMT ends the session)

  bool opened() const { return opened_; }
  // The drives are shown to the computer (the console's last REGS_TOGGLE enabled them).
  bool enabled() const { return enabled_; }
  StartMode start_mode() const { return mode_; }
  bool busy() const { return busy_.has_value(); }
  bool finished() const { return finished_; }

 private:
  void on_frame(Frame& f, Output& out);
  void send(std::uint8_t opcode, std::uint8_t attributes, std::span<const std::uint8_t> body, Output& out);
  void fail(Output& out, std::string code, std::string message);

  DeviceConfig config_;
  Splitter splitter_{Direction::kFromConsole};
  std::uint32_t sequence_ = 0;
  SessionTimeouts timeouts_;
  bool opened_ = false, enabled_ = false, finished_ = false, resetting_ = false;
  StartMode mode_ = StartMode::kOnReboot;
  std::optional<Drive> busy_;
  std::vector<std::uint8_t> data_;
  redir::Interval heartbeat_;
};

// [SECTION] SCSI packets (for DeviceSession's owner and tests)

std::array<std::uint8_t, kCdbSize> cdb_test_unit_ready();
std::array<std::uint8_t, kCdbSize> cdb_inquiry(std::uint8_t allocation = 36);
std::array<std::uint8_t, kCdbSize> cdb_read_capacity();
std::array<std::uint8_t, kCdbSize> cdb_read10(std::uint32_t lba, std::uint16_t blocks);
std::array<std::uint8_t, kCdbSize> cdb_request_sense(std::uint8_t allocation = 18);

}  // namespace mw::ider
