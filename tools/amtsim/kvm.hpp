// The KVM of a simulated Intel AMT computer: after the redirection protocol's KvmStart the
// connection carries RFB 3.8 (docs/protocols/rfb.md), and this is its server end for one viewer.
// Sans-I/O: bytes from the viewer in, bytes to it out; time is passed in.
//
// RfbServer is the protocol: ProtocolVersion 3.8 (3.7 and 3.3 viewers are served too), security
// None (AMT authenticated the user at the redirection layer), ClientInit/ServerInit (32 bpp true
// colour), SetPixelFormat (any true-colour format of 8, 16 or 32 bpp with channels of at most 8
// bits, RGB565 among them; others close the connection), SetEncodings (ZRLE when the viewer lists
// it, Raw otherwise), FramebufferUpdateRequest (full, or incremental: only pixels that changed
// since the viewer last got them; a request with nothing to send waits for a change), and
// KeyEvent/PointerEvent/ClientCutText (counted, not acted on). Rectangles are at most 64x64, as
// AMT sends them. One deflate stream per connection (RFC 6143 §7.7.6), raw deflate without the
// zlib header as Intel AMT sends it.
//
// Kvm puts the two together for RedirHandler: the Screen follows the power state (off/asleep:
// black; a power-on: the BIOS screen for kBootMs, then the desktop) and the clock.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "console.hpp"
#include "mw/rfb/framebuffer.hpp"
#include "mw/rfb/pixel_format.hpp"
#include "mw/util/result.hpp"
#include "screen.hpp"

namespace mw::amtsim {

struct RfbOutput {
  std::vector<std::uint8_t> send;  // write to the viewer
  std::optional<Error> error;      // set once: close the connection after `send`
};

enum class RfbState { kIdle, kVersion, kSecurity, kClientInit, kRunning, kFailed };

struct RfbLimits {
  // ClientCutText longer than this is skipped as it arrives, never buffered (Intel's KvmExtCmd
  // messages are a few bytes).
  std::size_t max_cut_text = 64 * 1024;
};

struct RfbStats {
  std::uint64_t updates = 0;       // FramebufferUpdate messages sent
  std::uint64_t rects = 0;
  std::uint64_t update_bytes = 0;  // their bytes, headers included
  std::uint64_t key_events = 0;
  std::uint64_t pointer_events = 0;
  std::uint64_t cut_texts = 0;
};

class RfbServer {
 public:
  // `screen` is read at every update and must outlive the server.
  RfbServer(std::string name, const rfb::Framebuffer& screen, RfbLimits limits = {});
  ~RfbServer();
  RfbServer(const RfbServer&) = delete;
  RfbServer& operator=(const RfbServer&) = delete;

  RfbOutput start();                                  // the server's ProtocolVersion
  RfbOutput feed(std::span<const std::uint8_t> bytes);  // bytes from the viewer
  // The screen may have changed: answers a waiting update request when its area did.
  RfbOutput refresh();
  // Until the owner says the screen is drawn, update requests wait (the KVM draws at its first tick).
  void set_live(bool live) { live_ = live; }

  RfbState state() const { return state_; }
  bool failed() const { return state_ == RfbState::kFailed; }
  // What updates use now (after the viewer's SetPixelFormat / SetEncodings).
  const rfb::PixelFormat& pixel_format() const { return format_; }
  std::int32_t encoding() const { return encoding_; }
  // The rectangles of the last FramebufferUpdate sent.
  const std::vector<rfb::Rect>& last_update() const { return last_update_; }
  const RfbStats& stats() const { return stats_; }

 private:
  struct Deflater;
  std::size_t step(std::span<const std::uint8_t> in, RfbOutput& out);  // one message; 0 = need more
  void fail(RfbOutput& out, std::string code, std::string message);
  void want(const rfb::Rect& area, bool incremental);
  void send_update(RfbOutput& out);
  void encode_pixels(const rfb::Rect& r, std::vector<std::uint8_t>& out);
  void encode_zrle(const rfb::Rect& r, std::vector<std::uint8_t>& out);
  std::uint32_t value(rfb::Rgba p) const;  // the wire value of a pixel in format_

  std::string name_;
  const rfb::Framebuffer& screen_;
  RfbLimits limits_;
  RfbState state_ = RfbState::kIdle;
  int minor_ = 8;                    // the viewer's protocol version 3.minor
  std::vector<std::uint8_t> in_;     // bytes of an incomplete message
  std::uint64_t skip_ = 0;           // bytes of a long ClientCutText still to drop
  rfb::PixelFormat format_ = rfb::PixelFormat::rgb888();
  std::int32_t encoding_ = 0;        // Raw until SetEncodings lists ZRLE
  std::vector<rfb::Rgba> known_;     // what the viewer has (alpha 0: nothing yet)
  bool live_ = true;                 // updates may be sent (set_live)
  bool pending_ = false;             // an update request waits
  rfb::Rect wanted_;                 // its area (union of the requests)
  rfb::Rect forced_;                 // part of it asked for non-incrementally
  std::vector<rfb::Rect> last_update_;
  std::unique_ptr<Deflater> zlib_;   // made at the first ZRLE rectangle
  RfbStats stats_;
};

class Kvm {
 public:
  // How long the BIOS screen shows after a power-on seen during the session.
  static constexpr std::uint64_t kBootMs = 3000;

  // `power` is the device's power state (WS-Management changes it).
  Kvm(const ConsoleInfo& info, const PowerState& power);

  RfbOutput start() { return rfb_.start(); }
  RfbOutput feed(std::span<const std::uint8_t> bytes) { return rfb_.feed(bytes); }
  // Redraws the screen for the power state and the time, and sends what a waiting update request
  // asked for. Update requests are answered from the first tick on (the screen is drawn then).
  RfbOutput tick(std::uint64_t now_ms);

  const Screen& screen() const { return screen_; }
  const RfbServer& rfb() const { return rfb_; }

 private:
  ConsoleInfo info_;
  const PowerState& power_;
  Screen screen_;
  RfbServer rfb_;
  bool was_on_;                          // the power state at the last tick
  std::optional<std::uint64_t> boot_at_;  // a power-on seen at this time: BIOS screen until kBootMs after
};

}  // namespace mw::amtsim
