// Device side of CIRA (what Intel AMT firmware does): version, auth service, password login,
// pfwd service, one tcpip-forward at a time, keep-alive options, channels opened by the MPS.
#include "mw/apf/device_session.hpp"

#include <algorithm>
#include <utility>

namespace mw::apf {

DeviceSession::DeviceSession(DeviceConfig config) : Session(config.session), config_(std::move(config)) {}

DeviceState DeviceSession::state() const {
  if (finished()) return failed_ ? DeviceState::kFailed : DeviceState::kClosed;
  return state_;
}

void DeviceSession::start() {
  if (finished() || state_ != DeviceState::kIdle) return;
  send(ProtocolVersion{config_.major, config_.minor, config_.trigger, config_.uuid});
  send(ServiceRequest{std::string(kServiceAuth)});
  state_ = DeviceState::kWaitAuthService;
}

void DeviceSession::on_message(Message& message) {
  const auto unexpected = [this, &message] {
    protocol_error("apf-unexpected", std::string(message_name(static_cast<std::uint8_t>(message_type(message)))) +
                                         " in device state " + std::to_string(static_cast<int>(state_)));
  };
  if (auto* v = std::get_if<ProtocolVersion>(&message)) {
    emit(VersionReceived{*v});  // an MPS need not send one; LMS-style peers echo theirs
  } else if (auto* a = std::get_if<ServiceAccept>(&message)) {
    if (state_ == DeviceState::kWaitAuthService && a->service == kServiceAuth) {
      send(UserAuthRequest{config_.username, std::string(kServicePfwd), std::string(kMethodPassword),
                           config_.password, false, {}});
      state_ = DeviceState::kWaitAuth;
    } else if (state_ == DeviceState::kWaitPfwdService && a->service == kServicePfwd) {
      state_ = DeviceState::kForwarding;
      next_port();
    } else {
      unexpected();
    }
  } else if (std::holds_alternative<UserAuthSuccess>(message)) {
    if (state_ != DeviceState::kWaitAuth) return unexpected();
    emit(Authenticated{config_.username});
    send(ServiceRequest{std::string(kServicePfwd)});
    state_ = DeviceState::kWaitPfwdService;
  } else if (std::holds_alternative<UserAuthFailure>(message)) {
    if (state_ != DeviceState::kWaitAuth) return unexpected();
    // One password, no second try: report it and end (the owner closes the connection).
    emit(AuthFailed{config_.username, std::string(kMethodPassword)});
    end(Closed{});
  } else if (std::holds_alternative<RequestSuccess>(message) || std::holds_alternative<RequestFailure>(message)) {
    on_reply(message);
  } else if (auto* o = std::get_if<ChannelOpen>(&message)) {
    incoming_open(*o, o->type == kForwardedTcpip ? 0 : open_failure::kUnknownChannelType);
  } else if (auto* k = std::get_if<KeepAliveOptionsRequest>(&message)) {
    // Accepted as asked: the interval drives our KEEPALIVE_REQUESTs (tick()).
    send(KeepAliveOptionsReply{k->interval_s, k->timeout_s});
    settings_.keepalive_interval_ms = std::uint64_t{k->interval_s} * 1000;
    emit(KeepAliveOptionsReceived{k->interval_s, k->timeout_s});
  } else {
    unexpected();  // what only a device sends
  }
}

void DeviceSession::request(bool cancel, std::uint32_t port) {
  requests_.push_back(PendingRequest{cancel, port});
  // Tell the decoder which REQUEST_SUCCESS form answers this request (it has no length).
  decoder_.expect_reply(cancel ? ReplyForm::kBare : ReplyForm::kWithPort);
  send(GlobalRequest{std::string(cancel ? kCancelTcpipForward : kTcpipForward), true, config_.host, port, {}, 0, {}});
}

void DeviceSession::next_port() {
  if (next_port_ < config_.ports.size()) {
    request(false, config_.ports[next_port_++]);
    return;
  }
  state_ = DeviceState::kRunning;
  emit(Ready{});
}

void DeviceSession::on_reply(const Message& message) {
  if (requests_.empty()) {
    protocol_error("apf-unexpected", "REQUEST_SUCCESS/FAILURE without a request");
    return;
  }
  const PendingRequest req = requests_.front();
  requests_.pop_front();
  const auto* ok = std::get_if<RequestSuccess>(&message);
  if (req.cancel) {
    auto it = std::find(forwarded_.begin(), forwarded_.end(), req.port);
    if (ok && it != forwarded_.end()) {
      forwarded_.erase(it);
      emit(ForwardRemoved{config_.host, req.port});
    }
  } else if (ok) {
    if (std::find(forwarded_.begin(), forwarded_.end(), req.port) == forwarded_.end()) forwarded_.push_back(req.port);
    emit(ForwardAdded{config_.host, ok->port.value_or(req.port)});
  } else {
    emit(ForwardFailed{config_.host, req.port});
  }
  // Registration is one port at a time: the next goes out once this one is answered.
  if (state_ == DeviceState::kForwarding && requests_.empty()) next_port();
}

bool DeviceSession::add_forward(std::uint32_t port) {
  if (finished() || state_ != DeviceState::kRunning) return false;
  request(false, port);
  return true;
}

bool DeviceSession::cancel_forward(std::uint32_t port) {
  if (finished() || state_ != DeviceState::kRunning) return false;
  request(true, port);
  return true;
}

std::optional<std::uint32_t> DeviceSession::open_channel(std::string_view host, std::uint32_t port) {
  if (finished() || !channels_allowed()) return std::nullopt;
  ChannelOpen open;
  open.type = std::string(kDirectTcpip);
  open.connected_address = std::string(host);
  open.connected_port = port;
  open.originator_address = config_.host;
  open.originator_port = port;
  return outgoing_open(std::move(open));
}

}  // namespace mw::apf
