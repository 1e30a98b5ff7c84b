// LAN discovery of the server (discovery.hpp).
#include "discovery.hpp"

#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <stdexcept>
#include <vector>

#include "mw/native/lan_discovery.hpp"

namespace mw::agent {

namespace asio = boost::asio;
using udp = asio::ip::udp;
using asio::use_awaitable;
namespace nd = native::discovery;

asio::awaitable<std::string> discover_server(const proto::agent::Settings& settings, std::chrono::milliseconds wait) {
  const auto executor = co_await asio::this_coro::executor;
  const nd::Cipher cipher(settings.discovery_key);
  const std::string server_id = nd::probe(settings.server_id);  // answers name it the same way
  const std::string probe = cipher.seal(server_id);
  const auto port = static_cast<std::uint16_t>(settings.discovery_port > 0 ? settings.discovery_port : nd::kServerPort);
  const udp::endpoint group(asio::ip::make_address_v4(nd::kGroup4), port);

  udp::socket socket(executor, udp::endpoint(udp::v4(), 0));
  socket.set_option(asio::ip::multicast::enable_loopback(true));  // a server on this computer
  socket.set_option(asio::ip::multicast::hops(1));                // this network only
  std::size_t sent = 0;
  std::vector<std::string> interfaces = nd::ipv4_addresses();
  if (!settings.discovery_interface.empty()) interfaces = {settings.discovery_interface};
  for (const auto& a : interfaces) {
    boost::system::error_code ec;
    socket.set_option(asio::ip::multicast::outbound_interface(asio::ip::make_address_v4(a, ec)), ec);
    if (!ec) socket.send_to(asio::buffer(probe), group, 0, ec);
    if (!ec) ++sent;
  }
  if (sent == 0) {
    throw std::runtime_error("no network interface could send the LAN discovery request" +
                             (settings.discovery_interface.empty() ? std::string() : " (DiscoveryInterface=" + settings.discovery_interface + ")"));
  }

  // Answers until one names this server, or the time is up (the timer closes the socket).
  asio::steady_timer timer(executor);
  timer.expires_after(wait);
  timer.async_wait([&socket](const boost::system::error_code& ec) {
    if (!ec) socket.close();
  });
  std::array<char, nd::kMaxPacket + 64> buffer{};
  udp::endpoint from;
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n = co_await socket.async_receive_from(asio::buffer(buffer), from, asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    const auto plain = cipher.open(std::string_view(buffer.data(), n));
    if (!plain) continue;
    const auto answer = nd::parse(*plain);
    if (!answer || answer->server_id != server_id) continue;  // another server's, or not an answer
    timer.cancel();
    co_return nd::url_for(*answer, from.address().to_string());
  }
  throw std::runtime_error("no server answered the LAN discovery request on UDP port " + std::to_string(port));
}

}  // namespace mw::agent
