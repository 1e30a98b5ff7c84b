// Test fixture shared by the integration tests: a temporary data folder and web root with a
// small app page, and the arguments that start meshwork-server on 127.0.0.1 with ephemeral ports.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "https_client.hpp"
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
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  // Writes <data>/config.json (the data folder is created first).
  void write_config(const std::string& json) const {
    std::filesystem::create_directories(data());
    std::ofstream(data() / "config.json") << json;
  }
  ClientOptions verifying() const {
    ClientOptions o;
    o.root_pem = read_text_file((data() / "root-cert-public.crt").string());
    o.host = "mesh.test";
    return o;
  }
};


}  // namespace mw::test
