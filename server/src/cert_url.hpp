// CertUrl: when a TLS offloader (nginx, a load balancer) faces agents and browsers, the server
// fetches the certificate that offloader presents, so it can tell agents which certificate to
// expect. Done once at start, synchronously, with a deadline.
#pragma once

#include <chrono>
#include <string>

namespace mw::server {

struct RemoteCertificate {
  std::string pem;
  std::string common_name;
  std::string sha384_hex;  // of the DER certificate
};

// Connects to an https:// URL (no verification: the point is to learn the certificate) and
// returns the leaf certificate. Throws std::runtime_error with a clear message on failure.
RemoteCertificate fetch_certificate(const std::string& url, std::chrono::seconds timeout = std::chrono::seconds(10));

}  // namespace mw::server
