// Control-channel messages (/control.ashx), shared by the server and the wasm client.
// Wire format is MeshCentral's: one JSON object per WebSocket text message, with an "action" field.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "mw/util/result.hpp"

namespace mw::proto {

// {"action":"serverinfo","serverinfo":{...}}: who the server is, sent first on every control channel.
struct ServerInfo {
  std::string name;     // server name: the Cert setting (host name) or the machine's name
  std::string version;  // Meshwork version
  std::string domain;   // "" for the default domain
  int port = 0;         // HTTPS port browsers and agents use (alias port when set)
  int mps_port = 0;     // Intel AMT MPS (CIRA) port, 0 when disabled

  bool operator==(const ServerInfo&) const = default;
};

// A message whose action this build does not model; kept so callers can log or ignore it.
struct UnknownAction {
  std::string action;
};

using ControlMessage = std::variant<ServerInfo, UnknownAction>;

std::string encode(const ServerInfo& info);

// Parses one control-channel text message. Malformed JSON, a missing "action" or fields of the
// wrong type give an Error value; this never throws.
Result<ControlMessage> parse_control_message(std::string_view text);

}  // namespace mw::proto
