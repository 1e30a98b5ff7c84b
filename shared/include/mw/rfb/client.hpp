// The RFB client (the viewer's end) as a sans-I/O state machine: RFB 3.3, 3.7 and 3.8 handshakes,
// security types None and VNC authentication, ClientInit/ServerInit, then the Decoder for
// everything the server sends. Every call returns an Output: bytes to write to the server, in
// order, and events for the owner (the browser app, the server's KVM relay tests, mwcodec).
//
// Intel AMT KVM (after the redirection protocol's KvmStart) is RFB 3.8 with security None; the
// AMT preset (ClientConfig::intel_amt) asks for what AMT serves: ZRLE, Raw and DesktopSize, 16 bpp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "mw/rfb/decoder.hpp"
#include "mw/rfb/messages.hpp"
#include "mw/rfb/pixel_format.hpp"
#include "mw/util/result.hpp"

namespace mw::rfb {

struct ClientConfig {
  std::string password;  // for VNC authentication (only its first 8 bytes count)
  bool shared = true;    // ClientInit: share the desktop with other viewers
  // The pixel format to ask for (SetPixelFormat right after ServerInit); none = the server's own.
  std::optional<PixelFormat> pixel_format = PixelFormat::rgb888();
  // SetEncodings, in order of preference. The default is the best for a LAN VNC server.
  std::vector<std::int32_t> encodings = default_encodings();
  // Sends a full FramebufferUpdateRequest after ServerInit and an incremental one after each
  // complete update (what every viewer does); off = the owner requests updates itself.
  bool auto_update = true;
  Limits limits;

  // Tight, ZRLE, Hextile, RRE, CopyRect, Raw and the pseudo-encodings DesktopSize,
  // ExtendedDesktopSize, Cursor, LastRect, ExtendedClipboard; JPEG quality and compression level
  // when >= 0.
  static std::vector<std::int32_t> default_encodings(int jpeg_quality = -1, int compress_level = -1);
  // Intel AMT KVM: ZRLE, Raw, DesktopSize at 16 bpp RGB565 (the server's own format, no
  // SetPixelFormat), security None.
  static ClientConfig intel_amt();
};

enum class ClientState {
  kVersion,         // waiting for the server's ProtocolVersion
  kSecurityTypes,   // 3.7/3.8: the list; 3.3: the u32 the server chose
  kVncChallenge,    // waiting for the 16-byte challenge
  kSecurityResult,  // waiting for SecurityResult
  kFailureReason,   // reading a failure reason string
  kServerInit,
  kRunning,
  kFailed,
  kClosed,
};

// ServerInit, and the version both ends speak.
struct Connected {
  int version_minor = 8;  // 3, 7 or 8
  int width = 0;
  int height = 0;
  PixelFormat server_format;
  std::string name;
  SecurityType security = SecurityType::kNone;
};
// The server refused the credentials (or, with no security types, the connection); the reason is
// the server's string when it sent one. The session is over.
struct AuthFailed {
  std::string reason;
};

using ClientEvent = std::variant<Connected, AuthFailed, UpdateDone, Resized, CursorShape, Bell,
                                 ServerCutText, Failed>;

struct ClientOutput {
  std::vector<std::uint8_t> send;
  std::vector<ClientEvent> events;
};

class Client {
 public:
  explicit Client(ClientConfig config = {});

  ClientOutput feed(std::span<const std::uint8_t> bytes);
  ClientOutput end_of_stream();

  // Running only (ignored before ServerInit and after failure).
  ClientOutput request_update(bool incremental);
  ClientOutput request_update(const Rect& area, bool incremental);
  ClientOutput key(std::uint32_t keysym, bool down);
  ClientOutput pointer(int x, int y, std::uint8_t buttons);  // clamped to the framebuffer
  // A raw ClientCutText (Latin-1 as given; Intel AMT's KvmExtCmd messages).
  ClientOutput cut_text(std::string_view latin1);
  // The viewer's clipboard text (UTF-8, any line ends) for the server's clipboard: an Extended
  // Clipboard provide (or notify, when the server asks for the text itself) once the server has
  // sent its caps, else a classic ClientCutText in Latin-1 ('?' for what Latin-1 lacks). Cut to
  // the size the server takes, at a character boundary. Incoming text arrives as ServerCutText
  // events (utf8 set for extended ones); the other extended messages are answered here.
  ClientOutput clipboard(std::string_view utf8);
  // The server speaks the Extended Clipboard (its caps arrived, with text).
  bool extended_clipboard() const { return ext_clipboard_; }
  ClientOutput set_encodings(std::vector<std::int32_t> encodings);
  ClientOutput set_pixel_format(const PixelFormat& format);
  // Ctrl-Alt-Del as six key events (Ctrl_L, Alt_L, Delete down; then up in reverse order).
  ClientOutput ctrl_alt_del();

  ClientState state() const { return state_; }
  bool running() const { return state_ == ClientState::kRunning; }
  const Connected& server() const { return server_; }
  // Empty (0x0) until ServerInit.
  const Framebuffer& framebuffer() const;
  const Decoder* decoder() const { return decoder_ ? &*decoder_ : nullptr; }

 private:
  void step(ClientOutput& out);
  bool take(std::size_t n, std::vector<std::uint8_t>& into);
  void fail(ClientOutput& out, std::string code, std::string message);
  void after_server_init(ClientOutput& out);
  void forward(std::vector<Event>& events, ClientOutput& out);
  void answer_clipboard(const clipboard::Message& m, ClientOutput& out);
  void sync_decoder_encodings();

  ClientConfig config_;
  ClientState state_ = ClientState::kVersion;
  std::vector<std::uint8_t> buffer_;  // handshake bytes not consumed yet
  std::optional<Decoder> decoder_;
  Connected server_;
  Framebuffer empty_;
  bool failure_is_auth_ = false;
  bool ext_clipboard_ = false;
  clipboard::Message server_clipboard_;  // the server's caps
  std::optional<std::string> own_text_;  // the last text given to clipboard()
};

}  // namespace mw::rfb
