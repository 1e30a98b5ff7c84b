// Loading the server configuration: config.json from the data folder (keys case-insensitive at
// every level, as MeshCentral lower-cases them) merged with command-line switches (--name value;
// the command line wins), validated against the settings table in schema.hpp. Unknown keys become
// warnings, never silently ignored; a malformed file is a ConfigError naming file, line and column.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/schema.hpp"

namespace mw::server::config {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Validated setting values, keyed by lower-cased setting name; absent = default.
class Values {
 public:
  Values() = default;
  explicit Values(Scope scope, nlohmann::json values) : scope_(scope), values_(std::move(values)) {}
  bool has(std::string_view name) const;
  bool get_bool(std::string_view name) const;
  long long get_int(std::string_view name) const;
  std::string get_string(std::string_view name) const;
  // The value as given (bool or string for kBoolOrString); null when absent.
  nlohmann::json get(std::string_view name) const;
  const nlohmann::json& raw() const { return values_; }

 private:
  Scope scope_ = Scope::kSettings;
  nlohmann::json values_ = nlohmann::json::object();
};

struct Config {
  Values settings;
  std::map<std::string, Values> domains;  // by domain id ("" = default domain), lower-cased
  nlohmann::json sections;                // peers, smtp, letsencrypt (lower-cased keys), as given
  std::vector<std::string> actions;       // command-line actions given (dbexport, ...), in order
  std::map<std::string, std::string> action_values;  // their optional values
  std::vector<std::string> warnings;      // for the log at start
  std::filesystem::path file;             // config.json that was read ("" when none)
};

// Parses argv (MeshCentral's style: --name value, --name=value, a bare --flag means true).
// Returns lower-cased names with values converted per the schema; throws ConfigError for unknown
// switches and malformed values. --help and --version come back as actions.
nlohmann::json parse_command_line(int argc, const char* const* argv);

// Reads `file` when it exists, merges `command_line` over its "settings", validates everything.
Config load(const std::filesystem::path& file, const nlohmann::json& command_line);

// Parses JSON text; throws ConfigError "<origin>:<line>:<column>: <what>" on a syntax error.
nlohmann::json parse_json_text(const std::string& text, const std::string& origin);

// Lower-cases every object key recursively; keys that collide after lower-casing are reported.
nlohmann::json lower_keys(const nlohmann::json& j, const std::string& path, std::vector<std::string>& warnings);

// The --help text, generated from the settings table.
std::string help_text();

}  // namespace mw::server::config
