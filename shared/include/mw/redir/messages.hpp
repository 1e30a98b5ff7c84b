// Intel AMT redirection protocol (ports 16994/16995): the messages of the session manager
// (start, authenticate, end), Serial-over-LAN and the KVM hand-over, and their encoding.
// All multi-byte integers are little-endian. See docs/protocols/redirection.md.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

namespace mw::redir {

// Session type: the 4 ASCII bytes at offset 4 of StartRedirectionSession, read as uint32 LE.
enum class SessionType : std::uint32_t {
  kSol = 0x204C4F53,   // "SOL "
  kIder = 0x52454449,  // "IDER"
  kKvm = 0x524D564B,   // "KVMR"
};

enum class AuthType : std::uint8_t {
  kQuery = 0,         // which methods are supported (reply data: one byte per method)
  kUserPassword = 1,  // plaintext user and password (what amtterm sends)
  kKerberos = 2,
  kLegacyDigest = 3,  // digest without cnonce/nc/qop in the hash
  kDigest = 4,        // RFC 2617 digest with qop (what current consoles use)
};

// Status byte (offset 1) of the replies.
inline constexpr std::uint8_t kStatusSuccess = 0x00;
inline constexpr std::uint8_t kStartTypeUnknown = 0x01;
inline constexpr std::uint8_t kStartBusy = 0x02;
inline constexpr std::uint8_t kStartUnsupported = 0x03;
inline constexpr std::uint8_t kStartError = 0xFF;
inline constexpr std::uint8_t kAuthFailure = 0x01;
inline constexpr std::uint8_t kAuthNotSupported = 0x02;

// Bits of SolControlsFromHost.
inline constexpr std::uint8_t kControlRts = 0x01;
inline constexpr std::uint8_t kControlDtr = 0x02;
inline constexpr std::uint8_t kControlBreak = 0x04;
inline constexpr std::uint8_t kStatusTxOverflow = 0x01;
inline constexpr std::uint8_t kStatusLoopback = 0x02;
inline constexpr std::uint8_t kStatusPowerOn = 0x04;
inline constexpr std::uint8_t kStatusRxFlushTimeout = 0x08;
inline constexpr std::uint8_t kStatusTestMode = 0x10;

// The six SOL parameters the console proposes in StartSol (AMT echoes them in its reply).
struct SolSettings {
  std::uint16_t max_tx_buffer = 10000;
  std::uint16_t tx_timeout = 100;
  std::uint16_t tx_overflow_timeout = 0;
  std::uint16_t rx_timeout = 10000;
  std::uint16_t rx_flush_timeout = 100;
  std::uint16_t heartbeat_interval = 0;  // ms; 0 = AMT sends no heartbeats
  bool operator==(const SolSettings&) const = default;
};
// What amtterm proposes (RedirectionConstants.h), for simulators and tests.
inline constexpr SolSettings kAmttermSolSettings{1000, 100, 0, 10000, 0, 5000};

// [SECTION] Console -> AMT

struct StartRedirectionSession {  // 0x10, 8 bytes
  SessionType type = SessionType::kSol;
  std::uint8_t flags = 0;  // byte 1: MeshCommander sends 1 for KVM, 0 otherwise
  bool operator==(const StartRedirectionSession&) const = default;
};
struct EndRedirectionSession {  // 0x12, 4 bytes
  bool operator==(const EndRedirectionSession&) const = default;
};
struct AuthenticateSession {  // 0x13, 9 + data bytes; data layout per auth_type (auth.hpp)
  AuthType auth_type = AuthType::kQuery;
  std::vector<std::uint8_t> data;
  bool operator==(const AuthenticateSession&) const = default;
};
struct StartSol {  // 0x20, 24 bytes
  std::uint32_t sequence = 0;
  SolSettings settings;
  bool operator==(const StartSol&) const = default;
};
struct EndSol {  // 0x22, 8 bytes
  std::uint32_t sequence = 0;
  bool operator==(const EndSol&) const = default;
};
struct KeepAlivePing {  // 0x24, 8 bytes
  std::uint32_t sequence = 0;
  bool operator==(const KeepAlivePing&) const = default;
};
// 0x27, 14 bytes. MeshCommander sends it once after StartSolReply with data 00 00 1B 00 00 00;
// its meaning is not documented anywhere we could check, so the six bytes stay opaque.
struct SolControlsToHost {
  std::uint32_t sequence = 0;
  std::array<std::uint8_t, 6> data{};
  bool operator==(const SolControlsToHost&) const = default;
};
struct SolDataToHost {  // 0x28, 10 + data bytes (data <= 65535)
  std::uint32_t sequence = 0;
  std::vector<std::uint8_t> data;
  bool operator==(const SolDataToHost&) const = default;
};
struct KvmStart {  // 0x40 in a KVM session, 8 bytes; RFB follows in both directions
  bool operator==(const KvmStart&) const = default;
};

// [SECTION] AMT -> console

struct StartRedirectionSessionReply {  // 0x11, 13 + oem bytes; only 4 bytes when status != 0
  std::uint8_t status = kStatusSuccess;
  std::uint8_t protocol_major = 1;
  std::uint8_t protocol_minor = 0;
  std::uint8_t firmware_major = 1;
  std::uint8_t firmware_minor = 0;
  std::uint32_t oem_iana = 0;
  std::vector<std::uint8_t> oem_data;  // <= 255 bytes
  bool operator==(const StartRedirectionSessionReply&) const = default;
};
struct AuthenticateSessionReply {  // 0x14, 9 + data bytes
  std::uint8_t status = kStatusSuccess;
  AuthType auth_type = AuthType::kQuery;
  std::vector<std::uint8_t> data;
  bool operator==(const AuthenticateSessionReply&) const = default;
};
// 0x21, 23 bytes. Consoles only read the status; the rest is how AMT fills it in as far as
// public clients show (version 1.0 at offset 4, the settings echoed, an OEM IANA number).
struct StartSolReply {
  std::uint8_t status = kStatusSuccess;
  std::uint8_t version_major = 1;
  std::uint8_t version_minor = 0;
  SolSettings settings;
  std::uint32_t oem_iana = 0;
  bool operator==(const StartSolReply&) const = default;
};
struct EndSolReply {  // 0x23, 8 bytes
  std::uint32_t sequence = 0;
  bool operator==(const EndSolReply&) const = default;
};
struct KeepAlivePong {  // 0x25, 8 bytes
  std::uint32_t sequence = 0;
  bool operator==(const KeepAlivePong&) const = default;
};
struct SolControlsFromHost {  // 0x29, 10 bytes
  std::uint32_t sequence = 0;
  std::uint8_t control = 0;  // kControl* bits
  std::uint8_t status = 0;   // kStatus* bits
  bool operator==(const SolControlsFromHost&) const = default;
};
struct SolDataFromHost {  // 0x2A, 10 + data bytes (data <= 65535)
  std::uint32_t sequence = 0;
  std::vector<std::uint8_t> data;
  bool operator==(const SolDataFromHost&) const = default;
};
struct KvmStartReply {  // 0x41 in a KVM session, 8 bytes; RFB follows
  bool operator==(const KvmStartReply&) const = default;
};
// 0xF0, 1 byte: a MeshCentral-style server tells the browser the session is being recorded.
struct RecordingNotice {
  bool operator==(const RecordingNotice&) const = default;
};

// [SECTION] Both directions

struct Heartbeat {  // 0x2B, 8 bytes
  std::uint32_t sequence = 0;
  bool operator==(const Heartbeat&) const = default;
};
// Bytes after the hand-over (RFB in a KVM session, IDE-R messages in an IDER session): the
// redirection codec does not frame them.
struct RawData {
  std::vector<std::uint8_t> data;
  bool operator==(const RawData&) const = default;
};

using Message =
    std::variant<StartRedirectionSession, EndRedirectionSession, AuthenticateSession, StartSol,
                 EndSol, KeepAlivePing, SolControlsToHost, SolDataToHost, KvmStart,
                 StartRedirectionSessionReply, AuthenticateSessionReply, StartSolReply, EndSolReply,
                 KeepAlivePong, SolControlsFromHost, SolDataFromHost, KvmStartReply,
                 RecordingNotice, Heartbeat, RawData>;

// Largest SOL payload one message can carry (16-bit length field).
inline constexpr std::size_t kMaxSolPayload = 0xFFFF;

// Appends the wire bytes of `message` to `out`. Fields longer than the wire allows (SOL data
// over 65535 bytes, OEM data over 255) are cut to the maximum; the sessions never produce them.
void encode_to(const Message& message, std::vector<std::uint8_t>& out);
std::vector<std::uint8_t> encode(const Message& message);

}  // namespace mw::redir
