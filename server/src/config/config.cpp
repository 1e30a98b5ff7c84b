// config.json + command line -> validated values. Conversion rules per Kind live in one function
// (convert) so the file and the command line accept exactly the same spellings.
#include "config/config.hpp"
#include "text.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>

namespace mw::server::config {
using nlohmann::json;
namespace {



// Actions exist only on the command line: --name [value].
struct ActionSpec {
  std::string_view name;
  std::string_view help;
};
constexpr ActionSpec kActions[] = {
    {"help", "Print this list of switches"},
    {"version", "Print the version"},
    {"dbexport", "Write every record to FILE (default <datapath>/meshwork.db.json) in MeshCentral's format, then exit"},
    {"dbimport", "Replace the database with FILE (default <datapath>/meshwork.db.json) after validating it, then exit"},
    {"force", "With --dbimport: import into a database that already has records"},
    {"showusers", "Print the user records, then exit"},
    {"showmeshes", "Print the device group records, then exit"},
    {"shownodes", "Print the device records, then exit"},
    {"showevents", "Print the events, then exit"},
    {"showpower", "Print the power events, then exit"},
    {"showall", "Print every record, then exit"},
    {"logintokenkey", "Print the login token key (hex), creating it if there is none, then exit"},
    {"logintoken", "Print a login token for USERID (e.g. user//admin), valid 60 minutes, then exit"},
    {"createaccount", "Create the account USER (with --pass, optional --domain, --email, --name), then exit; the first account of a domain is its administrator"},
    {"resetaccount", "Set a new password (--pass) for USER and unlock the account, then exit"},
    {"adminaccount", "Make USER a full site administrator, then exit"},
    {"agentsettings", "Print the agent settings file for device group GROUPID (optional --domain), then exit"},
    {"pass", "The password for --createaccount / --resetaccount"},
    {"domain", "The domain of --createaccount / --resetaccount / --adminaccount / --agentsettings (default: the default domain)"},
    {"email", "The email address of --createaccount"},
    {"name", "The real name of --createaccount"},
};

// Actions that take no value (a following argument is never consumed as theirs).
bool action_is_flag(std::string_view name) {
  static constexpr std::string_view kValued[] = {"dbexport", "dbimport", "logintoken", "createaccount", "resetaccount",
                                                 "adminaccount", "pass", "domain", "email", "name", "agentsettings"};
  for (auto v : kValued) {
    if (name == v) return false;
  }
  return true;
}

const ActionSpec* find_action(std::string_view name) {
  for (const auto& a : kActions) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

json lower_keys_simple(const json& j) {
  json out = json::object();
  for (const auto& [k, v] : j.items()) out[ascii_lower(k)] = v;
  return out;
}

[[noreturn]] void type_error(const std::string& where, const json& v, const char* expected) {
  throw ConfigError(where + " must be " + expected + " (got " +
                    (v.is_string() ? "\"" + v.get<std::string>() + "\"" : v.dump()) + ")");
}

// Converts a value given for `spec` (from JSON or from a command-line string) to its canonical
// JSON type. Throws ConfigError naming `where` when it does not fit.
json convert(const Spec& spec, const json& v, const std::string& where) {
  auto fail = [&](const char* expected) { type_error(where, v, expected); };
  auto as_bool = [&](const json& x, bool& out) {
    if (x.is_boolean()) return out = x.get<bool>(), true;
    if (x.is_number_integer() && (x.get<long long>() == 0 || x.get<long long>() == 1)) return out = x.get<long long>() == 1, true;
    if (x.is_string()) {
      const std::string s = ascii_lower(x.get<std::string>());
      if (s == "true" || s == "1" || s == "yes" || s == "on") return out = true, true;
      if (s == "false" || s == "0" || s == "no" || s == "off") return out = false, true;
    }
    return false;
  };
  switch (spec.kind) {
    case Kind::kBool: {
      bool b = false;
      if (!as_bool(v, b)) fail("true or false");
      return b;
    }
    case Kind::kInt: {
      if (v.is_number_integer()) return v.get<long long>();
      if (v.is_string()) {
        const std::string s = v.get<std::string>();
        if (!s.empty() && s.size() < 19 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); })) {
          return std::stoll(s);
        }
      }
      type_error(where, v, "a whole number");
    }
    case Kind::kString:
    case Kind::kAction:
      if (v.is_string()) return v;
      if (v.is_number()) return v.dump();
      type_error(where, v, "text");
    case Kind::kObject:
      if (v.is_object()) return v;
      if (v.is_string()) {
        // On the command line an object is given as JSON text: --dbexpire '{"events":86400}'.
        const json parsed = json::parse(v.get<std::string>(), nullptr, false);
        if (parsed.is_object()) return lower_keys_simple(parsed);
      }
      type_error(where, v, "an object");
    case Kind::kBoolOrString: {
      bool b = false;
      if (as_bool(v, b)) return b;
      if (v.is_string()) return v;
      if (v.is_array() && std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_string(); })) {
        std::string joined;
        for (const auto& e : v) joined += (joined.empty() ? "" : ",") + e.get<std::string>();
        return joined;
      }
      type_error(where, v, "true, false or text");
    }
  }
  type_error(where, v, "valid");
}

void line_col(const std::string& text, std::size_t byte, std::size_t& line, std::size_t& col) {
  line = 1;
  col = 1;
  for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
}

// Validates one section (settings or one domain) into canonical values, collecting warnings.
json validate_section(Scope scope, const json& section, const std::string& where, std::vector<std::string>& warnings) {
  json out = json::object();
  if (!section.is_object()) throw ConfigError(where + " must be an object");
  for (const auto& [key, value] : section.items()) {
    const std::string path = where + "." + key;
    if (!key.empty() && key[0] == '_') {
      warnings.push_back(path + " is commented out (leading '_'); ignored");
      continue;
    }
    const Spec* spec = find_spec(scope, key);
    if (!spec) {
      warnings.push_back(path + " is not a Meshwork setting; ignored");
      continue;
    }
    if (spec->command_line_only) {
      warnings.push_back(path + " can only be given on the command line; ignored");
      continue;
    }
    if (spec->support == Support::kAccepted) {
      warnings.push_back(path + " (" + std::string(spec->name) + ") is accepted for MeshCentral compatibility but has no effect in Meshwork");
    }
    out[ascii_lower(spec->name)] = convert(*spec, value, path);
  }
  return out;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw ConfigError(p.string() + ": cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

bool Values::has(std::string_view name) const { return values_.contains(ascii_lower(name)); }

json Values::get(std::string_view name) const {
  auto it = values_.find(ascii_lower(name));
  return it == values_.end() ? json() : *it;
}

bool Values::get_bool(std::string_view name) const {
  const json v = get(name);
  if (v.is_boolean()) return v.get<bool>();
  const Spec* s = find_spec(scope_, name);
  return s && s->fallback == "true";
}

long long Values::get_int(std::string_view name) const {
  const json v = get(name);
  if (v.is_number_integer()) return v.get<long long>();
  const Spec* s = find_spec(scope_, name);
  return s && !s->fallback.empty() ? std::stoll(std::string(s->fallback)) : 0;
}

std::string Values::get_string(std::string_view name) const {
  const json v = get(name);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  const Spec* s = find_spec(scope_, name);
  return s ? std::string(s->fallback) : std::string();
}

json parse_json_text(const std::string& text, const std::string& origin) {
  try {
    return json::parse(text, nullptr, true, /*ignore_comments=*/false);
  } catch (const json::parse_error& e) {
    std::size_t line = 0, col = 0;
    line_col(text, e.byte > 0 ? e.byte - 1 : 0, line, col);
    std::string what = e.what();
    // nlohmann prefixes "[json.exception.parse_error.101] parse error at line L, column C: "; keep the reason.
    const auto colon = what.find(": ");
    if (colon != std::string::npos) what = what.substr(colon + 2);
    throw ConfigError(origin + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + what);
  }
}

json lower_keys(const json& j, const std::string& path, std::vector<std::string>& warnings) {
  if (j.is_array()) {
    json out = json::array();
    for (const auto& e : j) out.push_back(lower_keys(e, path, warnings));
    return out;
  }
  if (!j.is_object()) return j;
  json out = json::object();
  for (const auto& [key, value] : j.items()) {
    const std::string k = ascii_lower(key);
    if (out.contains(k)) warnings.push_back(path + "." + key + " repeats a key that differs only in case; the later one wins");
    out[k] = lower_keys(value, path + "." + key, warnings);
  }
  return out;
}

json parse_command_line(int argc, const char* const* argv) {
  json out = json::object();
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      throw ConfigError("unexpected argument \"" + arg + "\" (switches start with --; see --help)");
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    name = ascii_lower(name);
    const bool next_is_value = i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0;
    if (const ActionSpec* a = find_action(name)) {
      if (!value && next_is_value && !action_is_flag(name)) value = argv[++i];
      out["@" + std::string(a->name)] = value ? json(*value) : json(true);
      continue;
    }
    const Spec* spec = find_spec(Scope::kSettings, name);
    if (!spec) throw ConfigError("unknown switch --" + name + " (see --help)");
    if (!value) {
      if (spec->kind == Kind::kBool || spec->kind == Kind::kBoolOrString) {
        // A bare flag means true; a following true/false/0/1 is its value.
        if (next_is_value) {
          const std::string n = ascii_lower(argv[i + 1]);
          if (n == "true" || n == "false" || n == "0" || n == "1" || spec->kind == Kind::kBoolOrString) value = argv[++i];
        }
        if (!value) value = "true";
      } else if (next_is_value) {
        value = argv[++i];
      } else {
        throw ConfigError("--" + name + " needs a value");
      }
    }
    out[ascii_lower(spec->name)] = convert(*spec, json(*value), "--" + name);
  }
  return out;
}

Config load(const std::filesystem::path& file, const json& command_line) {
  Config cfg;
  json root = json::object();
  if (!file.empty() && std::filesystem::exists(file)) {
    cfg.file = file;
    const json parsed = parse_json_text(read_file(file), file.string());
    if (!parsed.is_object()) throw ConfigError(file.string() + ": the top level must be an object");
    root = lower_keys(parsed, "config.json", cfg.warnings);
  }
  json settings_in = root.contains("settings") ? root["settings"] : json::object();
  json settings = validate_section(Scope::kSettings, settings_in, "config.json settings", cfg.warnings);
  for (const auto& [key, value] : command_line.items()) {
    if (!key.empty() && key[0] == '@') {
      cfg.actions.push_back(key.substr(1));
      if (value.is_string()) cfg.action_values[key.substr(1)] = value.get<std::string>();
      continue;
    }
    settings[key] = value;  // command line wins
  }
  cfg.settings = Values(Scope::kSettings, settings);

  if (root.contains("domains")) {
    const json& domains = root["domains"];
    if (!domains.is_object()) throw ConfigError("config.json domains must be an object");
    for (const auto& [id, section] : domains.items()) {
      if (!id.empty() && id[0] == '_') {
        cfg.warnings.push_back("config.json domains." + id + " is commented out (leading '_'); ignored");
        continue;
      }
      if (id.find_first_of("/\\?#%. ") != std::string::npos) {
        throw ConfigError("config.json domains.\"" + id + "\": a domain id may only use letters, digits, '-' and '_'");
      }
      cfg.domains[id] = Values(Scope::kDomain, validate_section(Scope::kDomain, section, "config.json domains." + (id.empty() ? std::string("\"\"") : id), cfg.warnings));
    }
  }
  if (!cfg.domains.count("")) cfg.domains[""] = Values(Scope::kDomain, json::object());

  for (const auto& [key, value] : root.items()) {
    if (key == "settings" || key == "domains") continue;
    if (!key.empty() && key[0] == '_') {
      cfg.warnings.push_back("config.json " + key + " is commented out (leading '_'); ignored");
    } else if (key == "smtp" || key == "letsencrypt" || key == "peers") {
      cfg.sections[key] = value;  // read by make_settings (mail/smtp.hpp, acme/acme.hpp, peers/peer_settings.hpp)
    } else {
      cfg.warnings.push_back("config.json " + key + " is not a Meshwork section; ignored");
    }
  }
  return cfg;
}

std::string help_text() {
  std::ostringstream out;
  out << "Usage: meshwork-server [--switch value]...\n"
         "Every setting can be given here or in config.json (\"settings\" section); the command line wins.\n\n";
  auto kind_hint = [](Kind k) {
    switch (k) {
      case Kind::kBool: return "";
      case Kind::kInt: return " N";
      case Kind::kString: return " TEXT";
      case Kind::kBoolOrString: return " [true|false|TEXT]";
      case Kind::kAction: return " [VALUE]";
      case Kind::kObject: return " JSON";
    }
    return "";
  };
  for (const Spec& s : settings_specs()) {
    std::string left = "  --" + ascii_lower(s.name) + kind_hint(s.kind);
    if (left.size() < 34) left.resize(34, ' ');
    out << left << " " << s.help;
    if (!s.fallback.empty() && s.kind != Kind::kString) out << " [" << s.fallback << "]";
    out << "\n";
  }
  out << "\nActions:\n";
  for (const auto& a : kActions) {
    std::string left = "  --" + std::string(a.name) +
                       (action_is_flag(a.name) ? "" : a.name == "logintoken" ? " USERID" : a.name.find("account") != std::string_view::npos ? " USER" : (a.name == "pass" || a.name == "domain" || a.name == "email" || a.name == "name") ? " VALUE" : " [FILE]");
    left.resize(34, ' ');
    out << left << " " << a.help << "\n";
  }
  return out.str();
}

}  // namespace mw::server::config
