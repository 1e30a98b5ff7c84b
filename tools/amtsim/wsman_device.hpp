// The WS-Management side of a simulated Intel AMT computer (port 16992): HTTP requests in, HTTP
// responses out, with AMT's Digest authentication (qop=auth, one account) and the classes a
// management console reads first: AMT_GeneralSettings, CIM_SoftwareIdentity (firmware versions),
// CIM_ComputerSystemPackage (platform GUID), CIM_ServiceAvailableToElement (the power state) and
// CIM_PowerManagementService.RequestPowerStateChange, which drives the power state machine; the
// hardware inventory; the security audit log (AMT_AuditLog.ReadRecords: power actions and SOL
// sessions with the user who made them) and the event log (AMT_MessageLog: boot progress).
// Sans-I/O: the caller frames HTTP with mw::wsman::HttpParser and writes what handle() returns.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "console.hpp"
#include "mw/wsman/amt.hpp"
#include "mw/wsman/amt_logs.hpp"
#include "mw/wsman/http.hpp"

namespace mw::amtsim {

struct WsmanIdentity {
  int index = 1;
  std::string uuid;  // 8-4-4-4-12
  std::string amt_version = "16.1.25";
  std::string username = "admin";
  std::string password;
  std::string realm;  // "Digest:" + 32 hex digits
  // Methods answered with ReturnValue 1 (failed) and no effect, as a firmware that refuses them
  // (e.g. SetBootConfigRole while boot options are locked): tests of the refused paths.
  std::set<std::string> refused_methods;
};

class WsmanDevice {
 public:
  // `power` is the device's power state, shared with its serial console; `random_hex(n)` gives n
  // random bytes as hex (nonces).
  WsmanDevice(WsmanIdentity identity, PowerState& power, std::function<std::string(std::size_t)> random_hex);

  // One complete request; returns the whole HTTP response.
  std::string handle(const wsman::HttpMessage& request);

  // Appends to the security audit log (AMT keeps the newest records of a bounded log).
  void audit(std::uint16_t app_id, std::uint16_t event_id, const std::string& user);

  // Power-ons and resets so far, and where the last one booted (boot options are one-shot:
  // AMT_BootSettingData, CIM_BootConfigSetting.ChangeBootOrder, CIM_BootService.SetBootConfigRole).
  std::uint64_t boots() const { return boots_; }
  FirmwareBoot firmware_boot() const { return firmware_boot_; }

  // IDE-R (ider.hpp): an IDER session has its drives shown to the computer; a boot while they are
  // makes the firmware probe them, and the serial console waits for that probe (and shows its
  // lines when the computer boots from IDE-R).
  void ider_attach(bool attached) { ider_attached_ = attached; if (!attached) ider_probe_pending_ = false; }
  bool ider_attached() const { return ider_attached_; }
  bool ider_probe_pending() const { return ider_probe_pending_; }
  void ider_probed(std::vector<std::string> lines) { ider_boot_lines_ = std::move(lines); ider_probe_pending_ = false; }
  const std::vector<std::string>& ider_boot_lines() const { return ider_boot_lines_; }

 private:
  std::string unauthorized(bool stale);
  std::string http(int status, const std::string& body);
  wsman::Response answer(const wsman::Request& request, const std::string& user);
  wsman::Response enumerate(const wsman::Request& request, std::vector<wsman::Instance> items);
  wsman::Response pull(const wsman::Request& request);
  std::uint32_t power_change(wsman::PowerState requested, const std::string& user);
  void booted();  // event log records of a power-on
  wsman::PowerState cim_power_state() const;

  WsmanIdentity id_;
  PowerState& power_;
  std::function<std::string(std::size_t)> random_hex_;
  std::string nonce_;
  std::uint64_t message_counter_ = 0;
  std::uint64_t next_context_ = 1;
  std::map<std::string, std::vector<wsman::Instance>> contexts_;  // enumeration context -> items left
  std::vector<wsman::AuditRecord> audit_log_;
  std::vector<wsman::EventRecord> event_log_;
  wsman::BootSettingData boot_settings_;
  std::string forced_source_;  // CIM_BootSourceSetting InstanceID of the boot order, "" for none
  bool boot_armed_ = false;    // SetBootConfigRole(1): the settings apply to the next boot
  std::uint64_t boots_ = 0;
  FirmwareBoot firmware_boot_ = FirmwareBoot::kOperatingSystem;
  bool ider_attached_ = false, ider_probe_pending_ = false;
  std::vector<std::string> ider_boot_lines_;
};

}  // namespace mw::amtsim
