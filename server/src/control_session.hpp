// The browser's control channel (/control.ashx WebSocket, over TLS or behind a TLS offloader):
// JSON messages with MeshCentral's action names, so MeshCentral's web app habits and its meshctrl
// tool carry over. The session authenticates first (x-meshauth header as meshctrl sends it, the
// "xid" session cookie, or ?auth=<session cookie>); a failure is answered as MeshCentral does
// ({"action":"close","cause":"noauth"}) and the channel closes. Then: "serverinfo" and
// "userinfo", live events for the user's subscriptions, and actions run on the store's thread
// (accounts/actions.hpp). Back-pressure: at most kMaxInFlight actions per session (reading pauses
// meanwhile) and kMaxQueued messages waiting to be written (a slower browser is disconnected).
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "accounts/event_bus.hpp"
#include "accounts/service.hpp"
#include "net.hpp"
#include "request_info.hpp"
#include "server_context.hpp"

namespace mw::server {

// Who opened a WebSocket (control channel, relays): NoUsers/User modes, the x-meshauth header as
// meshctrl sends it (password login, throttled), the "xid" session cookie or ?auth=. Calls `ok`
// with the user id or `refused` with a reason a person can read, on `ex`.
struct WebSocketCredentials {
  std::string meshauth, cookie, auth_param;
  static WebSocketCredentials from(const http::request<http::string_body>& upgrade);
};
void authenticate_websocket(const ServerContext& ctx, asio::any_io_executor ex, const DomainSettings& domain,
                            const std::string& client_ip, WebSocketCredentials creds,
                            std::function<void(std::string userid)> ok, std::function<void(std::string reason)> refused);

template <class NextLayer>
class ControlSession : public accounts::EventSink, public std::enable_shared_from_this<ControlSession<NextLayer>> {
 public:
  ControlSession(NextLayer stream, const ServerContext& ctx, std::string peer, const RequestInfo& info);
  ~ControlSession() override;
  void run(http::request<http::string_body> upgrade);
  void push(std::shared_ptr<const std::string> message) override;
  void end(std::string reason) override;

 private:
  static constexpr std::size_t kMaxQueued = 1024;
  static constexpr int kMaxInFlight = 16;
  void on_accept(beast::error_code ec);
  void authenticate();
  void refuse(const std::string& reason);
  void on_authenticated(std::string userid);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void run_action(nlohmann::json cmd);
  void run_agent_command(accounts::AgentCommandJob job);
  void send_notice(accounts::AgentNotice notice);
  void run_amt_scan(accounts::AmtScanJob job);
  accounts::ActionEnv action_env() const {
    auto env = accounts::env_for(domain_);
    env.presence = &ctx_.accounts->presence();
    if (!ctx_.amt_key.empty()) env.amt_key = &ctx_.amt_key;
    if (ctx_.cira) env.cira = &*ctx_.cira;
    env.wan_only = ctx_.settings.wan_only;
    env.email_check = ctx_.account_mail != nullptr;
    return env;
  }
  void send(std::shared_ptr<const std::string> text);
  void send(const nlohmann::json& message);
  void do_write();
  void close_after_writes();

  websocket::stream<NextLayer> ws_;
  const ServerContext& ctx_;
  std::string peer_;
  std::string client_ip_;
  const DomainSettings& domain_;
  WebSocketCredentials creds_;
  std::string userid_;
  beast::flat_buffer buffer_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  int in_flight_ = 0;
  bool reading_ = false;
  bool closing_ = false;
  bool registered_ = false;
};

// The value of `name` in the query of a request target, percent-decoded ("" if absent).
std::string query_param(std::string_view target, std::string_view name);



}  // namespace mw::server
