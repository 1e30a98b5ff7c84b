// Control channel session: WebSocket accept with timeouts and a message size cap, a read loop
// that parses each message with the shared proto codec, and a bounded write queue.
#include "control_session.hpp"

#include "log.hpp"

namespace mw::server {

template <class NextLayer>
ControlSession<NextLayer>::ControlSession(NextLayer stream, const ServerContext& ctx, std::string peer,
                                          const RequestInfo& info)
    : ws_(std::move(stream)), ctx_(ctx), peer_(std::move(peer)), domain_(*info.domain) {
  ctx_.metrics.control_sessions.fetch_add(1, std::memory_order_relaxed);
}

template <class NextLayer>
ControlSession<NextLayer>::~ControlSession() {
  ctx_.metrics.control_sessions.fetch_sub(1, std::memory_order_relaxed);
}

template <class NextLayer>
void ControlSession<NextLayer>::run(http::request<http::string_body> upgrade) {
  beast::get_lowest_layer(ws_).expires_never();  // the websocket stream has its own timeouts
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "Meshwork"); }));
  ws_.read_message_max(ctx_.limits.websocket_message_bytes);
  auto req = std::make_shared<http::request<http::string_body>>(std::move(upgrade));
  ws_.async_accept(*req, [self = this->shared_from_this(), req](beast::error_code ec) { self->on_accept(ec); });
}

template <class NextLayer>
void ControlSession<NextLayer>::on_accept(beast::error_code ec) {
  if (ec) {
    logger("control")->debug("{} websocket accept failed: {}", peer_, ec.message());
    return;
  }
  logger("control")->debug("{} control channel open (domain \"{}\")", peer_, domain_.id);
  proto::ServerInfo info = ctx_.info;
  info.domain = domain_.id;
  send(proto::encode(info));
  do_read();
}

template <class NextLayer>
void ControlSession<NextLayer>::do_read() {
  ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
}

template <class NextLayer>
void ControlSession<NextLayer>::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    if (ec != websocket::error::closed) logger("control")->debug("{} control channel ended: {}", peer_, ec.message());
    return;
  }
  const std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  auto msg = proto::parse_control_message(text);
  if (!msg) {
    logger("control")->debug("{} bad control message: {}", peer_, msg.error().message);
  } else if (auto* unknown = std::get_if<proto::UnknownAction>(&msg.value())) {
    // Actions arrive with accounts and rights (the accounts work); until then none is accepted.
    logger("control")->debug("{} control action \"{}\" not available", peer_, unknown->action);
  }
  do_read();
}

template <class NextLayer>
void ControlSession<NextLayer>::send(std::string text) {
  if (queue_.size() >= kMaxQueued) {
    logger("control")->warn("{} control channel write queue full; closing", peer_);
    beast::get_lowest_layer(ws_).close();
    return;
  }
  queue_.push_back(std::move(text));
  if (queue_.size() == 1) do_write();
}

template <class NextLayer>
void ControlSession<NextLayer>::do_write() {
  ws_.text(true);
  ws_.async_write(asio::buffer(queue_.front()), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) return;
    self->queue_.pop_front();
    if (!self->queue_.empty()) self->do_write();
  });
}

template class ControlSession<beast::ssl_stream<beast::tcp_stream>>;
template class ControlSession<beast::tcp_stream>;

}  // namespace mw::server
