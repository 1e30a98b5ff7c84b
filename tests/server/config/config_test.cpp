// Settings loading: config.json case-insensitivity, command line precedence, warnings for unknown
// keys, clear errors with file/line/column, value conversion and typed settings.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/config.hpp"
#include "settings.hpp"

namespace {

namespace fs = std::filesystem;
using mw::server::config::ConfigError;
using nlohmann::json;

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "mwcfg-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& text) {
    const fs::path p = dir_ / "config.json";
    std::ofstream(p) << text;
    return p;
  }
  json cli(std::vector<const char*> args) {
    args.insert(args.begin(), "meshwork-server");
    return mw::server::config::parse_command_line(static_cast<int>(args.size()), args.data());
  }
  fs::path dir_;
};

bool has_warning(const mw::server::config::Config& c, const std::string& part) {
  for (const auto& w : c.warnings) {
    if (w.find(part) != std::string::npos) return true;
  }
  return false;
}

TEST_F(ConfigFile, KeysAreCaseInsensitiveAtEveryLevel) {
  const auto file = write(R"({"SETTINGS": {"Port": 8443, "reDirPort": "8080", "ExactPorts": true, "tlsoffload": "10.0.0.1, 10.0.0.2"},
    "Domains": {"": {"TITLE": "Main"}, "Customer1": {"title": "C1", "NEWACCOUNTS": 1, "dns": "c1.example.com"}}})");
  const auto cfg = mw::server::config::load(file, json::object());
  const auto s = mw::server::make_settings(cfg);
  EXPECT_EQ(s.port, 8443);
  EXPECT_EQ(s.redir_port, 8080);
  EXPECT_TRUE(s.exact_ports);
  EXPECT_TRUE(s.tls_offload);
  EXPECT_EQ(s.tls_offload_trusted, (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  ASSERT_EQ(s.domains.size(), 2u);
  EXPECT_EQ(s.domains[0].id, "");
  EXPECT_EQ(s.domains[0].title, "Main");
  EXPECT_EQ(s.domains[1].id, "customer1");
  EXPECT_EQ(s.domains[1].title, "C1");
  EXPECT_TRUE(s.domains[1].new_accounts);
  EXPECT_EQ(s.domains[1].dns, "c1.example.com");
  EXPECT_TRUE(cfg.warnings.empty()) << cfg.warnings.front();
}

TEST_F(ConfigFile, CommandLineWins) {
  const auto file = write(R"({"settings": {"port": 8443, "cert": "from.file"}})");
  const auto cfg = mw::server::config::load(file, cli({"--PORT", "9443", "--cert=from.cli", "--exactports"}));
  const auto s = mw::server::make_settings(cfg);
  EXPECT_EQ(s.port, 9443);
  EXPECT_EQ(s.cert, "from.cli");
  EXPECT_TRUE(s.exact_ports);
}

TEST_F(ConfigFile, UnknownAndCommentedKeysAreWarnedNotIgnoredSilently) {
  const auto file = write(R"({"settings": {"port": 1, "portt": 2, "_redirport": 3, "SelfUpdate": true},
    "domains": {"": {"colour": "red"}}, "Peers": {"ServerId": "x", "Servers": {"X": {"URL": "wss://h/"}}, "Colour": 2}, "smtp": {"Host": "x", "From": "a@b.c", "Colour": 1}, "whatever": 1})");
  const auto cfg = mw::server::config::load(file, json::object());
  EXPECT_TRUE(has_warning(cfg, "settings.portt is not a Meshwork setting"));
  EXPECT_TRUE(has_warning(cfg, "settings._redirport is commented out"));
  EXPECT_TRUE(has_warning(cfg, "SelfUpdate) is accepted for MeshCentral compatibility but has no effect"));
  EXPECT_TRUE(has_warning(cfg, "domains.\"\".colour is not a Meshwork setting"));
  EXPECT_TRUE(has_warning(cfg, "whatever is not a Meshwork section"));
  const auto s = mw::server::make_settings(cfg);
  EXPECT_EQ(s.redir_port, 80);  // the commented value was not used
  // smtp is used (its keys case-insensitive too); its own unknown keys are warned about.
  ASSERT_TRUE(s.smtp.has_value());
  EXPECT_EQ(s.smtp->host, "x");
  EXPECT_EQ(s.smtp->from, "a@b.c");
  EXPECT_NE(std::find_if(s.warnings.begin(), s.warnings.end(), [](const std::string& w) { return w.find("smtp.colour is not a setting") != std::string::npos; }),
            s.warnings.end());
  // So is peers.
  ASSERT_TRUE(s.peers.has_value());
  EXPECT_EQ(s.peers->server_id, "x");
  EXPECT_NE(std::find_if(s.warnings.begin(), s.warnings.end(), [](const std::string& w) { return w.find("peers.colour is not a setting") != std::string::npos; }),
            s.warnings.end());
}

TEST_F(ConfigFile, SyntaxErrorNamesFileLineAndColumn) {
  const auto file = write("{\n  \"settings\": {\n    \"port\": 443,\n    \"cert\" \"x\"\n  }\n}\n");
  try {
    mw::server::config::load(file, json::object());
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    // The column is that of the last character of the offending token (nlohmann stops there).
    EXPECT_NE(msg.find(file.string() + ":4:14:"), std::string::npos) << msg;
    EXPECT_NE(msg.find("expected ':'"), std::string::npos) << msg;
  }
}

TEST_F(ConfigFile, WrongTypesAreClearErrors) {
  EXPECT_THROW(mw::server::config::load(write(R"({"settings": {"port": "abc"}})"), json::object()), ConfigError);
  EXPECT_THROW(mw::server::config::load(write(R"({"settings": {"exactports": "maybe"}})"), json::object()), ConfigError);
  EXPECT_THROW(mw::server::config::load(write(R"({"settings": []})"), json::object()), ConfigError);
  EXPECT_THROW(mw::server::config::load(write(R"([1,2])"), json::object()), ConfigError);
  EXPECT_THROW(mw::server::config::load(write(R"({"domains": {"a/b": {}}})"), json::object()), ConfigError);
  try {
    mw::server::config::load(write(R"({"settings": {"port": "abc"}})"), json::object());
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("settings.port must be a whole number"), std::string::npos) << e.what();
  }
  EXPECT_THROW(mw::server::make_settings(mw::server::config::load(write(R"({"settings": {"port": 70000}})"), json::object())),
               ConfigError);
  EXPECT_THROW(mw::server::make_settings(mw::server::config::load(write(R"({"settings": {"lanonly": true, "wanonly": true}})"), json::object())),
               ConfigError);
}

TEST_F(ConfigFile, MissingFileMeansDefaults) {
  const auto cfg = mw::server::config::load(dir_ / "absent.json", json::object());
  const auto s = mw::server::make_settings(cfg);
  EXPECT_EQ(s.port, 443);
  EXPECT_EQ(s.redir_port, 80);
  EXPECT_EQ(s.mps_port, 4433);
  EXPECT_EQ(s.session_time_minutes, 60);
  EXPECT_FALSE(s.tls_offload);
  ASSERT_EQ(s.domains.size(), 1u);
  EXPECT_EQ(s.domains[0].title, "Meshwork");
  EXPECT_EQ(s.mode(), "hybrid");
}

TEST_F(ConfigFile, CommandLineParsing) {
  auto c = cli({"--port", "8443", "--lanonly", "--tlsoffload", "127.0.0.1", "--exactports", "false", "--help"});
  EXPECT_EQ(c["port"], 8443);
  EXPECT_EQ(c["lanonly"], true);
  EXPECT_EQ(c["tlsoffload"], "127.0.0.1");
  EXPECT_EQ(c["exactports"], false);
  EXPECT_TRUE(c.contains("@help"));
  EXPECT_THROW(cli({"--nosuchswitch"}), ConfigError);
  EXPECT_THROW(cli({"--port"}), ConfigError);
  EXPECT_THROW(cli({"--port", "x"}), ConfigError);
  EXPECT_THROW(cli({"port"}), ConfigError);
}

TEST_F(ConfigFile, DomainsInheritServerFramingAndTokens) {
  const auto file = write(R"({"settings": {"allowframing": true}, "domains": {"a": {}, "b": {"allowframing": false}}})");
  const auto s = mw::server::make_settings(mw::server::config::load(file, json::object()));
  ASSERT_EQ(s.domains.size(), 3u);
  EXPECT_TRUE(s.domains[0].allow_framing);
  EXPECT_TRUE(s.domains[1].allow_framing);
  EXPECT_FALSE(s.domains[2].allow_framing);
}

TEST_F(ConfigFile, DbExpireInSecondsBecomesWholeDays) {
  auto s = mw::server::make_settings(mw::server::config::load(write(R"({"settings": {"DbExpire": {"Events": 90000, "powerevents": 86400}}})"), json::object()));
  EXPECT_EQ(s.event_retention_days, 2);
  EXPECT_EQ(s.power_retention_days, 1);
  s = mw::server::make_settings(mw::server::config::load(dir_ / "absent.json", json::object()));
  EXPECT_EQ(s.event_retention_days, 20);
  EXPECT_EQ(s.power_retention_days, 10);
  EXPECT_THROW(mw::server::make_settings(mw::server::config::load(write(R"({"settings": {"dbexpire": {"events": "x"}}})"), json::object())), ConfigError);
  EXPECT_THROW(mw::server::make_settings(mw::server::config::load(write(R"({"settings": {"dbexpire": {"evnts": 100}}})"), json::object())), ConfigError);
  EXPECT_THROW(mw::server::config::load(write(R"({"settings": {"dbexpire": 5}})"), json::object()), ConfigError);
  const auto c = cli({"--dbexpire", R"({"Events": 172800})"});
  EXPECT_EQ(c["dbexpire"]["events"], 172800);
}

TEST(ConfigHelp, ListsEverySetting) {
  const std::string help = mw::server::config::help_text();
  for (const auto& spec : mw::server::config::settings_specs()) {
    std::string name(spec.name);
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_NE(help.find("--" + name), std::string::npos) << name;
  }
}

}  // namespace
