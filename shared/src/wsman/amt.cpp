// Typed Intel AMT classes and method calls. Each class is described once by a table of its
// properties (name, member, flags); one generic reader and one writer walk the tables, so a
// class is a table, not two hand-written converters that could drift apart.
#include "mw/wsman/amt.hpp"

#include <span>
#include <type_traits>
#include <variant>

#include "text.hpp"

namespace mw::wsman {
namespace {

// [SECTION] Property tables

enum Flags : unsigned {
  kNone = 0,
  kReadOnly = 1,   // left out of Put bodies
  kDatetime = 2,   // value wrapped in <Datetime xmlns=kNsCimCommon>
  kOmitEmpty = 4,  // not written when empty (write-only secrets)
};

template <typename T>
using Member = std::variant<std::string T::*, bool T::*, std::uint32_t T::*, std::uint64_t T::*,
                            PowerState T::*, std::vector<std::uint32_t> T::*, std::vector<PowerState> T::*,
                            std::vector<std::string> T::*, EndpointReference T::*>;

template <typename T>
struct Field {
  std::string_view name;
  Member<T> member;
  unsigned flags = kNone;
};

using text::iequals;
using text::trim;

template <typename N>
bool parse_number(std::string_view s, N& out) {
  return text::parse_unsigned(s, out);
}

bool parse_bool(std::string_view s, bool& out) {
  s = trim(s);
  if (iequals(s, "true") || s == "1") return out = true, true;
  if (iequals(s, "false") || s == "0") return out = false, true;
  return false;
}

bool parse_power_state(std::string_view s, PowerState& out) {
  std::uint32_t n = 0;
  if (!parse_number(s, n) || n > 0xFFFF) return false;
  out = static_cast<PowerState>(n);
  return true;
}

Error bad_value(std::string_view cls, std::string_view prop, std::string_view value, std::string_view what) {
  return make_error("wsman-bad-value", std::string(cls) + "." + std::string(prop) + ": '" +
                                           std::string(value.substr(0, 40)) + "' is not " + std::string(what));
}

Error wrong_class(std::string_view want, std::string_view got) {
  return make_error("wsman-wrong-class", "expected " + std::string(want) + ", got '" +
                                             std::string(got.substr(0, 80)) + "'");
}

template <typename T>
Result<T> read_fields(const Instance& inst, std::span<const Field<T>> fields) {
  if (inst.class_name != T::kClassName) return wrong_class(T::kClassName, inst.class_name);
  T v{};
  std::optional<Error> error;
  for (const Field<T>& f : fields) {
    std::visit(
        [&](auto m) {
          using M = std::remove_cvref_t<decltype(v.*m)>;
          auto& out = v.*m;
          out = M{};  // absent reads as empty, false or 0, whatever the struct's default
          if constexpr (std::is_same_v<M, std::string>) {
            if (const Property* p = inst.find(f.name)) out = p->value;
          } else if constexpr (std::is_same_v<M, EndpointReference>) {
            if (const Property* p = inst.find(f.name); p && p->ref) out = *p->ref;
          } else if constexpr (std::is_same_v<M, std::vector<std::string>>) {
            for (const Property* p : inst.find_all(f.name)) out.push_back(p->value);
          } else if constexpr (std::is_same_v<M, std::vector<std::uint32_t>> ||
                               std::is_same_v<M, std::vector<PowerState>>) {
            for (const Property* p : inst.find_all(f.name)) {
              typename M::value_type x{};
              bool ok = false;
              if constexpr (std::is_same_v<M, std::vector<PowerState>>)
                ok = parse_power_state(p->value, x);
              else
                ok = parse_number(p->value, x);
              if (!ok && !error) error = bad_value(T::kClassName, f.name, p->value, "a number");
              out.push_back(x);
            }
          } else {
            const Property* p = inst.find(f.name);
            if (!p || trim(p->value).empty()) return;
            bool ok = false;
            if constexpr (std::is_same_v<M, bool>)
              ok = parse_bool(p->value, out);
            else if constexpr (std::is_same_v<M, PowerState>)
              ok = parse_power_state(p->value, out);
            else
              ok = parse_number(p->value, out);
            if (!ok && !error)
              error = bad_value(T::kClassName, f.name, p->value, std::is_same_v<M, bool> ? "a boolean" : "a number");
          }
        },
        f.member);
  }
  if (error) return *error;
  return v;
}

template <typename T>
Instance write_fields(const T& v, std::span<const Field<T>> fields, bool put) {
  Instance inst;
  inst.class_name = std::string(T::kClassName);
  inst.ns = resource_uri(T::kClassName);
  for (const Field<T>& f : fields) {
    if (put && (f.flags & kReadOnly)) continue;
    std::visit(
        [&](auto m) {
          using M = std::remove_cvref_t<decltype(v.*m)>;
          const auto& value = v.*m;
          if constexpr (std::is_same_v<M, std::string>) {
            if ((f.flags & kOmitEmpty) && value.empty()) return;
            inst.add(f.name, value);
            if (f.flags & kDatetime) {
              inst.properties.back().wrapper = "Datetime";
              inst.properties.back().wrapper_ns = std::string(kNsCimCommon);
            }
          } else if constexpr (std::is_same_v<M, EndpointReference>) {
            inst.add(f.name, {});
            inst.properties.back().ref = value;
          } else if constexpr (std::is_same_v<M, std::vector<std::string>>) {
            for (const std::string& s : value) inst.add(f.name, s);
          } else if constexpr (std::is_same_v<M, std::vector<std::uint32_t>>) {
            for (std::uint32_t x : value) inst.add(f.name, std::to_string(x));
          } else if constexpr (std::is_same_v<M, std::vector<PowerState>>) {
            for (PowerState x : value) inst.add(f.name, std::to_string(static_cast<unsigned>(x)));
          } else if constexpr (std::is_same_v<M, bool>) {
            inst.add(f.name, value ? "true" : "false");
          } else if constexpr (std::is_same_v<M, PowerState>) {
            inst.add(f.name, std::to_string(static_cast<unsigned>(value)));
          } else {
            inst.add(f.name, std::to_string(value));
          }
        },
        f.member);
  }
  return inst;
}

using GS = GeneralSettings;
const Field<GS> kGeneralSettings[] = {
    {"AMTNetworkEnabled", &GS::amt_network_enabled},
    {"DDNSUpdateEnabled", &GS::ddns_update_enabled},
    {"DigestRealm", &GS::digest_realm},
    {"DomainName", &GS::domain_name},
    {"ElementName", &GS::element_name},
    {"HostName", &GS::host_name},
    {"HostOSFQDN", &GS::host_os_fqdn},
    {"IdleWakeTimeout", &GS::idle_wake_timeout},
    {"InstanceID", &GS::instance_id},
    {"NetworkInterfaceEnabled", &GS::network_interface_enabled},
    {"PingResponseEnabled", &GS::ping_response_enabled},
    {"PowerSource", &GS::power_source},
    {"PreferredAddressFamily", &GS::preferred_address_family},
    {"PrivacyLevel", &GS::privacy_level},
    {"RmcpPingResponseEnabled", &GS::rmcp_ping_response_enabled},
    {"SharedFQDN", &GS::shared_fqdn},
    {"WsmanOnlyMode", &GS::wsman_only_mode},
};

const Field<SoftwareIdentity> kSoftwareIdentity[] = {
    {"InstanceID", &SoftwareIdentity::instance_id},
    {"IsEntity", &SoftwareIdentity::is_entity},
    {"VersionString", &SoftwareIdentity::version_string},
};

const Field<ComputerSystemPackage> kComputerSystemPackage[] = {
    {"Antecedent", &ComputerSystemPackage::antecedent},
    {"Dependent", &ComputerSystemPackage::dependent},
    {"PlatformGUID", &ComputerSystemPackage::platform_guid},
};

const Field<Chassis> kChassis[] = {
    {"ChassisPackageType", &Chassis::chassis_package_type},
    {"CreationClassName", &Chassis::creation_class_name},
    {"ElementName", &Chassis::element_name},
    {"Manufacturer", &Chassis::manufacturer},
    {"Model", &Chassis::model},
    {"OperationalStatus", &Chassis::operational_status},
    {"PackageType", &Chassis::package_type},
    {"SerialNumber", &Chassis::serial_number},
    {"Tag", &Chassis::tag},
    {"Version", &Chassis::version},
};

const Field<Card> kCard[] = {
    {"CanBeFRUed", &Card::can_be_fru_ed},
    {"CreationClassName", &Card::creation_class_name},
    {"ElementName", &Card::element_name},
    {"Manufacturer", &Card::manufacturer},
    {"Model", &Card::model},
    {"OperationalStatus", &Card::operational_status},
    {"PackageType", &Card::package_type},
    {"SerialNumber", &Card::serial_number},
    {"Tag", &Card::tag},
    {"Version", &Card::version},
};

const Field<BiosElement> kBiosElement[] = {
    {"ElementName", &BiosElement::element_name},
    {"Manufacturer", &BiosElement::manufacturer},
    {"Name", &BiosElement::name},
    {"OperationalStatus", &BiosElement::operational_status},
    {"PrimaryBIOS", &BiosElement::primary_bios},
    {"ReleaseDate", &BiosElement::release_date, kDatetime},
    {"SoftwareElementID", &BiosElement::software_element_id},
    {"SoftwareElementState", &BiosElement::software_element_state},
    {"TargetOperatingSystem", &BiosElement::target_operating_system},
    {"Version", &BiosElement::version},
};

const Field<Processor> kProcessor[] = {
    {"CPUStatus", &Processor::cpu_status},
    {"CreationClassName", &Processor::creation_class_name},
    {"CurrentClockSpeed", &Processor::current_clock_speed},
    {"DeviceID", &Processor::device_id},
    {"ElementName", &Processor::element_name},
    {"EnabledState", &Processor::enabled_state},
    {"ExternalBusClockSpeed", &Processor::external_bus_clock_speed},
    {"Family", &Processor::family},
    {"HealthState", &Processor::health_state},
    {"MaxClockSpeed", &Processor::max_clock_speed},
    {"OperationalStatus", &Processor::operational_status},
    {"OtherFamilyDescription", &Processor::other_family_description},
    {"RequestedState", &Processor::requested_state},
    {"Role", &Processor::role},
    {"Stepping", &Processor::stepping},
    {"SystemCreationClassName", &Processor::system_creation_class_name},
    {"SystemName", &Processor::system_name},
    {"UpgradeMethod", &Processor::upgrade_method},
};

const Field<PhysicalMemory> kPhysicalMemory[] = {
    {"BankLabel", &PhysicalMemory::bank_label},
    {"Capacity", &PhysicalMemory::capacity},
    {"ConfiguredMemoryClockSpeed", &PhysicalMemory::configured_memory_clock_speed},
    {"CreationClassName", &PhysicalMemory::creation_class_name},
    {"ElementName", &PhysicalMemory::element_name},
    {"FormFactor", &PhysicalMemory::form_factor},
    {"IsSpeedInMhz", &PhysicalMemory::is_speed_in_mhz},
    {"Manufacturer", &PhysicalMemory::manufacturer},
    {"MaxMemorySpeed", &PhysicalMemory::max_memory_speed},
    {"MemoryType", &PhysicalMemory::memory_type},
    {"PartNumber", &PhysicalMemory::part_number},
    {"SerialNumber", &PhysicalMemory::serial_number},
    {"Speed", &PhysicalMemory::speed},
    {"Tag", &PhysicalMemory::tag},
};

using APMS = AssociatedPowerManagementService;
const Field<APMS> kAssociatedPowerManagementService[] = {
    {"AvailableRequestedPowerStates", &APMS::available_requested_power_states},
    {"PowerState", &APMS::power_state},
    {"ServiceProvided", &APMS::service_provided},
    {"UserOfService", &APMS::user_of_service},
};

const Field<RedirectionService> kRedirectionService[] = {
    {"AccessLog", &RedirectionService::access_log, kReadOnly},
    {"CreationClassName", &RedirectionService::creation_class_name},
    {"ElementName", &RedirectionService::element_name},
    {"EnabledState", &RedirectionService::enabled_state},
    {"ListenerEnabled", &RedirectionService::listener_enabled},
    {"Name", &RedirectionService::name},
    {"SystemCreationClassName", &RedirectionService::system_creation_class_name},
    {"SystemName", &RedirectionService::system_name},
};

const Field<KvmRedirectionSap> kKvmRedirectionSap[] = {
    {"CreationClassName", &KvmRedirectionSap::creation_class_name},
    {"ElementName", &KvmRedirectionSap::element_name},
    {"EnabledState", &KvmRedirectionSap::enabled_state},
    {"KVMProtocol", &KvmRedirectionSap::kvm_protocol},
    {"Name", &KvmRedirectionSap::name},
    {"RequestedState", &KvmRedirectionSap::requested_state},
    {"SystemCreationClassName", &KvmRedirectionSap::system_creation_class_name},
    {"SystemName", &KvmRedirectionSap::system_name},
};

using KVM = KvmRedirectionSettingData;
// MeshCommander Puts the instance it read, so every property goes back (RFBPassword when set).
const Field<KVM> kKvmRedirectionSettingData[] = {
    {"BackToBackFbMode", &KVM::back_to_back_fb_mode},
    {"DefaultScreen", &KVM::default_screen},
    {"DoubleBufferActive", &KVM::double_buffer_active},
    {"DoubleBufferEnabled", &KVM::double_buffer_enabled},
    {"ElementName", &KVM::element_name},
    {"EnabledByMEBx", &KVM::enabled_by_mebx},
    {"GrayscalePixelFormatSupported", &KVM::grayscale_pixel_format_supported},
    {"InitialDecimationModeForLowRes", &KVM::initial_decimation_mode_for_low_res},
    {"InstanceID", &KVM::instance_id},
    {"Is5900PortEnabled", &KVM::is_5900_port_enabled},
    {"OptInPolicy", &KVM::opt_in_policy},
    {"OptInPolicyTimeout", &KVM::opt_in_policy_timeout},
    {"RFBPassword", &KVM::rfb_password, kOmitEmpty},
    {"SessionTimeout", &KVM::session_timeout},
    {"ZlibControlSupported", &KVM::zlib_control_supported},
};

using BC = BootCapabilities;
const Field<BC> kBootCapabilities[] = {
    {"BIOSPause", &BC::bios_pause},
    {"BIOSReflash", &BC::bios_reflash},
    {"BIOSSetup", &BC::bios_setup},
    {"ConfigurationDataReset", &BC::configuration_data_reset},
    {"ElementName", &BC::element_name},
    {"ForceCDorDVDBoot", &BC::force_cd_or_dvd_boot},
    {"ForceDiagnosticBoot", &BC::force_diagnostic_boot},
    {"ForceHardDriveBoot", &BC::force_hard_drive_boot},
    {"ForceHardDriveSafeModeBoot", &BC::force_hard_drive_safe_mode_boot},
    {"ForcePXEBoot", &BC::force_pxe_boot},
    {"ForcedProgressEvents", &BC::forced_progress_events},
    {"IDER", &BC::ider},
    {"InstanceID", &BC::instance_id},
    {"KeyboardLock", &BC::keyboard_lock},
    {"PowerButtonLock", &BC::power_button_lock},
    {"ResetButtonLock", &BC::reset_button_lock},
    {"SOL", &BC::sol},
    {"SecureErase", &BC::secure_erase},
    {"SleepButtonLock", &BC::sleep_button_lock},
    {"UserPasswordBypass", &BC::user_password_bypass},
    {"VerbosityQuiet", &BC::verbosity_quiet},
    {"VerbosityScreenBlank", &BC::verbosity_screen_blank},
    {"VerbosityVerbose", &BC::verbosity_verbose},
};

// Read-only properties per the fact sheet's boot sequence (MeshCommander drops them before Put).
using BSD = BootSettingData;
const Field<BSD> kBootSettingData[] = {
    {"BIOSLastStatus", &BSD::bios_last_status, kReadOnly},
    {"BIOSPause", &BSD::bios_pause},
    {"BIOSSetup", &BSD::bios_setup},
    {"BootMediaIndex", &BSD::boot_media_index},
    {"BootguardStatus", &BSD::bootguard_status, kReadOnly},
    {"ConfigurationDataReset", &BSD::configuration_data_reset},
    {"ElementName", &BSD::element_name},
    {"EnforceSecureBoot", &BSD::enforce_secure_boot},
    {"FirmwareVerbosity", &BSD::firmware_verbosity},
    {"ForcedProgressEvents", &BSD::forced_progress_events},
    {"IDERBootDevice", &BSD::ider_boot_device},
    {"InstanceID", &BSD::instance_id},
    {"LockKeyboard", &BSD::lock_keyboard},
    {"LockPowerButton", &BSD::lock_power_button},
    {"LockResetButton", &BSD::lock_reset_button},
    {"LockSleepButton", &BSD::lock_sleep_button},
    {"OptionsCleared", &BSD::options_cleared, kReadOnly},
    {"OwningEntity", &BSD::owning_entity},
    {"PlatformErase", &BSD::platform_erase},
    {"RPEEnabled", &BSD::rpe_enabled, kReadOnly},
    {"ReflashBIOS", &BSD::reflash_bios},
    {"SecureBootControlEnabled", &BSD::secure_boot_control_enabled, kReadOnly},
    {"SecureErase", &BSD::secure_erase},
    {"UEFIHTTPSBootEnabled", &BSD::uefi_https_boot_enabled, kReadOnly},
    {"UEFILocalPBABootEnabled", &BSD::uefi_local_pba_boot_enabled, kReadOnly},
    {"UseIDER", &BSD::use_ider},
    {"UseSOL", &BSD::use_sol},
    {"UseSafeMode", &BSD::use_safe_mode},
    {"UserPasswordBypass", &BSD::user_password_bypass},
    {"WinREBootEnabled", &BSD::win_re_boot_enabled, kReadOnly},
};

using EPS = EthernetPortSettings;
const Field<EPS> kEthernetPortSettings[] = {
    {"DHCPEnabled", &EPS::dhcp_enabled},
    {"DefaultGateway", &EPS::default_gateway},
    {"ElementName", &EPS::element_name},
    {"IPAddress", &EPS::ip_address},
    {"InstanceID", &EPS::instance_id},
    {"IpSyncEnabled", &EPS::ip_sync_enabled},
    {"LinkIsUp", &EPS::link_is_up},
    {"LinkPolicy", &EPS::link_policy},
    {"MACAddress", &EPS::mac_address},
    {"PhysicalConnectionType", &EPS::physical_connection_type},
    {"PrimaryDNS", &EPS::primary_dns},
    {"SecondaryDNS", &EPS::secondary_dns},
    {"SharedDynamicIP", &EPS::shared_dynamic_ip},
    {"SharedMAC", &EPS::shared_mac},
    {"SharedStaticIp", &EPS::shared_static_ip},
    {"SubnetMask", &EPS::subnet_mask},
};

template <typename T, std::size_t N>
std::span<const Field<T>> table(const Field<T> (&fields)[N]) {
  return std::span<const Field<T>>(fields, N);
}

// MeshCommander's EPR address for method arguments; AMT only reads the reference parameters.
constexpr std::string_view kArgumentAddress = kNsAddressing;

EndpointReference reference(std::string_view class_name, std::vector<Selector> selectors) {
  return EndpointReference{std::string(kArgumentAddress), resource_uri(class_name), std::move(selectors)};
}

constexpr std::string_view kBootConfiguration0 = "Intel(r) AMT: Boot Configuration 0";

Result<const Instance*> input_of(const Request& request) {
  if (!request.instance || request.instance->class_name != std::string(request.method()) + "_INPUT")
    return make_error("wsman-unexpected-body", "the request has no " + std::string(request.method()) + "_INPUT");
  return &*request.instance;
}

}  // namespace

// [SECTION] Names and small rules

std::string_view power_state_name(PowerState s) {
  switch (s) {
    case PowerState::kUnknown: return "Unknown";
    case PowerState::kOther: return "Other";
    case PowerState::kOn: return "On";
    case PowerState::kSleepLight: return "Sleep - Light";
    case PowerState::kSleepDeep: return "Sleep - Deep";
    case PowerState::kPowerCycleOffSoft: return "Power Cycle (Off - Soft)";
    case PowerState::kOffHard: return "Off - Hard";
    case PowerState::kHibernate: return "Hibernate (Off - Soft)";
    case PowerState::kOffSoft: return "Off - Soft";
    case PowerState::kPowerCycleOffHard: return "Power Cycle (Off - Hard)";
    case PowerState::kMasterBusReset: return "Master Bus Reset";
    case PowerState::kDiagnosticInterruptNmi: return "Diagnostic Interrupt (NMI)";
    case PowerState::kOffSoftGraceful: return "Off - Soft Graceful";
    case PowerState::kOffHardGraceful: return "Off - Hard Graceful";
    case PowerState::kMasterBusResetGraceful: return "Master Bus Reset Graceful";
    case PowerState::kPowerCycleOffSoftGraceful: return "Power Cycle (Off - Soft Graceful)";
    case PowerState::kPowerCycleOffHardGraceful: return "Power Cycle (Off - Hard Graceful)";
    case PowerState::kDiagnosticInterruptInit: return "Diagnostic Interrupt (INIT)";
  }
  return "Unknown";
}

std::string amt_version(const std::vector<SoftwareIdentity>& identities) {
  for (const SoftwareIdentity& s : identities)
    if (s.instance_id == "AMT") return s.version_string;
  return {};
}

RedirectionState redirection_state(bool ider, bool sol) {
  return static_cast<RedirectionState>(32768u + (ider ? 1u : 0u) + (sol ? 2u : 0u));
}

bool kvm_enabled(const KvmRedirectionSap& sap) { return sap.enabled_state == 2 || sap.enabled_state == 6; }

// [SECTION] Conversions

#define MW_WSMAN_CLASS(Type, fields)                                                             \
  template <>                                                                                    \
  Result<Type> from_instance<Type>(const Instance& instance) {                                   \
    return read_fields<Type>(instance, table(fields));                                           \
  }                                                                                              \
  Instance to_instance(const Type& v) { return write_fields<Type>(v, table(fields), false); }

MW_WSMAN_CLASS(GeneralSettings, kGeneralSettings)
MW_WSMAN_CLASS(SoftwareIdentity, kSoftwareIdentity)
MW_WSMAN_CLASS(ComputerSystemPackage, kComputerSystemPackage)
MW_WSMAN_CLASS(Chassis, kChassis)
MW_WSMAN_CLASS(Card, kCard)
MW_WSMAN_CLASS(BiosElement, kBiosElement)
MW_WSMAN_CLASS(Processor, kProcessor)
MW_WSMAN_CLASS(PhysicalMemory, kPhysicalMemory)
MW_WSMAN_CLASS(AssociatedPowerManagementService, kAssociatedPowerManagementService)
MW_WSMAN_CLASS(RedirectionService, kRedirectionService)
MW_WSMAN_CLASS(KvmRedirectionSap, kKvmRedirectionSap)
MW_WSMAN_CLASS(KvmRedirectionSettingData, kKvmRedirectionSettingData)
MW_WSMAN_CLASS(BootCapabilities, kBootCapabilities)
MW_WSMAN_CLASS(BootSettingData, kBootSettingData)
MW_WSMAN_CLASS(EthernetPortSettings, kEthernetPortSettings)
#undef MW_WSMAN_CLASS

Instance to_put_instance(const RedirectionService& v) {
  return write_fields<RedirectionService>(v, table(kRedirectionService), true);
}
Instance to_put_instance(const KvmRedirectionSettingData& v) {
  return write_fields<KvmRedirectionSettingData>(v, table(kKvmRedirectionSettingData), true);
}
Instance to_put_instance(const BootSettingData& v) {
  return write_fields<BootSettingData>(v, table(kBootSettingData), true);
}

Result<Instance> response_instance(const Response& response, std::string_view class_name) {
  if (response.fault) return response.fault->to_error();
  if (!response.instance) return make_error("wsman-unexpected-body", "the response body holds no instance");
  if (response.instance->class_name != class_name) return wrong_class(class_name, response.instance->class_name);
  return *response.instance;
}

// [SECTION] Method calls

Result<std::uint32_t> read_return_value(const Response& response, std::string_view method) {
  auto out = response_instance(response, std::string(method) + "_OUTPUT");
  if (!out) return out.error();
  std::uint32_t rv = 0;
  const Property* p = out->find("ReturnValue");
  if (!p) return make_error("wsman-bad-value", std::string(method) + "_OUTPUT has no ReturnValue");
  if (!parse_number(p->value, rv)) return bad_value(out->class_name, "ReturnValue", p->value, "a number");
  return rv;
}

Instance method_output(const Request& request, std::uint32_t return_value) {
  Instance out;
  out.class_name = std::string(request.method()) + "_OUTPUT";
  out.ns = request.resource_uri;
  out.add("ReturnValue", std::to_string(return_value));
  return out;
}

Result<std::uint32_t> read_u32_argument(const Request& request, std::string_view name) {
  auto in = input_of(request);
  if (!in) return in.error();
  const Property* p = (*in)->find(name);
  if (!p) return make_error("wsman-missing-argument", std::string(request.method()) + " has no " + std::string(name));
  std::uint32_t v = 0;
  if (!parse_number(p->value, v)) return bad_value((*in)->class_name, name, p->value, "a number");
  return v;
}

Request request_power_state_change(PowerState state) {
  Instance args;
  args.add("PowerState", std::to_string(static_cast<unsigned>(state)));
  args.set_ref("ManagedElement", reference("CIM_ComputerSystem", {{"CreationClassName", "CIM_ComputerSystem"},
                                                                  {"Name", "ManagedSystem"}}));
  return make_invoke(resource_uri("CIM_PowerManagementService"), "RequestPowerStateChange", std::move(args));
}

Result<PowerStateChange> read_power_state_change(const Request& request) {
  auto state = read_u32_argument(request, "PowerState");
  if (!state) return state.error();
  if (*state > 0xFFFF) return make_error("wsman-bad-value", "PowerState out of range");
  PowerStateChange out;
  out.power_state = static_cast<PowerState>(*state);
  const Property* me = request.instance->find("ManagedElement");
  if (!me || !me->ref) return make_error("wsman-missing-argument", "RequestPowerStateChange has no ManagedElement");
  out.managed_element = *me->ref;
  return out;
}

Request redirection_request_state_change(RedirectionState state) {
  Instance args;
  args.add("RequestedState", std::to_string(static_cast<std::uint32_t>(state)));
  return make_invoke(resource_uri("AMT_RedirectionService"), "RequestStateChange", std::move(args));
}

Request kvm_request_state_change(bool enable) {
  Instance args;
  args.add("RequestedState", enable ? "2" : "3");
  return make_invoke(resource_uri("CIM_KVMRedirectionSAP"), "RequestStateChange", std::move(args));
}

// [SECTION] Boot

std::string_view boot_source_instance_id(BootTarget target) {
  switch (target) {
    case BootTarget::kBiosSetup: return {};
    case BootTarget::kPxe: return "Intel(r) AMT: Force PXE Boot";
    case BootTarget::kCdDvd: return "Intel(r) AMT: Force CD/DVD Boot";
    case BootTarget::kHardDrive: return "Intel(r) AMT: Force Hard-drive Boot";
    case BootTarget::kDiagnostic: return "Intel(r) AMT: Force Diagnostic Boot";
  }
  return {};
}

BootSettingData boot_settings_for(BootSettingData s, BootTarget target, bool use_sol) {
  s.bios_setup = target == BootTarget::kBiosSetup;
  s.bios_pause = false;
  s.use_sol = use_sol;
  s.use_ider = false;
  s.boot_media_index = 0;
  s.configuration_data_reset = false;
  s.use_safe_mode = false;
  s.reflash_bios = false;
  s.lock_power_button = false;
  s.lock_reset_button = false;
  s.lock_keyboard = false;
  s.lock_sleep_button = false;
  s.user_password_bypass = false;
  s.forced_progress_events = false;
  s.firmware_verbosity = 0;
  s.ider_boot_device = 0;
  s.secure_erase = false;
  s.platform_erase = false;
  return s;
}

Request change_boot_order(std::string_view source_instance_id) {
  Instance args;
  if (!source_instance_id.empty())
    args.set_ref("Source", reference("CIM_BootSourceSetting", {{"InstanceID", std::string(source_instance_id)}}));
  return make_invoke(resource_uri("CIM_BootConfigSetting"), "ChangeBootOrder", std::move(args));
}

Request set_boot_config_role(std::uint32_t role) {
  Instance args;
  args.set_ref("BootConfigSetting",
               reference("CIM_BootConfigSetting", {{"InstanceID", std::string(kBootConfiguration0)}}));
  args.add("Role", std::to_string(role));
  return make_invoke(resource_uri("CIM_BootService"), "SetBootConfigRole", std::move(args));
}

Result<std::optional<EndpointReference>> read_change_boot_order(const Request& request) {
  auto in = input_of(request);
  if (!in) return in.error();
  const Property* p = (*in)->find("Source");
  if (!p) return std::optional<EndpointReference>();
  if (!p->ref) return make_error("wsman-bad-value", "ChangeBootOrder Source is not a reference");
  return std::optional<EndpointReference>(*p->ref);
}

Result<BootConfigRole> read_set_boot_config_role(const Request& request) {
  auto role = read_u32_argument(request, "Role");
  if (!role) return role.error();
  const Property* p = request.instance->find("BootConfigSetting");
  if (!p || !p->ref) return make_error("wsman-missing-argument", "SetBootConfigRole has no BootConfigSetting");
  return BootConfigRole{*p->ref, *role};
}

std::vector<Request> ider_boot_sequence(const BootSettingData& current, bool cdrom, bool use_sol, bool powered_on) {
  BootSettingData s = boot_settings_for(current, BootTarget::kCdDvd, use_sol);
  s.use_ider = true;
  s.ider_boot_device = cdrom ? 1 : 0;
  std::vector<Request> out;
  out.push_back(change_boot_order());
  out.push_back(put_request(s));
  out.push_back(set_boot_config_role(1));
  out.push_back(request_power_state_change(powered_on ? PowerState::kMasterBusReset : PowerState::kOn));
  return out;
}

std::vector<Request> boot_sequence(const BootSettingData& current, BootTarget target, bool use_sol,
                                   bool powered_on) {
  std::vector<Request> out;
  out.push_back(change_boot_order());
  out.push_back(put_request(boot_settings_for(current, target, use_sol)));
  out.push_back(set_boot_config_role(1));
  out.push_back(change_boot_order(boot_source_instance_id(target)));
  out.push_back(request_power_state_change(powered_on ? PowerState::kMasterBusReset : PowerState::kOn));
  return out;
}

}  // namespace mw::wsman
