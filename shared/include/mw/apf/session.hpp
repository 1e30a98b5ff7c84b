// What the two APF roles share: the events a session reports, its output, its settings, and the
// Session base with the channel table and window flow control. MpsSession (the server) and
// DeviceSession (Intel AMT, for amtsim and tests) build on it, one class per role.
//
// Use: feed() the bytes from the peer, tick() the time, call the owner actions, and after any of
// these write take_output().send to the peer and handle take_output().events. No I/O, no clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "mw/apf/decoder.hpp"
#include "mw/apf/messages.hpp"
#include "mw/util/result.hpp"

namespace mw::apf {

// [SECTION] Events

struct VersionReceived {  // PROTOCOLVERSION from the peer (MPS: identifies the device by UUID)
  ProtocolVersion version;
};
// MPS: the device asked to log in with a password. The session holds all further input until the
// owner calls accept_auth() or reject_auth().
struct AuthRequested {
  std::string username;
  std::string password;
  std::string service;
};
struct Authenticated {  // USERAUTH_SUCCESS sent (MPS) or received (device)
  std::string username;
};
struct AuthFailed {  // USERAUTH_FAILURE sent (MPS) or received (device; the session then ends)
  std::string username;
  std::string method;
};
struct ForwardAdded {  // tcpip-forward granted (MPS: the device registered the port)
  std::string address;
  std::uint32_t port = 0;
};
struct ForwardRemoved {  // cancel-tcpip-forward granted
  std::string address;
  std::uint32_t port = 0;
};
struct ForwardFailed {  // tcpip-forward refused
  std::string address;
  std::uint32_t port = 0;
};
struct Ready {};  // device: every configured port has its answer

// The peer opens a channel: call accept_channel() or reject_channel() (MPS: only with
// MpsConfig::accept_device_channels, otherwise refused without asking).
struct ChannelOpenRequested {
  std::uint32_t channel = 0;  // our id
  std::string type;
  std::string connected_address;
  std::uint32_t connected_port = 0;
  std::string originator_address;
  std::uint32_t originator_port = 0;
};
struct ChannelOpened {  // confirmed by the peer, or accepted by the owner
  std::uint32_t channel = 0;
};
struct ChannelOpenFailed {
  std::uint32_t channel = 0;
  std::uint32_t reason = 0;
};
// Bytes from the peer. Call consume() once they are handed on: that reopens the peer's window.
struct ChannelReceived {
  std::uint32_t channel = 0;
  std::vector<std::uint8_t> data;
};
struct ChannelDrained {  // data that had to wait for the peer's window is all sent
  std::uint32_t channel = 0;
};
struct ChannelEofReceived {  // the peer will send no more data (RFC 4254 EOF)
  std::uint32_t channel = 0;
};
struct ChannelClosed {  // the channel id is free; also reported for every channel when the session ends
  std::uint32_t channel = 0;
};
struct KeepAliveReceived {  // answered automatically
  std::uint32_t cookie = 0;
};
struct KeepAliveAnswered {  // the reply to our KEEPALIVE_REQUEST
  std::uint32_t cookie = 0;
};
// MPS: the device's KEEPALIVE_OPTIONS_REPLY; device: the MPS's request (answered automatically).
struct KeepAliveOptionsReceived {
  std::uint32_t interval_s = 0;
  std::uint32_t timeout_s = 0;
};
struct ControlReceived {  // MeshCentral's JSON_CONTROL
  std::string json;
};
// Terminal events: after one of these the session ignores input and the owner closes the socket.
struct Disconnected {  // the peer sent DISCONNECT
  std::uint32_t reason = 0;
};
struct Closed {};  // ended in order: disconnect(), end_of_stream(), or a device refused login
struct Failed {    // protocol error, hostile input, idle timeout or a truncated stream
  Error error;
};

using Event = std::variant<VersionReceived, AuthRequested, Authenticated, AuthFailed, ForwardAdded,
                           ForwardRemoved, ForwardFailed, Ready, ChannelOpenRequested,
                           ChannelOpened, ChannelOpenFailed, ChannelReceived, ChannelDrained,
                           ChannelEofReceived, ChannelClosed, KeepAliveReceived, KeepAliveAnswered,
                           KeepAliveOptionsReceived, ControlReceived, Disconnected, Closed, Failed>;

struct Output {
  std::vector<std::uint8_t> send;  // write to the peer, in this order
  std::vector<Event> events;
};

// [SECTION] Settings and channel view

struct SessionSettings {
  Limits limits;                             // decoder caps (max_data is lowered to receive_window)
  std::uint32_t receive_window = 32768;      // announced per channel (MeshCentral and Open AMT: 32768)
  std::uint32_t max_send_chunk = 32768;      // most payload per CHANNEL_DATA we send
  std::size_t max_channels = 32;             // open channels per connection, both directions
  std::uint32_t first_channel_id = 4;        // our ids count up from here (the reference MPSs use 4)
  std::uint64_t idle_timeout_ms = 0;         // nothing received for this long: Failed; 0 = never
  std::uint64_t keepalive_interval_ms = 0;   // send KEEPALIVE_REQUEST this often; 0 = never
  std::size_t max_held_bytes = 64 * 1024;    // input held while the owner decides on a login
};

enum class ChannelState {
  kOpening,        // we sent CHANNEL_OPEN
  kPendingAccept,  // the peer sent CHANNEL_OPEN; the owner decides
  kOpen,
  kClosing,        // we sent CHANNEL_CLOSE and wait for the peer's
};

struct ChannelInfo {
  std::uint32_t id = 0;         // ours: the recipient id in what the peer sends
  std::uint32_t remote_id = 0;  // the peer's: the recipient id in what we send
  ChannelState state = ChannelState::kOpening;
  bool outgoing = false;        // we opened it
  std::uint32_t port = 0;       // connected port of the CHANNEL_OPEN
  std::uint32_t send_window = 0;     // bytes the peer still accepts from us
  std::uint32_t receive_window = 0;  // bytes the peer may still send us
  std::size_t queued = 0;            // bytes waiting for send_window
  std::size_t unconsumed = 0;        // received, not yet consume()d
};

// [SECTION] Session

class Session {
 public:
  virtual ~Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Bytes from the peer, in any chunking.
  void feed(std::span<const std::uint8_t> bytes);
  // The peer closed the connection (Failed if it stopped inside a message, else Closed).
  void end_of_stream();
  // Time, monotonic milliseconds: idle timeout and periodic keep-alives. Receiving counts as
  // activity at the next tick, so call tick() at least once a second.
  void tick(std::uint64_t now_ms);
  // Everything to send and report since the last call.
  Output take_output();

  // Queues data on an opening or open channel; sent as the peer's window allows.
  bool send_data(std::uint32_t channel, std::span<const std::uint8_t> data);
  // ChannelDrained once everything queued on the channel has gone out (at once when nothing
  // waits for the peer's window), so a sender can pace itself by the peer's window.
  void request_drained(std::uint32_t channel);
  // The owner handed on `bytes` of received data: WINDOW_ADJUST once over half the window is due.
  void consume(std::uint32_t channel, std::size_t bytes);
  // Closes after the queued data is sent (before the peer's confirmation: right after it).
  bool close_channel(std::uint32_t channel);
  bool accept_channel(std::uint32_t channel);
  bool reject_channel(std::uint32_t channel, std::uint32_t reason = open_failure::kConnectFailed);
  std::uint32_t send_keepalive();  // returns the cookie
  void disconnect(std::uint32_t reason = disconnect::kByApplication);

  std::optional<ChannelInfo> channel(std::uint32_t id) const;
  std::vector<std::uint32_t> channel_ids() const;
  bool finished() const { return ended_; }

 protected:
  explicit Session(SessionSettings settings);

  // Role-specific messages (everything except keep-alives, DISCONNECT, JSON_CONTROL and the
  // channel messages after CHANNEL_OPEN, which this class handles).
  virtual void on_message(Message& message) = 0;
  virtual bool channels_allowed() const = 0;

  void send(const Message& message);
  void emit(Event event);
  void pause() { paused_ = true; }
  void resume();
  void protocol_error(std::string code, std::string message);
  void fail(Error error, bool send_disconnect);
  void end(Event last);  // closes every channel, reports `last`, ignores input from now on
  // CHANNEL_OPEN from the peer: refused with `refuse` when non-zero, else offered to the owner.
  void incoming_open(const ChannelOpen& open, std::uint32_t refuse);
  // Sends CHANNEL_OPEN (sender and window filled in); nullopt when max_channels are open.
  std::optional<std::uint32_t> outgoing_open(ChannelOpen open);

  SessionSettings settings_;  // (before decoder_: its limits come from here)
  Decoder decoder_;
  bool failed_ = false;

 private:
  struct Channel {
    std::uint32_t remote = 0;
    ChannelState state = ChannelState::kOpening;
    bool outgoing = false;
    std::uint32_t port = 0;
    std::uint32_t send_window = 0;
    std::uint32_t peer_max_packet = kNoMaxPacket;
    std::uint32_t receive_window = 0;
    std::uint32_t unacked = 0;    // consumed, not yet returned by WINDOW_ADJUST
    std::size_t unconsumed = 0;
    std::vector<std::uint8_t> queue;
    std::size_t head = 0;         // queue[head..] is still to send
    bool close_when_drained = false;
    bool blocked = false;         // data waited for the window (report ChannelDrained)
  };

  void process(std::span<const std::uint8_t> input);
  void hold(std::span<const std::uint8_t> input);
  void dispatch(Message& message);
  void on_channel_message(Message& message);
  void flush(std::uint32_t id, Channel& ch);
  std::optional<std::uint32_t> allocate_id();

  Output out_;
  std::map<std::uint32_t, Channel> channels_;
  std::uint32_t next_id_;
  std::vector<std::uint8_t> held_;
  bool paused_ = false;
  bool ended_ = false;
  bool rx_activity_ = false;
  bool clock_started_ = false;
  std::uint64_t last_rx_ms_ = 0;
  std::uint64_t last_keepalive_ms_ = 0;
  std::uint32_t next_cookie_ = 1;
};

}  // namespace mw::apf
