// mwcodec rfb-record / rfb-decode: RFB sessions recorded from a real VNC server and replayed
// through shared/rfb (the captures under tests/data/rfb/ are made this way; see capture.hpp).
//
// rfb-record connects with POSIX sockets, runs mw::rfb::Client and feeds it the server's bytes one
// at a time until the handshake is over, so that the capture starts exactly after ServerInit:
// everything the server sends from then on is recorded for the given time (or until the given
// number of updates, --updates: TigerVNC follows JPEG with a stream of lossless refreshes that a
// test fixture does not need). At the end no further request is sent, and the capture is closed
// once the decoder is between messages, so that a replay never ends inside an update.
//
// rfb-decode replays a capture with mw::rfb::Decoder, writes the final framebuffer as a PNG
// (8-bit RGB, zlib from mw_shared) and prints the SHA-256 of its RGB bytes: the number the unit
// tests and tests/data/rfb/manifest.json compare.
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "command.hpp"
#include "mw/rfb/capture.hpp"
#include "mw/rfb/client.hpp"
#include "mw/rfb/decoder.hpp"
#include "mw/rfb/messages.hpp"
#include "mw/util/result.hpp"
#include "mw/util/sha256.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using mw::Error;
using mw::make_error;
using mw::Result;

// [SECTION] Files

Result<std::vector<std::uint8_t>> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error("io", "cannot read " + path);
  std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(f)),
                                 std::istreambuf_iterator<char>());
  if (f.bad()) return make_error("io", "error reading " + path);
  return data;
}

Result<bool> write_file(const std::string& path, std::span<const std::uint8_t> data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  f.close();
  if (!f) return make_error("io", "cannot write " + path);
  return true;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// [SECTION] Statistics

std::string stats_line(const mw::rfb::Decoder& decoder) {
  std::string out;
  for (const auto& s : decoder.stats()) {
    if (!out.empty()) out += ", ";
    out += std::string(mw::rfb::encoding_name(s.encoding)) + " " + std::to_string(s.rects) +
           " rects " + std::to_string(s.pixels) + " px " + std::to_string(s.bytes) + " B";
  }
  return out.empty() ? "no rectangles" : out;
}

// [SECTION] rfb-record

struct RecordOptions {
  std::string host;
  std::string port;
  std::int32_t encoding = mw::rfb::encoding::kRaw;
  int bpp = 32;
  int jpeg = -1;
  int compress = -1;
  std::string password;
  double seconds = 0;
  int updates = 0;  // 0: no limit
  std::string out;
};

Result<int> connect_to(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &list); rc != 0) {
    return make_error("resolve", host + ":" + port + ": " + gai_strerror(rc));
  }
  std::string why = "no address";
  int fd = -1;
  for (addrinfo* a = list; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      why = std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(list);
  if (fd < 0) return make_error("connect", host + ":" + port + ": " + why);
  return fd;
}

Result<bool> send_all(int fd, const std::vector<std::uint8_t>& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error("io", std::string("send: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// The first failure among the client's events (a typed error, or the server's refusal).
std::optional<Error> failure_of(const mw::rfb::ClientOutput& out) {
  for (const auto& e : out.events) {
    if (const auto* f = std::get_if<mw::rfb::Failed>(&e)) return f->error;
    if (const auto* a = std::get_if<mw::rfb::AuthFailed>(&e))
      return make_error("auth-failed", a->reason);
  }
  return std::nullopt;
}

int record_usage() {
  std::fprintf(
      stderr,
      "usage: mwcodec rfb-record HOST:PORT --encoding NAME [--bpp 32|16|8] [--jpeg Q] [--compress "
      "L]\n"
      "                          [--password P] --seconds S [--updates N] OUT\n"
      "  NAME: raw, copyrect, rre, hextile, zrle or tight; OUT ending in .gz is gzip-compressed;\n"
      "  the recording ends after S seconds or N complete updates, whichever comes first\n");
  return 2;
}

bool parse_int(const std::string& s, int lo, int hi, int& out) {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < lo || v > hi) return false;
  out = static_cast<int>(v);
  return true;
}

std::optional<RecordOptions> parse_record(const std::vector<std::string>& args) {
  RecordOptions o;
  bool have_encoding = false;
  std::string target;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--encoding" && has_value) {
      if (!mw::rfb::encoding_by_name(args[++i], o.encoding)) return std::nullopt;
      have_encoding = true;
    } else if (a == "--bpp" && has_value) {
      if (!parse_int(args[++i], 8, 32, o.bpp) || (o.bpp != 8 && o.bpp != 16 && o.bpp != 32))
        return std::nullopt;
    } else if (a == "--jpeg" && has_value) {
      if (!parse_int(args[++i], 0, 9, o.jpeg)) return std::nullopt;
    } else if (a == "--compress" && has_value) {
      if (!parse_int(args[++i], 0, 9, o.compress)) return std::nullopt;
    } else if (a == "--updates" && has_value) {
      if (!parse_int(args[++i], 1, 1 << 30, o.updates)) return std::nullopt;
    } else if (a == "--password" && has_value) {
      o.password = args[++i];
    } else if (a == "--seconds" && has_value) {
      char* end = nullptr;
      o.seconds = std::strtod(args[++i].c_str(), &end);
      // Bounded: a recording is a test fixture, not a surveillance tool.
      if (*end != '\0' || !(o.seconds > 0 && o.seconds <= 3600)) return std::nullopt;
    } else if (a.rfind("--", 0) == 0) {
      return std::nullopt;
    } else if (target.empty()) {
      target = a;
    } else if (o.out.empty()) {
      o.out = a;
    } else {
      return std::nullopt;
    }
  }
  const std::size_t colon = target.rfind(':');
  if (!have_encoding || o.seconds <= 0 || o.out.empty() || colon == std::string::npos ||
      colon == 0 || colon + 1 == target.size()) {
    return std::nullopt;
  }
  o.host = target.substr(0, colon);
  if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']')
    o.host = o.host.substr(1, o.host.size() - 2);
  o.port = target.substr(colon + 1);
  return o;
}

mw::rfb::ClientConfig record_config(const RecordOptions& o) {
  namespace enc = mw::rfb::encoding;
  mw::rfb::ClientConfig c;
  c.password = o.password;
  c.pixel_format = o.bpp == 32   ? mw::rfb::PixelFormat::rgb888()
                   : o.bpp == 16 ? mw::rfb::PixelFormat::rgb565()
                                 : mw::rfb::PixelFormat::rgb332();
  // Raw alone, or the named encoding with the pseudo-encodings every capture may need; Raw is
  // not listed with another encoding (RFC 6143 §7.7: a server may always use it), so that a
  // server that can send the named encoding does.
  if (o.encoding == enc::kRaw) {
    c.encodings = {enc::kRaw};
  } else {
    c.encodings = {o.encoding, enc::kDesktopSize, enc::kLastRect};
    if (o.jpeg >= 0) c.encodings.push_back(enc::kJpegQuality0 + o.jpeg);
    if (o.compress >= 0) c.encodings.push_back(enc::kCompressLevel0 + o.compress);
  }
  c.auto_update = true;
  return c;
}

// The recording itself; the file is written by the caller.
struct Recorded {
  mw::rfb::Capture capture;
  std::uint64_t updates = 0;
  std::string stats;
};

Result<Recorded> record(const RecordOptions& o) {
  auto fd_or = connect_to(o.host, o.port);
  if (!fd_or) return fd_or.error();
  const int fd = fd_or.value();
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};

  const auto config = record_config(o);
  mw::rfb::Client client(config);
  Recorded rec;
  std::vector<std::uint8_t> buf(1 << 16);
  // The handshake has its own bound, so that a server that never answers ends the command.
  const auto handshake_deadline = Clock::now() + std::chrono::seconds(30);
  Clock::time_point deadline{};
  // After `deadline` nothing more is requested: the update under way is completed (at most
  // `kGrace`), and the capture ends once the decoder has been idle for `kQuiet`.
  constexpr auto kGrace = std::chrono::seconds(30);
  constexpr auto kQuiet = std::chrono::milliseconds(300);
  bool requesting = true;
  for (;;) {
    const auto now = Clock::now();
    Clock::time_point until;
    if (!client.running()) {
      if (now >= handshake_deadline)
        return make_error("timeout", "the handshake did not finish within 30 s");
      until = handshake_deadline;
    } else if (requesting) {
      const bool enough =
          o.updates > 0 && client.decoder()->updates() >= static_cast<std::uint64_t>(o.updates);
      if (now >= deadline || enough) {
        requesting = false;
        deadline = now + kGrace;
        continue;
      }
      until = deadline;
    } else {
      if (now >= deadline)
        return make_error("timeout", "the server did not finish its last update");
      until = std::min(deadline, now + kQuiet);
    }
    pollfd p{fd, POLLIN, 0};
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
    const int ready = poll(&p, 1, static_cast<int>(std::max<long long>(wait, 0)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return make_error("io", std::string("poll: ") + std::strerror(errno));
    if (ready == 0) {
      if (!requesting && client.decoder() != nullptr && client.decoder()->idle()) break;
      continue;
    }
    const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error("io", std::string("recv: ") + std::strerror(errno));
    if (n == 0) {
      if (!client.running()) {
        const auto end = client.end_of_stream();
        if (auto f = failure_of(end)) return *f;
        return make_error("truncated", "the server closed the connection during the handshake");
      }
      // The server ended the session: what was recorded is the capture, if it ends cleanly.
      if (client.decoder()->idle()) break;
      return make_error("truncated", "the server closed the connection inside a message");
    }
    std::span<const std::uint8_t> data(buf.data(), static_cast<std::size_t>(n));
    // Byte by byte until ServerInit has been consumed: the rest of this read is the capture's.
    while (!data.empty() && !client.running()) {
      auto out = client.feed(data.first(1));
      data = data.subspan(1);
      if (auto f = failure_of(out)) return *f;
      if (auto ok = send_all(fd, out.send); !ok) return ok.error();
      if (client.running()) {
        const auto& s = client.server();
        rec.capture.width = s.width;
        rec.capture.height = s.height;
        rec.capture.format = config.pixel_format.value_or(s.server_format);
        rec.capture.encodings = config.encodings;
        rec.capture.name = s.name;
        rec.capture.server = "RFB 003.00" + std::to_string(s.version_minor);
        deadline =
            Clock::now() + std::chrono::microseconds(static_cast<long long>(o.seconds * 1e6));
      }
    }
    if (data.empty()) continue;
    rec.capture.bytes.insert(rec.capture.bytes.end(), data.begin(), data.end());
    auto out = client.feed(data);
    if (auto f = failure_of(out)) return *f;
    // The request that follows the last update wanted is not sent.
    const bool enough =
        o.updates > 0 && client.decoder()->updates() >= static_cast<std::uint64_t>(o.updates);
    if (requesting && !enough) {
      if (auto ok = send_all(fd, out.send); !ok) return ok.error();
    }
  }
  rec.updates = client.decoder()->updates();
  rec.stats = stats_line(*client.decoder());
  return rec;
}

int run_record(const std::vector<std::string>& args) {
  const auto o = parse_record(args);
  if (!o) return record_usage();
  auto rec = record(*o);
  if (!rec) {
    std::fprintf(stderr, "mwcodec rfb-record: %s: %s\n", rec.error().code.c_str(),
                 rec.error().message.c_str());
    return 1;
  }
  const std::string header = mw::rfb::capture_header(rec->capture);
  std::vector<std::uint8_t> file(header.begin(), header.end());
  file.insert(file.end(), rec->capture.bytes.begin(), rec->capture.bytes.end());
  if (ends_with(o->out, ".gz")) file = mw::rfb::gzip(file);
  if (file.empty()) {
    std::fprintf(stderr, "mwcodec rfb-record: zlib: compression failed\n");
    return 1;
  }
  if (auto ok = write_file(o->out, file); !ok) {
    std::fprintf(stderr, "mwcodec rfb-record: %s\n", ok.error().message.c_str());
    return 1;
  }
  std::printf("%s: %dx%d %s, %zu bytes recorded (%zu in the file), %llu updates; %s\n",
              o->out.c_str(), rec->capture.width, rec->capture.height,
              rec->capture.format.describe().c_str(), rec->capture.bytes.size(), file.size(),
              static_cast<unsigned long long>(rec->updates), rec->stats.c_str());
  return std::fflush(stdout) == 0 ? 0 : 1;
}

// [SECTION] rfb-decode

void put_be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void png_chunk(std::vector<std::uint8_t>& out, const char* type,
               std::span<const std::uint8_t> data) {
  put_be32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  uLong crc = crc32(0, nullptr, 0);
  crc = crc32(crc, out.data() + start, static_cast<uInt>(out.size() - start));
  put_be32(out, static_cast<std::uint32_t>(crc));
}

// A PNG of 8-bit RGB rows (filter type 0 on every row: the file is for looking at, not keeping).
Result<std::vector<std::uint8_t>> encode_png(int width, int height,
                                             std::span<const std::uint8_t> rgb) {
  std::vector<std::uint8_t> raw;
  raw.reserve(static_cast<std::size_t>(height) * (1 + static_cast<std::size_t>(width) * 3));
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);
    const auto row =
        rgb.subspan(static_cast<std::size_t>(y) * width * 3, static_cast<std::size_t>(width) * 3);
    raw.insert(raw.end(), row.begin(), row.end());
  }
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::vector<std::uint8_t> z(size);
  if (compress2(z.data(), &size, raw.data(), static_cast<uLong>(raw.size()), 9) != Z_OK) {
    return make_error("zlib", "PNG compression failed");
  }
  z.resize(size);
  std::vector<std::uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  std::vector<std::uint8_t> ihdr;
  put_be32(ihdr, static_cast<std::uint32_t>(width));
  put_be32(ihdr, static_cast<std::uint32_t>(height));
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8 bits, RGB, deflate, filter set 0, no interlace
  png_chunk(png, "IHDR", ihdr);
  png_chunk(png, "IDAT", z);
  png_chunk(png, "IEND", {});
  return png;
}

int decode_usage() {
  std::fprintf(stderr,
               "usage: mwcodec rfb-decode CAPTURE --png OUT.png\n"
               "  CAPTURE: a recording made by rfb-record (gzip-compressed or not)\n");
  return 2;
}

int run_decode(const std::vector<std::string>& args) {
  std::string path;
  std::string png_path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--png" && i + 1 < args.size()) {
      png_path = args[++i];
    } else if (path.empty() && args[i].rfind("--", 0) != 0) {
      path = args[i];
    } else {
      return decode_usage();
    }
  }
  if (path.empty() || png_path.empty()) return decode_usage();

  const auto file = read_file(path);
  if (!file) {
    std::fprintf(stderr, "mwcodec rfb-decode: %s\n", file.error().message.c_str());
    return 1;
  }
  const auto capture = mw::rfb::parse_capture(*file);
  if (!capture) {
    std::fprintf(stderr, "mwcodec rfb-decode: %s: %s\n", capture.error().code.c_str(),
                 capture.error().message.c_str());
    return 1;
  }
  mw::rfb::Decoder decoder(capture->width, capture->height, capture->format);
  std::vector<mw::rfb::Event> events;
  decoder.feed(capture->bytes, events);
  decoder.end_of_stream(events);
  for (const auto& e : events) {
    if (const auto* f = std::get_if<mw::rfb::Failed>(&e)) {
      std::fprintf(stderr, "mwcodec rfb-decode: %s: %s\n", f->error.code.c_str(),
                   f->error.message.c_str());
      return 1;
    }
  }

  const auto& fb = decoder.framebuffer();
  std::vector<std::uint8_t> rgb;
  rgb.reserve(fb.pixels().size() * 3);
  for (const mw::rfb::Rgba p : fb.pixels()) {
    rgb.push_back(mw::rfb::red_of(p));
    rgb.push_back(mw::rfb::green_of(p));
    rgb.push_back(mw::rfb::blue_of(p));
  }
  const auto png = encode_png(fb.width(), fb.height(), rgb);
  if (!png) {
    std::fprintf(stderr, "mwcodec rfb-decode: %s\n", png.error().message.c_str());
    return 1;
  }
  if (auto ok = write_file(png_path, *png); !ok) {
    std::fprintf(stderr, "mwcodec rfb-decode: %s\n", ok.error().message.c_str());
    return 1;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (const std::uint8_t b : mw::util::sha256(rgb)) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  std::printf("sha256 %s\n%dx%d, %llu updates; %s\n", hex.c_str(), fb.width(), fb.height(),
              static_cast<unsigned long long>(decoder.updates()), stats_line(decoder).c_str());
  return std::fflush(stdout) == 0 ? 0 : 1;
}

const mw::tools::Registration record_reg{"rfb-record",
                                         "HOST:PORT --encoding NAME [--bpp 32|16|8] [--jpeg Q] "
                                         "[--compress L] [--password P] --seconds S "
                                         "[--updates N] OUT",
                                         run_record};
const mw::tools::Registration decode_reg{"rfb-decode", "CAPTURE --png OUT.png", run_decode};

}  // namespace
