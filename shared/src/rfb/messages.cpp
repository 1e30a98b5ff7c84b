#include "mw/rfb/messages.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "mw/util/bytes.hpp"

// D3DES (cmake/D3des.cmake); its header is not on the include path because libvncserver's
// folder also holds an old turbojpeg.h.
extern "C" {
void rfbDesKey(unsigned char* key, int mode);
void rfbDes(unsigned char* in, unsigned char* out);
}
namespace {
constexpr int kEncrypt = 0;  // d3des.h's EN0
}

namespace mw::rfb {

std::string_view encoding_name(std::int32_t e) {
  switch (e) {
    case encoding::kRaw: return "Raw";
    case encoding::kCopyRect: return "CopyRect";
    case encoding::kRre: return "RRE";
    case encoding::kHextile: return "Hextile";
    case encoding::kTight: return "Tight";
    case encoding::kZrle: return "ZRLE";
    case encoding::kIntelKvmData: return "IntelKvmData";
    case encoding::kDesktopSize: return "DesktopSize";
    case encoding::kLastRect: return "LastRect";
    case encoding::kPointerPos: return "PointerPos";
    case encoding::kCursor: return "Cursor";
    case encoding::kXCursor: return "XCursor";
    case encoding::kExtendedDesktopSize: return "ExtendedDesktopSize";
    case encoding::kExtendedClipboard: return "ExtendedClipboard";
    default: break;
  }
  static constexpr std::string_view kQuality[] = {"JPEG quality 0", "JPEG quality 1", "JPEG quality 2",
                                                  "JPEG quality 3", "JPEG quality 4", "JPEG quality 5",
                                                  "JPEG quality 6", "JPEG quality 7", "JPEG quality 8",
                                                  "JPEG quality 9"};
  static constexpr std::string_view kLevel[] = {"compression 0", "compression 1", "compression 2",
                                                "compression 3", "compression 4", "compression 5",
                                                "compression 6", "compression 7", "compression 8",
                                                "compression 9"};
  if (e >= encoding::kJpegQuality0 && e < encoding::kJpegQuality0 + 10) return kQuality[e - encoding::kJpegQuality0];
  if (e >= encoding::kCompressLevel0 && e < encoding::kCompressLevel0 + 10) {
    return kLevel[e - encoding::kCompressLevel0];
  }
  return "unknown";
}

bool encoding_by_name(std::string_view name, std::int32_t& out) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  static constexpr struct {
    std::string_view name;
    std::int32_t value;
  } kNames[] = {{"raw", encoding::kRaw},     {"copyrect", encoding::kCopyRect}, {"rre", encoding::kRre},
                {"hextile", encoding::kHextile}, {"tight", encoding::kTight},   {"zrle", encoding::kZrle}};
  for (const auto& k : kNames) {
    if (k.name == n) {
      out = k.value;
      return true;
    }
  }
  return false;
}

std::vector<std::uint8_t> set_pixel_format(const PixelFormat& format) {
  util::ByteWriter w(20);
  w.u8(0).u8(0).u8(0).u8(0);
  const auto pf = format.encode();
  w.bytes(std::span<const std::uint8_t>(pf));
  return w.take();
}

std::vector<std::uint8_t> set_encodings(std::span<const std::int32_t> encodings) {
  util::ByteWriter w(4 + 4 * encodings.size());
  const std::size_t n = std::min<std::size_t>(encodings.size(), 0xFFFF);
  w.u8(2).u8(0).u16(static_cast<std::uint16_t>(n));
  for (std::size_t i = 0; i < n; ++i) w.u32(static_cast<std::uint32_t>(encodings[i]));
  return w.take();
}

std::vector<std::uint8_t> framebuffer_update_request(bool incremental, const Rect& a) {
  const auto c = [](int v) { return static_cast<std::uint16_t>(std::clamp(v, 0, 0xFFFF)); };
  util::ByteWriter w(10);
  w.u8(3).u8(incremental ? 1 : 0).u16(c(a.x)).u16(c(a.y)).u16(c(a.w)).u16(c(a.h));
  return w.take();
}

std::vector<std::uint8_t> key_event(std::uint32_t keysym, bool down) {
  util::ByteWriter w(8);
  w.u8(4).u8(down ? 1 : 0).u16(0).u32(keysym);
  return w.take();
}

std::vector<std::uint8_t> pointer_event(std::uint8_t button_mask, std::uint16_t x, std::uint16_t y) {
  util::ByteWriter w(6);
  w.u8(5).u8(button_mask).u16(x).u16(y);
  return w.take();
}

std::vector<std::uint8_t> client_cut_text(std::string_view text) {
  util::ByteWriter w(8 + text.size());
  w.u8(6).u8(0).u8(0).u8(0).u32(static_cast<std::uint32_t>(text.size())).bytes(text);
  return w.take();
}

std::array<std::uint8_t, 16> vnc_auth_response(std::span<const std::uint8_t, 16> challenge,
                                               std::string_view password) {
  // D3DES as modified for VNC reverses the key bits itself (its bytebit table is reversed), so
  // the password bytes go in as they are.
  unsigned char key[8] = {};
  for (std::size_t i = 0; i < 8 && i < password.size(); ++i) key[i] = static_cast<unsigned char>(password[i]);
  rfbDesKey(key, kEncrypt);
  std::array<std::uint8_t, 16> out{};
  unsigned char block[8];
  for (int half = 0; half < 2; ++half) {
    std::copy_n(challenge.data() + half * 8, 8, block);
    rfbDes(block, out.data() + half * 8);
  }
  std::fill(std::begin(key), std::end(key), 0);
  return out;
}

}  // namespace mw::rfb
