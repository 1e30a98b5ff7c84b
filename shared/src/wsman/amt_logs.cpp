// AMT audit log and event log: request builders, page readers and writers, and the binary record
// layouts (bounds-checked with ByteReader; every length byte is checked against what remains).
#include "mw/wsman/amt_logs.hpp"

#include <algorithm>

#include "mw/util/base64.hpp"
#include "mw/util/bytes.hpp"
#include "mw/wsman/amt.hpp"
#include "text.hpp"

namespace mw::wsman {
namespace {

using mw::util::ByteReader;
using mw::util::ByteWriter;

Error bad_record(std::string_view what) { return make_error("wsman-bad-record", std::string(what)); }

bool parse_u32(std::string_view s, std::uint32_t& out) { return text::parse_unsigned(s, out); }

Result<std::uint32_t> u32_property(const Instance& inst, std::string_view name, bool required = true) {
  const Property* p = inst.find(name);
  if (!p) {
    if (required) return make_error("wsman-bad-value", inst.class_name + " has no " + std::string(name));
    return 0u;
  }
  std::uint32_t v = 0;
  if (!parse_u32(p->value, v))
    return make_error("wsman-bad-value", inst.class_name + "." + std::string(name) + " is not a number");
  return v;
}

bool read_prefixed(ByteReader& r, std::string& out) {
  std::uint8_t n = 0;
  return r.u8(n) && r.string(n, out);
}

Result<std::vector<std::vector<std::uint8_t>>> decode_base64_list(const Instance& inst, std::string_view name) {
  std::vector<std::vector<std::uint8_t>> out;
  for (const Property* p : inst.find_all(name)) {
    auto bytes = mw::util::base64_decode(text::trim(p->value));
    if (!bytes) return make_error("wsman-bad-record", std::string(name) + " holds invalid base64");
    out.push_back(std::move(*bytes));
  }
  return out;
}

std::string_view bool_text(bool b) { return b ? "true" : "false"; }

}  // namespace

// [SECTION] Audit log

Result<AuditRecord> decode_audit_record(std::span<const std::uint8_t> data) {
  ByteReader r(data);
  AuditRecord rec;
  std::uint8_t type = 0;
  if (!r.u16(rec.app_id) || !r.u16(rec.event_id) || !r.u8(type)) return bad_record("audit record too short");
  switch (type) {
    case 0:
      if (!read_prefixed(r, rec.initiator)) return bad_record("audit record: truncated user name");
      break;
    case 1:
      if (!r.u32(rec.kerberos_user_in_domain) || !read_prefixed(r, rec.initiator))
        return bad_record("audit record: truncated Kerberos SID");
      break;
    case 2:
    case 3:
      break;
    default:
      return bad_record("audit record: unknown initiator type " + std::to_string(type));
  }
  rec.initiator_type = static_cast<AuditInitiatorType>(type);
  std::uint8_t ex_len = 0;
  std::span<const std::uint8_t> ex;
  if (!r.u32(rec.timestamp) || !r.u8(rec.mc_location_type) || !read_prefixed(r, rec.net_address) ||
      !r.u8(ex_len) || !r.bytes(ex_len, ex))
    return bad_record("audit record: truncated");
  rec.extended_data.assign(ex.begin(), ex.end());
  return rec;
}

Result<std::vector<std::uint8_t>> encode_audit_record(const AuditRecord& rec) {
  if (rec.initiator.size() > 255 || rec.net_address.size() > 255 || rec.extended_data.size() > 255)
    return make_error("wsman-bad-record", "an audit record field is longer than 255 bytes");
  ByteWriter w;
  w.u16(rec.app_id).u16(rec.event_id).u8(static_cast<std::uint8_t>(rec.initiator_type));
  switch (rec.initiator_type) {
    case AuditInitiatorType::kHttpDigest:
      w.u8(static_cast<std::uint8_t>(rec.initiator.size())).bytes(rec.initiator);
      break;
    case AuditInitiatorType::kKerberos:
      w.u32(rec.kerberos_user_in_domain).u8(static_cast<std::uint8_t>(rec.initiator.size())).bytes(rec.initiator);
      break;
    case AuditInitiatorType::kLocal:
    case AuditInitiatorType::kKvmDefaultPort:
      break;
  }
  w.u32(rec.timestamp).u8(rec.mc_location_type);
  w.u8(static_cast<std::uint8_t>(rec.net_address.size())).bytes(rec.net_address);
  w.u8(static_cast<std::uint8_t>(rec.extended_data.size())).bytes(rec.extended_data);
  return w.take();
}

Request audit_log_read_records(std::uint32_t start_index) {
  Instance args;
  args.add("StartIndex", std::to_string(start_index));
  return make_invoke(resource_uri("AMT_AuditLog"), "ReadRecords", std::move(args));
}

Result<AuditLogPage> read_audit_log_page(const Response& response) {
  auto out = response_instance(response, "ReadRecords_OUTPUT");
  if (!out) return out.error();
  AuditLogPage page;
  auto rv = u32_property(*out, "ReturnValue");
  if (!rv) return rv.error();
  page.return_value = *rv;
  auto total = u32_property(*out, "TotalRecordCount", false);
  auto returned = u32_property(*out, "RecordsReturned", false);
  if (!total) return total.error();
  if (!returned) return returned.error();
  page.total_record_count = *total;
  page.records_returned = *returned;
  auto blobs = decode_base64_list(*out, "EventRecords");
  if (!blobs) return blobs.error();
  for (const auto& b : *blobs) {
    auto rec = decode_audit_record(b);
    if (!rec) return rec.error();
    page.records.push_back(std::move(*rec));
  }
  return page;
}

Result<Instance> audit_log_output(const AuditLogPage& page) {
  Instance out;
  out.class_name = "ReadRecords_OUTPUT";
  out.ns = resource_uri("AMT_AuditLog");
  out.add("TotalRecordCount", std::to_string(page.total_record_count));
  out.add("RecordsReturned", std::to_string(page.records_returned));
  for (const AuditRecord& rec : page.records) {
    auto bytes = encode_audit_record(rec);
    if (!bytes) return bytes.error();
    out.add("EventRecords", mw::util::base64_encode(*bytes));
  }
  out.add("ReturnValue", std::to_string(page.return_value));
  return out;
}

// [SECTION] Event log

Result<EventRecord> decode_event_record(std::span<const std::uint8_t> data) {
  if (data.size() < kEventRecordSize) return bad_record("event record shorter than 21 bytes");
  ByteReader r(data);
  EventRecord e;
  std::span<const std::uint8_t> ed;
  const bool ok = r.u32le(e.timestamp) && r.u8(e.device_address) && r.u8(e.event_sensor_type) &&
                  r.u8(e.event_type) && r.u8(e.event_offset) && r.u8(e.event_source_type) &&
                  r.u8(e.event_severity) && r.u8(e.sensor_number) && r.u8(e.entity) &&
                  r.u8(e.entity_instance) && r.bytes(e.event_data.size(), ed);
  if (!ok) return bad_record("event record truncated");
  std::copy(ed.begin(), ed.end(), e.event_data.begin());
  return e;
}

std::vector<std::uint8_t> encode_event_record(const EventRecord& e) {
  ByteWriter w(kEventRecordSize);
  w.u32le(e.timestamp).u8(e.device_address).u8(e.event_sensor_type).u8(e.event_type).u8(e.event_offset);
  w.u8(e.event_source_type).u8(e.event_severity).u8(e.sensor_number).u8(e.entity).u8(e.entity_instance);
  w.bytes(e.event_data);
  return w.take();
}

Request message_log_position_to_first_record() {
  return make_invoke(resource_uri("AMT_MessageLog"), "PositionToFirstRecord");
}

Result<std::uint32_t> read_iteration_identifier(const Response& response) {
  auto out = response_instance(response, "PositionToFirstRecord_OUTPUT");
  if (!out) return out.error();
  auto rv = u32_property(*out, "ReturnValue");
  if (!rv) return rv.error();
  if (*rv != 0)
    return make_error("wsman-return-value", "PositionToFirstRecord returned " + std::to_string(*rv));
  return u32_property(*out, "IterationIdentifier");
}

Request message_log_get_records(std::uint32_t iteration_identifier, std::uint32_t max_read_records) {
  Instance args;
  args.add("IterationIdentifier", std::to_string(iteration_identifier));
  args.add("MaxReadRecords", std::to_string(max_read_records));
  return make_invoke(resource_uri("AMT_MessageLog"), "GetRecords", std::move(args));
}

Result<MessageLogPage> read_message_log_page(const Response& response) {
  auto out = response_instance(response, "GetRecords_OUTPUT");
  if (!out) return out.error();
  MessageLogPage page;
  auto rv = u32_property(*out, "ReturnValue");
  if (!rv) return rv.error();
  page.return_value = *rv;
  auto it = u32_property(*out, "IterationIdentifier", false);
  if (!it) return it.error();
  page.iteration_identifier = *it;
  const std::string_view nmr = text::trim(out->get("NoMoreRecords"));
  if (nmr != "true" && nmr != "false" && nmr != "1" && nmr != "0")
    return make_error("wsman-bad-value", "GetRecords_OUTPUT.NoMoreRecords is not a boolean");
  page.no_more_records = nmr == "true" || nmr == "1";
  auto blobs = decode_base64_list(*out, "RecordArray");
  if (!blobs) return blobs.error();
  for (const auto& b : *blobs) {
    auto rec = decode_event_record(b);
    if (!rec) return rec.error();
    page.records.push_back(*rec);
  }
  return page;
}

Result<GetRecordsArgs> read_get_records(const Request& request) {
  auto it = read_u32_argument(request, "IterationIdentifier");
  if (!it) return it.error();
  auto max = read_u32_argument(request, "MaxReadRecords");
  if (!max) return max.error();
  return GetRecordsArgs{*it, *max};
}

Instance position_to_first_record_output(std::uint32_t iteration_identifier, std::uint32_t return_value) {
  Instance out;
  out.class_name = "PositionToFirstRecord_OUTPUT";
  out.ns = resource_uri("AMT_MessageLog");
  out.add("IterationIdentifier", std::to_string(iteration_identifier));
  out.add("ReturnValue", std::to_string(return_value));
  return out;
}

Instance message_log_output(const MessageLogPage& page) {
  Instance out;
  out.class_name = "GetRecords_OUTPUT";
  out.ns = resource_uri("AMT_MessageLog");
  out.add("IterationIdentifier", std::to_string(page.iteration_identifier));
  out.add("NoMoreRecords", std::string(bool_text(page.no_more_records)));
  for (const EventRecord& e : page.records) out.add("RecordArray", mw::util::base64_encode(encode_event_record(e)));
  out.add("ReturnValue", std::to_string(page.return_value));
  return out;
}

}  // namespace mw::wsman
