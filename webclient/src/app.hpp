// The browser app's core: state fed by the platform layer (control-channel messages, connection
// changes) and the ImGui views that draw it. Platform-free: no emscripten, no GL, no sockets, so
// the same views can be built natively for tests.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mw/proto/control.hpp"

namespace mw::web {

enum class Connection { kConnecting, kOpen, kClosed, kError };

class App {
 public:
  // Applies one control-channel text message; returns false when it was malformed.
  bool on_control_message(std::string_view text);
  void on_connection(Connection state, std::string detail = {});

  // Draws one frame of the whole UI into the current ImGui context (viewport-sized).
  void draw(float width, float height);

  Connection connection() const { return connection_; }
  const std::optional<proto::ServerInfo>& server_info() const { return info_; }
  // Increments whenever the visible state changes (the platform redraws and reports to tests).
  unsigned revision() const { return revision_; }

 private:
  void draw_header(float width);
  void draw_server_card(float width, float height);

  Connection connection_ = Connection::kConnecting;
  std::string detail_;
  std::optional<proto::ServerInfo> info_;
  unsigned revision_ = 0;
  int bad_messages_ = 0;
};

// Installs Meshwork's ImGui style (colours, rounding, spacing) scaled by `scale`.
void apply_theme(float scale);

}  // namespace mw::web
