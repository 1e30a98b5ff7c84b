// libcurl pieces shared by the server's outgoing clients (mail/smtp.cpp, acme/acme.cpp).
#pragma once

#include <curl/curl.h>

#include <cstdlib>
#include <mutex>

namespace mw::server {

// curl_global_init, once per process, before the first transfer.
inline void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// TLS peers are checked against the system's trust store (libcurl's CA bundle); OpenSSL's
// SSL_CERT_FILE and SSL_CERT_DIR replace it when set, as they do for OpenSSL programs (a private
// mail server's or ACME CA's root).
inline void curl_trust_store(CURL* c) {
  if (const char* file = std::getenv("SSL_CERT_FILE"); file && *file) curl_easy_setopt(c, CURLOPT_CAINFO, file);
  if (const char* dir = std::getenv("SSL_CERT_DIR"); dir && *dir) curl_easy_setopt(c, CURLOPT_CAPATH, dir);
}

}  // namespace mw::server
