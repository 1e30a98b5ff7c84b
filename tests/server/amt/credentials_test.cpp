// Sealed Intel AMT credentials: stored apart from the device record, unreadable without the data
// folder's key, bound to their device, and moved out of device records imported from MeshCentral.
#include <gtest/gtest.h>

#include "../store/temp_dir.hpp"
#include "amt/credentials.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace mw::server;
using nlohmann::json;

class Credentials : public ::testing::Test {
 protected:
  store::testing::TempDir dir;
  std::unique_ptr<store::SqliteStore> db;
  std::vector<std::uint8_t> key;
  const std::string mesh = "mesh//g1";
  const std::string node = "node//n1";
  void SetUp() override {
    auto opened = store::SqliteStore::open(dir.path() / "t.db");
    ASSERT_TRUE(opened) << opened.error().message;
    db = std::move(opened.value());
    key = amt::load_or_create_credentials_key(dir.path());
    ASSERT_TRUE(db->put({{"_id", mesh}, {"type", "mesh"}, {"mtype", 1}, {"name", "g"}, {"domain", ""}}));
    ASSERT_TRUE(db->put({{"_id", node}, {"type", "node"}, {"meshid", mesh}, {"name", "pc"}, {"domain", ""}}));
  }
};

TEST_F(Credentials, SealedApartFromTheDeviceAndOpenedOnlyWithTheKey) {
  ASSERT_TRUE(amt::store_credentials(*db, node, {"admin", "P@ssw0rd-123"}, key));
  const auto rec = db->get("amtcred//n1").value().value();
  EXPECT_EQ(rec["user"], "admin");
  EXPECT_EQ(rec.dump().find("P@ssw0rd-123"), std::string::npos) << rec.dump();
  EXPECT_FALSE(db->get(node).value().value().dump().find("P@ssw0rd") != std::string::npos);
  auto c = amt::load_credentials(*db, node, key);
  ASSERT_TRUE(c && c->has_value());
  EXPECT_EQ((*c)->pass, "P@ssw0rd-123");
  // Another server's key opens nothing.
  std::vector<std::uint8_t> other(32, 1);
  auto wrong = amt::load_credentials(*db, node, other);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, "bad-credentials");
  // The key file is reused, not replaced.
  EXPECT_EQ(amt::load_or_create_credentials_key(dir.path()), key);
}

TEST_F(Credentials, ASealedPasswordCopiedToAnotherDeviceDoesNotOpen) {
  ASSERT_TRUE(db->put({{"_id", "node//n2"}, {"type", "node"}, {"meshid", mesh}, {"name", "pc2"}, {"domain", ""}}));
  ASSERT_TRUE(amt::store_credentials(*db, node, {"admin", "P@ssw0rd-123"}, key));
  auto rec = db->get("amtcred//n1").value().value();
  rec["_id"] = "amtcred//n2";
  rec["nodeid"] = "node//n2";
  ASSERT_TRUE(db->put(rec));
  EXPECT_FALSE(amt::load_credentials(*db, "node//n2", key));
}

TEST_F(Credentials, ImportedMeshCentralPasswordsMoveIntoASealedRecord) {
  ASSERT_TRUE(db->put({{"_id", node}, {"type", "node"}, {"meshid", mesh}, {"name", "pc"}, {"domain", ""},
                       {"intelamt", {{"user", "admin"}, {"pass", "Imported-pass1"}, {"state", 2}}}}));
  auto c = amt::load_credentials(*db, node, key);
  ASSERT_TRUE(c && c->has_value());
  EXPECT_EQ((*c)->pass, "Imported-pass1");
  const auto n = db->get(node).value().value();
  EXPECT_FALSE(n["intelamt"].contains("pass")) << n.dump();
  EXPECT_EQ(n["intelamt"]["user"], "admin");
  EXPECT_EQ(amt::load_credentials(*db, node, key).value()->pass, "Imported-pass1");
  EXPECT_FALSE(amt::load_credentials(*db, "node//none", key).value().has_value());
}

TEST_F(Credentials, PeopleGetClearMessagesForUnusableCredentials) {
  EXPECT_EQ(amt::check_credentials({"admin", "short"}), "The Intel AMT password must have 8 to 32 characters.");
  EXPECT_EQ(amt::check_credentials({"", "long-enough-1"}), "The Intel AMT user name must have 1 to 32 characters.");
  EXPECT_FALSE(amt::check_credentials({"admin", "P@ssw0rd-123"}));
}

}  // namespace
