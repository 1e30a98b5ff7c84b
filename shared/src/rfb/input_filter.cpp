// Input filter of a viewer's RFB messages (input_filter.hpp). Message layouts: RFC 6143 7.1
// (handshake) and 7.5 (client to server messages).
#include "mw/rfb/input_filter.hpp"

#include "mw/rfb/messages.hpp"

#include <algorithm>

namespace mw::rfb {
namespace {

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) | p[3];
}

constexpr std::uint8_t kSecurityNone = 1, kSecurityVnc = 2;

}  // namespace

bool limited_input_key(std::uint32_t k) {
  return (k >= '0' && k <= '9') || (k >= 'a' && k <= 'z') || (k >= 'A' && k <= 'Z') || k == 0xff0d /* Return */ ||
         k == 0xff8d /* KP_Enter */ || k == 0xff08 /* BackSpace */;
}

void InputFilter::server_bytes(std::span<const std::uint8_t> data) {
  const std::size_t want = 16 - std::min<std::size_t>(server_head_.size(), 16);
  server_head_.insert(server_head_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(std::min(want, data.size())));
}

Result<std::size_t> InputFilter::feed(std::span<const std::uint8_t> data, std::vector<std::uint8_t>& out) {
  if (state_ == State::kFailed) return make_error("rfb-input-filter", "the session already failed");
  const std::size_t before = out.size();
  // The rest of a dropped cut text goes nowhere, without being kept.
  const std::size_t skipped = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, data.size()));
  skip_ -= skipped;
  data = data.subspan(skipped);
  pending_.insert(pending_.end(), data.begin(), data.end());
  std::size_t at = 0;
  while (at < pending_.size()) {
    auto used = step(std::span<const std::uint8_t>(pending_).subspan(at), out);
    if (!used) {
      state_ = State::kFailed;
      pending_.clear();
      return used.error();
    }
    if (*used == 0) break;
    at += *used;
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(at));
  // Whole messages are small (SetEncodings is bounded); only a viewer that keeps sending before
  // the server said its security type (RFB 3.3) could fill this.
  if (pending_.size() > kMaxPending) {
    state_ = State::kFailed;
    pending_.clear();
    return make_error("rfb-input-filter", "the viewer sent too much before the server answered");
  }
  return out.size() - before;
}

Result<std::size_t> InputFilter::step(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
  const std::uint8_t* p = in.data();
  const std::size_t n = in.size();
  auto pass = [&](std::size_t len) {
    out.insert(out.end(), p, p + len);
    return len;
  };
  switch (state_) {
    case State::kVersion: {
      if (n < 12) return std::size_t{0};
      if (std::string(reinterpret_cast<const char*>(p), 4) != "RFB " || p[11] != '\n') {
        return make_error("rfb-version", "the viewer did not send an RFB ProtocolVersion");
      }
      v33_ = std::string(reinterpret_cast<const char*>(p) + 4, 7) == "003.003";
      state_ = v33_ ? State::kWaitServerType : State::kSecurityChoice;
      return pass(12);
    }
    case State::kSecurityChoice: {
      if (n < 1) return std::size_t{0};
      if (p[0] != kSecurityNone && p[0] != kSecurityVnc) {
        return make_error("rfb-security", "security type " + std::to_string(p[0]) + " cannot be watched through the filter");
      }
      state_ = p[0] == kSecurityVnc ? State::kVncResponse : State::kClientInit;
      return pass(1);
    }
    case State::kWaitServerType: {  // RFB 3.3: the server's u32 after its version
      if (server_head_.size() < 16) return std::size_t{0};
      const std::uint32_t type = be32(server_head_.data() + 12);
      if (type != kSecurityNone && type != kSecurityVnc) {
        return make_error("rfb-security", "security type " + std::to_string(type) + " cannot be watched through the filter");
      }
      state_ = type == kSecurityVnc ? State::kVncResponse : State::kClientInit;
      return step(in, out);
    }
    case State::kVncResponse:
      if (n < 16) return std::size_t{0};
      state_ = State::kClientInit;
      return pass(16);
    case State::kClientInit:
      if (n < 1) return std::size_t{0};
      state_ = State::kMessages;
      return pass(1);
    case State::kMessages:
      switch (p[0]) {
        case 0:  // SetPixelFormat
          return n < 20 ? std::size_t{0} : pass(20);
        case 2: {  // SetEncodings
          if (n < 4) return std::size_t{0};
          const std::size_t count = be16(p + 2);
          if (count > kMaxEncodings) return make_error("rfb-encodings", "SetEncodings with " + std::to_string(count) + " encodings");
          if (n < 4 + 4 * count) return std::size_t{0};
          // With the Extended Clipboard asked for, a cut text's negative length is abs(length).
          extended_clipboard_ = false;
          for (std::size_t i = 0; i < count; ++i) {
            if (be32(p + 4 + 4 * i) == static_cast<std::uint32_t>(encoding::kExtendedClipboard)) extended_clipboard_ = true;
          }
          return pass(4 + 4 * count);
        }
        case 3:  // FramebufferUpdateRequest
          return n < 10 ? std::size_t{0} : pass(10);
        case 4:  // KeyEvent
          if (n < 8) return std::size_t{0};
          if (mode_ == Mode::kLimitedInput && limited_input_key(be32(p + 4))) return pass(8);
          ++dropped_.keys;
          return std::size_t{8};
        case 5:  // PointerEvent
          if (n < 6) return std::size_t{0};
          if (mode_ == Mode::kLimitedInput) return pass(6);
          ++dropped_.pointer;
          return std::size_t{6};
        case 6: {  // ClientCutText
          if (n < 8) return std::size_t{0};
          ++dropped_.cut_texts;
          std::uint32_t raw = be32(p + 4);
          if (extended_clipboard_ && (raw & 0x80000000u)) raw = ~raw + 1;
          const std::uint64_t len = raw;
          if (n >= 8 + len) return static_cast<std::size_t>(8 + len);
          skip_ = len - (n - 8);  // what arrived is dropped now, the rest as it comes
          return n;
        }
        default:
          return make_error("rfb-message", "unknown viewer message type " + std::to_string(p[0]));
      }
    case State::kFailed:
      break;
  }
  return make_error("rfb-input-filter", "the session already failed");
}

}  // namespace mw::rfb
