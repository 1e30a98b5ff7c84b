// shared/wsman typed AMT calls: each helper's request is read back by the device-side parser
// (action, resource URI, selectors, body values); the client reads answers written from the
// fact sheet/spec samples into structs; the device's own answers read back into the same structs.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "mw/wsman/amt.hpp"

namespace {

using namespace mw::wsman;

std::string data(const std::string& name) {
  std::ifstream f(std::string(MW_TEST_DATA) + "/wsman/" + name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Response sample(const std::string& name) {
  auto r = parse_response(data(name));
  EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Response{};
}

// The request as the device sees it after build_request/parse_request.
Request on_device(Request q, const std::string& id = "uuid:00000000-0000-4000-8000-000000000001") {
  q.message_id = id;
  auto xml = build_request(q);
  EXPECT_TRUE(xml.ok()) << (xml.ok() ? "" : xml.error().message);
  if (!xml.ok()) return {};
  auto back = parse_request(*xml);
  EXPECT_TRUE(back.ok()) << (back.ok() ? "" : back.error().message);
  if (!back.ok()) return {};
  EXPECT_EQ(*back, q);
  return *back;
}

// The device's answer as the client sees it after build_response/parse_response.
Response to_client(const Request& q, std::optional<Instance> body, std::vector<Instance> items = {}) {
  Response r = make_reply(q, amt_message_id(7));
  r.instance = std::move(body);
  if (q.operation() == Operation::kPull) {
    r.items = std::move(items);
    r.end_of_sequence = true;
  }
  auto xml = build_response(r);
  EXPECT_TRUE(xml.ok()) << (xml.ok() ? "" : xml.error().message);
  if (!xml.ok()) return {};
  auto back = parse_response(*xml);
  EXPECT_TRUE(back.ok()) << (back.ok() ? "" : back.error().message);
  if (!back.ok()) return {};
  EXPECT_FALSE(check_reply(q, *back).has_value());
  return *back;
}

// Device-side Get answer read back into T.
template <typename T>
T get_round_trip(const T& value) {
  const Request q = on_device(get_request<T>());
  EXPECT_EQ(q.operation(), Operation::kGet);
  EXPECT_EQ(q.resource_uri, resource_uri(T::kClassName));
  auto v = read_response<T>(to_client(q, to_instance(value)));
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().message);
  return v.ok() ? *v : T{};
}

// Device-side Enumerate/Pull answer read back into T.
template <typename T>
std::vector<T> pull_round_trip(const std::vector<T>& values) {
  Enumeration en = enumeration<T>();
  const Request start = on_device(en.start());
  EXPECT_EQ(start.operation(), Operation::kEnumerate);
  Response er = make_reply(start, amt_message_id(1));
  er.enumeration_context = "01000000-0000-0000-0000-000000000000";
  auto next = en.on_response(er);
  EXPECT_TRUE(next.ok() && next->has_value());
  if (!next.ok() || !next->has_value()) return {};
  const Request pull = on_device(**next);
  EXPECT_EQ(pull.enumeration_context, "01000000-0000-0000-0000-000000000000");
  std::vector<Instance> items;
  for (const T& v : values) items.push_back(to_instance(v));
  auto done = en.on_response(to_client(pull, std::nullopt, items));
  EXPECT_TRUE(done.ok() && !done->has_value());
  auto out = read_items<T>(en.items());
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
  return out.ok() ? *out : std::vector<T>{};
}

TEST(WsmanAmt, GeneralSettings) {
  auto gs = read_response<GeneralSettings>(sample("general_settings_response.xml"));
  ASSERT_TRUE(gs.ok()) << gs.error().message;
  EXPECT_EQ(gs->host_name, "pc-01");
  EXPECT_EQ(gs->domain_name, "example.lan");
  EXPECT_EQ(gs->digest_realm, "Digest:0123456789ABCDEF0123456789ABCDEF");
  EXPECT_EQ(gs->host_os_fqdn, "pc-01.example.lan");
  EXPECT_EQ(gs->amt_network_enabled, 1u);
  EXPECT_TRUE(gs->network_interface_enabled);
  EXPECT_FALSE(gs->ddns_update_enabled);
  EXPECT_EQ(gs->idle_wake_timeout, 65535u);
  EXPECT_EQ(gs->privacy_level, 1u);
  EXPECT_FALSE(gs->wsman_only_mode);
  EXPECT_EQ(get_round_trip(*gs), *gs);
}

TEST(WsmanAmt, SoftwareIdentityGivesAmtVersion) {
  auto items = read_items<SoftwareIdentity>(sample("software_identity_pull_response.xml").items);
  ASSERT_TRUE(items.ok()) << items.error().message;
  ASSERT_EQ(items->size(), 5u);
  EXPECT_EQ(amt_version(*items), "16.1.25");
  EXPECT_EQ((*items)[3].instance_id, "Sku");
  EXPECT_EQ((*items)[3].version_string, "16392");
  EXPECT_EQ(pull_round_trip(*items), *items);
  EXPECT_EQ(amt_version({}), "");
}

TEST(WsmanAmt, HardwareInventory) {
  auto csp = read_response<ComputerSystemPackage>(sample("computer_system_package_response.xml"));
  ASSERT_TRUE(csp.ok()) << csp.error().message;
  EXPECT_EQ(csp->platform_guid, "44454C4C4B0010428033B6C04F504633");
  EXPECT_EQ(csp->antecedent.resource_uri, resource_uri("CIM_Chassis"));
  EXPECT_EQ(csp->dependent.selectors[1], (Selector{"Name", "ManagedSystem"}));
  EXPECT_EQ(get_round_trip(*csp), *csp);

  auto chassis = read_response<Chassis>(sample("chassis_response.xml"));
  ASSERT_TRUE(chassis.ok()) << chassis.error().message;
  EXPECT_EQ(chassis->manufacturer, "Example Computers & Co.");
  EXPECT_EQ(chassis->model, "Desk 7090");
  EXPECT_EQ(chassis->serial_number, "SN-0042");
  EXPECT_EQ(chassis->version, "");
  EXPECT_EQ(chassis->chassis_package_type, 3u);
  EXPECT_EQ(get_round_trip(*chassis), *chassis);

  Card card;
  card.manufacturer = "Example";
  card.model = "0MVDNX";
  card.serial_number = "/6KB3PF3/CNPEC0017500BC/";
  card.version = "A00";
  EXPECT_EQ(get_round_trip(card), card);

  auto bios = read_response<BiosElement>(sample("bios_element_response.xml"));
  ASSERT_TRUE(bios.ok()) << bios.error().message;
  EXPECT_EQ(bios->manufacturer, "Example BIOS Inc.");
  EXPECT_EQ(bios->version, "1.1.38");
  EXPECT_EQ(bios->release_date, "2021-07-23T00:00:00Z");
  EXPECT_TRUE(bios->primary_bios);
  EXPECT_EQ(get_round_trip(*bios), *bios);
  const Instance bi = to_instance(*bios);
  EXPECT_EQ(bi.find("ReleaseDate")->wrapper, "Datetime");
  EXPECT_EQ(bi.find("ReleaseDate")->wrapper_ns, kNsCimCommon);

  auto cpus = read_items<Processor>(sample("processor_pull_response.xml").items);
  ASSERT_TRUE(cpus.ok()) << cpus.error().message;
  ASSERT_EQ(cpus->size(), 1u);
  EXPECT_EQ((*cpus)[0].max_clock_speed, 4500u);
  EXPECT_EQ((*cpus)[0].current_clock_speed, 2700u);
  EXPECT_EQ((*cpus)[0].family, 205u);
  EXPECT_EQ((*cpus)[0].device_id, "CPU 0");
  EXPECT_EQ(pull_round_trip(*cpus), *cpus);

  auto dimms = read_items<PhysicalMemory>(sample("physical_memory_pull_response.xml").items);
  ASSERT_TRUE(dimms.ok()) << dimms.error().message;
  ASSERT_EQ(dimms->size(), 2u);
  EXPECT_EQ((*dimms)[0].capacity, 17179869184ull);
  EXPECT_EQ((*dimms)[0].part_number, "K1CXP8-MIE          ");  // padding kept, as AMT sends it
  EXPECT_EQ((*dimms)[0].configured_memory_clock_speed, 3200u);
  EXPECT_EQ((*dimms)[1].capacity, 8589934592ull);
  EXPECT_EQ((*dimms)[1].manufacturer, "");
  EXPECT_EQ(pull_round_trip(*dimms), *dimms);
}

TEST(WsmanAmt, EthernetPortSettings) {
  auto ports = read_items<EthernetPortSettings>(sample("ethernet_port_settings_pull_response.xml").items);
  ASSERT_TRUE(ports.ok()) << ports.error().message;
  ASSERT_EQ(ports->size(), 2u);
  EXPECT_EQ((*ports)[0].mac_address, "a4-bb-6d-00-11-22");
  EXPECT_EQ((*ports)[0].ip_address, "192.168.1.20");
  EXPECT_EQ((*ports)[0].link_policy, (std::vector<std::uint32_t>{1, 14, 16}));
  EXPECT_TRUE((*ports)[0].link_is_up);
  EXPECT_EQ((*ports)[1].physical_connection_type, 3u);
  EXPECT_FALSE((*ports)[1].link_is_up);
  EXPECT_EQ(pull_round_trip(*ports), *ports);
}

TEST(WsmanAmt, PowerStateFromServiceAvailableToElement) {
  Enumeration en = enumeration<AssociatedPowerManagementService>();
  EXPECT_EQ(en.start().resource_uri, resource_uri("CIM_ServiceAvailableToElement"));
  auto items = read_items<AssociatedPowerManagementService>(sample("power_state_pull_response.xml").items);
  ASSERT_TRUE(items.ok()) << items.error().message;
  ASSERT_EQ(items->size(), 1u);
  const auto& ps = (*items)[0];
  EXPECT_EQ(ps.power_state, PowerState::kOn);
  EXPECT_EQ(ps.available_requested_power_states,
            (std::vector<PowerState>{PowerState::kOffSoft, PowerState::kMasterBusReset, PowerState::kPowerCycleOffSoft}));
  EXPECT_EQ(ps.service_provided.resource_uri, resource_uri("CIM_PowerManagementService"));
  EXPECT_EQ(ps.service_provided.selectors.size(), 4u);
  EXPECT_EQ(ps.user_of_service.selectors[1].value, "ManagedSystem");
  EXPECT_EQ(pull_round_trip(*items), *items);
  EXPECT_EQ(power_state_name(PowerState::kHibernate), "Hibernate (Off - Soft)");
}

TEST(WsmanAmt, EveryPowerActionReadsBackOnTheDevice) {
  // on 2, sleep 4, cycle 5, hibernate 7, off 8, reset 10, graceful 12/14, and the rest of DSP1027.
  for (unsigned s = 2; s <= 17; ++s) {
    const auto state = static_cast<PowerState>(s);
    const Request q = on_device(request_power_state_change(state));
    EXPECT_EQ(q.action, "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_PowerManagementService/RequestPowerStateChange");
    EXPECT_EQ(q.resource_uri, "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_PowerManagementService");
    EXPECT_TRUE(q.selectors.empty());
    auto change = read_power_state_change(q);
    ASSERT_TRUE(change.ok()) << change.error().message;
    EXPECT_EQ(change->power_state, state);
    EXPECT_EQ(change->managed_element.resource_uri, resource_uri("CIM_ComputerSystem"));
    EXPECT_EQ(change->managed_element.selectors,
              (std::vector<Selector>{{"CreationClassName", "CIM_ComputerSystem"}, {"Name", "ManagedSystem"}}));
    auto rv = read_return_value(to_client(q, method_output(q, s == 11 ? 2 : 0)), "RequestPowerStateChange");
    ASSERT_TRUE(rv.ok()) << rv.error().message;
    EXPECT_EQ(*rv, s == 11 ? 2u : 0u);
  }
  auto rv = read_return_value(sample("request_power_state_change_response.xml"), "RequestPowerStateChange");
  ASSERT_TRUE(rv.ok()) << rv.error().message;
  EXPECT_EQ(*rv, 0u);
  // The fact sheet's hand-written request reads the same as ours.
  auto fact = parse_request(data("request_power_state_change_request.xml"));
  ASSERT_TRUE(fact.ok());
  auto change = read_power_state_change(*fact);
  ASSERT_TRUE(change.ok());
  EXPECT_EQ(change->power_state, PowerState::kMasterBusReset);
}

TEST(WsmanAmt, RedirectionServiceAndKvm) {
  EXPECT_EQ(redirection_state(false, false), RedirectionState::kDisabled);
  EXPECT_EQ(redirection_state(true, false), RedirectionState::kIder);
  EXPECT_EQ(redirection_state(false, true), RedirectionState::kSol);
  EXPECT_EQ(redirection_state(true, true), RedirectionState::kIderAndSol);

  const Request rsc = on_device(redirection_request_state_change(RedirectionState::kIderAndSol));
  EXPECT_EQ(rsc.action, "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_RedirectionService/RequestStateChange");
  EXPECT_EQ(read_u32_argument(rsc, "RequestedState").value_or(0), 32771u);

  for (bool enable : {true, false}) {
    const Request k = on_device(kvm_request_state_change(enable));
    EXPECT_EQ(k.resource_uri, resource_uri("CIM_KVMRedirectionSAP"));
    EXPECT_EQ(k.method(), "RequestStateChange");
    EXPECT_EQ(read_u32_argument(k, "RequestedState").value_or(0), enable ? 2u : 3u);
  }

  auto rs = read_response<RedirectionService>(sample("redirection_service_response.xml"));
  ASSERT_TRUE(rs.ok()) << rs.error().message;
  EXPECT_EQ(rs->enabled_state, 32771u);
  EXPECT_TRUE(rs->listener_enabled);
  EXPECT_EQ(get_round_trip(*rs), *rs);

  // ListenerEnabled Put: the device reads the body back; MeshCentral's own Put reads the same.
  RedirectionService off = *rs;
  off.listener_enabled = false;
  off.access_log = {"read only"};
  const Request put = on_device(put_request(off));
  EXPECT_EQ(put.operation(), Operation::kPut);
  EXPECT_EQ(put.resource_uri, resource_uri("AMT_RedirectionService"));
  EXPECT_FALSE(put.instance->find("AccessLog"));
  auto seen = from_instance<RedirectionService>(*put.instance);
  ASSERT_TRUE(seen.ok());
  EXPECT_FALSE(seen->listener_enabled);
  auto mc = parse_request(data("meshcentral_put_redirection_request.xml"));
  ASSERT_TRUE(mc.ok());
  auto mc_seen = from_instance<RedirectionService>(*mc->instance);
  ASSERT_TRUE(mc_seen.ok());
  EXPECT_EQ(*mc_seen, *seen);

  KvmRedirectionSap sap;
  EXPECT_TRUE(kvm_enabled(sap));
  sap.enabled_state = 6;
  EXPECT_TRUE(kvm_enabled(sap));
  sap.enabled_state = 3;
  EXPECT_FALSE(kvm_enabled(sap));
  EXPECT_EQ(get_round_trip(sap), sap);

  auto kvm = read_response<KvmRedirectionSettingData>(sample("kvm_redirection_setting_data_response.xml"));
  ASSERT_TRUE(kvm.ok()) << kvm.error().message;
  EXPECT_TRUE(kvm->grayscale_pixel_format_supported);
  EXPECT_TRUE(kvm->zlib_control_supported);
  EXPECT_TRUE(kvm->opt_in_policy);
  EXPECT_EQ(kvm->session_timeout, 15u);
  EXPECT_FALSE(kvm->is_5900_port_enabled);
  EXPECT_EQ(get_round_trip(*kvm), *kvm);
  EXPECT_FALSE(to_instance(*kvm).find("RFBPassword"));  // never read back
  KvmRedirectionSettingData change = *kvm;
  change.opt_in_policy = false;
  change.rfb_password = "P@ssw0rd";
  const Request kput = on_device(put_request(change));
  EXPECT_EQ(kput.instance->get("RFBPassword"), "P@ssw0rd");
  EXPECT_EQ(kput.instance->get("OptInPolicy"), "false");
  EXPECT_EQ(from_instance<KvmRedirectionSettingData>(*kput.instance).value_or({}), change);
}

TEST(WsmanAmt, BootToBiosAndPxeFollowMeshCommanderSequence) {
  auto caps = read_response<BootCapabilities>(sample("boot_capabilities_response.xml"));
  ASSERT_TRUE(caps.ok()) << caps.error().message;
  EXPECT_TRUE(caps->bios_setup);
  EXPECT_TRUE(caps->force_pxe_boot);
  EXPECT_FALSE(caps->force_diagnostic_boot);
  EXPECT_EQ(get_round_trip(*caps), *caps);

  auto current = read_response<BootSettingData>(sample("boot_setting_data_response.xml"));
  ASSERT_TRUE(current.ok()) << current.error().message;
  EXPECT_EQ(current->bios_last_status, (std::vector<std::uint32_t>{2, 0}));
  EXPECT_TRUE(current->win_re_boot_enabled);
  EXPECT_EQ(current->bootguard_status, 127u);
  EXPECT_EQ(get_round_trip(*current), *current);

  struct Case {
    BootTarget target;
    bool powered_on;
    std::string_view source;
    PowerState power;
  };
  const Case cases[] = {
      {BootTarget::kBiosSetup, true, "", PowerState::kMasterBusReset},
      {BootTarget::kPxe, false, "Intel(r) AMT: Force PXE Boot", PowerState::kOn},
      {BootTarget::kCdDvd, true, "Intel(r) AMT: Force CD/DVD Boot", PowerState::kMasterBusReset},
      {BootTarget::kHardDrive, false, "Intel(r) AMT: Force Hard-drive Boot", PowerState::kOn},
  };
  for (const Case& c : cases) {
    const std::vector<Request> seq = boot_sequence(*current, c.target, true, c.powered_on);
    ASSERT_EQ(seq.size(), 5u);
    // 3. ChangeBootOrder with no Source clears the order.
    const Request clear = on_device(seq[0]);
    EXPECT_EQ(clear.action, "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_BootConfigSetting/ChangeBootOrder");
    auto none = read_change_boot_order(clear);
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
    // 4. Put of the modified settings, without the read-only properties.
    const Request put = on_device(seq[1]);
    EXPECT_EQ(put.operation(), Operation::kPut);
    EXPECT_EQ(put.resource_uri, resource_uri("AMT_BootSettingData"));
    for (const char* ro : {"WinREBootEnabled", "UEFILocalPBABootEnabled", "UEFIHTTPSBootEnabled",
                           "SecureBootControlEnabled", "BootguardStatus", "OptionsCleared", "BIOSLastStatus", "RPEEnabled"})
      EXPECT_FALSE(put.instance->find(ro)) << ro;
    auto settings = from_instance<BootSettingData>(*put.instance);
    ASSERT_TRUE(settings.ok());
    EXPECT_EQ(settings->bios_setup, c.target == BootTarget::kBiosSetup);
    EXPECT_FALSE(settings->bios_pause);
    EXPECT_TRUE(settings->use_sol);
    EXPECT_FALSE(settings->use_ider);
    EXPECT_EQ(settings->boot_media_index, 0u);
    EXPECT_FALSE(settings->configuration_data_reset);
    // 5. SetBootConfigRole(Boot Configuration 0, Role 1).
    const Request role = on_device(seq[2]);
    auto r = read_set_boot_config_role(role);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->role, 1u);
    EXPECT_EQ(r->boot_config_setting.resource_uri, resource_uri("CIM_BootConfigSetting"));
    EXPECT_EQ(r->boot_config_setting.selectors, (std::vector<Selector>{{"InstanceID", "Intel(r) AMT: Boot Configuration 0"}}));
    // 6. ChangeBootOrder with the forced source (none for BIOS setup).
    auto src = read_change_boot_order(on_device(seq[3]));
    ASSERT_TRUE(src.ok());
    EXPECT_EQ(boot_source_instance_id(c.target), c.source);
    if (c.source.empty()) {
      EXPECT_FALSE(src->has_value());
    } else {
      ASSERT_TRUE(src->has_value());
      EXPECT_EQ((*src)->resource_uri, resource_uri("CIM_BootSourceSetting"));
      EXPECT_EQ((*src)->selectors, (std::vector<Selector>{{"InstanceID", std::string(c.source)}}));
    }
    // 7. Power on (2) when off, reset (10) when on.
    auto power = read_power_state_change(on_device(seq[4]));
    ASSERT_TRUE(power.ok());
    EXPECT_EQ(power->power_state, c.power);
  }
  // MeshCentral's own SetBootConfigRole body reads the same.
  auto mc = parse_request(data("meshcentral_set_boot_config_role_request.xml"));
  ASSERT_TRUE(mc.ok()) << mc.error().message;
  auto r = read_set_boot_config_role(*mc);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->role, 1u);
  EXPECT_EQ(r->boot_config_setting.selectors[0].value, "Intel(r) AMT: Boot Configuration 0");
}

TEST(WsmanAmt, WrongClassesBadValuesAndFaults) {
  Instance gs = to_instance(GeneralSettings{});
  EXPECT_EQ(from_instance<Chassis>(gs).error().code, "wsman-wrong-class");
  gs.set("NetworkInterfaceEnabled", "maybe");
  EXPECT_EQ(from_instance<GeneralSettings>(gs).error().code, "wsman-bad-value");
  gs.set("NetworkInterfaceEnabled", "TRUE").set("IdleWakeTimeout", "-1");
  EXPECT_EQ(from_instance<GeneralSettings>(gs).error().code, "wsman-bad-value");
  gs.set("IdleWakeTimeout", "99999999999");
  EXPECT_EQ(from_instance<GeneralSettings>(gs).error().code, "wsman-bad-value");
  gs.set("IdleWakeTimeout", " 7 ");
  auto ok = from_instance<GeneralSettings>(gs);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->idle_wake_timeout, 7u);
  // Absent properties read as false/0/empty, not as the simulator's defaults: a capability a
  // device does not list is not assumed.
  auto bare = from_instance<BootCapabilities>(Instance{"AMT_BootCapabilities", "", {}});
  ASSERT_TRUE(bare.ok());
  EXPECT_FALSE(bare->bios_setup);
  EXPECT_FALSE(bare->force_pxe_boot);
  EXPECT_EQ(bare->instance_id, "");
  Instance aps = to_instance(AssociatedPowerManagementService{});
  aps.set("PowerState", "70000");
  EXPECT_EQ(from_instance<AssociatedPowerManagementService>(aps).error().code, "wsman-bad-value");

  auto fault = parse_response(data("fault_invalid_selectors.xml"));
  ASSERT_TRUE(fault.ok());
  EXPECT_EQ(read_response<GeneralSettings>(*fault).error().code, "wsman-fault");
  EXPECT_EQ(read_return_value(*fault, "RequestPowerStateChange").error().code, "wsman-fault");
  EXPECT_EQ(read_response<GeneralSettings>(Response{}).error().code, "wsman-unexpected-body");
  EXPECT_EQ(read_response<Chassis>(sample("general_settings_response.xml")).error().code, "wsman-wrong-class");

  Request no_args = make_invoke(resource_uri("CIM_PowerManagementService"), "RequestPowerStateChange");
  EXPECT_EQ(read_power_state_change(no_args).error().code, "wsman-missing-argument");
  no_args.instance->set("PowerState", "8");
  EXPECT_EQ(read_power_state_change(no_args).error().code, "wsman-missing-argument");
  Request get = make_get(resource_uri("CIM_PowerManagementService"));
  EXPECT_EQ(read_u32_argument(get, "PowerState").error().code, "wsman-unexpected-body");
  Request bad_source = change_boot_order();
  bad_source.instance->set("Source", "not a reference");
  EXPECT_EQ(read_change_boot_order(bad_source).error().code, "wsman-bad-value");
}

}  // namespace
