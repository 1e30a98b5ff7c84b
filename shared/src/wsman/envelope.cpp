// WS-Management envelopes: parsing requests and responses with pugixml (namespace-aware by URI),
// building them with a validating writer. Requests follow MeshCommander's layout (default SOAP
// namespace, a: addressing, w: WS-Man, r: the resource), responses follow AMT's (a:, b:, c:, g:).
#include "mw/wsman/envelope.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>

#include "xml.hpp"

namespace mw::wsman {
namespace {

using xml::child;
using xml::first_element;
using xml::is;
using xml::local_name;
using xml::trimmed_text;

// [SECTION] Faults table

struct FaultInfo {
  FaultKind kind;
  const char* code;
  std::string_view ns;
  const char* subcode;
  std::string_view action;
  const char* reason;  // our own default wording
};

constexpr std::array kFaults = {
    FaultInfo{FaultKind::kAccessDenied, "Sender", kNsWsman, "AccessDenied", kActionFaultWsman,
              "Access to the resource was denied."},
    FaultInfo{FaultKind::kAlreadyExists, "Sender", kNsWsman, "AlreadyExists", kActionFaultWsman,
              "The resource to create exists already."},
    FaultInfo{FaultKind::kCannotProcessFilter, "Sender", kNsWsman, "CannotProcessFilter", kActionFaultWsman,
              "The filter cannot be processed."},
    FaultInfo{FaultKind::kConcurrency, "Sender", kNsWsman, "Concurrency", kActionFaultWsman,
              "The resource is locked by another operation."},
    FaultInfo{FaultKind::kEncodingLimit, "Sender", kNsWsman, "EncodingLimit", kActionFaultWsman,
              "The message exceeds an encoding limit of the service."},
    FaultInfo{FaultKind::kInternalError, "Receiver", kNsWsman, "InternalError", kActionFaultWsman,
              "The service failed internally."},
    FaultInfo{FaultKind::kInvalidOptions, "Sender", kNsWsman, "InvalidOptions", kActionFaultWsman,
              "An option is not valid."},
    FaultInfo{FaultKind::kInvalidParameter, "Sender", kNsWsman, "InvalidParameter", kActionFaultWsman,
              "A parameter is not valid."},
    FaultInfo{FaultKind::kInvalidSelectors, "Sender", kNsWsman, "InvalidSelectors", kActionFaultWsman,
              "The selectors do not identify an instance."},
    FaultInfo{FaultKind::kQuotaLimit, "Sender", kNsWsman, "QuotaLimit", kActionFaultWsman,
              "The service is busy."},
    FaultInfo{FaultKind::kSchemaValidationError, "Sender", kNsWsman, "SchemaValidationError",
              kActionFaultWsman, "The message does not follow the schema."},
    FaultInfo{FaultKind::kTimedOut, "Receiver", kNsWsman, "TimedOut", kActionFaultWsman,
              "The operation did not finish in time."},
    FaultInfo{FaultKind::kUnsupportedFeature, "Sender", kNsWsman, "UnsupportedFeature", kActionFaultWsman,
              "The feature is not supported."},
    FaultInfo{FaultKind::kActionNotSupported, "Sender", kNsAddressing, "ActionNotSupported",
              kActionFaultAddressing, "The action is not supported for this resource."},
    FaultInfo{FaultKind::kDestinationUnreachable, "Sender", kNsAddressing, "DestinationUnreachable",
              kActionFaultAddressing, "No such resource."},
    FaultInfo{FaultKind::kEndpointUnavailable, "Receiver", kNsAddressing, "EndpointUnavailable",
              kActionFaultAddressing, "The endpoint is not available now."},
    FaultInfo{FaultKind::kInvalidMessageInformationHeader, "Sender", kNsAddressing,
              "InvalidMessageInformationHeader", kActionFaultAddressing, "A header is not valid."},
    FaultInfo{FaultKind::kMessageInformationHeaderRequired, "Sender", kNsAddressing,
              "MessageInformationHeaderRequired", kActionFaultAddressing, "A required header is missing."},
    FaultInfo{FaultKind::kInvalidEnumerationContext, "Receiver", kNsEnumeration,
              "InvalidEnumerationContext", kActionFaultEnumeration, "The enumeration context is not valid."},
    FaultInfo{FaultKind::kEnumerationTimedOut, "Receiver", kNsEnumeration, "TimedOut",
              kActionFaultEnumeration, "The enumeration expired."},
    FaultInfo{FaultKind::kInvalidRepresentation, "Sender", kNsTransfer, "InvalidRepresentation",
              kActionFaultTransfer, "The instance in the body is not valid."},
};

// [SECTION] Reading

bool parse_u32(std::string_view s, std::uint32_t& out) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::vector<Selector> read_selector_set(pugi::xml_node set) {
  std::vector<Selector> out;
  for (pugi::xml_node s = set.first_child(); s; s = s.next_sibling()) {
    if (!is(s, kNsWsman, "Selector")) continue;
    out.push_back(Selector{std::string(xml::view(s.attribute("Name").value())), trimmed_text(s)});
  }
  return out;
}

EndpointReference read_reference(pugi::xml_node n) {
  EndpointReference r;
  r.address = trimmed_text(child(n, kNsAddressing, "Address"));
  if (pugi::xml_node params = child(n, kNsAddressing, "ReferenceParameters")) {
    r.resource_uri = trimmed_text(child(params, kNsWsman, "ResourceURI"));
    r.selectors = read_selector_set(child(params, kNsWsman, "SelectorSet"));
  }
  return r;
}

Property read_property(pugi::xml_node e) {
  Property p;
  p.name = std::string(local_name(e));
  for (auto a = e.first_attribute(); a; a = a.next_attribute()) {
    if (xml::local_part(xml::view(a.name())) == "nil" && xml::attribute_ns(e, a) == kNsXsi)
      p.nil = xml::trim(xml::view(a.value())) == "true";
  }
  // One pass over the children: how many elements, the first one, and whether it is a reference.
  std::size_t elements = 0;
  bool reference = false;
  pugi::xml_node first;
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (!first) first = c;
    ++elements;
    const std::string_view local = local_name(c);
    if (!reference && (local == "ReferenceParameters" || local == "Address")) reference = xml::ns_of(c) == kNsAddressing;
  }
  if (elements == 0) {
    p.value = xml::text(e);
  } else if (reference) {
    p.ref = read_reference(e);
  } else if (elements == 1 && !xml::has_element_children(first)) {
    // One wrapped value (a CIM datetime and the like); deeper structures are not modelled.
    p.wrapper = std::string(local_name(first));
    p.wrapper_ns = std::string(xml::ns_of(first));
    p.value = xml::text(first);
  }
  return p;
}

Instance read_instance(pugi::xml_node e) {
  Instance inst;
  inst.class_name = std::string(local_name(e));
  inst.ns = std::string(xml::ns_of(e));
  std::size_t n = 0;
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) n += c.type() == pugi::node_element;
  inst.properties.reserve(n);
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element) inst.properties.push_back(read_property(c));
  return inst;
}

// Local part of a QName held as text, with its prefix resolved where it appears.
void read_qname(pugi::xml_node value, std::string* ns, std::string* local) {
  const std::string t = trimmed_text(value);
  *local = std::string(xml::local_part(t));
  if (ns) *ns = std::string(xml::resolve_prefix(value, xml::prefix_part(t)));
}

Fault read_fault(pugi::xml_node fault) {
  Fault f;
  pugi::xml_node code = child(fault, kNsSoap, "Code");
  read_qname(child(code, kNsSoap, "Value"), nullptr, &f.code);
  if (pugi::xml_node sub = child(code, kNsSoap, "Subcode"))
    read_qname(child(sub, kNsSoap, "Value"), &f.subcode_ns, &f.subcode);
  if (pugi::xml_node reason = child(fault, kNsSoap, "Reason"))
    f.reason = trimmed_text(child(reason, kNsSoap, "Text"));
  if (pugi::xml_node detail = child(fault, kNsSoap, "Detail")) {
    if (pugi::xml_node fd = child(detail, kNsWsman, "FaultDetail"))
      f.detail = trimmed_text(fd);
    else
      f.detail = trimmed_text(detail);
  }
  return f;
}

struct Parsed {
  pugi::xml_node header;
  pugi::xml_node body;
};

Result<Parsed> open_envelope(pugi::xml_document& doc, std::string_view text, const Limits& limits) {
  if (auto err = xml::load(doc, text, limits)) return *err;
  pugi::xml_node env = doc.document_element();
  if (!is(env, kNsSoap, "Envelope"))
    return make_error("wsman-not-envelope", "the document is not a SOAP 1.2 Envelope");
  Parsed p{child(env, kNsSoap, "Header"), child(env, kNsSoap, "Body")};
  if (!p.body) return make_error("wsman-not-envelope", "the envelope has no Body");
  return p;
}

// [SECTION] Writing

struct Prefixes {
  std::string_view addressing;
  std::string_view wsman;
};

void write_reference(xml::Writer& w, pugi::xml_node parent, const EndpointReference& r, const Prefixes& p) {
  w.element(parent, p.addressing, "Address", r.address);
  pugi::xml_node params = w.element(parent, p.addressing, "ReferenceParameters");
  w.element(params, p.wsman, "ResourceURI", r.resource_uri);
  pugi::xml_node set = w.element(params, p.wsman, "SelectorSet");
  for (const Selector& s : r.selectors) {
    pugi::xml_node e = w.element(set, p.wsman, "Selector", s.value);
    w.attribute(e, "Name", s.name);
  }
}

void write_selector_set(xml::Writer& w, pugi::xml_node header, const std::vector<Selector>& selectors,
                        std::string_view wsman) {
  if (selectors.empty()) return;
  pugi::xml_node set = w.element(header, wsman, "SelectorSet");
  for (const Selector& s : selectors) {
    pugi::xml_node e = w.element(set, wsman, "Selector", s.value);
    w.attribute(e, "Name", s.name);
  }
}

// <prefix:Class xmlns:prefix=ns> with one element per property. `declare` is false when the prefix
// is declared on the envelope already.
void write_instance(xml::Writer& w, pugi::xml_node parent, std::string_view prefix, const Instance& inst,
                    std::string_view ns, bool declare, const Prefixes& p) {
  pugi::xml_node e = w.element(parent, prefix, inst.class_name);
  if (declare) w.attribute(e, "xmlns:" + std::string(prefix), ns);
  for (const Property& prop : inst.properties) {
    pugi::xml_node pe = w.element(e, prefix, prop.name);
    if (prop.nil) {
      w.attribute(pe, "xmlns:xsi", kNsXsi);
      w.attribute(pe, "xsi:nil", "true");
    }
    if (prop.ref) {
      write_reference(w, pe, *prop.ref, p);
    } else if (!prop.wrapper.empty()) {
      if (prop.wrapper_ns.empty()) {
        pugi::xml_node we = w.element(pe, "", prop.wrapper, prop.value);
        w.attribute(we, "xmlns", "");
      } else {
        pugi::xml_node we = w.element(pe, "q", prop.wrapper, prop.value);
        w.attribute(we, "xmlns:q", prop.wrapper_ns);
      }
    } else {
      w.set_text(pe, prop.value);
    }
  }
}

std::string_view prefix_for_ns(std::string_view ns) {
  if (ns == kNsSoap) return "a";
  if (ns == kNsAddressing) return "b";
  if (ns == kNsWsman) return "c";
  if (ns == kNsEventing) return "d";
  if (ns == kNsEnumeration) return "e";
  if (ns == kNsTransfer) return "f";
  return {};
}

}  // namespace

// [SECTION] Small helpers

std::string resource_uri(std::string_view class_name) {
  if (class_name.substr(0, 4) == "AMT_") return std::string(kAmtSchema) + std::string(class_name);
  if (class_name.substr(0, 4) == "CIM_") return std::string(kCimSchema) + std::string(class_name);
  if (class_name.substr(0, 4) == "IPS_") return std::string(kIpsSchema) + std::string(class_name);
  return std::string(class_name);
}

std::string_view last_segment(std::string_view uri) {
  const auto slash = uri.rfind('/');
  return slash == std::string_view::npos ? uri : uri.substr(slash + 1);
}

const Property* Instance::find(std::string_view name) const {
  for (const Property& p : properties)
    if (p.name == name) return &p;
  return nullptr;
}

std::vector<const Property*> Instance::find_all(std::string_view name) const {
  std::vector<const Property*> out;
  for (const Property& p : properties)
    if (p.name == name) out.push_back(&p);
  return out;
}

std::string_view Instance::get(std::string_view name) const {
  const Property* p = find(name);
  return p ? std::string_view(p->value) : std::string_view();
}

Instance& Instance::set(std::string_view name, std::string value) {
  auto it = std::find_if(properties.begin(), properties.end(), [&](const Property& p) { return p.name == name; });
  if (it == properties.end()) return add(name, std::move(value));
  *it = Property{std::string(name), std::move(value), std::nullopt, {}, {}, false};
  const auto first = static_cast<std::size_t>(it - properties.begin());
  std::size_t i = first + 1;
  while (i < properties.size()) {
    if (properties[i].name == name)
      properties.erase(properties.begin() + static_cast<std::ptrdiff_t>(i));
    else
      ++i;
  }
  return *this;
}

Instance& Instance::set_ref(std::string_view name, EndpointReference ref) {
  set(name, {});
  for (Property& p : properties)
    if (p.name == name) p.ref = std::move(ref);
  return *this;
}

Instance& Instance::add(std::string_view name, std::string value) {
  properties.push_back(Property{std::string(name), std::move(value), std::nullopt, {}, {}, false});
  return *this;
}

Instance& Instance::remove(std::string_view name) {
  std::erase_if(properties, [&](const Property& p) { return p.name == name; });
  return *this;
}

// [SECTION] Faults

FaultKind Fault::kind() const {
  for (const FaultInfo& f : kFaults)
    if (subcode == f.subcode && subcode_ns == f.ns) return f.kind;
  return FaultKind::kOther;
}

int Fault::http_status() const { return code == "Sender" ? 400 : 500; }

Error Fault::to_error() const {
  std::string message = (subcode.empty() ? code : subcode) + ": " + reason;
  if (!detail.empty()) message += " (" + detail + ")";
  return make_error("wsman-fault", std::move(message));
}

Fault make_fault(FaultKind kind, std::string reason, std::string detail) {
  Fault f;
  f.code = "Receiver";
  f.subcode_ns = std::string(kNsWsman);
  f.subcode = "InternalError";
  f.action = std::string(kActionFaultWsman);
  for (const FaultInfo& info : kFaults) {
    if (info.kind != kind) continue;
    f.code = info.code;
    f.subcode_ns = std::string(info.ns);
    f.subcode = info.subcode;
    f.action = std::string(info.action);
    if (reason.empty()) reason = info.reason;
  }
  if (reason.empty()) reason = "The service failed internally.";
  f.reason = std::move(reason);
  f.detail = std::move(detail);
  return f;
}

Fault fault_for(const Error& e) {
  if (e.code == "wsman-too-large") return make_fault(FaultKind::kEncodingLimit, {}, std::string(kFaultDetailPrefix) + "MaxEnvelopeSize");
  if (e.code == "wsman-missing-header") return make_fault(FaultKind::kMessageInformationHeaderRequired, e.message);
  if (e.code == "wsman-bad-header") return make_fault(FaultKind::kInvalidMessageInformationHeader, e.message);
  if (e.code == "wsman-xml" || e.code == "wsman-not-envelope")
    return make_fault(FaultKind::kSchemaValidationError, e.message);
  return make_fault(FaultKind::kInternalError);
}

// [SECTION] Messages

Operation Request::operation() const {
  if (action == kActionGet) return Operation::kGet;
  if (action == kActionPut) return Operation::kPut;
  if (action == kActionCreate) return Operation::kCreate;
  if (action == kActionDelete) return Operation::kDelete;
  if (action == kActionEnumerate) return Operation::kEnumerate;
  if (action == kActionPull) return Operation::kPull;
  if (action == kActionRelease) return Operation::kRelease;
  if (action == kActionSubscribe) return Operation::kSubscribe;
  if (action == kActionUnsubscribe) return Operation::kUnsubscribe;
  return Operation::kInvoke;
}

std::string_view Request::method() const {
  return operation() == Operation::kInvoke ? last_segment(action) : std::string_view();
}

Request make_get(std::string uri, std::vector<Selector> selectors) {
  Request r;
  r.action = std::string(kActionGet);
  r.resource_uri = std::move(uri);
  r.selectors = std::move(selectors);
  return r;
}

Request make_put(std::string uri, Instance instance, std::vector<Selector> selectors) {
  Request r;
  r.action = std::string(kActionPut);
  if (instance.ns.empty()) instance.ns = uri;
  r.resource_uri = std::move(uri);
  r.instance = std::move(instance);
  r.selectors = std::move(selectors);
  return r;
}

Request make_create(std::string uri, Instance instance) {
  Request r = make_put(std::move(uri), std::move(instance));
  r.action = std::string(kActionCreate);
  return r;
}

Request make_delete(std::string uri, std::vector<Selector> selectors) {
  Request r = make_get(std::move(uri), std::move(selectors));
  r.action = std::string(kActionDelete);
  return r;
}

Request make_enumerate(std::string uri) {
  Request r;
  r.action = std::string(kActionEnumerate);
  r.resource_uri = std::move(uri);
  return r;
}

Request make_pull(std::string uri, std::string context, std::optional<std::uint32_t> max_elements) {
  Request r;
  r.action = std::string(kActionPull);
  r.resource_uri = std::move(uri);
  r.enumeration_context = std::move(context);
  r.max_elements = max_elements;
  return r;
}

Request make_release(std::string uri, std::string context) {
  Request r;
  r.action = std::string(kActionRelease);
  r.resource_uri = std::move(uri);
  r.enumeration_context = std::move(context);
  return r;
}

Request make_invoke(std::string uri, std::string_view method, Instance args, std::vector<Selector> selectors) {
  Request r;
  r.action = uri + "/" + std::string(method);
  args.class_name = std::string(method) + "_INPUT";
  args.ns = uri;
  r.resource_uri = std::move(uri);
  r.instance = std::move(args);
  r.selectors = std::move(selectors);
  return r;
}

Result<std::string> build_request(const Request& r) {
  xml::Writer w;
  const Prefixes p{"a", "w"};
  pugi::xml_node env = w.element(w.root(), "", "Envelope");
  w.attribute(env, "xmlns", kNsSoap);
  w.attribute(env, "xmlns:a", kNsAddressing);
  w.attribute(env, "xmlns:w", kNsWsman);
  if (r.max_envelope_size) w.attribute(env, "xmlns:s", kNsSoap);

  pugi::xml_node header = w.element(env, "", "Header");
  w.element(header, "a", "Action", r.action);
  w.element(header, "a", "To", r.to);
  if (!r.resource_uri.empty()) w.element(header, "w", "ResourceURI", r.resource_uri);
  w.element(header, "a", "MessageID", r.message_id);
  w.element(w.element(header, "a", "ReplyTo"), "a", "Address", r.reply_to);
  if (!r.operation_timeout.empty()) w.element(header, "w", "OperationTimeout", r.operation_timeout);
  if (r.max_envelope_size) {
    pugi::xml_node m = w.element(header, "w", "MaxEnvelopeSize", std::to_string(*r.max_envelope_size));
    w.attribute(m, "s:mustUnderstand", "true");
  }
  write_selector_set(w, header, r.selectors, "w");

  pugi::xml_node body = w.element(env, "", "Body");
  switch (r.operation()) {
    case Operation::kEnumerate: {
      pugi::xml_node e = w.element(body, "", "Enumerate");
      w.attribute(e, "xmlns", kNsEnumeration);
      if (r.max_elements) {
        // Optimized enumeration (DSP0226 8.2.3): items come back in the EnumerateResponse.
        w.element(e, "w", "OptimizeEnumeration");
        w.element(e, "w", "MaxElements", std::to_string(*r.max_elements));
      }
      break;
    }
    case Operation::kPull:
    case Operation::kRelease: {
      const bool pull = r.operation() == Operation::kPull;
      pugi::xml_node e = w.element(body, "", pull ? "Pull" : "Release");
      w.attribute(e, "xmlns", kNsEnumeration);
      w.element(e, "", "EnumerationContext", r.enumeration_context);
      if (pull && r.max_elements) w.element(e, "", "MaxElements", std::to_string(*r.max_elements));
      if (pull && r.max_characters) w.element(e, "", "MaxCharacters", std::to_string(*r.max_characters));
      break;
    }
    default:
      if (r.instance) write_instance(w, body, "r", *r.instance, r.instance->ns.empty() ? r.resource_uri : r.instance->ns, true, p);
      break;
  }
  return w.finish();
}

Result<Response> parse_response(std::string_view text, const Limits& limits) {
  pugi::xml_document doc;
  auto env = open_envelope(doc, text, limits);
  if (!env) return env.error();
  Response r;
  if (pugi::xml_node h = env->header) {
    r.action = trimmed_text(child(h, kNsAddressing, "Action"));
    r.to = trimmed_text(child(h, kNsAddressing, "To"));
    r.relates_to = trimmed_text(child(h, kNsAddressing, "RelatesTo"));
    r.message_id = trimmed_text(child(h, kNsAddressing, "MessageID"));
    r.resource_uri = trimmed_text(child(h, kNsWsman, "ResourceURI"));
  }
  pugi::xml_node content = first_element(env->body);
  if (!content) return r;
  if (is(content, kNsSoap, "Fault")) {
    r.fault = read_fault(content);
    r.fault->action = r.action;
    return r;
  }
  const bool enumerate = is(content, kNsEnumeration, "EnumerateResponse");
  if (enumerate || is(content, kNsEnumeration, "PullResponse")) {
    if (pugi::xml_node ctx = child(content, kNsEnumeration, "EnumerationContext"))
      r.enumeration_context = trimmed_text(ctx);
    // Pull puts items in wsen:, optimized Enumerate in wsman: (DSP0226 8.2.3).
    pugi::xml_node items = child(content, kNsEnumeration, "Items");
    if (!items) items = child(content, kNsWsman, "Items");
    for (pugi::xml_node it = items.first_child(); it; it = it.next_sibling()) {
      if (it.type() != pugi::node_element) continue;
      pugi::xml_node object = it;
      if (is(it, kNsWsman, "Item")) {  // EnumerateObjectAndEPR: <Item><object/><EPR/></Item>
        object = pugi::xml_node();
        for (pugi::xml_node c = it.first_child(); c; c = c.next_sibling())
          if (c.type() == pugi::node_element && !is(c, kNsAddressing, "EndpointReference")) {
            object = c;
            break;
          }
        if (!object) continue;
      }
      r.items.push_back(read_instance(object));
    }
    r.end_of_sequence = child(content, kNsEnumeration, "EndOfSequence") || child(content, kNsWsman, "EndOfSequence");
    return r;
  }
  if (is(content, kNsTransfer, "ResourceCreated")) {
    r.created = read_reference(content);
    return r;
  }
  r.instance = read_instance(content);
  return r;
}

std::optional<Error> check_reply(const Request& request, const Response& response) {
  if (response.relates_to != request.message_id)
    return make_error("wsman-relates-to", "RelatesTo '" + response.relates_to.substr(0, 80) +
                                              "' does not match MessageID '" + request.message_id + "'");
  if (!response.fault && response.action != request.action + "Response")
    return make_error("wsman-action-mismatch", "response action '" + response.action.substr(0, 200) +
                                                   "' does not answer '" + request.action + "'");
  return std::nullopt;
}

std::string make_message_id(std::span<const std::uint8_t, 16> random) {
  std::array<std::uint8_t, 16> b{};
  std::copy(random.begin(), random.end(), b.begin());
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "uuid:";
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0F]);
  }
  return out;
}

// [SECTION] Device side

Result<Request> parse_request(std::string_view text, const Limits& limits) {
  pugi::xml_document doc;
  auto env = open_envelope(doc, text, limits);
  if (!env) return env.error();
  pugi::xml_node h = env->header;
  if (!h) return make_error("wsman-missing-header", "the envelope has no Header");
  Request r;
  r.action = trimmed_text(child(h, kNsAddressing, "Action"));
  r.to = trimmed_text(child(h, kNsAddressing, "To"));
  r.resource_uri = trimmed_text(child(h, kNsWsman, "ResourceURI"));
  r.message_id = trimmed_text(child(h, kNsAddressing, "MessageID"));
  r.reply_to = trimmed_text(child(child(h, kNsAddressing, "ReplyTo"), kNsAddressing, "Address"));
  r.operation_timeout = trimmed_text(child(h, kNsWsman, "OperationTimeout"));
  if (pugi::xml_node m = child(h, kNsWsman, "MaxEnvelopeSize")) {
    std::uint32_t v = 0;
    if (!parse_u32(trimmed_text(m), v)) return make_error("wsman-bad-header", "MaxEnvelopeSize is not a number");
    r.max_envelope_size = v;
  }
  r.selectors = read_selector_set(child(h, kNsWsman, "SelectorSet"));
  if (r.action.empty()) return make_error("wsman-missing-header", "the request has no wsa:Action");
  if (r.message_id.empty()) return make_error("wsman-missing-header", "the request has no wsa:MessageID");

  pugi::xml_node content = first_element(env->body);
  switch (r.operation()) {
    case Operation::kEnumerate:
      if (pugi::xml_node e = child(env->body, kNsEnumeration, "Enumerate")) {
        if (pugi::xml_node m = child(e, kNsWsman, "MaxElements")) {
          std::uint32_t v = 0;
          if (parse_u32(trimmed_text(m), v)) r.max_elements = v;
        }
      }
      break;
    case Operation::kPull:
    case Operation::kRelease: {
      const bool pull = r.operation() == Operation::kPull;
      pugi::xml_node e = child(env->body, kNsEnumeration, pull ? "Pull" : "Release");
      r.enumeration_context = trimmed_text(child(e, kNsEnumeration, "EnumerationContext"));
      std::uint32_t v = 0;
      if (pugi::xml_node m = child(e, kNsEnumeration, "MaxElements"); m && parse_u32(trimmed_text(m), v))
        r.max_elements = v;
      if (pugi::xml_node m = child(e, kNsEnumeration, "MaxCharacters"); m && parse_u32(trimmed_text(m), v))
        r.max_characters = v;
      break;
    }
    default:
      if (content) r.instance = read_instance(content);
      break;
  }
  return r;
}

Response make_reply(const Request& request, std::string message_id) {
  Response r;
  r.action = request.action + "Response";
  r.relates_to = request.message_id;
  r.message_id = std::move(message_id);
  r.resource_uri = request.resource_uri;
  return r;
}

Response make_fault_reply(const Request& request, std::string message_id, Fault fault) {
  Response r;
  r.action = fault.action;
  r.relates_to = request.message_id;
  r.message_id = std::move(message_id);
  r.fault = std::move(fault);
  return r;
}

Result<std::string> build_response(const Response& r) {
  xml::Writer w;
  const Prefixes p{"b", "c"};
  pugi::xml_node env = w.element(w.root(), "a", "Envelope");
  w.attribute(env, "xmlns:a", kNsSoap);
  w.attribute(env, "xmlns:b", kNsAddressing);
  w.attribute(env, "xmlns:c", kNsWsman);
  w.attribute(env, "xmlns:d", kNsEventing);
  w.attribute(env, "xmlns:e", kNsEnumeration);
  w.attribute(env, "xmlns:f", kNsTransfer);

  // The body's namespace is g:, as AMT does; items share h: when they are all of one class.
  const bool enumerate = r.action == std::string(kActionEnumerate) + "Response";
  const bool enumeration = enumerate || r.action == std::string(kActionPull) + "Response" ||
                           r.enumeration_context || !r.items.empty() || r.end_of_sequence;
  std::string body_ns;
  if (r.fault) {
    body_ns = prefix_for_ns(r.fault->subcode_ns).empty() ? r.fault->subcode_ns : std::string();
  } else if (enumeration) {
    body_ns = std::string(kNsEnumeration);
  } else if (r.created) {
    body_ns = std::string(kNsTransfer);
  } else if (r.instance) {
    body_ns = r.instance->ns.empty() ? r.resource_uri : r.instance->ns;
  }
  if (!body_ns.empty()) w.attribute(env, "xmlns:g", body_ns);
  std::string items_ns;
  bool items_uniform = !r.items.empty();
  for (const Instance& it : r.items) {
    const std::string& ns = it.ns.empty() ? r.resource_uri : it.ns;
    if (items_ns.empty()) items_ns = ns;
    if (ns != items_ns) items_uniform = false;
  }
  if (items_uniform) w.attribute(env, "xmlns:h", items_ns);
  w.attribute(env, "xmlns:xsi", kNsXsi);

  pugi::xml_node header = w.element(env, "a", "Header");
  w.element(header, "b", "To", r.to);
  w.element(header, "b", "RelatesTo", r.relates_to);
  w.element(header, "b", "Action", r.action);
  w.element(header, "b", "MessageID", r.message_id);
  if (!r.resource_uri.empty() && !r.fault) w.element(header, "c", "ResourceURI", r.resource_uri);

  pugi::xml_node body = w.element(env, "a", "Body");
  if (r.fault) {
    const Fault& f = *r.fault;
    pugi::xml_node fault = w.element(body, "a", "Fault");
    pugi::xml_node code = w.element(fault, "a", "Code");
    if (!xml::valid_ncname(f.code)) w.fail("wsman-bad-name", "fault code is not an XML name");
    w.element(code, "a", "Value", "a:" + f.code);
    if (!f.subcode.empty()) {
      if (!xml::valid_ncname(f.subcode)) w.fail("wsman-bad-name", "fault subcode is not an XML name");
      std::string_view sp = prefix_for_ns(f.subcode_ns);
      if (sp.empty()) sp = "g";
      w.element(w.element(code, "a", "Subcode"), "a", "Value", std::string(sp) + ":" + f.subcode);
    }
    pugi::xml_node text = w.element(w.element(fault, "a", "Reason"), "a", "Text", f.reason);
    w.attribute(text, "xml:lang", "en-US");
    if (!f.detail.empty()) {
      pugi::xml_node detail = w.element(fault, "a", "Detail");
      if (f.detail.rfind(kFaultDetailPrefix, 0) == 0)
        w.element(detail, "c", "FaultDetail", f.detail);
      else
        w.set_text(detail, f.detail);
    }
  } else if (enumeration) {
    pugi::xml_node e = w.element(body, "g", enumerate ? "EnumerateResponse" : "PullResponse");
    if (r.enumeration_context) w.element(e, "g", "EnumerationContext", *r.enumeration_context);
    // An optimized EnumerateResponse carries its items and end marker in wsman: (DSP0226 8.2.3).
    const std::string_view list = enumerate ? "c" : "g";
    if (!r.items.empty() || !enumerate) {
      pugi::xml_node items = w.element(e, list, "Items");
      for (const Instance& it : r.items)
        write_instance(w, items, "h", it, it.ns.empty() ? r.resource_uri : it.ns, !items_uniform, p);
    }
    if (r.end_of_sequence) w.element(e, list, "EndOfSequence");
  } else if (r.created) {
    write_reference(w, w.element(body, "g", "ResourceCreated"), *r.created, p);
  } else if (r.instance) {
    write_instance(w, body, "g", *r.instance, body_ns, false, p);
  }
  return w.finish();
}

std::string amt_message_id(std::uint64_t counter) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "uuid:00000000-8086-8086-8086-%012llX",
                static_cast<unsigned long long>(counter & 0xFFFFFFFFFFFFull));
  return buf;
}

}  // namespace mw::wsman
