// LAN discovery on the server (MeshCentral's "mesh scanner"; the packets are in
// native/include/mw/native/lan_discovery.hpp): UDP on LocalDiscovery.port (16989) in the group
// 239.255.255.235 on every IPv4 interface and ff02::fe on every IPv6 one. An agent whose settings
// say MeshServer=local asks with this server's ServerID and gets the agent URL back; a
// "MeshServerScan" probe gets the URL with the server's name and information. Answers are
// limited to kAnswersPerSecond, so probes with forged sources cannot turn the server into a
// traffic source. A server whose web listener is bound to one address (PortBind) joins the group
// on that interface only and answers with that address. On unless WanOnly, or MeshScanner is false.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <boost/asio/ip/address.hpp>

#include <array>
#include <chrono>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mw/native/lan_discovery.hpp"
#include "settings.hpp"

namespace mw::server::agents {

class LanDiscovery {
 public:
  static constexpr int kAnswersPerSecond = 50;

  // `server_id`: the agents' ServerID (hex); `https_port`: the port agents connect to.
  LanDiscovery(boost::asio::io_context& ioc, const Settings& s, const std::string& title, std::string server_id, int https_port);
  ~LanDiscovery();
  // Binds and joins the groups; false (with `error` set) when the port cannot be bound.
  bool start();
  void stop();
  const std::string& error() const { return error_; }
  // IPv4 interfaces joined, for the startup line.
  std::size_t joined() const { return joined_; }

 private:
  struct Listener;
  void receive(std::shared_ptr<Listener> l);
  void answer(Listener& l, std::string_view packet);
  bool allow_answer();

  boost::asio::io_context& ioc_;
  std::uint16_t port_;
  std::optional<boost::asio::ip::address> bind_;  // PortBind, when the web listener has one address
  native::discovery::Cipher cipher_;
  std::string server_id_;
  std::string answer4_, answer6_, scan4_, scan6_;  // the four answers, formatted once
  std::vector<std::shared_ptr<Listener>> listeners_;
  std::string error_;
  std::size_t joined_ = 0;
  // Token bucket for answers (the IPv4 and IPv6 listeners may answer on two threads at once).
  std::mutex mu_;
  double tokens_ = kAnswersPerSecond;
  std::chrono::steady_clock::time_point refilled_ = std::chrono::steady_clock::now();
};

}  // namespace mw::server::agents
