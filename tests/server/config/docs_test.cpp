// docs/configuration.md is the users' reference: every setting of the table must be in it.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/schema.hpp"

namespace {

TEST(ConfigDocs, EverySettingIsDocumented) {
  std::ifstream in(std::string(MW_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in) << "docs/configuration.md is missing";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  for (const auto& spec : mw::server::config::settings_specs()) {
    EXPECT_NE(doc.find("| `" + std::string(spec.name) + "` |"), std::string::npos) << spec.name;
  }
  for (const auto& spec : mw::server::config::domain_specs()) {
    EXPECT_NE(doc.find("| `" + std::string(spec.name) + "` |"), std::string::npos) << spec.name;
  }
}

}  // namespace
