// What every connection of the web server shares: settings, certificates, the TLS context, the
// static file handler and the server's identity. Created once at start, read-only afterwards.
#pragma once

#include <memory>

#include "certs.hpp"
#include "mw/proto/control.hpp"
#include "net.hpp"
#include "settings.hpp"
#include "static_files.hpp"

namespace mw::server {

struct ServerContext {
  Settings settings;
  HttpLimits limits;
  std::unique_ptr<CertificateStore> certs;
  std::unique_ptr<ssl::context> tls;
  std::unique_ptr<StaticFiles> files;
  proto::ServerInfo info;
};

}  // namespace mw::server
