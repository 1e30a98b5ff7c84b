// Incremental framing of the redirection stream. Each message's length follows from its command
// byte and, for variable messages, a length field; a partial message waits in `pending_`, which
// never grows past one message (every length field is capped by Limits).
#include "mw/redir/decoder.hpp"

#include <algorithm>
#include <cstdio>

namespace mw::redir {
namespace {

std::uint16_t le16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
}
std::uint32_t le32(std::span<const std::uint8_t> b, std::size_t at) {
  return std::uint32_t{b[at]} | (std::uint32_t{b[at + 1]} << 8) | (std::uint32_t{b[at + 2]} << 16) |
         (std::uint32_t{b[at + 3]} << 24);
}

SolSettings read_settings(std::span<const std::uint8_t> b, std::size_t at) {
  SolSettings s;
  s.max_tx_buffer = le16(b, at);
  s.tx_timeout = le16(b, at + 2);
  s.tx_overflow_timeout = le16(b, at + 4);
  s.rx_timeout = le16(b, at + 6);
  s.rx_flush_timeout = le16(b, at + 8);
  s.heartbeat_interval = le16(b, at + 10);
  return s;
}

std::string hex_byte(std::uint8_t b) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02X", b);
  return text;
}

// An IDE-R session leaves our framing at its first IDE-R message (0x40..0x5F).
bool is_ider_command(std::uint8_t b) { return b >= 0x40 && b <= 0x5F; }

}  // namespace

Decoder::Decoder(Role role, Limits limits) : role_(role), limits_(limits) {
  limits_.max_sol_data = std::min(limits_.max_sol_data, kMaxSolPayload);
}

Error Decoder::fail(std::string code, std::string message) {
  mode_ = Mode::kFailed;
  error_ = make_error(std::move(code), message + " (stream offset " + std::to_string(offset_) + ")");
  return *error_;
}

std::size_t Decoder::needed(std::span<const std::uint8_t> buf) {
  const std::uint8_t command = buf[0];
  const bool client = role_ == Role::kClient;
  switch (command) {
    case 0x11:  // StartRedirectionSessionReply: 4 bytes when refused, else 13 + OEM length
      if (!client) break;
      if (buf.size() < 4) return 4;
      if (buf[1] != kStatusSuccess) return 4;
      if (buf.size() < 13) return 13;
      return 13 + std::size_t{buf[12]};
    case 0x13:  // AuthenticateSession
    case 0x14: {  // AuthenticateSessionReply
      if (client != (command == 0x14)) break;
      if (buf.size() < 9) return 9;
      const std::uint32_t length = le32(buf, 5);
      if (length > limits_.max_auth_data) {
        fail("redir-too-long", "auth data of " + std::to_string(length) + " bytes exceeds the limit of " +
                                   std::to_string(limits_.max_auth_data));
        return 0;
      }
      return 9 + std::size_t{length};
    }
    case 0x28:    // SolDataToHost
    case 0x2A: {  // SolDataFromHost
      if (client != (command == 0x2A)) break;
      if (buf.size() < 10) return 10;
      const std::uint16_t length = le16(buf, 8);
      if (length > limits_.max_sol_data) {
        fail("redir-too-long", "SOL data of " + std::to_string(length) + " bytes exceeds the limit of " +
                                   std::to_string(limits_.max_sol_data));
        return 0;
      }
      return 10 + std::size_t{length};
    }
    default: break;
  }
  // Fixed-length messages.
  if (client) {
    switch (command) {
      case 0x21: return 23;
      case 0x23: case 0x24: case 0x25: case 0x2B: return 8;
      case 0x29: return 10;
      case 0xF0: return 1;
      case 0x41:
        if (type_ == SessionType::kKvm) return 8;
        break;
      default: break;
    }
  } else {
    switch (command) {
      case 0x10: return 8;
      case 0x12: return 4;
      case 0x20: return 24;
      case 0x22: case 0x24: case 0x25: case 0x2B: return 8;
      case 0x27: return 14;
      case 0x40:
        if (type_ == SessionType::kKvm) return 8;
        break;
      default: break;
    }
  }
  fail("redir-unknown-command", "unexpected command byte " + hex_byte(command) + " from the " +
                                    (client ? "device" : "console"));
  return 0;
}

void Decoder::parse(std::span<const std::uint8_t> m, std::vector<Message>& out) {
  switch (m[0]) {
    case 0x10: {
      StartRedirectionSession v;
      v.flags = m[1];
      v.type = static_cast<SessionType>(le32(m, 4));
      type_ = v.type;
      out.emplace_back(v);
      return;
    }
    case 0x11: {
      StartRedirectionSessionReply v;
      v.status = m[1];
      if (v.status != kStatusSuccess) {
        // Nothing after a refusal is ours to parse (AMT may send the full 13 bytes, or close).
        v.protocol_major = v.protocol_minor = v.firmware_major = v.firmware_minor = 0;
        mode_ = Mode::kIgnore;
      } else {
        v.protocol_major = m[4];
        v.protocol_minor = m[5];
        v.firmware_major = m[6];
        v.firmware_minor = m[7];
        v.oem_iana = le32(m, 8);
        v.oem_data.assign(m.begin() + 13, m.end());
      }
      out.emplace_back(std::move(v));
      return;
    }
    case 0x12: out.emplace_back(EndRedirectionSession{}); return;
    case 0x13:
      out.emplace_back(AuthenticateSession{static_cast<AuthType>(m[4]), {m.begin() + 9, m.end()}});
      return;
    case 0x14:
      out.emplace_back(
          AuthenticateSessionReply{m[1], static_cast<AuthType>(m[4]), {m.begin() + 9, m.end()}});
      return;
    case 0x20: out.emplace_back(StartSol{le32(m, 4), read_settings(m, 8)}); return;
    case 0x21: {
      StartSolReply v;
      v.status = m[1];
      v.version_major = m[4];
      v.version_minor = m[5];
      v.settings = read_settings(m, 6);
      v.oem_iana = le32(m, 18);
      out.emplace_back(v);
      return;
    }
    case 0x22: out.emplace_back(EndSol{le32(m, 4)}); return;
    case 0x23: out.emplace_back(EndSolReply{le32(m, 4)}); return;
    case 0x24: out.emplace_back(KeepAlivePing{le32(m, 4)}); return;
    case 0x25: out.emplace_back(KeepAlivePong{le32(m, 4)}); return;
    case 0x27: {
      SolControlsToHost v;
      v.sequence = le32(m, 4);
      std::copy(m.begin() + 8, m.begin() + 14, v.data.begin());
      out.emplace_back(v);
      return;
    }
    case 0x28: out.emplace_back(SolDataToHost{le32(m, 4), {m.begin() + 10, m.end()}}); return;
    case 0x29: out.emplace_back(SolControlsFromHost{le32(m, 4), m[8], m[9]}); return;
    case 0x2A: out.emplace_back(SolDataFromHost{le32(m, 4), {m.begin() + 10, m.end()}}); return;
    case 0x2B: out.emplace_back(Heartbeat{le32(m, 4)}); return;
    case 0x40:
      out.emplace_back(KvmStart{});
      mode_ = Mode::kRaw;
      return;
    case 0x41:
      out.emplace_back(KvmStartReply{});
      mode_ = Mode::kRaw;
      return;
    case 0xF0: out.emplace_back(RecordingNotice{}); return;
    default: fail("redir-unknown-command", "unexpected command byte " + hex_byte(m[0])); return;
  }
}

Result<std::vector<Message>> Decoder::feed(std::span<const std::uint8_t> bytes) {
  std::vector<Message> out;
  auto r = feed(bytes, out);
  if (!r.ok()) return r.error();
  return out;
}

Result<std::size_t> Decoder::feed(std::span<const std::uint8_t> in, std::vector<Message>& out) {
  if (error_) return *error_;
  const std::size_t before = out.size();
  for (;;) {
    if (mode_ == Mode::kIgnore) {
      offset_ += in.size();
      break;
    }
    if (mode_ == Mode::kRaw) {
      if (!in.empty()) out.emplace_back(RawData{{in.begin(), in.end()}});
      offset_ += in.size();
      break;
    }
    if (!pending_.empty()) {
      const std::size_t need = needed(pending_);
      if (error_) return *error_;
      if (pending_.size() < need) {
        if (in.empty()) break;
        const std::size_t take = std::min(need - pending_.size(), in.size());
        pending_.insert(pending_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(take));
        in = in.subspan(take);
        continue;
      }
      parse(pending_, out);
      offset_ += pending_.size();
      pending_.clear();
      if (error_) return *error_;
      continue;
    }
    if (in.empty()) break;
    if (type_ == SessionType::kIder && is_ider_command(in[0])) {
      mode_ = Mode::kRaw;
      continue;
    }
    const std::size_t need = needed(in);
    if (error_) return *error_;
    if (in.size() < need) {
      pending_.assign(in.begin(), in.end());
      in = {};
      continue;
    }
    parse(in.first(need), out);
    offset_ += need;
    in = in.subspan(need);
    if (error_) return *error_;
  }
  return out.size() - before;
}

std::optional<Error> Decoder::finish() const {
  if (error_) return error_;
  if (!pending_.empty()) {
    return make_error("redir-truncated", "stream ended inside a message (" + std::to_string(pending_.size()) +
                                             " bytes of it received)");
  }
  return std::nullopt;
}

}  // namespace mw::redir
