// Builders for the server's HTTP responses, shared by the HTTPS and redirect sessions: security
// headers, errors and static files, so every response carries the same policy.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "net.hpp"
#include "server_context.hpp"

namespace mw::server {

using StringResponse = http::response<http::string_body>;
using FileResponse = http::response<http::file_body>;
using AnyResponse = std::variant<StringResponse, FileResponse>;

// Adds the headers every response carries (nosniff, Referrer-Policy, framing policy, HSTS on TLS).
template <typename Response>
void add_security_headers(Response& res, const Settings& settings, bool tls);

StringResponse text_response(http::status status, unsigned version, bool keep_alive, std::string body,
                             std::string_view content_type = "text/plain; charset=utf-8");

// Routes one request of an HTTPS session (everything but WebSocket upgrades).
AnyResponse handle_https_request(const http::request<http::string_body>& req, const ServerContext& ctx);

}  // namespace mw::server
