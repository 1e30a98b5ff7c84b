// JSON encoding and parsing of control-channel messages with nlohmann/json (no exceptions used:
// parse errors come back as discarded values and type mismatches are checked before access).
#include "mw/proto/control.hpp"

#include <nlohmann/json.hpp>

namespace mw::proto {
namespace {

using nlohmann::json;

bool get_string(const json& obj, const char* key, std::string& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return true;  // optional
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

bool get_int(const json& obj, const char* key, int& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return true;
  if (!it->is_number_integer()) return false;
  const auto v = it->get<long long>();
  if (v < 0 || v > 65535) return false;  // every integer here is a TCP port
  out = static_cast<int>(v);
  return true;
}

}  // namespace

std::string encode(const ServerInfo& info) {
  json j = {{"action", "serverinfo"},
            {"serverinfo",
             {{"name", info.name},
              {"version", info.version},
              {"domain", info.domain},
              {"port", info.port},
              {"mpsport", info.mps_port}}}};
  return j.dump();
}

Result<ControlMessage> parse_control_message(std::string_view text) {
  const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return make_error("bad-json", "control message is not valid JSON");
  if (!j.is_object()) return make_error("bad-message", "control message is not a JSON object");
  auto action = j.find("action");
  if (action == j.end() || !action->is_string()) {
    return make_error("bad-message", "control message has no string \"action\"");
  }
  const auto& name = action->get_ref<const std::string&>();
  if (name == "serverinfo") {
    auto body = j.find("serverinfo");
    if (body == j.end() || !body->is_object()) {
      return make_error("bad-message", "serverinfo message has no \"serverinfo\" object");
    }
    ServerInfo info;
    if (!get_string(*body, "name", info.name) || !get_string(*body, "version", info.version) ||
        !get_string(*body, "domain", info.domain) || !get_int(*body, "port", info.port) ||
        !get_int(*body, "mpsport", info.mps_port)) {
      return make_error("bad-message", "serverinfo field has the wrong type or range");
    }
    return ControlMessage{info};
  }
  return ControlMessage{UnknownAction{name}};
}

}  // namespace mw::proto
