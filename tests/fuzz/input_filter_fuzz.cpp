// Fuzz target: the input filter (mw/rfb/input_filter.hpp), view only and limited input, between a viewer and an RFB server must
// never crash, hang or keep more than its bound on any viewer bytes; it only ever removes bytes;
// and what it forwards, and whether it fails, must not depend on how the bytes are chunked.
// Input: byte 0 picks the server's version (bits 0-1: 3.3, 3.7, 3.8), the security type a 3.3
// server chooses (bit 2: None or VNC authentication), the chunk size (bits 3-6) and the mode
// (bit 7: view only or limited input); the rest is what the viewer sends.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mw/rfb/input_filter.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Run {
  std::vector<std::uint8_t> out;
  bool failed = false;
  std::size_t failed_at = 0;  // bytes fed before the error
};

Run run(std::span<const std::uint8_t> server, std::span<const std::uint8_t> viewer, std::size_t chunk,
        mw::rfb::InputFilter::Mode mode) {
  mw::rfb::InputFilter f(mode);
  f.server_bytes(server);
  Run r;
  for (std::size_t at = 0; at < viewer.size(); at += chunk) {
    const auto part = viewer.subspan(at, std::min(chunk, viewer.size() - at));
    auto n = f.feed(part, r.out);
    if (!n) {
      r.failed = true;
      r.failed_at = at;
      break;
    }
  }
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t ctl = data[0];
  std::string server;
  switch (ctl & 3) {
    case 0: server = "RFB 003.003\n"; break;
    case 1: server = "RFB 003.007\n"; break;
    default: server = "RFB 003.008\n"; break;
  }
  if ((ctl & 3) == 0) server += (ctl & 4) ? std::string("\0\0\0\2", 4) : std::string("\0\0\0\1", 4);
  const std::span<const std::uint8_t> server_bytes(reinterpret_cast<const std::uint8_t*>(server.data()), server.size());
  const std::span<const std::uint8_t> viewer(data + 1, size - 1);
  const std::size_t chunk = static_cast<std::size_t>((ctl >> 3) & 15) + 1;
  const auto mode = (ctl & 0x80) ? mw::rfb::InputFilter::Mode::kLimitedInput : mw::rfb::InputFilter::Mode::kViewOnly;

  const Run whole = run(server_bytes, viewer, viewer.empty() ? 1 : viewer.size(), mode);
  const Run split = run(server_bytes, viewer, chunk, mode);
  // The filter only drops: never more out than in.
  check(whole.out.size() <= viewer.size());
  check(split.out.size() <= viewer.size());
  // Chunking changes nothing: the same failure, and the same bytes forwarded (a failing run may
  // stop earlier in one of them, so then only a common prefix is compared).
  check(whole.failed == split.failed);
  if (!whole.failed) {
    check(whole.out == split.out);
  } else {
    const std::size_t n = std::min(whole.out.size(), split.out.size());
    check(std::equal(whole.out.begin(), whole.out.begin() + static_cast<std::ptrdiff_t>(n), split.out.begin()));
  }
  return 0;
}
