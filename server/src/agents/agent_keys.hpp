// The server's side of the agent proof (shared/proto/agent.hpp): its agent-server key signs the
// server transcript; agents are known by the SHA-384 of their public key, and their signatures
// are checked here. ServerID — what agents pin — is the SHA-384 of the agent-server
// certificate's public key, so a renewed certificate with the same key keeps every agent.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "mw/util/result.hpp"

typedef struct evp_pkey_st EVP_PKEY;
typedef struct ssl_st SSL;

namespace mw::server::agents {

using Bytes = std::vector<std::uint8_t>;

class ServerAgentKey {
 public:
  // From the agentserver-cert-* PEM texts; throws std::runtime_error when they do not parse.
  ServerAgentKey(const std::string& cert_pem, const std::string& key_pem);
  const Bytes& certificate_der() const { return cert_der_; }
  const std::string& server_id() const { return server_id_; }  // lower-case hex
  Bytes sign(std::span<const std::uint8_t> data) const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
  Bytes cert_der_;
  std::string server_id_;
};

Bytes sha384(std::span<const std::uint8_t> data);
// SHA-384 of the DER certificate a TLS connection presents (the server's own, on the server).
Bytes own_certificate_hash(SSL* ssl);

// Checks an agent's public key (SPKI DER: EC P-256/P-384/P-521 or RSA of at least 2048 bits) and
// its signature over `data` (SHA-384). An error says which.
mw::Result<bool> verify_agent(std::span<const std::uint8_t> spki_der, std::span<const std::uint8_t> data,
                              std::span<const std::uint8_t> signature);

}  // namespace mw::server::agents
