// Request classification: forwarded-header trust, domain selection, address allow-lists.
#include "request_info.hpp"
#include "text.hpp"

#include <algorithm>
#include <cctype>

namespace mw::server {
namespace {


std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::string strip_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    return std::string(close == std::string_view::npos ? host : host.substr(1, close - 1));
  }
  const auto colon = host.find(':');
  return std::string(colon == std::string_view::npos ? host : host.substr(0, colon));
}

// Normalises an address so "::ffff:10.0.0.1" and "10.0.0.1" compare equal.
bool parse_ip(const std::string& text, asio::ip::address& out) {
  boost::system::error_code ec;
  auto a = asio::ip::make_address(text, ec);
  if (ec) return false;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  out = a;
  return true;
}

bool in_range(const asio::ip::address& ip, const std::string& entry) {
  const auto slash = entry.find('/');
  asio::ip::address net;
  if (!parse_ip(trim(entry.substr(0, slash)), net)) return false;
  if (slash == std::string::npos) return net == ip;
  if (net.is_v4() != ip.is_v4()) return false;
  int bits = 0;
  const std::string b = entry.substr(slash + 1);
  if (b.empty() || b.size() > 3 || !std::all_of(b.begin(), b.end(), [](unsigned char c) { return std::isdigit(c); })) return false;
  bits = std::stoi(b);
  const int max = ip.is_v4() ? 32 : 128;
  if (bits > max) return false;
  auto bytes_of = [](const asio::ip::address& a) {
    std::vector<unsigned char> v;
    if (a.is_v4()) {
      auto x = a.to_v4().to_bytes();
      v.assign(x.begin(), x.end());
    } else {
      auto x = a.to_v6().to_bytes();
      v.assign(x.begin(), x.end());
    }
    return v;
  };
  const auto x = bytes_of(ip);
  const auto y = bytes_of(net);
  for (int i = 0; i < bits; ++i) {
    const int byte = i / 8, bit = 7 - i % 8;
    if (((x[byte] >> bit) & 1) != ((y[byte] >> bit) & 1)) return false;
  }
  return true;
}

}  // namespace

bool ip_allowed(const std::string& ip, const std::vector<std::string>& allowed) {
  if (allowed.empty()) return true;
  asio::ip::address a;
  if (!parse_ip(ip, a)) return false;
  return std::any_of(allowed.begin(), allowed.end(), [&](const std::string& e) { return in_range(a, e); });
}

bool trusted_proxy(const Settings& settings, const std::string& peer_ip) {
  if (!settings.tls_offload) return false;
  return settings.tls_offload_trusted.empty() || ip_allowed(peer_ip, settings.tls_offload_trusted);
}

RequestInfo describe_request(const http::request<http::string_body>& req, const Settings& settings,
                             const std::string& peer_ip, bool tls) {
  RequestInfo info;
  info.client_ip = peer_ip;
  info.secure = tls;
  info.host = ascii_lower(strip_port(trim(req[http::field::host])));
  if (trusted_proxy(settings, peer_ip)) {
    // The trusted proxy appends the address it saw last; earlier entries came from the client.
    const std::string_view xff = req["X-Forwarded-For"];
    if (!xff.empty()) {
      const auto comma = xff.rfind(',');
      const std::string last = trim(comma == std::string_view::npos ? xff : xff.substr(comma + 1));
      asio::ip::address parsed;
      if (parse_ip(last, parsed)) info.client_ip = parsed.to_string();
    }
    const std::string_view xfh = req["X-Forwarded-Host"];
    if (!xfh.empty()) info.host = ascii_lower(strip_port(trim(xfh.substr(0, xfh.find(',')))));
    const std::string proto = ascii_lower(trim(req["X-Forwarded-Proto"]));
    if (proto == "https") info.secure = true;
    if (proto == "http") info.secure = false;
  }

  const std::string_view target = req.target();
  std::string_view path = target.substr(0, target.find_first_of("?#"));
  info.domain = &settings.default_domain();
  // Dns-selected domains answer at the root of their host name.
  for (const auto& d : settings.domains) {
    if (!d.dns.empty() && ascii_lower(d.dns) == info.host) {
      info.domain = &d;
      info.path = std::string(path);
      return info;
    }
  }
  // Path-selected domains: "/customer1/..." (domain ids are lower-case; match the segment so).
  if (path.size() > 1) {
    const auto end = path.find('/', 1);
    const std::string segment = ascii_lower(path.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1));
    for (const auto& d : settings.domains) {
      if (d.id.empty() || !d.dns.empty() || d.id != segment) continue;
      info.domain = &d;
      info.domain_path = "/" + d.id;
      if (end == std::string_view::npos) {
        info.needs_slash_redirect = true;
        info.path = "/";
      } else {
        info.path = std::string(path.substr(end));
      }
      return info;
    }
  }
  info.path = std::string(path);
  return info;
}

}  // namespace mw::server
