// WS-Management SOAP envelopes (DSP0226 over SOAP 1.2) as plain values: a Request and a Response
// with their addressing headers and body, parsed from and built to XML text. Both directions: the
// client builds requests and parses responses, the device (the AMT simulator) parses requests and
// builds responses and faults. Elements are matched by namespace URI and local name, never by
// prefix; every value is escaped on output; input size and element count are capped.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mw/util/result.hpp"

namespace mw::wsman {

// [SECTION] Namespaces, actions, addresses

inline constexpr std::string_view kNsSoap = "http://www.w3.org/2003/05/soap-envelope";
inline constexpr std::string_view kNsAddressing = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
inline constexpr std::string_view kNsWsman = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
inline constexpr std::string_view kNsEnumeration = "http://schemas.xmlsoap.org/ws/2004/09/enumeration";
inline constexpr std::string_view kNsTransfer = "http://schemas.xmlsoap.org/ws/2004/09/transfer";
inline constexpr std::string_view kNsEventing = "http://schemas.xmlsoap.org/ws/2004/08/eventing";
inline constexpr std::string_view kNsXsi = "http://www.w3.org/2001/XMLSchema-instance";
// CIM datetime wrappers (<Datetime>, <Interval>...) inside properties.
inline constexpr std::string_view kNsCimCommon = "http://schemas.dmtf.org/wbem/wscim/1/common";

inline constexpr std::string_view kAnonymous =
    "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";

inline constexpr std::string_view kActionGet = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get";
inline constexpr std::string_view kActionPut = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Put";
inline constexpr std::string_view kActionCreate = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create";
inline constexpr std::string_view kActionDelete = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete";
inline constexpr std::string_view kActionEnumerate =
    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate";
inline constexpr std::string_view kActionPull = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull";
inline constexpr std::string_view kActionRelease =
    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release";
inline constexpr std::string_view kActionSubscribe =
    "http://schemas.xmlsoap.org/ws/2004/08/eventing/Subscribe";
inline constexpr std::string_view kActionUnsubscribe =
    "http://schemas.xmlsoap.org/ws/2004/08/eventing/Unsubscribe";

// Fault actions (DSP0226 table of faults; the addressing one also carries SOAP-level faults).
inline constexpr std::string_view kActionFaultAddressing =
    "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault";
inline constexpr std::string_view kActionFaultWsman = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault";
inline constexpr std::string_view kActionFaultEnumeration =
    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault";
inline constexpr std::string_view kActionFaultTransfer =
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/fault";
inline constexpr std::string_view kFaultDetailPrefix =
    "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/";

// Resource URI prefixes of the AMT_, CIM_ and IPS_ classes.
inline constexpr std::string_view kAmtSchema = "http://intel.com/wbem/wscim/1/amt-schema/1/";
inline constexpr std::string_view kCimSchema = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/";
inline constexpr std::string_view kIpsSchema = "http://intel.com/wbem/wscim/1/ips-schema/1/";

// "AMT_GeneralSettings" -> "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings";
// names without a known prefix are returned unchanged (already a URI).
std::string resource_uri(std::string_view class_name);
// The last path segment of a URI: the class name of a resource URI, the method of an action.
std::string_view last_segment(std::string_view uri);

// [SECTION] Values

struct Selector {
  std::string name;
  std::string value;
  bool operator==(const Selector&) const = default;
};

// A reference to an instance (WS-Addressing EPR with WS-Man reference parameters).
struct EndpointReference {
  std::string address = std::string(kAnonymous);
  std::string resource_uri;
  std::vector<Selector> selectors;
  bool operator==(const EndpointReference&) const = default;
};

// One element of an instance. Arrays are repeated properties with the same name, in order.
struct Property {
  std::string name;
  std::string value;                     // the text (also of a wrapped value)
  std::optional<EndpointReference> ref;  // set when the property is a reference
  std::string wrapper;                   // local name wrapping the value, e.g. "Datetime"
  std::string wrapper_ns;                // and its namespace (kNsCimCommon for datetimes)
  bool nil = false;                      // xsi:nil="true"
  bool operator==(const Property&) const = default;
};

// A CIM instance, or a method's _INPUT/_OUTPUT parameters (same shape).
struct Instance {
  std::string class_name;  // element local name: "AMT_GeneralSettings", "ReadRecords_OUTPUT"
  std::string ns;          // element namespace; empty means "the request's resource URI"
  std::vector<Property> properties;

  const Property* find(std::string_view name) const;
  std::vector<const Property*> find_all(std::string_view name) const;
  // Text of the first property of that name, empty when absent.
  std::string_view get(std::string_view name) const;
  // Replaces the first property of that name (dropping any others of that name) or appends it.
  Instance& set(std::string_view name, std::string value);
  Instance& set_ref(std::string_view name, EndpointReference ref);
  Instance& add(std::string_view name, std::string value);  // appends (arrays)
  Instance& remove(std::string_view name);
  bool operator==(const Instance&) const = default;
};

// [SECTION] Faults

enum class FaultKind {
  kOther,
  // WS-Management (wsman:)
  kAccessDenied,
  kAlreadyExists,
  kCannotProcessFilter,
  kConcurrency,
  kEncodingLimit,
  kInternalError,
  kInvalidOptions,
  kInvalidParameter,
  kInvalidSelectors,
  kQuotaLimit,
  kSchemaValidationError,
  kTimedOut,
  kUnsupportedFeature,
  // WS-Addressing (wsa:)
  kActionNotSupported,
  kDestinationUnreachable,
  kEndpointUnavailable,
  kInvalidMessageInformationHeader,
  kMessageInformationHeaderRequired,
  // WS-Enumeration (wsen:) and WS-Transfer (wxf:)
  kInvalidEnumerationContext,
  kEnumerationTimedOut,
  kInvalidRepresentation,
};

struct Fault {
  std::string code;        // local part of Code/Value: "Sender", "Receiver", "MustUnderstand"...
  std::string subcode_ns;  // namespace of Subcode/Value
  std::string subcode;     // its local part: "InvalidSelectors", "DestinationUnreachable"...
  std::string reason;      // first Reason/Text
  std::string detail;      // Detail/FaultDetail (a kFaultDetailPrefix URI), else Detail's text
  std::string action;      // fault action of the header

  FaultKind kind() const;
  // HTTP status of the SOAP 1.2 binding: 400 for Sender faults, 500 otherwise.
  int http_status() const;
  // The error a client reports for it: code "wsman-fault", message "<Subcode>: <Reason> ...".
  Error to_error() const;
  bool operator==(const Fault&) const = default;
};

// A complete fault of that kind (code, subcode, namespace, action, a default reason).
Fault make_fault(FaultKind kind, std::string reason = {}, std::string detail = {});

// [SECTION] Messages

enum class Operation { kGet, kPut, kCreate, kDelete, kEnumerate, kPull, kRelease, kSubscribe,
                       kUnsubscribe, kInvoke };

struct Request {
  std::string action;
  std::string to = "/wsman";
  std::string resource_uri;
  std::string message_id;
  std::string reply_to = std::string(kAnonymous);
  std::string operation_timeout = "PT60S";  // xs:duration; empty to omit
  std::optional<std::uint32_t> max_envelope_size;
  std::vector<Selector> selectors;
  // Body: the instance of Put/Create, the <Method>_INPUT of an Invoke.
  std::optional<Instance> instance;
  // Pull/Release context, and Enumerate/Pull options.
  std::string enumeration_context;
  std::optional<std::uint32_t> max_elements;
  std::optional<std::uint32_t> max_characters;

  Operation operation() const;
  // For kInvoke: the method name (last segment of the action), else empty.
  std::string_view method() const;
  bool operator==(const Request&) const = default;
};

struct Response {
  std::string action;
  std::string to = std::string(kAnonymous);
  std::string relates_to;
  std::string message_id;
  std::string resource_uri;
  // Body: Get/Put responses and <Method>_OUTPUT.
  std::optional<Instance> instance;
  // CreateResponse.
  std::optional<EndpointReference> created;
  // EnumerateResponse/PullResponse. An absent context on a PullResponse also ends the sequence.
  std::optional<std::string> enumeration_context;
  std::vector<Instance> items;
  bool end_of_sequence = false;
  // A fault envelope parses into a Response with this set.
  std::optional<Fault> fault;
  bool operator==(const Response&) const = default;
};

struct Limits {
  std::size_t max_envelope_bytes = 1024 * 1024;
  std::size_t max_nodes = 100000;  // elements, text and attributes
  std::size_t max_depth = 64;
};

// [SECTION] Client side: build requests, parse responses

// Requests with the standard action; message_id stays to be filled in by the caller.
Request make_get(std::string resource_uri, std::vector<Selector> selectors = {});
Request make_put(std::string resource_uri, Instance instance, std::vector<Selector> selectors = {});
Request make_create(std::string resource_uri, Instance instance);
Request make_delete(std::string resource_uri, std::vector<Selector> selectors);
Request make_enumerate(std::string resource_uri);
Request make_pull(std::string resource_uri, std::string context,
                  std::optional<std::uint32_t> max_elements = {});
Request make_release(std::string resource_uri, std::string context);
// Action "<resource_uri>/<method>", body <method>_INPUT with args (class name and ns are set).
Request make_invoke(std::string resource_uri, std::string_view method, Instance args = {},
                    std::vector<Selector> selectors = {});

// The envelope text. Fails on an invalid XML name (class, property, method) or a value with a
// character XML 1.0 cannot carry.
Result<std::string> build_request(const Request& request);
// A fault envelope is a successful parse with Response::fault set.
Result<Response> parse_response(std::string_view xml, const Limits& limits = {});

// Checks a response belongs to a request: RelatesTo equals its MessageID, and a non-fault reply
// carries the matching response action. Returns nullopt when it does.
std::optional<Error> check_reply(const Request& request, const Response& response);

// MessageID "uuid:xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" from 16 caller-supplied random bytes.
std::string make_message_id(std::span<const std::uint8_t, 16> random_bytes);

// [SECTION] Device side: parse requests, build responses and faults

// Errors: "wsman-too-large", "wsman-xml", "wsman-not-envelope", "wsman-missing-header".
Result<Request> parse_request(std::string_view xml, const Limits& limits = {});
// The fault a device answers a parse_request error with.
Fault fault_for(const Error& parse_error);

// A response addressed back: RelatesTo = request MessageID, Action = request action + "Response",
// the request's resource URI.
Response make_reply(const Request& request, std::string message_id);
// A fault answering the request (RelatesTo and MessageID set).
Response make_fault_reply(const Request& request, std::string message_id, Fault fault);

// The envelope text, with AMT's conventions (prefixes a: SOAP, b: addressing, c: WS-Man, g: body).
Result<std::string> build_response(const Response& response);
// MessageID in AMT's form: "uuid:00000000-8086-8086-8086-" + 12 hex digits of the counter.
std::string amt_message_id(std::uint64_t counter);

}  // namespace mw::wsman
