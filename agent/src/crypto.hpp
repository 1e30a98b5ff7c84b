// The agent's cryptography (OpenSSL): its identity key pair, kept in the state folder; hashes;
// checking the server's proof. Everything the agent signs or verifies is built by
// shared/proto/agent (the transcripts); this file only does the arithmetic.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

typedef struct evp_pkey_st EVP_PKEY;
typedef struct x509_st X509;

namespace mw::agent {

using Bytes = std::vector<std::uint8_t>;

Bytes sha384(std::span<const std::uint8_t> data);
Bytes random_bytes(std::size_t n);
// SHA-384 of a certificate's DER form (what both sides bind into the proofs).
Bytes certificate_hash(X509* cert);

// The agent's key pair (ECDSA P-384). Created on first start as <state>/agent-key.pem (0600,
// written atomically); the same file gives the same device id afterwards.
class Identity {
 public:
  // Throws std::runtime_error with a clear message when the file cannot be read or written.
  static Identity load_or_create(const std::filesystem::path& state_dir);
  // Generates a key in memory.
  static Identity generate();
  // The swarm's `count` identities, kept in one file (<state>/swarm-keys.pem), extended as needed.
  static std::vector<Identity> load_or_create_many(const std::filesystem::path& state_dir, std::size_t count);

  const Bytes& public_key_der() const { return spki_; }
  // MeshCentral's device id value: base64 (with @ and $) of SHA-384 of the public key.
  std::string node_value() const;
  // ECDSA over SHA-384 of `data`, DER encoded.
  Bytes sign(std::span<const std::uint8_t> data) const;

 private:
  explicit Identity(EVP_PKEY* key);
  std::shared_ptr<EVP_PKEY> key_;
  Bytes spki_;
};

// Checks the server's proof: the certificate's public key hashes (SHA-384 of its SPKI DER) to
// `server_id_hex`, and `signature` over `data` verifies with that key. Returns "" when good, or
// what was wrong.
std::string verify_server(std::span<const std::uint8_t> cert_der, const std::string& server_id_hex,
                          std::span<const std::uint8_t> data, std::span<const std::uint8_t> signature);

}  // namespace mw::agent
