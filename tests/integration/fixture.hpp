// Test fixture shared by the integration tests: a temporary data folder and web root with a
// small app page, and the arguments that start meshwork-server on 127.0.0.1 with ephemeral ports.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "https_client.hpp"
#include "mw/util/base64.hpp"
#include "server_process.hpp"

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
  ClientOptions verifying() const {
    ClientOptions o;
    o.root_pem = read_text_file((data() / "root-cert-public.crt").string());
    o.host = "mesh.test";
    return o;
  }
};


// The x-meshauth header meshctrl sends: base64(user),base64(password).
inline std::pair<std::string, std::string> meshauth(const std::string& user, const std::string& password) {
  return {"x-meshauth", mw::util::base64_encode(user) + "," + mw::util::base64_encode(password)};
}

}  // namespace mw::test
