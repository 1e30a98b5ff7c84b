// Email verification and password reset by mail (account_mail.hpp).
#include "accounts/account_mail.hpp"

#include <openssl/rand.h>

#include <chrono>

#include "accounts/login_routes.hpp"
#include "accounts/rights.hpp"
#include "auth/cookie.hpp"
#include "control_session.hpp"
#include "log.hpp"
#include "mw/util/hex.hpp"
#include "mw/util/sha256.hpp"
#include "server_context.hpp"
#include "text.hpp"

namespace mw::server::accounts {

namespace {

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}


// A reset link names the password it replaces by a short digest of the stored hash (salted, so
// it changes with every new password, even two within one second).
std::string password_tag(const Json& u) {
  const auto it = u.find("hash");
  const std::string hash = it != u.end() && it->is_string() ? it->get<std::string>() : std::string();
  const auto d = util::sha256(hash);
  return util::hex_encode(std::span<const std::uint8_t>(d.data(), 8));
}

StringResponse page(http::status status, unsigned version, bool keep, std::string body) {
  return text_response(status, version, keep, std::move(body), "text/html; charset=utf-8");
}

// A page with one box: a title, a message (plain text) and a link back to the login page.
std::string message_page(const ServerContext& ctx, const DomainSettings& d, const std::string& domain_path,
                         const std::string& title, const std::string& message, bool error) {
  std::string h = page_start(d, domain_path, title);
  h += "<div class=\"box\" id=\"message\"><h2>" + html_escape(title) + "</h2>";
  h += std::string("<div class=\"") + (error ? "error" : "note") + "\" role=\"" + (error ? "alert" : "status") + "\">" +
       html_escape(message) + "</div>";
  h += "<p><a href=\"" + html_escape(domain_path) + "/\">Go to the login page</a></p></div>\n";
  return h + page_end(ctx, d, domain_path);
}

std::string reset_form_page(const ServerContext& ctx, const DomainSettings& d, const std::string& domain_path,
                            const std::string& username, const std::string& token, const std::string& error) {
  std::string h = page_start(d, domain_path, "Reset account");
  h += "<form id=\"newpassword\" method=\"post\" action=\"" + html_escape(domain_path) + "/checkmail\"><h2>New password for " +
       html_escape(username) + "</h2>";
  if (!error.empty()) h += "<div class=\"error\" role=\"alert\" id=\"error\">" + html_escape(error) + "</div>";
  h += "<input type=\"hidden\" name=\"c\" value=\"" + html_escape(token) + "\">";
  // The user name helps password managers store the new password under the right account.
  h += "<input type=\"hidden\" name=\"username\" autocomplete=\"username\" value=\"" + html_escape(username) + "\">";
  h += "<label for=\"password1\">New password</label><input id=\"password1\" name=\"password1\" type=\"password\" "
       "autocomplete=\"new-password\" required autofocus>"
       "<label for=\"password2\">New password again</label><input id=\"password2\" name=\"password2\" type=\"password\" "
       "autocomplete=\"new-password\" required>";
  const std::string hint = rules_hint(d);
  if (!hint.empty()) h += "<div class=\"hint\">" + html_escape(hint) + "</div>";
  h += "<button type=\"submit\">Set password</button></form>\n";
  return h + page_end(ctx, d, domain_path);
}

std::string html_mail(const std::string& title, const std::string& hello, const std::string& lead, const std::string& url,
                      const std::string& button, const std::string& tail) {
  return "<!doctype html><html><body style=\"font-family:sans-serif;color:#222\"><h2>" + html_escape(title) + "</h2><p>" +
         html_escape(hello) + "</p><p>" + html_escape(lead) + "</p><p><a href=\"" + html_escape(url) +
         "\" style=\"display:inline-block;padding:10px 18px;background:#3d7cf0;color:#fff;text-decoration:none;border-radius:5px\">" +
         html_escape(button) + "</a></p><p style=\"color:#555;font-size:13px\">" + html_escape(tail) +
         "</p><p style=\"color:#777;font-size:12px\">" + html_escape(url) + "</p></body></html>";
}

// What a /checkmail link came to.
enum class Result { kOk, kNoUser, kChangedEmail, kAlready, kTaken, kLocked, kUnverified, kUsed, kBadPassword, kStoreError };
struct Done {
  Result result = Result::kOk;
  std::string username, email, detail;
  Outcome out;
  Done&& with(Result r) && {
    result = r;
    return std::move(*this);
  }
};

}  // namespace

AccountMail::AccountMail(const ServerContext& ctx, std::unique_ptr<mail::Mailer> mailer, std::vector<std::uint8_t> key)
    : ctx_(ctx), mailer_(std::move(mailer)), key_(std::move(key)) {}

mw::Result<std::vector<std::uint8_t>> AccountMail::load_or_create_key(store::Store& db) {
  auto rec = db.get("MailCookieEncryptionKey");
  if (!rec) return rec.error();
  if (rec.value()) {
    auto key = util::hex_decode(rec.value()->value("key", ""));
    if (key && key->size() >= 32) return std::move(key.value());
  }
  auto key = auth::new_cookie_key();
  auto st = db.put({{"_id", "MailCookieEncryptionKey"}, {"key", util::hex_encode(key)}, {"time", now_s() * 1000}});
  if (!st) return st.error();
  return key;
}

std::string AccountMail::token(Purpose purpose, const Json& user) const {
  Json c{{"u", user.value("_id", "")}, {"e", user.value("email", "")}, {"a", static_cast<int>(purpose)}};
  switch (purpose) {
    case Purpose::kVerify: c["expire"] = kVerifyMinutes; break;
    case Purpose::kReset:
      c["expire"] = kResetMinutes;
      c["p"] = password_tag(user);
      break;
    case Purpose::kPending: c["expire"] = kPendingMinutes; break;
  }
  return auth::encode_cookie(std::move(c), key_, now_s());
}

std::optional<AccountMail::Token> AccountMail::check(std::string_view text, Purpose purpose, const std::string& domain) const {
  if (text.empty() || text.size() > 2048) return std::nullopt;
  auto j = auth::decode_cookie(text, key_, now_s(), kPendingMinutes);
  if (!j || !j->is_object()) return std::nullopt;
  const Json& c = j.value();
  if (!c.contains("u") || !c["u"].is_string() || !c.contains("e") || !c["e"].is_string() || !c.contains("a") ||
      !c["a"].is_number_integer() || c["a"].get<int>() != static_cast<int>(purpose)) {
    return std::nullopt;
  }
  Token t{purpose, c["u"].get<std::string>(), c["e"].get<std::string>(), {}};
  if (!t.userid.starts_with("user/") || domain_of(t.userid) != domain) return std::nullopt;
  if (purpose == Purpose::kReset) {
    if (!c.contains("p") || !c["p"].is_string()) return std::nullopt;
    t.password_tag = c["p"].get<std::string>();
  }
  return t;
}

std::string AccountMail::base_url(const DomainSettings& d) const {
  const int port = ctx_.info.port;
  std::string host = d.dns.empty() ? ctx_.settings.cert : d.dns;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  std::string url = "https://" + host + (port == 443 || port == 0 ? "" : ":" + std::to_string(port));
  if (d.dns.empty() && !d.id.empty()) url += "/" + d.id;
  return url;
}

bool AccountMail::allow(const std::string& client_ip, const std::string& email, int* retry_after) {
  const auto now = Throttle::Clock::now();
  const int wait = std::max(throttle_.wait_seconds("ip:" + client_ip, now), throttle_.wait_seconds("mail:" + ascii_lower(email), now));
  if (wait > 0) {
    if (retry_after) *retry_after = wait;
    return false;
  }
  throttle_.failure("ip:" + client_ip, now);
  throttle_.failure("mail:" + ascii_lower(email), now);
  return true;
}

void AccountMail::send(const MailJob& job, const DomainSettings& d) {
  const Json& u = job.user;
  const std::string name = u.value("name", "");
  const std::string email = job.kind == MailJob::Kind::kInvite ? job.to : u.value("email", "");
  if (email.empty()) return;
  const std::string site = base_url(d);
  mail::Mail m;
  m.to = email;
  if (job.kind == MailJob::Kind::kInvite) {
    // The group id as meshctrl shows it (after "mesh/<domain>/"), as the Add Agent dialog uses it.
    const auto slash = job.meshid.find('/', job.meshid.find('/') + 1);
    const std::string id = slash == std::string::npos ? job.meshid : job.meshid.substr(slash + 1);
    const std::string inviter = u.value("realname", name);
    const std::string command = "curl -fsSk '" + site + "/meshagents?script=1&id=" + id + "' | sh";
    m.subject = d.title + " - Agent Installation Invitation";
    std::string lead = inviter + " invites you to install the " + d.title + " agent on your computer, so that it can be managed "
                       "remotely in the device group \"" + job.group_name + "\" (" + site + ").";
    std::string text = "Hi" + (job.recipient.empty() ? std::string() : " " + job.recipient) + ",\n\n" + lead + "\n\n";
    if (!job.note.empty()) text += inviter + " writes:\n\n" + job.note + "\n\n";
    text += "On Linux, run this command as root:\n\n    " + command + "\n\n"
            "It downloads the agent and the group's settings from the server, checks the agent, and installs it as the "
            "systemd service meshwork-agent. Or download them yourself: the agent from " + site +
            "/meshagents?id=linux-x64 and its settings from " + site + "/meshsettings?id=" + id +
            ", then run meshwork-agent --settings FILE.\n\nIf you did not expect this, ignore this mail.\n";
    m.text = text;
    std::string html = "<!doctype html><html><body style=\"font-family:sans-serif;color:#222\"><h2>" + html_escape(m.subject) +
                       "</h2><p>" + html_escape("Hi" + (job.recipient.empty() ? std::string() : " " + job.recipient) + ",") + "</p><p>" +
                       html_escape(lead) + "</p>";
    if (!job.note.empty()) html += "<p>" + html_escape(inviter + " writes:") + "</p><blockquote>" + html_escape(job.note) + "</blockquote>";
    html += "<p>On Linux, run this command as root:</p><pre style=\"background:#eee;padding:8px\">" + html_escape(command) +
            "</pre><p style=\"color:#555;font-size:13px\">If you did not expect this, ignore this mail.</p></body></html>";
    m.html = std::move(html);
    logger("mail")->info("agent invitation for group {} from {} to {}", job.group_name, name, email);
  } else if (job.kind == MailJob::Kind::kVerify) {
    const std::string url = site + "/checkmail?c=" + token(Purpose::kVerify, u);
    m.subject = d.title + " - Email Verification";
    const std::string lead = "Please confirm that " + email + " is the email address of the account \"" + name + "\" on " +
                             d.title + " (" + site + ") by opening this link:";
    const std::string tail = "The link is valid for 24 hours. If you did not create this account or change its address, ignore this mail.";
    m.text = "Hi " + name + ",\n\n" + lead + "\n\n" + url + "\n\n" + tail + "\n";
    m.html = html_mail(m.subject, "Hi " + name + ",", lead, url, "Verify email", tail);
  } else {
    const std::string url = site + "/checkmail?c=" + token(Purpose::kReset, u);
    m.subject = d.title + " - Account Reset";
    const std::string lead = "Someone, hopefully you, asked to reset the password of the account \"" + name + "\" on " + d.title +
                             " (" + site + "). To choose a new password, open this link:";
    const std::string tail = "The link is valid for 60 minutes and works once. If you did not ask for this, ignore this mail: your password stays as it is.";
    m.text = "Hi " + name + ",\n\n" + lead + "\n\n" + url + "\n\n" + tail + "\n";
    m.html = html_mail(m.subject, "Hi " + name + ",", lead, url, "Choose a new password", tail);
  }
  mailer_->send(std::move(m));
}

std::string verify_required_page(const ServerContext& ctx, const DomainSettings& d, const std::string& domain_path,
                                 const Json& user, const std::string& pending_token, const std::string& note) {
  const std::string email = user.value("email", "");
  std::string h = page_start(d, domain_path, "Email verification");
  h += "<form id=\"verify\" method=\"post\" action=\"" + html_escape(domain_path) + "/sendverify\"><h2>Verify your email address</h2>";
  if (!note.empty()) h += "<div class=\"note\" role=\"status\" id=\"note\">" + html_escape(note) + "</div>";
  h += "<p>The account \"" + html_escape(user.value("name", "")) +
       "\" must confirm its email address before it can log in. We send a mail with a link to this address:</p>";
  h += "<input type=\"hidden\" name=\"c\" value=\"" + html_escape(pending_token) + "\">";
  h += "<label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required value=\"" +
       html_escape(email) + "\">";
  h += "<button type=\"submit\">Send verification mail</button>"
       "<p class=\"hint\">Then open the link in the mail and log in again.</p></form>\n";
  return h + page_end(ctx, d, domain_path);
}

bool route_mail_request(const http::request<http::string_body>& req, const ServerContext& ctx, const RequestInfo& info,
                        boost::asio::any_io_executor ex, const std::function<void(AnyResponse)>& respond) {
  const std::string& path = info.path;
  if (path != "/checkmail" && path != "/resetaccount" && path != "/sendverify") return false;
  const bool get = req.method() == http::verb::get || req.method() == http::verb::head;
  const bool post = req.method() == http::verb::post;
  const bool keep = req.keep_alive();
  const unsigned version = req.version();
  const DomainSettings& d = *info.domain;
  const std::string domain_path = info.domain_path;
  if (!ctx.account_mail) {
    respond(text_response(http::status::not_found, version, keep, "Mail is not configured on this server.\n"));
    return true;
  }
  if (!(get && path == "/checkmail") && !post) {
    respond(text_response(http::status::method_not_allowed, version, keep, "Method not allowed\n"));
    return true;
  }
  if (!ip_allowed(info.client_ip, d.user_allowed_ip)) {
    respond(text_response(http::status::forbidden, version, keep, "Access denied from this address\n"));
    return true;
  }
  if (post && !same_origin(req, info)) {
    respond(text_response(http::status::forbidden, version, keep, "Cross-site request refused\n"));
    return true;
  }
  AccountMail& am = *ctx.account_mail;
  auto message = [&ctx, dp = &d, domain_path, respond, keep, version](http::status status, const std::string& title,
                                                                      const std::string& text, bool error) {
    respond(page(status, version, keep, message_page(ctx, *dp, domain_path, title, text, error)));
  };
  const ActionEnv env = env_for(d);
  // Too many mails asked for from this address or to that one: 429 with Retry-After (true).
  auto throttled = [&](const std::string& title, const std::string& email) {
    int wait = 0;
    if (am.allow(info.client_ip, email, &wait)) return false;
    auto r = page(http::status::too_many_requests, version, keep,
                  message_page(ctx, d, domain_path, title, "Too many mails asked for; try again in " + std::to_string(wait) + " s.", true));
    r.set(http::field::retry_after, std::to_string(wait));
    respond(std::move(r));
    return true;
  };

  if (path == "/checkmail") {
    const std::string c = get ? query_param(req.target(), "c") : form_field(req.body(), "c");
    const auto verify = am.check(c, AccountMail::Purpose::kVerify, d.id);
    const auto reset = verify ? std::nullopt : am.check(c, AccountMail::Purpose::kReset, d.id);
    if (!verify && !reset) {
      message(http::status::bad_request, "Email link", "This link is invalid or has expired. Ask for a new one from the login page.", true);
      return true;
    }
    if (verify) {
      // Opening the link is the confirmation (a mail scanner that follows it proves nothing more than the mailbox does).
      ctx.async_db->run(
          ex,
          [t = *verify, env](store::Store& s) {
            Done r;
            auto rec = s.get(t.userid);
            if (!rec) return Done{}.with(Result::kStoreError);
            if (!rec.value()) return Done{}.with(Result::kNoUser);
            Json u = *rec.value();
            r.username = u.value("name", "");
            r.email = t.email;
            if (u.value("email", "") != t.email) return std::move(r).with(Result::kChangedEmail);
            if (email_verified(u)) return std::move(r).with(Result::kAlready);
            const auto taken = verified_elsewhere(s, env.domain, t.email, t.userid);
            if (!taken) return Done{}.with(Result::kStoreError);
            if (taken.value()) return std::move(r).with(Result::kTaken);
            u["emailVerified"] = true;
            if (!s.put(u)) return Done{}.with(Result::kStoreError);
            record_event(s, r.out, {"*", "server-users", t.userid},
                         {{"etype", "user"}, {"userid", t.userid}, {"username", r.username}, {"account", safe_user(u)},
                          {"action", "accountchange"}, {"msg", "Verified email of user " + r.username + " (" + t.email + ")"},
                          {"domain", env.domain}});
            return r;
          },
          [&ctx, message, domain = d.id, ip = info.client_ip](Done r) {
            switch (r.result) {
              case Result::kOk:
                ctx.accounts->bus().dispatch_all(domain, r.out.events);
                logger("auth")->info("verified email {} of {} from {}", r.email, r.username, ip);
                return message(http::status::ok, "Email verified",
                               "The address " + r.email + " of the account \"" + r.username + "\" is verified. You can log in now.", false);
              case Result::kAlready:
                return message(http::status::ok, "Email verified", "The address " + r.email + " was already verified. You can log in.", false);
              case Result::kTaken:
                return message(http::status::conflict, "Email verification", "Another account already uses " + r.email + ".", true);
              case Result::kChangedEmail:
                return message(http::status::bad_request, "Email verification",
                               "The account's address has changed since this link was sent; use the link of the newest mail.", true);
              case Result::kStoreError:
                return message(http::status::service_unavailable, "Email verification", "The database is not available; try again later.", true);
              default:
                return message(http::status::bad_request, "Email verification", "This link names an account that does not exist.", true);
            }
          });
      return true;
    }
    // A reset link: GET shows the form (nothing changes: mail scanners open links too); POST sets the password.
    const std::string p1 = form_field(req.body(), "password1");
    const std::string p2 = form_field(req.body(), "password2");
    if (post && p1 != p2) {
      auto t = *reset;
      ctx.async_db->run(
          ex, [uid = t.userid](store::Store& s) { auto u = s.get(uid); return u && u.value() ? u.value()->value("name", "") : std::string(); },
          [&ctx, dp = &d, domain_path, c, respond, keep, version](std::string name) {
            respond(page(http::status::bad_request, version, keep, reset_form_page(ctx, *dp, domain_path, name, c, "The two passwords differ.")));
          });
      return true;
    }
    ctx.async_db->run(
        ex,
        [t = *reset, env, post, p1](store::Store& s) {
          Done r;
          auto rec = s.get(t.userid);
          if (!rec) return Done{}.with(Result::kStoreError);
          if (!rec.value()) return Done{}.with(Result::kNoUser);
          const Json& u = *rec.value();
          r.username = u.value("name", "");
          r.email = t.email;
          if (u.value("email", "") != t.email) return std::move(r).with(Result::kChangedEmail);
          if (!email_verified(u)) return std::move(r).with(Result::kUnverified);
          if (password_tag(u) != t.password_tag) return std::move(r).with(Result::kUsed);
          if (is_locked(u)) return std::move(r).with(Result::kLocked);
          if (!post) return r;
          auto set = set_password(s, env, t.userid, p1, &r.out);
          if (!set) {
            r.detail = set.error().message;
            return std::move(r).with(set.error().code == "bad-password" ? Result::kBadPassword : Result::kStoreError);
          }
          return r;
        },
        [&ctx, dp = &d, domain_path, c, post, message, respond, keep, version, ip = info.client_ip](Done r) {
          switch (r.result) {
            case Result::kOk:
              if (!post) return respond(page(http::status::ok, version, keep, reset_form_page(ctx, *dp, domain_path, r.username, c, "")));
              ctx.accounts->bus().dispatch_all(dp->id, r.out.events);
              logger("auth")->info("password of {} reset by mail from {}", r.username, ip);
              return message(http::status::ok, "Password changed",
                             "The password of the account \"" + r.username + "\" is changed. Log in with the new password.", false);
            case Result::kBadPassword:
              return respond(page(http::status::bad_request, version, keep, reset_form_page(ctx, *dp, domain_path, r.username, c, r.detail)));
            case Result::kUsed:
              return message(http::status::gone, "Reset account", "This link was already used, or the password changed since it was sent.", true);
            case Result::kLocked:
              return message(http::status::forbidden, "Reset account", "This account is locked.", true);
            case Result::kUnverified:
            case Result::kChangedEmail:
              return message(http::status::bad_request, "Reset account", "The account's address is not the verified one this link was sent to.", true);
            case Result::kStoreError:
              return message(http::status::service_unavailable, "Reset account", "The database is not available; try again later.", true);
            default:
              return message(http::status::bad_request, "Reset account", "This link names an account that does not exist.", true);
          }
        });
    return true;
  }

  if (path == "/resetaccount") {
    const std::string email = ascii_lower(form_field(req.body(), "email"));
    const std::string sent = "If " + email +
                             " is the verified address of an account here, a mail with a link to choose a new password is on its way. "
                             "The link is valid for 60 minutes.";
    if (!mail::valid_address(email)) {
      message(http::status::bad_request, "Reset account", "Enter the email address of your account.", true);
      return true;
    }
    if (throttled("Reset account", email)) return true;
    // The same answer whether or not the address is an account's, so the form tells nobody who has one.
    ctx.async_db->run(
        ex,
        [email, env](store::Store& s) {
          std::vector<Json> found;
          auto users = s.list("user", env.domain);
          if (!users) return found;
          for (auto& u : users.value()) {
            if (u.value("email", "") == email && email_verified(u) && !is_locked(u)) found.push_back(std::move(u));
          }
          return found;
        },
        [&ctx, dp = &d, message, sent, ip = info.client_ip, email](std::vector<Json> users) {
          for (auto& u : users) {
            logger("auth")->info("account reset mail for {} asked from {}", u.value("name", ""), ip);
            ctx.account_mail->send(MailJob::about(MailJob::Kind::kReset, std::move(u)), *dp);
          }
          if (users.empty()) logger("auth")->info("account reset asked from {} for an address of no verified account", ip);
          message(http::status::ok, "Reset account", sent, false);
        });
    return true;
  }

  // /sendverify: from the "verify your email" page, with its pending token.
  const auto t = am.check(form_field(req.body(), "c"), AccountMail::Purpose::kPending, d.id);
  if (!t) {
    message(http::status::bad_request, "Email verification", "This page has expired; log in again.", true);
    return true;
  }
  const std::string email = ascii_lower(form_field(req.body(), "email"));
  if (!mail::valid_address(email)) {
    message(http::status::bad_request, "Email verification", "Enter a valid email address.", true);
    return true;
  }
  if (throttled("Email verification", email)) return true;
  struct Sent {
    std::string error;
    Json user;
    Outcome out;
    Sent&& failed(std::string why) && {
      error = std::move(why);
      return std::move(*this);
    }
  };
  ctx.async_db->run(
      ex,
      [t = *t, email, env](store::Store& s) {
        Sent r;
        auto rec = s.get(t.userid);
        if (!rec || !rec.value()) return std::move(r).failed("This account does not exist.");
        Json u = *rec.value();
        if (email_verified(u)) return std::move(r).failed("This account's address is already verified; log in.");
        // The pending token was made for the address the account had then; an unverified address may be corrected here.
        if (u.value("email", "") != t.email) return std::move(r).failed("The account changed since this page was made; log in again.");
        if (u.value("email", "") != email) {
          const auto taken = verified_elsewhere(s, env.domain, email, t.userid);
          if (!taken) return std::move(r).failed("The database is not available; try again later.");
          if (taken.value()) return std::move(r).failed("Another account already uses " + email + ".");
          const std::string old = u.value("email", "");
          u["email"] = email;
          u["emailVerified"] = false;
          if (!s.put(u)) return std::move(r).failed("The database is not available; try again later.");
          record_event(s, r.out, {"*", "server-users", t.userid},
                       {{"etype", "user"}, {"userid", t.userid}, {"username", u.value("name", "")}, {"account", safe_user(u)},
                        {"action", "accountchange"},
                        {"msg", old.empty() ? "Set email of user " + u.value("name", "") + " to " + email
                                            : "Changed email of user " + u.value("name", "") + " from " + old + " to " + email},
                        {"domain", env.domain}});
        }
        r.user = std::move(u);
        return r;
      },
      [&ctx, dp = &d, domain_path, message, respond, keep, version](Sent r) {
        if (!r.error.empty()) return message(http::status::bad_request, "Email verification", r.error, true);
        ctx.accounts->bus().dispatch_all(dp->id, r.out.events);
        ctx.account_mail->send(MailJob::about(MailJob::Kind::kVerify, r.user), *dp);
        const std::string again = ctx.account_mail->token(AccountMail::Purpose::kPending, r.user);
        respond(page(http::status::ok, version, keep,
                     verify_required_page(ctx, *dp, domain_path, r.user, again,
                                          "A mail with a verification link was sent to " + r.user.value("email", "") + ".")));
      });
  return true;
}

}  // namespace mw::server::accounts
