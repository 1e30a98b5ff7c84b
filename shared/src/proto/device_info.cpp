// Device page answers (device_info.hpp).
#include "mw/proto/device_info.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "json_fields.hpp"

namespace mw::proto {
namespace {

using namespace fields;

std::vector<std::string> strings(const json& o, const char* key) { return fields::strings(o, key, kMaxListed); }

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

Result<AmtDetails> parse_amt_details(std::string_view text) {
  auto m = message(text, "amtinfo");
  if (!m) return m.error();
  const json& j = m.value();
  AmtDetails d{str(j, "nodeid"), str(j, "what"), str(j, "result"), std::nullopt, {}, {}};
  auto part = [](const json* p) {
    return p ? AmtDetails::Part{str(*p, "manufacturer"), str(*p, "model"), str(*p, "serial"), str(*p, "version")} : AmtDetails::Part{};
  };
  if (const json* hw = object(j, "hardware")) {
    AmtDetails::Hardware h;
    h.platform_guid = str(*hw, "platformGuid");
    h.chassis = part(object(*hw, "chassis"));
    h.baseboard = part(object(*hw, "baseboard"));
    if (const json* bios = object(*hw, "bios")) {
      h.bios_manufacturer = str(*bios, "manufacturer");
      h.bios_version = str(*bios, "version");
      h.bios_date = str(*bios, "releaseDate");
    }
    if (const json* cpus = array(*hw, "processors")) {
      for (const auto& c : *cpus) {
        if (c.is_object() && h.processors.size() < kMaxListed) h.processors.push_back({str(c, "id"), u64(c, "maxClockSpeed"), u64(c, "currentClockSpeed")});
      }
    }
    if (const json* mem = array(*hw, "memory")) {
      for (const auto& x : *mem) {
        if (x.is_object() && h.memory.size() < kMaxListed) {
          h.memory.push_back({str(x, "bank"), str(x, "manufacturer"), str(x, "partNumber"), str(x, "serial"), u64(x, "capacity"), u64(x, "speed")});
        }
      }
    }
    d.hardware = std::move(h);
  }
  if (const json* events = array(j, "events")) {
    for (const auto& e : *events) {
      if (e.is_object() && d.events.size() < kMaxListed) d.events.push_back({u64(e, "time"), str(e, "entity"), str(e, "description"), str(e, "severity")});
    }
  }
  if (const json* audit = array(j, "audit")) {
    for (const auto& e : *audit) {
      if (e.is_object() && d.audit.size() < kMaxListed) d.audit.push_back({u64(e, "time"), str(e, "app"), str(e, "event"), str(e, "initiator"), str(e, "address")});
    }
  }
  return d;
}

}  // namespace mw::proto
