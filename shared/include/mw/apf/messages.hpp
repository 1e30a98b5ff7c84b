// Intel AMT Port Forwarding Protocol (APF, the wire protocol of CIRA): message structs, the
// Message variant and the byte-exact encoder. Layouts are in docs/protocols/apf.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mw::apf {

// [SECTION] Numbers and names

enum class MessageType : std::uint8_t {
  kDisconnect = 1,
  kServiceRequest = 5,
  kServiceAccept = 6,
  kUserAuthRequest = 50,
  kUserAuthFailure = 51,
  kUserAuthSuccess = 52,
  kGlobalRequest = 80,
  kRequestSuccess = 81,
  kRequestFailure = 82,
  kChannelOpen = 90,
  kChannelOpenConfirmation = 91,
  kChannelOpenFailure = 92,
  kChannelWindowAdjust = 93,
  kChannelData = 94,
  kChannelEof = 96,  // RFC 4254 number; no APF implementation sends it (see the developer note)
  kChannelClose = 97,
  kProtocolVersion = 192,
  kKeepAliveRequest = 208,
  kKeepAliveReply = 209,
  kKeepAliveOptionsRequest = 210,
  kKeepAliveOptionsReply = 211,
  kJsonControl = 250,  // MeshCentral's private message (MeshAgent-hosted APF), never real firmware
};

inline constexpr std::string_view kServiceAuth = "auth@amt.intel.com";
inline constexpr std::string_view kServicePfwd = "pfwd@amt.intel.com";
inline constexpr std::string_view kMethodPassword = "password";
inline constexpr std::string_view kMethodNone = "none";
inline constexpr std::string_view kTcpipForward = "tcpip-forward";
inline constexpr std::string_view kCancelTcpipForward = "cancel-tcpip-forward";
inline constexpr std::string_view kUdpSendTo = "udp-send-to@amt.intel.com";
inline constexpr std::string_view kForwardedTcpip = "forwarded-tcpip";
inline constexpr std::string_view kDirectTcpip = "direct-tcpip";

// The "maximum packet size" of CHANNEL_OPEN and the reserved word of OPEN_CONFIRMATION.
inline constexpr std::uint32_t kNoMaxPacket = 0xFFFFFFFFu;

namespace disconnect {  // DISCONNECT reason codes
inline constexpr std::uint32_t kHostNotAllowed = 1;
inline constexpr std::uint32_t kProtocolError = 2;
inline constexpr std::uint32_t kServiceNotAvailable = 7;
inline constexpr std::uint32_t kVersionNotSupported = 8;
inline constexpr std::uint32_t kConnectionLost = 10;
inline constexpr std::uint32_t kByApplication = 11;
inline constexpr std::uint32_t kTooManyConnections = 12;
inline constexpr std::uint32_t kNoMoreAuthMethods = 14;
inline constexpr std::uint32_t kIllegalUserName = 15;  // MeshCentral and Open AMT call it "invalid credentials"
}  // namespace disconnect

namespace open_failure {  // CHANNEL_OPEN_FAILURE reason codes
inline constexpr std::uint32_t kAdministrativelyProhibited = 1;
inline constexpr std::uint32_t kConnectFailed = 2;
inline constexpr std::uint32_t kUnknownChannelType = 3;
inline constexpr std::uint32_t kResourceShortage = 4;
}  // namespace open_failure

namespace trigger {  // PROTOCOLVERSION trigger reasons
inline constexpr std::uint32_t kUserInitiated = 1;
inline constexpr std::uint32_t kAlert = 2;
inline constexpr std::uint32_t kHitProvisioning = 3;
inline constexpr std::uint32_t kPeriodic = 4;
inline constexpr std::uint32_t kLme = 254;
}  // namespace trigger

// [SECTION] Messages (field order is wire order)

struct Disconnect {  // 7 bytes: reason, then a 16-bit reserved word (written as 0, ignored when read)
  std::uint32_t reason = disconnect::kByApplication;
  bool operator==(const Disconnect&) const = default;
};

struct ServiceRequest {
  std::string service;
  bool operator==(const ServiceRequest&) const = default;
};

struct ServiceAccept {
  std::string service;
  bool operator==(const ServiceAccept&) const = default;
};

// Method "password" carries a FALSE byte and the password (TRUE: a password change, the new one
// follows). Every other method name ("none", ...) is read with no method fields after it: APF has
// no length to skip unknown ones.
struct UserAuthRequest {
  std::string username;
  std::string service = std::string(kServicePfwd);
  std::string method = std::string(kMethodPassword);
  std::string password;
  bool change_password = false;
  std::string new_password;  // only when change_password
  bool operator==(const UserAuthRequest&) const = default;
};

struct UserAuthFailure {  // the SSH form: method list and partial-success flag (14 bytes for "password")
  std::string methods = std::string(kMethodPassword);
  bool partial_success = false;
  bool operator==(const UserAuthFailure&) const = default;
};

struct UserAuthSuccess {
  bool operator==(const UserAuthSuccess&) const = default;
};

// tcpip-forward / cancel-tcpip-forward: name, want_reply, address, port.
// udp-send-to@amt.intel.com adds the originator address and port and a data string.
// Other names cannot be framed (no length field) and are a decode error.
struct GlobalRequest {
  std::string name = std::string(kTcpipForward);
  bool want_reply = true;
  std::string address;
  std::uint32_t port = 0;
  std::string originator_address;  // udp-send-to only
  std::uint32_t originator_port = 0;
  std::vector<std::uint8_t> data;
  bool operator==(const GlobalRequest&) const = default;
};

// A reply to tcpip-forward carries the bound port; a reply to anything else has no body.
// The decoder must be told which form to expect (Decoder::expect_reply).
struct RequestSuccess {
  std::optional<std::uint32_t> port;
  bool operator==(const RequestSuccess&) const = default;
};

struct RequestFailure {
  bool operator==(const RequestFailure&) const = default;
};

struct ChannelOpen {
  std::string type = std::string(kForwardedTcpip);
  std::uint32_t sender = 0;  // the opener's own id for the channel
  std::uint32_t window = 0;
  std::uint32_t max_packet = kNoMaxPacket;
  std::string connected_address;  // forwarded-tcpip: AMT host; direct-tcpip: host to connect to
  std::uint32_t connected_port = 0;
  std::string originator_address;
  std::uint32_t originator_port = 0;
  bool operator==(const ChannelOpen&) const = default;
};

struct ChannelOpenConfirmation {  // 17 bytes
  std::uint32_t recipient = 0;  // the opener's id
  std::uint32_t sender = 0;     // the confirmer's id
  std::uint32_t window = 0;
  std::uint32_t max_packet = kNoMaxPacket;  // "reserved" in Intel's header
  bool operator==(const ChannelOpenConfirmation&) const = default;
};

// APF peers send two zero words after the reason: RFC 4254's description and language strings,
// both empty (17 bytes). Non-empty strings are read as the RFC says.
struct ChannelOpenFailure {
  std::uint32_t recipient = 0;
  std::uint32_t reason = open_failure::kConnectFailed;
  std::string description;
  std::string language;
  bool operator==(const ChannelOpenFailure&) const = default;
};

struct ChannelWindowAdjust {  // 9 bytes
  std::uint32_t recipient = 0;
  std::uint32_t bytes = 0;
  bool operator==(const ChannelWindowAdjust&) const = default;
};

// The payload is a view: after Decoder::next/feed it points into the caller's input or the
// decoder's buffer and stays valid until the next call on that decoder. Copy it to keep it.
struct ChannelData {
  std::uint32_t recipient = 0;
  std::span<const std::uint8_t> data;
  bool operator==(const ChannelData& o) const;
};

struct ChannelEof {
  std::uint32_t recipient = 0;
  bool operator==(const ChannelEof&) const = default;
};

struct ChannelClose {  // 5 bytes
  std::uint32_t recipient = 0;
  bool operator==(const ChannelClose&) const = default;
};

using Uuid = std::array<std::uint8_t, 16>;

struct ProtocolVersion {  // 93 bytes: the 64 reserved bytes are written as zeros and ignored when read
  std::uint32_t major = 1;
  std::uint32_t minor = 0;
  std::uint32_t trigger = trigger::kUserInitiated;
  Uuid uuid{};
  bool operator==(const ProtocolVersion&) const = default;
};

struct KeepAliveRequest {
  std::uint32_t cookie = 0;
  bool operator==(const KeepAliveRequest&) const = default;
};

struct KeepAliveReply {
  std::uint32_t cookie = 0;
  bool operator==(const KeepAliveReply&) const = default;
};

struct KeepAliveOptionsRequest {
  std::uint32_t interval_s = 0;
  std::uint32_t timeout_s = 0;
  bool operator==(const KeepAliveOptionsRequest&) const = default;
};

struct KeepAliveOptionsReply {
  std::uint32_t interval_s = 0;
  std::uint32_t timeout_s = 0;
  bool operator==(const KeepAliveOptionsReply&) const = default;
};

struct JsonControl {
  std::string json;
  bool operator==(const JsonControl&) const = default;
};

using Message = std::variant<Disconnect, ServiceRequest, ServiceAccept, UserAuthRequest,
                             UserAuthFailure, UserAuthSuccess, GlobalRequest, RequestSuccess,
                             RequestFailure, ChannelOpen, ChannelOpenConfirmation,
                             ChannelOpenFailure, ChannelWindowAdjust, ChannelData, ChannelEof,
                             ChannelClose, ProtocolVersion, KeepAliveRequest, KeepAliveReply,
                             KeepAliveOptionsRequest, KeepAliveOptionsReply, JsonControl>;

// [SECTION] Encoding

// The exact wire bytes of one message.
std::vector<std::uint8_t> encode(const Message& message);
// Appends the wire bytes of `message` to `out` (CHANNEL_DATA payloads are copied once).
void encode_to(const Message& message, std::vector<std::uint8_t>& out);

MessageType message_type(const Message& message);
// "CHANNEL_DATA", ...; "UNKNOWN" for numbers APF does not define. For logs and mwcodec.
std::string_view message_name(std::uint8_t type);

// The system UUID as AMT and MeshCentral print it: the first three groups little-endian.
std::string uuid_to_string(const Uuid& uuid);

}  // namespace mw::apf
