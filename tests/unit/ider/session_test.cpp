// shared/ider: the console end (HostSession, serving images) against Intel AMT's end
// (DeviceSession) in memory, the wire bytes both write, and what hostile input does.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "../test_bytes.hpp"
#include "mw/ider/messages.hpp"
#include "mw/ider/session.hpp"

namespace mw::ider {
namespace {

using mw::test::Bytes;
using mw::test::hex;

// An image whose every byte tells where it is: byte i is (i * 7 + i / 4093) & 0xFF.
Bytes pattern(std::size_t size) {
  Bytes b(size);
  for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<std::uint8_t>((i * 7 + i / 4093) & 0xFF);
  return b;
}

Media memory_media(std::shared_ptr<Bytes> image, bool fail = false) {
  Media m;
  m.size = image->size();
  m.read = [image, fail](std::uint64_t offset, std::span<std::uint8_t> out) {
    if (fail || offset + out.size() > image->size()) return false;
    std::copy_n(image->begin() + static_cast<std::ptrdiff_t>(offset), out.size(), out.begin());
    return true;
  };
  return m;
}

template <class T>
std::vector<T> events_of(const Output& o) {
  std::vector<T> v;
  for (const auto& e : o.events)
    if (auto* t = std::get_if<T>(&e)) v.push_back(*t);
  return v;
}

// The two ends wired together; every byte either writes goes to the other at once, and the
// host's pending reads are pumped `budget` bytes at a time.
struct Pair {
  HostSession host;
  DeviceSession device;
  std::vector<Event> host_events, device_events;
  std::vector<std::size_t> chunk_sizes;  // data per DataToHost the device received
  std::size_t budget = 64 * 1024;

  Pair(HostConfig h, DeviceConfig d) : host(std::move(h)), device(std::move(d)) {}

  void to_device(Output o) {
    host_events.insert(host_events.end(), o.events.begin(), o.events.end());
    note_chunks(o.send);
    if (!o.send.empty()) to_host(device.feed(o.send));
  }
  void to_host(Output o) {
    device_events.insert(device_events.end(), o.events.begin(), o.events.end());
    if (!o.send.empty()) to_device(host.feed(o.send));
    while (host.has_pending_data() && !host.finished()) to_device(host.pump(budget));
  }
  void note_chunks(const Bytes& wire) {
    // Every write holds whole frames: walk them by their lengths and note each DataToHost's data.
    std::size_t at = 0;
    while (at + kHeaderSize <= wire.size()) {
      const std::uint8_t op = wire[at];
      std::size_t len = 0;
      if (op == kDataToHost) len = kHeaderSize + 26 + (wire[at + 9] | (wire[at + 10] << 8));
      else if (op == kCommandEndResponse || op == kGetDataFromHost) len = kHeaderSize + 23;
      else if (op == kOpenSession) len = kHeaderSize + 10;
      else if (op == kDisableEnableFeatures) len = kHeaderSize + (wire[at + 8] == kRegsToggle ? 5 : 1);
      else len = kHeaderSize;
      if (op == kDataToHost) chunk_sizes.push_back(len - kHeaderSize - 26);
      at += len;
    }
  }
  CommandDone command(Drive d, const std::array<std::uint8_t, kCdbSize>& cdb) {
    const std::size_t before = device_events.size();
    to_host(device.command(d, cdb));
    for (std::size_t i = before; i < device_events.size(); ++i) {
      if (auto* done = std::get_if<CommandDone>(&device_events[i])) return *done;
    }
    ADD_FAILURE() << "no answer to the command";
    return {};
  }
};

DeviceConfig device_config(std::uint16_t read_buffer = 8192) {
  DeviceConfig d;
  d.info.fw_major = 16;
  d.info.fw_minor = 1;
  d.info.read_buffer = read_buffer;
  return d;
}

TEST(IderWire, OpenSessionAndToggleBytesAreMeshCommanders) {
  auto image = std::make_shared<Bytes>(pattern(2048 * 4));
  HostConfig h;
  h.cdrom = memory_media(image);
  h.start = StartMode::kNow;
  HostSession host(h);
  // OpenSession: rx 30000, tx 0, heartbeat 20000 (u16 LE), version 1 (u32 LE), sequence 0.
  EXPECT_EQ(host.start().send, hex("40000000 00000000 3075 0000 204E 01000000"));
  DeviceInfo info;
  info.fw_major = 11;
  info.fw_minor = 8;
  Bytes reply;
  std::uint32_t seq = 0;
  encode_to(kOpenSessionReply, 0, encode_device_info(info), seq, reply);
  ASSERT_EQ(reply.size(), 30u);  // what MeshCentral's module waits for before reading byte 29
  EXPECT_EQ(reply[16], 0x00);
  EXPECT_EQ(reply[17], 0x20);  // read buffer 8192 at 16..17
  EXPECT_EQ(reply[25], 343 & 0xFF);
  auto o = host.feed(reply);
  ASSERT_EQ(events_of<Opened>(o).size(), 1u);
  EXPECT_EQ(events_of<Opened>(o)[0].device.fw_major, 11);
  // REGS_TOGGLE, "enable now": 0x01 + 0x18.
  EXPECT_EQ(o.send, hex("48000000 01000000 03 19000000"));
}

TEST(IderSession, DeviceReadsTheImageThroughTheHostInChunksOfItsReadBuffer) {
  auto image = std::make_shared<Bytes>(pattern(2048 * 300 + 100));  // a partial last block is not visible
  HostConfig h;
  h.cdrom = memory_media(image);
  h.start = StartMode::kGraceful;
  Pair p(h, device_config(4096));
  p.to_device(p.host.start());
  ASSERT_TRUE(p.device.opened());
  ASSERT_TRUE(p.host.opened());
  EXPECT_TRUE(p.device.enabled());
  EXPECT_EQ(p.device.start_mode(), StartMode::kGraceful);
  ASSERT_TRUE(p.host.enabled());

  // The first TEST UNIT READY reports the medium as changed, the next one ready.
  auto tur = p.command(Drive::kCdrom, cdb_test_unit_ready());
  EXPECT_EQ(tur.sense, (Sense{0x06, 0x28, 0x00}));
  EXPECT_TRUE(p.command(Drive::kCdrom, cdb_test_unit_ready()).sense.ok());
  auto sense = p.command(Drive::kCdrom, cdb_request_sense());
  ASSERT_EQ(sense.data.size(), 18u);
  EXPECT_EQ(sense.data[0], 0x70);

  auto cap = p.command(Drive::kCdrom, cdb_read_capacity());
  ASSERT_TRUE(cap.sense.ok());
  EXPECT_EQ(cap.data, hex("0000012B 00000800"));  // last LBA 299, 2048-byte blocks

  // 37 blocks from LBA 250: 75,776 bytes in chunks of the 4096-byte read buffer.
  p.chunk_sizes.clear();
  auto r = p.command(Drive::kCdrom, cdb_read10(250, 37));
  ASSERT_TRUE(r.sense.ok());
  EXPECT_EQ(r.data, Bytes(image->begin() + 250 * 2048, image->begin() + 287 * 2048));
  ASSERT_EQ(p.chunk_sizes.size(), 19u);
  EXPECT_TRUE(std::all_of(p.chunk_sizes.begin(), p.chunk_sizes.end(), [](std::size_t n) { return n <= 4096; }));
  EXPECT_EQ(p.host.stats().blocks_read[1], 37u);
  std::vector<Read> reads;
  for (auto& e : p.host_events)
    if (auto* rd = std::get_if<Read>(&e)) reads.push_back(*rd);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].lba, 250u);
  EXPECT_EQ(reads[0].blocks, 37u);

  // Past the end: LBA out of range; the floppy has no medium.
  EXPECT_EQ(p.command(Drive::kCdrom, cdb_read10(299, 2)).sense, (Sense{0x05, 0x21, 0x00}));
  EXPECT_TRUE(p.command(Drive::kCdrom, cdb_read10(299, 1)).sense.ok());
  EXPECT_EQ(p.command(Drive::kFloppy, cdb_test_unit_ready()).sense, (Sense{0x02, 0x3A, 0x00}));
  EXPECT_EQ(p.command(Drive::kFloppy, cdb_read10(0, 1)).sense, (Sense{0x02, 0x3A, 0x00}));
}

TEST(IderSession, PumpProducesOneChunkAtATimeWithASmallBudget) {
  auto image = std::make_shared<Bytes>(pattern(2048 * 64));
  HostConfig h;
  h.cdrom = memory_media(image);
  HostSession host(h);
  DeviceSession device(device_config(8192));
  device.feed(host.start().send);
  Bytes reply;
  std::uint32_t seq = 0;
  encode_to(kOpenSessionReply, 0, encode_device_info(device_config(8192).info), seq, reply);
  host.feed(reply);
  Command c;
  c.drive = Drive::kCdrom;
  c.cdb = cdb_read10(0, 64);  // 128 KiB
  Bytes cmd;
  encode_to(kCommandWritten, 0, encode_command(c), seq, cmd);
  auto o = host.feed(cmd);
  EXPECT_TRUE(o.send.empty());
  ASSERT_TRUE(host.has_pending_data());
  std::size_t calls = 0;
  while (host.has_pending_data()) {
    auto chunk = host.pump(1);
    EXPECT_EQ(chunk.send.size(), kHeaderSize + 26 + 8192);
    ++calls;
  }
  EXPECT_EQ(calls, 16u);
}

TEST(IderSession, ReadOnlyDriveAnswers) {
  auto cd = std::make_shared<Bytes>(pattern(2048 * 1000));
  auto floppy = std::make_shared<Bytes>(pattern(512 * 2880));
  HostConfig h;
  h.cdrom = memory_media(cd);
  h.floppy = memory_media(floppy);
  Pair p(h, device_config());
  p.to_device(p.host.start());

  auto inq = p.command(Drive::kCdrom, cdb_inquiry(36));
  ASSERT_EQ(inq.data.size(), 36u);
  EXPECT_EQ(inq.data[0], 0x05);  // CD/DVD
  EXPECT_EQ(inq.data[1], 0x80);  // removable
  EXPECT_EQ(std::string(inq.data.begin() + 8, inq.data.begin() + 16), "Meshwork");
  EXPECT_EQ(p.command(Drive::kCdrom, cdb_inquiry(5)).data.size(), 5u);  // cut to the allocation length
  EXPECT_EQ(p.command(Drive::kFloppy, cdb_inquiry()).data[0], 0x00);

  std::array<std::uint8_t, kCdbSize> write{};
  write[0] = 0x2A;
  write[8] = 1;
  EXPECT_EQ(p.command(Drive::kFloppy, write).sense, (Sense{0x07, 0x27, 0x00}));
  std::array<std::uint8_t, kCdbSize> unknown{};
  unknown[0] = 0xFF;
  EXPECT_EQ(p.command(Drive::kCdrom, unknown).sense, (Sense{0x05, 0x20, 0x00}));

  // READ TOC: track 1 at 0, lead-out at the image's end (1000 blocks), LBA and MSF forms.
  std::array<std::uint8_t, kCdbSize> toc{};
  toc[0] = 0x43;
  toc[8] = 0xFF;
  EXPECT_EQ(p.command(Drive::kCdrom, toc).data, hex("0012 01 01 00 14 01 00 00000000 00 14 AA 00 000003E8"));
  toc[1] = 0x02;
  // 1000 + 150 frames = 0 min 15 s 25 frames.
  EXPECT_EQ(p.command(Drive::kCdrom, toc).data, hex("0012 01 01 00 14 01 00 00000200 00 14 AA 00 00000F19"));

  // GET CONFIGURATION: current profile CD-ROM; one feature when asked for it alone.
  std::array<std::uint8_t, kCdbSize> conf{};
  conf[0] = 0x46;
  conf[8] = 0xFF;
  auto all = p.command(Drive::kCdrom, conf).data;
  ASSERT_GE(all.size(), 8u);
  EXPECT_EQ(all[7], 0x08);
  EXPECT_EQ(all.size(), 8u + 8 + 8 + 8 + 8 + 12 + 4 + 4 + 4);
  conf[1] = 2;
  conf[3] = 0x1E;
  EXPECT_EQ(p.command(Drive::kCdrom, conf).data, hex("00000008 0000 0008 001E0300"));

  // MODE SENSE(10), all pages of the floppy: write protected, 1.44 MB medium.
  std::array<std::uint8_t, kCdbSize> ms{};
  ms[0] = 0x5A;
  ms[2] = 0x3F;
  ms[8] = 0xFF;
  auto mode = p.command(Drive::kFloppy, ms).data;
  ASSERT_EQ(mode.size(), 8u + 12 + 32);
  EXPECT_EQ(mode[1], mode.size() - 2);
  EXPECT_EQ(mode[2], 0x24);
  EXPECT_EQ(mode[3], 0x80);

  // READ FORMAT CAPACITIES of the floppy: 2880 blocks of 512 bytes.
  std::array<std::uint8_t, kCdbSize> fc{};
  fc[0] = 0x23;
  fc[8] = 12;
  EXPECT_EQ(p.command(Drive::kFloppy, fc).data, hex("00000008 00000B40 02 000200"));

  auto f = p.command(Drive::kFloppy, cdb_read10(2879, 1));
  EXPECT_EQ(f.data, Bytes(floppy->end() - 512, floppy->end()));
}

TEST(IderSession, AMediumErrorIsReportedAndTheSessionGoesOn) {
  auto cd = std::make_shared<Bytes>(pattern(2048 * 10));
  HostConfig h;
  h.cdrom = memory_media(cd, /*fail=*/true);
  Pair p(h, device_config());
  p.to_device(p.host.start());
  EXPECT_EQ(p.command(Drive::kCdrom, cdb_read10(0, 1)).sense, (Sense{0x03, 0x11, 0x00}));
  EXPECT_FALSE(p.host.finished());
  EXPECT_TRUE(p.command(Drive::kCdrom, cdb_read_capacity()).sense.ok());
}

TEST(IderSession, ABusResetDropsTheReadInProgress) {
  auto cd = std::make_shared<Bytes>(pattern(2048 * 64));
  HostConfig h;
  h.cdrom = memory_media(cd);
  HostSession host(h);
  DeviceSession device(device_config());
  auto o = device.feed(host.start().send);
  auto toggled = device.feed(host.feed(o.send).send);  // REGS_TOGGLE and its reply
  host.feed(toggled.send);
  auto cmd = device.command(Drive::kCdrom, cdb_read10(0, 64));
  host.feed(cmd.send);
  auto first = host.pump(1);
  auto got = device.feed(first.send);
  EXPECT_TRUE(events_of<CommandDone>(got).empty());
  auto reset = host.feed(device.reset().send);
  EXPECT_EQ(events_of<BusReset>(reset).size(), 1u);
  EXPECT_FALSE(host.has_pending_data());
  EXPECT_EQ(reset.send, hex("47000000 03000000"));  // sequence: OpenSession 0, toggle 1, one chunk 2
  device.feed(reset.send);
  // The device carries on with a new command.
  auto again = host.feed(device.command(Drive::kCdrom, cdb_read_capacity()).send);
  auto done = events_of<CommandDone>(device.feed(again.send));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].sense.ok());
}

TEST(IderSession, HostileInputEndsTheSessionWithAClearError) {
  auto cd = std::make_shared<Bytes>(pattern(2048 * 4));
  HostConfig h;
  h.cdrom = memory_media(cd);
  {
    HostSession host(h);
    host.start();
    auto o = host.feed(hex("99000000 00000000"));
    auto f = events_of<Failed>(o);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].error.code, "ider-unknown-message");
    EXPECT_TRUE(host.finished());
  }
  {
    HostSession host(h);
    host.start();
    auto f = events_of<Failed>(host.feed(hex("4B000000 05000000")));
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].error.code, "ider-sequence");
  }
  {
    HostSession host(h);
    host.start();
    DeviceInfo small;
    small.read_buffer = 100;
    Bytes reply;
    std::uint32_t seq = 0;
    encode_to(kOpenSessionReply, 0, encode_device_info(small), seq, reply);
    auto f = events_of<Failed>(host.feed(reply));
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].error.code, "ider-read-buffer");
  }
  {  // AMT writing command after command while a read is unanswered: bounded queue
    HostConfig q = h;
    q.max_queued_commands = 2;
    HostSession host(q);
    host.start();
    Bytes wire;
    std::uint32_t seq = 0;
    encode_to(kOpenSessionReply, 0, encode_device_info(DeviceInfo{}), seq, wire);
    Command c;
    c.cdb = cdb_read10(0, 4);
    for (int i = 0; i < 4; ++i) encode_to(kCommandWritten, 0, encode_command(c), seq, wire);
    auto f = events_of<Failed>(host.feed(wire));
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].error.code, "ider-too-many-commands");
  }
  {  // no image at all
    HostSession host(HostConfig{});
    auto f = events_of<Failed>(host.start());
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].error.code, "ider-no-media");
  }
}

TEST(IderSession, ByteAtATimeDeliveryGivesTheSameData) {
  auto cd = std::make_shared<Bytes>(pattern(2048 * 8));
  HostConfig h;
  h.cdrom = memory_media(cd);
  HostSession host(h);
  DeviceSession device(device_config(2048));
  auto dribble = [](auto& session, const Bytes& bytes) {
    Output all;
    for (std::uint8_t b : bytes) {
      auto o = session.feed(std::span<const std::uint8_t>(&b, 1));
      all.send.insert(all.send.end(), o.send.begin(), o.send.end());
      all.events.insert(all.events.end(), o.events.begin(), o.events.end());
    }
    return all;
  };
  auto reply = dribble(device, host.start().send);
  auto toggle = dribble(host, reply.send);
  dribble(host, dribble(device, toggle.send).send);
  dribble(host, device.command(Drive::kCdrom, cdb_read10(1, 6)).send);
  Bytes wire;
  while (host.has_pending_data()) {
    auto o = host.pump(1);
    wire.insert(wire.end(), o.send.begin(), o.send.end());
  }
  auto done = events_of<CommandDone>(dribble(device, wire));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].data, Bytes(cd->begin() + 2048, cd->begin() + 7 * 2048));
}

TEST(IderSession, HeartbeatsAtTheAskedInterval) {
  auto cd = std::make_shared<Bytes>(pattern(2048 * 4));
  HostConfig h;
  h.cdrom = memory_media(cd);
  h.timeouts.heartbeat_ms = 1000;
  Pair p(h, device_config());
  p.to_device(p.host.start());
  EXPECT_TRUE(p.host.tick(5000).send.empty());  // starts the clock
  EXPECT_TRUE(p.host.tick(5999).send.empty());
  auto beat = p.host.tick(6000).send;
  ASSERT_EQ(beat.size(), kHeaderSize);
  EXPECT_EQ(beat[0], kHeartbeat);
  EXPECT_TRUE(p.device.tick(0).send.empty());
  ASSERT_EQ(p.device.tick(1000).send.size(), kHeaderSize);
}

}  // namespace
}  // namespace mw::ider
