// Login routes (login_routes.hpp).
#include "accounts/login_routes.hpp"

#include <filesystem>

#include "accounts/account_mail.hpp"
#include "accounts/rights.hpp"
#include "accounts/service.hpp"
#include "control_session.hpp"
#include "log.hpp"

namespace mw::server::accounts {

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

namespace {

bool loopback(const std::string& ip) {
  boost::system::error_code ec;
  const auto a = asio::ip::make_address(ip, ec);
  return !ec && a.is_loopback();
}

std::string set_cookie(const std::string& value, const std::string& path, int max_age_s) {
  return std::string(kSessionCookie) + "=" + value + "; Path=" + path + "; Max-Age=" + std::to_string(max_age_s) +
         "; HttpOnly; Secure; SameSite=Strict";
}

template <typename F>
void add_header(AnyResponse& res, http::field f, const std::string& v, F&&) {
  std::visit([&](auto& r) { r.insert(f, v); }, res);
}

StringResponse html(http::status status, unsigned version, bool keep, std::string body) {
  return text_response(status, version, keep, std::move(body), "text/html; charset=utf-8");
}

StringResponse see_other(unsigned version, bool keep, const std::string& location) {
  auto r = text_response(http::status::see_other, version, keep, "See " + location + "\n");
  r.set(http::field::location, location);
  return r;
}

}  // namespace

std::string rules_hint(const DomainSettings& d) {
  std::vector<std::string> parts;
  if (d.password_min > 0) parts.push_back("at least " + std::to_string(d.password_min) + " characters");
  if (d.password_upper > 0) parts.push_back(std::to_string(d.password_upper) + " upper-case");
  if (d.password_lower > 0) parts.push_back(std::to_string(d.password_lower) + " lower-case");
  if (d.password_numeric > 0) parts.push_back(std::to_string(d.password_numeric) + " digit(s)");
  if (d.password_nonalpha > 0) parts.push_back(std::to_string(d.password_nonalpha) + " symbol(s)");
  std::string s;
  for (std::size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
  return s.empty() ? s : "Password: " + s + ".";
}

// A POST from another site's page must not log a browser in or out (login CSRF): when the
// browser says where the form came from, it must be this host.
bool same_origin(const http::request<http::string_body>& req, const RequestInfo& info) {
  // Browsers say it in Sec-Fetch-Site (Chromium sends "Origin: null" for form posts from a page
  // with Referrer-Policy no-referrer, so Origin alone is not enough).
  const auto site = req["Sec-Fetch-Site"];
  if (!site.empty()) return site == "same-origin" || site == "none";
  const auto origin = req[http::field::origin];
  if (origin.empty() || origin == "null") return true;  // not a browser, or a browser hiding it
  std::string_view o = origin;
  const auto scheme = o.find("://");
  if (scheme != std::string_view::npos) o.remove_prefix(scheme + 3);
  const auto colon = o.rfind(':');
  const auto bracket = o.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) o = o.substr(0, colon);
  if (!o.empty() && o.front() == '[' && o.back() == ']') o = o.substr(1, o.size() - 2);
  std::string host = info.host;
  if (!host.empty() && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return o == host;
}

namespace {

// The app page with the session cookie attached.
void serve_app(const http::request<http::string_body>& req, const ServerContext& ctx, const RequestInfo& info,
               const std::string& peer_ip, const std::string* new_cookie, const std::function<void(AnyResponse)>& respond) {
  AnyResponse res = handle_request(req, ctx, info, peer_ip);
  std::visit([](auto& r) { r.set(http::field::cache_control, "no-store"); }, res);
  if (new_cookie) {
    add_header(res, http::field::set_cookie, set_cookie(*new_cookie, info.domain_path + "/", ctx.settings.session_time_minutes * 60), 0);
  }
  respond(std::move(res));
}

// A page opened with a login token may live in another site's iframe (AllowFraming), where the
// browser sends no SameSite cookie with the app's requests. Such a page carries its session in
// <meta name="mw-auth">, which the app sends as ?auth= on its WebSockets (accepted there as the
// cookie is, see authenticate_websocket). Only token logins get this: the token in the address
// was already as good as the session.
void serve_app_with_auth(const http::request<http::string_body>& req, const ServerContext& ctx, const RequestInfo& info,
                         const std::string& peer_ip, const std::string& session, const std::function<void(AnyResponse)>& respond) {
  const auto found = ctx.files ? ctx.files->lookup("/", false) : std::nullopt;
  const auto html = found && found->content_type.starts_with("text/html") ? ctx.files->cached(*found) : nullptr;
  if (!html) return serve_app(req, ctx, info, peer_ip, &session, respond);
  std::string body = *html;
  // In the head: before </head>, or (a page without one) right after the doctype.
  auto head = body.find("</head>");
  if (head == std::string::npos) head = body.rfind("<!doctype", 0) == 0 || body.rfind("<!DOCTYPE", 0) == 0 ? body.find('>') + 1 : 0;
  body.insert(head, "<meta name=\"mw-auth\" content=\"" + html_escape(session) + "\">");
  StringResponse res = text_response(http::status::ok, req.version(), req.keep_alive(), std::move(body), "text/html; charset=utf-8");
  add_security_headers(res, *info.domain, info.secure);
  res.set(http::field::set_cookie, set_cookie(session, info.domain_path + "/", ctx.settings.session_time_minutes * 60));
  respond(AnyResponse(std::move(res)));
}

}  // namespace

std::string form_field(std::string_view body, std::string_view name) {
  return query_param(std::string("?") + std::string(body), name);
}

std::string page_start(const DomainSettings& d, const std::string& domain_path, const std::string& title) {
  std::string h;
  h += "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\">";
  h += "<title>" + html_escape(d.title) + " - " + html_escape(title) + "</title>";
  h += "<style>"
       "body{margin:0;font:15px/1.5 'DejaVu Sans',system-ui,sans-serif;background:#1f2430;color:#e6e9ef;"
       "min-height:100vh;display:flex;flex-direction:column}"
       "header{padding:14px 24px;background:#161a22;border-bottom:1px solid #2c3342;display:flex;align-items:center;gap:14px}"
       "header img{height:40px}header h1{margin:0;font-size:20px;font-weight:600}header p{margin:0;color:#9aa3b5;font-size:13px}"
       "main{flex:1;display:flex;align-items:flex-start;justify-content:center;gap:32px;padding:48px 16px;flex-wrap:wrap}"
       "form,.box{background:#262c3a;border:1px solid #343c4f;border-radius:8px;padding:24px;width:320px}"
       ".box{width:420px}form h2,.box h2{margin:0 0 16px;font-size:17px}label{display:block;margin:10px 0 4px;color:#b9c1d1;font-size:13px}"
       "input{box-sizing:border-box;width:100%;padding:9px 10px;border-radius:5px;border:1px solid #465069;"
       "background:#1b202b;color:#e6e9ef;font-size:15px}input:focus{outline:2px solid #4c8dff;border-color:#4c8dff}"
       "button{margin-top:18px;width:100%;padding:10px;border:0;border-radius:5px;background:#3d7cf0;color:#fff;"
       "font-size:15px;font-weight:600;cursor:pointer}button:hover{background:#2f6ad6}"
       ".error{background:#4a1f25;border:1px solid #a23b48;color:#ffd9de;padding:8px 10px;border-radius:5px;margin-bottom:8px}"
       ".note{background:#1f3a2c;border:1px solid #3b8a5f;color:#d9ffe8;padding:8px 10px;border-radius:5px;margin-bottom:8px}"
       ".hint{color:#9aa3b5;font-size:12px;margin-top:6px}"
       "details{margin-top:14px;color:#b9c1d1;font-size:13px}summary{cursor:pointer;color:#8fb4ff}"
       "footer{padding:10px 24px;color:#8a93a6;font-size:12px;border-top:1px solid #2c3342;display:flex;justify-content:space-between}"
       "a{color:#8fb4ff}</style></head><body>\n";
  h += "<header>";
  if (!d.title_picture.empty()) h += "<img src=\"" + html_escape(domain_path) + "/titlepicture\" alt=\"\">";
  h += "<div><h1>" + html_escape(d.title) + "</h1>";
  if (!d.title2.empty()) h += "<p>" + html_escape(d.title2) + "</p>";
  h += "</div></header>\n<main>\n";
  return h;
}

std::string page_end(const ServerContext& ctx, const DomainSettings& d, const std::string& domain_path) {
  const bool terms = std::filesystem::is_regular_file(ctx.settings.datapath / "terms.txt");
  std::string h = "</main>\n<footer><span>" + html_escape(d.footer) + "</span>";
  if (terms) h += "<a href=\"" + html_escape(domain_path) + "/terms.txt\">Terms of use</a>";
  h += "</footer></body></html>\n";
  return h;
}

std::string login_page(const ServerContext& ctx, const DomainSettings& d, const std::string& domain_path,
                       const std::string& error, bool can_create, const std::string& username) {
  const bool mail = ctx.settings.email_check();
  std::string h = page_start(d, domain_path, "Login");
  h += "<form id=\"login\" method=\"post\" action=\"" + html_escape(domain_path) + "/login\"><h2>Log in</h2>";
  if (!error.empty()) h += "<div class=\"error\" role=\"alert\" id=\"error\">" + html_escape(error) + "</div>";
  h += "<label for=\"username\">User name</label><input id=\"username\" name=\"username\" autocomplete=\"username\" required";
  h += username.empty() ? " autofocus>" : " value=\"" + html_escape(username) + "\">";
  h += "<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" "
       "autocomplete=\"current-password\" required";
  h += username.empty() ? ">" : " autofocus>";
  h += "<button type=\"submit\">Log in</button></form>\n";
  if (mail) {
    // Password recovery by mail (MeshCentral's "Reset account"), for accounts with a verified address.
    h += "<form id=\"reset\" method=\"post\" action=\"" + html_escape(domain_path) + "/resetaccount\"><h2>Forgot your password?</h2>"
         "<label for=\"reset-email\">Email of your account</label><input id=\"reset-email\" name=\"email\" type=\"email\" "
         "autocomplete=\"email\" required><div class=\"hint\">We send a link to set a new password to a verified address.</div>"
         "<button type=\"submit\">Reset account</button></form>\n";
  }
  if (can_create) {
    h += "<form id=\"create\" method=\"post\" action=\"" + html_escape(domain_path) + "/createaccount\"><h2>Create an account</h2>"
         "<label for=\"new-username\">User name</label><input id=\"new-username\" name=\"username\" autocomplete=\"username\" required>";
    h += mail ? "<label for=\"new-email\">Email</label><input id=\"new-email\" name=\"email\" type=\"email\" autocomplete=\"email\" required>"
              : "<label for=\"new-email\">Email (optional)</label><input id=\"new-email\" name=\"email\" type=\"email\" autocomplete=\"email\">";
    h += "<label for=\"password1\">Password</label><input id=\"password1\" name=\"password1\" type=\"password\" autocomplete=\"new-password\" required>"
         "<label for=\"password2\">Password again</label><input id=\"password2\" name=\"password2\" type=\"password\" autocomplete=\"new-password\" required>";
    const std::string hint = rules_hint(d);
    if (!hint.empty()) h += "<div class=\"hint\">" + html_escape(hint) + "</div>";
    if (mail) h += "<div class=\"hint\">A mail with a link confirms the address before the first login.</div>";
    h += "<button type=\"submit\">Create account</button></form>\n";
  }
  return h + page_end(ctx, d, domain_path);
}

bool route_account_request(const http::request<http::string_body>& req, const ServerContext& ctx, const RequestInfo& info,
                           const std::string& peer_ip, boost::asio::any_io_executor ex,
                           std::function<void(AnyResponse)> respond) {
  if (!ctx.accounts || info.needs_slash_redirect) return false;
  const std::string& path = info.path;
  const bool get = req.method() == http::verb::get || req.method() == http::verb::head;
  const bool post = req.method() == http::verb::post;
  const bool keep = req.keep_alive();
  const unsigned version = req.version();
  const DomainSettings& d = *info.domain;
  Service& acc = *ctx.accounts;
  const std::string home = info.domain_path + "/";
  if (route_mail_request(req, ctx, info, ex, respond)) return true;

  // A page with the login form, telling whether "create account" is offered (NewAccounts, or a
  // domain without any account yet: its first account becomes the administrator).
  auto show_login = [&ctx, info, ex, respond, keep, version](http::status status, std::string error, int retry_after,
                                                              std::string username = {}) {
    const std::string domain = info.domain->id;
    const DomainSettings* dp = info.domain;
    const std::string domain_path = info.domain_path;
    auto answer = [&ctx, dp, domain_path, respond, keep, version, status, error, retry_after, username](bool can_create) {
      auto r = html(status, version, keep, login_page(ctx, *dp, domain_path, error, can_create, username));
      if (retry_after > 0) r.set(http::field::retry_after, std::to_string(retry_after));
      respond(std::move(r));
    };
    // Only a domain not yet known to have accounts needs the database to decide.
    if (dp->new_accounts || ctx.accounts->known_to_have_users(domain)) return answer(dp->new_accounts);
    ctx.async_db->run(ex, [domain](store::Store& s) { return count_users(s, domain).value_or(1); },
                      [&ctx, domain, answer](std::int64_t users) {
                        if (users > 0) ctx.accounts->note_has_users(domain);
                        answer(users == 0);
                      });
  };

  if (path == "/" || path == "/index.html") {
    if (!get) return false;  // handle_request answers 405
    if (!ip_allowed(info.client_ip, d.user_allowed_ip)) return false;  // handle_request answers 403
    const std::string token = query_param(req.target(), "login");
    if (ctx.settings.no_users || !ctx.settings.user.empty()) {
      if (ctx.settings.no_users && !loopback(info.client_ip)) {
        respond(text_response(http::status::forbidden, version, keep, "This server runs without accounts (NoUsers) and answers this computer only.\n"));
        return true;
      }
      const std::string uid = ctx.settings.no_users ? user_id(d.id, "~") : user_id(d.id, ctx.settings.user);
      auto req_copy = std::make_shared<http::request<http::string_body>>(req);
      ctx.async_db->run(
          ex,
          [uid, no_users = ctx.settings.no_users, domain = d.id](store::Store& s) {
            auto u = s.get(uid);
            if (u && !u.value() && no_users) {
              s.put({{"_id", uid}, {"type", "user"}, {"name", "~"}, {"domain", domain}, {"siteadmin", site_right::kFull}});
              return true;
            }
            return u && u.value().has_value();
          },
          [&ctx, &acc, info, peer_ip, uid, req_copy, respond, keep, version](bool exists) {
            if (!exists) {
              return respond(text_response(http::status::service_unavailable, version, keep,
                                           "The User setting names " + uid + ", which does not exist.\n"));
            }
            const std::string cookie = acc.make_session(uid, info.domain->id);
            serve_app(*req_copy, ctx, info, peer_ip, &cookie, respond);
          });
      return true;
    }
    if (!token.empty()) {
      if (!d.allow_login_token) {
        show_login(http::status::forbidden, "Login tokens are not accepted here.", 0);
        return true;
      }
      auto req_copy = std::make_shared<http::request<http::string_body>>(req);
      acc.check_login_token(ex, token, d.id, [&ctx, &acc, info, peer_ip, req_copy, respond, show_login](std::optional<std::string> uid) {
        if (!uid) return show_login(http::status::unauthorized, "This login link is invalid or has expired.", 0);
        logger("auth")->info("login token accepted for {} from {}", *uid, info.client_ip);
        const std::string cookie = acc.make_session(*uid, info.domain->id);
        serve_app_with_auth(*req_copy, ctx, info, peer_ip, cookie, respond);
      });
      return true;
    }
    if (const auto session = acc.session_user(cookie_value(req[http::field::cookie], kSessionCookie), d.id)) {
      // Only while the account exists and is not locked; otherwise the login page again.
      auto req_copy = std::make_shared<http::request<http::string_body>>(req);
      acc.check_account(ex, *session, [&ctx, info, peer_ip, req_copy, respond, show_login](std::optional<std::string> uid) {
        if (!uid) return show_login(http::status::ok, "", 0);
        serve_app(*req_copy, ctx, info, peer_ip, nullptr, respond);
      });
      return true;
    }
    show_login(http::status::ok, "", 0);
    return true;
  }

  if (path == "/logout") {
    if (!get && !post) return false;
    acc.logout(cookie_value(req[http::field::cookie], kSessionCookie));
    auto r = see_other(version, keep, home);
    r.set(http::field::set_cookie, set_cookie("", home, 0));
    respond(std::move(r));
    return true;
  }

  if (path == "/login" || path == "/createaccount") {
    if (get) {
      respond(see_other(version, keep, home));
      return true;
    }
    if (!post) return false;
    if (!ip_allowed(info.client_ip, d.user_allowed_ip)) {
      respond(text_response(http::status::forbidden, version, keep, "Access denied from this address\n"));
      return true;
    }
    if (!same_origin(req, info)) {
      respond(text_response(http::status::forbidden, version, keep, "Cross-site login refused\n"));
      return true;
    }
    const std::string name = form_field(req.body(), "username");
    if (path == "/login") {
      const std::string password = form_field(req.body(), "password");
      acc.login(ex, d.id, name, password, info.client_ip, [&ctx, &acc, info, home, respond, keep, version, show_login, name](LoginResult r) {
        if (!r.ok) {
          return show_login(r.retry_after ? http::status::too_many_requests : http::status::unauthorized, r.error, r.retry_after,
                            name.size() <= 256 ? name : std::string());
        }
        if (ctx.account_mail && !email_verified(r.user)) {
          // The password is right, but the address must be confirmed first: no session yet.
          logger("auth")->info("{} logged in from {}: email not verified, no session", r.userid, info.client_ip);
          const std::string pending = ctx.account_mail->token(AccountMail::Purpose::kPending, r.user);
          return respond(html(http::status::forbidden, version, keep,
                              verify_required_page(ctx, *info.domain, info.domain_path, r.user, pending, "")));
        }
        logger("auth")->info("{} logged in from {}", r.userid, info.client_ip);
        auto res = see_other(version, keep, home);
        res.set(http::field::set_cookie, set_cookie(acc.make_session(r.userid, info.domain->id), home, acc.settings().session_time_minutes * 60));
        respond(std::move(res));
      });
      return true;
    }
    // /createaccount
    NewAccount na;
    na.name = name;
    na.email = form_field(req.body(), "email");
    na.password = form_field(req.body(), "password1");
    if (ctx.account_mail && !mail::valid_address(na.email)) {
      show_login(http::status::bad_request, "An email address is required: a link sent to it confirms the account.", 0);
      return true;
    }
    if (na.password != form_field(req.body(), "password2")) {
      show_login(http::status::bad_request, "The two passwords differ.", 0);
      return true;
    }
    const ActionEnv env = env_for(d);
    struct Created {
      mw::Result<Json> user = make_error("", "");
      Outcome out;
    };
    ctx.async_db->run(
        ex,
        [env, na, open = d.new_accounts](store::Store& s) {
          Created c;
          const auto users = count_users(s, env.domain);
          if (!users) {
            c.user = users.error();
          } else if (!open && users.value() > 0) {
            c.user = make_error("closed", "New accounts are not allowed here; ask an administrator.");
          } else {
            NewAccount plain = na;
            plain.siteadmin.reset();
            c.user = create_account(s, env, plain, nullptr, &c.out);
          }
          return c;
        },
        [&ctx, &acc, info, home, respond, keep, version, show_login](Created c) {
          if (!c.user) return show_login(http::status::bad_request, c.user.error().message, 0);
          acc.bus().dispatch_all(info.domain->id, c.out.events);
          const std::string uid = c.user->value("_id", "");
          logger("auth")->info("account {} created from {}", uid, info.client_ip);
          if (ctx.account_mail) {
            // Confirm the address before the first login.
            ctx.account_mail->allow(info.client_ip, c.user->value("email", ""), nullptr);
            ctx.account_mail->send(MailJob::about(MailJob::Kind::kVerify, *c.user), *info.domain);
            const std::string pending = ctx.account_mail->token(AccountMail::Purpose::kPending, *c.user);
            return respond(html(http::status::ok, version, keep,
                                verify_required_page(ctx, *info.domain, info.domain_path, *c.user, pending,
                                                     "Account created. A mail with a verification link was sent to " +
                                                         c.user->value("email", "") + "; open it, then log in.")));
          }
          auto res = see_other(version, keep, home);
          res.set(http::field::set_cookie, set_cookie(acc.make_session(uid, info.domain->id), home, acc.settings().session_time_minutes * 60));
          respond(std::move(res));
        });
    return true;
  }
  return false;
}

}  // namespace mw::server::accounts
