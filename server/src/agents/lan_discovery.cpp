// LAN discovery on the server (lan_discovery.hpp).
#include "agents/lan_discovery.hpp"

#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/v6_only.hpp>

#include <algorithm>

#include "log.hpp"

namespace mw::server::agents {

namespace asio = boost::asio;
using udp = asio::ip::udp;
namespace nd = native::discovery;

struct LanDiscovery::Listener {
  explicit Listener(asio::io_context& ioc, bool ipv6) : socket(ioc), v6(ipv6) {}
  udp::socket socket;
  bool v6;
  std::array<char, nd::kMaxPacket + 64> buffer{};
  udp::endpoint from;
};

LanDiscovery::LanDiscovery(asio::io_context& ioc, const Settings& s, const std::string& title, std::string server_id, int https_port)
    : ioc_(ioc), port_(static_cast<std::uint16_t>(s.discovery_port)), cipher_(s.discovery_key), server_id_(std::move(server_id)) {
  // As MeshCentral: the agent puts the answering address in place of %s, unless the server has a
  // DNS name (a dotted Cert) and is not in LAN mode, where names may not resolve.
  const int port = s.alias_port > 0 ? s.alias_port : https_port;
  // A web listener bound to one address (PortBind) is reached there, and discovery answers only
  // on that interface.
  const bool by_address = s.lan_only || s.cert.find('.') == std::string::npos;
  boost::system::error_code ec;
  const auto bound = asio::ip::make_address(s.port_bind, ec);
  if (!ec && !bound.is_unspecified()) bind_ = bound;
  const std::string host4 = bind_ ? (bind_->is_v6() ? "[" + bind_->to_string() + "]" : bind_->to_string()) : "%s";
  const std::string host6 = bind_ ? host4 : "[%s]";
  const std::string tail = ":" + std::to_string(port) + "/agent.ashx";
  const std::string url4 = "wss://" + (by_address ? host4 : s.cert) + tail;
  const std::string url6 = "wss://" + (by_address ? host6 : s.cert) + tail;
  const std::string name = !s.discovery_name.empty() ? s.discovery_name : title.empty() ? "Meshwork" : title;
  const std::string info = !s.discovery_info.empty() ? s.discovery_info : s.cert;
  answer4_ = nd::format({server_id_, url4, "", ""});
  answer6_ = nd::format({server_id_, url6, "", ""});
  scan4_ = nd::format({server_id_, url4, name, info});
  scan6_ = nd::format({server_id_, url6, name, info});
}

LanDiscovery::~LanDiscovery() { stop(); }

bool LanDiscovery::start() {
  boost::system::error_code ec;
  // IPv4: one socket on the port, in the group on every interface (loopback included).
  auto v4 = std::make_shared<Listener>(ioc_, false);
  v4->socket.open(udp::v4(), ec);
  if (!ec) v4->socket.set_option(udp::socket::reuse_address(true), ec);
  if (!ec) v4->socket.bind(udp::endpoint(asio::ip::address_v4::any(), port_), ec);
  if (ec) {
    error_ = "UDP port " + std::to_string(port_) + ": " + ec.message();
    return false;
  }
  const auto group4 = asio::ip::make_address_v4(nd::kGroup4);
  std::vector<std::string> interfaces = nd::ipv4_addresses();
  if (bind_) interfaces = bind_->is_v4() ? std::vector<std::string>{bind_->to_string()} : std::vector<std::string>{};
  for (const auto& a : interfaces) {
    boost::system::error_code jec;
    v4->socket.set_option(asio::ip::multicast::join_group(group4, asio::ip::make_address_v4(a, jec)), jec);
    if (jec) logger("agents")->debug("LAN discovery: cannot join {} on {}: {}", nd::kGroup4, a, jec.message());
    else ++joined_;
  }
  listeners_.push_back(v4);
  receive(v4);
  if (bind_) return true;  // a bound server (PortBind) answers on its one interface only
  // IPv6, where the computer has it: ff02::fe on every interface with an address.
  auto v6 = std::make_shared<Listener>(ioc_, true);
  v6->socket.open(udp::v6(), ec);
  if (!ec) v6->socket.set_option(asio::ip::v6_only(true), ec);
  if (!ec) v6->socket.set_option(udp::socket::reuse_address(true), ec);
  if (!ec) v6->socket.bind(udp::endpoint(asio::ip::address_v6::any(), port_), ec);
  if (ec) {
    logger("agents")->debug("LAN discovery: no IPv6 ({})", ec.message());
    return true;
  }
  const auto group6 = asio::ip::make_address_v6(nd::kGroup6);
  for (const unsigned index : nd::ipv6_interfaces()) {
    boost::system::error_code jec;
    v6->socket.set_option(asio::ip::multicast::join_group(group6, index), jec);
    if (jec) logger("agents")->debug("LAN discovery: cannot join {} on interface {}: {}", nd::kGroup6, index, jec.message());
  }
  listeners_.push_back(v6);
  receive(v6);
  return true;
}

void LanDiscovery::stop() {
  for (auto& l : listeners_) {
    boost::system::error_code ec;
    l->socket.close(ec);
  }
  listeners_.clear();
}

void LanDiscovery::receive(std::shared_ptr<Listener> l) {
  l->socket.async_receive_from(asio::buffer(l->buffer), l->from, [this, l](const boost::system::error_code& ec, std::size_t n) {
    if (ec == asio::error::operation_aborted || !l->socket.is_open()) return;
    if (!ec) answer(*l, std::string_view(l->buffer.data(), n));
    receive(l);
  });
}

bool LanDiscovery::allow_answer() {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - refilled_).count();
  refilled_ = now;
  tokens_ = std::min<double>(kAnswersPerSecond, tokens_ + elapsed * kAnswersPerSecond);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void LanDiscovery::answer(Listener& l, std::string_view packet) {
  const auto plain = cipher_.open(packet);
  if (!plain) return;  // another key, or not a discovery packet
  const std::string* reply = nullptr;
  if (nd::is_probe_for(*plain, server_id_)) reply = l.v6 ? &answer6_ : &answer4_;
  else if (*plain == nd::kScan) reply = l.v6 ? &scan6_ : &scan4_;
  if (!reply || !allow_answer()) return;
  const std::string out = cipher_.seal(*reply);
  boost::system::error_code ec;
  l.socket.send_to(asio::buffer(out), l.from, 0, ec);  // a datagram: does not block
  if (ec) logger("agents")->debug("LAN discovery: answer to {} failed: {}", l.from.address().to_string(), ec.message());
}

}  // namespace mw::server::agents
