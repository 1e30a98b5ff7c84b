// Listener: bind with port fallback, accept loop on its own strand, errors logged, never fatal.
#include "listener.hpp"

#include <stdexcept>

#include "log.hpp"

namespace mw::server {

Listener::Listener(asio::io_context& ioc, const std::string& bind_address, int port, bool exact_port,
                   std::string name, Handler on_accept)
    : ioc_(ioc), acceptor_(asio::make_strand(ioc)), name_(std::move(name)), on_accept_(std::move(on_accept)) {
  beast::error_code ec;
  const auto address = bind_address.empty() ? asio::ip::address(asio::ip::address_v6::any())
                                            : asio::ip::make_address(bind_address, ec);
  if (ec) throw std::runtime_error(name_ + ": invalid bind address \"" + bind_address + "\"");
  // Port 0 asks the OS for any free port; otherwise try `port`, then (unless exact) the next ones.
  const int attempts = (port == 0 || exact_port) ? 1 : 100;
  for (int i = 0; i < attempts; ++i) {
    const int p = port + i;
    if (p > 65535) break;
    tcp::endpoint ep(address, static_cast<unsigned short>(p));
    acceptor_.open(ep.protocol(), ec);
    if (ec) throw std::runtime_error(name_ + ": cannot open socket: " + ec.message());
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (address.is_v6()) acceptor_.set_option(asio::ip::v6_only(false), ec);
    acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) {
      port_ = acceptor_.local_endpoint().port();
      return;
    }
    const auto bind_error = ec;
    acceptor_.close(ec);
    if (bind_error != asio::error::address_in_use || exact_port) {
      throw std::runtime_error(name_ + ": cannot listen on port " + std::to_string(p) + ": " + bind_error.message() +
                               (exact_port ? " (ExactPorts is set, so no other port is tried)" : ""));
    }
  }
  throw std::runtime_error(name_ + ": no free port from " + std::to_string(port));
}

void Listener::start() {
  asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
}

void Listener::stop() {
  asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor_.close(ec);
  });
}

void Listener::do_accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [self = shared_from_this()](beast::error_code ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      logger("web")->warn("{} accept failed: {}", self->name_, ec.message());
    } else {
      // Interactive traffic (keys, pointer, terminal echo) and the last segment of each answer
      // go out at once instead of waiting for the peer's delayed acknowledgement (Nagle).
      beast::error_code ignored;
      s.set_option(tcp::no_delay(true), ignored);
      self->on_accept_(std::move(s));
    }
    if (self->acceptor_.is_open()) self->do_accept();
  });
}

}  // namespace mw::server
