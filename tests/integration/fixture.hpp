// Test fixture shared by the integration tests: a temporary data folder and web root with a
// small app page, and the arguments that start meshwork-server on 127.0.0.1 with ephemeral ports.
#pragma once

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "https_client.hpp"
#include "mw/util/base64.hpp"
#include "server_process.hpp"
#include "store/sqlite_store.hpp"

namespace mw::test {

struct Fixture {
  using path = std::filesystem::path;
  TempDir dir;
  path data() const { return dir.path() / "data"; }
  path web() const { return dir.path() / "web"; }
  Fixture() {
    std::filesystem::create_directories(web() / "fonts");
    std::ofstream(web() / "index.html") << "<!doctype html><title>Meshwork</title><canvas id=c></canvas>\n";
    std::ofstream(web() / "app.js") << "console.log('app');\n";
    std::ofstream(dir.path() / "secret.txt") << "outside the web root\n";
  }
  std::vector<std::string> args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a{"--datapath", data().string(), "--filespath", (dir.path() / "files").string(),
                               "--webroot", web().string(), "--portbind", "127.0.0.1", "--port", "0",
                               "--redirport", "0", "--cert", "mesh.test", "--certalgorithm", "ecdsa-p384",
                               "--threads", "2"};
    // No MPS unless a test asks for one (MpsPort's default, 4433, is not for parallel tests).
    if (std::find(extra.begin(), extra.end(), "--mpsport") == extra.end()) a.insert(a.end(), {"--mpsport", "0"});
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  // Writes <data>/config.json (the data folder is created first).
  void write_config(const std::string& json) const {
    std::filesystem::create_directories(data());
    std::ofstream(data() / "config.json") << json;
  }
  // Runs meshwork-server with an action (--dbexport, --createaccount, ...); {exit code, output}.
  std::pair<int, std::string> run(std::vector<std::string> action) const {
    ServerProcess p(args(std::move(action)));
    const int code = p.wait_exit(std::chrono::seconds(60)).value_or(-1);
    return {code, p.output()};
  }
  // Creates an account with --createaccount (the first of a domain is its administrator).
  void create_account(const std::string& name, const std::string& password, const std::string& domain = "") const {
    std::vector<std::string> a{"--createaccount", name, "--pass", password};
    if (!domain.empty()) a.insert(a.end(), {"--domain", domain});
    auto [code, out] = run(a);
    if (code != 0) throw std::runtime_error("--createaccount failed: " + out);
  }
  // Writes a device group straight into the database the server will open, with its members'
  // rights on both sides as MeshCentral keeps them (the group's "links" and each user's).
  // Throws std::runtime_error when the database refuses.
  void add_group(const std::string& meshid, int mtype, const std::string& name,
                 const std::vector<std::pair<std::string, std::uint32_t>>& members) const {
    auto db = open_db();
    nlohmann::json links = nlohmann::json::object();
    for (const auto& [name_of_user, rights] : members) {
      links["user//" + name_of_user] = {{"name", name_of_user}, {"rights", rights}};
      set_rights(*db, name_of_user, meshid, rights);
    }
    if (!db->put({{"_id", meshid}, {"type", "mesh"}, {"mtype", mtype}, {"name", name}, {"domain", ""}, {"links", links}})) {
      throw std::runtime_error("cannot write group " + meshid);
    }
  }
  // Changes a user's rights on a group (the user's side, which the server checks).
  void set_rights(const std::string& user, const std::string& meshid, std::uint32_t rights) const {
    auto db = open_db();
    set_rights(*db, user, meshid, rights);
  }
  // Sets a user's site rights ("siteadmin").
  void set_site_rights(const std::string& user, std::uint32_t siteadmin) const {
    auto db = open_db();
    auto u = db->get("user//" + user);
    if (!u || !u.value()) throw std::runtime_error("no user " + user);
    auto rec = *u.value();
    rec["siteadmin"] = siteadmin;
    if (!db->put(rec)) throw std::runtime_error("cannot write user " + user);
  }
  // Sets a user's email address and whether it is verified.
  void set_email(const std::string& user, const std::string& email, bool verified) const {
    auto db = open_db();
    auto u = db->get("user//" + user);
    if (!u || !u.value()) throw std::runtime_error("no user " + user);
    auto rec = *u.value();
    rec["email"] = email;
    rec["emailVerified"] = verified;
    if (!db->put(rec)) throw std::runtime_error("cannot write user " + user);
  }
  ClientOptions verifying() const {
    ClientOptions o;
    o.root_pem = read_text_file((data() / "root-cert-public.crt").string());
    o.host = "mesh.test";
    return o;
  }
  // verifying(), as a browser posts a form (application/x-www-form-urlencoded `body`).
  ClientOptions form(const std::string& body) const {
    auto o = verifying();
    o.method = "POST";
    o.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    o.body = body;
    return o;
  }
  // verifying(), logged in as meshctrl does (x-meshauth).
  ClientOptions as(const std::string& user, const std::string& password) const;

 private:
  std::unique_ptr<mw::server::store::SqliteStore> open_db() const {
    auto db = mw::server::store::SqliteStore::open(data() / "meshwork.db");
    if (!db) throw std::runtime_error(db.error().message);
    return std::move(db.value());
  }
  static void set_rights(mw::server::store::Store& db, const std::string& user, const std::string& meshid, std::uint32_t rights) {
    auto u = db.get("user//" + user);
    if (!u || !u.value()) throw std::runtime_error("no user " + user);
    auto rec = *u.value();
    rec["links"][meshid] = {{"rights", rights}};
    if (!db.put(rec)) throw std::runtime_error("cannot write user " + user);
  }
};


// The x-meshauth header meshctrl sends: base64(user),base64(password).
inline std::pair<std::string, std::string> meshauth(const std::string& user, const std::string& password) {
  return {"x-meshauth", mw::util::base64_encode(user) + "," + mw::util::base64_encode(password)};
}

// Sends one control action on a new control channel; the first message with `action` (events
// skipped), or null after 20 s.
inline nlohmann::json control_answer(int port, const ClientOptions& who, const nlohmann::json& cmd, const std::string& action) {
  WssClient ws(port, "/control.ashx", who);
  ws.send(cmd.dump());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    nlohmann::json j = nlohmann::json::parse(ws.read(), nullptr, false);
    if (j.value("action", "") == action) return j;
  }
  return {};
}

inline ClientOptions Fixture::as(const std::string& user, const std::string& password) const {
  auto o = verifying();
  o.headers.push_back(meshauth(user, password));
  return o;
}

}  // namespace mw::test
