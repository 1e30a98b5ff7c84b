// shared/wsman envelopes: every operation built by the client reads back on the device side;
// device answers read back on the client; samples written from DSP0226 and the fact sheet parse
// whatever their prefixes; faults become typed values; MeshCentral's request shapes parse;
// escaping, invalid names and the size/node/depth caps.
#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <sstream>
#include <string>

#include "mw/wsman/enumeration.hpp"
#include "mw/wsman/envelope.hpp"

namespace {

using namespace mw::wsman;

std::string data(const std::string& name) {
  std::ifstream f(std::string(MW_TEST_DATA) + "/wsman/" + name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// MeshCentral's parser splits tags on spaces: an empty element must be written "<x />".
bool empty_tags_spaced(const std::string& xml) {
  for (auto pos = xml.find("/>"); pos != std::string::npos; pos = xml.find("/>", pos + 2))
    if (pos == 0 || xml[pos - 1] != ' ') return false;
  return true;
}

// Client builds, device parses: the request read back equals the one built.
Request round_trip(const Request& q) {
  auto xml = build_request(q);
  EXPECT_TRUE(xml.ok()) << (xml.ok() ? "" : xml.error().message);
  if (!xml.ok()) return {};
  auto back = parse_request(*xml);
  EXPECT_TRUE(back.ok()) << (back.ok() ? "" : back.error().message) << "\n" << *xml;
  return back.ok() ? *back : Request{};
}

Response round_trip(const Response& r) {
  auto xml = build_response(r);
  EXPECT_TRUE(xml.ok()) << (xml.ok() ? "" : xml.error().message);
  if (!xml.ok()) return {};
  auto back = parse_response(*xml);
  EXPECT_TRUE(back.ok()) << (back.ok() ? "" : back.error().message) << "\n" << *xml;
  return back.ok() ? *back : Response{};
}

TEST(WsmanEnvelope, ResourceUriPrefixes) {
  EXPECT_EQ(resource_uri("AMT_GeneralSettings"), "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings");
  EXPECT_EQ(resource_uri("CIM_Chassis"), "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Chassis");
  EXPECT_EQ(resource_uri("IPS_OptInService"), "http://intel.com/wbem/wscim/1/ips-schema/1/IPS_OptInService");
  EXPECT_EQ(resource_uri("http://x/y"), "http://x/y");
  EXPECT_EQ(last_segment("http://a/b/CIM_BootService/SetBootConfigRole"), "SetBootConfigRole");
}

TEST(WsmanEnvelope, GetRequestHasEveryAddressingHeader) {
  Request q = make_get(resource_uri("AMT_GeneralSettings"));
  q.message_id = "uuid:8e3f6b1c-1b7a-4c1e-9a55-0f1e2d3c4b5a";
  q.max_envelope_size = 153600;
  auto xml = build_request(q);
  ASSERT_TRUE(xml.ok());
  EXPECT_NE(xml->find("<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</a:Action>"), std::string::npos);
  EXPECT_NE(xml->find("<a:To>/wsman</a:To>"), std::string::npos);
  EXPECT_NE(xml->find("<a:ReplyTo>"), std::string::npos);
  EXPECT_NE(xml->find("<w:OperationTimeout>PT60S</w:OperationTimeout>"), std::string::npos);
  EXPECT_NE(xml->find("s:mustUnderstand=\"true\""), std::string::npos);
  EXPECT_NE(xml->find("<Body />"), std::string::npos);
  EXPECT_TRUE(empty_tags_spaced(*xml));
  const Request back = round_trip(q);
  EXPECT_EQ(back, q);
  EXPECT_EQ(back.operation(), Operation::kGet);
  EXPECT_EQ(back.reply_to, kAnonymous);
}

TEST(WsmanEnvelope, EveryOperationRoundTrips) {
  Instance inst;
  inst.class_name = "AMT_RedirectionService";
  inst.set("ListenerEnabled", "true").add("AccessLog", "a").add("AccessLog", "b");
  std::vector<Request> all = {
      make_get(resource_uri("CIM_BootConfigSetting"), {{"InstanceID", "Intel(r) AMT: Boot Configuration 0"}}),
      make_put(resource_uri("AMT_RedirectionService"), inst),
      make_create(resource_uri("AMT_RedirectionService"), inst),
      make_delete(resource_uri("AMT_RedirectionService"), {{"Name", "x"}, {"CreationClassName", "y"}}),
      make_enumerate(resource_uri("CIM_SoftwareIdentity")),
      make_pull(resource_uri("CIM_SoftwareIdentity"), "17000000-0000-0000-0000-000000000000", 20),
      make_release(resource_uri("CIM_SoftwareIdentity"), "ctx"),
      make_invoke(resource_uri("AMT_RedirectionService"), "RequestStateChange", Instance{}.set("RequestedState", "32771")),
  };
  const Operation ops[] = {Operation::kGet, Operation::kPut, Operation::kCreate, Operation::kDelete,
                           Operation::kEnumerate, Operation::kPull, Operation::kRelease, Operation::kInvoke};
  for (std::size_t i = 0; i < all.size(); ++i) {
    all[i].message_id = std::to_string(100 + i);
    const Request back = round_trip(all[i]);
    EXPECT_EQ(back, all[i]) << i;
    EXPECT_EQ(back.operation(), ops[i]) << i;
  }
  EXPECT_EQ(all.back().method(), "RequestStateChange");
  EXPECT_EQ(all.back().instance->class_name, "RequestStateChange_INPUT");
  EXPECT_EQ(all[0].method(), "");
}

TEST(WsmanEnvelope, ValuesAreEscapedAndComeBackExactly) {
  Instance inst;
  inst.class_name = "AMT_GeneralSettings";
  const std::string nasty = "a<b>&c\"d'e ]]> <!-- x --> &amp; \xC3\xA9\t tab";
  inst.set("HostName", nasty).set("DomainName", "  spaced  ");
  Request q = make_put(resource_uri("AMT_GeneralSettings"), inst, {{"InstanceID", "x\"<&>y"}});
  q.message_id = "uuid:1";
  auto xml = build_request(q);
  ASSERT_TRUE(xml.ok());
  EXPECT_EQ(xml->find("a<b>"), std::string::npos);
  EXPECT_EQ(round_trip(q), q);
}

TEST(WsmanEnvelope, RefusesWhatXmlCannotCarry) {
  Instance bad_name;
  bad_name.class_name = "AMT_X";
  bad_name.set("Host Name", "v");
  Request q = make_put("http://x/AMT_X", bad_name);
  EXPECT_EQ(build_request(q).error().code, "wsman-bad-name");

  Instance injected;
  injected.class_name = "AMT_X><evil/";
  EXPECT_EQ(build_request(make_put("http://x/AMT_X", injected)).error().code, "wsman-bad-name");

  Instance control;
  control.class_name = "AMT_X";
  control.set("Name", std::string("a\x01" "b"));
  EXPECT_EQ(build_request(make_put("http://x/AMT_X", control)).error().code, "wsman-bad-char");
  Response r;
  r.instance = control;
  EXPECT_EQ(build_response(r).error().code, "wsman-bad-char");
  EXPECT_EQ(build_request(make_invoke("http://x/C", "Bad Method")).error().code, "wsman-bad-name");
}

TEST(WsmanEnvelope, ReferencesDatetimesAndNilRoundTrip) {
  Instance inst;
  inst.class_name = "CIM_X";
  inst.set_ref("Element", EndpointReference{std::string(kAnonymous), resource_uri("CIM_ComputerSystem"),
                                           {{"CreationClassName", "CIM_ComputerSystem"}, {"Name", "ManagedSystem"}}});
  inst.add("ReleaseDate", "2021-07-23T00:00:00Z");
  inst.properties.back().wrapper = "Datetime";
  inst.properties.back().wrapper_ns = std::string(kNsCimCommon);
  inst.add("Nothing", "");
  inst.properties.back().nil = true;
  Request q = make_put(resource_uri("CIM_X"), inst);
  q.message_id = "1";
  EXPECT_EQ(round_trip(q), q);

  Response r = make_reply(q, amt_message_id(5));
  r.instance = inst;
  r.instance->ns = q.resource_uri;
  EXPECT_EQ(round_trip(r), r);
}

TEST(WsmanEnvelope, DeviceRepliesRoundTrip) {
  Request q = make_get(resource_uri("AMT_GeneralSettings"));
  q.message_id = "7";
  Response r = make_reply(q, amt_message_id(0x42));
  EXPECT_EQ(r.message_id, "uuid:00000000-8086-8086-8086-000000000042");
  EXPECT_EQ(r.action, "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse");
  EXPECT_EQ(r.relates_to, "7");
  Instance inst;
  inst.class_name = "AMT_GeneralSettings";
  inst.ns = q.resource_uri;
  inst.set("HostName", "pc-01");
  r.instance = inst;
  auto xml = build_response(r);
  ASSERT_TRUE(xml.ok());
  // AMT's conventions, and nothing MeshCentral's split-based parser would trip on.
  EXPECT_NE(xml->find("<a:Envelope"), std::string::npos);
  EXPECT_NE(xml->find("<g:AMT_GeneralSettings>"), std::string::npos);
  EXPECT_TRUE(empty_tags_spaced(*xml));
  Response back = round_trip(r);
  EXPECT_EQ(back, r);
  EXPECT_FALSE(check_reply(q, back).has_value());

  // Enumerate and Pull answers, and a Create answer.
  Request e = make_enumerate(resource_uri("CIM_SoftwareIdentity"));
  e.message_id = "8";
  Response er = make_reply(e, amt_message_id(1));
  er.enumeration_context = "01000000-0000-0000-0000-000000000000";
  EXPECT_EQ(round_trip(er), er);
  Request p = make_pull(e.resource_uri, *er.enumeration_context);
  p.message_id = "9";
  Response pr = make_reply(p, amt_message_id(2));
  Instance item;
  item.class_name = "CIM_SoftwareIdentity";
  item.ns = e.resource_uri;
  pr.items = {item.set("InstanceID", "AMT"), Instance(item).set("InstanceID", "Flash")};
  pr.end_of_sequence = true;
  EXPECT_EQ(round_trip(pr), pr);
  pr.end_of_sequence = false;
  pr.enumeration_context = "02";
  EXPECT_EQ(round_trip(pr), pr);
  // Items of different classes each declare their namespace.
  Instance other;
  other.class_name = "CIM_Other";
  other.ns = resource_uri("CIM_Other");
  pr.items.push_back(other.set("X", "1"));
  EXPECT_EQ(round_trip(pr), pr);

  Response created = make_reply(make_create("http://x/C", {}), amt_message_id(3));
  created.created = EndpointReference{std::string(kAnonymous), "http://x/C", {{"InstanceID", "3"}}};
  EXPECT_EQ(round_trip(created), created);

  Response empty = make_reply(make_delete("http://x/C", {{"InstanceID", "3"}}), amt_message_id(4));
  EXPECT_EQ(round_trip(empty), empty);
}

TEST(WsmanEnvelope, ParsesAmtGetResponseSample) {
  auto r = parse_response(data("general_settings_response.xml"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->action, "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse");
  EXPECT_EQ(r->relates_to, "7");
  EXPECT_EQ(r->message_id, "uuid:00000000-8086-8086-8086-000000000042");
  EXPECT_EQ(r->resource_uri, "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings");
  ASSERT_TRUE(r->instance);
  EXPECT_EQ(r->instance->class_name, "AMT_GeneralSettings");
  EXPECT_EQ(r->instance->ns, r->resource_uri);
  EXPECT_EQ(r->instance->get("HostName"), "pc-01");
  EXPECT_EQ(r->instance->get("DigestRealm"), "Digest:0123456789ABCDEF0123456789ABCDEF");
  EXPECT_EQ(r->instance->properties.size(), 23u);
  EXPECT_FALSE(r->fault);
}

TEST(WsmanEnvelope, MatchesByNamespaceNotPrefix) {
  // The same answer with other prefixes, a default namespace, and a decoy in a wrong namespace.
  const std::string xml = R"(<?xml version="1.0"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:x="http://schemas.xmlsoap.org/ws/2004/08/addressing">
 <soap:Header>
  <Action xmlns="urn:not-addressing">decoy</Action>
  <x:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse</x:Action>
  <x:RelatesTo>7</x:RelatesTo>
 </soap:Header>
 <soap:Body><AMT_GeneralSettings xmlns="http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings"><HostName>pc-01</HostName></AMT_GeneralSettings></soap:Body>
</soap:Envelope>)";
  auto r = parse_response(xml);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->action, "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse");
  EXPECT_EQ(r->instance->get("HostName"), "pc-01");
  EXPECT_EQ(r->instance->ns, "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings");

  // A SOAP 1.1 envelope is not ours.
  auto soap11 = parse_response(R"(<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>)");
  EXPECT_EQ(soap11.error().code, "wsman-not-envelope");
}

TEST(WsmanEnvelope, FaultBecomesTypedValue) {
  auto r = parse_response(data("fault_invalid_selectors.xml"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->fault);
  const Fault& f = *r->fault;
  EXPECT_EQ(f.code, "Sender");
  EXPECT_EQ(f.subcode, "InvalidSelectors");
  EXPECT_EQ(f.subcode_ns, kNsWsman);
  EXPECT_EQ(f.kind(), FaultKind::kInvalidSelectors);
  EXPECT_EQ(f.reason, "The selectors, \"InstanceID\" & others, do not identify an instance.");
  EXPECT_EQ(f.detail, "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors");
  EXPECT_EQ(f.action, kActionFaultWsman);
  EXPECT_EQ(f.http_status(), 400);
  EXPECT_EQ(r->relates_to, "31");
  const mw::Error e = f.to_error();
  EXPECT_EQ(e.code, "wsman-fault");
  EXPECT_NE(e.message.find("InvalidSelectors"), std::string::npos);

  auto d = parse_response(data("fault_destination_unreachable.xml"));
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_TRUE(d->fault);
  EXPECT_EQ(d->fault->kind(), FaultKind::kDestinationUnreachable);
  EXPECT_EQ(d->fault->subcode_ns, kNsAddressing);
  EXPECT_EQ(d->fault->code, "Sender");
  EXPECT_EQ(d->fault->reason, "No such resource.");
  EXPECT_EQ(d->fault->detail, "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidResourceURI");
}

TEST(WsmanEnvelope, EveryFaultKindRoundTrips) {
  Request q = make_get("http://x/C");
  q.message_id = "uuid:1";
  for (int k = static_cast<int>(FaultKind::kAccessDenied); k <= static_cast<int>(FaultKind::kInvalidRepresentation); ++k) {
    const auto kind = static_cast<FaultKind>(k);
    Fault f = make_fault(kind, {}, std::string(kFaultDetailPrefix) + "Invalid");
    EXPECT_FALSE(f.reason.empty());
    Response r = make_fault_reply(q, amt_message_id(9), f);
    const Response back = round_trip(r);
    ASSERT_TRUE(back.fault) << k;
    EXPECT_EQ(back.fault->kind(), kind) << k;
    EXPECT_EQ(*back.fault, f) << k;
    EXPECT_EQ(back.relates_to, "uuid:1");
    EXPECT_FALSE(check_reply(q, back).has_value());
  }
  EXPECT_EQ(make_fault(FaultKind::kInternalError).http_status(), 500);
  EXPECT_EQ(make_fault(FaultKind::kInvalidEnumerationContext).action, kActionFaultEnumeration);
  EXPECT_EQ(make_fault(FaultKind::kActionNotSupported).action, kActionFaultAddressing);
  // A fault with a subcode of a foreign namespace still round-trips.
  Fault custom{"Receiver", "urn:vendor", "Busy", "later", "", std::string(kActionFaultWsman)};
  const Response back = round_trip(make_fault_reply(q, "m", custom));
  EXPECT_EQ(*back.fault, custom);
  EXPECT_EQ(back.fault->kind(), FaultKind::kOther);
}

TEST(WsmanEnvelope, CheckReplyMatchesRelatesToAndAction) {
  Request q = make_get("http://x/C");
  q.message_id = "uuid:a";
  Response r = make_reply(q, "m");
  EXPECT_FALSE(check_reply(q, r).has_value());
  r.relates_to = "uuid:b";
  EXPECT_EQ(check_reply(q, r)->code, "wsman-relates-to");
  r.relates_to = "uuid:a";
  r.action = std::string(kActionPut) + "Response";
  EXPECT_EQ(check_reply(q, r)->code, "wsman-action-mismatch");
}

TEST(WsmanEnvelope, MessageIdIsUuidV4FromCallerBytes) {
  std::array<std::uint8_t, 16> b{};
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(0xF0 + i);
  EXPECT_EQ(make_message_id(b), "uuid:f0f1f2f3-f4f5-46f7-b8f9-fafbfcfdfeff");
  EXPECT_EQ(amt_message_id(0x8D), "uuid:00000000-8086-8086-8086-00000000008D");
}

TEST(WsmanEnvelope, ParsesMeshCentralRequests) {
  auto get = parse_request(data("meshcentral_get_request.xml"));
  ASSERT_TRUE(get.ok()) << get.error().message;
  EXPECT_EQ(get->operation(), Operation::kGet);
  EXPECT_EQ(get->resource_uri, "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings");
  EXPECT_EQ(get->message_id, "1");
  EXPECT_EQ(get->operation_timeout, "PT60S");
  EXPECT_FALSE(get->instance);

  auto pull = parse_request(data("meshcentral_pull_request.xml"));
  ASSERT_TRUE(pull.ok()) << pull.error().message;
  EXPECT_EQ(pull->operation(), Operation::kPull);
  EXPECT_EQ(pull->enumeration_context, "17000000-0000-0000-0000-000000000000");
  EXPECT_EQ(pull->max_elements, 999u);
  EXPECT_EQ(pull->max_characters, 99999u);

  auto put = parse_request(data("meshcentral_put_redirection_request.xml"));
  ASSERT_TRUE(put.ok()) << put.error().message;
  EXPECT_EQ(put->operation(), Operation::kPut);
  EXPECT_EQ(put->operation_timeout, "PT60.000S");
  ASSERT_TRUE(put->instance);
  EXPECT_EQ(put->instance->class_name, "AMT_RedirectionService");
  EXPECT_EQ(put->instance->get("ListenerEnabled"), "false");

  // Fact sheet section 7, with its indentation.
  auto power = parse_request(data("request_power_state_change_request.xml"));
  ASSERT_TRUE(power.ok()) << power.error().message;
  EXPECT_EQ(power->operation(), Operation::kInvoke);
  EXPECT_EQ(power->method(), "RequestPowerStateChange");
  ASSERT_TRUE(power->instance);
  EXPECT_EQ(power->instance->get("PowerState"), "10");
  const Property* me = power->instance->find("ManagedElement");
  ASSERT_TRUE(me && me->ref);
  EXPECT_EQ(me->ref->resource_uri, "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ComputerSystem");
  EXPECT_EQ(me->ref->selectors, (std::vector<Selector>{{"CreationClassName", "CIM_ComputerSystem"}, {"Name", "ManagedSystem"}}));
}

TEST(WsmanEnvelope, MissingHeadersBecomeFaults) {
  auto no_action = parse_request(R"(<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Header><MessageID xmlns="http://schemas.xmlsoap.org/ws/2004/08/addressing">1</MessageID></Header><Body/></Envelope>)");
  ASSERT_FALSE(no_action.ok());
  EXPECT_EQ(no_action.error().code, "wsman-missing-header");
  EXPECT_EQ(fault_for(no_action.error()).kind(), FaultKind::kMessageInformationHeaderRequired);
  auto no_id = parse_request(R"(<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Header><Action xmlns="http://schemas.xmlsoap.org/ws/2004/08/addressing">http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</Action></Header><Body/></Envelope>)");
  EXPECT_EQ(no_id.error().code, "wsman-missing-header");
  auto bad_size = parse_request(R"(<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><Header><a:Action>x</a:Action><a:MessageID>1</a:MessageID><w:MaxEnvelopeSize>lots</w:MaxEnvelopeSize></Header><Body/></Envelope>)");
  EXPECT_EQ(bad_size.error().code, "wsman-bad-header");
  EXPECT_EQ(fault_for(bad_size.error()).kind(), FaultKind::kInvalidMessageInformationHeader);
  auto garbage = parse_request("<Envelope><unclosed>");
  EXPECT_EQ(garbage.error().code, "wsman-xml");
  EXPECT_EQ(fault_for(garbage.error()).kind(), FaultKind::kSchemaValidationError);
  EXPECT_EQ(parse_request("").error().code, "wsman-xml");
}

TEST(WsmanEnvelope, CapsBoundHostileInput) {
  Limits small;
  small.max_envelope_bytes = 1000;
  std::string big = data("general_settings_response.xml");
  auto too_big = parse_response(big, small);
  EXPECT_EQ(too_big.error().code, "wsman-too-large");
  EXPECT_EQ(fault_for(too_big.error()).kind(), FaultKind::kEncodingLimit);

  std::string many = R"(<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body><X>)";
  for (int i = 0; i < 200000; ++i) many += "<a/>";
  many += "</X></Body></Envelope>";
  EXPECT_EQ(parse_response(many).error().code, "wsman-too-large");

  std::string deep = R"(<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body>)";
  for (int i = 0; i < 100; ++i) deep += "<d>";
  for (int i = 0; i < 100; ++i) deep += "</d>";
  deep += "</Body></Envelope>";
  EXPECT_EQ(parse_response(deep).error().code, "wsman-too-large");

  // Entities beyond the predefined five are not expanded (no DTD processing).
  auto dtd = parse_response(R"(<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body><C xmlns="urn:c"><P>&a;&a;</P></C></Body></Envelope>)");
  if (dtd.ok()) {
    EXPECT_LT(dtd->instance->get("P").size(), 10u);
  }
}

TEST(WsmanEnumeration, EnumerateThenPullUntilEndOfSequence) {
  Enumeration en(resource_uri("CIM_SoftwareIdentity"));
  Request q = en.start();
  EXPECT_EQ(q.operation(), Operation::kEnumerate);
  q.message_id = "1";

  auto enum_reply = parse_response(data("software_identity_enumerate_response.xml"));
  ASSERT_TRUE(enum_reply.ok());
  auto next = en.on_response(*enum_reply);
  ASSERT_TRUE(next.ok()) << next.error().message;
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ((*next)->operation(), Operation::kPull);
  EXPECT_EQ((*next)->enumeration_context, "17000000-0000-0000-0000-000000000000");
  EXPECT_TRUE(en.release().has_value());

  auto pull_reply = parse_response(data("software_identity_pull_response.xml"));
  ASSERT_TRUE(pull_reply.ok());
  EXPECT_TRUE(pull_reply->end_of_sequence);
  EXPECT_FALSE(pull_reply->enumeration_context.has_value());
  auto last = en.on_response(*pull_reply);
  ASSERT_TRUE(last.ok());
  EXPECT_FALSE(last->has_value());
  EXPECT_TRUE(en.done());
  EXPECT_EQ(en.items().size(), 5u);
  EXPECT_FALSE(en.release().has_value());
  EXPECT_EQ(en.on_response(*pull_reply).error().code, "wsman-enumeration-over");
}

TEST(WsmanEnumeration, FollowsChangingContextsAndStopsWithoutOne) {
  Enumeration en("http://x/C", Enumeration::Options{5, 100, 100});
  Response r;
  r.enumeration_context = "c1";
  auto p1 = en.on_response(r);
  ASSERT_TRUE(p1.ok() && p1->has_value());
  EXPECT_EQ((*p1)->max_elements, 5u);
  Instance it;
  it.class_name = "C";
  r.items = {it, it};
  r.enumeration_context = "c2";  // the device may hand out a new context with each Pull
  auto p2 = en.on_response(r);
  ASSERT_TRUE(p2.ok() && p2->has_value());
  EXPECT_EQ((*p2)->enumeration_context, "c2");
  r.enumeration_context.reset();  // MeshCentral's rule: no context, no more items
  r.items = {it};
  auto p3 = en.on_response(r);
  ASSERT_TRUE(p3.ok());
  EXPECT_FALSE(p3->has_value());
  EXPECT_EQ(en.take_items().size(), 3u);
}

TEST(WsmanEnumeration, OptimizedEnumerateAndFailures) {
  // Items and EndOfSequence already in the EnumerateResponse (wsman: namespace).
  Request q = make_enumerate("http://x/C");
  q.max_elements = 10;
  q.message_id = "1";
  Response r = make_reply(q, "m");
  Instance it;
  it.class_name = "C";
  it.ns = "http://x/C";
  r.items = {it};
  r.end_of_sequence = true;
  auto xml = build_response(r);
  ASSERT_TRUE(xml.ok());
  EXPECT_NE(xml->find("<c:Items>"), std::string::npos);
  auto back = parse_response(*xml);
  ASSERT_TRUE(back.ok());
  Enumeration en("http://x/C");
  auto done = en.on_response(*back);
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done->has_value());
  EXPECT_EQ(en.items().size(), 1u);
  EXPECT_EQ(round_trip(q), q);

  Enumeration no_ctx("http://x/C");
  EXPECT_EQ(no_ctx.on_response(Response{}).error().code, "wsman-no-context");

  Enumeration faulted("http://x/C");
  Response f;
  f.fault = make_fault(FaultKind::kInvalidEnumerationContext);
  EXPECT_EQ(faulted.on_response(f).error().code, "wsman-fault");
  EXPECT_TRUE(faulted.done());

  Enumeration capped("http://x/C", Enumeration::Options{std::nullopt, 2, 100});
  Response many;
  many.enumeration_context = "c";
  many.items = {it, it, it};
  EXPECT_EQ(capped.on_response(many).error().code, "wsman-too-many-items");

  Enumeration endless("http://x/C", Enumeration::Options{std::nullopt, 100, 3});
  Response again;
  again.enumeration_context = "c";
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(endless.on_response(again).ok());
  EXPECT_EQ(endless.on_response(again).error().code, "wsman-endless-enumeration");
}

}  // namespace
