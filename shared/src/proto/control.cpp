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

std::string str(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int small_int(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return 0;
  const auto v = it->get<long long>();
  return v < 0 || v > 1'000'000 ? 0 : static_cast<int>(v);
}

std::uint32_t rights(const json& v) {
  if (!v.is_number()) return 0;
  if (v.is_number_float()) return 0;
  return static_cast<std::uint32_t>(v.get<long long>() & 0xFFFFFFFF);
}

std::optional<DeviceGroup> group_of(const json& m) {
  if (!m.is_object()) return std::nullopt;
  DeviceGroup g;
  g.id = str(m, "_id");
  if (g.id.empty()) return std::nullopt;
  g.name = str(m, "name");
  g.desc = str(m, "desc");
  g.mtype = small_int(m, "mtype");
  if (auto links = m.find("links"); links != m.end() && links->is_object()) {
    for (const auto& [uid, link] : links->items()) {
      if (!link.is_object() || g.members.size() >= 10000) continue;
      const auto r = link.find("rights");
      g.members.push_back({uid, str(link, "name"), r == link.end() ? 0 : rights(*r)});
    }
  }
  return g;
}

std::optional<Device> device_of(const json& n, const std::string& meshid) {
  if (!n.is_object()) return std::nullopt;
  Device d;
  d.id = str(n, "_id");
  if (d.id.empty()) return std::nullopt;
  d.meshid = meshid.empty() ? str(n, "meshid") : meshid;
  d.name = str(n, "name");
  d.host = str(n, "host");
  d.desc = str(n, "desc");
  d.icon = small_int(n, "icon");
  d.conn = small_int(n, "conn");
  d.pwr = small_int(n, "pwr");
  if (auto a = n.find("intelamt"); a != n.end() && a->is_object()) {
    // MeshCentral's warn bits: 1 unknown credentials, 2 realm mismatch, 4 TLS certificate mismatch, 8 trying.
    const int warn = small_int(*a, "warn");
    Device::IntelAmt amt{str(*a, "ver"), str(*a, "user"), str(*a, "uuid"), str(*a, "hostname"), (warn & 1) != 0,
                         (warn & 8) != 0, small_int(*a, "tls") == 1, str(*a, "hash"), (warn & 4) != 0};
    d.amt = std::move(amt);
  }
  if (auto t = n.find("tags"); t != n.end() && t->is_array()) {
    for (const auto& tag : *t) {
      if (tag.is_string()) d.tags.push_back(tag.get<std::string>());
    }
  }
  return d;
}

}  // namespace

std::string encode_request(std::string_view action) { return json{{"action", action}}.dump(); }

std::string encode(const ServerInfo& info) {
  json j = {{"action", "serverinfo"},
            {"serverinfo",
             {{"name", info.name},
              {"version", info.version},
              {"domain", info.domain},
              {"port", info.port},
              {"mpsport", info.mps_port}}}};
  if (info.emailcheck) j["serverinfo"]["emailcheck"] = true;
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
    if (auto e = body->find("emailcheck"); e != body->end() && e->is_boolean()) info.emailcheck = e->get<bool>();
    return ControlMessage{info};
  }
  if (name == "userinfo") {
    auto body = j.find("userinfo");
    if (body == j.end() || !body->is_object()) return make_error("bad-message", "userinfo message has no \"userinfo\" object");
    UserInfo u;
    u.id = str(*body, "_id");
    u.name = str(*body, "name");
    u.email = str(*body, "email");
    if (auto v = body->find("emailVerified"); v != body->end() && v->is_boolean()) u.email_verified = v->get<bool>();
    if (auto sa = body->find("siteadmin"); sa != body->end()) u.siteadmin = rights(*sa);
    if (auto links = body->find("links"); links != body->end() && links->is_object()) {
      for (const auto& [id, link] : links->items()) {
        if (id.rfind("mesh/", 0) == 0 && link.is_object() && link.contains("rights")) u.mesh_rights[id] = rights(link["rights"]);
      }
    }
    return ControlMessage{u};
  }
  if (name == "meshes") {
    DeviceGroups g;
    if (auto list = j.find("meshes"); list != j.end() && list->is_array()) {
      for (const auto& m : *list) {
        if (auto grp = group_of(m)) g.groups.push_back(std::move(*grp));
      }
    }
    return ControlMessage{g};
  }
  if (name == "nodes") {
    Devices d;
    if (auto map = j.find("nodes"); map != j.end() && map->is_object()) {
      for (const auto& [meshid, list] : map->items()) {
        if (!list.is_array()) continue;
        for (const auto& n : list) {
          if (auto dev = device_of(n, meshid)) d.devices.push_back(std::move(*dev));
        }
      }
    }
    return ControlMessage{d};
  }
  if (name == "event") {
    auto body = j.find("event");
    if (body == j.end() || !body->is_object()) return make_error("bad-message", "event message has no \"event\" object");
    Event e;
    e.etype = str(*body, "etype");
    e.action = str(*body, "action");
    e.msg = str(*body, "msg");
    e.userid = str(*body, "userid");
    e.meshid = str(*body, "meshid");
    e.nodeid = str(*body, "nodeid");
    if (auto m = body->find("mesh"); m != body->end()) e.mesh = group_of(*m);
    if (auto n = body->find("node"); n != body->end()) e.node = device_of(*n, "");
    if (body->contains("conn")) e.conn = small_int(*body, "conn");
    if (body->contains("pwr")) e.pwr = small_int(*body, "pwr");
    return ControlMessage{e};
  }
  if (name == "close") return ControlMessage{Close{str(j, "cause"), str(j, "msg"), str(j, "reason")}};
  return ControlMessage{UnknownAction{name}};
}

}  // namespace mw::proto
