// Recorded RFB sessions: the server-to-client bytes after ServerInit, preceded by one JSON header
// line, optionally gzip-compressed (tests/data/rfb/*.rfb.gz). Written by `mwcodec rfb-record`,
// decoded by `mwcodec rfb-decode`, the unit tests (native and wasm) and scripts/bench.sh rfb (which
// also feeds them to noVNC). Header fields:
//   {"format":"meshwork-rfb-capture","version":1,"width":W,"height":H,
//    "pixelFormat":{"bitsPerPixel":32,"depth":24,"bigEndian":false,"trueColour":true,
//                   "redMax":255,"greenMax":255,"blueMax":255,"redShift":16,"greenShift":8,"blueShift":0},
//    "encodings":[7,-32,...],"name":"desktop name","server":"RFB 003.008"}
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mw/rfb/pixel_format.hpp"
#include "mw/util/result.hpp"

namespace mw::rfb {

struct Capture {
  int width = 0;
  int height = 0;
  PixelFormat format;
  std::vector<std::int32_t> encodings;
  std::string name;
  std::string server;
  std::vector<std::uint8_t> bytes;  // server-to-client, after ServerInit
};

// The header line (with its '\n') for a capture.
std::string capture_header(const Capture& capture);
// Parses a capture file's content: header + bytes, gzip-compressed or not (detected by the
// gzip magic). Captures larger than `max_bytes` once decompressed are refused.
Result<Capture> parse_capture(std::span<const std::uint8_t> file, std::size_t max_bytes = 256u << 20);
// gzip compression of a whole buffer (zlib level 9) and its inverse, capped at max_bytes output.
std::vector<std::uint8_t> gzip(std::span<const std::uint8_t> data);
Result<std::vector<std::uint8_t>> gunzip(std::span<const std::uint8_t> data, std::size_t max_bytes);

}  // namespace mw::rfb
