// Agent proof cryptography of the server (agent_keys.hpp), OpenSSL 3.
#include "agents/agent_keys.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <stdexcept>

#include "mw/util/hex.hpp"

namespace mw::server::agents {

Bytes sha384(std::span<const std::uint8_t> data) {
  Bytes out(48);
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &n, EVP_sha384(), nullptr);
  return out;
}

namespace {
Bytes der_of(X509* cert) {
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert, &der);
  if (n <= 0) return {};
  Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}
}  // namespace

ServerAgentKey::ServerAgentKey(const std::string& cert_pem, const std::string& key_pem) {
  BIO* b = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  if (!cert) throw std::runtime_error("agentserver-cert-public.crt is not a certificate");
  cert_der_ = der_of(cert);
  unsigned char* spki = nullptr;
  const int n = i2d_PUBKEY(X509_get0_pubkey(cert), &spki);
  X509_free(cert);
  if (n <= 0) throw std::runtime_error("agentserver-cert-public.crt has no public key");
  server_id_ = util::hex_encode(sha384({spki, static_cast<std::size_t>(n)}));
  OPENSSL_free(spki);
  b = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  if (!key) throw std::runtime_error("agentserver-cert-private.key is not a private key");
  key_.reset(key, EVP_PKEY_free);
}

Bytes ServerAgentKey::sign(std::span<const std::uint8_t> data) const {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  Bytes sig;
  std::size_t n = 0;
  if (EVP_DigestSignInit(md, nullptr, EVP_sha384(), nullptr, key_.get()) == 1 &&
      EVP_DigestSign(md, nullptr, &n, data.data(), data.size()) == 1) {
    sig.resize(n);
    if (EVP_DigestSign(md, sig.data(), &n, data.data(), data.size()) == 1) sig.resize(n);
    else sig.clear();
  }
  EVP_MD_CTX_free(md);
  return sig;
}

Bytes own_certificate_hash(SSL* ssl) {
  X509* cert = ssl ? SSL_get_certificate(ssl) : nullptr;  // not owned
  return cert ? sha384(der_of(cert)) : Bytes{};
}

mw::Result<bool> verify_agent(std::span<const std::uint8_t> spki_der, std::span<const std::uint8_t> data,
                              std::span<const std::uint8_t> signature) {
  const unsigned char* p = spki_der.data();
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size()));
  if (!key || p != spki_der.data() + spki_der.size()) {
    EVP_PKEY_free(key);
    return make_error("bad-key", "the agent's public key does not parse");
  }
  const int bits = EVP_PKEY_get_bits(key);
  const bool ec = EVP_PKEY_is_a(key, "EC"), rsa = EVP_PKEY_is_a(key, "RSA");
  if (!(ec && bits >= 256) && !(rsa && bits >= 2048)) {
    EVP_PKEY_free(key);
    return make_error("weak-key", "the agent's key must be ECDSA (P-256 or larger) or RSA of 2048 bits or more");
  }
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  const bool ok = EVP_DigestVerifyInit(md, nullptr, EVP_sha384(), nullptr, key) == 1 &&
                  EVP_DigestVerify(md, signature.data(), signature.size(), data.data(), data.size()) == 1;
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(key);
  if (!ok) return make_error("bad-signature", "the agent's signature does not verify");
  return true;
}

}  // namespace mw::server::agents
