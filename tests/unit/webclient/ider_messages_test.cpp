// The IDE-R relay's text messages as the app reads them (webclient/src/ider_messages.hpp): the
// server's messages of server/src/amt/amt_relay.hpp, the start request, and hostile text.
#include "ider_messages.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace mw::web {
namespace {

TEST(IderMessages, ImagesAsTheServerListsThem) {
  const auto m = parse_ider_message(
      R"({"action":"amtider","state":"images","images":[{"path":"/isos/debian.iso","size":658505728,"drive":"cdrom"},)"
      R"({"path":"/tools.img","size":1474560,"drive":"floppy"}]})");
  ASSERT_TRUE(m);
  const auto* list = std::get_if<IderImages>(&*m);
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->images.size(), 2u);
  EXPECT_EQ(list->images[0].path, "/isos/debian.iso");
  EXPECT_EQ(list->images[0].size, 658505728u);
  EXPECT_EQ(list->images[0].drive, IderDrive::kCdrom);
  EXPECT_EQ(list->images[1].path, "/tools.img");
  EXPECT_EQ(list->images[1].drive, IderDrive::kFloppy);
}

TEST(IderMessages, AnEmptyListAndADriveKindThisAppDoesNotOffer) {
  const auto empty = parse_ider_message(R"({"action":"amtider","state":"images","images":[]})");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(std::get<IderImages>(*empty).images.empty());
  const auto usb = parse_ider_message(
      R"({"action":"amtider","state":"images","images":[{"path":"/a.raw","size":512,"drive":"usb"},{"path":"/b.iso","size":2048,"drive":"cdrom"}]})");
  ASSERT_TRUE(usb);
  ASSERT_EQ(std::get<IderImages>(*usb).images.size(), 1u);
  EXPECT_EQ(std::get<IderImages>(*usb).images[0].path, "/b.iso");
}

TEST(IderMessages, ProgressOfARunningSession) {
  const auto m = parse_ider_message(
      R"({"action":"amtider","state":"running","toAmt":381000,"fromAmt":435,"start":2,"firmware":"16.1",)"
      R"("cdrom":{"path":"/isos/e2e.iso","blocks":186,"read":190}})");
  ASSERT_TRUE(m);
  const auto& p = std::get<IderProgress>(*m);
  EXPECT_EQ(p.stage, IderProgress::Stage::kRunning);
  EXPECT_EQ(p.to_amt, 381000u);
  EXPECT_EQ(p.from_amt, 435u);
  EXPECT_EQ(p.start, IderStart::kNow);
  EXPECT_EQ(p.firmware, "16.1");
  ASSERT_TRUE(p.cdrom);
  EXPECT_EQ(p.cdrom->path, "/isos/e2e.iso");
  EXPECT_EQ(p.cdrom->blocks, 186u);
  EXPECT_EQ(p.cdrom->read, 190u);  // re-reads count again
  EXPECT_FALSE(p.floppy);
}

TEST(IderMessages, EveryStageOfTheSession) {
  const std::pair<const char*, IderProgress::Stage> stages[] = {{"opened", IderProgress::Stage::kOpened},
                                                               {"enabled", IderProgress::Stage::kEnabled},
                                                               {"running", IderProgress::Stage::kRunning},
                                                               {"reset", IderProgress::Stage::kReset}};
  for (const auto& [state, stage] : stages) {
    // Before Intel AMT answered, the firmware version is not known yet.
    const auto m = parse_ider_message(std::string(R"({"action":"amtider","state":")") + state +
                                      R"(","toAmt":0,"fromAmt":0,"start":0,"floppy":{"path":"/f.img","blocks":2880,"read":0}})");
    ASSERT_TRUE(m) << state;
    const auto& p = std::get<IderProgress>(*m);
    EXPECT_EQ(p.stage, stage) << state;
    EXPECT_EQ(p.start, IderStart::kNextBoot);
    EXPECT_TRUE(p.firmware.empty());
    ASSERT_TRUE(p.floppy);
    EXPECT_EQ(p.floppy->blocks, 2880u);
  }
}

TEST(IderMessages, TheRelayOpeningAndClosing) {
  const auto ready = parse_ider_message(R"({"action":"amtrelay","state":"ready","type":"ider"})");
  ASSERT_TRUE(ready);
  EXPECT_TRUE(std::holds_alternative<IderRelayReady>(*ready));
  const auto closed = parse_ider_message(R"({"action":"amtrelay","state":"closed","reason":"Intel AMT ended the IDE-R session."})");
  ASSERT_TRUE(closed);
  EXPECT_EQ(std::get<IderRelayClosed>(*closed).reason, "Intel AMT ended the IDE-R session.");
  const auto bare = parse_ider_message(R"({"action":"amtrelay","state":"closed"})");
  ASSERT_TRUE(bare);
  EXPECT_EQ(std::get<IderRelayClosed>(*bare).reason, "");
}

TEST(IderMessages, HostileOrUnknownTextIsRefusedNeverThrown) {
  for (const char* text : {
           "",
           "not json",
           "[1,2]",
           R"({"action":"amtider"})",                                              // no state
           R"({"action":"amtider","state":"images"})",                             // no list
           R"({"action":"amtider","state":"images","images":{}})",                 // not a list
           R"({"action":"amtider","state":"images","images":[7]})",                // not an entry
           R"({"action":"amtider","state":"images","images":[{"path":1,"size":2,"drive":"cdrom"}]})",
           R"({"action":"amtider","state":"images","images":[{"path":"/x.iso","size":-2,"drive":"cdrom"}]})",
           R"({"action":"amtider","state":"images","images":[{"size":2048,"drive":"cdrom"}]})",  // no path
           R"({"action":"amtider","state":"paused"})",                             // no such stage
           R"({"action":"amtider","state":"running","toAmt":"lots"})",
           R"({"action":"amtider","state":"running","start":3})",                  // no such start
           R"({"action":"amtider","state":"running","cdrom":"/x.iso"})",
           R"({"action":"amtider","state":"running","cdrom":{"path":"/x.iso","blocks":1.5}})",
           R"({"action":"amtrelay","state":"closed","reason":42})",
           R"({"action":"amtrelay","state":"opening"})",
           R"({"action":"meshrelay","state":"ready"})",
           R"({"action":7,"state":"ready"})",
       }) {
    EXPECT_FALSE(parse_ider_message(text)) << text;
  }
}

TEST(IderMessages, TheStartRequest) {
  const auto j = nlohmann::json::parse(ider_start_request("/isos/x.iso", "", IderStart::kGraceful));
  EXPECT_EQ(j, (nlohmann::json{{"action", "start"}, {"cdrom", "/isos/x.iso"}, {"floppy", ""}, {"start", 1}}));
  // A path that is not UTF-8 is sent with replacement characters, never an exception.
  const auto odd = nlohmann::json::parse(ider_start_request("", std::string("/\xff.img"), IderStart::kNow));
  EXPECT_EQ(odd["floppy"], "/\xEF\xBF\xBD.img");
  EXPECT_EQ(odd["start"], 2);
}

}  // namespace
}  // namespace mw::web
