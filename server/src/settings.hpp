// Server settings: one validated description of every setting (name, type, default, help), from
// which the command line, --help and the configuration reference come. Keys are case-insensitive,
// as in MeshCentral's config.json; the command line (--name value) wins over config.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace mw::server {

enum class CertAlgorithm { kRsa3072, kEcdsaP384 };

struct Settings {
  std::filesystem::path datapath = "meshwork-data";  // certificates, database, config.json
  std::filesystem::path filespath = "meshwork-files";
  std::filesystem::path webroot;  // browser app; default: <binary dir>/../web
  std::string cert;               // server name in the web certificate; default: host name
  std::string port_bind;          // address the listeners bind to; empty = all
  int port = 443;                 // HTTPS; 0 = any free port (tests)
  int alias_port = 0;             // port browsers see when behind NAT/proxy
  int redir_port = 80;            // HTTP -> HTTPS redirect; 0 disables
  int mps_port = 4433;            // Intel AMT MPS; 0 disables
  bool exact_ports = false;       // fail instead of trying the next free port
  CertAlgorithm cert_algorithm = CertAlgorithm::kRsa3072;
  std::string log_level = "info";
  int threads = 0;  // I/O threads; 0 = one per core

  int public_port(int bound_port) const { return alias_port ? alias_port : bound_port; }
};

}  // namespace mw::server
