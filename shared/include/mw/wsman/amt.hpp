// Typed Intel AMT calls over WS-Management: the classes the product reads and writes as plain
// structs, the requests that address them, and the method calls (power, redirection, KVM, boot).
// Each class converts both ways: from_instance<T>() reads a parsed instance (client side, and the
// device side for Put bodies), to_instance() writes one (device side answers, client Put bodies).
//
// Client:  Request q = get_request<GeneralSettings>();  q.message_id = ...;  send build_request(q)
//          auto r = parse_response(body);  auto gs = read_response<GeneralSettings>(*r);
// Device:  Response a = make_reply(q, id);  a.instance = to_instance(gs);  send build_response(a)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mw/util/result.hpp"
#include "mw/wsman/envelope.hpp"
#include "mw/wsman/enumeration.hpp"

namespace mw::wsman {

// [SECTION] Power states (DSP1027 value map of PowerState / RequestPowerStateChange)

enum class PowerState : std::uint16_t {
  kUnknown = 0,
  kOther = 1,
  kOn = 2,
  kSleepLight = 3,
  kSleepDeep = 4,                 // "sleep" (OS-assisted, AMT >= 10)
  kPowerCycleOffSoft = 5,         // "power cycle"
  kOffHard = 6,
  kHibernate = 7,                 // hibernate (AMT >= 10)
  kOffSoft = 8,                   // "power down"
  kPowerCycleOffHard = 9,
  kMasterBusReset = 10,           // "reset"
  kDiagnosticInterruptNmi = 11,
  kOffSoftGraceful = 12,          // "soft-off" via the OS (AMT >= 10)
  kOffHardGraceful = 13,
  kMasterBusResetGraceful = 14,   // "soft-reset" via the OS (AMT >= 10)
  kPowerCycleOffSoftGraceful = 15,
  kPowerCycleOffHardGraceful = 16,
  kDiagnosticInterruptInit = 17,
};
std::string_view power_state_name(PowerState state);

// [SECTION] Classes

struct GeneralSettings {  // Get
  static constexpr std::string_view kClassName = "AMT_GeneralSettings";
  std::uint32_t amt_network_enabled = 1;  // 0 disabled, 1 enabled
  bool ddns_update_enabled = false;
  std::string digest_realm;  // "Digest:" + 32 hex digits
  std::string domain_name;
  std::string element_name = "Intel(r) AMT: General Settings";
  std::string host_name;
  std::string host_os_fqdn;
  std::uint32_t idle_wake_timeout = 1;
  std::string instance_id = "Intel(r) AMT: General Settings";
  bool network_interface_enabled = true;
  bool ping_response_enabled = true;
  std::uint32_t power_source = 0;
  std::uint32_t preferred_address_family = 0;
  std::uint32_t privacy_level = 0;
  bool rmcp_ping_response_enabled = true;
  bool shared_fqdn = true;
  bool wsman_only_mode = false;
  bool operator==(const GeneralSettings&) const = default;
};

struct SoftwareIdentity {  // Enumerate; InstanceID "AMT" holds the firmware version
  static constexpr std::string_view kClassName = "CIM_SoftwareIdentity";
  std::string instance_id;
  bool is_entity = true;
  std::string version_string;
  bool operator==(const SoftwareIdentity&) const = default;
};
// VersionString of the "AMT" instance, empty when there is none.
std::string amt_version(const std::vector<SoftwareIdentity>& identities);

struct ComputerSystemPackage {  // Get
  static constexpr std::string_view kClassName = "CIM_ComputerSystemPackage";
  EndpointReference antecedent;  // the CIM_Chassis
  EndpointReference dependent;   // the CIM_ComputerSystem
  std::string platform_guid;     // 32 hex digits
  bool operator==(const ComputerSystemPackage&) const = default;
};

struct Chassis {  // Get
  static constexpr std::string_view kClassName = "CIM_Chassis";
  std::uint32_t chassis_package_type = 0;
  std::string creation_class_name = "CIM_Chassis";
  std::string element_name = "Managed System Chassis";
  std::string manufacturer;
  std::string model;
  std::uint32_t operational_status = 0;
  std::uint32_t package_type = 3;
  std::string serial_number;
  std::string tag = "CIM_Chassis";
  std::string version;
  bool operator==(const Chassis&) const = default;
};

struct Card {  // Get: the baseboard
  static constexpr std::string_view kClassName = "CIM_Card";
  bool can_be_fru_ed = true;
  std::string creation_class_name = "CIM_Card";
  std::string element_name = "Managed System Base Board";
  std::string manufacturer;
  std::string model;
  std::uint32_t operational_status = 0;
  std::uint32_t package_type = 9;
  std::string serial_number;
  std::string tag = "CIM_Card";
  std::string version;
  bool operator==(const Card&) const = default;
};

struct BiosElement {  // Get
  static constexpr std::string_view kClassName = "CIM_BIOSElement";
  std::string element_name = "Primary BIOS";
  std::string manufacturer;
  std::string name = "Primary BIOS";
  std::uint32_t operational_status = 0;
  bool primary_bios = true;
  std::string release_date;  // xs:dateTime inside <Datetime>, e.g. "2021-07-23T00:00:00Z"
  std::string software_element_id;
  std::uint32_t software_element_state = 2;
  std::uint32_t target_operating_system = 66;
  std::string version;
  bool operator==(const BiosElement&) const = default;
};

struct Processor {  // Enumerate
  static constexpr std::string_view kClassName = "CIM_Processor";
  std::uint32_t cpu_status = 1;
  std::string creation_class_name = "CIM_Processor";
  std::uint32_t current_clock_speed = 0;  // MHz
  std::string device_id = "CPU 0";
  std::string element_name = "Managed System CPU";
  std::uint32_t enabled_state = 2;
  std::uint32_t external_bus_clock_speed = 0;
  std::uint32_t family = 0;
  std::uint32_t health_state = 0;
  std::uint32_t max_clock_speed = 0;
  std::uint32_t operational_status = 0;
  std::string other_family_description;
  std::uint32_t requested_state = 12;
  std::string role = "Central";
  std::uint32_t stepping = 0;
  std::string system_creation_class_name = "CIM_ComputerSystem";
  std::string system_name = "ManagedSystem";
  std::uint32_t upgrade_method = 0;
  bool operator==(const Processor&) const = default;
};

struct PhysicalMemory {  // Enumerate
  static constexpr std::string_view kClassName = "CIM_PhysicalMemory";
  std::string bank_label;
  std::uint64_t capacity = 0;  // bytes
  std::uint32_t configured_memory_clock_speed = 0;
  std::string creation_class_name = "CIM_PhysicalMemory";
  std::string element_name = "Managed System Memory Chip";
  std::uint32_t form_factor = 0;
  bool is_speed_in_mhz = true;
  std::string manufacturer;
  std::uint32_t max_memory_speed = 0;
  std::uint32_t memory_type = 0;
  std::string part_number;
  std::string serial_number;
  std::uint32_t speed = 0;
  std::string tag;
  bool operator==(const PhysicalMemory&) const = default;
};

// Current power state: enumerate CIM_ServiceAvailableToElement, whose items are of this class.
struct AssociatedPowerManagementService {
  static constexpr std::string_view kClassName = "CIM_AssociatedPowerManagementService";
  static constexpr std::string_view kResourceClass = "CIM_ServiceAvailableToElement";
  std::vector<PowerState> available_requested_power_states;
  PowerState power_state = PowerState::kUnknown;
  EndpointReference service_provided;  // the CIM_PowerManagementService
  EndpointReference user_of_service;   // the CIM_ComputerSystem
  bool operator==(const AssociatedPowerManagementService&) const = default;
};

// AMT_RedirectionService.EnabledState / RequestStateChange(RequestedState).
enum class RedirectionState : std::uint32_t {
  kDisabled = 32768,  // IDE-R and SOL off
  kIder = 32769,
  kSol = 32770,
  kIderAndSol = 32771,
};
RedirectionState redirection_state(bool ider, bool sol);

struct RedirectionService {  // Get, Put (ListenerEnabled)
  static constexpr std::string_view kClassName = "AMT_RedirectionService";
  std::vector<std::string> access_log;
  std::string creation_class_name = "AMT_RedirectionService";
  std::string element_name = "Intel(r) AMT Redirection Service";
  std::uint32_t enabled_state = static_cast<std::uint32_t>(RedirectionState::kIderAndSol);
  bool listener_enabled = true;  // the 16994/16995 redirection port
  std::string name = "Intel(r) AMT Redirection Service";
  std::string system_creation_class_name = "CIM_ComputerSystem";
  std::string system_name = "Intel(r) AMT";
  bool operator==(const RedirectionService&) const = default;
};

struct KvmRedirectionSap {  // Get
  static constexpr std::string_view kClassName = "CIM_KVMRedirectionSAP";
  std::string creation_class_name = "CIM_KVMRedirectionSAP";
  std::string element_name = "KVM Redirection Service Access Point";
  std::uint32_t enabled_state = 2;  // 2 enabled, 3 disabled, 6 enabled but offline
  std::uint32_t kvm_protocol = 4;
  std::string name = "KVM Redirection Service Access Point";
  std::uint32_t requested_state = 2;
  std::string system_creation_class_name = "CIM_ComputerSystem";
  std::string system_name = "ManagedSystem";
  bool operator==(const KvmRedirectionSap&) const = default;
};
// MeshCommander's rule: enabled when EnabledState is 2 or 6.
bool kvm_enabled(const KvmRedirectionSap& sap);

struct KvmRedirectionSettingData {  // Get, Put
  static constexpr std::string_view kClassName = "IPS_KVMRedirectionSettingData";
  bool back_to_back_fb_mode = false;
  std::uint32_t default_screen = 0;
  bool double_buffer_active = false;
  bool double_buffer_enabled = false;
  std::string element_name = "Intel(r) KVM Redirection Settings";
  bool enabled_by_mebx = true;
  bool grayscale_pixel_format_supported = false;  // AMT >= 16
  std::uint32_t initial_decimation_mode_for_low_res = 0;
  std::string instance_id = "Intel(r) KVM Redirection Settings";
  bool is_5900_port_enabled = false;
  bool opt_in_policy = true;
  std::uint32_t opt_in_policy_timeout = 120;
  std::string rfb_password;  // write only: sent when set, never read back
  std::uint32_t session_timeout = 0;
  bool zlib_control_supported = false;
  bool operator==(const KvmRedirectionSettingData&) const = default;
};

struct BootCapabilities {  // Get
  static constexpr std::string_view kClassName = "AMT_BootCapabilities";
  bool bios_pause = false;
  bool bios_reflash = false;
  bool bios_setup = true;
  bool configuration_data_reset = false;
  std::string element_name = "Intel(r) AMT: Boot Capabilities";
  bool force_cd_or_dvd_boot = true;
  bool force_diagnostic_boot = false;
  bool force_hard_drive_boot = true;
  bool force_hard_drive_safe_mode_boot = false;
  bool force_pxe_boot = true;
  bool forced_progress_events = false;
  bool ider = true;
  std::string instance_id = "Intel(r) AMT:BootCapabilities 0";
  bool keyboard_lock = true;
  bool power_button_lock = false;
  bool reset_button_lock = false;
  bool secure_erase = false;
  bool sleep_button_lock = false;
  bool sol = true;
  bool user_password_bypass = false;
  bool verbosity_quiet = false;
  bool verbosity_screen_blank = false;
  bool verbosity_verbose = false;
  bool operator==(const BootCapabilities&) const = default;
};

struct BootSettingData {  // Get, Put (without its read-only fields)
  static constexpr std::string_view kClassName = "AMT_BootSettingData";
  std::vector<std::uint32_t> bios_last_status;  // read only
  bool bios_pause = false;
  bool bios_setup = false;
  std::uint32_t boot_media_index = 0;
  std::uint32_t bootguard_status = 0;  // read only
  bool configuration_data_reset = false;
  std::string element_name = "Intel(r) AMT Boot Configuration Settings";
  bool enforce_secure_boot = false;
  std::uint32_t firmware_verbosity = 0;
  bool forced_progress_events = false;
  std::uint32_t ider_boot_device = 0;
  std::string instance_id = "Intel(r) AMT:BootSettingData 0";
  bool lock_keyboard = false;
  bool lock_power_button = false;
  bool lock_reset_button = false;
  bool lock_sleep_button = false;
  bool options_cleared = true;  // read only
  std::string owning_entity = "Intel(r) AMT";
  bool platform_erase = false;
  bool reflash_bios = false;
  bool rpe_enabled = false;                  // read only
  bool secure_boot_control_enabled = false;  // read only
  bool secure_erase = false;
  bool uefi_https_boot_enabled = false;      // read only
  bool uefi_local_pba_boot_enabled = false;  // read only
  bool use_ider = false;
  bool use_safe_mode = false;
  bool use_sol = false;
  bool user_password_bypass = false;
  bool win_re_boot_enabled = false;          // read only
  bool operator==(const BootSettingData&) const = default;
};

struct EthernetPortSettings {  // Enumerate (wired "... Settings 0", wireless "... Settings 1")
  static constexpr std::string_view kClassName = "AMT_EthernetPortSettings";
  std::string default_gateway;
  bool dhcp_enabled = true;
  std::string element_name = "Intel(r) AMT Ethernet Port Settings";
  std::string instance_id = "Intel(r) AMT Ethernet Port Settings 0";
  std::string ip_address;
  bool ip_sync_enabled = true;
  bool link_is_up = true;
  std::vector<std::uint32_t> link_policy;  // 1 S0 AC, 14 Sx AC, 16 S0 DC, 224 Sx DC
  std::string mac_address;                 // "a4-bb-6d-00-11-22"
  std::uint32_t physical_connection_type = 0;  // 0 integrated LAN, 3 wireless
  std::string primary_dns;
  std::string secondary_dns;
  bool shared_dynamic_ip = true;
  bool shared_mac = true;
  bool shared_static_ip = false;
  std::string subnet_mask;
  bool operator==(const EthernetPortSettings&) const = default;
};

// [SECTION] Conversions

// Reads an instance of T's class (error "wsman-wrong-class" for another class; "wsman-bad-value"
// for a malformed number or boolean). Absent or empty properties read as empty, false or 0 (the
// structs' defaults describe a plausible device for the simulator, not what a reader assumes).
template <typename T>
Result<T> from_instance(const Instance& instance);
template <> Result<GeneralSettings> from_instance<GeneralSettings>(const Instance&);
template <> Result<SoftwareIdentity> from_instance<SoftwareIdentity>(const Instance&);
template <> Result<ComputerSystemPackage> from_instance<ComputerSystemPackage>(const Instance&);
template <> Result<Chassis> from_instance<Chassis>(const Instance&);
template <> Result<Card> from_instance<Card>(const Instance&);
template <> Result<BiosElement> from_instance<BiosElement>(const Instance&);
template <> Result<Processor> from_instance<Processor>(const Instance&);
template <> Result<PhysicalMemory> from_instance<PhysicalMemory>(const Instance&);
template <> Result<AssociatedPowerManagementService> from_instance<AssociatedPowerManagementService>(const Instance&);
template <> Result<RedirectionService> from_instance<RedirectionService>(const Instance&);
template <> Result<KvmRedirectionSap> from_instance<KvmRedirectionSap>(const Instance&);
template <> Result<KvmRedirectionSettingData> from_instance<KvmRedirectionSettingData>(const Instance&);
template <> Result<BootCapabilities> from_instance<BootCapabilities>(const Instance&);
template <> Result<BootSettingData> from_instance<BootSettingData>(const Instance&);
template <> Result<EthernetPortSettings> from_instance<EthernetPortSettings>(const Instance&);

// The whole instance, properties in AMT's (alphabetical) order.
Instance to_instance(const GeneralSettings& v);
Instance to_instance(const SoftwareIdentity& v);
Instance to_instance(const ComputerSystemPackage& v);
Instance to_instance(const Chassis& v);
Instance to_instance(const Card& v);
Instance to_instance(const BiosElement& v);
Instance to_instance(const Processor& v);
Instance to_instance(const PhysicalMemory& v);
Instance to_instance(const AssociatedPowerManagementService& v);
Instance to_instance(const RedirectionService& v);
Instance to_instance(const KvmRedirectionSap& v);
Instance to_instance(const KvmRedirectionSettingData& v);
Instance to_instance(const BootCapabilities& v);
Instance to_instance(const BootSettingData& v);
Instance to_instance(const EthernetPortSettings& v);

// What a client Puts: the instance without read-only properties.
Instance to_put_instance(const RedirectionService& v);
Instance to_put_instance(const KvmRedirectionSettingData& v);
Instance to_put_instance(const BootSettingData& v);

// The body instance of a Get/Put answer: a fault becomes its error, another class or a missing
// body is "wsman-unexpected-body".
Result<Instance> response_instance(const Response& response, std::string_view class_name);

template <typename T>
Request get_request() {
  return make_get(resource_uri(T::kClassName));
}
template <typename T>
Request put_request(const T& value) {
  return make_put(resource_uri(T::kClassName), to_put_instance(value));
}
template <typename T>
Enumeration enumeration(Enumeration::Options options = {}) {
  if constexpr (requires { T::kResourceClass; })
    return Enumeration(resource_uri(T::kResourceClass), options);
  else
    return Enumeration(resource_uri(T::kClassName), options);
}
template <typename T>
Result<T> read_response(const Response& response) {
  auto inst = response_instance(response, T::kClassName);
  if (!inst) return inst.error();
  return from_instance<T>(*inst);
}
// The items of T's class among enumerated items (others are skipped).
template <typename T>
Result<std::vector<T>> read_items(const std::vector<Instance>& items) {
  std::vector<T> out;
  for (const Instance& it : items) {
    if (it.class_name != T::kClassName) continue;
    auto v = from_instance<T>(it);
    if (!v) return v.error();
    out.push_back(std::move(*v));
  }
  return out;
}

// [SECTION] Method calls

// <method>_OUTPUT/ReturnValue of an Invoke answer (0 is success; AMT status codes otherwise).
Result<std::uint32_t> read_return_value(const Response& response, std::string_view method);
// Device side: <method>_OUTPUT of the request's method with that ReturnValue.
Instance method_output(const Request& request, std::uint32_t return_value);
// Device side: an unsigned argument of an Invoke body ("wsman-missing-argument" when absent).
Result<std::uint32_t> read_u32_argument(const Request& request, std::string_view name);

// CIM_PowerManagementService.RequestPowerStateChange with ManagedElement = the managed system.
Request request_power_state_change(PowerState state);
struct PowerStateChange {
  PowerState power_state = PowerState::kUnknown;
  EndpointReference managed_element;
  bool operator==(const PowerStateChange&) const = default;
};
Result<PowerStateChange> read_power_state_change(const Request& request);

// AMT_RedirectionService.RequestStateChange(RequestedState = 32768 + IDER(1) + SOL(2)).
Request redirection_request_state_change(RedirectionState state);
// CIM_KVMRedirectionSAP.RequestStateChange(RequestedState 2 enable / 3 disable).
Request kvm_request_state_change(bool enable);

// [SECTION] Boot (MeshCommander's "boot to BIOS setup" / "PXE boot" sequence)

enum class BootTarget { kBiosSetup, kPxe, kCdDvd, kHardDrive, kDiagnostic };
// InstanceID of the CIM_BootSourceSetting to force, empty for BIOS setup.
std::string_view boot_source_instance_id(BootTarget target);
// Step 2: the instance to Put, from the one read.
BootSettingData boot_settings_for(BootSettingData current, BootTarget target, bool use_sol);
// CIM_BootConfigSetting.ChangeBootOrder; no source clears the order.
Request change_boot_order(std::string_view source_instance_id = {});
// CIM_BootService.SetBootConfigRole(BootConfigSetting = "Intel(r) AMT: Boot Configuration 0", Role).
Request set_boot_config_role(std::uint32_t role = 1);
// Device side: the Source reference of ChangeBootOrder (nullopt: clear) and SetBootConfigRole args.
Result<std::optional<EndpointReference>> read_change_boot_order(const Request& request);
struct BootConfigRole {
  EndpointReference boot_config_setting;
  std::uint32_t role = 0;
  bool operator==(const BootConfigRole&) const = default;
};
Result<BootConfigRole> read_set_boot_config_role(const Request& request);
// Steps 3-7 once AMT_BootCapabilities (BIOSSetup must be true for kBiosSetup) and
// AMT_BootSettingData were read: ChangeBootOrder(), Put, SetBootConfigRole(1),
// ChangeBootOrder(source), RequestPowerStateChange(10 when on, 2 when off).
std::vector<Request> boot_sequence(const BootSettingData& current, BootTarget target, bool use_sol,
                                   bool powered_on);
// The same for a boot from an IDE-R drive (MeshCommander's actions 200-203): no forced boot
// source; UseIDER with IDERBootDevice 0 (floppy) or 1 (CD-ROM). The drives are those of the
// IDE-R session open at that moment.
std::vector<Request> ider_boot_sequence(const BootSettingData& current, bool cdrom, bool use_sol, bool powered_on);

}  // namespace mw::wsman
