// RFB clipboard text, classic and extended (clipboard.hpp).
#include "mw/rfb/clipboard.hpp"

#include <zlib.h>

#include "mw/util/bytes.hpp"

namespace mw::rfb::clipboard {

namespace {

std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

int format_count(std::uint32_t flags) {
  int n = 0;
  for (std::uint32_t f = flags & flag::kFormats; f != 0; f &= f - 1) ++n;
  return n;
}

std::vector<std::uint8_t> extended(std::uint8_t type, std::uint32_t flags, std::span<const std::uint8_t> data) {
  const auto length = static_cast<std::uint32_t>(4 + data.size());
  util::ByteWriter w(12 + data.size());
  w.u8(type).u8(0).u8(0).u8(0).u32(~length + 1).u32(flags).bytes(data);  // the length, negated
  return w.take();
}

// Reads exactly the bytes asked for from one zlib stream.
class Inflate {
 public:
  Inflate(std::span<const std::uint8_t> in) {
    ok_ = inflateInit(&z_) == Z_OK;
    z_.next_in = const_cast<Bytef*>(in.data());
    z_.avail_in = static_cast<uInt>(in.size());
  }
  ~Inflate() {
    if (ok_) inflateEnd(&z_);
  }
  Inflate(const Inflate&) = delete;
  Inflate& operator=(const Inflate&) = delete;

  Result<bool> read(std::uint8_t* out, std::size_t n) {
    if (!ok_) return make_error("clipboard-zlib", "zlib could not start");
    z_.next_out = out;
    z_.avail_out = static_cast<uInt>(n);
    while (z_.avail_out > 0) {
      const uInt out_before = z_.avail_out, in_before = z_.avail_in;
      const int r = inflate(&z_, Z_SYNC_FLUSH);
      if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR) {
        return make_error("clipboard-zlib", "corrupt compressed clipboard data");
      }
      if (z_.avail_out == 0) break;
      if (r == Z_STREAM_END || (z_.avail_out == out_before && z_.avail_in == in_before)) {
        return make_error("clipboard-truncated", "the clipboard data ends early");
      }
    }
    return true;
  }

 private:
  z_stream z_{};
  bool ok_ = false;
};

}  // namespace

std::uint32_t Message::max_text() const {
  return (flags & flag::kText) && !max_sizes.empty() ? max_sizes.front() : 0;
}

Result<Message> parse(std::span<const std::uint8_t> payload, std::size_t max_text) {
  if (payload.size() < 4) return make_error("clipboard-short", "an extended clipboard message without its flags");
  Message m;
  m.flags = be32(payload.data());
  const auto rest = payload.subspan(4);
  if (m.is(flag::kCaps)) {
    const auto count = static_cast<std::size_t>(format_count(m.flags));
    if (rest.size() < 4 * count) return make_error("clipboard-short", "extended clipboard caps without a size per format");
    for (std::size_t i = 0; i < count; ++i) m.max_sizes.push_back(be32(rest.data() + 4 * i));
    return m;
  }
  if (!m.is(flag::kProvide) || !(m.flags & flag::kText)) return m;  // only text is read (it comes first)
  Inflate z(rest);
  std::uint8_t size_bytes[4];
  if (auto r = z.read(size_bytes, 4); !r) return r.error();
  const std::uint32_t size = be32(size_bytes);
  if (size > max_text) {
    return make_error("clipboard-too-large", "clipboard text of " + std::to_string(size) + " bytes exceeds the limit of " +
                                                 std::to_string(max_text));
  }
  std::string text(size, '\0');
  if (auto r = z.read(reinterpret_cast<std::uint8_t*>(text.data()), size); !r) return r.error();
  if (const auto nul = text.find('\0'); nul != std::string::npos) text.resize(nul);
  m.text = to_lf(text);
  return m;
}

std::vector<std::uint8_t> caps(std::uint8_t type, std::uint32_t flags, std::uint32_t max_text) {
  flags = (flags & ~flag::kFormats) | flag::kCaps | flag::kText;  // this end handles text only
  util::ByteWriter sizes(4);
  sizes.u32(max_text);
  return extended(type, flags, sizes.data());
}

std::vector<std::uint8_t> action(std::uint8_t type, std::uint32_t flags) { return extended(type, flags, {}); }

std::vector<std::uint8_t> provide_text(std::uint8_t type, std::string_view utf8) {
  std::string wire = to_crlf(utf8);
  wire.push_back('\0');
  util::ByteWriter plain(4 + wire.size());
  plain.u32(static_cast<std::uint32_t>(wire.size())).bytes(wire);
  const auto& in = plain.data();
  z_stream z{};
  std::vector<std::uint8_t> packed;
  if (deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK) return {};
  packed.resize(deflateBound(&z, static_cast<uLong>(in.size())) + 64);  // room for the sync flush marker
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  std::size_t used = 0;
  for (;;) {
    z.next_out = packed.data() + used;
    z.avail_out = static_cast<uInt>(packed.size() - used);
    const int r = deflate(&z, Z_SYNC_FLUSH);  // not Z_FINISH: see the header (libvncserver)
    used = packed.size() - z.avail_out;
    if (r != Z_OK && r != Z_BUF_ERROR) {
      deflateEnd(&z);
      return {};
    }
    if (z.avail_in == 0 && z.avail_out > 0) break;
    packed.resize(packed.size() * 2);
  }
  deflateEnd(&z);
  packed.resize(used);
  return extended(type, flag::kProvide | flag::kText, packed);
}

std::string to_latin1(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    std::size_t len = c >= 0xF0 && c < 0xF8 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (c >= 0xF8) len = 0;
    bool whole = len > 0 && i + len <= utf8.size();
    for (std::size_t k = 1; whole && k < len; ++k) whole = (static_cast<unsigned char>(utf8[i + k]) & 0xC0) == 0x80;
    if (!whole) {  // malformed: one '?' for the byte
      out.push_back('?');
      ++i;
      continue;
    }
    if (len == 2 && c <= 0xC3) {
      out.push_back(static_cast<char>(((c & 0x1F) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3F)));
    } else {
      out.push_back('?');
    }
    i += len;
  }
  return to_lf(out);
}

std::string from_latin1(std::string_view latin1) {
  std::string out;
  out.reserve(latin1.size());
  for (const char ch : latin1) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return to_lf(out);
}

std::string to_crlf(std::string_view lf) {
  std::string out;
  out.reserve(lf.size() + lf.size() / 32);
  for (std::size_t i = 0; i < lf.size(); ++i) {
    if (lf[i] == '\n' && (i == 0 || lf[i - 1] != '\r')) out.push_back('\r');
    out.push_back(lf[i]);
  }
  return out;
}

std::string to_lf(std::string_view crlf) {
  std::string out;
  out.reserve(crlf.size());
  for (std::size_t i = 0; i < crlf.size(); ++i) {
    if (crlf[i] == '\r' && i + 1 < crlf.size() && crlf[i + 1] == '\n') continue;
    out.push_back(crlf[i]);
  }
  return out;
}

std::string_view truncate_utf8(std::string_view utf8, std::size_t max) {
  if (utf8.size() <= max) return utf8;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(utf8[end]) & 0xC0) == 0x80) --end;
  return utf8.substr(0, end);
}

std::string_view fit_extended(std::string_view utf8, std::size_t max_wire) {
  if (max_wire == 0) return {};
  std::string_view text = truncate_utf8(utf8, max_wire - 1);
  std::size_t wire = 1;  // the NUL
  std::size_t end = 0;
  for (; end < text.size(); ++end) {
    const std::size_t add = text[end] == '\n' && (end == 0 || text[end - 1] != '\r') ? 2 : 1;
    if (wire + add > max_wire) break;
    wire += add;
  }
  return truncate_utf8(text, end);
}

}  // namespace mw::rfb::clipboard
