// LAN devices over TCP (tcp_link.hpp).
#include "amt/tcp_link.hpp"

#include <array>
#include <deque>
#include <map>

#include "log.hpp"

namespace mw::server::amt {

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(10);

class TcpLink : public CiraLink, public std::enable_shared_from_this<TcpLink> {
 public:
  TcpLink(asio::any_io_executor ex, std::string nodeid, std::string host, std::string uuid)
      : strand_(asio::make_strand(ex)), resolver_(strand_), nodeid_(std::move(nodeid)), host_(std::move(host)),
        uuid_(std::move(uuid)) {}

  void open_channel(std::uint32_t port, std::shared_ptr<ChannelUser> user) override {
    asio::post(strand_, [self = shared_from_this(), port, user = std::move(user)]() mutable {
      const std::uint32_t id = self->next_id_++;
      auto c = std::make_shared<Conn>(self->strand_);
      c->user = std::move(user);
      self->conns_[id] = c;
      c->timer.expires_after(kConnectTimeout);
      c->timer.async_wait([self, id](beast::error_code ec) {
        if (!ec) self->fail(id, "timed out");
      });
      self->resolver_.async_resolve(self->host_, std::to_string(port),
                                    [self, id](beast::error_code ec, tcp::resolver::results_type r) {
                                      if (ec) return self->fail(id, ec.message());
                                      auto conn = self->find(id);
                                      if (!conn) return;
                                      asio::async_connect(conn->socket, r, [self, id](beast::error_code ec2, const tcp::endpoint&) {
                                        if (ec2) return self->fail(id, ec2.message());
                                        auto c2 = self->find(id);
                                        if (!c2) return;
                                        c2->timer.cancel();
                                        c2->open = true;
                                        c2->user->on_open(true, id);
                                        self->read(id);
                                      });
                                    });
    });
  }
  void send(std::uint32_t channel, std::vector<std::uint8_t> data) override {
    asio::dispatch(strand_, [self = shared_from_this(), channel, data = std::move(data)]() mutable {
      auto c = self->find(channel);
      if (!c || !c->open || data.empty()) return;
      c->wq.push_back(std::move(data));
      self->write(channel);
    });
  }
  void consume(std::uint32_t channel, std::size_t bytes) override {
    asio::dispatch(strand_, [self = shared_from_this(), channel, bytes] {
      auto c = self->find(channel);
      if (!c) return;
      c->unconsumed -= std::min(c->unconsumed, bytes);
      if (c->unconsumed == 0) self->read(channel);
    });
  }
  void close_channel(std::uint32_t channel) override {
    asio::dispatch(strand_, [self = shared_from_this(), channel] {
      auto c = self->find(channel);
      if (!c) return;
      // After what is queued has gone out.
      c->closing = true;
      if (c->wq.empty()) self->end(channel);
    });
  }
  const std::string& nodeid() const override { return nodeid_; }
  std::string uuid() const override { return uuid_.empty() ? host_ : uuid_; }
  void shutdown() override {
    asio::post(strand_, [self = shared_from_this()] {
      std::vector<std::uint32_t> ids;
      for (const auto& [id, c] : self->conns_) ids.push_back(id);
      for (auto id : ids) self->end(id);
    });
  }

 private:
  struct Conn {
    explicit Conn(asio::strand<asio::any_io_executor>& s) : socket(s), timer(s) {}
    tcp::socket socket;
    asio::steady_timer timer;
    std::shared_ptr<ChannelUser> user;
    std::array<std::uint8_t, 16 * 1024> buf{};
    std::deque<std::vector<std::uint8_t>> wq;
    std::size_t unconsumed = 0;
    bool open = false, reading = false, writing = false, closing = false;
  };

  std::shared_ptr<Conn> find(std::uint32_t id) {
    const auto it = conns_.find(id);
    return it == conns_.end() ? nullptr : it->second;
  }

  void read(std::uint32_t id) {
    auto c = find(id);
    if (!c || c->reading || c->unconsumed > 0 || c->closing) return;
    c->reading = true;
    c->socket.async_read_some(asio::buffer(c->buf), [self = shared_from_this(), id](beast::error_code ec, std::size_t n) {
      auto conn = self->find(id);
      if (!conn) return;
      conn->reading = false;
      if (ec) return self->end(id);
      conn->unconsumed += n;
      auto user = conn->user;  // the callback may close the channel
      user->on_data(std::span<const std::uint8_t>(conn->buf.data(), n));
    });
  }

  void write(std::uint32_t id) {
    auto c = find(id);
    if (!c || c->writing || c->wq.empty()) return;
    c->writing = true;
    asio::async_write(c->socket, asio::buffer(c->wq.front()), [self = shared_from_this(), id](beast::error_code ec, std::size_t) {
      auto conn = self->find(id);
      if (!conn) return;
      conn->writing = false;
      conn->wq.pop_front();
      if (ec) return self->end(id);
      if (conn->wq.empty()) {
        conn->user->on_drained();
        if (conn->closing) return self->end(id);
      }
      self->write(id);
    });
  }

  void fail(std::uint32_t id, const std::string& why) {
    auto c = find(id);
    if (!c || c->open) return;
    logger("amt")->info("{}: cannot connect to {}: {}", nodeid_, host_, why);
    conns_.erase(id);
    beast::error_code ec;
    c->socket.close(ec);
    c->timer.cancel();
    c->user->on_open(false, id);
  }

  void end(std::uint32_t id) {
    auto c = find(id);
    if (!c) return;
    conns_.erase(id);
    beast::error_code ec;
    c->socket.shutdown(tcp::socket::shutdown_both, ec);
    c->socket.close(ec);
    c->timer.cancel();
    if (c->open) c->user->on_closed(); else c->user->on_open(false, id);
  }

  asio::strand<asio::any_io_executor> strand_;
  tcp::resolver resolver_;
  std::string nodeid_, host_, uuid_;
  std::uint32_t next_id_ = 1;
  std::map<std::uint32_t, std::shared_ptr<Conn>> conns_;
};

}  // namespace

std::shared_ptr<CiraLink> make_tcp_link(asio::any_io_executor ex, std::string nodeid, std::string host, std::string uuid) {
  return std::make_shared<TcpLink>(std::move(ex), std::move(nodeid), std::move(host), std::move(uuid));
}

}  // namespace mw::server::amt
