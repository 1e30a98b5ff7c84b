// "Scan network" probes (amt_scanner.hpp).
#include "amt/amt_scanner.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <map>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include "amt/tcp_link.hpp"
#include "mw/wsman/digest.hpp"
#include "mw/wsman/http.hpp"

namespace mw::server::amt {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {


std::optional<std::uint32_t> parse_address(std::string_view s) {
  std::uint32_t out = 0;
  int parts = 0;
  while (parts < 4) {
    unsigned v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p == s.data() || v > 255 || (p - s.data()) > 3) return std::nullopt;
    out = (out << 8) | v;
    ++parts;
    s.remove_prefix(static_cast<std::size_t>(p - s.data()));
    if (parts < 4) {
      if (s.empty() || s.front() != '.') return std::nullopt;
      s.remove_prefix(1);
    }
  }
  if (!s.empty()) return std::nullopt;
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

mw::Result<Ipv4Range> parse_ipv4_range(std::string_view text) {
  text = trim(text);
  Ipv4Range r;
  const auto bad = [&] { return make_error("bad-range", "\"" + std::string(text) + "\" is not an IPv4 address, range (a-b) or network (a/n)"); };
  if (const auto dash = text.find('-'); dash != std::string_view::npos) {
    const auto a = parse_address(trim(text.substr(0, dash))), b = parse_address(trim(text.substr(dash + 1)));
    if (!a || !b) return bad();
    if (*a > *b) return make_error("bad-range", "the range ends before it starts");
    r = {*a, *b};
  } else if (const auto slash = text.find('/'); slash != std::string_view::npos) {
    const auto a = parse_address(trim(text.substr(0, slash)));
    unsigned prefix = 0;
    const std::string_view p = trim(text.substr(slash + 1));
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (!a || ec != std::errc() || end != p.data() + p.size() || prefix > 32) return bad();
    if (prefix < 20) return make_error("too-large", "a network scan covers at most " + std::to_string(kMaxScanAddresses) + " addresses (/20)");
    const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
    r = {*a & mask, (*a & mask) | ~mask};
  } else {
    const auto a = parse_address(text);
    if (!a) return bad();
    r = {*a, *a};
  }
  if (r.size() > kMaxScanAddresses) {
    return make_error("too-large", "a network scan covers at most " + std::to_string(kMaxScanAddresses) + " addresses");
  }
  return r;
}

std::string ipv4_text(std::uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." + std::to_string((a >> 8) & 255) + "." +
         std::to_string(a & 255);
}

std::optional<ScanHit> read_probe_answer(std::string_view address, std::string_view http_head) {
  // Only the head was read: parse it as a message without a body (length headers dropped).
  const auto end = http_head.find("\r\n\r\n");
  if (end == std::string_view::npos) return std::nullopt;
  std::string head;
  for (std::size_t at = 0; at < end + 2;) {
    const auto eol = http_head.find("\r\n", at);
    const std::string_view line = http_head.substr(at, eol - at);
    at = eol + 2;
    std::string lower(line.substr(0, 20));
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower.rfind("content-length:", 0) == 0 || lower.rfind("transfer-encoding:", 0) == 0) continue;
    head.append(line).append("\r\n");
  }
  head += "Content-Length: 0\r\n\r\n";
  wsman::HttpParser parser(wsman::HttpRole::kResponse);
  std::vector<wsman::HttpMessage> messages;
  if (!parser.feed(std::string_view(head), messages) || messages.empty()) return std::nullopt;
  const wsman::HttpMessage& m = messages.front();
  ScanHit hit{std::string(address), {}, {}};
  const std::string_view server = m.header("Server");
  constexpr std::string_view kAmt = "Intel(R) Active Management Technology";
  const auto named = server.find(kAmt);
  if (named != std::string_view::npos) hit.version = std::string(trim(server.substr(named + kAmt.size())));
  if (m.status == 401) {
    if (auto c = wsman::parse_digest_challenge(m.header("WWW-Authenticate"))) hit.realm = c->realm;
  }
  // Intel AMT's Digest realm is "Digest:" and 32 hex digits; or it says who it is.
  const bool amt_realm = hit.realm.size() == 39 && hit.realm.rfind("Digest:", 0) == 0;
  if (!amt_realm && named == std::string_view::npos) return std::nullopt;
  return hit;
}

// One scan: the addresses left, the probes running, the hits.
struct AmtScanner::Scan : std::enable_shared_from_this<Scan> {
  Scan(asio::any_io_executor ex, std::uint16_t to_port, Ipv4Range range, std::function<void(std::vector<ScanHit>)> on_done,
       std::shared_ptr<std::atomic<std::size_t>> counter)
      : strand(asio::make_strand(ex)), pacer(strand), port(to_port), next(range.first), last(range.last),
        done(std::move(on_done)), running(std::move(counter)) {}

  struct Probe {
    explicit Probe(asio::strand<asio::any_io_executor>& s) : socket(s), timer(s) {}
    tcp::socket socket;                           // the plain port
    std::optional<ssl::stream<tcp::socket>> tls;  // then the TLS port, when the plain one refused
    asio::steady_timer timer;
    asio::streambuf in{8192};
    std::string request;
    std::uint32_t address = 0;
    tcp::socket& lowest() { return tls ? tls->next_layer() : socket; }
  };

  void start() {
    asio::post(strand, [self = shared_from_this()] { self->launch(); });
  }

  // Starts probes up to the concurrency limit, one per kPace.
  void launch() {
    if (waiting) return;
    if (exhausted || in_flight >= kConcurrency) return finish_if_done();
    const std::uint32_t address = next;
    if (next == last) exhausted = true; else ++next;
    probe(address);
    waiting = true;
    pacer.expires_after(kPace);
    pacer.async_wait([self = shared_from_this()](boost::system::error_code) {
      self->waiting = false;
      self->launch();
    });
  }

  void probe(std::uint32_t address) {
    ++in_flight;
    auto p = std::make_shared<Probe>(strand);
    p->address = address;
    p->request = "POST /wsman HTTP/1.1\r\nHost: " + ipv4_text(address) + ":" + std::to_string(port) +
                 "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    p->timer.expires_after(kProbeTimeout);
    p->timer.async_wait([p](boost::system::error_code ec) {
      if (!ec) p->lowest().close();  // the pending operation ends with an error
    });
    auto self = shared_from_this();
    p->socket.async_connect(tcp::endpoint(asio::ip::address_v4(address), port), [self, p](boost::system::error_code ec) {
      // Refused: Intel AMT configured for TLS keeps only 16993 open to the network.
      if (ec == asio::error::connection_refused) return self->probe_tls(p);
      if (ec) return self->probe_done(p, {});
      ask(p->socket, p, self);
    });
  }

  void probe_tls(const std::shared_ptr<Probe>& p) {
    boost::system::error_code ignored;
    p->socket.close(ignored);
    // Any certificate: a probe only asks who answers (nothing secret is sent).
    p->tls.emplace(tcp::socket(strand), amt_client_tls());
    auto self = shared_from_this();
    p->tls->next_layer().async_connect(
        tcp::endpoint(asio::ip::address_v4(p->address), static_cast<std::uint16_t>(port + 1)), [self, p](boost::system::error_code ec) {
          if (ec) return self->probe_done(p, {});
          p->tls->async_handshake(ssl::stream_base::client, [self, p](boost::system::error_code ec2) {
            if (ec2) return self->probe_done(p, {});
            ask(*p->tls, p, self);
          });
        });
  }

  // The unauthenticated POST and the head of its answer.
  template <class Stream>
  static void ask(Stream& stream, const std::shared_ptr<Probe>& p, const std::shared_ptr<Scan>& self) {
    asio::async_write(stream, asio::buffer(p->request), [self, p, &stream](boost::system::error_code ec2, std::size_t) {
      if (ec2) return self->probe_done(p, {});
      asio::async_read_until(stream, p->in, "\r\n\r\n", [self, p](boost::system::error_code ec3, std::size_t n) {
        if (ec3) return self->probe_done(p, {});
        const auto data = p->in.data();
        const std::string head(asio::buffers_begin(data), asio::buffers_begin(data) + static_cast<std::ptrdiff_t>(n));
        self->probe_done(p, head);
      });
    });
  }

  void probe_done(const std::shared_ptr<Probe>& p, const std::string& head) {
    p->timer.cancel();
    boost::system::error_code ignored;
    p->lowest().close(ignored);
    if (!head.empty()) {
      if (auto hit = read_probe_answer(ipv4_text(p->address), head)) {
        hit->tls = p->tls.has_value();
        hits.emplace(p->address, std::move(*hit));
      }
    }
    --in_flight;
    launch();
  }

  void finish_if_done() {
    if (!exhausted || in_flight > 0 || finished) return;
    finished = true;
    running->fetch_sub(1);
    std::vector<ScanHit> out;
    for (auto& [_, h] : hits) out.push_back(std::move(h));
    auto d = std::move(done);
    d(std::move(out));
  }

  asio::strand<asio::any_io_executor> strand;
  asio::steady_timer pacer;
  std::uint16_t port;
  std::uint32_t next, last;
  bool exhausted = false, waiting = false, finished = false;
  std::size_t in_flight = 0;
  std::map<std::uint32_t, ScanHit> hits;
  std::function<void(std::vector<ScanHit>)> done;
  std::shared_ptr<std::atomic<std::size_t>> running;
};

AmtScanner::AmtScanner(asio::any_io_executor ex, std::uint16_t port)
    : ex_(std::move(ex)), port_(port), running_(std::make_shared<std::atomic<std::size_t>>(0)) {}

AmtScanner::~AmtScanner() = default;

bool AmtScanner::scan(Ipv4Range range, std::function<void(std::vector<ScanHit>)> done) {
  if (running_->fetch_add(1) >= kMaxScans) {
    running_->fetch_sub(1);
    return false;
  }
  std::make_shared<Scan>(ex_, port_, range, std::move(done), running_)->start();
  return true;
}

std::size_t AmtScanner::running() const { return running_->load(); }

}  // namespace mw::server::amt
