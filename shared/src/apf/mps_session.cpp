// MPS side of CIRA: version, auth service, owner-decided password login, pfwd service, port
// registrations (with the keep-alive options request after the last one), channels to AMT ports.
#include "mw/apf/mps_session.hpp"

#include <algorithm>
#include <utility>

namespace mw::apf {

MpsSession::MpsSession(MpsConfig config) : Session(config.session), config_(std::move(config)) {
  config_.max_auth_attempts = std::max(config_.max_auth_attempts, 1u);
}

MpsState MpsSession::state() const {
  if (finished()) return failed_ ? MpsState::kFailed : MpsState::kClosed;
  return state_;
}

bool MpsSession::forwarded(std::uint32_t port) const {
  return std::any_of(forwards_.begin(), forwards_.end(), [port](const Forward& f) { return f.port == port; });
}

void MpsSession::on_message(Message& message) {
  if (auto* v = std::get_if<ProtocolVersion>(&message)) {
    version_ = *v;
    if (state_ == MpsState::kWaitVersion) state_ = MpsState::kWaitAuth;
    emit(VersionReceived{*v});
  } else if (auto* s = std::get_if<ServiceRequest>(&message)) {
    on_service(*s);
  } else if (auto* a = std::get_if<UserAuthRequest>(&message)) {
    on_auth(*a);
  } else if (auto* g = std::get_if<GlobalRequest>(&message)) {
    on_global(*g);
  } else if (auto* o = std::get_if<ChannelOpen>(&message)) {
    const bool known = o->type == kDirectTcpip || o->type == kForwardedTcpip;
    incoming_open(*o, config_.accept_device_channels && known ? 0 : open_failure::kUnknownChannelType);
  } else if (auto* k = std::get_if<KeepAliveOptionsReply>(&message)) {
    emit(KeepAliveOptionsReceived{k->interval_s, k->timeout_s});
  } else {
    // What only an MPS sends (SERVICE_ACCEPT, USERAUTH_SUCCESS/FAILURE, REQUEST_SUCCESS/FAILURE
    // to requests we never make, KEEPALIVE_OPTIONS_REQUEST): a confused or hostile peer.
    protocol_error("apf-unexpected",
                   std::string(message_name(static_cast<std::uint8_t>(message_type(message)))) +
                       " is not sent by a device");
  }
}

void MpsSession::on_service(const ServiceRequest& m) {
  if (state_ == MpsState::kWaitVersion) {
    protocol_error("apf-out-of-order", "SERVICE_REQUEST before PROTOCOLVERSION");
    return;
  }
  const bool logged_in = state_ == MpsState::kWaitService || state_ == MpsState::kRunning;
  if (m.service == kServiceAuth) {
    send(ServiceAccept{m.service});
  } else if (m.service == kServicePfwd && logged_in) {
    send(ServiceAccept{m.service});
    state_ = MpsState::kRunning;
  } else {
    // RFC 4253 section 10: a refused service request gets a DISCONNECT. Port forwarding before
    // login is refused the same way (the reference MPSs grant it, which is unsafe).
    send(Disconnect{disconnect::kServiceNotAvailable});
    fail(make_error("apf-service-refused", "service \"" + m.service.substr(0, 64) + "\" refused" +
                                               (m.service == kServicePfwd ? " before login" : "")),
         false);
  }
}

void MpsSession::on_auth(UserAuthRequest& m) {
  if (state_ == MpsState::kWaitVersion) {
    protocol_error("apf-out-of-order", "USERAUTH_REQUEST before PROTOCOLVERSION");
    return;
  }
  if (state_ != MpsState::kWaitAuth) return;  // RFC 4252: requests after success are ignored
  if (m.method != kMethodPassword) {
    // "none" (or anything else): list what we take, without asking the owner.
    send(UserAuthFailure{std::string(kMethodPassword), false});
    emit(AuthFailed{std::move(m.username), std::move(m.method)});
    return;
  }
  pending_user_ = m.username;
  state_ = MpsState::kAuthPending;
  pause();
  emit(AuthRequested{std::move(m.username), std::move(m.password), std::move(m.service)});
}

void MpsSession::accept_auth() {
  if (finished() || state_ != MpsState::kAuthPending) return;
  username_ = std::move(pending_user_);
  pending_user_.clear();
  state_ = MpsState::kWaitService;
  send(UserAuthSuccess{});
  emit(Authenticated{username_});
  resume();
}

void MpsSession::reject_auth() {
  if (finished() || state_ != MpsState::kAuthPending) return;
  send(UserAuthFailure{std::string(kMethodPassword), false});
  emit(AuthFailed{std::move(pending_user_), std::string(kMethodPassword)});
  pending_user_.clear();
  state_ = MpsState::kWaitAuth;
  if (++failed_logins_ >= config_.max_auth_attempts) {
    disconnect(disconnect::kNoMoreAuthMethods);
    return;
  }
  resume();
}

void MpsSession::on_global(const GlobalRequest& m) {
  if (state_ != MpsState::kRunning) {
    protocol_error("apf-out-of-order", "GLOBAL_REQUEST before the port forwarding service started");
    return;
  }
  if (m.name == kTcpipForward) {
    if (forwarded(m.port)) {
      if (m.want_reply) send(RequestSuccess{m.port});
      return;
    }
    if (forwards_.size() >= config_.max_forwards) {
      if (m.want_reply) send(RequestFailure{});
      emit(ForwardFailed{m.address, m.port});
      return;
    }
    forwards_.push_back(Forward{m.address, m.port});
    if (m.want_reply) send(RequestSuccess{m.port});
    emit(ForwardAdded{m.address, m.port});
    if (config_.keepalive_options_port != 0 && m.port == config_.keepalive_options_port) {
      send(KeepAliveOptionsRequest{config_.keepalive_interval_s, config_.keepalive_timeout_s});
    }
  } else if (m.name == kCancelTcpipForward) {
    auto it = std::find_if(forwards_.begin(), forwards_.end(), [&m](const Forward& f) { return f.port == m.port; });
    if (it == forwards_.end()) {
      if (m.want_reply) send(RequestFailure{});
      return;
    }
    Forward gone = std::move(*it);
    forwards_.erase(it);
    if (m.want_reply) send(RequestSuccess{});
    emit(ForwardRemoved{std::move(gone.address), gone.port});
  } else {
    // udp-send-to@amt.intel.com: parsed and ignored, as by MeshCentral and Open AMT.
    if (m.want_reply) send(RequestFailure{});
  }
}

std::optional<std::uint32_t> MpsSession::open_channel(std::uint32_t port, std::optional<std::string> host) {
  if (finished() || state_ != MpsState::kRunning) return std::nullopt;
  auto it = std::find_if(forwards_.begin(), forwards_.end(), [port](const Forward& f) { return f.port == port; });
  if (it == forwards_.end()) return std::nullopt;
  ChannelOpen open;
  open.type = std::string(kForwardedTcpip);
  open.max_packet = kNoMaxPacket;
  open.connected_address = host ? std::move(*host) : it->address;
  open.connected_port = port;
  open.originator_address = config_.originator_address;
  open.originator_port = (source_ports_++ % 30000) + 1024;  // MeshCentral's source port rotation
  return outgoing_open(std::move(open));
}

void MpsSession::request_keepalive_options(std::uint32_t interval_s, std::uint32_t timeout_s) {
  if (finished() || (state_ != MpsState::kWaitService && state_ != MpsState::kRunning)) return;
  send(KeepAliveOptionsRequest{interval_s, timeout_s});
}

}  // namespace mw::apf
