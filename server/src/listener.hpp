// A TCP acceptor bound with MeshCentral's port rule: the requested port, or when it is busy and
// ExactPorts is off, the next free one. Each accepted socket goes to `on_accept`.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "net.hpp"

namespace mw::server {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  using Handler = std::function<void(tcp::socket)>;

  // Binds now (throws std::runtime_error with a clear message when it cannot).
  Listener(asio::io_context& ioc, const std::string& bind_address, int port, bool exact_port, std::string name,
           Handler on_accept);
  void start();
  void stop();
  int port() const { return port_; }

 private:
  void do_accept();

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  std::string name_;
  Handler on_accept_;
  int port_ = 0;
};

}  // namespace mw::server
