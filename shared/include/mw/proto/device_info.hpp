// Control-channel answers about one device that the browser app shows on the device's page:
// "getsysinfo" (what its agent last reported, docs/agent-protocol.md) and "events" (its history,
// newest first). Kept apart from control.hpp, which the server also builds on: these are only
// read by clients. Hostile input is normal input: wrong types are skipped, lists are capped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mw/util/result.hpp"

namespace mw::proto {

// {"action":"getsysinfo","nodeid":...,"data":{...}} or {...,"noinfo":true}
struct SystemInfo {
  std::string nodeid;
  bool known = false;  // false: the agent has not reported yet
  std::string hostname;
  std::string os_name, os_version, kernel, arch;
  std::string cpu_model;
  int cpu_cores = 0;
  std::uint64_t memory_total = 0, memory_available = 0;  // bytes
  struct Disk {
    std::string device, mount, fs;
    std::uint64_t size = 0, free = 0;
  };
  std::vector<Disk> disks;
  struct Interface {
    std::string name, mac;
    std::vector<std::string> ipv4, ipv6;
    bool up = false;
  };
  std::vector<Interface> interfaces;  // loopback interfaces left out
  std::vector<std::string> users;
  std::string agent_version;
};

// {"action":"events","nodeid":...,"events":[{...}]}
struct EventList {
  std::string nodeid;  // empty: not one device's list
  struct Item {
    std::string time;  // as the server gives it (ISO 8601)
    std::string username, action, etype, msg;
  };
  std::vector<Item> events;
};

// {"action":"amtinfo","nodeid","what","result",...}: what Intel AMT reported, read by the server
// on request ("hardware", "eventlog" or "auditlog"; result "ok" or why not).
struct AmtDetails {
  std::string nodeid, what, result;
  struct Part {
    std::string manufacturer, model, serial, version;
  };
  struct Hardware {
    std::string platform_guid;
    Part chassis, baseboard;
    std::string bios_manufacturer, bios_version, bios_date;
    struct Cpu {
      std::string id;
      std::uint64_t max_mhz = 0, current_mhz = 0;
    };
    std::vector<Cpu> processors;
    struct Memory {
      std::string bank, manufacturer, part_number, serial;
      std::uint64_t capacity = 0, speed = 0;  // bytes, MHz
    };
    std::vector<Memory> memory;
  };
  std::optional<Hardware> hardware;
  struct Event {
    std::uint64_t time = 0;  // seconds since 1970
    std::string entity, description, severity;
  };
  std::vector<Event> events;  // newest first
  struct Audit {
    std::uint64_t time = 0;
    std::string app, event, initiator, address;
  };
  std::vector<Audit> audit;  // newest first
};

inline constexpr std::size_t kMaxListed = 10000;  // entries kept from one answer's lists

Result<SystemInfo> parse_system_info(std::string_view text);
Result<EventList> parse_event_list(std::string_view text);
Result<AmtDetails> parse_amt_details(std::string_view text);

}  // namespace mw::proto
