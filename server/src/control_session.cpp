// Control channel session (control_session.hpp).
#include "control_session.hpp"

#include "http_responses.hpp"
#include "tls_stream.hpp"

#include "agents/registry.hpp"
#include "amt/amt_manager.hpp"
#include "accounts/account_mail.hpp"
#include "amt/amt_scanner.hpp"

#include "accounts/actions.hpp"
#include "accounts/service.hpp"
#include "log.hpp"
#include "mw/util/base64.hpp"

namespace mw::server {

using Json = nlohmann::json;

std::string query_param(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view part = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (part.size() <= name.size() || part.substr(0, name.size()) != name || part[name.size()] != '=') continue;
    std::string_view v = part.substr(name.size() + 1);
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '%' && i + 2 < v.size()) {
        auto hex = [](char c) -> int {
          if (c >= '0' && c <= '9') return c - '0';
          if (c >= 'a' && c <= 'f') return c - 'a' + 10;
          if (c >= 'A' && c <= 'F') return c - 'A' + 10;
          return -1;
        };
        const int hi = hex(v[i + 1]), lo = hex(v[i + 2]);
        if (hi >= 0 && lo >= 0) {
          out.push_back(static_cast<char>(hi * 16 + lo));
          i += 2;
          continue;
        }
      }
      out.push_back(v[i] == '+' ? ' ' : v[i]);
    }
    return out;
  }
  return {};
}

template <class NextLayer>
ControlSession<NextLayer>::ControlSession(NextLayer stream, const ServerContext& ctx, std::string peer, const RequestInfo& info)
    : ws_(std::move(stream)), ctx_(ctx), peer_(std::move(peer)), client_ip_(info.client_ip), domain_(*info.domain) {
  ctx_.metrics.control_sessions.fetch_add(1, std::memory_order_relaxed);
}

template <class NextLayer>
ControlSession<NextLayer>::~ControlSession() {
  ctx_.metrics.control_sessions.fetch_sub(1, std::memory_order_relaxed);
  if (registered_ && ctx_.accounts) ctx_.accounts->bus().remove(this);
}

template <class NextLayer>
void ControlSession<NextLayer>::run(http::request<http::string_body> upgrade) {
  creds_ = WebSocketCredentials::from(upgrade);
  beast::get_lowest_layer(ws_).expires_never();  // the websocket stream has its own timeouts
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "Meshwork"); }));
  ws_.read_message_max(ctx_.limits.websocket_message_bytes);
  // One frame per message: Beast would otherwise cut every message into 4 KB frames, each its
  // own TLS write and system call (a 200 KB "nodes" answer took 50).
  ws_.auto_fragment(false);
  auto req = std::make_shared<http::request<http::string_body>>(std::move(upgrade));
  ws_.async_accept(*req, [self = this->shared_from_this(), req](beast::error_code ec) { self->on_accept(ec); });
}

template <class NextLayer>
void ControlSession<NextLayer>::on_accept(beast::error_code ec) {
  if (ec) {
    logger("control")->debug("{} websocket accept failed: {}", peer_, ec.message());
    return;
  }
  authenticate();
}

WebSocketCredentials WebSocketCredentials::from(const http::request<http::string_body>& upgrade) {
  return {std::string(upgrade["x-meshauth"]), accounts::cookie_value(upgrade[http::field::cookie], "xid"),
          query_param(upgrade.target(), "auth")};
}

void authenticate_websocket(const ServerContext& ctx, asio::any_io_executor ex, const DomainSettings& domain,
                            const std::string& client_ip, WebSocketCredentials creds,
                            std::function<void(std::string userid)> ok, std::function<void(std::string reason)> refused) {
  auto& acc = *ctx.accounts;
  const Settings& st = ctx.settings;
  if (st.no_users || !st.user.empty()) {
    // NoUsers: one implicit administrator "~", this computer only. User: everyone is that user.
    boost::system::error_code ec;
    const auto ip = asio::ip::make_address(client_ip, ec);
    if (st.no_users && (ec || !ip.is_loopback())) return refused("This server runs without accounts (NoUsers) and answers this computer only.");
    return ok(accounts::user_id(domain.id, st.no_users ? "~" : st.user));
  }
  if (!creds.meshauth.empty()) {
    // meshctrl: base64(user),base64(password)[,base64(2FA token)]
    const auto& m = creds.meshauth;
    const auto comma = m.find(',');
    auto user = util::base64_decode(m.substr(0, comma));
    auto pass = comma == std::string::npos ? decltype(user)(make_error("bad", "")) : util::base64_decode(m.substr(comma + 1, m.find(',', comma + 1) - comma - 1));
    if (!user || !pass) return refused("Malformed x-meshauth header.");
    std::string name(user->begin(), user->end()), password(pass->begin(), pass->end());
    acc.login(ex, domain.id, name, password, client_ip,
              [ok = std::move(ok), refused = std::move(refused)](accounts::LoginResult r) {
                if (r.ok) return ok(r.userid);
                refused(r.error);
              });
    return;
  }
  for (const std::string* c : {&creds.cookie, &creds.auth_param}) {
    const auto session = acc.session_user(*c, domain.id);
    if (!session) continue;
    acc.check_account(ex, *session, [ok = std::move(ok), refused = std::move(refused)](std::optional<std::string> uid) {
      if (uid) return ok(*uid);
      refused("The account is locked or no longer exists.");
    });
    return;
  }
  refused("Not logged in.");
}

template <class NextLayer>
void ControlSession<NextLayer>::authenticate() {
  auto creds = std::move(creds_);
  creds_ = {};
  authenticate_websocket(
      ctx_, ws_.get_executor(), domain_, client_ip_, std::move(creds),
      [self = this->shared_from_this()](std::string uid) { self->on_authenticated(std::move(uid)); },
      [self = this->shared_from_this()](std::string reason) { self->refuse(reason); });
}

template <class NextLayer>
void ControlSession<NextLayer>::refuse(const std::string& reason) {
  logger("control")->info("{} control channel refused: {}", peer_, reason);
  send(Json{{"action", "close"}, {"cause", "noauth"}, {"msg", "noauth"}, {"reason", reason}});
  close_after_writes();
}

template <class NextLayer>
void ControlSession<NextLayer>::on_authenticated(std::string userid) {
  userid_ = std::move(userid);
  ctx_.async_db->run(
      ws_.get_executor(),
      [uid = userid_](store::Store& s) -> std::optional<Json> {
        auto u = s.get(uid);
        if (!u || !u.value()) return std::nullopt;
        return *u.value();
      },
      [self = this->shared_from_this()](std::optional<Json> user) {
        if (!user) return self->refuse("The account no longer exists.");
        self->ctx_.accounts->bus().add(self, self->domain_.id, self->userid_, accounts::subscriptions(*user));
        self->registered_ = true;
        logger("control")->debug("{} control channel open for {}", self->peer_, self->userid_);
        proto::ServerInfo info = self->ctx_.info;
        info.domain = self->domain_.id;
        info.emailcheck = self->ctx_.account_mail != nullptr;
        self->send(std::make_shared<const std::string>(proto::encode(info)));
        self->send(Json{{"action", "userinfo"}, {"userinfo", accounts::safe_user(*user)}});
        self->do_read();
      });
}

template <class NextLayer>
void ControlSession<NextLayer>::do_read() {
  if (reading_ || closing_ || in_flight_ >= kMaxInFlight) return;
  reading_ = true;
  ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
}

template <class NextLayer>
void ControlSession<NextLayer>::on_read(beast::error_code ec, std::size_t) {
  reading_ = false;
  if (ec) {
    if (ec != websocket::error::closed) logger("control")->debug("{} control channel ended: {}", peer_, ec.message());
    closing_ = true;
    return;
  }
  const std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  Json cmd = Json::parse(text, nullptr, false);
  if (!cmd.is_object() || !cmd.contains("action") || !cmd["action"].is_string()) {
    logger("control")->debug("{} ignored a control message that is not a JSON object with an action", peer_);
  } else {
    const std::string action = cmd["action"].get<std::string>();
    if (action == "serverinfo") {
      proto::ServerInfo info = ctx_.info;
      info.domain = domain_.id;
      info.emailcheck = ctx_.account_mail != nullptr;
      send(std::make_shared<const std::string>(proto::encode(info)));
    } else if (action == "ping") {
      send(Json{{"action", "pong"}});
    } else {
      run_action(std::move(cmd));
    }
  }
  do_read();
}

template <class NextLayer>
void ControlSession<NextLayer>::run_action(Json cmd) {
  ++in_flight_;
  struct Done {
    accounts::Outcome outcome;
    std::vector<std::pair<std::string, std::vector<std::string>>> subs;  // changed users' new subscriptions
    std::vector<std::string> ended;  // changed users whose account is gone or now locked
  };
  ctx_.async_db->run(
      ws_.get_executor(),
      [env = action_env(), uid = userid_, cmd = std::move(cmd)](store::Store& s) {
        Done d;
        d.outcome = accounts::handle_action(s, env, uid, cmd);
        for (const auto& changed : d.outcome.users_changed) {
          auto u = s.get(changed);
          d.subs.emplace_back(changed, u && u.value() ? accounts::subscriptions(*u.value()) : std::vector<std::string>{});
          if (u && (!u.value() || accounts::is_locked(*u.value()))) d.ended.push_back(changed);
        }
        return d;
      },
      [self = this->shared_from_this()](Done d) {
        --self->in_flight_;
        auto& bus = self->ctx_.accounts->bus();
        for (const auto& [uid, subs] : d.subs) bus.update_user(uid, subs);
        for (const auto& uid : d.ended) {
          if (uid != self->userid_) bus.end_user(uid, "The account is locked or removed.");
        }
        if (self->ctx_.account_mail) {
          // Invitations go to people who are not users: limited per inviting user and per address.
          for (auto it = d.outcome.mails.begin(); it != d.outcome.mails.end();) {
            int wait = 0;
            if (it->kind == accounts::MailJob::Kind::kInvite && !self->ctx_.account_mail->allow("user:" + self->userid_, it->to, &wait)) {
              for (auto& r : d.outcome.replies) {
                if (r.value("action", "") == "inviteAgent") r["result"] = "Too many mails; try again in " + std::to_string(wait) + " s";
              }
              it = d.outcome.mails.erase(it);
            } else {
              ++it;
            }
          }
        }
        for (const auto& r : d.outcome.replies) self->send(r);
        for (auto& t : d.outcome.text_replies) self->send(std::make_shared<const std::string>(std::move(t)));
        if (d.outcome.server_stats) self->send(server_stats(self->ctx_, std::move(*d.outcome.server_stats)));
        if (d.outcome.amt_scan) self->run_amt_scan(std::move(*d.outcome.amt_scan));
        bus.dispatch_all(self->domain_.id, d.outcome.events);
        std::weak_ptr<accounts::EventSink> me = self;
        for (const auto& job : d.outcome.amt_jobs) {
          // Reads answer the caller (if still there); power actions and inventories answer by events.
          amt::AmtManager::Reply reply;
          if (job.kind == accounts::AmtJob::Kind::kRead) {
            reply = [me](Json a) {
              if (auto s = me.lock()) s->push(std::make_shared<const std::string>(a.dump(-1, ' ', false, Json::error_handler_t::replace)));
            };
          }
          if (self->ctx_.amt) {
            self->ctx_.amt->run(job, std::move(reply));
          } else if (reply) {
            reply(amt::AmtManager::read_answer(job, "Intel AMT management is off"));
          }
        }
        for (auto& job : d.outcome.agent_jobs) self->run_agent_command(std::move(job));
        for (const auto& nodeid : d.outcome.agent_uninstalls) {
          if (auto link = self->ctx_.agents ? self->ctx_.agents->find(nodeid) : nullptr) link->send_uninstall();
        }
        for (auto& n : d.outcome.agent_notices) self->send_notice(std::move(n));
        if (self->ctx_.account_mail) {
          for (const auto& m : d.outcome.mails) self->ctx_.account_mail->send(m, self->domain_);
        }
        if (d.outcome.caller_gone) {
          self->send(Json{{"action", "close"}, {"cause", "noauth"}, {"msg", "noauth"}, {"reason", "The account is locked or removed."}});
          return self->close_after_writes();
        }
        self->do_read();
      });
}

// A network scan (scanamtdevice): MeshCentral's answer, {action, range, results: {address: {ver,
// tls, state, hostname, hosttype}}} (results null when no scan could start), to this session.
template <class NextLayer>
void ControlSession<NextLayer>::run_amt_scan(accounts::AmtScanJob job) {
  auto answer = [range = job.range, responseid = job.responseid](Json results) {
    Json a{{"action", "scanamtdevice"}, {"range", range}, {"results", std::move(results)}};
    if (!responseid.is_null()) a["responseid"] = responseid;
    return std::make_shared<const std::string>(a.dump(-1, ' ', false, Json::error_handler_t::replace));
  };
  std::weak_ptr<accounts::EventSink> me = this->shared_from_this();
  auto done = [me, answer](std::vector<amt::ScanHit> hits) {
    Json results = Json::object();
    for (const auto& h : hits) {
      // MeshCentral gives major.minor; state 2: provisioned (it asks for Digest credentials).
      const auto second_dot = h.version.find('.', h.version.find('.') + 1);
      results[h.address] = {{"ver", h.version.substr(0, second_dot)}, {"tls", h.tls ? 1 : 0}, {"state", h.realm.empty() ? 0 : 2},
                            {"hostname", h.address}, {"hosttype", "addr"}};
    }
    if (auto s = me.lock()) s->push(answer(std::move(results)));
  };
  logger("amt")->info("{} scans {} for Intel AMT", userid_, job.range);
  if (!ctx_.amt_scanner || !ctx_.amt_scanner->scan({job.first, job.last}, done)) send(answer(nullptr));
}

// A "runcommands" job: MeshCentral's answers — "OK" at once without reply, the output as
// {"action":"msg","type":"runcommands","result":...} with reply, "Agent not connected" when offline.
template <class NextLayer>
void ControlSession<NextLayer>::run_agent_command(accounts::AgentCommandJob job) {
  auto answer = [responseid = job.responseid, nodeid = job.nodeid](Json a) {
    a["nodeid"] = nodeid;
    if (!responseid.is_null()) a["responseid"] = responseid;
    return std::make_shared<const std::string>(a.dump(-1, ' ', false, Json::error_handler_t::replace));
  };
  auto link = ctx_.agents ? ctx_.agents->find(job.nodeid) : nullptr;
  if (job.console_answer) {  // the agent console: every answer is console text
    auto console = [nodeid = job.nodeid](const std::string& text) {
      return std::make_shared<const std::string>(
          Json{{"action", "msg"}, {"type", "console"}, {"nodeid", nodeid}, {"value", text}}.dump(-1, ' ', false, Json::error_handler_t::replace));
    };
    if (!link) return send(console("The agent is not connected."));
    std::weak_ptr<accounts::EventSink> me = this->shared_from_this();
    link->run_commands(std::move(job.cmds), job.type, [me, console](std::string result, int) {
      if (auto s = me.lock()) s->push(console(result));
    });
    return;
  }
  if (!link) return send(answer({{"action", "runcommands"}, {"result", "Agent not connected"}}));
  if (!job.reply) send(answer({{"action", "runcommands"}, {"result", "OK"}}));
  std::weak_ptr<accounts::EventSink> me = this->shared_from_this();
  link->run_commands(std::move(job.cmds), job.type, [me, answer, reply = job.reply](std::string result, int exit_code) {
    if (!reply) return;
    if (auto s = me.lock()) s->push(answer({{"action", "msg"}, {"type", "runcommands"}, {"result", result}, {"exitcode", exit_code}}));
  });
}

// A toast or message box for the person at a device: to its agent when connected. A message box
// asked with a responseid is answered as MeshCentral does: "OK" once handed to the agent, else
// "Unable to route".
template <class NextLayer>
void ControlSession<NextLayer>::send_notice(accounts::AgentNotice n) {
  auto link = ctx_.agents ? ctx_.agents->find(n.nodeid) : nullptr;
  if (link) {
    const bool toast = n.notice.kind == proto::agent::Notify::Kind::kToast;
    logger("control")->info("{} sent a {} to {}", n.notice.from, toast ? "notification" : "message box", n.nodeid);
    link->send_notify(std::move(n.notice));
  }
  if (!n.answer) return;
  Json a{{"action", "msg"}, {"result", link ? "OK" : "Unable to route"}, {"responseid", n.responseid}};
  if (!n.tag.is_null()) a["tag"] = n.tag;
  send(a);
}

template <class NextLayer>
void ControlSession<NextLayer>::push(std::shared_ptr<const std::string> message) {
  asio::post(ws_.get_executor(), [self = this->shared_from_this(), message = std::move(message)]() mutable {
    self->send(std::move(message));
  });
}

template <class NextLayer>
void ControlSession<NextLayer>::end(std::string reason) {
  asio::post(ws_.get_executor(), [self = this->shared_from_this(), reason = std::move(reason)] {
    if (self->closing_) return;
    self->send(Json{{"action", "close"}, {"cause", "noauth"}, {"msg", "noauth"}, {"reason", reason}});
    self->close_after_writes();
  });
}

template <class NextLayer>
void ControlSession<NextLayer>::send(const Json& message) {
  send(std::make_shared<const std::string>(message.dump(-1, ' ', false, Json::error_handler_t::replace)));
}

template <class NextLayer>
void ControlSession<NextLayer>::send(std::shared_ptr<const std::string> text) {
  if (closing_) return;  // closing: what is queued goes out, nothing new (the close message is last)
  if (queue_.size() >= kMaxQueued) {
    logger("control")->warn("{} control channel write queue full; closing", peer_);
    closing_ = true;
    beast::get_lowest_layer(ws_).close();
    return;
  }
  queue_.push_back(std::move(text));
  if (queue_.size() == 1) do_write();
}

template <class NextLayer>
void ControlSession<NextLayer>::do_write() {
  ws_.text(true);
  ws_.async_write(asio::buffer(*queue_.front()), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) {
      self->queue_.clear();
      return;
    }
    self->queue_.pop_front();
    if (!self->queue_.empty()) return self->do_write();
    if (self->closing_) {
      self->ws_.async_close(websocket::close_code::normal, [self](beast::error_code) {});
    }
  });
}

template <class NextLayer>
void ControlSession<NextLayer>::close_after_writes() {
  closing_ = true;
  if (queue_.empty()) ws_.async_close(websocket::close_code::normal, [self = this->shared_from_this()](beast::error_code) {});
}

template class ControlSession<TlsStream>;
template class ControlSession<beast::tcp_stream>;

}  // namespace mw::server
