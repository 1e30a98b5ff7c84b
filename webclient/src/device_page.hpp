// A device's page (MeshCentral's device view): General — the record (name, group, description,
// tags, connection, power, address), its Intel AMT as the server read it, and what its agent
// reports (operating system, CPU, memory, disks, network interfaces, logged-in users) — and
// Events — its history, newest first, with live events added as they come. The page holds what
// the server answered; the App draws the window (it owns the session buttons and the requests).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mw/proto/control.hpp"
#include "mw/proto/device_info.hpp"
#include "text.hpp"

namespace mw::web {

class DevicePage {
 public:
  explicit DevicePage(std::string nodeid) : nodeid_(std::move(nodeid)) {}

  const std::string& nodeid() const { return nodeid_; }
  void on_system_info(proto::SystemInfo info) { info_ = std::move(info); }
  void on_events(proto::EventList list) {
    events_ = std::move(list.events);
    events_loaded_ = true;
  }

  // The General tab's sections and the Events tab (inside the App's window).
  void draw_general(const proto::Device& d, const proto::DeviceGroup* group) const;
  void draw_events() const;

  const std::optional<proto::SystemInfo>& system_info() const { return info_; }
  const std::vector<proto::EventList::Item>& events() const { return events_; }
  bool open = true;

 private:
  std::string nodeid_;
  std::optional<proto::SystemInfo> info_;
  std::vector<proto::EventList::Item> events_;
  bool events_loaded_ = false;
};

// An event table (time, user, message), newest first; `loaded` false shows "Loading…".
void draw_event_table(const std::vector<proto::EventList::Item>& events, bool loaded, const char* empty_text);

// MeshCentral's power state names ("On", "Sleep", "Soft off", ...); "" for unknown.
const char* power_name(int pwr);

}  // namespace mw::web
