// Files on the server (My Files) through a real meshwork-server on loopback: an account's own
// storage with the domain's UserQuota (a listing, a folder, an upload with progress, the same
// bytes downloaded back, an upload past the quota refused, "..": the jail's root), a device
// group's storage, where both live on disk (MeshCentral's layout), and everyone who may not
// open them: no site right, no group right, another account's files, a malformed id, no login.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>

#include "files_session.hpp"
#include "fixture.hpp"
#include "mw/util/hex.hpp"
#include "mw/util/sha256.hpp"

namespace {

using namespace mw::test;
using nlohmann::json;
namespace fs = std::filesystem;

const std::string kGroup = "mesh//FilesGroup0000000000000000000000000000000000000000000000000000";

class ServerFiles : public ::testing::Test {
 protected:
  Fixture f;
  std::unique_ptr<ServerProcess> server;
  int port = 0;

  void SetUp() override {
    f.write_config(R"({"domains": {"": {"UserQuota": 1024}}})");  // 1 MiB per account
    f.create_account("admin", "Admin-pass1");
    f.create_account("bob", "Bob-pass1234");
    f.create_account("carol", "Carol-pass1234");
    f.set_site_rights("bob", 8);  // server files
    f.add_group(kGroup, 2, "Office", {{"admin", 0xFFFFFFFFu}, {"bob", 32}, {"carol", 8}});
    server = std::make_unique<ServerProcess>(f.args());
    ASSERT_TRUE(server->running()) << server->output();
    port = server->https_port();
  }
  ClientOptions as(const std::string& user, const std::string& pass) const { return f.as(user, pass); }
  fs::path files() const { return f.dir.path() / "files"; }
};

std::string url_encode(const std::string& s) {
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02X", c);
      out += b;
    }
  }
  return out;
}

// A server files session.
struct Storage : FilesSession {
  Storage(int port, const std::string& store, const ClientOptions& who)
      : FilesSession(port, "/serverfiles.ashx?store=" + url_encode(store), who) {}
};

std::string varied(std::size_t n, std::uint32_t seed) {
  std::string s(n, '\0');
  for (auto& c : s) {
    seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
    c = static_cast<char>(seed);
  }
  return s;
}

std::string file_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(ServerFiles, AnAccountKeepsItsFilesWithinItsQuota) {
  Storage s(port, "user//bob", as("bob", "Bob-pass1234"));
  ASSERT_EQ(s.opening.value("state", ""), "ready") << s.opening.dump();
  EXPECT_EQ(s.opening.value("name", ""), "My Files");
  EXPECT_EQ(s.root, (json{{"op", "root"}, {"path", "/"}, {"used", 0}, {"quota", 1048576}})) << s.root.dump();
  const fs::path home = files() / "domain" / "user-bob";
  EXPECT_TRUE(fs::is_directory(home));

  EXPECT_EQ(s.ask({{"op", "mkdir"}, {"path", "/reports"}}).value("op", ""), "ok");
  const std::string bytes = varied(700 * 1000, 99);
  const auto [done, progress] = s.upload("/reports/q3.bin", bytes);
  EXPECT_EQ(done.value("op", ""), "done") << done.dump();
  EXPECT_EQ(done.value("used", 0u), bytes.size());
  EXPECT_EQ(progress, 0);  // under 1 MiB: no progress answers
  EXPECT_EQ(file_text(home / "reports" / "q3.bin"), bytes);

  const json ls = s.ask({{"op", "ls"}, {"path", "/reports"}});
  ASSERT_EQ(ls.value("op", ""), "ls") << ls.dump();
  EXPECT_EQ(ls.value("path", ""), "/reports");
  ASSERT_EQ(ls["entries"].size(), 1u);
  EXPECT_EQ(ls["entries"][0].value("name", ""), "q3.bin");
  EXPECT_EQ(ls["entries"][0].value("size", 0u), bytes.size());
  EXPECT_EQ(ls.value("used", 0u), bytes.size());

  const json head = s.ask({{"op", "download"}, {"path", "/reports/q3.bin"}});
  ASSERT_EQ(head.value("op", ""), "download") << head.dump();
  EXPECT_EQ(s.next().value("op", ""), "done");
  EXPECT_EQ(mw::util::hex_encode(mw::util::sha256(s.binary)), mw::util::hex_encode(mw::util::sha256(bytes)));

  // 700 kB of 1 MiB used: 400 kB more does not fit, and nothing of it is written.
  const json refused = s.ask({{"op", "upload"}, {"path", "/more.bin"}, {"size", 400 * 1000}});
  EXPECT_EQ(refused.value("op", ""), "error");
  EXPECT_NE(refused.value("reason", "").find("Not enough space"), std::string::npos) << refused.dump();
  EXPECT_FALSE(fs::exists(home / "more.bin.mwpart"));

  // The jail: ".." stops at its root, and no answer names the server's folders.
  EXPECT_EQ(s.ask({{"op", "ls"}, {"path", "/../../.."}}).value("path", ""), "/");
  const json bad = s.ask({{"op", "download"}, {"path", "/nothing"}});
  EXPECT_EQ(bad.value("op", ""), "error");
  EXPECT_EQ(bad.dump().find(files().string()), std::string::npos) << bad.dump();
  EXPECT_EQ(s.ask({{"op", "rm"}, {"path", "/reports"}, {"recursive", true}}).value("op", ""), "ok");
  EXPECT_FALSE(fs::exists(home / "reports"));
}

TEST_F(ServerFiles, AGroupsFilesAreSharedByItsMembersWithTheRight) {
  {
    Storage s(port, kGroup, as("bob", "Bob-pass1234"));
    ASSERT_EQ(s.opening.value("state", ""), "ready") << s.opening.dump();
    EXPECT_EQ(s.opening.value("name", ""), "Office");
    EXPECT_EQ(s.root, (json{{"op", "root"}, {"path", "/"}}));  // no MeshQuota: no limit
    EXPECT_EQ(s.upload("/setup.sh", "#!/bin/sh\necho hi\n").first.value("op", ""), "done");
  }
  const fs::path folder = files() / "domain" / ("mesh-" + kGroup.substr(6));
  EXPECT_EQ(file_text(folder / "setup.sh"), "#!/bin/sh\necho hi\n");
  // The administrator of the group sees what bob put there.
  Storage admin(port, kGroup, as("admin", "Admin-pass1"));
  const json ls = admin.ask({{"op", "ls"}, {"path", "/"}});
  ASSERT_EQ(ls["entries"].size(), 1u);
  EXPECT_EQ(ls["entries"][0].value("name", ""), "setup.sh");
}

TEST_F(ServerFiles, OnlyThoseWithTheRightOpenAStorage) {
  const auto closed_with = [&](const std::string& store, const ClientOptions& who) {
    Storage s(port, store, who);
    EXPECT_EQ(s.opening.value("state", ""), "closed") << store;
    return s.opening.value("reason", "");
  };
  EXPECT_NE(closed_with("user//carol", as("carol", "Carol-pass1234")).find("Access denied"), std::string::npos);
  EXPECT_NE(closed_with(kGroup, as("carol", "Carol-pass1234")).find("\"server files\" right"), std::string::npos);
  EXPECT_NE(closed_with("user//admin", as("bob", "Bob-pass1234")).find("Access denied"), std::string::npos);
  EXPECT_EQ(closed_with("user//../bob", as("bob", "Bob-pass1234")), "No such storage.");
  EXPECT_EQ(closed_with("mesh//NoSuchGroup", as("bob", "Bob-pass1234")), "No such storage.");
  EXPECT_NE(closed_with("user//bob", as("bob", "wrong-password")), "");
  EXPECT_NE(closed_with("user//bob", f.verifying()), "");  // no login at all
  EXPECT_FALSE(fs::exists(files() / "domain" / "user-carol"));
  EXPECT_FALSE(fs::exists(files() / "domain" / "user-admin"));
}

}  // namespace
