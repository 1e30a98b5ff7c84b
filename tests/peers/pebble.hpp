// Let's Encrypt's test CA for tests that obtain certificates: pebble (Debian's package) on
// 127.0.0.1 with ephemeral ports, and pebble-challtestsrv as its DNS server, answering every name
// with 127.0.0.1, so pebble checks HTTP-01 challenges on this machine's `http_port`.
#pragma once

#include <string>

#include "process.hpp"

namespace mw::test::peer {

class Pebble {
 public:
  // `http_port`: where pebble's validation connects for HTTP-01 (the server's RedirPort).
  explicit Pebble(int http_port) {
    const std::string d = dir_.path.string();
    const auto r = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                        "-subj", "/CN=pebble", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", d + "/key.pem",
                        "-out", d + "/cert.pem"},
                       current_env(), std::chrono::seconds(60));
    if (r.status != 0) return;
    dns_port_ = free_port();
    acme_port_ = free_port();
    management_port_ = free_port();
    write_file(dir_.path / "pebble.json",
               R"({"pebble": {"listenAddress": "127.0.0.1:)" + std::to_string(acme_port_) + R"(", "managementListenAddress": "127.0.0.1:)" +
                   std::to_string(management_port_) + R"(", "certificate": ")" + d + R"(/cert.pem", "privateKey": ")" + d +
                   R"(/key.pem", "httpPort": )" + std::to_string(http_port) + R"(, "tlsPort": )" + std::to_string(free_port()) +
                   R"(, "ocspResponderURL": "", "externalAccountBindingRequired": false}})");
    dns_ = std::make_unique<OutputChild>(std::vector<std::string>{
        "/bin/sh", "-c",
        "exec pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 '' -dns01 127.0.0.1:" + std::to_string(dns_port_) +
            " -http01 '' -https01 '' -tlsalpn01 '' -management 127.0.0.1:" + std::to_string(free_port()) + " 2>&1"});
    if (!dns_->wait_for("Starting challenge servers", std::chrono::seconds(20))) return;
    pebble_ = std::make_unique<OutputChild>(std::vector<std::string>{
        "/usr/bin/env", "PEBBLE_VA_NOSLEEP=1", "/bin/sh", "-c",
        "exec pebble -config " + d + "/pebble.json -dnsserver 127.0.0.1:" + std::to_string(dns_port_) + " 2>&1"});
    ready_ = pebble_->wait_for("ACME directory available", std::chrono::seconds(30));
  }
  bool ready() const { return ready_; }
  std::string directory() const { return "https://127.0.0.1:" + std::to_string(acme_port_) + "/dir"; }
  int management_port() const { return management_port_; }
  // The certificate of pebble's own HTTPS listener (for the client's trust store).
  fs::path https_cert() const { return dir_.path / "cert.pem"; }
  std::string output() const { return (pebble_ ? pebble_->output : "") + (dns_ ? dns_->output : ""); }
  void stop() {
    pebble_.reset();
    dns_.reset();
  }

 private:
  TempDir dir_;
  int dns_port_ = 0, acme_port_ = 0, management_port_ = 0;
  std::unique_ptr<OutputChild> dns_, pebble_;
  bool ready_ = false;
};

}  // namespace mw::test::peer
