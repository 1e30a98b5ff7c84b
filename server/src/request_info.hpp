// Who is asking and for which domain: the client address (X-Forwarded-For only from trusted TLS
// offloaders), host, scheme, the domain selected by Dns host name or by path prefix, and the path
// inside that domain. Computed once per request from the request and the connection.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "net.hpp"
#include "settings.hpp"

namespace mw::server {

struct RequestInfo {
  std::string client_ip;   // the peer, or the forwarded client when the peer is a trusted proxy
  std::string host;        // host name without port
  bool secure = true;      // https as the browser sees it
  const DomainSettings* domain = nullptr;
  std::string domain_path;  // "" or "/customer1": the prefix of the domain's URLs
  std::string path;         // path inside the domain, starting with '/', without the query
  bool needs_slash_redirect = false;  // "/customer1" was asked: answer 301 to "/customer1/"
};

RequestInfo describe_request(const http::request<http::string_body>& req, const Settings& settings,
                             const std::string& peer_ip, bool tls);

// True when `ip` is listed in `allowed` (addresses or CIDR ranges, IPv4 or IPv6); an empty list
// allows everyone. Malformed entries never match.
bool ip_allowed(const std::string& ip, const std::vector<std::string>& allowed);

// Whether X-Forwarded-* from `peer_ip` is to be believed under these settings.
bool trusted_proxy(const Settings& settings, const std::string& peer_ip);

}  // namespace mw::server
