// Names of Intel AMT audit events and descriptions of event-log records (amt_logs.hpp). The
// audit names are Intel's (AMT SDK, "Security Audit Log" events by application and event id);
// the event log follows IPMI 2.0's sensor types, System Firmware Progress/Error codes (table 42-3)
// and entity ids (table 43-13), with MeshCentral's wording where it words them.
#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "mw/wsman/amt_logs.hpp"

namespace mw::wsman {
namespace {

struct Named {
  std::uint16_t id;
  std::string_view name;
};

constexpr Named kAuditApps[] = {
    {16, "Security Admin"},        {17, "RCO"},          {18, "Redirection Manager"},
    {19, "Firmware Update Manager"}, {20, "Security Audit Log"}, {21, "Network Time"},
    {22, "Network Administration"}, {23, "Storage Administration"}, {24, "Event Manager"},
    {25, "Circuit Breaker Manager"}, {26, "Agent Presence Manager"}, {27, "Wireless Configuration"},
    {28, "EAC"},                   {29, "KVM"},          {30, "User Opt-In Events"},
    {32, "Screen Blanking"},       {33, "Watchdog Events"},
};

// Keyed by app_id * 100 + event_id.
constexpr Named kAuditEvents[] = {
    {1600, "Provisioning Started"}, {1601, "Provisioning Completed"}, {1602, "ACL Entry Added"},
    {1603, "ACL Entry Modified"}, {1604, "ACL Entry Removed"}, {1605, "ACL Access with Invalid Credentials"},
    {1606, "ACL Entry State"}, {1607, "TLS State Changed"}, {1608, "TLS Server Certificate Set"},
    {1609, "TLS Server Certificate Remove"}, {1610, "TLS Trusted Root Certificate Added"},
    {1611, "TLS Trusted Root Certificate Removed"}, {1612, "TLS Preshared Key Set"},
    {1613, "Kerberos Settings Modified"}, {1614, "Kerberos Main Key Modified"},
    {1615, "Flash Wear out Counters Reset"}, {1616, "Power Package Modified"},
    {1617, "Set Realm Authentication Mode"}, {1618, "Upgrade Client to Admin Control Mode"},
    {1619, "Unprovisioning Started"},
    {1700, "Performed Power Up"}, {1701, "Performed Power Down"}, {1702, "Performed Power Cycle"},
    {1703, "Performed Reset"}, {1704, "Set Boot Options"}, {1705, "Remote graceful power down initiated"},
    {1706, "Remote graceful reset initiated"}, {1707, "Remote Standby initiated"},
    {1708, "Remote Hibernate initiated"}, {1709, "Remote NMI initiated"},
    {1800, "IDER Session Opened"}, {1801, "IDER Session Closed"}, {1802, "IDER Enabled"}, {1803, "IDER Disabled"},
    {1804, "SoL Session Opened"}, {1805, "SoL Session Closed"}, {1806, "SoL Enabled"}, {1807, "SoL Disabled"},
    {1808, "KVM Session Started"}, {1809, "KVM Session Ended"}, {1810, "KVM Enabled"}, {1811, "KVM Disabled"},
    {1812, "VNC Password Failed 3 Times"},
    {1900, "Firmware Updated"}, {1901, "Firmware Update Failed"},
    {2000, "Security Audit Log Cleared"}, {2001, "Security Audit Policy Modified"},
    {2002, "Security Audit Log Disabled"}, {2003, "Security Audit Log Enabled"},
    {2004, "Security Audit Log Exported"}, {2005, "Security Audit Log Recovered"},
    {2100, "Intel ME Time Set"},
    {2200, "TCPIP Parameters Set"}, {2201, "Host Name Set"}, {2202, "Domain Name Set"},
    {2203, "VLAN Parameters Set"}, {2204, "Link Policy Set"}, {2205, "IPv6 Parameters Set"},
    {2300, "Global Storage Attributes Set"}, {2301, "Storage EACL Modified"},
    {2302, "Storage FPACL Modified"}, {2303, "Storage Write Operation"},
    {2400, "Alert Subscribed"}, {2401, "Alert Unsubscribed"}, {2402, "Event Log Cleared"}, {2403, "Event Log Frozen"},
    {2900, "KVM Opt-in Enabled"}, {2901, "KVM Opt-in Disabled"}, {2902, "KVM Password Changed"},
    {2903, "KVM Consent Succeeded"}, {2904, "KVM Consent Failed"},
    {3000, "Opt-In Policy Change"}, {3001, "Send Consent Code Event"}, {3002, "Start Opt-In Blocked Event"},
};

template <std::size_t N>
std::string_view find(const Named (&table)[N], unsigned id) {
  for (const auto& n : table) {
    if (n.id == id) return n.name;
  }
  return {};
}

// IPMI entity ids 0x00-0x34 (table 43-13), as short names.
constexpr std::array<std::string_view, 0x35> kEntities = {
    "Unspecified", "Other", "Unknown", "Processor", "Disk", "Peripheral", "System management module",
    "System board", "Memory module", "Processor module", "Power supply", "Add in card", "Front panel board",
    "Back panel board", "Power system board", "Drive backplane", "System internal expansion board",
    "Other system board", "Processor board", "Power unit", "Power module", "Power management board",
    "Chassis back panel board", "System chassis", "Sub chassis", "Other chassis board", "Disk drive bay",
    "Peripheral bay", "Device bay", "Fan cooling", "Cooling unit", "Cable interconnect", "Memory device",
    "System management software", "BIOS", "Intel(r) ME", "System bus", "Group", "Intel(r) ME",
    "External environment", "Battery", "Processing blade", "Connectivity switch", "Processor/memory module",
    "I/O module", "Processor I/O module", "Management controller firmware", "IPMI channel", "PCI bus",
    "PCI express bus", "SCSI bus", "SATA/SAS bus", "Processor front side bus",
};

// System Firmware Progress (offset 2) and Error (offset 0), event data 2.
constexpr std::array<std::string_view, 0x1A> kFirmwareProgress = {
    "Unspecified.", "Memory initialization.", "Starting hard-disk initialization and test",
    "Secondary processor(s) initialization", "User authentication", "Entering BIOS setup",
    "USB resource configuration", "PCI resource configuration", "Option ROM initialization", "Video initialization",
    "Cache initialization", "SM Bus initialization", "Keyboard controller initialization",
    "Embedded controller/management controller initialization", "Docking station attachment",
    "Enabling docking station", "Docking station ejection", "Disabling docking station",
    "Calling operating system wake-up vector", "Starting operating system boot process",
    "Baseboard or motherboard initialization", "reserved", "Floppy initialization", "Keyboard test",
    "Pointing device test", "Primary processor initialization",
};
constexpr std::array<std::string_view, 0x0E> kFirmwareError = {
    "Unspecified.", "No system memory is physically installed in the system.",
    "No usable system memory, all installed memory has experienced an unrecoverable failure.",
    "Unrecoverable hard-disk/ATAPI/IDE device failure.", "Unrecoverable system-board failure.",
    "Unrecoverable diskette subsystem failure.", "Unrecoverable hard-disk controller failure.",
    "Unrecoverable PS/2 or USB keyboard failure.", "Removable boot media not found.",
    "Unrecoverable video controller failure.", "No video device detected.", "Firmware (BIOS) ROM corruption detected.",
    "CPU voltage mismatch (processors that share same supply have mismatched voltage requirements)",
    "CPU speed matching failure",
};

}  // namespace

std::string audit_app_name(std::uint16_t app_id) {
  const auto n = find(kAuditApps, app_id);
  return n.empty() ? "Application " + std::to_string(app_id) : std::string(n);
}

std::string audit_event_name(std::uint16_t app_id, std::uint16_t event_id) {
  const auto n = find(kAuditEvents, static_cast<unsigned>(app_id) * 100 + event_id);
  return n.empty() ? "Event " + std::to_string(event_id) : std::string(n);
}

std::string event_entity_name(std::uint8_t entity) {
  return entity < kEntities.size() ? std::string(kEntities[entity]) : "Unknown";
}

std::string event_description(const EventRecord& r) {
  const auto& d = r.event_data;
  switch (r.event_sensor_type) {
    case 15:  // System Firmware Progress / Error
      if (d[0] == 0xEB) return "Invalid Data";
      if (r.event_offset == 0) return d[1] < kFirmwareError.size() ? std::string(kFirmwareError[d[1]]) : "Firmware error " + std::to_string(d[1]);
      if (r.event_offset == 3) return "OEM Specific Firmware Error event";
      if (r.event_offset == 5) return "OEM Specific Firmware Progress event";
      return d[1] < kFirmwareProgress.size() ? std::string(kFirmwareProgress[d[1]]) : "Firmware progress " + std::to_string(d[1]);
    case 5:  // Physical security
      if (r.event_offset == 0) return "Case intrusion";
      break;
    case 6: return "Authentication failed " + std::to_string(d[1] + (d[2] << 8)) + " times. The system may be under attack.";
    case 30: return "No bootable media";
    case 32: return "Operating system lockup or power interrupt";
    case 35: return d[0] == 64 ? "BIOS POST (Power On Self-Test) Watchdog Timeout." : "System boot failure";
    case 37: return "System firmware started (at least one CPU is properly executing).";
    default: break;
  }
  return "Sensor type " + std::to_string(r.event_sensor_type);
}

std::string event_severity_name(std::uint8_t severity) {
  if (severity & 0x20) return "Non-recoverable";
  if (severity & 0x10) return "Critical";
  if (severity & 0x08) return "Warning";
  if (severity & 0x04) return "OK";
  if (severity & 0x02) return "Information";
  if (severity & 0x01) return "Monitor";
  return "Unspecified";
}

}  // namespace mw::wsman
