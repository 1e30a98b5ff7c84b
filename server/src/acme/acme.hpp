// An ACME client (RFC 8555) for the web certificate, as MeshCentral's "letsencrypt" section asks:
// an account (EC P-256 key kept in the data folder), an order for the names, HTTP-01 challenges
// answered by the server's HTTP port (RedirPort, port 80 in production), the CSR with a new RSA key
// (rsaKeySize) and the certificate chain. Requests go out with libcurl (HTTPS, the system's trust
// store or OpenSSL's SSL_CERT_FILE); JWS signatures are ES256. Blocking: run it on a worker thread.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mw/util/result.hpp"

namespace mw::server::acme {

inline constexpr const char* kLetsEncryptProduction = "https://acme-v02.api.letsencrypt.org/directory";
inline constexpr const char* kLetsEncryptStaging = "https://acme-staging-v02.api.letsencrypt.org/directory";

struct Settings {
  std::string email;               // the account's contact
  std::vector<std::string> names;  // the certificate's names (the first is its subject)
  int rsa_key_size = 3072;         // rsaKeySize: 2048, 3072 or 4096
  bool production = false;         // Let's Encrypt's production CA (else its staging CA)
  std::string directory;           // Meshwork: another ACME CA's directory URL (overrides production)
  std::string directory_url() const { return !directory.empty() ? directory : production ? kLetsEncryptProduction : kLetsEncryptStaging; }
};

// config.json "letsencrypt" (keys lower-cased): email and names required ("names" as
// MeshCentral writes it, comma-separated, or a list). Unknown keys are warned about.
mw::Result<Settings> parse_settings(const nlohmann::json& section, std::vector<std::string>& warnings);

// HTTP-01 answers the server's HTTP listeners give while an order is open (thread-safe).
class Challenges {
 public:
  void set(const std::string& token, const std::string& key_authorization);
  void erase(const std::string& token);
  std::optional<std::string> find(const std::string& token) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> answers_;
};

struct Certificate {
  std::string chain_pem;  // the leaf first, then the intermediates
  std::string key_pem;
};

// One certificate order from start to finish. Errors say which step failed and the CA's problem
// detail ("acme"). `cancel` (when set) ends the waits within a second.
mw::Result<Certificate> obtain_certificate(const Settings& s, const std::filesystem::path& folder, Challenges& challenges,
                                           const std::atomic<bool>* cancel = nullptr);

}  // namespace mw::server::acme
