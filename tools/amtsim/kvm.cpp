#include "kvm.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>

#include "mw/rfb/messages.hpp"

namespace mw::amtsim {

namespace {

using rfb::Rect;
using rfb::Rgba;
using Bytes = std::vector<std::uint8_t>;

constexpr int kTile = 64;  // AMT sends rectangles of at most 64x64 (MeshCommander rejects others)

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}
void put16(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put32(Bytes& b, std::uint32_t v) {
  put16(b, v >> 16);
  put16(b, v & 0xFFFF);
}

Rect intersect(const Rect& a, const Rect& b) {
  const int x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
  const int x1 = std::min(a.x + a.w, b.x + b.w), y1 = std::min(a.y + a.h, b.y + b.h);
  if (x1 <= x0 || y1 <= y0) return {};
  return {x0, y0, x1 - x0, y1 - y0};
}
Rect bounding(const Rect& a, const Rect& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  const int x0 = std::min(a.x, b.x), y0 = std::min(a.y, b.y);
  return {x0, y0, std::max(a.x + a.w, b.x + b.w) - x0, std::max(a.y + a.h, b.y + b.h) - y0};
}

// What the server can produce: true colour, 8/16/32 bpp, channels of 1 to 8 bits (RGB565, RGB332,
// the 32-bit formats). AMT's grey formats (green and blue maximum 0) and colour maps are refused.
bool supported(const rfb::PixelFormat& f) {
  return f.validate().ok() && f.true_colour && f.red_max >= 1 && f.red_max <= 255 && f.green_max >= 1 &&
         f.green_max <= 255 && f.blue_max >= 1 && f.blue_max <= 255;
}

// ZRLE run lengths: run - 1 as bytes of 255 and a last byte below 255.
std::size_t run_bytes(std::size_t run) { return (run - 1) / 255 + 1; }
void put_run(Bytes& b, std::size_t run) {
  std::size_t n = run - 1;
  for (; n >= 255; n -= 255) b.push_back(255);
  b.push_back(static_cast<std::uint8_t>(n));
}

}  // namespace

// [SECTION] zlib: one deflate stream for the whole connection, flushed after every rectangle

struct RfbServer::Deflater {
  z_stream z{};
  bool ok = false;
  // Raw deflate (no zlib header), as Intel AMT sends it (rfb fact sheet; MeshCommander inflates
  // with windowBits -15). Meshwork's client accepts both.
  Deflater() { ok = deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK; }
  ~Deflater() {
    if (ok) deflateEnd(&z);
  }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // Appends the compressed form of `in` to `out`, ending with a sync flush so the viewer can
  // inflate this rectangle without the next one.
  bool compress(const Bytes& in, Bytes& out) {
    if (!ok) return false;
    z.next_in = const_cast<Bytef*>(in.data());
    z.avail_in = static_cast<uInt>(in.size());
    do {
      const std::size_t old = out.size();
      const std::size_t room = std::max<std::size_t>(in.size() / 2, 1024);
      out.resize(old + room);
      z.next_out = out.data() + old;
      z.avail_out = static_cast<uInt>(room);
      const int rc = deflate(&z, Z_SYNC_FLUSH);
      out.resize(old + room - z.avail_out);
      if (rc != Z_OK && rc != Z_BUF_ERROR) return false;
    } while (z.avail_out == 0);
    return z.avail_in == 0;
  }
};

// [SECTION] Protocol

RfbServer::RfbServer(std::string name, const rfb::Framebuffer& screen, RfbLimits limits)
    : name_(std::move(name)), screen_(screen), limits_(limits),
      known_(static_cast<std::size_t>(screen.width()) * static_cast<std::size_t>(screen.height()), 0) {}

RfbServer::~RfbServer() = default;

void RfbServer::fail(RfbOutput& out, std::string code, std::string message) {
  state_ = RfbState::kFailed;
  in_.clear();
  pending_ = false;
  if (!out.error) out.error = make_error(std::move(code), "RFB: " + std::move(message));
}

RfbOutput RfbServer::start() {
  RfbOutput out;
  if (state_ != RfbState::kIdle) return out;
  static constexpr char kVersion[] = "RFB 003.008\n";
  out.send.assign(kVersion, kVersion + 12);
  state_ = RfbState::kVersion;
  return out;
}

RfbOutput RfbServer::feed(std::span<const std::uint8_t> bytes) {
  RfbOutput out;
  if (state_ == RfbState::kIdle || state_ == RfbState::kFailed) return out;
  // Drop what is left of a long ClientCutText first, without buffering it.
  if (skip_ > 0) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, bytes.size()));
    skip_ -= n;
    bytes = bytes.subspan(n);
  }
  in_.insert(in_.end(), bytes.begin(), bytes.end());
  std::size_t at = 0;
  while (at < in_.size() && state_ != RfbState::kFailed) {
    const std::size_t used = step({in_.data() + at, in_.size() - at}, out);
    if (used == 0) break;
    at += used;
    if (skip_ > 0) {  // a long cut text started: drop what is already here
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, in_.size() - at));
      skip_ -= n;
      at += n;
    }
  }
  if (state_ == RfbState::kFailed) return out;
  in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(at));
  send_update(out);
  return out;
}

RfbOutput RfbServer::refresh() {
  RfbOutput out;
  if (state_ == RfbState::kRunning) send_update(out);
  return out;
}

// One handshake step or client message at the start of `in`: the bytes it used, 0 when it needs
// more (every message is bounded: SetEncodings by its 16-bit count, cut text by max_cut_text).
std::size_t RfbServer::step(std::span<const std::uint8_t> in, RfbOutput& out) {
  const std::uint8_t* p = in.data();
  const std::size_t n = in.size();
  switch (state_) {
    case RfbState::kVersion: {
      if (n < 12) return 0;
      const std::string v(reinterpret_cast<const char*>(p), 12);
      const auto digits = [&](std::size_t from) {
        return std::all_of(v.begin() + static_cast<std::ptrdiff_t>(from),
                           v.begin() + static_cast<std::ptrdiff_t>(from + 3), [](char c) { return c >= '0' && c <= '9'; });
      };
      if (v.compare(0, 4, "RFB ") != 0 || !digits(4) || v[7] != '.' || !digits(8) || v[11] != '\n' ||
          v.compare(4, 3, "003") != 0) {
        fail(out, "bad-version", "the viewer did not send an RFB 3.x ProtocolVersion");
        return 0;
      }
      const int minor = std::stoi(v.substr(8, 3));
      // RFC 6143 §7.1.1: versions other than 3.7 and 3.8 are 3.3 (3.889 and later speak 3.8).
      minor_ = minor >= 8 ? 8 : minor == 7 ? 7 : 3;
      if (minor_ == 3) {  // the server decides: None
        put32(out.send, 1);
        state_ = RfbState::kClientInit;
      } else {
        out.send.push_back(1);  // one security type: None
        out.send.push_back(static_cast<std::uint8_t>(rfb::SecurityType::kNone));
        state_ = RfbState::kSecurity;
      }
      return 12;
    }
    case RfbState::kSecurity: {
      if (n < 1) return 0;
      if (p[0] != static_cast<std::uint8_t>(rfb::SecurityType::kNone)) {
        static constexpr char kReason[] = "security type not offered";
        put32(out.send, 1);  // SecurityResult: failed (3.8 adds the reason)
        if (minor_ == 8) {
          put32(out.send, sizeof kReason - 1);
          out.send.insert(out.send.end(), kReason, kReason + sizeof kReason - 1);
        }
        fail(out, "bad-security-type", "the viewer chose security type " + std::to_string(p[0]));
        return 0;
      }
      if (minor_ == 8) put32(out.send, 0);  // SecurityResult OK (3.7 sends none for None)
      state_ = RfbState::kClientInit;
      return 1;
    }
    case RfbState::kClientInit: {
      if (n < 1) return 0;  // the shared flag: one viewer per connection either way
      put16(out.send, static_cast<std::uint32_t>(screen_.width()));
      put16(out.send, static_cast<std::uint32_t>(screen_.height()));
      const auto f = format_.encode();
      out.send.insert(out.send.end(), f.begin(), f.end());
      put32(out.send, static_cast<std::uint32_t>(name_.size()));
      out.send.insert(out.send.end(), name_.begin(), name_.end());
      state_ = RfbState::kRunning;
      return 1;
    }
    case RfbState::kRunning: break;
    case RfbState::kIdle:
    case RfbState::kFailed: return 0;
  }
  switch (p[0]) {
    case 0: {  // SetPixelFormat
      if (n < 20) return 0;
      auto f = rfb::PixelFormat::parse({p + 4, rfb::PixelFormat::kWireSize});
      if (!f || !supported(*f)) {
        fail(out, "unsupported-pixel-format",
             "SetPixelFormat: " + (f ? f->describe() + " is not served (true colour, 8/16/32 bpp only)"
                                     : f.error().message));
        return 0;
      }
      format_ = *f;
      return 20;
    }
    case 2: {  // SetEncodings
      if (n < 4) return 0;
      const std::size_t size = 4 + 4 * static_cast<std::size_t>(be16(p + 2));
      if (n < size) return 0;
      encoding_ = rfb::encoding::kRaw;
      for (std::size_t i = 4; i < size; i += 4) {
        if (static_cast<std::int32_t>(be32(p + i)) == rfb::encoding::kZrle) encoding_ = rfb::encoding::kZrle;
      }
      return size;
    }
    case 3: {  // FramebufferUpdateRequest
      if (n < 10) return 0;
      want({be16(p + 2), be16(p + 4), be16(p + 6), be16(p + 8)}, p[1] != 0);
      return 10;
    }
    case 4:  // KeyEvent: the simulated computer has no keyboard handler
      if (n < 8) return 0;
      ++stats_.key_events;
      return 8;
    case 5:  // PointerEvent
      if (n < 6) return 0;
      ++stats_.pointer_events;
      return 6;
    case 6: {  // ClientCutText (Intel's KvmExtCmd / KvmDataChannel too): read, not acted on
      if (n < 8) return 0;
      const std::uint32_t len = be32(p + 4);
      ++stats_.cut_texts;
      if (len > limits_.max_cut_text) {
        skip_ = len;
        return 8;
      }
      if (n < 8 + static_cast<std::size_t>(len)) return 0;
      return 8 + len;
    }
    default:
      fail(out, "unknown-message", "unknown client message type " + std::to_string(p[0]));
      return 0;
  }
}

void RfbServer::want(const Rect& area, bool incremental) {
  const Rect c = intersect(area, {0, 0, screen_.width(), screen_.height()});
  if (c.empty()) return;
  wanted_ = pending_ ? bounding(wanted_, c) : c;
  if (!incremental) forced_ = bounding(forced_, c);
  pending_ = true;
}

// [SECTION] Updates

void RfbServer::send_update(RfbOutput& out) {
  if (!pending_ || !live_ || state_ != RfbState::kRunning) return;
  const int w = screen_.width();
  std::vector<Rect> rects;
  // Tiles of the screen's 64x64 grid inside the wanted area; in each, the part asked for in full or
  // the bounding box of the pixels the viewer does not have.
  for (int ty = wanted_.y / kTile * kTile; ty < wanted_.y + wanted_.h; ty += kTile) {
    for (int tx = wanted_.x / kTile * kTile; tx < wanted_.x + wanted_.w; tx += kTile) {
      const Rect t = intersect({tx, ty, kTile, kTile}, wanted_);
      if (t.empty()) continue;
      if (!intersect(t, forced_).empty()) {
        rects.push_back(t);
        continue;
      }
      int x0 = t.x + t.w, y0 = t.y + t.h, x1 = -1, y1 = -1;
      for (int y = t.y; y < t.y + t.h; ++y) {
        const Rgba* now = screen_.row(y);
        const Rgba* had = known_.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(w);
        for (int x = t.x; x < t.x + t.w; ++x) {
          if (now[x] != had[x]) {
            x0 = std::min(x0, x);
            x1 = std::max(x1, x);
            y0 = std::min(y0, y);
            y1 = y;
          }
        }
      }
      if (x1 >= 0) rects.push_back({x0, y0, x1 - x0 + 1, y1 - y0 + 1});
    }
  }
  if (rects.empty()) return;  // incremental and nothing changed: the request waits
  // A FramebufferUpdate counts rectangles in 16 bits; the rest goes with the next request.
  if (rects.size() > 0xFFFF) rects.resize(0xFFFF);
  const std::size_t start = out.send.size();
  out.send.push_back(static_cast<std::uint8_t>(rfb::ServerMessage::kFramebufferUpdate));
  out.send.push_back(0);
  put16(out.send, static_cast<std::uint32_t>(rects.size()));
  for (const Rect& r : rects) {
    put16(out.send, static_cast<std::uint32_t>(r.x));
    put16(out.send, static_cast<std::uint32_t>(r.y));
    put16(out.send, static_cast<std::uint32_t>(r.w));
    put16(out.send, static_cast<std::uint32_t>(r.h));
    put32(out.send, static_cast<std::uint32_t>(encoding_));
    if (encoding_ == rfb::encoding::kZrle) {
      encode_zrle(r, out.send);
      if (state_ == RfbState::kFailed) {
        out.send.resize(start);
        fail(out, "zlib", "deflate failed");
        return;
      }
    } else {
      encode_pixels(r, out.send);
    }
    for (int y = r.y; y < r.y + r.h; ++y) {
      std::memcpy(known_.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(w) + r.x, screen_.row(y) + r.x,
                  static_cast<std::size_t>(r.w) * sizeof(Rgba));
    }
  }
  pending_ = false;
  wanted_ = forced_ = {};
  last_update_ = std::move(rects);
  ++stats_.updates;
  stats_.rects += last_update_.size();
  stats_.update_bytes += out.send.size() - start;
}

std::uint32_t RfbServer::value(Rgba p) const {
  // Channel maxima are 2^n - 1 with n <= 8: keep the top n bits.
  const auto ch = [](std::uint8_t v, std::uint16_t max) {
    return static_cast<std::uint32_t>(v) >> (8 - std::popcount(static_cast<unsigned>(max)));
  };
  return ch(rfb::red_of(p), format_.red_max) << format_.red_shift |
         ch(rfb::green_of(p), format_.green_max) << format_.green_shift |
         ch(rfb::blue_of(p), format_.blue_max) << format_.blue_shift;
}

namespace {

// A pixel value as `bytes` bytes in the format's byte order.
void put_pixel(Bytes& b, std::uint32_t v, int bytes, bool big_endian) {
  for (int i = 0; i < bytes; ++i) {
    const int shift = big_endian ? 8 * (bytes - 1 - i) : 8 * i;
    b.push_back(static_cast<std::uint8_t>(v >> shift));
  }
}

}  // namespace

void RfbServer::encode_pixels(const Rect& r, Bytes& out) {
  const int bpp = format_.bytes_per_pixel();
  out.reserve(out.size() + static_cast<std::size_t>(r.area()) * static_cast<std::size_t>(bpp));
  for (int y = r.y; y < r.y + r.h; ++y) {
    const Rgba* row = screen_.row(y);
    for (int x = r.x; x < r.x + r.w; ++x) put_pixel(out, value(row[x]), bpp, format_.big_endian);
  }
}

// One ZRLE tile (r is at most 64x64): solid, packed palette, palette RLE, plain RLE or raw,
// whichever is smallest, deflated on the connection's stream.
void RfbServer::encode_zrle(const Rect& r, Bytes& out) {
  const int cp = format_.compact_bytes();
  const bool low = format_.compact_low();
  const auto cpixel = [&](Bytes& b, std::uint32_t v) {
    if (cp == 3) return put_pixel(b, low ? v : v >> 8, 3, format_.big_endian);
    put_pixel(b, v, cp, format_.big_endian);
  };
  std::vector<std::uint32_t> px;
  px.reserve(static_cast<std::size_t>(r.area()));
  for (int y = r.y; y < r.y + r.h; ++y) {
    for (int x = r.x; x < r.x + r.w; ++x) px.push_back(value(screen_.row(y)[x]));
  }
  // Palette (up to 127 colours) and runs.
  std::vector<std::uint32_t> palette;
  std::vector<std::uint8_t> index(px.size());
  bool fits = true;
  std::size_t runs_plain = 0, runs_palette = 0;  // bytes of the runs in each RLE form
  for (std::size_t i = 0; i < px.size(); ++i) {
    if (fits) {
      auto it = std::find(palette.begin(), palette.end(), px[i]);
      if (it == palette.end()) {
        if (palette.size() == 127) {
          fits = false;
        } else {
          palette.push_back(px[i]);
          it = palette.end() - 1;
        }
      }
      if (fits) index[i] = static_cast<std::uint8_t>(it - palette.begin());
    }
    if (i + 1 == px.size() || px[i + 1] != px[i]) {  // a run ends at i
      std::size_t start = i;
      while (start > 0 && px[start - 1] == px[i]) --start;
      const std::size_t run = i - start + 1;
      runs_plain += static_cast<std::size_t>(cp) + run_bytes(run);
      runs_palette += 1 + (run > 1 ? run_bytes(run) : 0);
    }
  }
  const std::size_t n = palette.size();
  const std::size_t cpz = static_cast<std::size_t>(cp);
  const std::size_t raw = px.size() * cpz;
  const int bits = n <= 2 ? 1 : n <= 4 ? 2 : 4;
  const std::size_t row_bytes = (static_cast<std::size_t>(r.w) * static_cast<std::size_t>(bits) + 7) / 8;
  const std::size_t packed = fits && n <= 16 ? n * cpz + row_bytes * static_cast<std::size_t>(r.h) : SIZE_MAX;
  const std::size_t palette_rle = fits ? n * cpz + runs_palette : SIZE_MAX;
  const std::size_t best = std::min({raw, runs_plain, packed, palette_rle});

  Bytes tile;
  if (fits && n == 1) {
    tile.push_back(1);
    cpixel(tile, palette[0]);
  } else if (best == packed) {
    tile.push_back(static_cast<std::uint8_t>(n));
    for (const std::uint32_t v : palette) cpixel(tile, v);
    for (int y = 0; y < r.h; ++y) {
      const std::size_t row = tile.size();
      tile.resize(row + row_bytes, 0);
      for (int x = 0; x < r.w; ++x) {
        const int bit = x * bits;
        tile[row + static_cast<std::size_t>(bit >> 3)] |=
            static_cast<std::uint8_t>(index[static_cast<std::size_t>(y * r.w + x)] << (8 - bits - (bit & 7)));
      }
    }
  } else if (best == palette_rle) {
    tile.push_back(static_cast<std::uint8_t>(128 + n));
    for (const std::uint32_t v : palette) cpixel(tile, v);
    for (std::size_t i = 0; i < px.size();) {
      std::size_t run = 1;
      while (i + run < px.size() && px[i + run] == px[i]) ++run;
      if (run == 1) {
        tile.push_back(index[i]);
      } else {
        tile.push_back(static_cast<std::uint8_t>(index[i] | 0x80));
        put_run(tile, run);
      }
      i += run;
    }
  } else if (best == runs_plain) {
    tile.push_back(128);
    for (std::size_t i = 0; i < px.size();) {
      std::size_t run = 1;
      while (i + run < px.size() && px[i + run] == px[i]) ++run;
      cpixel(tile, px[i]);
      put_run(tile, run);
      i += run;
    }
  } else {
    tile.push_back(0);
    for (const std::uint32_t v : px) cpixel(tile, v);
  }

  if (!zlib_) zlib_ = std::make_unique<Deflater>();
  const std::size_t len_at = out.size();
  put32(out, 0);
  if (!zlib_->compress(tile, out)) {
    state_ = RfbState::kFailed;
    return;
  }
  const auto len = static_cast<std::uint32_t>(out.size() - len_at - 4);
  for (int i = 0; i < 4; ++i) out[len_at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(len >> (24 - 8 * i));
}

// [SECTION] Kvm: the screen for the power state and the time, served over RFB

Kvm::Kvm(const ConsoleInfo& info, const PowerState& power)
    : info_(info), power_(power), screen_(info_), rfb_("amtsim-" + std::to_string(info_.index), screen_.framebuffer()),
      was_on_(power == PowerState::kOn) {
  rfb_.set_live(false);
}

RfbOutput Kvm::tick(std::uint64_t now_ms) {
  const bool on = power_ == PowerState::kOn;
  if (on && !was_on_) boot_at_ = now_ms;  // powered on during the session: the BIOS screen first
  if (!on) boot_at_.reset();
  was_on_ = on;
  ScreenMode mode = ScreenMode::kDesktop;
  if (!on) {
    mode = ScreenMode::kBlank;  // off, asleep or hibernating: no picture
  } else if (boot_at_ && now_ms >= *boot_at_ && now_ms - *boot_at_ < kBootMs) {
    mode = ScreenMode::kBios;
  }
  screen_.show(mode, static_cast<std::uint64_t>(static_cast<std::int64_t>(now_ms) + info_.clock_offset_ms));
  rfb_.set_live(true);
  return rfb_.refresh();
}

}  // namespace mw::amtsim
