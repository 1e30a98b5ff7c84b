// The device page's answers: system information and event lists, and what hostile input becomes.
#include "mw/proto/device_info.hpp"

#include <gtest/gtest.h>

#include <string>

#include "mw/proto/control.hpp"

namespace mw::proto {
namespace {

TEST(DeviceInfo, SystemInfoAsTheAgentReportsIt) {
  const auto s = parse_system_info(R"({"action":"getsysinfo","nodeid":"node//a","data":{
    "hostname":"pc1","os":{"name":"Debian GNU/Linux","id":"debian","version":"12","kernel":"6.1.0","arch":"x86_64"},
    "cpu":{"model":"Xeon","cores":8},"memory":{"total":17179869184,"available":8589934592},
    "disks":[{"device":"/dev/sda1","mount":"/","fs":"ext4","size":1000,"free":400}],
    "interfaces":[{"name":"lo","mac":"00:00:00:00:00:00","ipv4":["127.0.0.1"],"up":true,"loopback":true},
                  {"name":"eth0","mac":"52:54:00:12:34:56","ipv4":["10.0.0.5"],"ipv6":["fe80::1"],"up":true,"loopback":false}],
    "users":["alice","bob"],"agent":{"ver":"0.1.0","id":6,"platform":"linux"}}})");
  ASSERT_TRUE(s.ok()) << s.error().message;
  const SystemInfo& i = s.value();
  EXPECT_TRUE(i.known);
  EXPECT_EQ(i.nodeid, "node//a");
  EXPECT_EQ(i.hostname, "pc1");
  EXPECT_EQ(i.os_name, "Debian GNU/Linux");
  EXPECT_EQ(i.os_version, "12");
  EXPECT_EQ(i.kernel, "6.1.0");
  EXPECT_EQ(i.arch, "x86_64");
  EXPECT_EQ(i.cpu_model, "Xeon");
  EXPECT_EQ(i.cpu_cores, 8);
  EXPECT_EQ(i.memory_total, 17179869184u);
  EXPECT_EQ(i.memory_available, 8589934592u);
  ASSERT_EQ(i.disks.size(), 1u);
  EXPECT_EQ(i.disks[0].mount, "/");
  EXPECT_EQ(i.disks[0].free, 400u);
  ASSERT_EQ(i.interfaces.size(), 1u);  // the loopback is left out
  EXPECT_EQ(i.interfaces[0].name, "eth0");
  EXPECT_EQ(i.interfaces[0].mac, "52:54:00:12:34:56");
  EXPECT_EQ(i.interfaces[0].ipv4, std::vector<std::string>{"10.0.0.5"});
  EXPECT_EQ(i.interfaces[0].ipv6, std::vector<std::string>{"fe80::1"});
  EXPECT_TRUE(i.interfaces[0].up);
  EXPECT_EQ(i.users, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(i.agent_version, "0.1.0");
}

TEST(DeviceInfo, NoInfoYetAndHostileShapes) {
  const auto none = parse_system_info(R"({"action":"getsysinfo","nodeid":"node//a","noinfo":true})");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none.value().known);
  // Wrong types are skipped field by field; nothing throws.
  const auto odd = parse_system_info(R"({"action":"getsysinfo","data":{"hostname":5,"os":"x","cpu":{"cores":-3},
    "memory":{"total":"big"},"disks":[1,{"mount":["/"]}],"interfaces":{"eth0":{}},"users":["a",2,null]}})");
  ASSERT_TRUE(odd.ok());
  EXPECT_TRUE(odd.value().known);
  EXPECT_EQ(odd.value().hostname, "");
  EXPECT_EQ(odd.value().cpu_cores, 0);
  EXPECT_EQ(odd.value().memory_total, 0u);
  ASSERT_EQ(odd.value().disks.size(), 1u);
  EXPECT_EQ(odd.value().disks[0].mount, "");
  EXPECT_TRUE(odd.value().interfaces.empty());
  EXPECT_EQ(odd.value().users, std::vector<std::string>{"a"});
  EXPECT_EQ(parse_system_info("{").error().code, "bad-json");
  EXPECT_EQ(parse_system_info(R"({"action":"events"})").error().code, "bad-message");
  EXPECT_EQ(parse_system_info("[]").error().code, "bad-message");
}

TEST(DeviceInfo, EventLists) {
  const auto l = parse_event_list(R"({"action":"events","nodeid":"node//a","events":[
    {"time":"2026-12-06T09:00:00.000Z","etype":"node","action":"changenode","username":"admin","msg":"Renamed"},
    {"time":5,"msg":["x"]},"junk"]})");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l.value().nodeid, "node//a");
  ASSERT_EQ(l.value().events.size(), 2u);
  EXPECT_EQ(l.value().events[0].time, "2026-12-06T09:00:00.000Z");
  EXPECT_EQ(l.value().events[0].username, "admin");
  EXPECT_EQ(l.value().events[0].action, "changenode");
  EXPECT_EQ(l.value().events[0].msg, "Renamed");
  EXPECT_EQ(l.value().events[1].time, "");
  EXPECT_EQ(l.value().events[1].msg, "");
  // A huge list is capped.
  std::string many = R"({"action":"events","events":[)";
  for (std::size_t k = 0; k < kMaxListed + 5; ++k) many += std::string(k ? "," : "") + R"({"msg":"m"})";
  many += "]}";
  EXPECT_EQ(parse_event_list(many).value().events.size(), kMaxListed);
  EXPECT_EQ(parse_event_list(R"({"action":"getsysinfo"})").error().code, "bad-message");
}

TEST(DeviceInfo, IntelAmtOfADeviceRecord) {
  const auto m = parse_control_message(R"({"action":"nodes","nodes":{"mesh//a":[
    {"_id":"node//1","name":"amt","intelamt":{"ver":"16.1.25","user":"admin","uuid":"u-1","hostname":"amt.example","state":2}},
    {"_id":"node//2","name":"bad","intelamt":{"ver":3,"warn":1}},
    {"_id":"node//3","name":"plain"},
    {"_id":"node//4","name":"tls","intelamt":{"tls":1,"hash":"ab12","warn":12}}]}})");
  ASSERT_TRUE(m.ok());
  const auto& d = std::get<Devices>(m.value()).devices;
  ASSERT_EQ(d.size(), 4u);
  ASSERT_TRUE(d[0].amt.has_value());
  EXPECT_EQ(d[0].amt->version, "16.1.25");
  EXPECT_EQ(d[0].amt->user, "admin");
  EXPECT_EQ(d[0].amt->uuid, "u-1");
  EXPECT_EQ(d[0].amt->hostname, "amt.example");
  EXPECT_FALSE(d[0].amt->credentials_refused);
  ASSERT_TRUE(d[1].amt.has_value());
  EXPECT_EQ(d[1].amt->version, "");
  EXPECT_TRUE(d[1].amt->credentials_refused);
  EXPECT_FALSE(d[1].amt->trying);
  EXPECT_FALSE(d[1].amt->tls);
  EXPECT_FALSE(d[2].amt.has_value());
  // TLS, its pinned certificate, and the warn bits 4 (certificate changed) and 8 (being tried).
  ASSERT_TRUE(d[3].amt.has_value());
  EXPECT_TRUE(d[3].amt->tls);
  EXPECT_EQ(d[3].amt->tls_hash, "ab12");
  EXPECT_TRUE(d[3].amt->tls_mismatch);
  EXPECT_TRUE(d[3].amt->trying);
  EXPECT_FALSE(d[3].amt->credentials_refused);
  EXPECT_FALSE(d[0].amt->tls);
  EXPECT_FALSE(d[0].amt->tls_mismatch);
}

}  // namespace
}  // namespace mw::proto

namespace mw::proto {
namespace {

TEST(DeviceInfo, IntelAmtHardwareAndLogs) {
  const auto hw = parse_amt_details(R"({"action":"amtinfo","nodeid":"node//a","what":"hardware","result":"ok",
    "hardware":{"platformGuid":"00112233445566778899aabbccddeeff",
      "chassis":{"manufacturer":"Meshwork","model":"AMT Simulator","serial":"S1","version":"1"},
      "baseboard":{"manufacturer":"Meshwork","model":"AMTSIM-BOARD","serial":"B1","version":"2"},
      "bios":{"manufacturer":"Meshwork","version":"MWSIM.1.0","releaseDate":"2021-07-23T00:00:00Z"},
      "processors":[{"id":"CPU 0","maxClockSpeed":4600,"currentClockSpeed":2100}],
      "memory":[{"bank":"BANK 0","capacity":8589934592,"speed":3200,"manufacturer":"M","partNumber":"P","serial":"X"}, 5]}})");
  ASSERT_TRUE(hw.ok()) << hw.error().message;
  ASSERT_TRUE(hw->hardware);
  EXPECT_EQ(hw->what, "hardware");
  EXPECT_EQ(hw->hardware->chassis.model, "AMT Simulator");
  EXPECT_EQ(hw->hardware->baseboard.serial, "B1");
  EXPECT_EQ(hw->hardware->bios_version, "MWSIM.1.0");
  ASSERT_EQ(hw->hardware->processors.size(), 1u);
  EXPECT_EQ(hw->hardware->processors[0].max_mhz, 4600u);
  ASSERT_EQ(hw->hardware->memory.size(), 1u);  // the malformed entry is skipped
  EXPECT_EQ(hw->hardware->memory[0].capacity, 8589934592u);

  const auto logs = parse_amt_details(R"({"action":"amtinfo","nodeid":"node//a","what":"auditlog","result":"ok",
    "audit":[{"time":1764979200,"app":"RCO","event":"Performed Power Down","initiator":"admin","address":"127.0.0.1"}],
    "events":[{"time":1764979100,"entity":"BIOS","description":"Memory initialization.","severity":"Information"}]})");
  ASSERT_TRUE(logs.ok());
  EXPECT_FALSE(logs->hardware);
  ASSERT_EQ(logs->audit.size(), 1u);
  EXPECT_EQ(logs->audit[0].event, "Performed Power Down");
  EXPECT_EQ(logs->audit[0].time, 1764979200u);
  ASSERT_EQ(logs->events.size(), 1u);
  EXPECT_EQ(logs->events[0].description, "Memory initialization.");

  const auto failed = parse_amt_details(R"({"action":"amtinfo","nodeid":"node//a","what":"eventlog","result":"The device is not connected"})");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->result, "The device is not connected");
  EXPECT_FALSE(parse_amt_details(R"({"action":"amtinfo","hardware":[)").ok());
  EXPECT_FALSE(parse_amt_details(R"({"action":"events"})").ok());
}

}  // namespace
}  // namespace mw::proto
