// Web server wiring: TLS context, listeners and the sessions they hand sockets to.
#include "web_server.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>

#include "https_session.hpp"
#include "log.hpp"
#include "text.hpp"
#include "redirect_session.hpp"

namespace mw::server {

std::unique_ptr<ssl::context> make_tls_context(const CertKey& cert, const std::string& chain_pem) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  // TLS 1.2: forward-secret AEAD suites only (TLS 1.3 suites are OpenSSL's defaults, all AEAD).
  // AES-128-GCM first: as strong as needed for 128-bit security with a quarter fewer AES rounds than
  // AES-256 on bulk transfers (relays, files); the client may still pick what it prefers.
  SSL_CTX_set_cipher_list(ctx->native_handle(),
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
  SSL_CTX_set_ciphersuites(ctx->native_handle(),
                           "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  // OpenSSL's record buffers are freed while a connection is idle: most agents and browsers are
  // idle most of the time, and each buffer is about 17 KiB (measured in docs/performance.md).
  SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  const std::string chain = cert.cert_pem + chain_pem;
  ctx->use_certificate_chain(asio::buffer(chain));
  ctx->use_private_key(asio::buffer(cert.key_pem), ssl::context::pem);
  return ctx;
}

namespace {
// OpenSSL calls this for every ClientHello (with or without a server name): a Dns domain's own
// certificate by SNI, else the web certificate that replaced the startup one (Let's Encrypt).
int select_certificate(SSL* ssl, int*, void* arg) {
  const auto* ctx = static_cast<const ServerContext*>(arg);
  if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) {
    const auto it = ctx->sni_contexts.find(ascii_lower(name));
    if (it != ctx->sni_contexts.end()) {
      SSL_set_SSL_CTX(ssl, it->second->native_handle());
      return SSL_TLSEXT_ERR_OK;
    }
  }
  if (SSL_CTX* replaced = ctx->web_tls_override.load()) SSL_set_SSL_CTX(ssl, replaced);
  return SSL_TLSEXT_ERR_OK;
}
}  // namespace

void set_web_certificate(ServerContext& ctx, std::unique_ptr<ssl::context> tls) {
  ctx.web_tls_override.store(tls->native_handle());
  ctx.web_tls_replaced.push_back(std::move(tls));  // kept: connections made with the previous one may still use it
}

void enable_sni(ServerContext& ctx) {
  if (ctx.sni_contexts.empty() && !ctx.settings.lets_encrypt) return;
  SSL_CTX_set_tlsext_servername_callback(ctx.tls->native_handle(), select_certificate);
  SSL_CTX_set_tlsext_servername_arg(ctx.tls->native_handle(), &ctx);
}

WebServer::WebServer(asio::io_context& ioc, ServerContext& ctx) : ioc_(ioc), ctx_(ctx) {}

void WebServer::start() {
  const auto& s = ctx_.settings;
  // Behind a TLS offloader (TlsOffload) the web port speaks plain HTTP; the routes are the same.
  https_ = std::make_shared<Listener>(ioc_, s.port_bind, s.port, s.exact_ports, s.tls_offload ? "HTTP (TLS offload)" : "HTTPS",
                                      [this](tcp::socket sock) {
                                        ctx_.metrics.http_connections.fetch_add(1, std::memory_order_relaxed);
                                        if (ctx_.settings.tls_offload) {
                                          std::make_shared<PlainHttpSession>(std::move(sock), ctx_)->run();
                                        } else {
                                          std::make_shared<HttpsSession>(std::move(sock), ctx_)->run();
                                        }
                                      });
  ctx_.info.port = s.public_port(https_->port());
  if (s.redir_port > 0) {
    const int target = ctx_.info.port;
    redirect_ = std::make_shared<Listener>(ioc_, s.port_bind, s.redir_port, s.exact_ports, "HTTP redirect",
                                           [this, target](tcp::socket sock) {
                                             ctx_.metrics.redirect_connections.fetch_add(1, std::memory_order_relaxed);
                                             std::make_shared<RedirectSession>(std::move(sock), ctx_, target)->run();
                                           });
  }
  https_->start();
  if (redirect_) redirect_->start();
}

void WebServer::stop() {
  if (https_) https_->stop();
  if (redirect_) redirect_->stop();
}

}  // namespace mw::server
