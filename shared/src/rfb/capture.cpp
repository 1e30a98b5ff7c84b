#include "mw/rfb/capture.hpp"

#include <zlib.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace mw::rfb {

namespace {

constexpr std::string_view kFormat = "meshwork-rfb-capture";
constexpr std::size_t kMaxHeader = 64 * 1024;

}  // namespace

std::string capture_header(const Capture& c) {
  const PixelFormat& f = c.format;
  nlohmann::json h = {
      {"format", kFormat},
      {"version", 1},
      {"width", c.width},
      {"height", c.height},
      {"pixelFormat",
       {{"bitsPerPixel", f.bits_per_pixel},
        {"depth", f.depth},
        {"bigEndian", f.big_endian},
        {"trueColour", f.true_colour},
        {"redMax", f.red_max},
        {"greenMax", f.green_max},
        {"blueMax", f.blue_max},
        {"redShift", f.red_shift},
        {"greenShift", f.green_shift},
        {"blueShift", f.blue_shift}}},
      {"encodings", c.encodings},
      {"name", c.name},
      {"server", c.server},
  };
  return h.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<Capture> parse_capture(std::span<const std::uint8_t> file, std::size_t max_bytes) {
  std::vector<std::uint8_t> plain;
  if (file.size() >= 2 && file[0] == 0x1F && file[1] == 0x8B) {
    auto r = gunzip(file, max_bytes);
    if (!r) return r.error();
    plain = std::move(r.value());
    file = plain;
  } else if (file.size() > max_bytes) {
    return make_error("too-large", "the capture is larger than " + std::to_string(max_bytes) + " bytes");
  }
  const auto nl = std::find(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(std::min(file.size(), kMaxHeader)),
                            std::uint8_t{'\n'});
  if (nl == file.end() || static_cast<std::size_t>(nl - file.begin()) >= kMaxHeader) {
    return make_error("bad-capture", "no header line (JSON followed by a newline) at the start");
  }
  const auto h = nlohmann::json::parse(file.begin(), nl, nullptr, false);
  if (h.is_discarded() || !h.is_object() || h.value("format", "") != kFormat) {
    return make_error("bad-capture", "the header line is not a meshwork-rfb-capture JSON object");
  }
  Capture c;
  try {
    if (h.at("version").get<int>() != 1) return make_error("bad-capture", "unsupported capture version");
    c.width = h.at("width").get<int>();
    c.height = h.at("height").get<int>();
    const auto& p = h.at("pixelFormat");
    PixelFormat& f = c.format;
    f.bits_per_pixel = p.at("bitsPerPixel").get<std::uint8_t>();
    f.depth = p.at("depth").get<std::uint8_t>();
    f.big_endian = p.at("bigEndian").get<bool>();
    f.true_colour = p.at("trueColour").get<bool>();
    f.red_max = p.at("redMax").get<std::uint16_t>();
    f.green_max = p.at("greenMax").get<std::uint16_t>();
    f.blue_max = p.at("blueMax").get<std::uint16_t>();
    f.red_shift = p.at("redShift").get<std::uint8_t>();
    f.green_shift = p.at("greenShift").get<std::uint8_t>();
    f.blue_shift = p.at("blueShift").get<std::uint8_t>();
    if (h.contains("encodings")) c.encodings = h["encodings"].get<std::vector<std::int32_t>>();
    c.name = h.value("name", "");
    c.server = h.value("server", "");
  } catch (const nlohmann::json::exception& e) {
    return make_error("bad-capture", std::string("header: ") + e.what());
  }
  if (auto ok = c.format.validate(); !ok) return ok.error();
  if (c.width < 0 || c.height < 0 || c.width > 16384 || c.height > 16384) {
    return make_error("bad-capture", "the framebuffer size is out of range");
  }
  c.bytes.assign(nl + 1, file.end());
  return c;
}

std::vector<std::uint8_t> gzip(std::span<const std::uint8_t> data) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper.
  if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::vector<std::uint8_t> out(deflateBound(&z, static_cast<uLong>(data.size())) + 32);
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(rc == Z_STREAM_END ? z.total_out : 0);
  deflateEnd(&z);
  return out;
}

Result<std::vector<std::uint8_t>> gunzip(std::span<const std::uint8_t> data, std::size_t max_bytes) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return make_error("zlib", "inflateInit2 failed");
  std::vector<std::uint8_t> out;
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out.size() >= max_bytes) {
      inflateEnd(&z);
      return make_error("too-large", "decompressed data exceeds " + std::to_string(max_bytes) + " bytes");
    }
    const std::size_t have = out.size();
    const std::size_t grow = std::min<std::size_t>(std::max<std::size_t>(have, 1 << 16), max_bytes - have);
    out.resize(have + grow);
    z.next_out = out.data() + have;
    z.avail_out = static_cast<uInt>(grow);
    rc = inflate(&z, Z_NO_FLUSH);
    out.resize(have + grow - z.avail_out);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      return make_error("bad-gzip", std::string("gzip data is corrupt or truncated (") + (z.msg ? z.msg : "zlib") + ")");
    }
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      inflateEnd(&z);
      return make_error("bad-gzip", "gzip data is truncated");
    }
  }
  inflateEnd(&z);
  return out;
}

}  // namespace mw::rfb
