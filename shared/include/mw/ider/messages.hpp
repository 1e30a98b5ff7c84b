// Intel AMT IDE redirection (IDE-R): the messages that follow a redirection session of type
// "IDER" once it is authenticated (shared/redir hands them over as raw bytes). Sans-I/O framing
// for both directions. Every message starts with an 8-byte header
//   [opcode][0][0][attributes] + uint32 LE sequence number
// and has a length fixed by its opcode and direction, except the two that carry data, whose
// 16-bit LE length is in their body. Each side numbers its own messages from 0; the receiver
// checks the numbers. Layouts: docs/protocols/redirection.md "IDE-R" (the byte positions of every
// body, from MeshCommander's amt-ider-ws and MeshCentral's amt-ider-module, the only public
// descriptions of the protocol).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mw/util/result.hpp"

namespace mw::ider {

enum Opcode : std::uint8_t {
  kOpenSession = 0x40,       // console → AMT: rx timeout, tx timeout, heartbeat (u16 LE), version (u32 LE)
  kOpenSessionReply = 0x41,  // AMT → console: versions, buffer sizes, IANA number, OEM data
  kCloseSession = 0x42,      // console → AMT
  kCloseSessionReply = 0x43, // AMT → console (AMT closed the session)
  kKeepAlivePing = 0x44,     // both ways
  kKeepAlivePong = 0x45,     // both ways
  kResetOccurred = 0x46,     // AMT → console: the host reset its IDE bus (1 byte mask)
  kResetOccurredResponse = 0x47,  // console → AMT: pending operations are dropped
  kDisableEnableFeatures = 0x48,  // console → AMT: type (1 byte) [+ value u32 LE for REGS_TOGGLE]
  kDisableEnableFeaturesReply = 0x49,  // AMT → console: type, value u32 LE
  kErrorOccurred = 0x4A,     // AMT → console: 3 bytes
  kHeartbeat = 0x4B,         // both ways
  kCommandWritten = 0x50,    // AMT → console: the host's ATA registers and a 12-byte SCSI packet
  kCommandEndResponse = 0x51,  // console → AMT: the command's status (and sense data)
  kGetDataFromHost = 0x52,   // console → AMT: asks for the data of a write
  kDataFromHost = 0x53,      // AMT → console: data of a write
  kDataToHost = 0x54,        // console → AMT: data of a read, the last one with the status
};

// The two drives AMT emulates on its IDE channel: the floppy (master) and the CD-ROM (slave).
enum class Drive : std::uint8_t { kFloppy = 0xA0, kCdrom = 0xB0 };
inline constexpr std::size_t block_size(Drive d) { return d == Drive::kCdrom ? 2048 : 512; }

// When AMT shows the drives to the host (DisableEnableFeatures REGS_TOGGLE): at the next boot,
// once the host's IDE bus is idle (graceful), or at once.
enum class StartMode : std::uint8_t { kOnReboot = 0, kGraceful = 1, kNow = 2 };
std::uint32_t toggle_value(StartMode mode);               // 0x01 + 0x08 / 0x10 / 0x18
bool start_mode_from_toggle(std::uint32_t value, StartMode& out);  // false when not "enable"

// DisableEnableFeatures types.
enum FeatureType : std::uint8_t { kRegsAvailable = 1, kRegsStatus = 2, kRegsToggle = 3 };

inline constexpr std::size_t kHeaderSize = 8;
inline constexpr std::size_t kCdbSize = 12;
// Largest data one DataToHost/DataFromHost carries (its 16-bit length).
inline constexpr std::size_t kMaxDataChunk = 0xFFFF;

// One message: its header fields and the bytes after the header (for DataToHost and
// DataFromHost including the data).
struct Frame {
  std::uint8_t opcode = 0;
  std::uint8_t attributes = 0;
  std::uint32_t sequence = 0;
  std::vector<std::uint8_t> body;
  bool operator==(const Frame&) const = default;
};

// Which side's messages a Splitter reads.
enum class Direction { kFromDevice, kFromConsole };

// Cuts a byte stream into frames, checking each opcode belongs to the direction and the
// sequence numbers count up from 0. Keeps at most one partial frame (under 64 KiB + header).
// Errors are sticky.
class Splitter {
 public:
  explicit Splitter(Direction direction) : direction_(direction) {}
  // Appends the frames `bytes` completes to `out`.
  Result<std::size_t> feed(std::span<const std::uint8_t> bytes, std::vector<Frame>& out);
  std::size_t buffered() const { return buffer_.size(); }

 private:
  // Whole length of the frame starting at b[0]; 0 when more bytes are needed to tell.
  Result<std::size_t> frame_length(std::span<const std::uint8_t> b) const;

  Direction direction_;
  std::vector<std::uint8_t> buffer_;
  std::uint32_t expected_sequence_ = 0;
  std::optional<Error> error_;
};

// Appends one frame's bytes, numbering it with `sequence` (and incrementing it).
void encode_to(std::uint8_t opcode, std::uint8_t attributes, std::span<const std::uint8_t> body,
               std::uint32_t& sequence, std::vector<std::uint8_t>& out);

// [SECTION] Bodies

// OpenSessionReply: what the AMT end announced.
struct DeviceInfo {
  std::uint8_t major = 1, minor = 0;        // IDE-R protocol version
  std::uint8_t fw_major = 0, fw_minor = 0;  // Intel AMT firmware
  std::uint16_t read_buffer = 8192;         // largest data per DataToHost AMT accepts
  std::uint16_t write_buffer = 8192;
  std::uint8_t protocol = 0;                // 0: the only one defined
  std::uint32_t iana = 343;                 // OEM's enterprise number (Intel: 343)
  std::vector<std::uint8_t> oem;            // up to 255 bytes
  bool operator==(const DeviceInfo&) const = default;
};
std::vector<std::uint8_t> encode_device_info(const DeviceInfo& info);  // body of 0x41
Result<DeviceInfo> decode_device_info(std::span<const std::uint8_t> body);

// OpenSession from the console.
struct SessionTimeouts {
  std::uint16_t rx_timeout_ms = 30000;
  std::uint16_t tx_timeout_ms = 0;
  std::uint16_t heartbeat_ms = 20000;
  std::uint32_t version = 1;
  bool operator==(const SessionTimeouts&) const = default;
};

std::vector<std::uint8_t> encode_timeouts(const SessionTimeouts& t);  // body of 0x40
SessionTimeouts decode_timeouts(std::span<const std::uint8_t> body);   // the Splitter gave it whole

// DisableEnableFeatures (0x48) and its reply (0x49): a type and, for REGS_TOGGLE and in every
// reply, a u32 LE value.
struct Features {
  std::uint8_t type = kRegsToggle;
  std::uint32_t value = 0;
};
std::vector<std::uint8_t> encode_features(const Features& f, bool with_value = true);
Features decode_features(std::span<const std::uint8_t> body);  // value 0 when the body has none

// CommandWritten: the drive addressed and the SCSI packet (ATAPI) the host wrote.
struct Command {
  Drive drive = Drive::kCdrom;
  bool dma = false;                // the host asked for a DMA transfer (feature register bit 0)
  std::uint16_t byte_count = 0;    // PIO transfer size the host allows per DRQ block
  std::array<std::uint8_t, kCdbSize> cdb{};
  bool operator==(const Command&) const = default;
};
std::vector<std::uint8_t> encode_command(const Command& c);  // body of 0x50
Result<Command> decode_command(std::span<const std::uint8_t> body);

// SCSI status of a command: GOOD, or CHECK CONDITION with sense key / ASC / ASCQ.
struct Sense {
  std::uint8_t key = 0, asc = 0, ascq = 0;
  bool ok() const { return key == 0 && asc == 0 && ascq == 0; }
  bool operator==(const Sense&) const = default;
};
std::vector<std::uint8_t> encode_command_end(Drive drive, const Sense& sense);  // body of 0x51
Result<Sense> decode_command_end(std::span<const std::uint8_t> body);
// Body of 0x54 (attributes: bit 1 last chunk with a GOOD status, bit 0 DMA).
std::vector<std::uint8_t> encode_data_to_host(Drive drive, bool last, bool dma, std::span<const std::uint8_t> data);
// The data of a DataToHost / DataFromHost body.
Result<std::span<const std::uint8_t>> data_of(std::uint8_t opcode, std::span<const std::uint8_t> body);

inline constexpr std::uint8_t kAttrLast = 0x02;
inline constexpr std::uint8_t kAttrDma = 0x01;

}  // namespace mw::ider
