// APF encoder: every message type to its exact wire bytes (big-endian, uint32-length strings).
#include "mw/apf/messages.hpp"

#include <algorithm>
#include <type_traits>

#include "mw/util/bytes.hpp"

namespace mw::apf {

namespace {

using util::ByteWriter;

void put_string(ByteWriter& w, std::string_view s) {
  w.u32(static_cast<std::uint32_t>(s.size()));
  w.bytes(s);
}

void put_type(ByteWriter& w, MessageType t) { w.u8(static_cast<std::uint8_t>(t)); }

// Wire size, so the writer allocates once.
std::size_t wire_size(const Message& message) {
  return std::visit(
      [](const auto& m) -> std::size_t {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Disconnect>) {
          return 7;
        } else if constexpr (std::is_same_v<T, ServiceRequest> || std::is_same_v<T, ServiceAccept>) {
          return 5 + m.service.size();
        } else if constexpr (std::is_same_v<T, UserAuthRequest>) {
          std::size_t n = 13 + m.username.size() + m.service.size() + m.method.size();
          if (m.method == kMethodPassword) {
            n += 5 + m.password.size();
            if (m.change_password) n += 4 + m.new_password.size();
          }
          return n;
        } else if constexpr (std::is_same_v<T, UserAuthFailure>) {
          return 6 + m.methods.size();
        } else if constexpr (std::is_same_v<T, GlobalRequest>) {
          std::size_t n = 14 + m.name.size() + m.address.size();
          if (m.name == kUdpSendTo) n += 12 + m.originator_address.size() + m.data.size();
          return n;
        } else if constexpr (std::is_same_v<T, RequestSuccess>) {
          return m.port ? 5 : 1;
        } else if constexpr (std::is_same_v<T, ChannelOpen>) {
          return 33 + m.type.size() + m.connected_address.size() + m.originator_address.size();
        } else if constexpr (std::is_same_v<T, ChannelOpenConfirmation>) {
          return 17;
        } else if constexpr (std::is_same_v<T, ChannelOpenFailure>) {
          return 17 + m.description.size() + m.language.size();
        } else if constexpr (std::is_same_v<T, ChannelWindowAdjust> ||
                             std::is_same_v<T, KeepAliveOptionsRequest> ||
                             std::is_same_v<T, KeepAliveOptionsReply>) {
          return 9;
        } else if constexpr (std::is_same_v<T, ChannelData>) {
          return 9 + m.data.size();
        } else if constexpr (std::is_same_v<T, ChannelEof> || std::is_same_v<T, ChannelClose> ||
                             std::is_same_v<T, KeepAliveRequest> ||
                             std::is_same_v<T, KeepAliveReply>) {
          return 5;
        } else if constexpr (std::is_same_v<T, ProtocolVersion>) {
          return 93;
        } else if constexpr (std::is_same_v<T, JsonControl>) {
          return 5 + m.json.size();
        } else {  // UserAuthSuccess, RequestFailure
          return 1;
        }
      },
      message);
}

void write(ByteWriter& w, const Message& message) {
  std::visit(
      [&w](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Disconnect>) {
          put_type(w, MessageType::kDisconnect);
          w.u32(m.reason).u16(0);
        } else if constexpr (std::is_same_v<T, ServiceRequest>) {
          put_type(w, MessageType::kServiceRequest);
          put_string(w, m.service);
        } else if constexpr (std::is_same_v<T, ServiceAccept>) {
          put_type(w, MessageType::kServiceAccept);
          put_string(w, m.service);
        } else if constexpr (std::is_same_v<T, UserAuthRequest>) {
          put_type(w, MessageType::kUserAuthRequest);
          put_string(w, m.username);
          put_string(w, m.service);
          put_string(w, m.method);
          if (m.method == kMethodPassword) {
            w.u8(m.change_password ? 1 : 0);
            put_string(w, m.password);
            if (m.change_password) put_string(w, m.new_password);
          }
        } else if constexpr (std::is_same_v<T, UserAuthFailure>) {
          put_type(w, MessageType::kUserAuthFailure);
          put_string(w, m.methods);
          w.u8(m.partial_success ? 1 : 0);
        } else if constexpr (std::is_same_v<T, UserAuthSuccess>) {
          put_type(w, MessageType::kUserAuthSuccess);
        } else if constexpr (std::is_same_v<T, GlobalRequest>) {
          put_type(w, MessageType::kGlobalRequest);
          put_string(w, m.name);
          w.u8(m.want_reply ? 1 : 0);
          put_string(w, m.address);
          w.u32(m.port);
          if (m.name == kUdpSendTo) {
            put_string(w, m.originator_address);
            w.u32(m.originator_port);
            w.u32(static_cast<std::uint32_t>(m.data.size()));
            w.bytes(m.data);
          }
        } else if constexpr (std::is_same_v<T, RequestSuccess>) {
          put_type(w, MessageType::kRequestSuccess);
          if (m.port) w.u32(*m.port);
        } else if constexpr (std::is_same_v<T, RequestFailure>) {
          put_type(w, MessageType::kRequestFailure);
        } else if constexpr (std::is_same_v<T, ChannelOpen>) {
          put_type(w, MessageType::kChannelOpen);
          put_string(w, m.type);
          w.u32(m.sender).u32(m.window).u32(m.max_packet);
          put_string(w, m.connected_address);
          w.u32(m.connected_port);
          put_string(w, m.originator_address);
          w.u32(m.originator_port);
        } else if constexpr (std::is_same_v<T, ChannelOpenConfirmation>) {
          put_type(w, MessageType::kChannelOpenConfirmation);
          w.u32(m.recipient).u32(m.sender).u32(m.window).u32(m.max_packet);
        } else if constexpr (std::is_same_v<T, ChannelOpenFailure>) {
          put_type(w, MessageType::kChannelOpenFailure);
          w.u32(m.recipient).u32(m.reason);
          put_string(w, m.description);
          put_string(w, m.language);
        } else if constexpr (std::is_same_v<T, ChannelWindowAdjust>) {
          put_type(w, MessageType::kChannelWindowAdjust);
          w.u32(m.recipient).u32(m.bytes);
        } else if constexpr (std::is_same_v<T, ChannelData>) {
          put_type(w, MessageType::kChannelData);
          w.u32(m.recipient).u32(static_cast<std::uint32_t>(m.data.size()));
          w.bytes(m.data);
        } else if constexpr (std::is_same_v<T, ChannelEof>) {
          put_type(w, MessageType::kChannelEof);
          w.u32(m.recipient);
        } else if constexpr (std::is_same_v<T, ChannelClose>) {
          put_type(w, MessageType::kChannelClose);
          w.u32(m.recipient);
        } else if constexpr (std::is_same_v<T, ProtocolVersion>) {
          put_type(w, MessageType::kProtocolVersion);
          w.u32(m.major).u32(m.minor).u32(m.trigger);
          w.bytes(std::span<const std::uint8_t>(m.uuid));
          static constexpr std::array<std::uint8_t, 64> kReserved{};
          w.bytes(std::span<const std::uint8_t>(kReserved));
        } else if constexpr (std::is_same_v<T, KeepAliveRequest>) {
          put_type(w, MessageType::kKeepAliveRequest);
          w.u32(m.cookie);
        } else if constexpr (std::is_same_v<T, KeepAliveReply>) {
          put_type(w, MessageType::kKeepAliveReply);
          w.u32(m.cookie);
        } else if constexpr (std::is_same_v<T, KeepAliveOptionsRequest>) {
          put_type(w, MessageType::kKeepAliveOptionsRequest);
          w.u32(m.interval_s).u32(m.timeout_s);
        } else if constexpr (std::is_same_v<T, KeepAliveOptionsReply>) {
          put_type(w, MessageType::kKeepAliveOptionsReply);
          w.u32(m.interval_s).u32(m.timeout_s);
        } else if constexpr (std::is_same_v<T, JsonControl>) {
          put_type(w, MessageType::kJsonControl);
          put_string(w, m.json);
        } else {
          static_assert(sizeof(T) == 0, "message type without an encoder");
        }
      },
      message);
}

}  // namespace

bool ChannelData::operator==(const ChannelData& o) const {
  return recipient == o.recipient && std::equal(data.begin(), data.end(), o.data.begin(), o.data.end());
}

std::vector<std::uint8_t> encode(const Message& message) {
  ByteWriter w(wire_size(message));
  write(w, message);
  return w.take();
}

void encode_to(const Message& message, std::vector<std::uint8_t>& out) {
  if (const auto* d = std::get_if<ChannelData>(&message)) {
    // Header through the writer, payload straight into `out`: one copy of the (large) data.
    ByteWriter w(9);
    w.u8(static_cast<std::uint8_t>(MessageType::kChannelData));
    w.u32(d->recipient).u32(static_cast<std::uint32_t>(d->data.size()));
    out.reserve(out.size() + 9 + d->data.size());
    out.insert(out.end(), w.data().begin(), w.data().end());
    out.insert(out.end(), d->data.begin(), d->data.end());
    return;
  }
  auto bytes = encode(message);
  if (out.empty()) {
    out = std::move(bytes);
  } else {
    out.insert(out.end(), bytes.begin(), bytes.end());
  }
}

MessageType message_type(const Message& message) {
  static constexpr MessageType kTypes[] = {
      MessageType::kDisconnect,         MessageType::kServiceRequest,
      MessageType::kServiceAccept,      MessageType::kUserAuthRequest,
      MessageType::kUserAuthFailure,    MessageType::kUserAuthSuccess,
      MessageType::kGlobalRequest,      MessageType::kRequestSuccess,
      MessageType::kRequestFailure,     MessageType::kChannelOpen,
      MessageType::kChannelOpenConfirmation, MessageType::kChannelOpenFailure,
      MessageType::kChannelWindowAdjust, MessageType::kChannelData,
      MessageType::kChannelEof,         MessageType::kChannelClose,
      MessageType::kProtocolVersion,    MessageType::kKeepAliveRequest,
      MessageType::kKeepAliveReply,     MessageType::kKeepAliveOptionsRequest,
      MessageType::kKeepAliveOptionsReply, MessageType::kJsonControl,
  };
  static_assert(std::size(kTypes) == std::variant_size_v<Message>);
  return kTypes[message.index()];
}

std::string_view message_name(std::uint8_t type) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::kDisconnect: return "DISCONNECT";
    case MessageType::kServiceRequest: return "SERVICE_REQUEST";
    case MessageType::kServiceAccept: return "SERVICE_ACCEPT";
    case MessageType::kUserAuthRequest: return "USERAUTH_REQUEST";
    case MessageType::kUserAuthFailure: return "USERAUTH_FAILURE";
    case MessageType::kUserAuthSuccess: return "USERAUTH_SUCCESS";
    case MessageType::kGlobalRequest: return "GLOBAL_REQUEST";
    case MessageType::kRequestSuccess: return "REQUEST_SUCCESS";
    case MessageType::kRequestFailure: return "REQUEST_FAILURE";
    case MessageType::kChannelOpen: return "CHANNEL_OPEN";
    case MessageType::kChannelOpenConfirmation: return "CHANNEL_OPEN_CONFIRMATION";
    case MessageType::kChannelOpenFailure: return "CHANNEL_OPEN_FAILURE";
    case MessageType::kChannelWindowAdjust: return "CHANNEL_WINDOW_ADJUST";
    case MessageType::kChannelData: return "CHANNEL_DATA";
    case MessageType::kChannelEof: return "CHANNEL_EOF";
    case MessageType::kChannelClose: return "CHANNEL_CLOSE";
    case MessageType::kProtocolVersion: return "PROTOCOLVERSION";
    case MessageType::kKeepAliveRequest: return "KEEPALIVE_REQUEST";
    case MessageType::kKeepAliveReply: return "KEEPALIVE_REPLY";
    case MessageType::kKeepAliveOptionsRequest: return "KEEPALIVE_OPTIONS_REQUEST";
    case MessageType::kKeepAliveOptionsReply: return "KEEPALIVE_OPTIONS_REPLY";
    case MessageType::kJsonControl: return "JSON_CONTROL";
  }
  return "UNKNOWN";
}

std::string uuid_to_string(const Uuid& u) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Byte order of the text: 3 2 1 0 - 5 4 - 7 6 - 8 9 - 10..15.
  static constexpr int kOrder[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
  std::string s;
  s.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    const std::uint8_t b = u[static_cast<std::size_t>(kOrder[i])];
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 0x0F]);
  }
  return s;
}

}  // namespace mw::apf
