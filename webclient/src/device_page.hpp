// A device's page (MeshCentral's device view): General — the record (name, group, description,
// tags, connection, power, address), its Intel AMT as the server read it, and what its agent
// reports (operating system, CPU, memory, disks, network interfaces, logged-in users), and notes —
// and
// Events — its history, newest first, with live events added as they come. The page holds what
// the server answered; the App draws the window (it owns the session buttons and the requests).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mw/proto/control.hpp"
#include "mw/proto/device_info.hpp"
#include "text.hpp"
#include "window_pin.hpp"

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

  // Notes (MeshCentral's getNotes / setNotes): what the server has (nullopt until it answers),
  // drawn under General with Edit for those with the "notes" right. `save` sends the new text.
  void on_notes(std::string notes);
  void on_notes_saved(const std::string& result);  // the server's answer to a save ("ok" or why not)
  void draw_notes(bool may_edit, const std::function<void(const std::string&)>& save, ItemRects& buttons);
  const std::optional<std::string>& notes() const { return notes_; }
  const std::string& notes_status() const { return notes_status_; }

  const std::optional<proto::SystemInfo>& system_info() const { return info_; }
  const std::vector<proto::EventList::Item>& events() const { return events_; }
  bool open = true;

  // The Intel AMT tab: what Intel AMT reports (hardware, event log, audit log), read by the
  // server on request. `request(what)` asks for one ("hardware", "eventlog", "auditlog").
  // `actions` draws the tab's sections that act on the computer (IDE-R), above what is read.
  using AmtRequest = std::function<void(const std::string& what)>;
  void on_amt(proto::AmtDetails d);
  void draw_amt(const AmtRequest& request, ItemRects& buttons, const std::string& device_name,
                const std::function<void()>& actions = {});
  const std::optional<proto::AmtDetails>& amt_hardware() const { return amt_hw_; }
  const std::optional<proto::AmtDetails>& amt_event_log() const { return amt_events_; }
  const std::optional<proto::AmtDetails>& amt_audit_log() const { return amt_audit_; }
  bool select_amt_tab = false;  // URL viewmode 14: the tab opens selected

 private:
  std::string nodeid_;
  std::optional<proto::SystemInfo> info_;
  std::vector<proto::EventList::Item> events_;
  bool events_loaded_ = false;
  std::optional<proto::AmtDetails> amt_hw_, amt_events_, amt_audit_;
  std::optional<std::string> notes_;
  std::string notes_status_;        // after a save: "Saved." or the server's reason
  std::optional<std::string> editing_;  // the text being edited (its buffer)
  bool focus_ = false;                  // the editor takes the keyboard when it opens
  std::set<std::string> amt_loading_;  // asked, no answer yet
  bool amt_asked_ = false;             // the tab was opened (everything is asked once then)
};

// A section's title in a device page (a coloured heading over a separator).
void section_title(const char* title);

// An event table (time, user, message), newest first; `loaded` false shows "Loading…".
void draw_event_table(const std::vector<proto::EventList::Item>& events, bool loaded, const char* empty_text);

// MeshCentral's power state names ("On", "Sleep", "Soft off", ...); "" for unknown.
const char* power_name(int pwr);

// Intel AMT power actions (MeshCentral's poweraction numbers) in the order menus offer them.
struct PowerAction {
  int type;
  const char* label;
};
inline constexpr PowerAction kPowerActions[] = {
    {302, "Power on"},    {308, "Power off"},          {310, "Reset"},
    {305, "Power cycle"}, {304, "Sleep"},              {307, "Hibernate"},
    {311, "Power on to BIOS setup"}, {312, "Reset to BIOS setup"},
    {315, "Power on to PXE boot"},   {316, "Reset to PXE boot"},
    {317, "Power on to IDE-R floppy"}, {318, "Reset to IDE-R floppy"},
    {319, "Power on to IDE-R CD-ROM"}, {320, "Reset to IDE-R CD-ROM"}};
// Menus put a separator before these: the boot options, then the IDE-R boots (which need an
// IDE-R session running, the device page's Intel AMT tab).
constexpr bool starts_menu_group(int type) { return type == 311 || type == 317; }
// Power-on actions start a computer that is off: nothing running is interrupted.
constexpr bool interrupts_running(int type) {
  return type != 302 && type != 311 && type != 313 && type != 315 && type != 317 && type != 319;
}

}  // namespace mw::web
