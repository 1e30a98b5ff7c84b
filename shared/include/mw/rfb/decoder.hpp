// The server-to-client half of RFB after ServerInit, as a sans-I/O decoder: bytes in (in any
// chunks), a framebuffer and events out. It decodes FramebufferUpdate rectangles (Raw, CopyRect,
// RRE, Hextile, ZRLE including Intel AMT's raw-deflate form, Tight with its four zlib streams,
// fill/palette/gradient filters and JPEG, and the DesktopSize, ExtendedDesktopSize, Cursor and
// LastRect pseudo-encodings), SetColourMapEntries, Bell and ServerCutText.
//
// Hostile input is normal input: every rectangle must lie inside the framebuffer, every length is
// capped (Limits), and a bad message becomes a Failed event with a typed error, after which the
// decoder ignores further bytes. Memory is bounded by the framebuffer plus the largest rectangle's
// encoded and decoded data; bytes are buffered only while a message is incomplete, and a Raw
// rectangle is decoded row by row as its bytes arrive.
//
// Used by Client (after the handshake), and directly by tools and benchmarks on recorded captures.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "mw/rfb/clipboard.hpp"
#include "mw/rfb/framebuffer.hpp"
#include "mw/rfb/messages.hpp"
#include "mw/rfb/pixel_format.hpp"
#include "mw/util/result.hpp"

namespace mw::rfb {

struct Limits {
  int max_width = 16384;                          // DesktopSize / ServerInit
  int max_height = 16384;
  std::size_t max_cut_text = 1 << 20;             // ServerCutText; longer text fails the session
  std::size_t max_compressed = 64u << 20;         // one ZRLE / Tight rectangle's compressed data
  int max_cursor = 256;                           // cursor width and height
};

// [SECTION] Events

// One FramebufferUpdate was decoded completely; `dirty` lists the changed areas (merged).
struct UpdateDone {
  std::vector<Rect> dirty;
  int rects = 0;
};
struct Resized {  // DesktopSize / ExtendedDesktopSize: the framebuffer now has this size
  int width = 0;
  int height = 0;
};
struct CursorShape {  // Cursor pseudo-encoding: RGBA with alpha 0 where the mask is clear
  int hotspot_x = 0;
  int hotspot_y = 0;
  int width = 0;
  int height = 0;
  std::vector<Rgba> pixels;
};
struct Bell {};
struct ServerCutText {
  std::string text;  // as sent (Latin-1), or an Intel AMT KvmExtCmd / KvmDataChannel message;
  bool utf8 = false;  // UTF-8 with LF line ends: an Extended Clipboard provide (clipboard.hpp)
};
// An Extended Clipboard message other than the text it provides (caps, request, peek, notify),
// for the client to answer; only after enable_extended_clipboard().
struct ClipboardMessage {
  clipboard::Message message;
};
struct Failed {
  Error error;
};

using Event = std::variant<UpdateDone, Resized, CursorShape, Bell, ServerCutText, ClipboardMessage, Failed>;

// Rectangles and bytes decoded per encoding, for statistics and benchmarks.
struct EncodingStats {
  std::int32_t encoding = 0;
  std::uint64_t rects = 0;
  std::uint64_t pixels = 0;
  std::uint64_t bytes = 0;  // encoded bytes of the rectangles (headers included)
};

class Decoder {
 public:
  Decoder(int width, int height, const PixelFormat& format, Limits limits = {});
  ~Decoder();
  Decoder(Decoder&&) noexcept;
  Decoder& operator=(Decoder&&) noexcept;

  // Decodes what it can; events are appended to `events`. Returns false once failed.
  bool feed(std::span<const std::uint8_t> bytes, std::vector<Event>& events);
  // The stream ended: an incomplete message becomes a "truncated" failure.
  void end_of_stream(std::vector<Event>& events);

  // The client asked for the Extended Clipboard pseudo-encoding: a ServerCutText with a negative
  // length is an extended message (text arrives as ServerCutText with utf8 set, the rest as
  // ClipboardMessage). Without it such a length is an oversized cut text (a failure).
  void enable_extended_clipboard(bool on);

  // The client asked for a new pixel format (SetPixelFormat): rectangles after this use it.
  Result<bool> set_pixel_format(const PixelFormat& format);
  const PixelFormat& pixel_format() const;

  const Framebuffer& framebuffer() const;
  Framebuffer& framebuffer();
  bool failed() const;
  // True between messages (nothing buffered, no update in progress).
  bool idle() const;
  std::vector<EncodingStats> stats() const;
  std::uint64_t updates() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mw::rfb
