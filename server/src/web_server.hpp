// The web server: the HTTPS listener (browser app, control channel) and the HTTP redirect
// listener, sharing one ServerContext. MPS and agent endpoints attach here in their issues.
#pragma once

#include <memory>

#include "listener.hpp"
#include "server_context.hpp"

namespace mw::server {

class WebServer {
 public:
  WebServer(asio::io_context& ioc, ServerContext& ctx);
  // Binds the listeners (throws on failure), fixes the public port in ctx.info, starts accepting.
  void start();
  void stop();
  int https_port() const { return https_ ? https_->port() : 0; }
  int redirect_port() const { return redirect_ ? redirect_->port() : 0; }

 private:
  asio::io_context& ioc_;
  ServerContext& ctx_;
  std::shared_ptr<Listener> https_;
  std::shared_ptr<Listener> redirect_;
};

// TLS 1.2+ server context with a web certificate (and the chain) and modern ciphers.
std::unique_ptr<ssl::context> make_tls_context(const CertKey& cert, const std::string& chain_pem);

// Installs SNI selection on ctx.tls: a client naming a domain's Dns host gets that domain's
// certificate (ctx.sni_contexts), every other client the default web certificate.
void enable_sni(ServerContext& ctx);
// From now on, new web connections (those not for a Dns domain) get `tls`'s certificate. Call on
// an I/O thread or before the listeners start; enable_sni must have run.
void set_web_certificate(ServerContext& ctx, std::unique_ptr<ssl::context> tls);

}  // namespace mw::server
