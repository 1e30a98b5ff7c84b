#include "mw/rfb/client.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <type_traits>

// GCC 12 reports moves of std::variant events as "may be used uninitialized" (a known false
// positive of its variant analysis, GCC bug 106238); clang and GCC 13 do not.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace mw::rfb {

namespace {

std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

void append(std::vector<std::uint8_t>& out, const std::vector<std::uint8_t>& bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

// Reason strings are for people; a hostile server does not get to make them large.
constexpr std::uint32_t kMaxReason = 4096;
constexpr std::uint32_t kMaxName = 4096;

}  // namespace

std::vector<std::int32_t> ClientConfig::default_encodings(int jpeg_quality, int compress_level) {
  std::vector<std::int32_t> e = {encoding::kTight,     encoding::kZrle,        encoding::kHextile,
                                 encoding::kRre,       encoding::kCopyRect,    encoding::kRaw,
                                 encoding::kDesktopSize, encoding::kExtendedDesktopSize, encoding::kCursor,
                                 encoding::kLastRect, encoding::kExtendedClipboard};
  if (jpeg_quality >= 0) e.push_back(encoding::kJpegQuality0 + std::clamp(jpeg_quality, 0, 9));
  if (compress_level >= 0) e.push_back(encoding::kCompressLevel0 + std::clamp(compress_level, 0, 9));
  return e;
}

ClientConfig ClientConfig::intel_amt() {
  ClientConfig c;
  c.pixel_format.reset();  // AMT's own RGB565
  c.encodings = {encoding::kZrle, encoding::kRaw, encoding::kDesktopSize};
  return c;
}

Client::Client(ClientConfig config) : config_(std::move(config)) {}

const Framebuffer& Client::framebuffer() const { return decoder_ ? decoder_->framebuffer() : empty_; }

void Client::fail(ClientOutput& out, std::string code, std::string message) {
  state_ = ClientState::kFailed;
  buffer_.clear();
  out.events.push_back(Failed{make_error(std::move(code), std::move(message))});
}

ClientOutput Client::feed(std::span<const std::uint8_t> bytes) {
  ClientOutput out;
  if (state_ == ClientState::kFailed || state_ == ClientState::kClosed) return out;
  if (state_ == ClientState::kRunning) {
    std::vector<Event> events;
    decoder_->feed(bytes, events);
    forward(events, out);
    return out;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  step(out);
  return out;
}

ClientOutput Client::end_of_stream() {
  ClientOutput out;
  if (state_ == ClientState::kRunning) {
    std::vector<Event> events;
    decoder_->end_of_stream(events);
    forward(events, out);
    if (state_ == ClientState::kRunning) state_ = ClientState::kClosed;
  } else if (state_ != ClientState::kFailed && state_ != ClientState::kClosed) {
    fail(out, "truncated", "the server closed the connection during the handshake");
  }
  return out;
}

void Client::forward(std::vector<Event>& events, ClientOutput& out) {
  for (auto& e : events) {
    if (std::holds_alternative<Failed>(e)) state_ = ClientState::kFailed;
    if (const auto* clip = std::get_if<ClipboardMessage>(&e)) {
      answer_clipboard(clip->message, out);
      continue;
    }
    const bool done = std::holds_alternative<UpdateDone>(e);
    const bool resized = std::holds_alternative<Resized>(e);
    std::visit(
        [&](auto& v) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(v)>, ClipboardMessage>) out.events.push_back(std::move(v));
        },
        e);
    if (state_ != ClientState::kRunning || !config_.auto_update) continue;
    if (resized) {
      // The new size needs a full picture (MeshCommander does the same for AMT).
      append(out.send, framebuffer_update_request(false, {0, 0, framebuffer().width(), framebuffer().height()}));
    } else if (done) {
      append(out.send, framebuffer_update_request(true, {0, 0, framebuffer().width(), framebuffer().height()}));
    }
  }
}

// The handshake: consume whole steps from buffer_ while they are complete.
void Client::step(ClientOutput& out) {
  for (;;) {
    const std::uint8_t* p = buffer_.data();
    const std::size_t n = buffer_.size();
    std::size_t used = 0;
    switch (state_) {
      case ClientState::kVersion: {
        if (n < 12) return;
        const std::string v(reinterpret_cast<const char*>(p), 12);
        int major = 0, minor = 0;
        if (v.compare(0, 4, "RFB ") != 0 || v[7] != '.' || v[11] != '\n' ||
            std::sscanf(v.c_str() + 4, "%3d.%3d", &major, &minor) != 2) {
          fail(out, "bad-version", "the server did not send an RFB ProtocolVersion (got \"" +
                                       std::string(v.begin(), std::find(v.begin(), v.end(), '\n')) + "\")");
          return;
        }
        if (major != 3 || minor < 3) {
          fail(out, "unsupported-version", "unsupported RFB version " + v.substr(4, 7));
          return;
        }
        // 3.3, 3.7 and 3.8; anything later (Apple's 3.889, future 3.x) speaks 3.8 with us, and
        // 3.4-3.6 (UltraVNC's numbers) are 3.3 by RFC 6143 §7.1.1.
        server_.version_minor = minor >= 8 ? 8 : minor == 7 ? 7 : 3;
        const std::string reply = server_.version_minor == 8   ? "RFB 003.008\n"
                                  : server_.version_minor == 7 ? "RFB 003.007\n"
                                                               : "RFB 003.003\n";
        out.send.insert(out.send.end(), reply.begin(), reply.end());
        state_ = ClientState::kSecurityTypes;
        used = 12;
        break;
      }
      case ClientState::kSecurityTypes: {
        if (server_.version_minor == 3) {  // the server decides: u32 type
          if (n < 4) return;
          const std::uint32_t type = be32(p);
          used = 4;
          if (type == 0) {
            failure_is_auth_ = false;
            state_ = ClientState::kFailureReason;
          } else if (type == 1) {
            server_.security = SecurityType::kNone;
            state_ = ClientState::kServerInit;
            out.send.push_back(config_.shared ? 1 : 0);
          } else if (type == 2) {
            server_.security = SecurityType::kVncAuth;
            state_ = ClientState::kVncChallenge;
          } else {
            fail(out, "no-supported-security", "the server requires security type " + std::to_string(type));
            return;
          }
          break;
        }
        if (n < 1) return;
        const std::size_t count = p[0];
        if (count == 0) {
          used = 1;
          failure_is_auth_ = false;
          state_ = ClientState::kFailureReason;
          break;
        }
        if (n < 1 + count) return;
        bool has_none = false, has_vnc = false;
        for (std::size_t i = 0; i < count; ++i) {
          has_none |= p[1 + i] == 1;
          has_vnc |= p[1 + i] == 2;
        }
        used = 1 + count;
        // None when offered (AMT's KVM after redirection authentication), else VNC authentication.
        if (has_none && (config_.password.empty() || !has_vnc)) {
          server_.security = SecurityType::kNone;
          out.send.push_back(1);
          if (server_.version_minor == 8) {
            state_ = ClientState::kSecurityResult;
          } else {
            state_ = ClientState::kServerInit;
            out.send.push_back(config_.shared ? 1 : 0);
          }
        } else if (has_vnc) {
          server_.security = SecurityType::kVncAuth;
          out.send.push_back(2);
          state_ = ClientState::kVncChallenge;
        } else {
          std::string offered;
          for (std::size_t i = 0; i < count; ++i) offered += (i ? "," : "") + std::to_string(p[1 + i]);
          fail(out, "no-supported-security",
               "the server offers security types " + offered + "; supported are None (1) and VNC authentication (2)");
          return;
        }
        break;
      }
      case ClientState::kVncChallenge: {
        if (n < 16) return;
        const auto response = vnc_auth_response(std::span<const std::uint8_t, 16>(p, 16), config_.password);
        out.send.insert(out.send.end(), response.begin(), response.end());
        used = 16;
        state_ = ClientState::kSecurityResult;
        break;
      }
      case ClientState::kSecurityResult: {
        if (n < 4) return;
        const std::uint32_t result = be32(p);
        used = 4;
        if (result == 0) {
          state_ = ClientState::kServerInit;
          out.send.push_back(config_.shared ? 1 : 0);
        } else if (server_.version_minor == 8) {
          failure_is_auth_ = true;
          state_ = ClientState::kFailureReason;
        } else {
          buffer_.erase(buffer_.begin(), buffer_.begin() + 4);
          state_ = ClientState::kFailed;
          out.events.push_back(AuthFailed{"authentication failed"});
          return;
        }
        break;
      }
      case ClientState::kFailureReason: {
        if (n < 4) return;
        const std::uint32_t len = std::min(be32(p), kMaxReason);
        if (n < 4 + static_cast<std::size_t>(len)) return;
        std::string reason(reinterpret_cast<const char*>(p + 4), len);
        buffer_.clear();
        state_ = ClientState::kFailed;
        if (failure_is_auth_) {
          out.events.push_back(AuthFailed{reason.empty() ? "authentication failed" : reason});
        } else {
          out.events.push_back(Failed{make_error("refused", "the server refused the connection: " + reason)});
        }
        return;
      }
      case ClientState::kServerInit: {
        if (n < 24) return;
        const auto width = static_cast<int>(p[0] << 8 | p[1]);
        const auto height = static_cast<int>(p[2] << 8 | p[3]);
        auto format = PixelFormat::parse({p + 4, 16});
        if (!format) {
          fail(out, format.error().code, "ServerInit: " + format.error().message);
          return;
        }
        const std::uint32_t name_len = be32(p + 20);
        if (name_len > kMaxName) {
          fail(out, "too-large", "ServerInit desktop name of " + std::to_string(name_len) + " bytes");
          return;
        }
        if (n < 24 + static_cast<std::size_t>(name_len)) return;
        if (width > config_.limits.max_width || height > config_.limits.max_height) {
          fail(out, "too-large", "desktop of " + std::to_string(width) + "x" + std::to_string(height) +
                                     " exceeds the limit");
          return;
        }
        server_.width = width;
        server_.height = height;
        server_.server_format = format.value();
        server_.name.assign(reinterpret_cast<const char*>(p + 24), name_len);
        used = 24 + name_len;
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(used));
        after_server_init(out);
        return;
      }
      case ClientState::kRunning:
      case ClientState::kFailed:
      case ClientState::kClosed:
        return;
    }
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(used));
  }
}

void Client::after_server_init(ClientOutput& out) {
  PixelFormat format = server_.server_format;
  if (config_.pixel_format) {
    if (auto ok = config_.pixel_format->validate(); !ok) {
      fail(out, ok.error().code, "the configured pixel format: " + ok.error().message);
      return;
    }
    format = *config_.pixel_format;
    append(out.send, rfb::set_pixel_format(format));
  }
  decoder_.emplace(server_.width, server_.height, format, config_.limits);
  sync_decoder_encodings();
  state_ = ClientState::kRunning;
  out.events.push_back(server_);
  if (!config_.encodings.empty()) append(out.send, rfb::set_encodings(config_.encodings));
  if (config_.auto_update) append(out.send, framebuffer_update_request(false, {0, 0, server_.width, server_.height}));
  // Bytes after ServerInit in the same read belong to the decoder.
  if (!buffer_.empty()) {
    std::vector<std::uint8_t> rest;
    rest.swap(buffer_);
    std::vector<Event> events;
    decoder_->feed(rest, events);
    forward(events, out);
  }
}

ClientOutput Client::request_update(bool incremental) {
  return request_update({0, 0, framebuffer().width(), framebuffer().height()}, incremental);
}

ClientOutput Client::request_update(const Rect& area, bool incremental) {
  ClientOutput out;
  if (running()) out.send = framebuffer_update_request(incremental, area);
  return out;
}

ClientOutput Client::key(std::uint32_t keysym, bool down) {
  ClientOutput out;
  if (running()) out.send = key_event(keysym, down);
  return out;
}

ClientOutput Client::pointer(int x, int y, std::uint8_t buttons) {
  ClientOutput out;
  if (!running()) return out;
  const int w = std::max(framebuffer().width() - 1, 0);
  const int h = std::max(framebuffer().height() - 1, 0);
  out.send = pointer_event(buttons, static_cast<std::uint16_t>(std::clamp(x, 0, w)),
                           static_cast<std::uint16_t>(std::clamp(y, 0, h)));
  return out;
}

ClientOutput Client::cut_text(std::string_view latin1) {
  ClientOutput out;
  if (running()) out.send = client_cut_text(latin1);
  return out;
}

void Client::sync_decoder_encodings() {
  if (!decoder_) return;
  const bool asked = std::find(config_.encodings.begin(), config_.encodings.end(), encoding::kExtendedClipboard) !=
                     config_.encodings.end();
  decoder_->enable_extended_clipboard(asked);
  if (!asked) ext_clipboard_ = false;
}

// The server's extended messages: its caps (answered with this viewer's: it takes every action for
// text up to the configured limit), a notify (answered with a request for the text), a request or
// a peek (answered with the last text given to clipboard()).
void Client::answer_clipboard(const clipboard::Message& m, ClientOutput& out) {
  namespace cf = clipboard::flag;
  if (m.is(cf::kCaps)) {
    server_clipboard_ = m;
    ext_clipboard_ = (m.flags & cf::kText) != 0;
    if (ext_clipboard_) {
      append(out.send, clipboard::caps(clipboard::kClientCutText, cf::kRequest | cf::kPeek | cf::kNotify | cf::kProvide,
                                       static_cast<std::uint32_t>(config_.limits.max_cut_text)));
    }
    return;
  }
  if (!ext_clipboard_) return;
  if (m.is(cf::kNotify) && (m.flags & cf::kText)) {
    append(out.send, clipboard::action(clipboard::kClientCutText, cf::kRequest | cf::kText));
  } else if (m.is(cf::kRequest) && (m.flags & cf::kText) && own_text_) {
    append(out.send, clipboard::provide_text(clipboard::kClientCutText, *own_text_));
  } else if (m.is(cf::kPeek)) {
    append(out.send, clipboard::action(clipboard::kClientCutText, cf::kNotify | (own_text_ ? cf::kText : 0)));
  }
}

ClientOutput Client::clipboard(std::string_view utf8) {
  namespace cf = clipboard::flag;
  ClientOutput out;
  if (!running()) return out;
  // What the server takes: its caps' text size (NUL and CRLF line ends included), else the limit
  // classic servers apply (libvncserver closes the session beyond 1 MiB).
  std::size_t limit = config_.limits.max_cut_text;
  if (ext_clipboard_ && server_clipboard_.max_text() > 0) limit = std::min<std::size_t>(limit, server_clipboard_.max_text());
  const std::string_view text =
      ext_clipboard_ ? clipboard::fit_extended(utf8, limit) : clipboard::truncate_utf8(utf8, limit);
  own_text_ = std::string(text);
  if (ext_clipboard_ && server_clipboard_.is(cf::kProvide)) {
    out.send = clipboard::provide_text(clipboard::kClientCutText, *own_text_);
  } else if (ext_clipboard_ && server_clipboard_.is(cf::kNotify)) {
    out.send = clipboard::action(clipboard::kClientCutText, cf::kNotify | cf::kText);
  } else {
    out.send = client_cut_text(clipboard::to_latin1(*own_text_));
  }
  return out;
}

ClientOutput Client::set_encodings(std::vector<std::int32_t> encodings) {
  ClientOutput out;
  config_.encodings = std::move(encodings);
  sync_decoder_encodings();
  if (running()) out.send = rfb::set_encodings(config_.encodings);
  return out;
}

ClientOutput Client::set_pixel_format(const PixelFormat& format) {
  ClientOutput out;
  if (!running()) {
    config_.pixel_format = format;
    return out;
  }
  if (auto ok = decoder_->set_pixel_format(format); !ok) {
    fail(out, ok.error().code, ok.error().message);
    return out;
  }
  config_.pixel_format = format;
  out.send = rfb::set_pixel_format(format);
  return out;
}

ClientOutput Client::ctrl_alt_del() {
  ClientOutput out;
  if (!running()) return out;
  constexpr std::uint32_t kCtrl = 0xFFE3, kAlt = 0xFFE9, kDelete = 0xFFFF;
  for (auto [sym, down] : {std::pair{kCtrl, true}, {kAlt, true}, {kDelete, true}, {kDelete, false},
                           {kAlt, false}, {kCtrl, false}}) {
    append(out.send, key_event(sym, down));
  }
  return out;
}

}  // namespace mw::rfb
