// The login side of the web server: the login page (server-rendered HTML, so password managers
// and accessibility tools work), POST /login, /logout, POST /createaccount, and the gate in front
// of the app page ("/"): a valid session cookie, a login token (?login=, when AllowLoginToken),
// or the NoUsers / User modes let the app load; anyone else gets the login page.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <string>

#include "http_responses.hpp"

namespace mw::server::accounts {

// Session cookie name (MeshCentral's is also "xid").
inline constexpr std::string_view kSessionCookie = "xid";

// True when the request is an account route; `respond` is then called once, possibly later on
// `ex` (password checks run off the I/O threads). False: route it as usual.
bool route_account_request(const http::request<http::string_body>& req, const ServerContext& ctx, const RequestInfo& info,
                           const std::string& peer_ip, boost::asio::any_io_executor ex,
                           std::function<void(AnyResponse)> respond);

// The login page of a domain; `error` (plain text) is shown above the form when not empty, and
// `username` is filled in again after a failed attempt.
std::string login_page(const ServerContext& ctx, const DomainSettings& domain, const std::string& domain_path,
                       const std::string& error, bool can_create, const std::string& username = "");

// Pieces of the server-rendered pages (login, mail links): the head, styles and header of a
// domain's page titled `title`, and its footer (Footer, terms link) with the closing tags.
std::string page_start(const DomainSettings& d, const std::string& domain_path, const std::string& title);
std::string page_end(const ServerContext& ctx, const DomainSettings& d, const std::string& domain_path);
std::string html_escape(std::string_view s);
// The domain's PasswordRequirements for people ("Password: at least 8 characters, ..."), or "".
std::string rules_hint(const DomainSettings& d);
// False when a browser says the POST came from another site's page (login CSRF).
bool same_origin(const http::request<http::string_body>& req, const RequestInfo& info);

// Decodes application/x-www-form-urlencoded text into the value of one field ("" if absent).
std::string form_field(std::string_view body, std::string_view name);

}  // namespace mw::server::accounts
