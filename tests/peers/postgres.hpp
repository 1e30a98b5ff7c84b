// A private PostgreSQL server for tests (Debian's postgresql package): initdb in a temporary
// folder, listening on 127.0.0.1 at a free port and on a socket in that folder, trust
// authentication for the "postgres" role, fsync off. As root (initdb refuses root), the cluster
// belongs to the "postgres" account the package creates and the programs run as it (runuser).
// The destructor stops the server (immediate mode) and removes the folder.
#pragma once

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "process.hpp"

namespace mw::test::peer {

class PostgresServer {
 public:
  // With `tls`, the server also speaks TLS (ssl=on) with a certificate for 127.0.0.1 and
  // localhost issued by a CA of the test's (ca_file()); other_ca_file() is a CA that did not.
  explicit PostgresServer(bool tls = false) : tls_(tls) { start(); }
  std::string ca_file() const { return (dir_.path / "ca.crt").string(); }
  std::string other_ca_file() const { return (dir_.path / "other-ca.crt").string(); }
  ~PostgresServer() {
    if (running_) {
      run(cmd({(bin_ / "pg_ctl").string(), "-D", (dir_.path / "data").string(), "-m", "immediate", "-w", "stop"}), current_env(),
          std::chrono::seconds(30));
    }
  }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  bool running() const { return running_; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }

 private:
  void start() {
    if (dir_.path.empty()) return fail("no temporary folder");
    // The newest installed major version.
    std::vector<fs::path> versions;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) versions.push_back(e.path() / "bin");
    std::sort(versions.begin(), versions.end());
    if (versions.empty()) return fail("PostgreSQL is not installed (/usr/lib/postgresql is empty; scripts/setup.sh installs it)");
    bin_ = versions.back();
    if (geteuid() == 0) {
      const passwd* pw = getpwnam("postgres");
      if (!pw) return fail("running as root and there is no postgres account to own the cluster");
      as_ = {"runuser", "-u", "postgres", "--"};
      if (::chown(dir_.path.c_str(), pw->pw_uid, pw->pw_gid) != 0) return fail("cannot give the folder to postgres");
    }
    const auto data = (dir_.path / "data").string();
    auto r = run(cmd({(bin_ / "initdb").string(), "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C",
                      "--no-sync"}),
                 current_env(), std::chrono::seconds(60));
    if (r.status != 0) return fail("initdb failed: " + r.err + r.out);
    std::string tls_opts;
    if (tls_) {
      if (std::string why = make_certificates(); !why.empty()) return fail(why);
      tls_opts = " -c ssl=on -c ssl_cert_file=" + (dir_.path / "server.crt").string() + " -c ssl_key_file=" +
                 (dir_.path / "server.key").string();
    }
    // free_port() only finds a port free at that moment: a test running in parallel may bind it
    // before PostgreSQL does ("Address already in use"). Then another port, a few times.
    for (int attempt = 0;; ++attempt) {
      port_ = free_port();
      const std::string opts = "-p " + std::to_string(port_) + " -k " + dir_.path.string() +
                               " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" +
                               tls_opts;
      const auto log = dir_.path / ("server-" + std::to_string(attempt) + ".log");
      r = run(cmd({(bin_ / "pg_ctl").string(), "-D", data, "-o", opts, "-l", log.string(), "-w", "-t", "60", "start"}),
              current_env(), std::chrono::seconds(90));
      if (r.status == 0) break;
      const std::string why = read_file(log);
      if (attempt < 4 && why.find("Address already in use") != std::string::npos) continue;
      return fail("pg_ctl start failed: " + r.err + r.out + why);
    }
    running_ = true;
  }

 public:
  // Runs SQL through psql as the postgres role; the output, or "ERROR: ..." on failure.
  std::string sql(const std::string& statement, const std::string& database = "postgres") const {
    auto r = run({(bin_ / "psql").string(), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                  std::to_string(port_), "-U", "postgres", "-d", database, "-c", statement},
                 current_env(), std::chrono::seconds(30));
    return r.status == 0 ? r.out : "ERROR: " + r.err;
  }
  // A new empty database; its name.
  std::string create_database() {
    const std::string name = "mw_test_" + std::to_string(++databases_);
    const std::string out = sql("CREATE DATABASE " + name);
    return out.rfind("ERROR", 0) == 0 ? "" : name;
  }

 private:
  std::vector<std::string> cmd(std::vector<std::string> argv) const {
    std::vector<std::string> full = as_;
    full.insert(full.end(), argv.begin(), argv.end());
    return full;
  }
  void fail(const std::string& why) { error_ = why; }

  // Two CAs and a server certificate from the first (openssl), the key readable by postgres only.
  std::string make_certificates() {
    const std::string d = dir_.path.string();
    auto openssl = [&](std::vector<std::string> args) {
      args.insert(args.begin(), "openssl");
      auto r = run(args, current_env(), std::chrono::seconds(60));
      return r.status == 0 ? std::string() : "openssl " + args[1] + " failed: " + r.err;
    };
    for (const std::string ca : {"ca", "other-ca"}) {
      if (auto e = openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                            "/CN=Meshwork test " + ca, "-keyout", d + "/" + ca + ".key", "-out", d + "/" + ca + ".crt"});
          !e.empty()) {
        return e;
      }
    }
    if (auto e = openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
                          "-keyout", d + "/server.key", "-out", d + "/server.csr"});
        !e.empty()) {
      return e;
    }
    write_file(dir_.path / "server.ext", "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    if (auto e = openssl({"x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.crt", "-CAkey", d + "/ca.key", "-CAcreateserial",
                          "-days", "2", "-extfile", d + "/server.ext", "-out", d + "/server.crt"});
        !e.empty()) {
      return e;
    }
    ::chmod((dir_.path / "server.key").c_str(), 0600);
    if (geteuid() == 0) {
      const passwd* pw = getpwnam("postgres");
      if (!pw || ::chown((dir_.path / "server.key").c_str(), pw->pw_uid, pw->pw_gid) != 0 ||
          ::chown((dir_.path / "server.crt").c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        return "cannot give the server key to postgres";
      }
    }
    return {};
  }

  TempDir dir_;
  bool tls_ = false;
  fs::path bin_;
  std::vector<std::string> as_;
  int port_ = -1;
  bool running_ = false;
  std::string error_;
  int databases_ = 0;
};

}  // namespace mw::test::peer
