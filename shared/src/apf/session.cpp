// Session base: input loop (with a hold while the owner decides a login), keep-alives, idle
// timeout, and the channel table with window flow control in both directions.
#include "mw/apf/session.hpp"

#include <algorithm>
#include <type_traits>
#include <utility>

namespace mw::apf {

namespace {

SessionSettings sanitize(SessionSettings s) {
  // A zero window or chunk would stall every channel; zero channels is a valid "no channels".
  s.receive_window = std::max<std::uint32_t>(s.receive_window, 1);
  s.max_send_chunk = std::max<std::uint32_t>(s.max_send_chunk, 1);
  // CHANNEL_DATA longer than the window we announce is a violation anyway, so the decoder need
  // not buffer more than that per connection (32 KiB instead of 1 MiB by default).
  s.limits.max_data = std::min<std::size_t>(s.limits.max_data, s.receive_window);
  return s;
}

std::uint32_t add_window(std::uint32_t window, std::uint32_t add) {
  // RFC 4254: a window never exceeds 2^32-1; a peer that pushes past it gets the maximum.
  const std::uint64_t sum = std::uint64_t{window} + add;
  return sum > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<std::uint32_t>(sum);
}

}  // namespace

Session::Session(SessionSettings settings)
    : settings_(sanitize(settings)), decoder_(settings_.limits), next_id_(settings_.first_channel_id) {}

// [SECTION] Input

void Session::feed(std::span<const std::uint8_t> bytes) {
  if (ended_ || bytes.empty()) return;
  rx_activity_ = true;
  if (paused_) {
    hold(bytes);
    return;
  }
  process(bytes);
}

void Session::process(std::span<const std::uint8_t> input) {
  while (!ended_) {
    auto r = decoder_.next(input);
    if (!r.ok()) {
      fail(r.error(), true);
      return;
    }
    if (!r.value()) return;
    dispatch(*r.value());
    if (paused_) {
      hold(input);
      return;
    }
  }
}

void Session::hold(std::span<const std::uint8_t> input) {
  if (input.empty() || ended_) return;
  if (held_.size() + input.size() > settings_.max_held_bytes) {
    fail(make_error("apf-held-overflow", "more than " + std::to_string(settings_.max_held_bytes) +
                                             " bytes arrived while the login was being decided"),
         true);
    return;
  }
  held_.insert(held_.end(), input.begin(), input.end());
}

void Session::resume() {
  paused_ = false;
  std::vector<std::uint8_t> held;
  held.swap(held_);
  process(held);  // if this pauses again, the rest goes back into (the now empty) held_
}

void Session::end_of_stream() {
  if (ended_) return;
  if (auto e = decoder_.finish()) {
    fail(*e, false);
    return;
  }
  end(Closed{});
}

void Session::tick(std::uint64_t now_ms) {
  if (ended_) return;
  if (!clock_started_) {
    clock_started_ = true;
    last_rx_ms_ = now_ms;
    last_keepalive_ms_ = now_ms;
  }
  if (rx_activity_) {
    rx_activity_ = false;
    last_rx_ms_ = now_ms;
  }
  const auto since = [now_ms](std::uint64_t t) { return now_ms >= t ? now_ms - t : 0; };
  if (settings_.idle_timeout_ms != 0 && since(last_rx_ms_) >= settings_.idle_timeout_ms) {
    fail(make_error("apf-idle-timeout",
                    "nothing received for " + std::to_string(since(last_rx_ms_)) + " ms"),
         false);
    return;
  }
  if (settings_.keepalive_interval_ms != 0 && since(last_keepalive_ms_) >= settings_.keepalive_interval_ms) {
    last_keepalive_ms_ = now_ms;
    send_keepalive();
  }
}

Output Session::take_output() {
  Output out = std::move(out_);
  out_ = Output{};
  return out;
}

// [SECTION] Dispatch

void Session::dispatch(Message& message) {
  if (auto* m = std::get_if<KeepAliveRequest>(&message)) {
    send(KeepAliveReply{m->cookie});
    emit(KeepAliveReceived{m->cookie});
  } else if (auto* r = std::get_if<KeepAliveReply>(&message)) {
    emit(KeepAliveAnswered{r->cookie});
  } else if (auto* d = std::get_if<Disconnect>(&message)) {
    end(Disconnected{d->reason});
  } else if (auto* j = std::get_if<JsonControl>(&message)) {
    emit(ControlReceived{std::move(j->json)});
  } else if (std::holds_alternative<ChannelOpenConfirmation>(message) ||
             std::holds_alternative<ChannelOpenFailure>(message) ||
             std::holds_alternative<ChannelWindowAdjust>(message) ||
             std::holds_alternative<ChannelData>(message) ||
             std::holds_alternative<ChannelEof>(message) ||
             std::holds_alternative<ChannelClose>(message)) {
    if (!channels_allowed()) {
      protocol_error("apf-out-of-order", std::string(message_name(static_cast<std::uint8_t>(message_type(message)))) +
                                             " before the port forwarding service started");
      return;
    }
    on_channel_message(message);
  } else if (std::holds_alternative<ChannelOpen>(message) && !channels_allowed()) {
    protocol_error("apf-out-of-order", "CHANNEL_OPEN before the port forwarding service started");
  } else {
    on_message(message);
  }
}

void Session::on_channel_message(Message& message) {
  std::visit(
      [this](auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, ChannelOpenConfirmation> || std::is_same_v<T, ChannelOpenFailure> ||
                      std::is_same_v<T, ChannelWindowAdjust> || std::is_same_v<T, ChannelData> ||
                      std::is_same_v<T, ChannelEof> || std::is_same_v<T, ChannelClose>) {
          const std::uint32_t id = m.recipient;
          auto it = channels_.find(id);
          // Ids we do not know (closed a moment ago, or never ours) are ignored, as the reference
          // MPSs do: a late WINDOW_ADJUST or DATA after a CLOSE crossing is normal.
          if (it == channels_.end()) return;
          Channel& ch = it->second;
          if constexpr (std::is_same_v<T, ChannelOpenConfirmation>) {
            if (ch.state != ChannelState::kOpening) return;
            ch.remote = m.sender;
            ch.send_window = m.window;
            ch.peer_max_packet = m.max_packet;
            ch.state = ChannelState::kOpen;
            emit(ChannelOpened{id});
            flush(id, ch);
          } else if constexpr (std::is_same_v<T, ChannelOpenFailure>) {
            if (ch.state != ChannelState::kOpening) return;
            channels_.erase(it);
            emit(ChannelOpenFailed{id, m.reason});
          } else if constexpr (std::is_same_v<T, ChannelWindowAdjust>) {
            if (ch.state != ChannelState::kOpen) return;
            ch.send_window = add_window(ch.send_window, m.bytes);
            flush(id, ch);
          } else if constexpr (std::is_same_v<T, ChannelData>) {
            if (ch.state != ChannelState::kOpen || m.data.empty()) return;  // after our CLOSE: dropped
            if (m.data.size() > ch.receive_window) {
              protocol_error("apf-window-exceeded",
                             "channel " + std::to_string(id) + " received " + std::to_string(m.data.size()) +
                                 " bytes with a window of " + std::to_string(ch.receive_window));
              return;
            }
            ch.receive_window -= static_cast<std::uint32_t>(m.data.size());
            ch.unconsumed += m.data.size();
            emit(ChannelReceived{id, std::vector<std::uint8_t>(m.data.begin(), m.data.end())});
          } else if constexpr (std::is_same_v<T, ChannelEof>) {
            if (ch.state == ChannelState::kOpen) emit(ChannelEofReceived{id});
          } else {  // ChannelClose
            if (ch.state == ChannelState::kOpen) send(ChannelClose{ch.remote});
            channels_.erase(it);
            emit(ChannelClosed{id});
          }
        }
      },
      message);
}

// [SECTION] Output helpers

void Session::send(const Message& message) { encode_to(message, out_.send); }

void Session::emit(Event event) { out_.events.push_back(std::move(event)); }

void Session::protocol_error(std::string code, std::string message) {
  fail(make_error(std::move(code), std::move(message)), true);
}

void Session::fail(Error error, bool send_disconnect) {
  if (ended_) return;
  if (send_disconnect) send(Disconnect{disconnect::kProtocolError});
  failed_ = true;
  end(Failed{std::move(error)});
}

void Session::end(Event last) {
  if (ended_) return;
  ended_ = true;
  paused_ = false;
  held_.clear();
  for (const auto& [id, ch] : channels_) emit(ChannelClosed{id});
  channels_.clear();
  emit(std::move(last));
}

void Session::disconnect(std::uint32_t reason) {
  if (ended_) return;
  send(Disconnect{reason});
  end(Closed{});
}

std::uint32_t Session::send_keepalive() {
  const std::uint32_t cookie = next_cookie_++;
  if (!ended_) send(KeepAliveRequest{cookie});
  return cookie;
}

// [SECTION] Channels

std::optional<std::uint32_t> Session::allocate_id() {
  if (channels_.size() >= settings_.max_channels) return std::nullopt;
  for (;;) {  // terminates: fewer than max_channels ids are taken
    const std::uint32_t id = next_id_++;
    if (channels_.find(id) == channels_.end()) return id;
  }
}

void Session::incoming_open(const ChannelOpen& open, std::uint32_t refuse) {
  std::optional<std::uint32_t> id;
  if (refuse == 0) {
    id = allocate_id();
    if (!id) refuse = open_failure::kResourceShortage;
  }
  if (refuse != 0) {
    send(ChannelOpenFailure{open.sender, refuse, {}, {}});
    return;
  }
  Channel ch;
  ch.remote = open.sender;
  ch.state = ChannelState::kPendingAccept;
  ch.port = open.connected_port;
  ch.send_window = open.window;
  ch.peer_max_packet = open.max_packet;
  ch.receive_window = settings_.receive_window;
  channels_.emplace(*id, std::move(ch));
  emit(ChannelOpenRequested{*id, open.type, open.connected_address, open.connected_port,
                            open.originator_address, open.originator_port});
}

std::optional<std::uint32_t> Session::outgoing_open(ChannelOpen open) {
  if (ended_) return std::nullopt;
  const auto id = allocate_id();
  if (!id) return std::nullopt;
  Channel ch;
  ch.state = ChannelState::kOpening;
  ch.outgoing = true;
  ch.port = open.connected_port;
  ch.receive_window = settings_.receive_window;
  channels_.emplace(*id, std::move(ch));
  open.sender = *id;
  open.window = settings_.receive_window;
  send(open);
  return id;
}

bool Session::accept_channel(std::uint32_t id) {
  auto it = channels_.find(id);
  if (ended_ || it == channels_.end() || it->second.state != ChannelState::kPendingAccept) return false;
  Channel& ch = it->second;
  ch.state = ChannelState::kOpen;
  send(ChannelOpenConfirmation{ch.remote, id, ch.receive_window, kNoMaxPacket});
  emit(ChannelOpened{id});
  return true;
}

bool Session::reject_channel(std::uint32_t id, std::uint32_t reason) {
  auto it = channels_.find(id);
  if (ended_ || it == channels_.end() || it->second.state != ChannelState::kPendingAccept) return false;
  send(ChannelOpenFailure{it->second.remote, reason, {}, {}});
  channels_.erase(it);
  return true;
}

bool Session::send_data(std::uint32_t id, std::span<const std::uint8_t> data) {
  auto it = channels_.find(id);
  if (ended_ || it == channels_.end()) return false;
  Channel& ch = it->second;
  if ((ch.state != ChannelState::kOpen && ch.state != ChannelState::kOpening) || ch.close_when_drained) {
    return false;
  }
  ch.queue.insert(ch.queue.end(), data.begin(), data.end());
  if (ch.state == ChannelState::kOpen) flush(id, ch);
  return true;
}

void Session::request_drained(std::uint32_t id) {
  auto it = channels_.find(id);
  if (ended_ || it == channels_.end()) return;
  Channel& ch = it->second;
  if (ch.head < ch.queue.size()) {
    ch.blocked = true;  // reported when flush() empties the queue
  } else {
    emit(ChannelDrained{id});
  }
}

void Session::flush(std::uint32_t id, Channel& ch) {
  // Never more than the peer's window; each message at most max_send_chunk and the peer's
  // maximum packet (0 there would stall, so it counts as "no limit").
  std::size_t chunk_cap = settings_.max_send_chunk;
  if (ch.peer_max_packet != 0) chunk_cap = std::min<std::size_t>(chunk_cap, ch.peer_max_packet);
  while (ch.head < ch.queue.size() && ch.send_window > 0) {
    const std::size_t n = std::min({ch.queue.size() - ch.head, std::size_t{ch.send_window}, chunk_cap});
    send(ChannelData{ch.remote, std::span<const std::uint8_t>(ch.queue).subspan(ch.head, n)});
    ch.head += n;
    ch.send_window -= static_cast<std::uint32_t>(n);
  }
  if (ch.head < ch.queue.size()) {
    ch.blocked = true;
    if (ch.head >= 64 * 1024 && ch.head * 2 >= ch.queue.size()) {  // keep the queue from creeping
      ch.queue.erase(ch.queue.begin(), ch.queue.begin() + static_cast<std::ptrdiff_t>(ch.head));
      ch.head = 0;
    }
    return;
  }
  ch.queue.clear();
  ch.head = 0;
  if (ch.blocked) {
    ch.blocked = false;
    emit(ChannelDrained{id});
  }
  if (ch.close_when_drained && ch.state == ChannelState::kOpen) {
    send(ChannelClose{ch.remote});
    ch.state = ChannelState::kClosing;
  }
}

void Session::consume(std::uint32_t id, std::size_t bytes) {
  auto it = channels_.find(id);
  if (ended_ || it == channels_.end()) return;
  Channel& ch = it->second;
  const std::size_t n = std::min(bytes, ch.unconsumed);
  ch.unconsumed -= n;
  ch.unacked += static_cast<std::uint32_t>(n);  // unacked + receive_window <= the announced window
  if (ch.state == ChannelState::kOpen && ch.unacked > settings_.receive_window / 2) {
    send(ChannelWindowAdjust{ch.remote, ch.unacked});
    ch.receive_window += ch.unacked;
    ch.unacked = 0;
  }
}

bool Session::close_channel(std::uint32_t id) {
  auto it = channels_.find(id);
  if (ended_ || it == channels_.end()) return false;
  Channel& ch = it->second;
  switch (ch.state) {
    case ChannelState::kPendingAccept:
      return reject_channel(id, open_failure::kConnectFailed);
    case ChannelState::kOpening:
      ch.close_when_drained = true;  // CLOSE goes out once the peer confirms and the queue is sent
      return true;
    case ChannelState::kOpen:
      ch.close_when_drained = true;
      flush(id, ch);
      return true;
    case ChannelState::kClosing:
      return true;
  }
  return false;
}

std::optional<ChannelInfo> Session::channel(std::uint32_t id) const {
  auto it = channels_.find(id);
  if (it == channels_.end()) return std::nullopt;
  const Channel& ch = it->second;
  ChannelInfo info;
  info.id = id;
  info.remote_id = ch.remote;
  info.state = ch.state;
  info.outgoing = ch.outgoing;
  info.port = ch.port;
  info.send_window = ch.send_window;
  info.receive_window = ch.receive_window;
  info.queued = ch.queue.size() - ch.head;
  info.unconsumed = ch.unconsumed;
  return info;
}

std::vector<std::uint32_t> Session::channel_ids() const {
  std::vector<std::uint32_t> ids;
  ids.reserve(channels_.size());
  for (const auto& [id, ch] : channels_) ids.push_back(id);
  return ids;
}

}  // namespace mw::apf
