// RFB message and encoding numbers (RFC 6143 §7, libvncserver rfbproto.h for the pseudo-encodings
// and Tight) and the encoders of client-to-server messages.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "mw/rfb/framebuffer.hpp"
#include "mw/rfb/pixel_format.hpp"

namespace mw::rfb {

// [SECTION] Numbers

namespace encoding {
constexpr std::int32_t kRaw = 0;
constexpr std::int32_t kCopyRect = 1;
constexpr std::int32_t kRre = 2;
constexpr std::int32_t kHextile = 5;
constexpr std::int32_t kTight = 7;
constexpr std::int32_t kZrle = 16;
constexpr std::int32_t kIntelKvmData = 1092;   // Intel AMT in-band KVM data channel (MeshCommander)
constexpr std::int32_t kJpegQuality0 = -32;     // -32..-23: JPEG quality 0..9
constexpr std::int32_t kDesktopSize = -223;
constexpr std::int32_t kLastRect = -224;
constexpr std::int32_t kPointerPos = -232;
constexpr std::int32_t kCursor = -239;
constexpr std::int32_t kXCursor = -240;
constexpr std::int32_t kCompressLevel0 = -256;  // -256..-247: compression level 0..9
constexpr std::int32_t kExtendedDesktopSize = -308;
constexpr std::int32_t kExtendedClipboard = static_cast<std::int32_t>(0xC0A1E5CEu);  // UTF-8 clipboard (clipboard.hpp)
}  // namespace encoding

// "Raw", "ZRLE", "DesktopSize", "JPEG quality 7", ... (for logs, tools and statistics); for a
// name given by a person (case-insensitive: raw, copyrect, rre, hextile, tight, zrle), the number.
std::string_view encoding_name(std::int32_t encoding);
bool encoding_by_name(std::string_view name, std::int32_t& out);

enum class ServerMessage : std::uint8_t {
  kFramebufferUpdate = 0,
  kSetColourMapEntries = 1,
  kBell = 2,
  kServerCutText = 3,
};

enum class SecurityType : std::uint8_t { kInvalid = 0, kNone = 1, kVncAuth = 2 };

// [SECTION] Client-to-server messages (byte-exact encoders)

std::vector<std::uint8_t> set_pixel_format(const PixelFormat& format);
std::vector<std::uint8_t> set_encodings(std::span<const std::int32_t> encodings);
std::vector<std::uint8_t> framebuffer_update_request(bool incremental, const Rect& area);
std::vector<std::uint8_t> key_event(std::uint32_t keysym, bool down);
std::vector<std::uint8_t> pointer_event(std::uint8_t button_mask, std::uint16_t x, std::uint16_t y);
// Text is Latin-1 per RFC 6143 §7.5.6.
std::vector<std::uint8_t> client_cut_text(std::string_view text);

// Button mask bits of PointerEvent.
namespace button {
constexpr std::uint8_t kLeft = 1;
constexpr std::uint8_t kMiddle = 2;
constexpr std::uint8_t kRight = 4;
constexpr std::uint8_t kWheelUp = 8;
constexpr std::uint8_t kWheelDown = 16;
}  // namespace button

// VNC authentication (RFC 6143 §7.2.2): the 16-byte challenge encrypted with DES, the key being the
// password's first 8 bytes (NUL padded) with each byte's bits reversed. DES is D3DES by Richard
// Outerbridge (public domain) as shipped in Debian's libvncserver source package, compiled natively
// and for wasm.
std::array<std::uint8_t, 16> vnc_auth_response(std::span<const std::uint8_t, 16> challenge,
                                               std::string_view password);

}  // namespace mw::rfb
