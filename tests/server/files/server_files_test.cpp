// server/src/files without sockets: where each storage lives (MeshCentral's layout), who may open
// which, and with what quota. The WebSocket session is tested end to end in
// tests/integration/files_test.cpp.
#include <gtest/gtest.h>

#include "../accounts/accounts_fixture.hpp"
#include "agents/mesh_relay.hpp"
#include "files/server_files.hpp"

namespace mw::server::files {
namespace {

namespace fs = std::filesystem;
using accounts::testing::AccountsFixture;
using Json = nlohmann::json;

TEST(ServerFiles, FoldersAreLaidOutAsMeshCentralsFiles) {
  const fs::path f = "/srv/files";
  EXPECT_EQ(store_folder(f, "user//bob"), f / "domain/user-bob");
  EXPECT_EQ(store_folder(f, "mesh//Ab@c$d"), f / "domain/mesh-Ab@c$d");
  EXPECT_EQ(store_folder(f, "user/acme/eve"), f / "domain-acme/user-eve");
  for (const std::string& bad : std::vector<std::string>{"", "user", "user/", "user//", "user//..", "user//.", "user//a/b", "node//x", "mesh/../x",
                                "user/a/b/c", "user//a\\b", std::string("user//a\nb"), "user//" + std::string(256, 'a')}) {
    EXPECT_FALSE(store_folder(f, bad)) << bad;
  }
}

class ServerFilesAccess : public AccountsFixture {
 protected:
  void SetUp() override {
    AccountsFixture::SetUp();
    make_user("bob");
    mesh = create_mesh(admin, "Office");
    domain.user_quota_kb = 100;
    domain.mesh_quota_kb = 50;
  }
  FileStore check(const std::string& user, const std::string& store) { return check_store(*db, domain, "/f", user, store); }
  void set_bob(std::uint32_t siteadmin, std::optional<std::uint32_t> group_rights) {
    Json bob = get("user//bob");
    bob["siteadmin"] = siteadmin;
    if (group_rights) bob["links"][mesh] = {{"rights", *group_rights}};
    else bob.erase("links");
    ASSERT_TRUE(db->put(bob));
  }
  DomainSettings domain;
  std::string mesh;
};

TEST_F(ServerFilesAccess, OwnFilesNeedTheFileAccessSiteRight) {
  set_bob(0, std::nullopt);
  EXPECT_NE(check("user//bob", "user//bob").error.find("Access denied"), std::string::npos);
  set_bob(accounts::site_right::kFileAccess, std::nullopt);
  const FileStore own = check("user//bob", "user//bob");
  EXPECT_EQ(own.error, "");
  EXPECT_EQ(own.name, "My Files");
  EXPECT_EQ(own.folder, fs::path("/f/domain/user-bob"));
  EXPECT_EQ(own.quota, 100u * 1024);
  // Nobody opens another account's files, not even a full administrator.
  EXPECT_NE(check("user//bob", "user//admin").error, "");
  EXPECT_NE(check(admin, "user//bob").error, "");
  // A full administrator's own files have no limit.
  const FileStore admins = check(admin, admin);
  EXPECT_EQ(admins.error, "");
  EXPECT_EQ(admins.quota, 0u);
}

TEST_F(ServerFilesAccess, GroupFilesNeedTheServerFilesRightOnTheGroup) {
  set_bob(0, std::nullopt);
  EXPECT_EQ(check("user//bob", mesh).error, "No such storage.");  // a group bob cannot see
  set_bob(0, accounts::mesh_right::kRemoteControl);
  EXPECT_NE(check("user//bob", mesh).error.find("\"server files\" right"), std::string::npos);
  set_bob(0, accounts::mesh_right::kServerFiles);
  const FileStore group = check("user//bob", mesh);
  EXPECT_EQ(group.error, "");
  EXPECT_EQ(group.name, "Office");
  EXPECT_EQ(group.folder, fs::path("/f/domain/mesh-" + accounts::value_of(mesh)));
  EXPECT_EQ(group.quota, 50u * 1024);
  // A deleted group has no files to open.
  Json m = get(mesh);
  m["deleted"] = 1700000000000LL;
  ASSERT_TRUE(db->put(m));
  EXPECT_EQ(check("user//bob", mesh).error, "No such storage.");
}

TEST_F(ServerFilesAccess, QuotaMinusOneTurnsFilesOffAndOtherDomainsAreNotReached) {
  set_bob(accounts::site_right::kFileAccess, accounts::mesh_right::kServerFiles);
  domain.mesh_quota_kb = -1;
  EXPECT_EQ(check("user//bob", "user//bob").error, "");
  EXPECT_NE(check("user//bob", mesh).error.find("turned off"), std::string::npos);
  domain.user_quota_kb = -1;
  EXPECT_NE(check("user//bob", "user//bob").error.find("turned off"), std::string::npos);
  domain.user_quota_kb = domain.mesh_quota_kb = 0;
  const FileStore unlimited = check("user//bob", mesh);
  EXPECT_EQ(unlimited.error, "");
  EXPECT_EQ(unlimited.quota, 0u);
  // The store id names its domain; this session's domain is "".
  EXPECT_EQ(check("user//bob", "user/acme/bob").error, "No such storage.");
  EXPECT_EQ(check("user//bob", "user//../bob").error, "No such storage.");
  EXPECT_NE(check("user//nobody", "user//nobody").error, "");
}

TEST(ServerFilesSlots, SessionsWithoutAgentsCountWithRelays) {
  agents::RelayHub hub;
  for (std::size_t i = 0; i < agents::RelayHub::kMaxPerUser; ++i) ASSERT_EQ(hub.acquire("user//a"), "");
  EXPECT_NE(hub.acquire("user//a"), "");
  EXPECT_EQ(hub.open(), agents::RelayHub::kMaxPerUser);
  hub.release("user//a");
  EXPECT_EQ(hub.acquire("user//a"), "");
  EXPECT_EQ(hub.acquire("user//b"), "");
}

}  // namespace
}  // namespace mw::server::files
