// The MPS (server) end of one CIRA connection: accepts the device's version, services, login
// (decided by the owner), port registrations and keep-alives, and opens channels to its ports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mw/apf/session.hpp"

namespace mw::apf {

struct MpsConfig {
  SessionSettings session = [] {
    SessionSettings s;
    s.idle_timeout_ms = 90000;  // MeshCentral closes a CIRA connection after 90 s of silence
    return s;
  }();
  unsigned max_auth_attempts = 1;  // refused logins before DISCONNECT (MeshCentral: 1)
  std::size_t max_forwards = 32;   // registered ports per connection; more get REQUEST_FAILURE
  // KEEPALIVE_OPTIONS_REQUEST goes out right after this port is registered (the last one AMT
  // registers; MeshCentral and Open AMT do the same). 0: only request_keepalive_options().
  std::uint32_t keepalive_options_port = 5900;
  std::uint32_t keepalive_interval_s = 30;
  std::uint32_t keepalive_timeout_s = 0;
  // Channels the device opens (direct-tcpip, e.g. WS-Man events) are refused with "unknown
  // channel type" like the reference MPSs do, unless this is set: then the owner decides.
  bool accept_device_channels = false;
  std::string originator_address = "1.2.3.4";  // CHANNEL_OPEN source, as MeshCentral sends
};

enum class MpsState {
  kWaitVersion,  // nothing but keep-alives before PROTOCOLVERSION
  kWaitAuth,     // auth service / USERAUTH_REQUEST
  kAuthPending,  // the owner decides (input held)
  kWaitService,  // logged in, waiting for "pfwd@amt.intel.com"
  kRunning,      // ports, channels
  kClosed,
  kFailed,
};

struct Forward {
  std::string address;
  std::uint32_t port = 0;
};

class MpsSession : public Session {
 public:
  explicit MpsSession(MpsConfig config = {});

  // Answer to AuthRequested (ignored in any other state).
  void accept_auth();
  void reject_auth();
  // forwarded-tcpip to a registered port; `host` defaults to the address the device registered
  // it with. nullopt before kRunning, for a port not registered, or with max_channels open.
  std::optional<std::uint32_t> open_channel(std::uint32_t port, std::optional<std::string> host = std::nullopt);
  void request_keepalive_options(std::uint32_t interval_s, std::uint32_t timeout_s);

  MpsState state() const;
  const std::optional<ProtocolVersion>& version() const { return version_; }
  const std::string& username() const { return username_; }  // once authenticated
  const std::vector<Forward>& forwards() const { return forwards_; }
  bool forwarded(std::uint32_t port) const;

 private:
  void on_message(Message& message) override;
  bool channels_allowed() const override { return state_ == MpsState::kRunning; }
  void on_service(const ServiceRequest& m);
  void on_auth(UserAuthRequest& m);
  void on_global(const GlobalRequest& m);

  MpsConfig config_;
  MpsState state_ = MpsState::kWaitVersion;
  std::optional<ProtocolVersion> version_;
  std::string username_;
  std::string pending_user_;
  unsigned failed_logins_ = 0;
  std::vector<Forward> forwards_;
  std::uint32_t source_ports_ = 0;
};

}  // namespace mw::apf
