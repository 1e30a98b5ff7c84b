// The one description of every setting the server accepts: name (MeshCentral's spelling), kind,
// default and help. The command line, config.json validation, --help and docs/configuration.md
// all come from this table, so a setting exists in all of them or in none.
#pragma once

#include <span>
#include <string_view>

namespace mw::server::config {

enum class Kind {
  kBool,          // true/false; on the command line a bare --name means true
  kInt,           // integer
  kString,        // text
  kBoolOrString,  // true/false or text (TlsOffload: true or a list of trusted proxy addresses)
  kAction,        // a command-line action with an optional value (--dbexport [file])
  kObject,        // a JSON object whose members make_settings validates (DbExpire)
};

enum class Scope { kSettings, kDomain };

enum class Support {
  kYes,          // implemented
  kAccepted,     // accepted for compatibility with MeshCentral configs, logged as having no effect
};

struct Spec {
  std::string_view name;   // MeshCentral's spelling; matched case-insensitively
  Kind kind;
  std::string_view fallback;  // default, as text ("" = none)
  std::string_view help;
  Support support = Support::kYes;
  bool secret = false;     // never printed (SessionKey, MpsPass, ...)
  bool command_line_only = false;  // actions and paths that make no sense in config.json
};

std::span<const Spec> settings_specs();
std::span<const Spec> domain_specs();
// Finds a setting of `scope` by name, case-insensitively; nullptr when unknown.
const Spec* find_spec(Scope scope, std::string_view name);

}  // namespace mw::server::config
