// Intel AMT logs over WS-Management: the security audit log (AMT_AuditLog.ReadRecords, pages of
// base64 records) and the event log (AMT_MessageLog.PositionToFirstRecord then GetRecords until
// NoMoreRecords), with the binary record layouts decoded into plain structs and encoded back for
// the simulator.
//
// Audit log: ReadRecords(StartIndex = 1); while TotalRecordCount > records read so far, read again
// from StartIndex = records read + 1. Event log: PositionToFirstRecord -> IterationIdentifier;
// GetRecords(IterationIdentifier, MaxReadRecords) until NoMoreRecords is true.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mw/util/result.hpp"
#include "mw/wsman/envelope.hpp"

namespace mw::wsman {

// [SECTION] Audit log

enum class AuditInitiatorType : std::uint8_t { kHttpDigest = 0, kKerberos = 1, kLocal = 2, kKvmDefaultPort = 3 };

// One audit record: AuditAppID, EventID (big endian u16), InitiatorType, initiator (digest: u8 length
// + user name; Kerberos: u32 user-in-domain + u8 length + SID), TimeStamp (big endian u32, seconds
// since 1970), MCLocationType, u8 length + network address, u8 length + extended data.
struct AuditRecord {
  std::uint16_t app_id = 0;    // 16 Security Admin, 17 RCO, 18 Redirection Manager, ...
  std::uint16_t event_id = 0;  // app_id * 100 + event_id names the event (1700 Performed Power Up)
  AuditInitiatorType initiator_type = AuditInitiatorType::kLocal;
  std::string initiator;       // user name, or the raw SID bytes for Kerberos
  std::uint32_t kerberos_user_in_domain = 0;
  std::uint32_t timestamp = 0;
  std::uint8_t mc_location_type = 0;
  std::string net_address;
  std::vector<std::uint8_t> extended_data;
  bool operator==(const AuditRecord&) const = default;
};
Result<AuditRecord> decode_audit_record(std::span<const std::uint8_t> data);
// Fails when a length-prefixed field is longer than 255 bytes.
Result<std::vector<std::uint8_t>> encode_audit_record(const AuditRecord& record);

struct AuditLogPage {  // ReadRecords_OUTPUT
  std::uint32_t total_record_count = 0;
  std::uint32_t records_returned = 0;
  std::vector<AuditRecord> records;
  std::uint32_t return_value = 0;
  bool operator==(const AuditLogPage&) const = default;
};
// AMT_AuditLog.ReadRecords(StartIndex), 1-based.
Request audit_log_read_records(std::uint32_t start_index);
Result<AuditLogPage> read_audit_log_page(const Response& response);
// Device side: the ReadRecords_OUTPUT instance (records base64-encoded).
Result<Instance> audit_log_output(const AuditLogPage& page);

// [SECTION] Event (message) log

// One 21-byte event record (IPMI platform event trap layout): TimeStamp (little endian u32), then
// one byte each, then 8 bytes of event data.
struct EventRecord {
  std::uint32_t timestamp = 0;
  std::uint8_t device_address = 0;
  std::uint8_t event_sensor_type = 0;
  std::uint8_t event_type = 0;
  std::uint8_t event_offset = 0;
  std::uint8_t event_source_type = 0;
  std::uint8_t event_severity = 0;
  std::uint8_t sensor_number = 0;
  std::uint8_t entity = 0;
  std::uint8_t entity_instance = 0;
  std::array<std::uint8_t, 8> event_data{};
  bool operator==(const EventRecord&) const = default;
};
inline constexpr std::size_t kEventRecordSize = 21;
Result<EventRecord> decode_event_record(std::span<const std::uint8_t> data);
std::vector<std::uint8_t> encode_event_record(const EventRecord& record);

struct MessageLogPage {  // GetRecords_OUTPUT
  std::uint32_t iteration_identifier = 0;
  bool no_more_records = true;
  std::vector<EventRecord> records;
  std::uint32_t return_value = 0;
  bool operator==(const MessageLogPage&) const = default;
};
Request message_log_position_to_first_record();
// PositionToFirstRecord_OUTPUT: the IterationIdentifier (a non-zero ReturnValue is an error).
Result<std::uint32_t> read_iteration_identifier(const Response& response);
Request message_log_get_records(std::uint32_t iteration_identifier, std::uint32_t max_read_records = 390);
Result<MessageLogPage> read_message_log_page(const Response& response);

// Device side.
struct GetRecordsArgs {
  std::uint32_t iteration_identifier = 0;
  std::uint32_t max_read_records = 0;
  bool operator==(const GetRecordsArgs&) const = default;
};
Result<GetRecordsArgs> read_get_records(const Request& request);
Instance position_to_first_record_output(std::uint32_t iteration_identifier, std::uint32_t return_value = 0);
Instance message_log_output(const MessageLogPage& page);

// [SECTION] Names for people (amt_log_text.cpp): the names Intel AMT's documentation gives, which
// MeshCentral shows too, so both products describe a log the same way.

// "RCO", "Redirection Manager", ...; "Application N" when unknown.
std::string audit_app_name(std::uint16_t app_id);
// "Performed Power Down", "KVM Session Started", ...; "Event N" when unknown.
std::string audit_event_name(std::uint16_t app_id, std::uint16_t event_id);
// The IPMI entity of an event record: "BIOS", "Processor", ...; "Unknown" when out of range.
std::string event_entity_name(std::uint8_t entity);
// What an event record says: firmware progress and errors, intrusion, boot failures, ...;
// "Sensor type N" when not described.
std::string event_description(const EventRecord& record);
// PET event severity: "Information", "Warning", "Critical", ...
std::string event_severity_name(std::uint8_t severity);

}  // namespace mw::wsman
