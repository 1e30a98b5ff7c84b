// IDE-R framing and message bodies (messages.hpp). Byte positions: docs/protocols/redirection.md.
#include "mw/ider/messages.hpp"

#include <algorithm>
#include <string>

namespace mw::ider {

namespace {

std::uint16_t u16le(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
}
std::uint32_t u32le(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) | (static_cast<std::uint32_t>(b[at + 1]) << 8) |
         (static_cast<std::uint32_t>(b[at + 2]) << 16) | (static_cast<std::uint32_t>(b[at + 3]) << 24);
}
void put_u16le(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v & 0xFF));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put_u32le(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>((v >> (8 * i)) & 0xFF));
}

std::string hex2(std::uint8_t b) {
  static const char* d = "0123456789ABCDEF";
  return std::string("0x") + d[b >> 4] + d[b & 15];
}

constexpr std::size_t kDeviceInfoFixed = 22;  // body of 0x41 before the OEM data
constexpr std::size_t kCommandBody = 20;      // body of 0x50: 8 ATA registers + the packet
constexpr std::size_t kStatusBody = 23;       // body of 0x51 and 0x52
constexpr std::size_t kDataToHostHead = 26;   // body of 0x54 before the data
constexpr std::size_t kDataFromHostHead = 6;  // body of 0x53 before the data

}  // namespace

std::uint32_t toggle_value(StartMode mode) {
  switch (mode) {
    case StartMode::kOnReboot: return 0x01 + 0x08;
    case StartMode::kGraceful: return 0x01 + 0x10;
    case StartMode::kNow: return 0x01 + 0x18;
  }
  return 0x01 + 0x08;
}

bool start_mode_from_toggle(std::uint32_t value, StartMode& out) {
  if ((value & 0x01) == 0) return false;
  switch (value & 0x18) {
    case 0x08: out = StartMode::kOnReboot; return true;
    case 0x10: out = StartMode::kGraceful; return true;
    case 0x18: out = StartMode::kNow; return true;
    default: return false;
  }
}

Result<std::size_t> Splitter::frame_length(std::span<const std::uint8_t> b) const {
  const std::uint8_t op = b[0];
  if (direction_ == Direction::kFromDevice) {
    switch (op) {
      case kOpenSessionReply:
        if (b.size() < kHeaderSize + kDeviceInfoFixed) return std::size_t{0};
        return kHeaderSize + kDeviceInfoFixed + b[kHeaderSize + kDeviceInfoFixed - 1];
      case kCloseSessionReply:
      case kKeepAlivePing:
      case kKeepAlivePong:
      case kHeartbeat: return std::size_t{kHeaderSize};
      case kResetOccurred: return std::size_t{kHeaderSize + 1};
      case kDisableEnableFeaturesReply: return std::size_t{kHeaderSize + 5};
      case kErrorOccurred: return std::size_t{kHeaderSize + 3};
      case kCommandWritten: return std::size_t{kHeaderSize + kCommandBody};
      case kDataFromHost:
        if (b.size() < kHeaderSize + kDataFromHostHead) return std::size_t{0};
        return kHeaderSize + kDataFromHostHead + u16le(b, kHeaderSize + 1);
      default: break;
    }
  } else {
    switch (op) {
      case kOpenSession: return std::size_t{kHeaderSize + 10};
      case kCloseSession:
      case kKeepAlivePing:
      case kKeepAlivePong:
      case kResetOccurredResponse:
      case kHeartbeat: return std::size_t{kHeaderSize};
      case kDisableEnableFeatures:
        if (b.size() < kHeaderSize + 1) return std::size_t{0};
        return kHeaderSize + (b[kHeaderSize] == kRegsToggle ? 5 : 1);
      case kCommandEndResponse:
      case kGetDataFromHost: return std::size_t{kHeaderSize + kStatusBody};
      case kDataToHost:
        if (b.size() < kHeaderSize + kDataToHostHead) return std::size_t{0};
        return kHeaderSize + kDataToHostHead + u16le(b, kHeaderSize + 1);
      default: break;
    }
  }
  return make_error("ider-unknown-message",
                    "unknown IDE-R message " + hex2(op) +
                        (direction_ == Direction::kFromDevice ? " from Intel AMT" : " from the console"));
}

Result<std::size_t> Splitter::feed(std::span<const std::uint8_t> bytes, std::vector<Frame>& out) {
  if (error_) return *error_;
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  std::size_t at = 0, count = 0;
  auto stop = [&](Error e) -> Result<std::size_t> {
    error_ = std::move(e);
    buffer_.clear();
    return *error_;
  };
  while (at < buffer_.size()) {
    const auto rest = std::span<const std::uint8_t>(buffer_).subspan(at);
    auto len = frame_length(rest);
    if (!len) return stop(len.error());
    if (*len == 0 || rest.size() < *len) break;
    Frame f;
    f.opcode = rest[0];
    f.attributes = rest[3];
    f.sequence = u32le(rest, 4);
    if (f.sequence != expected_sequence_) {
      return stop(make_error("ider-sequence", "IDE-R message " + hex2(f.opcode) + " numbered " + std::to_string(f.sequence) +
                                                  ", expected " + std::to_string(expected_sequence_)));
    }
    ++expected_sequence_;
    f.body.assign(rest.begin() + kHeaderSize, rest.begin() + static_cast<std::ptrdiff_t>(*len));
    out.push_back(std::move(f));
    ++count;
    at += *len;
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(at));
  return count;
}

void encode_to(std::uint8_t opcode, std::uint8_t attributes, std::span<const std::uint8_t> body,
               std::uint32_t& sequence, std::vector<std::uint8_t>& out) {
  out.push_back(opcode);
  out.push_back(0);
  out.push_back(0);
  out.push_back(attributes);
  put_u32le(out, sequence++);
  out.insert(out.end(), body.begin(), body.end());
}

std::vector<std::uint8_t> encode_device_info(const DeviceInfo& info) {
  std::vector<std::uint8_t> b;
  b.reserve(kDeviceInfoFixed + info.oem.size());
  b.push_back(info.major);
  b.push_back(info.minor);
  b.push_back(info.fw_major);
  b.push_back(info.fw_minor);
  put_u32le(b, 0);
  put_u16le(b, info.read_buffer);
  put_u16le(b, info.write_buffer);
  b.push_back(0);
  b.push_back(info.protocol);
  b.push_back(0);
  b.push_back(0);
  b.push_back(0);
  put_u32le(b, info.iana);
  const std::size_t n = std::min<std::size_t>(info.oem.size(), 255);
  b.push_back(static_cast<std::uint8_t>(n));
  b.insert(b.end(), info.oem.begin(), info.oem.begin() + static_cast<std::ptrdiff_t>(n));
  return b;
}

Result<DeviceInfo> decode_device_info(std::span<const std::uint8_t> body) {
  if (body.size() < kDeviceInfoFixed || body.size() != kDeviceInfoFixed + body[kDeviceInfoFixed - 1]) {
    return make_error("ider-truncated", "IDE-R OpenSessionReply of " + std::to_string(body.size()) + " bytes");
  }
  DeviceInfo i;
  i.major = body[0];
  i.minor = body[1];
  i.fw_major = body[2];
  i.fw_minor = body[3];
  i.read_buffer = u16le(body, 8);
  i.write_buffer = u16le(body, 10);
  i.protocol = body[13];
  i.iana = u32le(body, 17);
  i.oem.assign(body.begin() + kDeviceInfoFixed, body.end());
  return i;
}

std::vector<std::uint8_t> encode_timeouts(const SessionTimeouts& t) {
  std::vector<std::uint8_t> b;
  put_u16le(b, t.rx_timeout_ms);
  put_u16le(b, t.tx_timeout_ms);
  put_u16le(b, t.heartbeat_ms);
  put_u32le(b, t.version);
  return b;
}

SessionTimeouts decode_timeouts(std::span<const std::uint8_t> body) {
  SessionTimeouts t;
  if (body.size() < 10) return t;
  t.rx_timeout_ms = u16le(body, 0);
  t.tx_timeout_ms = u16le(body, 2);
  t.heartbeat_ms = u16le(body, 4);
  t.version = u32le(body, 6);
  return t;
}

std::vector<std::uint8_t> encode_features(const Features& f, bool with_value) {
  std::vector<std::uint8_t> b{f.type};
  if (with_value) put_u32le(b, f.value);
  return b;
}

Features decode_features(std::span<const std::uint8_t> body) {
  Features f;
  if (body.empty()) return f;
  f.type = body[0];
  if (body.size() >= 5) f.value = u32le(body, 1);
  return f;
}

std::vector<std::uint8_t> encode_command(const Command& c) {
  std::vector<std::uint8_t> b(kCommandBody, 0);
  b[1] = c.dma ? 1 : 0;                                    // feature register
  b[4] = static_cast<std::uint8_t>(c.byte_count & 0xFF);  // byte count limit
  b[5] = static_cast<std::uint8_t>(c.byte_count >> 8);
  b[6] = static_cast<std::uint8_t>(c.drive);               // drive/head
  b[7] = 0xA0;                                             // ATA PACKET
  std::copy(c.cdb.begin(), c.cdb.end(), b.begin() + 8);
  return b;
}

Result<Command> decode_command(std::span<const std::uint8_t> body) {
  if (body.size() != kCommandBody) return make_error("ider-truncated", "IDE-R CommandWritten of the wrong size");
  Command c;
  c.dma = (body[1] & 1) != 0;
  c.byte_count = u16le(body, 4);
  c.drive = (body[6] & 0x10) ? Drive::kCdrom : Drive::kFloppy;
  std::copy(body.begin() + 8, body.end(), c.cdb.begin());
  return c;
}

std::vector<std::uint8_t> encode_command_end(Drive drive, const Sense& s) {
  std::vector<std::uint8_t> b(kStatusBody, 0);
  const bool good = s.ok();
  b[12] = good ? 0xC5 : 0x87;                          // which registers follow
  b[13] = good ? 0 : static_cast<std::uint8_t>(s.key << 4);  // ATA error register: sense key
  b[14] = 3;                                           // interrupt reason: I/O + C/D (status)
  b[18] = static_cast<std::uint8_t>(drive);
  b[19] = good ? 0x50 : 0x51;                          // status: DRDY DSC [ERR]
  if (!good) {
    b[20] = s.key;
    b[21] = s.asc;
    b[22] = s.ascq;
  }
  return b;
}

Result<Sense> decode_command_end(std::span<const std::uint8_t> body) {
  if (body.size() != kStatusBody) return make_error("ider-truncated", "IDE-R CommandEndResponse of the wrong size");
  if ((body[19] & 0x01) == 0) return Sense{};
  Sense s{body[20], body[21], body[22]};
  if (s.ok()) s.key = 0x0B;  // ERR without sense data: ABORTED COMMAND
  return s;
}

std::vector<std::uint8_t> encode_data_to_host(Drive drive, bool last, bool dma, std::span<const std::uint8_t> data) {
  const std::size_t n = std::min(data.size(), kMaxDataChunk);
  std::vector<std::uint8_t> b;
  b.reserve(kDataToHostHead + n);
  b.push_back(0);
  put_u16le(b, static_cast<std::uint16_t>(n));
  b.push_back(0);
  b.push_back(dma ? 0xB4 : 0xB5);
  b.push_back(0);
  b.push_back(2);
  b.push_back(0);
  put_u16le(b, static_cast<std::uint16_t>(dma ? 0 : n));  // PIO byte count
  b.push_back(static_cast<std::uint8_t>(drive));
  b.push_back(0x58);  // DRDY DSC DRQ
  const std::uint8_t status[14] = {0x85, 0, 3, 0, 0, 0, static_cast<std::uint8_t>(drive), 0x50, 0, 0, 0, 0, 0, 0};
  for (std::size_t i = 0; i < 14; ++i) b.push_back(last ? status[i] : 0);
  b.insert(b.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
  return b;
}

Result<std::span<const std::uint8_t>> data_of(std::uint8_t opcode, std::span<const std::uint8_t> body) {
  const std::size_t head = opcode == kDataToHost ? kDataToHostHead : kDataFromHostHead;
  if (body.size() < head) return make_error("ider-truncated", "IDE-R data message too short");
  const std::size_t n = u16le(body, 1);
  if (body.size() != head + n) return make_error("ider-truncated", "IDE-R data message length mismatch");
  return body.subspan(head);
}

}  // namespace mw::ider
