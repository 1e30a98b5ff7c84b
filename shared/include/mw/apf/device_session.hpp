// The Intel AMT (device) end of a CIRA connection, for the amtsim simulator and tests: sends its
// version, logs in with a password, registers its ports one by one, answers keep-alive options
// and lets its owner serve the channels the MPS opens.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mw/apf/session.hpp"

namespace mw::apf {

struct DeviceConfig {
  SessionSettings session = [] {
    SessionSettings s;
    s.first_channel_id = 1;  // unlike the MPS's 4, so mixed-up ids show in tests
    return s;
  }();
  std::string username;  // CIRA user (MeshCentral: 16 characters of the device group id)
  std::string password;
  Uuid uuid{};
  std::uint32_t trigger = trigger::kUserInitiated;
  std::uint32_t major = 1;
  std::uint32_t minor = 0;
  std::string host;  // address in tcpip-forward (AMT's FQDN), may be empty
  // Registered in this order after login (MeshCentral's notes give AMT's order).
  std::vector<std::uint32_t> ports = {16993, 16992, 664, 623, 16995, 16994, 5900};
};

enum class DeviceState {
  kIdle,             // before start()
  kWaitAuthService,  // sent PROTOCOLVERSION and the auth service request
  kWaitAuth,         // sent USERAUTH_REQUEST
  kWaitPfwdService,  // logged in, asked for port forwarding
  kForwarding,       // registering the configured ports (channels already allowed)
  kRunning,
  kClosed,
  kFailed,
};

class DeviceSession : public Session {
 public:
  explicit DeviceSession(DeviceConfig config);

  void start();
  // Once forwarding: register or drop one more port (answered by ForwardAdded/Removed/Failed).
  bool add_forward(std::uint32_t port);
  bool cancel_forward(std::uint32_t port);
  // A direct-tcpip channel towards the MPS (the reference MPSs refuse these).
  std::optional<std::uint32_t> open_channel(std::string_view host, std::uint32_t port);

  DeviceState state() const;
  const std::vector<std::uint32_t>& forwarded_ports() const { return forwarded_; }

 private:
  struct PendingRequest {
    bool cancel = false;
    std::uint32_t port = 0;
  };

  void on_message(Message& message) override;
  bool channels_allowed() const override {
    return state_ == DeviceState::kForwarding || state_ == DeviceState::kRunning;
  }
  void on_reply(const Message& message);
  void request(bool cancel, std::uint32_t port);
  void next_port();

  DeviceConfig config_;
  DeviceState state_ = DeviceState::kIdle;
  std::size_t next_port_ = 0;  // index into config_.ports while kForwarding
  std::deque<PendingRequest> requests_;
  std::vector<std::uint32_t> forwarded_;
};

}  // namespace mw::apf
