// FramebufferUpdate decoding. The parser consumes whole units (a message header, a rectangle
// header, some rows of a Raw rectangle, one Hextile tile, or a whole length-prefixed ZRLE / Tight /
// RRE rectangle) from a contiguous view of the input; when a unit is incomplete it records how
// many bytes it needs (need_) and the rest of the input is buffered until that many have come,
// so a large rectangle arriving in small chunks is parsed once, not once per chunk.
#include "mw/rfb/decoder.hpp"

#include <turbojpeg.h>
#include <zlib.h>
#if MW_RFB_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

// GCC 12 reports moves of std::variant events as "may be used uninitialized" (a known false
// positive of its variant analysis, GCC bug 106238); clang and GCC 13 do not.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace mw::rfb {

namespace {

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

// Inflate output: grows without zero-filling (zlib writes every byte before it is read) and keeps
// its capacity between rectangles, so a steady stream of updates allocates nothing.
class ByteBuffer {
 public:
  std::uint8_t* data() { return data_.get(); }
  const std::uint8_t* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return cap_; }
  void clear() { size_ = 0; }
  // The next inflate step's room: the spare capacity, at least 64 KiB, but the size never beyond
  // `limit`. Grows the size by that much and returns it (0 once the limit is reached).
  std::size_t grow_for_inflate(std::size_t limit) {
    const std::size_t have = size_;
    if (have >= limit) return 0;
    const std::size_t room = cap_ > have ? cap_ - have : have;
    const std::size_t grow = std::min<std::size_t>(std::max<std::size_t>(room, 64 * 1024), limit - have);
    resize(have + grow);
    return grow;
  }
  // Sets the size to n, keeping the first min(n, size()) bytes; new bytes are uninitialised.
  void resize(std::size_t n) {
    if (n > cap_) {
      const std::size_t cap = std::max(n, cap_ * 2);
      std::unique_ptr<std::uint8_t[]> next(new std::uint8_t[cap]);
      if (size_ > 0) std::memcpy(next.get(), data_.get(), size_);
      data_ = std::move(next);
      cap_ = cap;
    }
    size_ = n;
  }

 private:
  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t size_ = 0;
  std::size_t cap_ = 0;
};

Error tight_short() {
  return make_error("tight-short", "Tight data inflates to fewer bytes than the rectangle needs");
}

// The start of a deflate stream: a zlib stream (RFC 1950) is inflated as raw deflate after its
// 2-byte header. A VNC server never ends the stream, so its Adler-32 trailer never comes, and
// computing it over every output byte would only cost time (8% of ZRLE/Tight decoding with
// zlib). Intel AMT sends raw deflate from the start (raw_if_no_header).
// Returns how many bytes of `in` were the header.
Result<std::size_t> deflate_start(std::span<const std::uint8_t> in, bool raw_if_no_header) {
  const bool zlib_header = in.size() >= 2 && (in[0] & 0x0F) == 8 && (in[0] >> 4) <= 7 &&
                           ((in[0] << 8) | in[1]) % 31 == 0 && !(in[1] & 0x20);  // no preset dictionary
  if (zlib_header) return std::size_t{2};
  if (raw_if_no_header && !in.empty()) return std::size_t{0};
  return make_error("zlib", "corrupt compressed data (no zlib header)");
}

#if MW_RFB_ISAL
// A persistent raw-deflate stream (ZRLE has one per connection, Tight four), natively decoded by
// Intel ISA-L's igzip (Debian's libisal): the same results as zlib at two to three times its
// speed; zlib decodes the wasm build (ISA-L is x86/Arm assembly). ZRLE and Tight spend most of
// their time here.
class Inflater {
 public:
  Inflater() = default;
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  void reset() { started_ = false; }

  // Inflates all of `in` (a server flushes at the end of each rectangle) into `out`, which grows
  // up to `max_out` bytes.
  Result<bool> inflate_all(std::span<const std::uint8_t> in, ByteBuffer& out, std::size_t max_out,
                           bool raw_if_no_header) {
    out.clear();
    if (!started_ && in.empty()) return true;
    if (auto r = begin(in, raw_if_no_header); !r) return r.error();
    for (;;) {
      if ((s_->avail_in == 0 && !pending()) || s_->block_state == ISAL_BLOCK_FINISH) break;
      const std::size_t have = out.size();
      const std::size_t grow = out.grow_for_inflate(max_out);
      if (grow == 0) return make_error("too-large", "compressed data inflates beyond what the rectangle can hold");
      s_->next_out = out.data() + have;
      s_->avail_out = static_cast<std::uint32_t>(grow);
      const int rc = isal_inflate(s_.get());
      out.resize(have + grow - s_->avail_out);
      if (rc < 0) return corrupt(rc);
    }
    return true;
  }

  // Inflates exactly `size` bytes (Tight knows the decompressed size).
  Result<bool> inflate_exact(std::span<const std::uint8_t> in, ByteBuffer& out, std::size_t size) {
    if (!started_ && in.empty()) return tight_short();
    if (auto r = begin(in, false); !r) return r.error();
    out.resize(size);
    s_->next_out = out.data();
    s_->avail_out = static_cast<std::uint32_t>(size);
    int rc = 0;
    while (s_->avail_out > 0 && (s_->avail_in > 0 || pending()) && s_->block_state != ISAL_BLOCK_FINISH) {
      const std::uint32_t before_in = s_->avail_in, before_out = s_->avail_out;
      rc = isal_inflate(s_.get());
      if (rc < 0) return corrupt(rc);
      if (s_->avail_in == before_in && s_->avail_out == before_out) break;
    }
    if (s_->avail_out != 0) return tight_short();
    // What follows the pixels is the end of the block and the server's sync flush: no output.
    // Decode it so that the next rectangle starts where the stream is; more pixels are an error.
    std::uint8_t spill[64];
    while (s_->avail_in > 0 && s_->block_state != ISAL_BLOCK_FINISH) {
      const std::uint32_t before = s_->avail_in;
      s_->next_out = spill;
      s_->avail_out = sizeof spill;
      rc = isal_inflate(s_.get());
      if (rc < 0) return corrupt(rc);
      if (s_->avail_out != sizeof spill) {
        return make_error("bad-tight", "Tight data inflates to more bytes than the rectangle holds");
      }
      if (s_->avail_in == before) break;  // nothing consumed: the rest waits for more input
    }
    return true;
  }

 private:
  Result<bool> begin(std::span<const std::uint8_t> in, bool raw_if_no_header) {
    if (!started_) {
      auto header = deflate_start(in, raw_if_no_header);
      if (!header) return header.error();
      in = in.subspan(header.value());
      if (!s_) s_ = std::make_unique<inflate_state>();
      isal_inflate_init(s_.get());
      s_->crc_flag = ISAL_DEFLATE;
      s_->hist_bits = 15;
      started_ = true;
    }
    s_->next_in = const_cast<std::uint8_t*>(in.data());
    s_->avail_in = static_cast<std::uint32_t>(in.size());
    return true;
  }

  bool pending() const { return s_->tmp_out_valid > s_->tmp_out_processed; }

  static Error corrupt(int rc) {
    const char* what = rc == ISAL_INVALID_BLOCK    ? "invalid block"
                       : rc == ISAL_INVALID_SYMBOL ? "invalid symbol"
                       : rc == ISAL_INVALID_LOOKBACK ? "distance too far back"
                                                     : "inflate";
    return make_error("zlib", std::string("corrupt compressed data (") + what + ")");
  }

  std::unique_ptr<inflate_state> s_;  // ~100 KiB (its own history window), made on first use
  bool started_ = false;
};
#else
// A persistent zlib inflate stream (ZRLE has one per connection, Tight four).
class Inflater {
 public:
  Inflater() = default;
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  ~Inflater() { end(); }

  void reset() { end(); }

  // Inflates all of `in` (a server flushes at the end of each rectangle) into `out`, which grows
  // up to `max_out` bytes.
  Result<bool> inflate_all(std::span<const std::uint8_t> in, ByteBuffer& out, std::size_t max_out,
                           bool raw_if_no_header) {
    out.clear();
    if (!started_ && in.empty()) return true;
    if (!started_) {
      auto header = start(in, raw_if_no_header);
      if (!header) return header.error();
      in = in.subspan(header.value());
    }
    z_.next_in = const_cast<Bytef*>(in.data());
    z_.avail_in = static_cast<uInt>(in.size());
    while (z_.avail_in > 0) {
      const std::size_t have = out.size();
      const std::size_t grow = out.grow_for_inflate(max_out);
      if (grow == 0) return make_error("too-large", "compressed data inflates beyond what the rectangle can hold");
      z_.next_out = out.data() + have;
      z_.avail_out = static_cast<uInt>(grow);
      const int rc = inflate(&z_, Z_SYNC_FLUSH);
      out.resize(have + grow - z_.avail_out);
      if (rc == Z_STREAM_END) break;
      if (rc == Z_BUF_ERROR && z_.avail_out != 0) break;  // no progress possible: input exhausted
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return make_error("zlib", std::string("corrupt compressed data (") + (z_.msg ? z_.msg : "inflate") + ")");
      }
    }
    return true;
  }

  // Inflates exactly `size` bytes (Tight knows the decompressed size).
  Result<bool> inflate_exact(std::span<const std::uint8_t> in, ByteBuffer& out, std::size_t size) {
    if (!started_ && in.empty()) return tight_short();
    if (!started_) {
      auto header = start(in, false);
      if (!header) return header.error();
      in = in.subspan(header.value());
    }
    out.resize(size);
    z_.next_in = const_cast<Bytef*>(in.data());
    z_.avail_in = static_cast<uInt>(in.size());
    z_.next_out = out.data();
    z_.avail_out = static_cast<uInt>(size);
    while (z_.avail_out > 0) {
      const int rc = inflate(&z_, Z_SYNC_FLUSH);
      if (rc == Z_STREAM_END) break;
      if (rc != Z_OK) {
        if (rc == Z_BUF_ERROR) return tight_short();
        return make_error("zlib", std::string("corrupt Tight data (") + (z_.msg ? z_.msg : "inflate") + ")");
      }
    }
    if (z_.avail_out != 0) return tight_short();
    return true;
  }

 private:
  Result<std::size_t> start(std::span<const std::uint8_t> in, bool raw_if_no_header) {
    auto header = deflate_start(in, raw_if_no_header);
    if (!header) return header.error();
    if (inflateInit2(&z_, -15) != Z_OK) return make_error("zlib", "inflateInit2 failed");
    started_ = true;
    return header.value();
  }

  void end() {
    if (started_) inflateEnd(&z_);
    started_ = false;
    z_ = z_stream{};
  }
  z_stream z_{};
  bool started_ = false;
};
#endif

// Bounds-checked reading of a decompressed ZRLE / Tight buffer.
struct Cursor {
  const std::uint8_t* p;
  const std::uint8_t* end;
  bool has(std::size_t n) const { return static_cast<std::size_t>(end - p) >= n; }
};

bool is_pseudo(std::int32_t e) { return e < 0 || e == encoding::kIntelKvmData; }

}  // namespace

struct Decoder::Impl {
  enum class State {
    kMessage,      // next byte is a message type
    kUpdate,       // FramebufferUpdate header (after the type byte)
    kRectHeader,
    kRaw,          // Raw rows
    kHextile,      // Hextile tiles
    kBody,         // a whole rectangle body decoded at once (CopyRect, RRE, ZRLE, Tight, Cursor, ...)
    kColourMap,
    kCutText,
    kFailed,
  };

  Limits limits;
  Framebuffer fb;
  PixelConverter conv;
  ColourMap colour_map{};
  State state = State::kMessage;
  std::vector<std::uint8_t> buffer;
  std::size_t need = 1;  // bytes the current unit needs at least (from the current position)
  bool waiting = false;  // the last step stopped for more bytes (set by wait())

  // The current update and rectangle.
  std::uint32_t rects_left = 0;
  int rects_done = 0;
  Rect rect;
  std::int32_t enc = 0;
  int raw_row = 0;
  int tile_x = 0, tile_y = 0;
  Rgba hex_bg = rgba(0, 0, 0), hex_fg = rgba(0, 0, 0);
  std::uint32_t cut_len = 0;
  bool extended_clipboard = false;

  Inflater zrle;
  Inflater tight[4];
  ByteBuffer inflated;
  std::vector<Rgba> scratch;
  tjhandle jpeg = nullptr;

  std::vector<EncodingStats> stats;
  std::size_t rect_stat = 0;  // index in stats of the current rectangle's encoding
  std::uint64_t updates = 0;
  std::vector<Event>* events = nullptr;

  Impl(int w, int h, const PixelFormat& f, Limits l) : limits(l), fb(w, h), conv(f) {}
  ~Impl() {
    if (jpeg) tjDestroy(jpeg);
  }

  // [SECTION] Plumbing

  void fail(std::string code, std::string message) {
    state = State::kFailed;
    buffer.clear();
    buffer.shrink_to_fit();
    events->push_back(Failed{make_error(std::move(code), std::move(message))});
  }

  EncodingStats& stat(std::int32_t e) {
    for (auto& s : stats) {
      if (s.encoding == e) return s;
    }
    stats.push_back({e, 0, 0, 0});
    return stats.back();
  }

  // Consumes units from [p, p+n); returns the bytes consumed. Sets `need` when it stops early.
  std::size_t run(const std::uint8_t* p, std::size_t n) {
    std::size_t off = 0;
    while (state != State::kFailed) {
      // A unit may consume no byte and still progress: a 0x0 Cursor rectangle (TigerVNC sends one
      // first when Cursor is asked for) has an empty body. Only wait() means "more bytes needed".
      waiting = false;
      const State before = state;
      const std::size_t used = step(p + off, n - off);
      if (waiting || state == State::kFailed) break;
      if (used == 0 && state == before) {
        fail("internal", "the decoder made no progress in state " + std::to_string(static_cast<int>(state)));
        break;
      }
      off += used;
      if (off == n && state == State::kMessage) {
        need = 1;
        break;
      }
    }
    return off;
  }

  // One unit; 0 = incomplete (need set) or failed.
  std::size_t step(const std::uint8_t* p, std::size_t n) {
    switch (state) {
      case State::kMessage: return message(p, n);
      case State::kUpdate: return update_header(p, n);
      case State::kRectHeader: return rect_header(p, n);
      case State::kRaw: return raw_rows(p, n);
      case State::kHextile: return hextile_tiles(p, n);
      case State::kBody: return body(p, n);
      case State::kColourMap: return colour_map_entries(p, n);
      case State::kCutText: return cut_text(p, n);
      case State::kFailed: return 0;
    }
    return 0;
  }

  std::size_t wait(std::size_t bytes) {
    need = bytes;
    waiting = true;
    return 0;
  }

  // [SECTION] Messages

  std::size_t message(const std::uint8_t* p, std::size_t n) {
    if (n < 1) return wait(1);
    switch (p[0]) {
      case static_cast<std::uint8_t>(ServerMessage::kFramebufferUpdate):
        state = State::kUpdate;
        return 1;
      case static_cast<std::uint8_t>(ServerMessage::kSetColourMapEntries):
        state = State::kColourMap;
        return 1;
      case static_cast<std::uint8_t>(ServerMessage::kBell):
        events->push_back(Bell{});
        return 1;
      case static_cast<std::uint8_t>(ServerMessage::kServerCutText):
        state = State::kCutText;
        cut_len = UINT32_MAX;
        return 1;
      default:
        fail("unknown-message", "unknown server message type " + std::to_string(p[0]));
        return 0;
    }
  }

  std::size_t update_header(const std::uint8_t* p, std::size_t n) {
    if (n < 3) return wait(3);
    rects_left = be16(p + 1);
    rects_done = 0;
    return after_rect(3);
  }

  // After a rectangle (or the update header): the next rectangle, or the end of the update.
  std::size_t after_rect(std::size_t consumed) {
    if (rects_left == 0) {
      finish_update();
    } else {
      state = State::kRectHeader;
    }
    return consumed;
  }

  void finish_update() {
    ++updates;
    UpdateDone done;
    done.dirty = fb.dirty();
    done.rects = rects_done;
    events->push_back(std::move(done));
    state = State::kMessage;
  }

  std::size_t colour_map_entries(const std::uint8_t* p, std::size_t n) {
    if (n < 5) return wait(5);
    const std::uint16_t first = be16(p + 1);
    const std::uint16_t count = be16(p + 3);
    if (static_cast<std::uint32_t>(first) + count > 256) {
      fail("bad-colour-map", "SetColourMapEntries sets entries beyond 255 (first " + std::to_string(first) +
                                 ", count " + std::to_string(count) + ")");
      return 0;
    }
    const std::size_t size = 5 + static_cast<std::size_t>(count) * 6;
    if (n < size) return wait(size);
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint8_t* e = p + 5 + i * 6;
      colour_map[first + i] = rgba(e[0], e[2], e[4]);  // the high byte of each 16-bit channel
    }
    conv.set_colour_map(colour_map);
    state = State::kMessage;
    return size;
  }

  std::size_t cut_text(const std::uint8_t* p, std::size_t n) {
    if (n < 7) return wait(7);
    std::uint32_t len = be32(p + 3);
    const bool extended = extended_clipboard && (len & 0x80000000u) != 0;
    if (extended) len = ~len + 1;  // abs() of the signed length
    // An extended message is compressed: its bound allows zlib's worst case over the text limit.
    const std::size_t limit = extended ? limits.max_cut_text + limits.max_cut_text / 8 + 64 : limits.max_cut_text;
    if (len > limit) {
      fail("too-large", "ServerCutText of " + std::to_string(len) + " bytes exceeds the limit of " + std::to_string(limit));
      return 0;
    }
    if (n < 7 + static_cast<std::size_t>(len)) return wait(7 + len);
    if (extended) {
      auto m = clipboard::parse({p + 7, len}, limits.max_cut_text);
      if (!m) {
        fail(m.error().code, "extended clipboard: " + m.error().message);
        return 0;
      }
      if (m->text) {
        events->push_back(ServerCutText{std::move(*m->text), true});
      } else {
        events->push_back(ClipboardMessage{std::move(m.value())});
      }
    } else {
      events->push_back(ServerCutText{std::string(reinterpret_cast<const char*>(p + 7), len)});
    }
    state = State::kMessage;
    return 7 + len;
  }

  // [SECTION] Rectangles

  std::size_t rect_header(const std::uint8_t* p, std::size_t n) {
    if (n < 12) return wait(12);
    rect = {be16(p), be16(p + 2), be16(p + 4), be16(p + 6)};
    enc = static_cast<std::int32_t>(be32(p + 8));
    --rects_left;
    ++rects_done;
    if (!is_pseudo(enc) && !fb.contains(rect)) {
      fail("rect-outside", std::string(encoding_name(enc)) + " rectangle " + std::to_string(rect.w) + "x" +
                               std::to_string(rect.h) + "+" + std::to_string(rect.x) + "+" +
                               std::to_string(rect.y) + " lies outside the " + std::to_string(fb.width()) +
                               "x" + std::to_string(fb.height()) + " framebuffer");
      return 0;
    }
    EncodingStats& s = stat(enc);
    rect_stat = static_cast<std::size_t>(&s - stats.data());
    ++s.rects;
    s.bytes += 12;
    if (!is_pseudo(enc)) s.pixels += static_cast<std::uint64_t>(rect.area());
    switch (enc) {
      case encoding::kRaw:
        raw_row = 0;
        state = rect.empty() ? State::kRectHeader : State::kRaw;
        if (rect.empty()) return after_rect(12);
        return 12;
      case encoding::kHextile:
        tile_x = tile_y = 0;
        hex_bg = hex_fg = rgba(0, 0, 0);
        if (rect.empty()) return after_rect(12);
        state = State::kHextile;
        return 12;
      case encoding::kLastRect:
        rects_left = 0;
        return after_rect(12);
      case encoding::kDesktopSize:
        if (!resize(rect.w, rect.h)) return 0;
        return after_rect(12);
      case encoding::kPointerPos:
        return after_rect(12);
      case encoding::kCopyRect:
      case encoding::kRre:
      case encoding::kZrle:
      case encoding::kTight:
      case encoding::kCursor:
      case encoding::kXCursor:
      case encoding::kExtendedDesktopSize:
        state = State::kBody;
        return 12;
      default:
        fail("unknown-encoding", "rectangle in encoding " + std::to_string(enc) + " (" +
                                     std::string(encoding_name(enc)) + "), which was not asked for");
        return 0;
    }
  }

  bool resize(int w, int h) {
    if (w > limits.max_width || h > limits.max_height) {
      fail("too-large", "the server resized the desktop to " + std::to_string(w) + "x" + std::to_string(h) +
                            ", beyond the limit of " + std::to_string(limits.max_width) + "x" +
                            std::to_string(limits.max_height));
      return false;
    }
    fb.resize(w, h);
    events->push_back(Resized{w, h});
    return true;
  }

  // The rectangle is complete: count its bytes, mark it changed, go on.
  std::size_t done(std::size_t consumed) {
    stats[rect_stat].bytes += consumed;
    if (!is_pseudo(enc)) fb.mark_dirty(rect);
    state = State::kRectHeader;
    return after_rect(consumed);
  }

  std::size_t raw_rows(const std::uint8_t* p, std::size_t n) {
    const std::size_t row_bytes = static_cast<std::size_t>(rect.w) * conv.format().bytes_per_pixel();
    const std::size_t rows = std::min<std::size_t>(n / row_bytes, static_cast<std::size_t>(rect.h - raw_row));
    if (rows == 0) return wait(row_bytes);
    for (std::size_t i = 0; i < rows; ++i) {
      conv.convert(p + i * row_bytes, static_cast<std::size_t>(rect.w), fb.row(rect.y + raw_row) + rect.x);
      ++raw_row;
    }
    const std::size_t used = rows * row_bytes;
    if (raw_row < rect.h) {
      stats[rect_stat].bytes += used;
      return used;
    }
    return done(used);
  }

  // Fills a rectangle known to lie inside the framebuffer (the rectangle was checked).
  void fill_inside(int x, int y, int w, int h, Rgba colour) {
    for (int r = y; r < y + h; ++r) std::fill_n(fb.row(r) + x, w, colour);
  }

  // Hextile tiles, 16x16 (edge tiles smaller), RFC 6143 §7.7.4: as many whole tiles as the input
  // holds, in one call (a tile is often a handful of bytes).
  std::size_t hextile_tiles(const std::uint8_t* p, std::size_t n) {
    const int bpp = conv.format().bytes_per_pixel();
    std::size_t off = 0;
    // Stops before an incomplete tile: waits for it when no tile was decoded in this call.
    const auto incomplete = [&](std::size_t bytes) -> std::size_t {
      if (off == 0) return wait(bytes);
      stats[rect_stat].bytes += off;
      return off;
    };
    for (;;) {
      const std::uint8_t* t = p + off;
      const std::size_t left = n - off;
      if (left < 1) return incomplete(1);
      const int tw = std::min(16, rect.w - tile_x);
      const int th = std::min(16, rect.h - tile_y);
      const std::uint8_t sub = t[0];
      std::size_t size = 1;
      if (sub & 1) {
        size += static_cast<std::size_t>(tw) * th * bpp;
      } else {
        if (sub & 2) size += bpp;
        if (sub & 4) size += bpp;
        if (sub & 8) {
          if (left < size + 1) return incomplete(size + 1);
          const std::size_t count = t[size];
          size += 1 + count * ((sub & 16) ? bpp + 2 : 2);
        }
      }
      if (left < size) return incomplete(size);
      const int x0 = rect.x + tile_x;
      const int y0 = rect.y + tile_y;
      if (sub & 1) {
        const std::uint8_t* q = t + 1;
        for (int y = 0; y < th; ++y, q += static_cast<std::size_t>(tw) * bpp) {
          conv.convert(q, static_cast<std::size_t>(tw), fb.row(y0 + y) + x0);
        }
      } else {
        const std::uint8_t* q = t + 1;
        if (sub & 2) {
          hex_bg = conv.pixel(q);
          q += bpp;
        }
        if (sub & 4) {
          hex_fg = conv.pixel(q);
          q += bpp;
        }
        fill_inside(x0, y0, tw, th, hex_bg);
        if (sub & 8) {
          const int count = *q++;
          for (int i = 0; i < count; ++i) {
            Rgba colour = hex_fg;
            if (sub & 16) {
              colour = conv.pixel(q);
              q += bpp;
            }
            const int sx = q[0] >> 4, sy = q[0] & 15, sw = (q[1] >> 4) + 1, sh = (q[1] & 15) + 1;
            q += 2;
            if (sx + sw > tw || sy + sh > th) {
              fail("bad-hextile", "Hextile subrectangle " + std::to_string(sw) + "x" + std::to_string(sh) + "+" +
                                      std::to_string(sx) + "+" + std::to_string(sy) + " lies outside its " +
                                      std::to_string(tw) + "x" + std::to_string(th) + " tile");
              return 0;
            }
            if (sw == 1 && sh == 1) {
              fb.row(y0 + sy)[x0 + sx] = colour;
            } else {
              fill_inside(x0 + sx, y0 + sy, sw, sh, colour);
            }
          }
        }
      }
      off += size;
      tile_x += 16;
      if (tile_x >= rect.w) {
        tile_x = 0;
        tile_y += 16;
        if (tile_y >= rect.h) return done(off);
      }
    }
  }

  std::size_t body(const std::uint8_t* p, std::size_t n) {
    switch (enc) {
      case encoding::kCopyRect: return copy_rect(p, n);
      case encoding::kRre: return rre(p, n);
      case encoding::kZrle: return zrle_rect(p, n);
      case encoding::kTight: return tight_rect(p, n);
      case encoding::kCursor: return cursor(p, n);
      case encoding::kXCursor: return xcursor(p, n);
      case encoding::kExtendedDesktopSize: return extended_desktop_size(p, n);
      default: break;
    }
    fail("internal", "no body decoder for encoding " + std::to_string(enc));
    return 0;
  }

  std::size_t copy_rect(const std::uint8_t* p, std::size_t n) {
    if (n < 4) return wait(4);
    const Rect src{be16(p), be16(p + 2), rect.w, rect.h};
    if (!fb.contains(src)) {
      fail("rect-outside", "CopyRect source " + std::to_string(src.x) + "," + std::to_string(src.y) +
                               " lies outside the framebuffer");
      return 0;
    }
    fb.copy(rect, src.x, src.y);
    return done(4);
  }

  std::size_t rre(const std::uint8_t* p, std::size_t n) {
    const std::size_t bpp = conv.format().bytes_per_pixel();
    if (n < 4 + bpp) return wait(4 + bpp);
    const std::uint32_t count = be32(p);
    const std::size_t each = bpp + 8;
    if (count > (limits.max_compressed - 4 - bpp) / each) {
      fail("too-large", "RRE rectangle with " + std::to_string(count) + " subrectangles");
      return 0;
    }
    const std::size_t size = 4 + bpp + count * each;
    if (n < size) return wait(size);
    fb.fill(rect, conv.pixel(p + 4));
    const std::uint8_t* q = p + 4 + bpp;
    for (std::uint32_t i = 0; i < count; ++i, q += each) {
      const Rect s{be16(q + bpp), be16(q + bpp + 2), be16(q + bpp + 4), be16(q + bpp + 6)};
      if (s.x + s.w > rect.w || s.y + s.h > rect.h) {
        fail("bad-rre", "RRE subrectangle lies outside its rectangle");
        return 0;
      }
      fb.fill({rect.x + s.x, rect.y + s.y, s.w, s.h}, conv.pixel(q));
    }
    return done(size);
  }

  // [SECTION] ZRLE (RFC 6143 §7.7.6)

  std::size_t zrle_rect(const std::uint8_t* p, std::size_t n) {
    if (n < 4) return wait(4);
    const std::uint32_t len = be32(p);
    if (len > limits.max_compressed) {
      fail("too-large", "ZRLE rectangle of " + std::to_string(len) + " compressed bytes");
      return 0;
    }
    if (n < 4 + static_cast<std::size_t>(len)) return wait(4 + static_cast<std::size_t>(len));
    const std::size_t cp = static_cast<std::size_t>(conv.format().compact_bytes());
    const std::size_t tiles = static_cast<std::size_t>((rect.w + 63) / 64) * ((rect.h + 63) / 64);
    // The most a valid rectangle can inflate to: per tile its subencoding, a palette of up to 127
    // colours and for every pixel a colour and a run length byte (runs never cross tiles).
    const std::size_t max_out = tiles * (1 + 127 * cp + 64) + static_cast<std::size_t>(rect.area()) * (cp + 2);
    if (auto r = zrle.inflate_all({p + 4, len}, inflated, max_out, true); !r) {
      fail(r.error().code, "ZRLE: " + r.error().message);
      return 0;
    }
    Cursor c{inflated.data(), inflated.data() + inflated.size()};
    for (int ty = 0; ty < rect.h; ty += 64) {
      for (int tx = 0; tx < rect.w; tx += 64) {
        if (!zrle_tile(c, rect.x + tx, rect.y + ty, std::min(64, rect.w - tx), std::min(64, rect.h - ty), cp)) {
          return 0;
        }
      }
    }
    return done(4 + len);
  }

  bool zrle_short() {
    fail("bad-zrle", "ZRLE tile data ends early");
    return false;
  }

  bool zrle_tile(Cursor& c, int x0, int y0, int tw, int th, std::size_t cp) {
    if (!c.has(1)) return zrle_short();
    const int sub = *c.p++;
    const std::size_t pixels = static_cast<std::size_t>(tw) * th;
    if (sub == 0) {  // raw CPIXELs
      if (!c.has(pixels * cp)) return zrle_short();
      for (int y = 0; y < th; ++y, c.p += tw * cp) conv.convert_compact(c.p, static_cast<std::size_t>(tw), fb.row(y0 + y) + x0);
      return true;
    }
    if (sub == 1) {  // solid
      if (!c.has(cp)) return zrle_short();
      fb.fill({x0, y0, tw, th}, conv.compact_pixel(c.p));
      c.p += cp;
      return true;
    }
    if (sub >= 17 && sub <= 127) {
      fail("bad-zrle", "ZRLE subencoding " + std::to_string(sub) + " is unused by the protocol");
      return false;
    }
    Rgba palette[128];
    int palette_size = 0;
    if (sub == 128) {
      palette_size = 0;
    } else {
      palette_size = sub >= 130 ? sub - 128 : sub;
      if (sub == 129) {
        fail("bad-zrle", "ZRLE subencoding 129 is unused by the protocol");
        return false;
      }
      if (!c.has(static_cast<std::size_t>(palette_size) * cp)) return zrle_short();
      for (int i = 0; i < palette_size; ++i, c.p += cp) palette[i] = conv.compact_pixel(c.p);
    }
    if (sub <= 16) {  // packed palette: 1, 2 or 4 bits per index, rows padded to a byte
      const int bits = palette_size == 2 ? 1 : palette_size <= 4 ? 2 : 4;
      const std::size_t row_bytes = (static_cast<std::size_t>(tw) * bits + 7) / 8;
      if (!c.has(row_bytes * th)) return zrle_short();
      const int mask = (1 << bits) - 1;
      for (int y = 0; y < th; ++y, c.p += row_bytes) {
        Rgba* out = fb.row(y0 + y) + x0;
        for (int x = 0; x < tw; ++x) {
          const int bit = x * bits;
          const int idx = (c.p[bit >> 3] >> (8 - bits - (bit & 7))) & mask;
          if (idx >= palette_size) {
            fail("bad-zrle", "ZRLE palette index " + std::to_string(idx) + " beyond a palette of " +
                                 std::to_string(palette_size));
            return false;
          }
          out[x] = palette[idx];
        }
      }
      return true;
    }
    // RLE: plain (128) or palette (130..255); runs fill the tile left to right, top to bottom.
    std::size_t done_px = 0;
    int cx = 0;                        // position of the next pixel in the tile
    Rgba* row_out = fb.row(y0) + x0;   // its row
    while (done_px < pixels) {
      Rgba colour;
      std::size_t run = 1;
      if (sub == 128) {
        if (!c.has(cp)) return zrle_short();
        colour = conv.compact_pixel(c.p);
        c.p += cp;
        if (!read_run(c, run)) return false;
      } else {
        if (!c.has(1)) return zrle_short();
        const int b = *c.p++;
        const int idx = b & 0x7F;
        if (idx >= palette_size) {
          fail("bad-zrle", "ZRLE palette index " + std::to_string(idx) + " beyond a palette of " +
                               std::to_string(palette_size));
          return false;
        }
        colour = palette[idx];
        if ((b & 0x80) && !read_run(c, run)) return false;
      }
      if (run > pixels - done_px) {
        fail("bad-zrle", "ZRLE run of " + std::to_string(run) + " pixels overflows its tile");
        return false;
      }
      // Write the run across rows.
      done_px += run;
      while (run > 0) {
        const std::size_t span = std::min<std::size_t>(run, static_cast<std::size_t>(tw - cx));
        if (span == 1) {
          row_out[cx] = colour;
        } else {
          std::fill_n(row_out + cx, span, colour);
        }
        run -= span;
        cx += static_cast<int>(span);
        if (cx == tw) {
          cx = 0;
          row_out += fb.width();
        }
      }
    }
    return true;
  }

  bool read_run(Cursor& c, std::size_t& run) {
    run = 1;
    for (;;) {
      if (!c.has(1)) return zrle_short();
      const int b = *c.p++;
      run += b;
      if (b != 255) return true;
      if (run > 64 * 64) {
        fail("bad-zrle", "ZRLE run length beyond a tile");
        return false;
      }
    }
  }

  // [SECTION] Tight (libvncserver rfbproto.h, TigerVNC TightDecoder)

  bool tight24() const {
    const PixelFormat& f = conv.format();
    return f.bits_per_pixel == 32 && f.depth == 24 && f.true_colour && f.red_max == 255 && f.green_max == 255 &&
           f.blue_max == 255;
  }
  std::size_t tpixel_size() const { return tight24() ? 3 : static_cast<std::size_t>(conv.format().bytes_per_pixel()); }
  Rgba tpixel(const std::uint8_t* p) const { return tight24() ? rgba(p[0], p[1], p[2]) : conv.pixel(p); }

  // Compact length: 1..3 bytes. Returns bytes used, 0 = need more.
  static std::size_t compact_length(const std::uint8_t* p, std::size_t n, std::size_t& len) {
    if (n < 1) return 0;
    len = p[0] & 0x7F;
    if (!(p[0] & 0x80)) return 1;
    if (n < 2) return 0;
    len |= static_cast<std::size_t>(p[1] & 0x7F) << 7;
    if (!(p[1] & 0x80)) return 2;
    if (n < 3) return 0;
    len |= static_cast<std::size_t>(p[2]) << 14;
    return 3;
  }

  std::size_t tight_rect(const std::uint8_t* p, std::size_t n) {
    if (n < 1) return wait(1);
    const std::uint8_t ctl = p[0];
    const int kind = ctl >> 4;
    std::size_t pos = 1;
    const std::size_t tp = tpixel_size();
    if (kind == 0x8) {  // fill
      if (n < 1 + tp) return wait(1 + tp);
      reset_tight_streams(ctl);
      fb.fill(rect, tpixel(p + 1));
      return done(1 + tp);
    }
    if (kind == 0x9) {  // JPEG
      std::size_t len = 0;
      const std::size_t lb = compact_length(p + 1, n - 1, len);
      if (lb == 0) return wait(std::min<std::size_t>(n + 1, 4));
      if (len > limits.max_compressed) {
        fail("too-large", "Tight JPEG of " + std::to_string(len) + " bytes");
        return 0;
      }
      if (n < 1 + lb + len) return wait(1 + lb + len);
      reset_tight_streams(ctl);
      if (!decode_jpeg(p + 1 + lb, len)) return 0;
      return done(1 + lb + len);
    }
    if (kind > 0x9) {
      fail("bad-tight", "Tight compression control " + std::to_string(ctl) + " is not defined");
      return 0;
    }
    if (rect.w > 2048) {
      fail("bad-tight", "Tight basic compression on a rectangle wider than 2048 pixels");
      return 0;
    }
    const int stream = kind & 3;
    int filter = 0;
    if (kind & 4) {
      if (n < 2) return wait(2);
      filter = p[1];
      pos = 2;
    }
    int palette_size = 0;
    Rgba palette[256];
    std::size_t raw_size = 0;
    const std::size_t pixels = static_cast<std::size_t>(rect.area());
    switch (filter) {
      case 0:  // copy
        raw_size = pixels * tp;
        break;
      case 1: {  // palette
        if (n < pos + 1) return wait(pos + 1);
        palette_size = p[pos] + 1;
        if (palette_size < 2) {
          fail("bad-tight", "Tight palette of one colour");
          return 0;
        }
        if (n < pos + 1 + palette_size * tp) return wait(pos + 1 + palette_size * tp);
        for (int i = 0; i < palette_size; ++i) palette[i] = tpixel(p + pos + 1 + i * tp);
        pos += 1 + palette_size * tp;
        raw_size = palette_size == 2 ? static_cast<std::size_t>((rect.w + 7) / 8) * rect.h : pixels;
        break;
      }
      case 2:  // gradient
        if (conv.format().bits_per_pixel == 8) {
          fail("bad-tight", "Tight gradient filter at 8 bits per pixel");
          return 0;
        }
        raw_size = pixels * tp;
        break;
      default:
        fail("bad-tight", "Tight filter " + std::to_string(filter) + " is not defined");
        return 0;
    }
    const std::uint8_t* data = nullptr;
    std::size_t total = 0;
    if (raw_size < 12) {  // sent as is
      if (n < pos + raw_size) return wait(pos + raw_size);
      reset_tight_streams(ctl);
      data = p + pos;
      total = pos + raw_size;
    } else {
      std::size_t len = 0;
      const std::size_t lb = compact_length(p + pos, n - pos, len);
      if (lb == 0) return wait(std::min<std::size_t>(n + 1, pos + 3));
      if (len > limits.max_compressed) {
        fail("too-large", "Tight rectangle of " + std::to_string(len) + " compressed bytes");
        return 0;
      }
      if (n < pos + lb + len) return wait(pos + lb + len);
      reset_tight_streams(ctl);
      if (auto r = tight[stream].inflate_exact({p + pos + lb, len}, inflated, raw_size); !r) {
        fail(r.error().code, "Tight: " + r.error().message);
        return 0;
      }
      data = inflated.data();
      total = pos + lb + len;
    }
    switch (filter) {
      case 0:
        if (tight24()) {
          for (int y = 0; y < rect.h; ++y) {
            Rgba* out = fb.row(rect.y + y) + rect.x;
            PixelConverter::convert_rgb24(data + static_cast<std::size_t>(y) * rect.w * 3,
                                          static_cast<std::size_t>(rect.w), out);
          }
        } else {
          for (int y = 0; y < rect.h; ++y) {
            conv.convert(data + static_cast<std::size_t>(y) * rect.w * tp, static_cast<std::size_t>(rect.w),
                         fb.row(rect.y + y) + rect.x);
          }
        }
        break;
      case 1:
        if (palette_size == 2) {
          const std::size_t row_bytes = static_cast<std::size_t>((rect.w + 7) / 8);
          for (int y = 0; y < rect.h; ++y) {
            Rgba* out = fb.row(rect.y + y) + rect.x;
            const std::uint8_t* q = data + y * row_bytes;
            int x = 0;
            for (; x + 8 <= rect.w; x += 8) {  // a byte of eight pixels; 0x00 and 0xFF are runs
              const std::uint8_t b = q[x >> 3];
              if (b == 0x00 || b == 0xFF) {
                std::fill_n(out + x, 8, palette[b & 1]);
              } else {
                for (int k = 0; k < 8; ++k) out[x + k] = palette[(b >> (7 - k)) & 1];
              }
            }
            for (; x < rect.w; ++x) out[x] = palette[(q[x >> 3] >> (7 - (x & 7))) & 1];
          }
        } else {
          // Indices are checked in one pass first (a vectorised maximum), so the lookup loop
          // has no branch.
          std::uint8_t highest = 0;
          for (std::size_t i = 0; i < pixels; ++i) highest = std::max(highest, data[i]);
          if (highest >= palette_size) {
            fail("bad-tight", "Tight palette index " + std::to_string(highest) + " beyond a palette of " +
                                  std::to_string(palette_size));
            return 0;
          }
          for (int y = 0; y < rect.h; ++y) {
            Rgba* out = fb.row(rect.y + y) + rect.x;
            const std::uint8_t* q = data + static_cast<std::size_t>(y) * rect.w;
            int x = 0;
            // Eight pixels at a time: desktops are mostly runs of one colour, stored at once.
            for (; x + 8 <= rect.w; x += 8) {
              std::uint64_t v;
              std::memcpy(&v, q + x, 8);
              if (v == (v & 0xFF) * 0x0101010101010101ull) {
                std::fill_n(out + x, 8, palette[v & 0xFF]);
              } else {
                for (int k = 0; k < 8; ++k) out[x + k] = palette[q[x + k]];
              }
            }
            for (; x < rect.w; ++x) out[x] = palette[q[x]];
          }
        }
        break;
      case 2:
        gradient(data);
        break;
    }
    return done(total);
  }

  void reset_tight_streams(std::uint8_t ctl) {
    for (int i = 0; i < 4; ++i) {
      if (ctl & (1 << i)) tight[i].reset();
    }
  }

  // The gradient filter: each channel is predicted as left + above - above-left (clamped to the
  // channel's range) and the data holds the difference, modulo the channel's range.
  void gradient(const std::uint8_t* data) {
    const int w = rect.w;
    if (tight24()) {
      std::vector<int> prev(static_cast<std::size_t>(w) * 3, 0), cur(static_cast<std::size_t>(w) * 3, 0);
      for (int y = 0; y < rect.h; ++y) {
        Rgba* out = fb.row(rect.y + y) + rect.x;
        const std::uint8_t* q = data + static_cast<std::size_t>(y) * w * 3;
        for (int x = 0; x < w; ++x) {
          for (int c = 0; c < 3; ++c) {
            const int left = x > 0 ? cur[(x - 1) * 3 + c] : 0;
            const int up = prev[x * 3 + c];
            const int upleft = x > 0 ? prev[(x - 1) * 3 + c] : 0;
            const int predicted = std::clamp(left + up - upleft, 0, 255);
            cur[x * 3 + c] = (predicted + q[x * 3 + c]) & 0xFF;
          }
          out[x] = rgba(static_cast<std::uint8_t>(cur[x * 3]), static_cast<std::uint8_t>(cur[x * 3 + 1]),
                        static_cast<std::uint8_t>(cur[x * 3 + 2]));
        }
        prev.swap(cur);
      }
      return;
    }
    const PixelFormat& f = conv.format();
    const int bpp = f.bytes_per_pixel();
    const std::uint32_t maxes[3] = {f.red_max, f.green_max, f.blue_max};
    const int shifts[3] = {f.red_shift, f.green_shift, f.blue_shift};
    std::vector<int> prev(static_cast<std::size_t>(w) * 3, 0), cur(static_cast<std::size_t>(w) * 3, 0);
    for (int y = 0; y < rect.h; ++y) {
      Rgba* out = fb.row(rect.y + y) + rect.x;
      const std::uint8_t* q = data + static_cast<std::size_t>(y) * w * bpp;
      for (int x = 0; x < w; ++x) {
        const std::uint32_t diff = conv.read(q + static_cast<std::size_t>(x) * bpp);
        std::uint32_t value = 0;
        for (int c = 0; c < 3; ++c) {
          const int max = static_cast<int>(maxes[c]);
          const int left = x > 0 ? cur[(x - 1) * 3 + c] : 0;
          const int up = prev[x * 3 + c];
          const int upleft = x > 0 ? prev[(x - 1) * 3 + c] : 0;
          const int predicted = std::clamp(left + up - upleft, 0, max);
          const int d = static_cast<int>((diff >> shifts[c]) & maxes[c]);
          const int v = (predicted + d) & max;
          cur[x * 3 + c] = v;
          value |= static_cast<std::uint32_t>(v) << shifts[c];
        }
        out[x] = conv.to_rgba(value);
      }
      prev.swap(cur);
    }
  }

  bool decode_jpeg(const std::uint8_t* data, std::size_t len) {
    if (conv.format().bits_per_pixel == 8) {
      fail("bad-tight", "Tight JPEG at 8 bits per pixel");
      return false;
    }
    if (!jpeg) jpeg = tjInitDecompress();
    if (!jpeg) {
      fail("jpeg", "cannot start the JPEG decoder");
      return false;
    }
    int w = 0, h = 0, subsamp = 0, colorspace = 0;
    if (tjDecompressHeader3(jpeg, const_cast<std::uint8_t*>(data), static_cast<unsigned long>(len), &w, &h, &subsamp, &colorspace) != 0) {
      fail("jpeg", std::string("Tight JPEG header: ") + tjGetErrorStr2(jpeg));
      return false;
    }
    if (w != rect.w || h != rect.h) {
      fail("jpeg", "Tight JPEG of " + std::to_string(w) + "x" + std::to_string(h) + " in a " + std::to_string(rect.w) +
                       "x" + std::to_string(rect.h) + " rectangle");
      return false;
    }
    // Straight into the framebuffer: its rows are RGBA, its pitch the framebuffer's width.
    unsigned char* dst = reinterpret_cast<unsigned char*>(fb.row(rect.y) + rect.x);
    if (tjDecompress2(jpeg, const_cast<std::uint8_t*>(data), static_cast<unsigned long>(len), dst, w, fb.width() * 4, h, TJPF_RGBA, 0) != 0) {
      fail("jpeg", std::string("Tight JPEG: ") + tjGetErrorStr2(jpeg));
      return false;
    }
    return true;
  }

  // [SECTION] Pseudo-encodings with data

  std::size_t cursor(const std::uint8_t* p, std::size_t n) {
    if (rect.w > limits.max_cursor || rect.h > limits.max_cursor) {
      fail("too-large", "cursor of " + std::to_string(rect.w) + "x" + std::to_string(rect.h));
      return 0;
    }
    const std::size_t bpp = conv.format().bytes_per_pixel();
    const std::size_t pixels = static_cast<std::size_t>(rect.area());
    const std::size_t mask_row = static_cast<std::size_t>((rect.w + 7) / 8);
    const std::size_t size = pixels * bpp + mask_row * rect.h;
    if (n < size) return wait(size);
    CursorShape shape{rect.x, rect.y, rect.w, rect.h, {}};
    shape.pixels.resize(pixels);
    conv.convert(p, pixels, shape.pixels.data());
    const std::uint8_t* mask = p + pixels * bpp;
    for (int y = 0; y < rect.h; ++y) {
      for (int x = 0; x < rect.w; ++x) {
        if (!((mask[y * mask_row + x / 8] >> (7 - x % 8)) & 1)) shape.pixels[y * rect.w + x] &= 0x00FFFFFFu;
      }
    }
    events->push_back(std::move(shape));
    return done(size);
  }

  std::size_t xcursor(const std::uint8_t* p, std::size_t n) {
    (void)p;
    if (rect.w > limits.max_cursor || rect.h > limits.max_cursor) {
      fail("too-large", "cursor of " + std::to_string(rect.w) + "x" + std::to_string(rect.h));
      return 0;
    }
    const std::size_t size = rect.empty() ? 0 : 6 + 2 * static_cast<std::size_t>((rect.w + 7) / 8) * rect.h;
    if (n < size) return wait(size);
    return done(size);  // not asked for: consumed and dropped
  }

  std::size_t extended_desktop_size(const std::uint8_t* p, std::size_t n) {
    if (n < 4) return wait(4);
    const std::size_t size = 4 + static_cast<std::size_t>(p[0]) * 16;
    if (n < size) return wait(size);
    // y is the status of a client's request; non-zero = refused, the size is unchanged.
    if (rect.y == 0 && (rect.w != fb.width() || rect.h != fb.height())) {
      if (!resize(rect.w, rect.h)) return 0;
    }
    return done(size);
  }
};

// [SECTION] Decoder

Decoder::Decoder(int width, int height, const PixelFormat& format, Limits limits)
    : impl_(std::make_unique<Impl>(std::clamp(width, 0, limits.max_width), std::clamp(height, 0, limits.max_height),
                                   format, limits)) {}
Decoder::~Decoder() = default;
Decoder::Decoder(Decoder&&) noexcept = default;
Decoder& Decoder::operator=(Decoder&&) noexcept = default;

bool Decoder::feed(std::span<const std::uint8_t> bytes, std::vector<Event>& events) {
  Impl& d = *impl_;
  if (d.state == Impl::State::kFailed) return false;
  d.events = &events;
  if (d.buffer.empty()) {
    const std::size_t used = d.run(bytes.data(), bytes.size());
    if (d.state != Impl::State::kFailed && used < bytes.size()) d.buffer.assign(bytes.begin() + used, bytes.end());
  } else {
    d.buffer.insert(d.buffer.end(), bytes.begin(), bytes.end());
    if (d.buffer.size() >= d.need) {
      const std::size_t used = d.run(d.buffer.data(), d.buffer.size());
      if (d.state != Impl::State::kFailed) d.buffer.erase(d.buffer.begin(), d.buffer.begin() + used);
    }
  }
  d.events = nullptr;
  return d.state != Impl::State::kFailed;
}

void Decoder::end_of_stream(std::vector<Event>& events) {
  Impl& d = *impl_;
  if (d.state == Impl::State::kFailed) return;
  if (!idle()) {
    d.events = &events;
    d.fail("truncated", "the stream ended inside a message (" + std::to_string(d.buffer.size()) +
                            " bytes of it received)");
    d.events = nullptr;
  }
}

Result<bool> Decoder::set_pixel_format(const PixelFormat& format) {
  if (auto ok = format.validate(); !ok) return ok.error();
  impl_->conv = PixelConverter(format);
  impl_->conv.set_colour_map(impl_->colour_map);
  return true;
}

const PixelFormat& Decoder::pixel_format() const { return impl_->conv.format(); }
const Framebuffer& Decoder::framebuffer() const { return impl_->fb; }
Framebuffer& Decoder::framebuffer() { return impl_->fb; }
void Decoder::enable_extended_clipboard(bool on) { impl_->extended_clipboard = on; }

bool Decoder::failed() const { return impl_->state == Impl::State::kFailed; }
bool Decoder::idle() const { return impl_->state == Impl::State::kMessage && impl_->buffer.empty(); }
std::vector<EncodingStats> Decoder::stats() const { return impl_->stats; }
std::uint64_t Decoder::updates() const { return impl_->updates; }

}  // namespace mw::rfb
