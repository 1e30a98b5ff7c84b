// The server's certificates under MeshCentral's file names in the data folder: a self-signed root
// and, signed by it, the web (HTTPS), MPS (Intel AMT CIRA) and agent-server certificates. Created on
// first start, reused afterwards. Throws std::runtime_error at start-up on unreadable files.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "settings.hpp"

typedef struct x509_st X509;

namespace mw::server {

// PEM text, subject CN and SHA-384 (lower-case hex of the DER form) of a certificate.
std::string certificate_pem(X509* cert);
std::string certificate_common_name(X509* cert);
std::string certificate_sha384_hex(X509* cert);

// Writes `data` to a temporary file beside `p` (mode 0600 when `secret`, from its creation),
// syncs it and renames it over `p`: readers see the old file or the whole new one. Throws
// std::runtime_error when it cannot.
void write_file_atomic(const std::filesystem::path& p, const std::string& data, bool secret);

struct CertKey {
  std::string cert_pem;     // leaf certificate (PEM)
  std::string key_pem;      // private key (PEM, PKCS#8); never logged
  std::string common_name;  // subject CN
  std::string sha384_hex;   // SHA-384 of the DER certificate, lower-case hex
};

class CertificateStore {
 public:
  // Loads <datapath>/{root,webserver,mpsserver,agentserver}-cert-{public.crt,private.key},
  // generating any pair that is missing. `name` is the web certificate's CN and DNS/IP SAN, and
  // the MPS certificate's unless `mps_name` (MpsCert) is given.
  static CertificateStore load_or_create(const std::filesystem::path& datapath, const std::string& name,
                                         CertAlgorithm algorithm, const std::string& mps_name = "");

  const CertKey& root() const { return root_; }
  const CertKey& web() const { return web_; }
  const CertKey& mps() const { return mps_; }
  const CertKey& agent() const { return agent_; }
  // Web certificates of domains selected by Dns host name (webserver-<domain>-cert-*), by domain id.
  const std::map<std::string, CertKey>& domain_web() const { return domain_web_; }
  // Loads or creates the web certificate of a Dns domain, signed by the root.
  const CertKey& add_domain(const std::filesystem::path& datapath, const std::string& domain_id,
                            const std::string& dns, CertAlgorithm algorithm);
  // Intermediate chain served after the web certificate (webserver-cert-chain1..3.crt), PEM.
  const std::string& web_chain_pem() const { return web_chain_; }
  int generated_count() const { return generated_; }

 private:
  CertKey root_, web_, mps_, agent_;
  std::map<std::string, CertKey> domain_web_;
  std::string web_chain_;
  int generated_ = 0;
};

}  // namespace mw::server
