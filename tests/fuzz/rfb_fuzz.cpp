// Fuzz target: the RFB client and decoder must never crash, hang or allocate without bound on any
// server byte stream, and the result must not depend on how the stream is chunked (whole versus
// the chunk size picked by the input: same framebuffer, same events, same failure).
// Input: byte 0 picks the pixel format (bits 0-2), client or bare decoder (bit 3) and the chunk
// size (bits 4-7); bytes 1-2 the framebuffer size; the rest is what the server sends.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "mw/rfb/client.hpp"
#include "mw/rfb/decoder.hpp"

namespace {

using namespace mw::rfb;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

PixelFormat format_of(int i) {
  switch (i) {
    case 0: return PixelFormat::rgb888();
    case 1: return PixelFormat::rgb565();
    case 2: return PixelFormat::rgb332();
    case 3: {
      PixelFormat f = PixelFormat::rgb332();
      f.true_colour = false;
      return f;
    }
    case 4: {
      PixelFormat f = PixelFormat::rgb565();
      f.big_endian = true;
      return f;
    }
    case 5: return PixelFormat::gray4();
    case 6: {
      PixelFormat f = PixelFormat::rgb888();
      f.red_shift = 24, f.green_shift = 16, f.blue_shift = 8;
      return f;
    }
    default: {
      PixelFormat f = PixelFormat::rgb888();
      f.depth = 32;  // 4-byte compact pixels
      return f;
    }
  }
}

Limits small_limits() {
  Limits l;
  l.max_width = 512;
  l.max_height = 512;
  l.max_cut_text = 4096;
  l.max_compressed = 1 << 20;
  l.max_cursor = 64;
  return l;
}

struct Outcome {
  std::vector<Rgba> pixels;
  int width = 0, height = 0;
  std::size_t events = 0;
  bool failed = false;
};

Outcome run_decoder(std::span<const std::uint8_t> data, const PixelFormat& f, int w, int h, std::size_t chunk) {
  Decoder d(w, h, f, small_limits());
  std::vector<Event> events;
  for (std::size_t i = 0; i < data.size(); i += chunk) d.feed(data.subspan(i, std::min(chunk, data.size() - i)), events);
  d.end_of_stream(events);
  const Framebuffer& fb = d.framebuffer();
  check(fb.width() <= 512 && fb.height() <= 512);
  check(fb.pixels().size() == static_cast<std::size_t>(fb.width()) * fb.height());
  for (const Rect& r : fb.dirty()) check(r.x >= 0 && r.y >= 0 && r.x + r.w <= fb.width() && r.y + r.h <= fb.height());
  return {std::vector<Rgba>(fb.pixels().begin(), fb.pixels().end()), fb.width(), fb.height(), events.size(), d.failed()};
}

Outcome run_client(std::span<const std::uint8_t> data, const PixelFormat& f, std::size_t chunk) {
  ClientConfig cfg;
  cfg.password = "fuzz";
  cfg.pixel_format = f;
  cfg.limits = small_limits();
  Client c(cfg);
  std::size_t events = 0;
  for (std::size_t i = 0; i < data.size(); i += chunk) {
    events += c.feed(data.subspan(i, std::min(chunk, data.size() - i))).events.size();
    // Input while running must always be safe.
    c.pointer(static_cast<int>(i), -1, 1);
    if (i % 3 == 0) c.clipboard("fuzz \xC3\xBC\n\xE6\x97\xA5");
  }
  events += c.end_of_stream().events.size();
  const Framebuffer& fb = c.framebuffer();
  check(fb.width() <= 512 && fb.height() <= 512);
  return {std::vector<Rgba>(fb.pixels().begin(), fb.pixels().end()), fb.width(), fb.height(), events,
          c.state() == ClientState::kFailed};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const PixelFormat f = format_of(data[0] & 7);
  const bool client = data[0] & 8;
  const std::size_t chunk = 1 + (data[0] >> 4) * 37;
  const int w = 1 + data[1] % 128;
  const int h = 1 + data[2] % 96;
  const std::span<const std::uint8_t> stream(data + 3, size - 3);
  const Outcome whole = client ? run_client(stream, f, stream.size() + 1) : run_decoder(stream, f, w, h, stream.size() + 1);
  const Outcome parts = client ? run_client(stream, f, chunk) : run_decoder(stream, f, w, h, chunk);
  check(whole.failed == parts.failed);
  check(whole.width == parts.width && whole.height == parts.height);
  check(whole.pixels == parts.pixels);
  if (!client) check(whole.events == parts.events);
  return 0;
}
