// Builders for the server's HTTP responses and the routing of plain requests, shared by the
// HTTPS, offloaded-HTTP and redirect sessions, so every response carries the same policy.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "net.hpp"
#include "request_info.hpp"
#include "server_context.hpp"

namespace mw::server {

using StringResponse = http::response<http::string_body>;
using FileResponse = http::response<http::file_body>;
using CachedResponse = http::response<SharedBufferBody>;
using AnyResponse = std::variant<StringResponse, FileResponse, CachedResponse>;

// Headers every response carries: nosniff, Referrer-Policy, the framing policy of the domain
// (X-Frame-Options DENY and CSP frame-ancestors 'none' unless AllowFraming), HSTS when secure.
template <typename Response>
void add_security_headers(Response& res, const DomainSettings& domain, bool secure);

StringResponse text_response(http::status status, unsigned version, bool keep_alive, std::string body,
                             std::string_view content_type = "text/plain; charset=utf-8");

// Routes one request (everything but WebSocket upgrades). `peer_ip` is the real peer (not a
// forwarded address): /metrics answers loopback peers only.
AnyResponse handle_request(const http::request<http::string_body>& req, const ServerContext& ctx,
                           const RequestInfo& info, const std::string& peer_ip);

// Prometheus text exposition of the server's counters.
std::string metrics_text(const ServerContext& ctx);

// The control channel's "serverstats" answer (My Server), as MeshCentral shapes it: totalmem,
// freemem, cpuavg and values.serverStats (`counts`: what the database counted, UserAccounts and
// DeviceGroups, plus its responseid), with the live connections added, and Meshwork's version,
// uptime (s) and rss (bytes).
nlohmann::json server_stats(const ServerContext& ctx, nlohmann::json counts);

}  // namespace mw::server
