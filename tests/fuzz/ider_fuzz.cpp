// Fuzz target: both IDE-R ends must never crash, throw or grow without bound on any input.
// Byte 0 picks the end (bit 0: the console serving images, else Intel AMT's end) and bits 1..3
// the read size; the rest is the stream from the other end. The console end is pumped after
// every read, as the server does, so reads of hostile sizes are served chunk by chunk from an
// image of 64 blocks.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "mw/ider/session.hpp"

namespace {

using namespace mw::ider;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

Media image(std::size_t blocks, std::size_t block) {
  auto data = std::make_shared<std::vector<std::uint8_t>>(blocks * block, 0x5A);
  Media m;
  m.size = data->size();
  m.read = [data](std::uint64_t offset, std::span<std::uint8_t> out) {
    check(offset + out.size() <= data->size());  // the session never reads past the image
    std::copy_n(data->begin() + static_cast<std::ptrdiff_t>(offset), out.size(), out.begin());
    return true;
  };
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool host = (data[0] & 1) != 0;
  const std::size_t chunk = std::size_t{1} << ((data[0] >> 1) & 7);
  std::span<const std::uint8_t> in(data + 1, size - 1);
  if (host) {
    HostConfig c;
    c.cdrom = image(64, 2048);
    c.floppy = image(64, 512);
    HostSession s(c);
    s.start();
    std::uint64_t now = 0;
    while (!in.empty() && !s.finished()) {
      const std::size_t n = std::min(chunk, in.size());
      s.feed(in.first(n));
      in = in.subspan(n);
      for (int i = 0; i < 64 && s.has_pending_data(); ++i) {
        auto o = s.pump(4096);
        check(o.send.size() <= 4096 + 65535 + 64);  // one chunk over the budget at most
      }
      s.tick(now += 500);
    }
  } else {
    DeviceConfig c;
    c.max_data = 1u << 16;
    DeviceSession s(c);
    bool asked = false;
    while (!in.empty() && !s.finished()) {
      const std::size_t n = std::min(chunk, in.size());
      s.feed(in.first(n));
      in = in.subspan(n);
      if (s.opened() && !s.busy() && !asked) {
        s.command(Drive::kCdrom, cdb_read10(0, 8));
        asked = true;
      }
    }
  }
  return 0;
}
