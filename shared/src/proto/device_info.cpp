// Device page answers (device_info.hpp).
#include "mw/proto/device_info.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace mw::proto {
namespace {

using json = nlohmann::json;

std::string str(const json& o, const char* key) {
  const auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::uint64_t u64(const json& o, const char* key) {
  const auto it = o.find(key);
  return it != o.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

const json* object(const json& o, const char* key) {
  const auto it = o.find(key);
  return it != o.end() && it->is_object() ? &*it : nullptr;
}

const json* array(const json& o, const char* key) {
  const auto it = o.find(key);
  return it != o.end() && it->is_array() ? &*it : nullptr;
}

std::vector<std::string> strings(const json& o, const char* key) {
  std::vector<std::string> out;
  if (const json* a = array(o, key)) {
    for (const auto& v : *a) {
      if (v.is_string() && out.size() < kMaxListed) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

Result<json> message(std::string_view text, std::string_view action) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return make_error("bad-json", "the message is not JSON");
  if (!j.is_object() || str(j, "action") != action) {
    return make_error("bad-message", "not a \"" + std::string(action) + "\" message");
  }
  return j;
}

}  // namespace

Result<SystemInfo> parse_system_info(std::string_view text) {
  auto m = message(text, "getsysinfo");
  if (!m) return m.error();
  const json& j = m.value();
  SystemInfo s;
  s.nodeid = str(j, "nodeid");
  const json* d = object(j, "data");
  if (!d) return s;  // "noinfo"
  s.known = true;
  s.hostname = str(*d, "hostname");
  if (const json* os = object(*d, "os")) {
    s.os_name = str(*os, "name");
    s.os_version = str(*os, "version");
    s.kernel = str(*os, "kernel");
    s.arch = str(*os, "arch");
  }
  if (const json* cpu = object(*d, "cpu")) {
    s.cpu_model = str(*cpu, "model");
    s.cpu_cores = static_cast<int>(std::min<std::uint64_t>(u64(*cpu, "cores"), 100000));
  }
  if (const json* mem = object(*d, "memory")) {
    s.memory_total = u64(*mem, "total");
    s.memory_available = u64(*mem, "available");
  }
  if (const json* disks = array(*d, "disks")) {
    for (const auto& e : *disks) {
      if (!e.is_object() || s.disks.size() >= kMaxListed) continue;
      s.disks.push_back({str(e, "device"), str(e, "mount"), str(e, "fs"), u64(e, "size"), u64(e, "free")});
    }
  }
  if (const json* ifs = array(*d, "interfaces")) {
    for (const auto& e : *ifs) {
      if (!e.is_object() || s.interfaces.size() >= kMaxListed) continue;
      const auto lo = e.find("loopback");
      if (lo != e.end() && lo->is_boolean() && lo->get<bool>()) continue;
      const auto up = e.find("up");
      s.interfaces.push_back({str(e, "name"), str(e, "mac"), strings(e, "ipv4"), strings(e, "ipv6"),
                              up != e.end() && up->is_boolean() && up->get<bool>()});
    }
  }
  s.users = strings(*d, "users");
  if (const json* agent = object(*d, "agent")) s.agent_version = str(*agent, "ver");
  return s;
}

Result<EventList> parse_event_list(std::string_view text) {
  auto m = message(text, "events");
  if (!m) return m.error();
  const json& j = m.value();
  EventList list;
  list.nodeid = str(j, "nodeid");
  if (const json* events = array(j, "events")) {
    for (const auto& e : *events) {
      if (!e.is_object() || list.events.size() >= kMaxListed) continue;
      list.events.push_back({str(e, "time"), str(e, "username"), str(e, "action"), str(e, "etype"), str(e, "msg")});
    }
  }
  return list;
}

}  // namespace mw::proto
