#include "wsman_device.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "mw/wsman/digest.hpp"
#include "mw/wsman/envelope.hpp"

namespace mw::amtsim {

namespace {

using wsman::EndpointReference;
using wsman::Instance;

EndpointReference computer_system() {
  EndpointReference r;
  r.resource_uri = wsman::resource_uri("CIM_ComputerSystem");
  r.selectors = {{"CreationClassName", "CIM_ComputerSystem"}, {"Name", "ManagedSystem"}};
  return r;
}

EndpointReference power_service() {
  EndpointReference r;
  r.resource_uri = wsman::resource_uri("CIM_PowerManagementService");
  r.selectors = {{"CreationClassName", "CIM_PowerManagementService"},
                 {"Name", "Intel(r) AMT Power Management Service"},
                 {"SystemCreationClassName", "CIM_ComputerSystem"},
                 {"SystemName", "Intel(r) AMT"}};
  return r;
}

constexpr std::size_t kMaxAuditRecords = 1000;  // older records are dropped, as AMT's log wraps
constexpr std::size_t kMaxEventRecords = 390;

std::uint32_t unix_now() {
  return static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace

void WsmanDevice::audit(std::uint16_t app_id, std::uint16_t event_id, const std::string& user) {
  wsman::AuditRecord r;
  r.app_id = app_id;
  r.event_id = event_id;
  r.initiator_type = wsman::AuditInitiatorType::kHttpDigest;
  r.initiator = user.substr(0, 255);
  r.timestamp = unix_now();
  r.mc_location_type = 0;
  r.net_address = "127.0.0.1";
  if (audit_log_.size() >= kMaxAuditRecords) audit_log_.erase(audit_log_.begin());
  audit_log_.push_back(std::move(r));
}

// What a BIOS writes to the event log while booting: system firmware progress (sensor type 15),
// "system firmware progress" offsets for memory init, primary processor init and the OS boot.
void WsmanDevice::booted() {
  // One-shot boot options armed by SetBootConfigRole apply to this boot, then are cleared.
  firmware_boot_ = FirmwareBoot::kOperatingSystem;
  if (boot_armed_) {
    if (boot_settings_.bios_setup) firmware_boot_ = FirmwareBoot::kBiosSetup;
    else if (boot_settings_.use_ider) firmware_boot_ = boot_settings_.ider_boot_device == 1 ? FirmwareBoot::kIderCd : FirmwareBoot::kIderFloppy;
    else if (forced_source_ == wsman::boot_source_instance_id(wsman::BootTarget::kPxe)) firmware_boot_ = FirmwareBoot::kPxe;
    boot_armed_ = false;
    boot_settings_.bios_setup = false;
    boot_settings_.use_ider = false;
    forced_source_.clear();
  }
  ++boots_;
  ider_boot_lines_.clear();
  ider_probe_pending_ = ider_attached_;  // the firmware probes the IDE-R drives shown to it
  const std::uint8_t last = firmware_boot_ == FirmwareBoot::kBiosSetup ? 0x05   // entering BIOS setup
                            : firmware_boot_ == FirmwareBoot::kPxe     ? 0x08   // option ROM (the NIC's PXE)
                                                                       : 0x13;  // starting the OS boot
  for (const std::uint8_t progress : {std::uint8_t{0x01}, std::uint8_t{0x19}, last}) {
    wsman::EventRecord e;
    e.timestamp = unix_now();
    e.device_address = 0x20;
    e.event_sensor_type = 15;
    e.event_type = 0x6F;
    e.event_offset = 2;
    e.event_source_type = 0x68;
    e.event_severity = 0x02;  // information (PET severity)
    e.sensor_number = 0xFF;
    e.entity = 34;  // BIOS
    e.event_data = {0x40, progress, 0, 0, 0, 0, 0, 0};
    if (event_log_.size() >= kMaxEventRecords) event_log_.erase(event_log_.begin());
    event_log_.push_back(e);
  }
}

WsmanDevice::WsmanDevice(WsmanIdentity identity, PowerState& power, std::function<std::string(std::size_t)> random_hex)
    : id_(std::move(identity)), power_(power), random_hex_(std::move(random_hex)) {
  nonce_ = random_hex_(16);
  if (power_ == PowerState::kOn) booted();
}

std::string WsmanDevice::http(int status, const std::string& body) {
  wsman::HttpResponseHead head;
  head.status = status;
  head.headers = {{"Content-Type", "application/soap+xml;charset=UTF-8"}, {"Server", "Intel(R) Active Management Technology " + id_.amt_version}};
  head.framing = wsman::BodyFraming::kChunked;  // as AMT answers
  auto r = wsman::build_http_response(head, body);
  return r ? *r : std::string("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
}

std::string WsmanDevice::unauthorized(bool stale) {
  wsman::DigestChallenge c;
  c.realm = id_.realm;
  c.nonce = nonce_;  // no opaque: AMT sends none (and MeshCentral would not return one)
  c.qop = {"auth"};
  c.stale = stale;
  wsman::HttpResponseHead head;
  head.status = 401;
  head.headers = {{"WWW-Authenticate", wsman::format_digest_challenge(c).value_or("Digest")},
                  {"Content-Type", "text/html"}, {"Server", "Intel(R) Active Management Technology " + id_.amt_version}};
  auto r = wsman::build_http_response(head, "<html><body>401 Unauthorized</body></html>");
  return r ? *r : std::string("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
}

std::string WsmanDevice::handle(const wsman::HttpMessage& request) {
  if (request.method != "POST" || request.target != "/wsman") {
    wsman::HttpResponseHead head;
    head.status = request.method == "POST" ? 404 : 405;
    head.headers = {{"Server", "Intel(R) Active Management Technology " + id_.amt_version}};
    return wsman::build_http_response(head, {}).value_or("");
  }
  const std::string_view auth = request.header("Authorization");
  if (auth.empty()) return unauthorized(false);
  auto creds = wsman::parse_digest_credentials(auth);
  if (!creds) return unauthorized(false);
  const wsman::DigestExpectation expected{id_.realm, nonce_, "", "POST", request.target, request.body};
  switch (wsman::verify_digest(*creds, id_.username, id_.password, expected)) {
    case wsman::DigestVerdict::kOk: break;
    case wsman::DigestVerdict::kStaleNonce: return unauthorized(true);
    default: return unauthorized(false);
  }
  auto parsed = wsman::parse_request(request.body);
  if (!parsed) {
    wsman::Request empty;
    auto fault = wsman::make_fault_reply(empty, wsman::amt_message_id(++message_counter_), wsman::fault_for(parsed.error()));
    return http(400, wsman::build_response(fault).value_or(""));
  }
  const wsman::Response response = answer(*parsed, creds->username);
  auto xml = wsman::build_response(response);
  if (!xml) return http(500, {});
  return http(response.fault ? response.fault->http_status() : 200, *xml);
}

wsman::PowerState WsmanDevice::cim_power_state() const {
  switch (power_) {
    case PowerState::kOn: return wsman::PowerState::kOn;
    case PowerState::kSleep: return wsman::PowerState::kSleepDeep;
    case PowerState::kHibernate: return wsman::PowerState::kHibernate;
    case PowerState::kSoftOff: return wsman::PowerState::kOffSoft;
  }
  return wsman::PowerState::kUnknown;
}

// DSP1027 RequestPowerStateChange: 0 completed, 1 not supported, 5 invalid parameter (a state
// the current one cannot go to, as AMT answers a power-on of a running computer).
std::uint32_t WsmanDevice::power_change(wsman::PowerState requested, const std::string& user) {
  const bool on = power_ == PowerState::kOn;
  // Audit events of the Remote Control application (17): 0 power up, 1 power down, 2 power
  // cycle, 3 reset, 7 standby, 8 hibernate.
  std::uint16_t audit_event = 0;
  switch (requested) {
    case wsman::PowerState::kOn:
      if (on) return 5;
      power_ = PowerState::kOn;
      audit_event = 0;
      booted();
      break;
    case wsman::PowerState::kOffSoft:
    case wsman::PowerState::kOffHard:
    case wsman::PowerState::kOffSoftGraceful:
    case wsman::PowerState::kOffHardGraceful:
      if (power_ == PowerState::kSoftOff) return 5;
      power_ = PowerState::kSoftOff;
      audit_event = 1;
      break;
    case wsman::PowerState::kPowerCycleOffSoft:
    case wsman::PowerState::kPowerCycleOffHard:
    case wsman::PowerState::kMasterBusReset:
    case wsman::PowerState::kMasterBusResetGraceful:
    case wsman::PowerState::kPowerCycleOffSoftGraceful:
    case wsman::PowerState::kPowerCycleOffHardGraceful:
      if (!on) return 5;
      power_ = PowerState::kOn;  // restarts: the console shows the boot screen again
      audit_event = requested == wsman::PowerState::kMasterBusReset || requested == wsman::PowerState::kMasterBusResetGraceful ? 3 : 2;
      booted();
      break;
    case wsman::PowerState::kSleepDeep:
    case wsman::PowerState::kSleepLight:
      if (!on) return 5;
      power_ = PowerState::kSleep;
      audit_event = 7;
      break;
    case wsman::PowerState::kHibernate:
      if (!on) return 5;
      power_ = PowerState::kHibernate;
      audit_event = 8;
      break;
    default:
      return 1;
  }
  audit(17, audit_event, user);
  return 0;
}

wsman::Response WsmanDevice::answer(const wsman::Request& request, const std::string& user) {
  const std::string id = wsman::amt_message_id(++message_counter_);
  const std::string cls(wsman::last_segment(request.resource_uri));
  const auto op = request.operation();
  const auto fault = [&](wsman::FaultKind kind, std::string reason) {
    return wsman::make_fault_reply(request, id, wsman::make_fault(kind, std::move(reason)));
  };

  if (op == wsman::Operation::kInvoke && id_.refused_methods.count(std::string(request.method()))) {
    auto r = wsman::make_reply(request, id);
    r.instance = wsman::method_output(request, 1);
    return r;
  }
  if (op == wsman::Operation::kPull) return pull(request);
  if (op == wsman::Operation::kRelease) {
    contexts_.erase(request.enumeration_context);
    return wsman::make_reply(request, id);
  }

  if (cls == "AMT_GeneralSettings" && op == wsman::Operation::kGet) {
    wsman::GeneralSettings gs;
    gs.digest_realm = id_.realm;
    gs.host_name = "amtsim-" + std::to_string(id_.index);
    auto r = wsman::make_reply(request, id);
    r.instance = wsman::to_instance(gs);
    return r;
  }
  if (cls == "CIM_ComputerSystemPackage" && op == wsman::Operation::kGet) {
    wsman::ComputerSystemPackage p;
    p.antecedent.resource_uri = wsman::resource_uri("CIM_Chassis");
    p.antecedent.selectors = {{"CreationClassName", "CIM_Chassis"}, {"Tag", "CIM_Chassis"}};
    p.dependent = computer_system();
    for (const char c : id_.uuid) {
      if (c != '-') p.platform_guid.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
    auto r = wsman::make_reply(request, id);
    r.instance = wsman::to_instance(p);
    return r;
  }
  // Boot options (MeshCommander's "boot to BIOS setup" / PXE sequence, wsman.md 4.3).
  if (cls == "AMT_BootCapabilities" && op == wsman::Operation::kGet) {
    auto r = wsman::make_reply(request, id);
    r.instance = wsman::to_instance(wsman::BootCapabilities{});
    return r;
  }
  if (cls == "AMT_BootSettingData" && op == wsman::Operation::kGet) {
    auto r = wsman::make_reply(request, id);
    r.instance = wsman::to_instance(boot_settings_);
    return r;
  }
  if (cls == "AMT_BootSettingData" && op == wsman::Operation::kPut) {
    if (!request.instance) return fault(wsman::FaultKind::kInvalidParameter, "AMT_BootSettingData");
    auto put = wsman::from_instance<wsman::BootSettingData>(*request.instance);
    if (!put) return fault(wsman::FaultKind::kInvalidParameter, put.error().message);
    boot_settings_ = *put;
    audit(17, 4, user);  // RCO: Set Boot Options
    auto r = wsman::make_reply(request, id);
    r.instance = wsman::to_instance(boot_settings_);
    return r;
  }
  if (cls == "CIM_BootConfigSetting" && op == wsman::Operation::kInvoke && request.method() == "ChangeBootOrder") {
    auto source = wsman::read_change_boot_order(request);
    if (!source) return fault(wsman::FaultKind::kInvalidParameter, source.error().message);
    forced_source_.clear();
    if (*source) {
      for (const auto& sel : (*source)->selectors) {
        if (sel.name == "InstanceID") forced_source_ = sel.value;
      }
    }
    auto r = wsman::make_reply(request, id);
    r.instance = wsman::method_output(request, 0);
    return r;
  }
  if (cls == "CIM_BootService" && op == wsman::Operation::kInvoke && request.method() == "SetBootConfigRole") {
    auto role = wsman::read_set_boot_config_role(request);
    if (!role) return fault(wsman::FaultKind::kInvalidParameter, role.error().message);
    boot_armed_ = role->role == 1;
    auto r = wsman::make_reply(request, id);
    r.instance = wsman::method_output(request, 0);
    return r;
  }
  // Hardware inventory (what MeshCentral's and MeshCommander's "Hardware" pages read).
  const std::string serial = "MWSIM" + id_.uuid.substr(0, 8);
  if (op == wsman::Operation::kGet && (cls == "CIM_Chassis" || cls == "CIM_Card" || cls == "CIM_BIOSElement")) {
    auto r = wsman::make_reply(request, id);
    if (cls == "CIM_Chassis") {
      wsman::Chassis c;
      c.manufacturer = "Meshwork";
      c.model = "AMT Simulator";
      c.serial_number = serial;
      c.version = "1.0";
      r.instance = wsman::to_instance(c);
    } else if (cls == "CIM_Card") {
      wsman::Card c;
      c.manufacturer = "Meshwork";
      c.model = "AMTSIM-BOARD";
      c.serial_number = serial + "B";
      c.version = "1.0";
      r.instance = wsman::to_instance(c);
    } else {
      wsman::BiosElement b;
      b.manufacturer = "Meshwork";
      b.release_date = "2026-01-15T00:00:00Z";
      b.software_element_id = "MWSIM.1.0";
      b.version = "MWSIM.1.0";
      r.instance = wsman::to_instance(b);
    }
    return r;
  }
  if (cls == "CIM_Processor" && op == wsman::Operation::kEnumerate) {
    wsman::Processor p;
    p.current_clock_speed = 2400;
    p.max_clock_speed = 4600;
    p.external_bus_clock_speed = 100;
    p.family = 198;  // Intel Core i7
    p.stepping = 3;
    return enumerate(request, {wsman::to_instance(p)});
  }
  if (cls == "CIM_PhysicalMemory" && op == wsman::Operation::kEnumerate) {
    std::vector<Instance> items;
    for (int slot = 0; slot < 2; ++slot) {
      wsman::PhysicalMemory m;
      m.bank_label = "BANK " + std::to_string(slot);
      m.capacity = 8ull << 30;
      m.configured_memory_clock_speed = 3200;
      m.form_factor = 12;  // SODIMM
      m.manufacturer = "Meshwork";
      m.max_memory_speed = 3200;
      m.memory_type = 26;  // DDR4
      m.part_number = "MWSIM-8G";
      m.serial_number = serial + "M" + std::to_string(slot);
      items.push_back(wsman::to_instance(m));
    }
    return enumerate(request, std::move(items));
  }
  if (cls == "AMT_EthernetPortSettings" && op == wsman::Operation::kEnumerate) {
    wsman::EthernetPortSettings e;
    e.mac_address = "02-00-5e-" + id_.uuid.substr(0, 2) + "-" + id_.uuid.substr(2, 2) + "-" + id_.uuid.substr(4, 2);
    e.ip_address = "192.168.100." + std::to_string(10 + id_.index % 240);
    e.subnet_mask = "255.255.255.0";
    e.default_gateway = "192.168.100.1";
    e.primary_dns = "192.168.100.1";
    e.link_policy = {1, 14, 16, 224};
    return enumerate(request, {wsman::to_instance(e)});
  }
  if (cls == "CIM_SoftwareIdentity" && op == wsman::Operation::kEnumerate) {
    std::vector<Instance> items;
    const std::pair<const char*, std::string> versions[] = {
        {"Flash", id_.amt_version}, {"Netstack", id_.amt_version}, {"AMTApps", id_.amt_version},
        {"AMT", id_.amt_version},   {"Sku", "16392"},              {"VendorID", "8086"},
        {"Build Number", "2025"},   {"Recovery Version", id_.amt_version}};
    for (const auto& [name, version] : versions) {
      wsman::SoftwareIdentity si;
      si.instance_id = name;
      si.version_string = version;
      items.push_back(wsman::to_instance(si));
    }
    return enumerate(request, std::move(items));
  }
  if (cls == wsman::AssociatedPowerManagementService::kResourceClass && op == wsman::Operation::kEnumerate) {
    wsman::AssociatedPowerManagementService s;
    s.available_requested_power_states = {wsman::PowerState::kOn, wsman::PowerState::kSleepDeep,
                                          wsman::PowerState::kPowerCycleOffSoft, wsman::PowerState::kHibernate,
                                          wsman::PowerState::kOffSoft, wsman::PowerState::kMasterBusReset};
    s.power_state = cim_power_state();
    s.service_provided = power_service();
    s.user_of_service = computer_system();
    return enumerate(request, {wsman::to_instance(s)});
  }
  if (cls == "CIM_PowerManagementService" && op == wsman::Operation::kInvoke) {
    if (request.method() != "RequestPowerStateChange") {
      return fault(wsman::FaultKind::kActionNotSupported, "no method " + std::string(request.method()));
    }
    auto change = wsman::read_power_state_change(request);
    if (!change) return fault(wsman::FaultKind::kInvalidParameter, change.error().message);
    auto r = wsman::make_reply(request, id);
    r.instance = wsman::method_output(request, power_change(change->power_state, user));
    return r;
  }
  if (cls == "AMT_AuditLog" && op == wsman::Operation::kInvoke && request.method() == "ReadRecords") {
    auto start = wsman::read_u32_argument(request, "StartIndex");
    if (!start || *start == 0) return fault(wsman::FaultKind::kInvalidParameter, "StartIndex");
    wsman::AuditLogPage page;
    page.total_record_count = static_cast<std::uint32_t>(audit_log_.size());
    for (std::size_t i = *start - 1; i < audit_log_.size() && page.records.size() < 10; ++i) {
      page.records.push_back(audit_log_[i]);
    }
    page.records_returned = static_cast<std::uint32_t>(page.records.size());
    auto out = wsman::audit_log_output(page);
    if (!out) return fault(wsman::FaultKind::kInternalError, out.error().message);
    auto r = wsman::make_reply(request, id);
    r.instance = std::move(*out);
    return r;
  }
  if (cls == "AMT_MessageLog" && op == wsman::Operation::kInvoke && request.method() == "PositionToFirstRecord") {
    auto r = wsman::make_reply(request, id);
    r.instance = wsman::position_to_first_record_output(1);
    return r;
  }
  if (cls == "AMT_MessageLog" && op == wsman::Operation::kInvoke && request.method() == "GetRecords") {
    auto args = wsman::read_get_records(request);
    if (!args || args->iteration_identifier == 0) return fault(wsman::FaultKind::kInvalidParameter, "IterationIdentifier");
    // The iteration identifier is the 1-based index of the next record, newest first (as AMT).
    wsman::MessageLogPage page;
    std::size_t next = args->iteration_identifier - 1;
    while (next < event_log_.size() && page.records.size() < std::max<std::uint32_t>(args->max_read_records, 1)) {
      page.records.push_back(event_log_[event_log_.size() - 1 - next]);
      ++next;
    }
    page.iteration_identifier = static_cast<std::uint32_t>(next + 1);
    page.no_more_records = next >= event_log_.size();
    auto r = wsman::make_reply(request, id);
    r.instance = wsman::message_log_output(page);
    return r;
  }
  if (op == wsman::Operation::kGet || op == wsman::Operation::kEnumerate || op == wsman::Operation::kInvoke ||
      op == wsman::Operation::kPut) {
    return fault(wsman::FaultKind::kDestinationUnreachable, "amtsim does not simulate " + cls);
  }
  return fault(wsman::FaultKind::kActionNotSupported, "amtsim does not support " + request.action);
}

wsman::Response WsmanDevice::enumerate(const wsman::Request& request, std::vector<Instance> items) {
  // Bounded: a console that never pulls or releases does not grow the simulator without end.
  if (contexts_.size() >= 64) contexts_.erase(contexts_.begin());
  const std::string context = "amtsim-" + std::to_string(next_context_++);
  contexts_[context] = std::move(items);
  auto r = wsman::make_reply(request, wsman::amt_message_id(++message_counter_));
  r.enumeration_context = context;
  return r;
}

wsman::Response WsmanDevice::pull(const wsman::Request& request) {
  const std::string id = wsman::amt_message_id(++message_counter_);
  auto it = contexts_.find(request.enumeration_context);
  if (it == contexts_.end()) {
    return wsman::make_fault_reply(request, id,
                                   wsman::make_fault(wsman::FaultKind::kInvalidEnumerationContext, "unknown context"));
  }
  auto r = wsman::make_reply(request, id);
  const std::size_t n = std::min<std::size_t>(it->second.size(), request.max_elements.value_or(1));
  r.items.assign(it->second.begin(), it->second.begin() + static_cast<std::ptrdiff_t>(n));
  it->second.erase(it->second.begin(), it->second.begin() + static_cast<std::ptrdiff_t>(n));
  if (it->second.empty()) {
    r.end_of_sequence = true;
    contexts_.erase(it);
  } else {
    r.enumeration_context = request.enumeration_context;
  }
  return r;
}

}  // namespace mw::amtsim
