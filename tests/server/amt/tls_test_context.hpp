// Test helpers for TlsPipe and TlsRecords: OpenSSL contexts made by the test.
#pragma once

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace mw::test {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslCtx = std::unique_ptr<SSL_CTX, SslCtxFree>;

// A server context with a fresh self-signed P-256 certificate (ECDSA suites in TLS 1.2);
// `der`, when given, gets the certificate.
inline SslCtx self_signed_server_context(std::vector<std::uint8_t>* der = nullptr) {
  SslCtx ctx(SSL_CTX_new(TLS_server_method()));
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("tls-test"), -1, -1,
                             0);
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  X509_sign(cert, key, EVP_sha256());
  SSL_CTX_use_certificate(ctx.get(), cert);
  SSL_CTX_use_PrivateKey(ctx.get(), key);
  if (der) {
    unsigned char* p = nullptr;
    const int len = i2d_X509(cert, &p);
    der->assign(p, p + len);
    OPENSSL_free(p);
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return ctx;
}

}  // namespace mw::test
