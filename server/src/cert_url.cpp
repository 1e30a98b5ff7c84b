// Fetches an offloader's certificate with a TLS handshake (Asio + OpenSSL), under a deadline.
#include "cert_url.hpp"

#include <openssl/x509.h>

#include <stdexcept>

#include "certs.hpp"
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
  out.pem = certificate_pem(cert);
  out.common_name = certificate_common_name(cert);
  out.sha384_hex = certificate_sha384_hex(cert);
  X509_free(cert);
  beast::get_lowest_layer(stream).close();
  return out;
}

}  // namespace mw::server
