// amtsim's IDE-R drives (tools/amtsim/ider.cpp, shared/ider's DeviceSession) against an end
// nobody here wrote: MeshCentral's server-side IDE-R (npm meshcentral, amt/amt-redir-mesh.js and
// amt/amt-ider-module.js, driven by meshcentral_ider.cjs) serving disk images made by Debian's
// xorriso (a bootable ISO 9660 CD-ROM with an El Torito image) and mkfs.fat (a 1.44 MB floppy).
// amtsim reads the boot structures and the whole medium and prints what it found and the
// medium's SHA-256, which must be the image file's.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "../amtsim_process.hpp"
#include "../process.hpp"
#include "mw/util/hex.hpp"
#include "mw/util/sha256.hpp"

namespace {

using namespace mw::test::peer;
constexpr const char* kAmtPass = "P@ssw0rd-ider";

std::string sha256_of(const fs::path& p) {
  const std::string data = read_file(p);
  return mw::util::hex_encode(mw::util::sha256(data));
}

// A bootable CD image: a 2 KB El Torito "no emulation" boot image of 4 sectors and 300 KB of
// data; and a FAT12 floppy.
struct Images {
  TempDir dir;
  fs::path iso, floppy;
  Images() {
    fs::create_directories(dir.path / "root");
    std::string boot(2048, '\0');
    for (std::size_t i = 0; i < boot.size(); ++i) boot[i] = static_cast<char>(i * 13);
    write_file(dir.path / "root" / "boot.img", boot);
    std::string data(300000, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 7) ^ (i >> 9));
    write_file(dir.path / "root" / "data.bin", data);
    iso = dir.path / "test.iso";
    floppy = dir.path / "floppy.img";
    const auto x = run({"xorriso", "-as", "mkisofs", "-V", "MESHWORK_TEST", "-b", "boot.img", "-no-emul-boot",
                        "-boot-load-size", "4", "-o", iso.string(), (dir.path / "root").string()},
                       current_env());
    EXPECT_EQ(x.status, 0) << x.err;
    const auto f = run({"/sbin/mkfs.fat", "-C", "-n", "MWFLOPPY", floppy.string(), "1440"}, current_env());
    EXPECT_EQ(f.status, 0) << f.err;
  }
};

TEST(MeshcentralIderAmtsim, ServesACdAndAFloppyThatAmtsimReadsWhole) {
  Images img;
  ASSERT_TRUE(fs::exists(img.iso) && fs::exists(img.floppy));
  LanSim sim(MW_AMTSIM, "127.0.0.150", 1, kAmtPass, "ider-peer");
  ASSERT_TRUE(sim.ready) << sim.output;
  const std::size_t mark = sim.output.size();
  // iderStart 2: the drives are shown at once, so the simulated firmware probes them now.
  const auto r = run({"node", std::string(MW_TEST_DATA) + "/../peers/redir/meshcentral_ider.cjs", "127.0.0.150", "admin",
                      kAmtPass, img.iso.string(), img.floppy.string(), "2", "6"},
                     current_env(), std::chrono::seconds(30));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(R"({"state":2})"), std::string::npos) << r.out;  // authenticated with Digest
  ASSERT_TRUE(sim.wait_for("ider 1 floppy", std::chrono::seconds(10), mark)) << sim.output << r.out;
  ASSERT_TRUE(sim.wait_for("ider 1 cdrom", std::chrono::seconds(10), mark)) << sim.output << r.out;

  std::smatch m;
  const std::string out = sim.output.substr(mark);
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"re(ider 1 cdrom label="([^"]*)" blocks=(\d+) boot=(\S+) sectors=(\d+) sha256=(\S+) bytes=(\d+))re")))
      << out;
  EXPECT_EQ(m[1], "MESHWORK_TEST");
  EXPECT_EQ(std::stoull(m[2]) * 2048, fs::file_size(img.iso));
  EXPECT_EQ(m[3], "el-torito");
  EXPECT_EQ(m[4], "4");
  EXPECT_EQ(m[5], sha256_of(img.iso));
  EXPECT_EQ(std::stoull(m[6]), fs::file_size(img.iso));

  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"re(ider 1 floppy oem="([^"]*)" label="([^"]*)" blocks=(\d+) boot=(\S+) sha256=(\S+) bytes=(\d+))re")))
      << out;
  EXPECT_EQ(m[1], "mkfs.fat");
  EXPECT_EQ(m[2], "MWFLOPPY");
  EXPECT_EQ(m[3], "2880");
  EXPECT_EQ(m[4], "yes");
  EXPECT_EQ(m[5], sha256_of(img.floppy));
  EXPECT_EQ(m[6], "1474560");
}

// Started "on next boot", the drives are not read until the computer boots: MeshCentral's
// session stays open and amtsim reads nothing.
TEST(MeshcentralIderAmtsim, OnNextBootReadsNothingBeforeABoot) {
  Images img;
  LanSim sim(MW_AMTSIM, "127.0.0.151", 1, kAmtPass, "ider-peer-2");
  ASSERT_TRUE(sim.ready) << sim.output;
  const std::size_t mark = sim.output.size();
  const auto r = run({"node", std::string(MW_TEST_DATA) + "/../peers/redir/meshcentral_ider.cjs", "127.0.0.151", "admin",
                      kAmtPass, img.iso.string(), "-", "0", "3"},
                     current_env(), std::chrono::seconds(30));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(R"({"state":2})"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(R"("stats":{"mode":1)"), std::string::npos) << r.out;  // no sector was read
  EXPECT_FALSE(sim.wait_for("ider 1", std::chrono::seconds(1), mark)) << sim.output;
}

}  // namespace
