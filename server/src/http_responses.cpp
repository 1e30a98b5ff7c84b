// Request routing: health, metrics, root certificate, terms and branding files, the browser app.
#include "http_responses.hpp"

#include <sys/sysinfo.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include <fstream>
#include <sstream>

#include "accounts/service.hpp"
#include "agents/mesh_relay.hpp"
#include "agents/registry.hpp"
#include "amt/amt_manager.hpp"
#include "amt/mps_server.hpp"
#include "mw/version.hpp"
#include "peers/peering.hpp"

namespace mw::server {

template <typename Response>
void add_security_headers(Response& res, const DomainSettings& domain, bool secure) {
  res.set(http::field::server, "Meshwork");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  std::string csp =
      "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; "
      "img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'";
  if (!domain.allow_framing) {
    res.set("X-Frame-Options", "DENY");
    csp += "; frame-ancestors 'none'";
  }
  res.set("Content-Security-Policy", csp);
  if (secure) res.set(http::field::strict_transport_security, "max-age=31536000");
}

template void add_security_headers(StringResponse&, const DomainSettings&, bool);
template void add_security_headers(FileResponse&, const DomainSettings&, bool);
template void add_security_headers(CachedResponse&, const DomainSettings&, bool);

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
  return it != req.end() && it->value().find("gzip") != std::string_view::npos;
}

bool is_loopback(const std::string& ip) {
  boost::system::error_code ec;
  const auto a = asio::ip::make_address(ip, ec);
  return !ec && a.is_loopback();
}

AnyResponse serve_file(const http::request<http::string_body>& req, const StaticFiles& files,
                       const StaticFiles::Found& found) {
  const bool keep = req.keep_alive();
  const auto inm = req.find(http::field::if_none_match);
  if (inm != req.end() && inm->value() == found.etag) {
    StringResponse res{http::status::not_modified, req.version()};
    res.set(http::field::etag, found.etag);
    res.keep_alive(keep);
    return res;
  }
  if (req.method() == http::verb::head) {
    StringResponse res{http::status::ok, req.version()};
    res.set(http::field::content_type, found.content_type);
    res.set(http::field::etag, found.etag);
    res.set(http::field::cache_control, "no-cache");
    if (found.gzip) res.set(http::field::content_encoding, "gzip");
    res.content_length(found.size);
    res.keep_alive(keep);
    return res;
  }
  if (auto data = files.cached(found)) {
    CachedResponse res{http::status::ok, req.version()};
    res.set(http::field::content_type, found.content_type);
    res.set(http::field::etag, found.etag);
    res.set(http::field::cache_control, "no-cache");  // revalidate with the ETag
    res.set(http::field::vary, "Accept-Encoding");
    if (found.gzip) res.set(http::field::content_encoding, "gzip");
    res.body() = std::move(data);
    res.content_length(found.size);
    res.keep_alive(keep);
    return res;
  }
  beast::error_code ec;
  http::file_body::value_type body;
  body.open(found.path.c_str(), beast::file_mode::scan, ec);
  if (ec) return text_response(http::status::not_found, req.version(), keep, "Not found\n");
  const auto size = body.size();
  FileResponse res{std::piecewise_construct, std::make_tuple(std::move(body)),
                   std::make_tuple(http::status::ok, req.version())};
  res.set(http::field::content_type, found.content_type);
  res.set(http::field::etag, found.etag);
  res.set(http::field::cache_control, "no-cache");  // revalidate with the ETag
  res.set(http::field::vary, "Accept-Encoding");
  if (found.gzip) res.set(http::field::content_encoding, "gzip");
  res.content_length(size);
  res.keep_alive(keep);
  return res;
}

// A file of the data folder named by a setting (terms.txt, TitlePicture): plain name only.
AnyResponse serve_data_file(const http::request<http::string_body>& req, const ServerContext& ctx,
                            const std::string& name) {
  const StaticFiles data(ctx.settings.datapath);
  const auto found = name.find('/') == std::string::npos ? data.lookup("/" + name, false) : std::nullopt;
  if (!found) return text_response(http::status::not_found, req.version(), req.keep_alive(), "Not found\n");
  return serve_file(req, data, *found);
}

// Resident set size from /proc/self/statm (pages), 0 where unavailable.
std::uint64_t resident_bytes() {
  std::ifstream in("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

nlohmann::json server_stats(const ServerContext& ctx, nlohmann::json counts) {
  using nlohmann::json;
  json a{{"action", "serverstats"}, {"version", kVersion}};
  if (counts.contains("responseid")) {
    a["responseid"] = counts["responseid"];
    counts.erase("responseid");
  }
  a["uptime"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.metrics.started).count();
  a["rss"] = resident_bytes();
  struct sysinfo si {};
  if (::sysinfo(&si) == 0) {
    a["totalmem"] = static_cast<std::uint64_t>(si.totalram) * si.mem_unit;
    a["freemem"] = static_cast<std::uint64_t>(si.freeram) * si.mem_unit;
  }
  double load[3] = {0, 0, 0};
  if (::getloadavg(load, 3) == 3) a["cpuavg"] = {load[0], load[1], load[2]};
  counts["UsersSessions"] = ctx.metrics.control_sessions.load();
  counts["AgentSessions"] = ctx.agents ? ctx.agents->size() : 0;
  counts["RelaySessions"] = ctx.relays ? ctx.relays->open() : 0;
  counts["ConnectedIntelAMT"] = ctx.mps ? ctx.mps->connections() : 0;
  a["values"] = {{"serverStats", std::move(counts)}};
  if (ctx.peering) {
    const auto linked = ctx.peering->connected();
    json servers = json::array();
    for (const auto& p : ctx.peering->settings().servers) {
      servers.push_back({{"id", p.id}, {"url", p.url}, {"connected", std::find(linked.begin(), linked.end(), p.id) != linked.end()}});
    }
    a["peers"] = {{"serverid", ctx.peering->settings().server_id}, {"servers", std::move(servers)}};
  }
  return a;
}

std::string metrics_text(const ServerContext& ctx) {
  const auto& m = ctx.metrics;
  const double uptime =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - m.started).count();
  std::ostringstream out;
  out << "# HELP meshwork_info Server identity.\n# TYPE meshwork_info gauge\n"
      << "meshwork_info{version=\"" << kVersion << "\"} 1\n"
      << "# HELP meshwork_uptime_seconds Seconds since start.\n# TYPE meshwork_uptime_seconds gauge\n"
      << "meshwork_uptime_seconds " << uptime << "\n"
      << "# HELP meshwork_connections_total Accepted connections by kind.\n# TYPE meshwork_connections_total counter\n"
      << "meshwork_connections_total{kind=\"web\"} " << m.http_connections.load() << "\n"
      << "meshwork_connections_total{kind=\"redirect\"} " << m.redirect_connections.load() << "\n"
      << "# HELP meshwork_http_requests_total HTTP requests read.\n# TYPE meshwork_http_requests_total counter\n"
      << "meshwork_http_requests_total " << m.http_requests.load() << "\n"
      << "# HELP meshwork_control_sessions Open control channels.\n# TYPE meshwork_control_sessions gauge\n"
      << "meshwork_control_sessions " << m.control_sessions.load() << "\n"
      << "# HELP meshwork_resident_memory_bytes Resident memory of the server process.\n"
      << "# TYPE meshwork_resident_memory_bytes gauge\n"
      << "meshwork_resident_memory_bytes " << resident_bytes() << "\n"
      << "# HELP meshwork_static_cache_bytes Memory held by the static file cache.\n"
      << "# TYPE meshwork_static_cache_bytes gauge\n"
      << "meshwork_static_cache_bytes " << (ctx.files ? ctx.files->cache_bytes() : 0) << "\n";
  if (ctx.accounts) {
    const auto& c = ctx.accounts->counters();
    out << "# HELP meshwork_logins_total Password logins by outcome (repeat: recognised without PBKDF2).\n"
        << "# TYPE meshwork_logins_total counter\n"
        << "meshwork_logins_total{result=\"ok\"} " << c.logins_ok.load() << "\n"
        << "meshwork_logins_total{result=\"failed\"} " << c.logins_failed.load() << "\n"
        << "meshwork_logins_total{result=\"throttled\"} " << c.logins_throttled.load() << "\n"
        << "meshwork_logins_total{result=\"repeat\"} " << c.logins_repeat.load() << "\n"
        << "# HELP meshwork_event_subscribers Logged-in control channels receiving live events.\n"
        << "# TYPE meshwork_event_subscribers gauge\n"
        << "meshwork_event_subscribers " << ctx.accounts->bus().size() << "\n";
  }
  if (ctx.mps) {
    const auto& c = ctx.mps->counters();
    out << "# HELP meshwork_mps_devices Intel AMT devices connected by CIRA.\n# TYPE meshwork_mps_devices gauge\n"
        << "meshwork_mps_devices " << ctx.mps->connections() << "\n"
        << "# HELP meshwork_mps_connections_total MPS connections accepted.\n# TYPE meshwork_mps_connections_total counter\n"
        << "meshwork_mps_connections_total " << c.accepted.load() << "\n"
        << "# HELP meshwork_mps_logins_total CIRA logins by outcome.\n# TYPE meshwork_mps_logins_total counter\n"
        << "meshwork_mps_logins_total{result=\"ok\"} " << c.logins_ok.load() << "\n"
        << "meshwork_mps_logins_total{result=\"refused\"} " << c.logins_refused.load() << "\n";
  }
  if (ctx.agents) {
    out << "# HELP meshwork_agents Agents connected (proof accepted).\n# TYPE meshwork_agents gauge\n"
        << "meshwork_agents " << ctx.agents->size() << "\n";
  }
  if (ctx.peering) {
    out << "# HELP meshwork_peer_links Peer servers linked (of those configured).\n# TYPE meshwork_peer_links gauge\n"
        << "meshwork_peer_links " << ctx.peering->connected().size() << "\n"
        << "# HELP meshwork_peer_servers Peer servers configured.\n# TYPE meshwork_peer_servers gauge\n"
        << "meshwork_peer_servers " << ctx.peering->settings().servers.size() << "\n";
  }
  if (ctx.relays) {
    out << "# HELP meshwork_relays_waiting Relays waiting for their agent.\n# TYPE meshwork_relays_waiting gauge\n"
        << "meshwork_relays_waiting " << ctx.relays->pending() << "\n";
  }
  if (ctx.amt) {
    const auto& c = ctx.amt->counters();
    out << "# HELP meshwork_amt_operations_total Intel AMT management operations by kind.\n"
        << "# TYPE meshwork_amt_operations_total counter\n"
        << "meshwork_amt_operations_total{op=\"inventory\"} " << c.inventories.load() << "\n"
        << "meshwork_amt_operations_total{op=\"power\"} " << c.power_actions.load() << "\n"
        << "meshwork_amt_operations_total{op=\"failed\"} " << c.failures.load() << "\n";
  }
  if (ctx.db) {
    out << "# HELP meshwork_db_queries_total Database operations by kind.\n# TYPE meshwork_db_queries_total counter\n";
    const auto stats = ctx.db->stats();
    for (const auto& st : stats) out << "meshwork_db_queries_total{op=\"" << st.op << "\"} " << st.queries << "\n";
    out << "# HELP meshwork_db_errors_total Failed database operations by kind.\n# TYPE meshwork_db_errors_total counter\n";
    for (const auto& st : stats) out << "meshwork_db_errors_total{op=\"" << st.op << "\"} " << st.errors << "\n";
    out << "# HELP meshwork_db_seconds_total Time spent in database operations.\n# TYPE meshwork_db_seconds_total counter\n";
    for (const auto& st : stats) {
      out << "meshwork_db_seconds_total{op=\"" << st.op << "\"} " << static_cast<double>(st.total_us) / 1e6 << "\n";
    }
  }
  return out.str();
}

AnyResponse handle_request(const http::request<http::string_body>& req, const ServerContext& ctx,
                           const RequestInfo& info, const std::string& peer_ip) {
  const bool keep = req.keep_alive();
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    auto res = text_response(http::status::method_not_allowed, req.version(), keep, "Method not allowed\n");
    res.set(http::field::allow, "GET, HEAD");
    return res;
  }
  if (info.needs_slash_redirect) {
    auto res = text_response(http::status::moved_permanently, req.version(), keep, "Moved\n");
    res.set(http::field::location, info.domain_path + "/");
    return res;
  }
  const std::string& path = info.path;
  if (path == "/health.ashx") {
    return text_response(http::status::ok, req.version(), keep,
                         std::string("{\"status\":\"ok\",\"version\":\"") + kVersion + "\"}\n", "application/json");
  }
  if (path == "/metrics") {
    if (!is_loopback(peer_ip)) return text_response(http::status::forbidden, req.version(), keep, "Forbidden\n");
    return text_response(http::status::ok, req.version(), keep, metrics_text(ctx), "text/plain; version=0.0.4");
  }
  if (path == "/MeshServerRootCert.cer" || path == "/root-cert-public.crt") {
    auto res = text_response(http::status::ok, req.version(), keep, ctx.certs->root().cert_pem,
                             "application/x-x509-ca-cert");
    res.set(http::field::content_disposition, "attachment; filename=\"MeshworkRootCert.crt\"");
    return res;
  }
  if (path == "/terms.txt") return serve_data_file(req, ctx, "terms.txt");
  if (path == "/titlepicture") {
    if (info.domain->title_picture.empty()) return text_response(http::status::not_found, req.version(), keep, "Not found\n");
    return serve_data_file(req, ctx, info.domain->title_picture);
  }
  if ((path == "/" || path == "/index.html") && !ip_allowed(info.client_ip, info.domain->user_allowed_ip)) {
    return text_response(http::status::forbidden, req.version(), keep, "Access denied from this address\n");
  }
  const auto found = ctx.files->lookup(path, accepts_gzip(req));
  if (!found) return text_response(http::status::not_found, req.version(), keep, "Not found\n");
  return serve_file(req, *ctx.files, *found);
}

}  // namespace mw::server
