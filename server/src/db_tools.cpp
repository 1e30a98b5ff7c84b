// Database switches: export/import through the store's MeshCentral-format functions (validated
// and atomic on import), and the --show* listings as JSON on stdout.
#include "db_tools.hpp"
#include "agents/agent_downloads.hpp"
#include "agents/agent_keys.hpp"
#include "certs.hpp"
#include <unistd.h>

#include "amt/credentials.hpp"

#include "accounts/actions.hpp"
#include "accounts/rights.hpp"
#include "accounts/service.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "auth/cookie.hpp"
#include "log.hpp"
#include "mw/util/hex.hpp"
#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"

namespace mw::server {
namespace fs = std::filesystem;

fs::path database_path(const Settings& s) { return s.datapath / "meshwork.db"; }

mw::Result<std::unique_ptr<store::Store>> open_store(const Settings& s) {
  if (s.postgres) {
    auto pg = store::PgStore::open(*s.postgres);
    if (!pg) return pg.error();
    return std::unique_ptr<store::Store>(std::move(pg.value()));
  }
  auto lite = store::SqliteStore::open(database_path(s));
  if (!lite) return lite.error();
  return std::unique_ptr<store::Store>(std::move(lite.value()));
}

std::string store_label(const Settings& s) {
  return s.postgres ? "PostgreSQL " + s.postgres->label() : "SQLite " + fs::absolute(database_path(s)).string();
}

namespace {

int fail(const std::string& what) {
  std::fprintf(stderr, "meshwork-server: %s\n", what.c_str());
  return 1;
}

bool has(const config::Config& cfg, const char* action) {
  return std::find(cfg.actions.begin(), cfg.actions.end(), action) != cfg.actions.end();
}

fs::path file_argument(const Settings& s, const config::Config& cfg, const char* action) {
  const auto it = cfg.action_values.find(action);
  return it != cfg.action_values.end() ? fs::path(it->second) : s.datapath / "meshwork.db.json";
}

// The login token key lives in the database as MeshCentral keeps it:
// {_id: "LoginCookieEncryptionKey", key: <160 hex digits>, time}. Created on first use.
mw::Result<std::vector<std::uint8_t>> login_token_key(store::Store& db, bool create) {
  auto rec = db.get("LoginCookieEncryptionKey");
  if (!rec) return rec.error();
  if (rec.value() && rec.value()->contains("key") && (*rec.value())["key"].is_string()) {
    const std::string hex = (*rec.value())["key"].get<std::string>();
    auto key = util::hex_decode(hex);
    if (key && key->size() >= 80) return key.value();
  }
  if (!create) return make_error("no-key", "no login token key: create one with --logintokenkey");
  auto key = auth::new_cookie_key();
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  auto put = db.put({{"_id", "LoginCookieEncryptionKey"}, {"key", util::hex_encode(key)}, {"time", now}});
  if (!put) return put.error();
  return key;
}

int run_login_token_action(const Settings& s, const config::Config& cfg) {
  if (s.log_level == "info") set_log_level("warn");
  fs::create_directories(s.datapath);
  auto opened = open_store(s);
  if (!opened) return fail(opened.error().message);
  store::Store& db = *opened.value();
  const bool minting = has(cfg, "logintoken");
  auto key = login_token_key(db, /*create=*/true);
  if (!key) return fail(key.error().message);
  if (!minting) {
    std::printf("%s\n", util::hex_encode(key.value()).c_str());
    return 0;
  }
  const auto it = cfg.action_values.find("logintoken");
  const std::string user = it == cfg.action_values.end() ? "" : it->second;
  // user/<domain>/<name>: the domain must be one of ours, the name lower case as MeshCentral stores it.
  const auto a = user.find('/');
  const auto b = a == std::string::npos ? a : user.find('/', a + 1);
  if (user.rfind("user/", 0) != 0 || b == std::string::npos || b + 1 >= user.size()) {
    return fail("--logintoken needs a user id such as user//admin (got \"" + user + "\")");
  }
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  std::printf("%s\n", auth::encode_cookie({{"u", user}, {"a", 3}}, key.value(), now_s).c_str());
  return 0;
}

std::string value_of_action(const config::Config& cfg, const char* name) {
  const auto it = cfg.action_values.find(name);
  return it == cfg.action_values.end() ? std::string() : it->second;
}

// --createaccount / --resetaccount / --adminaccount, as MeshCentral's switches of those names.
int run_account_action(const Settings& s, const config::Config& cfg) {
  if (s.log_level == "info") set_log_level("warn");
  const std::string domain = value_of_action(cfg, "domain");
  const DomainSettings* d = accounts::find_domain(s, domain);
  if (!d) return fail("no domain \"" + domain + "\" in config.json");
  fs::create_directories(s.datapath);
  auto opened = open_store(s);
  if (!opened) return fail(opened.error().message);
  store::Store& db = *opened.value();
  const accounts::ActionEnv env = accounts::env_for(*d);
  if (has(cfg, "createaccount")) {
    accounts::NewAccount acc;
    acc.name = value_of_action(cfg, "createaccount");
    acc.password = value_of_action(cfg, "pass");
    acc.email = value_of_action(cfg, "email");
    acc.realname = value_of_action(cfg, "name");
    if (acc.name.empty() || acc.password.empty()) return fail("usage: --createaccount USER --pass PASSWORD [--domain D] [--email E] [--name N]");
    accounts::Outcome out;
    auto r = accounts::create_account(db, env, acc, nullptr, &out);
    if (!r) return fail(r.error().message);
    std::printf("Created account %s%s.\n", r->value("_id", "").c_str(),
                accounts::site_rights(*r) == accounts::site_right::kFull ? " (site administrator)" : "");
    return 0;
  }
  const bool reset = has(cfg, "resetaccount");
  const std::string name = value_of_action(cfg, reset ? "resetaccount" : "adminaccount");
  if (name.empty()) return fail(reset ? "usage: --resetaccount USER --pass PASSWORD [--domain D]" : "usage: --adminaccount USER [--domain D]");
  const std::string uid = name.rfind("user/", 0) == 0 ? name : accounts::user_id(domain, name);
  auto rec = db.get(uid);
  if (!rec) return fail(rec.error().message);
  if (!rec.value()) return fail("no account " + uid);
  if (reset) {
    const std::string pass = value_of_action(cfg, "pass");
    if (pass.empty()) return fail("usage: --resetaccount USER --pass PASSWORD [--domain D]");
    accounts::Outcome out;
    auto r = accounts::set_password(db, env, uid, pass, &out);
    if (!r) return fail(r.error().message);
    store::Json u = r.value();
    if (u.contains("siteadmin") && u["siteadmin"].is_number() && u["siteadmin"].get<std::int64_t>() != accounts::site_right::kFull) {
      u["siteadmin"] = u["siteadmin"].get<std::int64_t>() & ~static_cast<std::int64_t>(accounts::site_right::kLocked);
      if (auto st = db.put(u); !st) return fail(st.error().message);
    }
    std::printf("Password of %s changed; the account is unlocked.\n", uid.c_str());
    return 0;
  }
  store::Json u = *rec.value();
  u["siteadmin"] = accounts::site_right::kFull;
  if (auto st = db.put(u); !st) return fail(st.error().message);
  std::printf("%s is now a site administrator.\n", uid.c_str());
  return 0;
}

// --agentsettings GROUPID: the settings file an agent of that group needs (as /meshsettings serves it).
int run_agent_settings_action(const Settings& s, const config::Config& cfg) {
  if (s.log_level == "info") set_log_level("warn");
  Settings named = s;
  if (named.cert.empty()) {
    char host[256] = {};
    named.cert = ::gethostname(host, sizeof host - 1) == 0 && host[0] ? host : "localhost";
  }
  fs::create_directories(s.datapath);
  const auto certs = CertificateStore::load_or_create(s.datapath, named.cert, s.cert_algorithm, s.mps_cert);
  const agents::ServerAgentKey key(certs.agent().cert_pem, certs.agent().key_pem);
  auto opened = open_store(s);
  if (!opened) return fail(opened.error().message);
  const std::string domain = has(cfg, "domain") ? value_of_action(cfg, "domain") : "";
  auto text = agents::agent_settings_text(*opened.value(), domain, value_of_action(cfg, "agentsettings"), named, s.port,
                                          key.server_id());
  if (!text) return fail(text.error().message);
  std::fputs(text->c_str(), stdout);
  return 0;
}

}  // namespace

std::optional<int> run_database_action(const Settings& s, const config::Config& cfg) {
  static const char* kShow[][2] = {{"showusers", "user"}, {"showmeshes", "mesh"}, {"shownodes", "node"},
                                   {"showevents", "event"}, {"showpower", "power"}, {"showall", ""}};
  if (has(cfg, "logintokenkey") || has(cfg, "logintoken")) return run_login_token_action(s, cfg);
  if (has(cfg, "createaccount") || has(cfg, "resetaccount") || has(cfg, "adminaccount")) return run_account_action(s, cfg);
  if (has(cfg, "agentsettings")) return run_agent_settings_action(s, cfg);
  for (const char* v : {"pass", "email", "name"}) {
    if (has(cfg, v)) return fail(std::string("--") + v + " only applies to --createaccount / --resetaccount");
  }
  const bool exporting = has(cfg, "dbexport");
  const bool importing = has(cfg, "dbimport");
  const char* show_type = nullptr;
  for (const auto& sh : kShow) {
    if (has(cfg, sh[0])) show_type = sh[1];
  }
  if (!exporting && !importing && !show_type) {
    if (has(cfg, "force")) return fail("--force only applies to --dbimport");
    return std::nullopt;
  }
  if (exporting + importing + (show_type != nullptr) > 1) return fail("give one database action at a time");

  // The listings are JSON on stdout: keep the store's informational lines out of them.
  if (s.log_level == "info") set_log_level("warn");
  fs::create_directories(s.datapath);
  auto opened = open_store(s);
  if (!opened) return fail(opened.error().message);
  store::Store& db = *opened.value();

  if (importing) {
    const fs::path file = file_argument(s, cfg, "dbimport");
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail("cannot read " + file.string());
    std::ostringstream text;
    text << in.rdbuf();
    const auto data = store::Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (data.is_discarded()) return fail(file.string() + " is not valid JSON");
    const auto counts = db.import_all(data, has(cfg, "force"));
    if (!counts) {
      if (counts.error().code == "not-empty") return fail(counts.error().message + " (use --force to replace it)");
      return fail(file.string() + ": " + counts.error().message + "; nothing was imported");
    }
    std::printf("Imported %zu records, %zu events and %zu power events from %s.\n", counts->records,
                counts->events, counts->power, file.string().c_str());
    // MeshCentral keeps Intel AMT passwords in device records; here they are sealed apart
    // (amt/credentials.hpp) before the server ever sends a device record to a browser.
    std::size_t sealed = 0;
    if (data.is_array()) {
      const auto key = amt::load_or_create_credentials_key(s.datapath);
      for (const auto& r : data) {
        if (!r.is_object() || r.value("type", "") != "node" || !r.contains("intelamt") || !r["intelamt"].is_object() ||
            !r["intelamt"].contains("pass") || !r["intelamt"]["pass"].is_string() || r["intelamt"]["pass"] == "") {
          continue;
        }
        auto c = amt::load_credentials(db, r.value("_id", ""), key);
        if (!c) return fail("sealing the Intel AMT credentials of " + r.value("_id", "") + ": " + c.error().message);
        ++sealed;
      }
    }
    if (sealed) std::printf("Sealed the Intel AMT credentials of %zu devices (key: amt-credentials.key in the data folder).\n", sealed);
    return 0;
  }

  const auto all = db.export_all({});
  if (!all) return fail(all.error().message);
  if (exporting) {
    const fs::path file = file_argument(s, cfg, "dbexport");
    const fs::path tmp = file.string() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) return fail("cannot write " + tmp.string());
      out << all->dump();
      if (!out.flush()) return fail("cannot write " + tmp.string());
    }
    fs::rename(tmp, file);
    std::printf("Exported %zu records to %s.\n", all->size(), file.string().c_str());
    return 0;
  }
  store::Json shown = store::Json::array();
  for (const auto& rec : *all) {
    if (!*show_type || (rec.contains("type") && rec["type"] == show_type)) shown.push_back(rec);
  }
  std::cout << shown.dump(2) << std::endl;
  return 0;
}

}  // namespace mw::server
