// Fetches an offloader's certificate with a TLS handshake (Asio + OpenSSL), under a deadline.
#include "cert_url.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <stdexcept>

#include "mw/util/hex.hpp"
#include "net.hpp"

namespace mw::server {

RemoteCertificate fetch_certificate(const std::string& url, std::chrono::seconds timeout) {
  const std::string prefix = "https://";
  if (url.rfind(prefix, 0) != 0) throw std::runtime_error("CertUrl must start with https:// (got \"" + url + "\")");
  std::string hostport = url.substr(prefix.size());
  hostport = hostport.substr(0, hostport.find('/'));
  std::string host = hostport, port = "443";
  if (!hostport.empty() && hostport.front() == '[') {
    const auto close = hostport.find(']');
    if (close == std::string::npos) throw std::runtime_error("CertUrl has a malformed IPv6 address: " + url);
    host = hostport.substr(1, close - 1);
    if (close + 1 < hostport.size() && hostport[close + 1] == ':') port = hostport.substr(close + 2);
  } else if (const auto colon = hostport.rfind(':'); colon != std::string::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  }
  asio::io_context ioc;
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_none);
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  const auto results = resolver.resolve(host, port, ec);
  if (ec) throw std::runtime_error("CertUrl " + url + ": cannot resolve " + host + ": " + ec.message());
  beast::get_lowest_layer(stream).expires_after(timeout);
  beast::get_lowest_layer(stream).async_connect(results, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  ioc.run();
  if (ec) throw std::runtime_error("CertUrl " + url + ": cannot connect: " + ec.message());
  ioc.restart();
  stream.async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
  ioc.run();
  if (ec) throw std::runtime_error("CertUrl " + url + ": TLS handshake failed: " + ec.message());
  X509* cert = SSL_get1_peer_certificate(stream.native_handle());
  if (!cert) throw std::runtime_error("CertUrl " + url + ": the server sent no certificate");
  RemoteCertificate out;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  out.pem.assign(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  X509_digest(cert, EVP_sha384(), md.data(), &len);
  out.sha384_hex = util::hex_encode(std::span<const std::uint8_t>(md.data(), len));
  std::array<char, 256> cn{};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn.data(), static_cast<int>(cn.size())) > 0) {
    out.common_name = cn.data();
  }
  X509_free(cert);
  beast::get_lowest_layer(stream).close();
  return out;
}

}  // namespace mw::server
