// Request routing for HTTPS: health, root certificate download, the browser app's static files.
#include "http_responses.hpp"

#include "mw/version.hpp"

namespace mw::server {

template <typename Response>
void add_security_headers(Response& res, const Settings& settings, bool tls) {
  (void)settings;
  res.set(http::field::server, "Meshwork");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Frame-Options", "DENY");
  res.set("Content-Security-Policy",
          "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; "
          "img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
  if (tls) res.set(http::field::strict_transport_security, "max-age=31536000");
}

template void add_security_headers(StringResponse&, const Settings&, bool);
template void add_security_headers(FileResponse&, const Settings&, bool);

StringResponse text_response(http::status status, unsigned version, bool keep_alive, std::string body,
                             std::string_view content_type) {
  StringResponse res{status, version};
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

namespace {

bool accepts_gzip(const http::request<http::string_body>& req) {
  const auto it = req.find(http::field::accept_encoding);
  return it != req.end() && it->value().find("gzip") != beast::string_view::npos;
}

AnyResponse serve_static(const http::request<http::string_body>& req, const ServerContext& ctx) {
  const bool keep = req.keep_alive();
  const auto found = ctx.files->lookup(std::string_view(req.target().data(), req.target().size()), accepts_gzip(req));
  if (!found) return text_response(http::status::not_found, req.version(), keep, "Not found\n");
  const auto inm = req.find(http::field::if_none_match);
  if (inm != req.end() && inm->value() == found->etag) {
    StringResponse res{http::status::not_modified, req.version()};
    res.set(http::field::etag, found->etag);
    res.keep_alive(keep);
    return res;
  }
  if (req.method() == http::verb::head) {
    StringResponse res{http::status::ok, req.version()};
    res.set(http::field::content_type, found->content_type);
    res.set(http::field::etag, found->etag);
    res.set(http::field::cache_control, "no-cache");
    if (found->gzip) res.set(http::field::content_encoding, "gzip");
    res.content_length(found->size);
    res.keep_alive(keep);
    return res;
  }
  beast::error_code ec;
  http::file_body::value_type body;
  body.open(found->path.c_str(), beast::file_mode::scan, ec);
  if (ec) return text_response(http::status::not_found, req.version(), keep, "Not found\n");
  const auto size = body.size();
  FileResponse res{std::piecewise_construct, std::make_tuple(std::move(body)),
                   std::make_tuple(http::status::ok, req.version())};
  res.set(http::field::content_type, found->content_type);
  res.set(http::field::etag, found->etag);
  res.set(http::field::cache_control, "no-cache");  // revalidate with the ETag
  res.set(http::field::vary, "Accept-Encoding");
  if (found->gzip) res.set(http::field::content_encoding, "gzip");
  res.content_length(size);
  res.keep_alive(keep);
  return res;
}

}  // namespace

AnyResponse handle_https_request(const http::request<http::string_body>& req, const ServerContext& ctx) {
  const bool keep = req.keep_alive();
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    auto res = text_response(http::status::method_not_allowed, req.version(), keep, "Method not allowed\n");
    res.set(http::field::allow, "GET, HEAD");
    return res;
  }
  const std::string_view target(req.target().data(), req.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/health.ashx") {
    return text_response(http::status::ok, req.version(), keep,
                         std::string("{\"status\":\"ok\",\"version\":\"") + kVersion + "\"}\n", "application/json");
  }
  if (path == "/MeshServerRootCert.cer" || path == "/root-cert-public.crt") {
    auto res = text_response(http::status::ok, req.version(), keep, ctx.certs->root().cert_pem,
                             "application/x-x509-ca-cert");
    res.set(http::field::content_disposition, "attachment; filename=\"MeshworkRootCert.crt\"");
    return res;
  }
  return serve_static(req, ctx);
}

}  // namespace mw::server
