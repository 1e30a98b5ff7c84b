// APF decoder: parses each message type in place to learn its length, hands out CHANNEL_DATA
// payloads as views, and keeps at most one partial message (bounded by Limits).
#include "mw/apf/decoder.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "mw/util/bytes.hpp"

namespace mw::apf {

namespace {

enum class Status { kDone, kNeedMore, kError };

// One parse attempt over a buffer that may hold only part of the message. A read that runs off
// the end records how many bytes the message needs at least, so the caller waits for them
// instead of re-parsing on every byte.
class Parse {
 public:
  Parse(std::span<const std::uint8_t> buf, const Limits& limits) : r_(buf), limits_(limits) {}

  bool u8(std::uint8_t& v) { return r_.u8(v) || short_of(1); }
  bool u32(std::uint32_t& v) { return r_.u32(v) || short_of(4); }
  bool skip(std::size_t n) { return r_.skip(n) || short_of(n); }
  bool boolean(bool& b) {
    std::uint8_t v = 0;
    if (!u8(v)) return false;
    b = v != 0;
    return true;
  }
  // A uint32 length, checked against its cap as soon as it is read.
  bool length(std::uint32_t& n, std::size_t cap, std::string_view what) {
    if (!u32(n)) return false;
    if (n > cap) {
      error_ = make_error("apf-too-long", std::string(what) + " length " + std::to_string(n) +
                                              " exceeds the limit of " + std::to_string(cap));
      return false;
    }
    return true;
  }
  bool string(std::string& out, std::string_view what) {
    std::uint32_t n = 0;
    if (!length(n, limits_.max_string, what)) return false;
    return r_.string(n, out) || short_of(n);
  }
  bool view(std::size_t n, std::span<const std::uint8_t>& out) { return r_.bytes(n, out) || short_of(n); }
  bool fail(std::string code, std::string message) {
    error_ = make_error(std::move(code), std::move(message));
    return false;
  }

  Status status() const { return error_ ? Status::kError : Status::kNeedMore; }
  std::size_t used() const { return r_.position(); }
  std::size_t need() const { return need_; }
  Error take_error() { return std::move(*error_); }
  const Limits& limits() const { return limits_; }

 private:
  bool short_of(std::size_t n) {
    need_ = r_.position() + n;
    return false;
  }

  util::ByteReader r_;
  const Limits& limits_;
  std::size_t need_ = 0;
  std::optional<Error> error_;
};

bool parse_user_auth(Parse& p, UserAuthRequest& m) {
  if (!p.string(m.username, "user name") || !p.string(m.service, "service name") ||
      !p.string(m.method, "method name")) {
    return false;
  }
  if (m.method != kMethodPassword) return true;  // "none" and unknown methods: no fields we can frame
  if (!p.boolean(m.change_password) || !p.string(m.password, "password")) return false;
  return !m.change_password || p.string(m.new_password, "new password");
}

bool parse_global(Parse& p, GlobalRequest& m) {
  if (!p.string(m.name, "request name")) return false;
  const bool forward = m.name == kTcpipForward || m.name == kCancelTcpipForward;
  const bool udp = m.name == kUdpSendTo;
  if (!forward && !udp) {
    // No length field: the bytes after an unknown request cannot be skipped.
    return p.fail("apf-unknown-request", "GLOBAL_REQUEST \"" + m.name.substr(0, 64) + "\" is not an APF request");
  }
  if (!p.boolean(m.want_reply) || !p.string(m.address, "address") || !p.u32(m.port)) return false;
  if (!udp) return true;
  std::uint32_t n = 0;
  std::span<const std::uint8_t> data;
  if (!p.string(m.originator_address, "originator address") || !p.u32(m.originator_port) ||
      !p.length(n, p.limits().max_data, "udp-send-to data") || !p.view(n, data)) {
    return false;
  }
  m.data.assign(data.begin(), data.end());
  return true;
}

bool parse_open(Parse& p, ChannelOpen& m) {
  // direct-tcpip and forwarded-tcpip share this layout; other types are read the same way (as
  // MeshCentral and Open AMT do) and refused by the session.
  return p.string(m.type, "channel type") && p.u32(m.sender) && p.u32(m.window) &&
         p.u32(m.max_packet) && p.string(m.connected_address, "connected address") &&
         p.u32(m.connected_port) && p.string(m.originator_address, "originator address") &&
         p.u32(m.originator_port);
}

// Parses the message at the start of `buf` into `out`. kDone: p.used() bytes form it.
Status parse(Parse& p, ReplyForm reply, Message& out) {
  std::uint8_t type = 0;
  if (!p.u8(type)) return p.status();
  bool ok = false;
  switch (static_cast<MessageType>(type)) {
    case MessageType::kDisconnect: {
      Disconnect m;
      ok = p.u32(m.reason) && p.skip(2);
      out = m;
      break;
    }
    case MessageType::kServiceRequest: {
      ServiceRequest m;
      ok = p.string(m.service, "service name");
      out = std::move(m);
      break;
    }
    case MessageType::kServiceAccept: {
      ServiceAccept m;
      ok = p.string(m.service, "service name");
      out = std::move(m);
      break;
    }
    case MessageType::kUserAuthRequest: {
      UserAuthRequest m;
      ok = parse_user_auth(p, m);
      out = std::move(m);
      break;
    }
    case MessageType::kUserAuthFailure: {
      UserAuthFailure m;
      ok = p.string(m.methods, "method list") && p.boolean(m.partial_success);
      out = std::move(m);
      break;
    }
    case MessageType::kUserAuthSuccess:
      ok = true;
      out = UserAuthSuccess{};
      break;
    case MessageType::kGlobalRequest: {
      GlobalRequest m;
      ok = parse_global(p, m);
      out = std::move(m);
      break;
    }
    case MessageType::kRequestSuccess: {
      RequestSuccess m;
      ok = true;
      if (reply == ReplyForm::kWithPort) {
        std::uint32_t port = 0;
        ok = p.u32(port);
        m.port = port;
      }
      out = m;
      break;
    }
    case MessageType::kRequestFailure:
      ok = true;
      out = RequestFailure{};
      break;
    case MessageType::kChannelOpen: {
      ChannelOpen m;
      ok = parse_open(p, m);
      out = std::move(m);
      break;
    }
    case MessageType::kChannelOpenConfirmation: {
      ChannelOpenConfirmation m;
      ok = p.u32(m.recipient) && p.u32(m.sender) && p.u32(m.window) && p.u32(m.max_packet);
      out = m;
      break;
    }
    case MessageType::kChannelOpenFailure: {
      ChannelOpenFailure m;
      ok = p.u32(m.recipient) && p.u32(m.reason) && p.string(m.description, "description") &&
           p.string(m.language, "language tag");
      out = std::move(m);
      break;
    }
    case MessageType::kChannelWindowAdjust: {
      ChannelWindowAdjust m;
      ok = p.u32(m.recipient) && p.u32(m.bytes);
      out = m;
      break;
    }
    case MessageType::kChannelData: {
      ChannelData m;
      std::uint32_t n = 0;
      ok = p.u32(m.recipient) && p.length(n, p.limits().max_data, "CHANNEL_DATA") && p.view(n, m.data);
      out = m;
      break;
    }
    case MessageType::kChannelEof: {
      ChannelEof m;
      ok = p.u32(m.recipient);
      out = m;
      break;
    }
    case MessageType::kChannelClose: {
      ChannelClose m;
      ok = p.u32(m.recipient);
      out = m;
      break;
    }
    case MessageType::kProtocolVersion: {
      ProtocolVersion m;
      std::span<const std::uint8_t> uuid;
      ok = p.u32(m.major) && p.u32(m.minor) && p.u32(m.trigger) && p.view(16, uuid) && p.skip(64);
      if (ok) std::copy(uuid.begin(), uuid.end(), m.uuid.begin());
      out = m;
      break;
    }
    case MessageType::kKeepAliveRequest: {
      KeepAliveRequest m;
      ok = p.u32(m.cookie);
      out = m;
      break;
    }
    case MessageType::kKeepAliveReply: {
      KeepAliveReply m;
      ok = p.u32(m.cookie);
      out = m;
      break;
    }
    case MessageType::kKeepAliveOptionsRequest: {
      KeepAliveOptionsRequest m;
      ok = p.u32(m.interval_s) && p.u32(m.timeout_s);
      out = m;
      break;
    }
    case MessageType::kKeepAliveOptionsReply: {
      KeepAliveOptionsReply m;
      ok = p.u32(m.interval_s) && p.u32(m.timeout_s);
      out = m;
      break;
    }
    case MessageType::kJsonControl: {
      JsonControl m;
      std::uint32_t n = 0;
      std::span<const std::uint8_t> text;
      ok = p.length(n, p.limits().max_json, "JSON_CONTROL") && p.view(n, text);
      if (ok) m.json.assign(text.begin(), text.end());
      out = std::move(m);
      break;
    }
    default:
      p.fail("apf-unknown-type", "message type " + std::to_string(type) + " is not part of APF");
      return Status::kError;
  }
  return ok ? Status::kDone : p.status();
}

std::size_t clamp32(std::size_t v) { return std::min<std::size_t>(v, 0xFFFFFFFFu); }

}  // namespace

Decoder::Decoder(Limits limits) : limits_(limits) {}

std::size_t Decoder::max_message() const {
  const std::size_t s = clamp32(limits_.max_string);
  const std::size_t data = clamp32(limits_.max_data);
  const std::size_t json = clamp32(limits_.max_json);
  std::size_t m = 93;                                // PROTOCOLVERSION
  m = std::max(m, 9 + data);                         // CHANNEL_DATA
  m = std::max(m, 5 + json);                         // JSON_CONTROL
  m = std::max(m, 26 + 3 * s + data);                // udp-send-to
  m = std::max(m, 22 + 5 * s);                       // USERAUTH_REQUEST with a password change
  m = std::max(m, 33 + 3 * s);                       // CHANNEL_OPEN
  return m;
}

Result<std::optional<Message>> Decoder::fail(Error error) {
  error.message += " (stream offset " + std::to_string(offset_) + ")";
  error_ = error;
  pending_.clear();
  pending_.shrink_to_fit();
  return error;
}

Result<std::optional<Message>> Decoder::next(std::span<const std::uint8_t>& input) {
  if (error_) return *error_;
  const ReplyForm reply = replies_.empty() ? ReplyForm::kWithPort : replies_.front();
  Message message;

  if (pending_.empty()) {
    if (skip_pad_ && !input.empty()) {
      // MeshCentral and Open AMT end USERAUTH_FAILURE with two zero bytes where SSH has one.
      skip_pad_ = false;
      if (input[0] == 0) {
        input = input.subspan(1);
        ++offset_;
      }
    }
    if (input.empty()) return std::optional<Message>{};
    Parse p(input, limits_);
    const Status s = parse(p, reply, message);
    if (s == Status::kError) return fail(p.take_error());
    if (s == Status::kNeedMore) {
      // Everything left belongs to this one message (it needs more than there is).
      pending_.assign(input.begin(), input.end());
      offset_ += input.size();
      need_ = p.need();
      pending_reply_ = reply;
      input = {};
      return std::optional<Message>{};
    }
    offset_ += p.used();
    input = input.subspan(p.used());
  } else {
    for (;;) {
      if (input.empty()) return std::optional<Message>{};
      // need_ never exceeds the message's true length, so taking up to it never eats the next one.
      const std::size_t take = std::min(input.size(), need_ - pending_.size());
      pending_.insert(pending_.end(), input.begin(), input.begin() + static_cast<std::ptrdiff_t>(take));
      input = input.subspan(take);
      offset_ += take;
      if (pending_.size() < need_) return std::optional<Message>{};
      Parse p(pending_, limits_);
      const Status s = parse(p, pending_reply_, message);
      if (s == Status::kError) return fail(p.take_error());
      if (s == Status::kNeedMore) {
        need_ = p.need();
        continue;
      }
      if (p.used() != pending_.size()) {
        return fail(make_error("apf-internal", "message length changed while it was assembled"));
      }
      // Swapping moves the heap buffer, so payload views into it stay valid.
      std::swap(pending_, assembled_);
      pending_.clear();
      need_ = 0;
      break;
    }
  }

  if (std::holds_alternative<RequestSuccess>(message) || std::holds_alternative<RequestFailure>(message)) {
    if (!replies_.empty()) replies_.erase(replies_.begin());
  } else if (std::holds_alternative<UserAuthFailure>(message)) {
    skip_pad_ = true;
  }
  return std::optional<Message>(std::move(message));
}

Result<std::size_t> Decoder::feed(std::span<const std::uint8_t> bytes, std::vector<Message>& out) {
  std::size_t count = 0;
  for (;;) {
    auto r = next(bytes);
    if (!r.ok()) return r.error();
    if (!r.value()) return count;
    out.push_back(std::move(*r.value()));
    ++count;
  }
}

Result<std::vector<Message>> Decoder::feed(std::span<const std::uint8_t> bytes) {
  std::vector<Message> out;
  auto r = feed(bytes, out);
  if (!r.ok()) return r.error();
  return out;
}

std::optional<Error> Decoder::finish() const {
  if (error_) return error_;
  if (!pending_.empty()) {
    return make_error("apf-truncated", "stream ended inside a " + std::string(message_name(pending_[0])) +
                                           " message (" + std::to_string(pending_.size()) + " of at least " +
                                           std::to_string(need_) + " bytes)");
  }
  return std::nullopt;
}

}  // namespace mw::apf
