// shared/wsman AMT logs: AMT_AuditLog.ReadRecords and AMT_MessageLog.PositionToFirstRecord/
// GetRecords requests read back on the device; sample answers decode into records; the device's
// pages read back; the binary record layouts reject truncated and malformed input.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "mw/wsman/amt.hpp"
#include "mw/wsman/amt_logs.hpp"

namespace {

using namespace mw::wsman;

std::string data(const std::string& name) {
  std::ifstream f(std::string(MW_TEST_DATA) + "/wsman/" + name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Request on_device(Request q) {
  q.message_id = "uuid:00000000-0000-4000-8000-000000000002";
  auto xml = build_request(q);
  EXPECT_TRUE(xml.ok());
  auto back = parse_request(xml.ok() ? *xml : std::string());
  EXPECT_TRUE(back.ok());
  return back.ok() ? *back : Request{};
}

Response to_client(const Request& q, Instance body) {
  Response r = make_reply(q, amt_message_id(9));
  r.instance = std::move(body);
  auto xml = build_response(r);
  EXPECT_TRUE(xml.ok());
  auto back = parse_response(xml.ok() ? *xml : std::string());
  EXPECT_TRUE(back.ok());
  return back.ok() ? *back : Response{};
}

TEST(WsmanAmtLogs, AuditLogSampleDecodes) {
  auto r = parse_response(data("audit_log_read_records_response.xml"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto page = read_audit_log_page(*r);
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page->total_record_count, 6u);
  EXPECT_EQ(page->records_returned, 4u);
  EXPECT_EQ(page->return_value, 0u);
  ASSERT_EQ(page->records.size(), 4u);
  const AuditRecord& power_up = page->records[0];
  EXPECT_EQ(power_up.app_id * 100 + power_up.event_id, 1700);  // Performed Power Up
  EXPECT_EQ(power_up.initiator_type, AuditInitiatorType::kHttpDigest);
  EXPECT_EQ(power_up.initiator, "admin");
  EXPECT_EQ(power_up.timestamp, 1700000000u);
  EXPECT_EQ(power_up.net_address, "192.168.1.10");
  EXPECT_TRUE(power_up.extended_data.empty());
  EXPECT_EQ(page->records[1].app_id * 100 + page->records[1].event_id, 1808);  // KVM Session Started
  EXPECT_EQ(page->records[1].mc_location_type, 2u);
  EXPECT_EQ(page->records[2].initiator_type, AuditInitiatorType::kLocal);
  EXPECT_EQ(page->records[2].extended_data, (std::vector<std::uint8_t>{0}));
  const AuditRecord& kerberos = page->records[3];
  EXPECT_EQ(kerberos.initiator_type, AuditInitiatorType::kKerberos);
  EXPECT_EQ(kerberos.kerberos_user_in_domain, 1u);
  EXPECT_EQ(kerberos.initiator.size(), 8u);
  EXPECT_EQ(kerberos.net_address, "host");
  EXPECT_EQ(kerberos.extended_data, (std::vector<std::uint8_t>{1, 2}));
}

TEST(WsmanAmtLogs, AuditLogRoundTripsThroughTheDevice) {
  const Request q = on_device(audit_log_read_records(5));
  EXPECT_EQ(q.action, "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_AuditLog/ReadRecords");
  EXPECT_EQ(read_u32_argument(q, "StartIndex").value_or(0), 5u);

  AuditLogPage page;
  page.total_record_count = 12;
  page.records_returned = 2;
  AuditRecord a;
  a.app_id = 18;
  a.event_id = 4;  // 1804 SoL Session Opened
  a.initiator_type = AuditInitiatorType::kHttpDigest;
  a.initiator = "admin";
  a.timestamp = 1712345678;
  a.net_address = "10.1.2.3";
  AuditRecord b = a;
  b.initiator_type = AuditInitiatorType::kKvmDefaultPort;
  b.initiator.clear();
  b.extended_data = {9, 8, 7};
  page.records = {a, b};
  auto out = audit_log_output(page);
  ASSERT_TRUE(out.ok());
  auto back = read_audit_log_page(to_client(q, *out));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, page);
}

TEST(WsmanAmtLogs, AuditRecordRejectsMalformedBytes) {
  EXPECT_EQ(decode_audit_record(std::vector<std::uint8_t>{0, 16, 0}).error().code, "wsman-bad-record");
  EXPECT_EQ(decode_audit_record(std::vector<std::uint8_t>{0, 16, 0, 2, 9}).error().code, "wsman-bad-record");
  // Digest initiator whose length byte runs past the end.
  EXPECT_EQ(decode_audit_record(std::vector<std::uint8_t>{0, 16, 0, 2, 0, 200, 'a'}).error().code, "wsman-bad-record");
  AuditRecord big;
  big.initiator_type = AuditInitiatorType::kHttpDigest;
  big.initiator.assign(256, 'x');
  EXPECT_EQ(encode_audit_record(big).error().code, "wsman-bad-record");
  for (std::size_t cut = 0; cut < 20; ++cut) {
    AuditRecord r;
    r.initiator_type = AuditInitiatorType::kHttpDigest;
    r.initiator = "admin";
    r.net_address = "1.2.3.4";
    auto bytes = *encode_audit_record(r);
    ASSERT_TRUE(decode_audit_record(bytes).ok());
    bytes.resize(std::min(cut, bytes.size() - 1));
    EXPECT_FALSE(decode_audit_record(bytes).ok()) << cut;
  }
  Response bad;
  bad.instance = Instance{"ReadRecords_OUTPUT", "", {}};
  bad.instance->add("ReturnValue", "0").add("EventRecords", "***");
  EXPECT_EQ(read_audit_log_page(bad).error().code, "wsman-bad-record");
}

TEST(WsmanAmtLogs, MessageLogSampleDecodes) {
  auto pos = parse_response(data("message_log_position_to_first_record_response.xml"));
  ASSERT_TRUE(pos.ok());
  EXPECT_EQ(read_iteration_identifier(*pos).value_or(0), 28u);

  auto r = parse_response(data("message_log_get_records_response.xml"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto page = read_message_log_page(*r);
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page->iteration_identifier, 28u);
  EXPECT_TRUE(page->no_more_records);
  ASSERT_EQ(page->records.size(), 2u);
  const EventRecord& e = page->records[0];
  EXPECT_EQ(e.timestamp, 1700000000u);
  EXPECT_EQ(e.device_address, 0xFF);
  EXPECT_EQ(e.event_sensor_type, 0x0F);  // system firmware progress
  EXPECT_EQ(e.event_type, 0x6F);
  EXPECT_EQ(e.event_offset, 2);
  EXPECT_EQ(e.event_source_type, 0x68);
  EXPECT_EQ(e.event_severity, 1);
  EXPECT_EQ(e.event_data[0], 0x40);
  EXPECT_EQ(e.event_data[1], 0x12);
  EXPECT_EQ(page->records[1].event_sensor_type, 0x25);
  EXPECT_EQ(page->records[1].entity, 0x22);  // BIOS
}

TEST(WsmanAmtLogs, MessageLogRoundTripsThroughTheDevice) {
  const Request first = on_device(message_log_position_to_first_record());
  EXPECT_EQ(first.method(), "PositionToFirstRecord");
  EXPECT_EQ(read_iteration_identifier(to_client(first, position_to_first_record_output(3))).value_or(0), 3u);
  EXPECT_EQ(read_iteration_identifier(to_client(first, position_to_first_record_output(3, 0x80B))).error().code,
            "wsman-return-value");

  const Request get = on_device(message_log_get_records(3));
  auto args = read_get_records(get);
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(*args, (GetRecordsArgs{3, 390}));

  MessageLogPage page;
  page.iteration_identifier = 3;
  page.no_more_records = false;
  EventRecord e;
  e.timestamp = 0x61B12762;
  e.event_sensor_type = 0x0F;
  e.event_data = {1, 2, 3, 4, 5, 6, 7, 8};
  page.records = {e, e};
  auto back = read_message_log_page(to_client(get, message_log_output(page)));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, page);
  EXPECT_EQ(encode_event_record(e).size(), kEventRecordSize);
  EXPECT_EQ(decode_event_record(std::vector<std::uint8_t>(20, 0)).error().code, "wsman-bad-record");
}

}  // namespace

namespace mw::wsman {
namespace {

TEST(WsmanAmtLogNames, AuditApplicationsAndEvents) {
  EXPECT_EQ(audit_app_name(17), "RCO");
  EXPECT_EQ(audit_app_name(18), "Redirection Manager");
  EXPECT_EQ(audit_app_name(99), "Application 99");
  EXPECT_EQ(audit_event_name(17, 0), "Performed Power Up");
  EXPECT_EQ(audit_event_name(17, 1), "Performed Power Down");
  EXPECT_EQ(audit_event_name(17, 3), "Performed Reset");
  EXPECT_EQ(audit_event_name(18, 8), "KVM Session Started");
  EXPECT_EQ(audit_event_name(16, 5), "ACL Access with Invalid Credentials");
  EXPECT_EQ(audit_event_name(17, 42), "Event 42");
  EXPECT_EQ(audit_event_name(65535, 65535), "Event 65535");  // no overflow into a known key
}

TEST(WsmanAmtLogNames, EventRecordsDescribed) {
  EventRecord r;
  r.event_sensor_type = 15;
  r.event_offset = 2;
  r.entity = 34;
  r.event_data = {0x40, 0x01, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(event_description(r), "Memory initialization.");
  EXPECT_EQ(event_entity_name(r.entity), "BIOS");
  r.event_data[1] = 0x19;
  EXPECT_EQ(event_description(r), "Primary processor initialization");
  r.event_data[1] = 0xFF;  // past the table
  EXPECT_EQ(event_description(r), "Firmware progress 255");
  r.event_offset = 0;
  r.event_data[1] = 0x08;
  EXPECT_EQ(event_description(r), "Removable boot media not found.");
  r.event_data[0] = 0xEB;
  EXPECT_EQ(event_description(r), "Invalid Data");
  EventRecord intrusion;
  intrusion.event_sensor_type = 5;
  EXPECT_EQ(event_description(intrusion), "Case intrusion");
  EventRecord auth;
  auth.event_sensor_type = 6;
  auth.event_data = {0, 0x2C, 0x01, 0, 0, 0, 0, 0};
  EXPECT_EQ(event_description(auth), "Authentication failed 300 times. The system may be under attack.");
  EventRecord other;
  other.event_sensor_type = 200;
  EXPECT_EQ(event_description(other), "Sensor type 200");
  EXPECT_EQ(event_entity_name(0xFF), "Unknown");
  EXPECT_EQ(event_severity_name(0x02), "Information");
  EXPECT_EQ(event_severity_name(0x10), "Critical");
  EXPECT_EQ(event_severity_name(0x00), "Unspecified");
}

}  // namespace
}  // namespace mw::wsman
