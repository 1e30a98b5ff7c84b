// amtsim: simulated Intel AMT computers for tests, benchmarks and demonstrations (docs/amtsim.md).
//
// LAN mode: each device listens on its own loopback address (--first-ip, then the next ones) on
// the redirection port (16994, or --redir-port) and the WS-Management port (16992, or
// --wsman-port; 0 = an ephemeral port per device):
// - redirection with shared/redir's DeviceSession: Digest (and amtterm's plain user/password)
//   authentication with the device's admin credentials, then Serial-over-LAN to the simulated
//   serial console (console.hpp);
// - WS-Management over HTTP Digest (wsman_device.hpp): general settings, firmware versions, the
//   power state and power actions, which the serial console follows.
// One line per device on stdout when it listens:
//   device 1 uuid=... redir=127.0.0.2:16994 wsman=127.0.0.2:16992 power=on
// then "ready"; SIGINT/SIGTERM stop it. CIRA mode (connecting to an MPS), TLS ports and KVM are
// not simulated yet: --mode cira is refused with a message.
#include <openssl/rand.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <deque>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "console.hpp"
#include "mw/redir/session.hpp"
#include "wsman_device.hpp"
#include "mw/util/hex.hpp"
#include "mw/util/md5.hpp"
#include "mw/util/sha256.hpp"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using mw::amtsim::Console;
using mw::amtsim::ConsoleInfo;
using mw::amtsim::PowerState;

std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

std::string random_hex(std::size_t bytes) {
  std::vector<std::uint8_t> b(bytes);
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  return mw::util::hex_encode(b);
}

// A stable UUID per seed and device number (version 4 layout), so tests and repeated runs see the
// same devices.
std::string device_uuid(const std::string& seed, int index) {
  auto h = mw::util::sha256("amtsim/" + seed + "/" + std::to_string(index));
  h[6] = static_cast<std::uint8_t>((h[6] & 0x0F) | 0x40);
  h[8] = static_cast<std::uint8_t>((h[8] & 0x3F) | 0x80);
  const std::string x = mw::util::hex_encode(std::span<const std::uint8_t>(h.data(), 16));
  return x.substr(0, 8) + "-" + x.substr(8, 4) + "-" + x.substr(12, 4) + "-" + x.substr(16, 4) + "-" + x.substr(20, 12);
}

struct Device {
  ConsoleInfo info;
  PowerState power = PowerState::kOn;
  mw::redir::DeviceConfig redir;
  std::unique_ptr<mw::amtsim::WsmanDevice> wsman;
};

// One redirection connection: bytes in -> DeviceSession -> bytes out, SOL data to and from the
// console, heartbeats on a timer. Writes are queued and sent one at a time.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, const Device& device)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), session_(device.redir),
        console_(device.info, device.power) {}

  void start() {
    read();
    tick();
  }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(in_), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
      if (ec) {
        self->handle(self->session_.end_of_stream());
        self->stop();
        return;
      }
      self->handle(self->session_.feed({self->in_.data(), n}));
      if (!self->session_.finished()) self->read();
    });
  }

  void tick() {
    timer_.expires_after(std::chrono::milliseconds(250));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->stopped_) return;
      self->handle(self->session_.tick(now_ms()));
      self->tick();
    });
  }

  void handle(mw::redir::Output out) {
    send(std::move(out.send));
    for (auto& e : out.events) {
      if (const auto* ready = std::get_if<mw::redir::Ready>(&e)) {
        if (ready->type == mw::redir::SessionType::kSol) sol(console_.attach());
      } else if (const auto* typed = std::get_if<mw::redir::SolData>(&e)) {
        sol(console_.input(typed->data));
      } else if (const auto* failed = std::get_if<mw::redir::Failed>(&e)) {
        std::cerr << "amtsim: redirection session ended: " << failed->error.message << "\n";
      }
    }
    if (session_.finished()) closing_ = true;
    if (closing_ && writes_.empty() && !writing_) stop();
  }

  void sol(const std::string& text) {
    if (text.empty()) return;
    auto out = session_.send_sol_data({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    send(std::move(out.send));
  }

  void send(std::vector<std::uint8_t> bytes) {
    if (bytes.empty()) return;
    writes_.push_back(std::move(bytes));
    if (!writing_) write();
  }

  void write() {
    writing_ = true;
    asio::async_write(socket_, asio::buffer(writes_.front()), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      self->writing_ = false;
      if (ec) {
        self->stop();
        return;
      }
      self->writes_.pop_front();
      if (!self->writes_.empty()) {
        self->write();
      } else if (self->closing_) {
        self->stop();
      }
    });
  }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    timer_.cancel();
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  mw::redir::DeviceSession session_;
  Console console_;
  std::array<std::uint8_t, 4096> in_{};
  std::deque<std::vector<std::uint8_t>> writes_;
  bool writing_ = false;
  bool closing_ = false;
  bool stopped_ = false;
};

// One WS-Management connection (HTTP/1.1 with keep-alive): requests framed by HttpParser, each
// answered by the device's WsmanDevice in order.
class WsmanConnection : public std::enable_shared_from_this<WsmanConnection> {
 public:
  WsmanConnection(tcp::socket socket, Device& device)
      : socket_(std::move(socket)), device_(device), parser_(mw::wsman::HttpRole::kRequest) {}

  void start() { read(); }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(in_), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
      if (ec) return self->close();
      std::vector<mw::wsman::HttpMessage> requests;
      auto r = self->parser_.feed(std::span<const std::uint8_t>(self->in_.data(), n), requests);
      std::string out;
      bool keep = true;
      for (const auto& q : requests) {
        out += self->device_.wsman->handle(q);
        keep = keep && q.keep_alive();
      }
      if (!r) {
        out += "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        keep = false;
      }
      self->reply(std::move(out), keep);
    });
  }

  void reply(std::string out, bool keep) {
    if (out.empty()) {
      if (keep) read();
      return;
    }
    out_ = std::move(out);
    asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this(), keep](boost::system::error_code ec, std::size_t) {
      if (ec || !keep) return self->close();
      self->read();
    });
  }

  void close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  Device& device_;
  mw::wsman::HttpParser parser_;
  std::array<std::uint8_t, 8192> in_{};
  std::string out_;
};

void accept(tcp::acceptor& acceptor, Device& device) {
  acceptor.async_accept([&acceptor, &device](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) std::make_shared<Connection>(std::move(socket), device)->start();
    accept(acceptor, device);
  });
}

void accept_wsman(tcp::acceptor& acceptor, Device& device) {
  acceptor.async_accept([&acceptor, &device](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) std::make_shared<WsmanConnection>(std::move(socket), device)->start();
    accept_wsman(acceptor, device);
  });
}

// A listening socket on addr:port; nullptr (and a message) when it cannot listen.
std::unique_ptr<tcp::acceptor> listen(asio::io_context& io, const asio::ip::address_v4& addr, int port, int device,
                                      const char* what) {
  boost::system::error_code ec;
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  const tcp::endpoint ep(addr, static_cast<std::uint16_t>(port));
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::cerr << "amtsim: device " << device << ": cannot listen (" << what << ") on " << addr.to_string() << ":"
              << port << ": " << ec.message() << "\n";
    return nullptr;
  }
  return acceptor;
}

PowerState parse_power(const std::string& s) {
  if (s == "on") return PowerState::kOn;
  if (s == "sleep") return PowerState::kSleep;
  if (s == "hibernate") return PowerState::kHibernate;
  if (s == "off") return PowerState::kSoftOff;
  throw CLI::ValidationError("--power", "one of on, sleep, hibernate, off");
}

const char* power_name(PowerState p) {
  switch (p) {
    case PowerState::kOn: return "on";
    case PowerState::kSleep: return "sleep";
    case PowerState::kHibernate: return "hibernate";
    case PowerState::kSoftOff: return "off";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"amtsim: simulated Intel AMT computers (LAN mode: the redirection port with Serial-over-LAN)"};
  std::string mode = "lan", first_ip = "127.0.0.2", user = "admin", pass, power = "on", seed = "meshwork";
  int count = 1, redir_port = 16994, wsman_port = 16992;
  app.add_option("--mode", mode, "lan (each device on its own loopback address) or cira")->check(CLI::IsMember({"lan", "cira"}));
  app.add_option("--count", count, "number of devices")->check(CLI::Range(1, 10000));
  app.add_option("--first-ip", first_ip, "address of the first device; the next ones follow (127.0.0.2, 127.0.0.3, ...)");
  app.add_option("--amt-user", user, "admin user name of every device");
  app.add_option("--amt-pass", pass, "admin password of every device")->required();
  app.add_option("--redir-port", redir_port, "redirection port (0 = an ephemeral port per device)")->check(CLI::Range(0, 65535));
  app.add_option("--wsman-port", wsman_port, "WS-Management port (0 = an ephemeral port per device)")->check(CLI::Range(0, 65535));
  app.add_option("--power", power, "initial power state: on, sleep, hibernate, off");
  app.add_option("--seed", seed, "device UUIDs are derived from it and the device number");
  CLI11_PARSE(app, argc, argv);
  if (mode == "cira") {
    std::cerr << "amtsim: --mode cira is not simulated yet (LAN mode only); see docs/amtsim.md\n";
    return 2;
  }

  // One listening socket per device, and its connections: take the hard limit of descriptors.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  asio::io_context io;
  boost::system::error_code ec;
  const auto first = asio::ip::make_address_v4(first_ip, ec);
  if (ec) {
    std::cerr << "amtsim: --first-ip " << first_ip << " is not an IPv4 address\n";
    return 2;
  }
  std::vector<std::unique_ptr<Device>> devices;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  PowerState initial;
  try {
    initial = parse_power(power);
  } catch (const CLI::Error& e) {
    std::cerr << "amtsim: " << e.what() << "\n";
    return 2;
  }
  for (int i = 1; i <= count; ++i) {
    auto d = std::make_unique<Device>();
    d->info.index = i;
    d->info.uuid = device_uuid(seed, i);
    d->power = initial;
    d->redir.username = user;
    d->redir.password = pass;
    d->redir.md5_hex = [](std::string_view s) { return mw::util::hex_encode(mw::util::md5(s)); };
    d->redir.make_nonce = [] { return random_hex(16); };
    const asio::ip::address_v4 addr(first.to_uint() + static_cast<std::uint32_t>(i - 1));
    mw::amtsim::WsmanIdentity wid;
    wid.index = i;
    wid.uuid = d->info.uuid;
    wid.amt_version = d->info.amt_version;
    wid.username = user;
    wid.password = pass;
    wid.realm = random_hex(16);  // AMT's realm: "Digest:" and 32 upper-case hex digits
    for (char& c : wid.realm) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    wid.realm.insert(0, "Digest:");
    d->wsman = std::make_unique<mw::amtsim::WsmanDevice>(wid, d->power, random_hex);
    auto redir = listen(io, addr, redir_port, i, "redirection");
    auto wsman = redir ? listen(io, addr, wsman_port, i, "WS-Management") : nullptr;
    if (!redir || !wsman) return 1;
    std::cout << "device " << i << " uuid=" << d->info.uuid << " redir=" << addr.to_string() << ":"
              << redir->local_endpoint().port() << " wsman=" << addr.to_string() << ":"
              << wsman->local_endpoint().port() << " power=" << power_name(d->power) << "\n";
    accept(*redir, *d);
    accept_wsman(*wsman, *d);
    devices.push_back(std::move(d));
    acceptors.push_back(std::move(redir));
    acceptors.push_back(std::move(wsman));
  }
  std::cout << "ready" << std::endl;

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](boost::system::error_code, int) { io.stop(); });
  io.run();
  return 0;
}
