// Test fixture for the accounts actions: a real SQLite store in a temporary folder, an
// administrator, and helpers to run control actions as a user and read the answer.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "accounts/actions.hpp"
#include "accounts/rights.hpp"
#include "store/sqlite_store.hpp"
#include "../store/temp_dir.hpp"

namespace mw::server::accounts::testing {

struct AccountsFixture : ::testing::Test {
  store::testing::TempDir dir;
  std::unique_ptr<store::SqliteStore> db;
  ActionEnv env;
  std::string admin = "user//admin";

  void SetUp() override {
    auto opened = store::SqliteStore::open(dir / "test.db");
    ASSERT_TRUE(opened) << opened.error().message;
    db = std::move(opened.value());
    env.hash_iterations = 1000;  // the cost is not under test here
    make_user("admin", "Admin-pass1");
  }

  Json make_user(const std::string& name, const std::string& pass = "User-pass123") {
    NewAccount a;
    a.name = name;
    a.password = pass;
    auto r = create_account(*db, env, a, nullptr, nullptr);
    EXPECT_TRUE(r) << r.error().message;
    return r ? r.value() : Json();
  }

  Outcome run(const std::string& user, Json cmd) {
    if (!cmd.contains("responseid")) cmd["responseid"] = "t";
    Outcome out = handle_action(*db, env, user, cmd);
    // Answers built as text must be valid JSON; tests read them with the others.
    for (const auto& t : out.text_replies) {
      Json j = Json::parse(t, nullptr, false);
      EXPECT_FALSE(j.is_discarded()) << t;
      out.replies.push_back(std::move(j));
    }
    return out;
  }
  // The "result" of the first reply ("" when there is none or it has no result).
  std::string result(const std::string& user, Json cmd) {
    auto out = run(user, std::move(cmd));
    if (out.replies.empty()) return "";
    return out.replies.front().value("result", "");
  }
  Json get(const std::string& id) {
    auto r = db->get(id);
    return r && r.value() ? *r.value() : Json();
  }
  std::string create_mesh(const std::string& owner, const std::string& name) {
    auto out = run(owner, {{"action", "createmesh"}, {"meshname", name}, {"meshtype", 2}});
    EXPECT_FALSE(out.replies.empty());
    return out.replies.empty() ? "" : out.replies.front().value("meshid", "");
  }
  std::string add_node(const std::string& meshid, const std::string& name) {
    const std::string id = "node//" + name + "id";
    EXPECT_TRUE(db->put({{"_id", id}, {"type", "node"}, {"meshid", meshid}, {"name", name}, {"domain", ""}, {"icon", 1}}));
    return id;
  }
};

}  // namespace mw::server::accounts::testing
