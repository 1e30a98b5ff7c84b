// Administration answers (admin.hpp).
#include "mw/proto/admin.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "mw/proto/device_info.hpp"
#include "json_fields.hpp"

namespace mw::proto {

using namespace fields;

Result<std::vector<Account>> parse_user_list(std::string_view text) {
  auto m = message(text, "users");
  if (!m) return m.error();
  std::vector<Account> out;
  const json* users = array(m.value(), "users");
  if (!users) return make_error("bad-message", "a \"users\" answer without a list (" + str(m.value(), "result") + ")");
  for (const auto& u : *users) {
    if (!u.is_object() || out.size() >= kMaxListed) continue;
    Account a;
    a.id = str(u, "_id");
    if (a.id.empty()) continue;
    a.name = str(u, "name");
    a.email = str(u, "email");
    a.realname = str(u, "realname");
    if (const auto s = u.find("siteadmin"); s != u.end()) a.siteadmin = rights(*s);
    a.creation = i64(u, "creation");
    a.reset_next_login = i64(u, "passchange") == -1;
    if (const json* links = object(u, "links")) {
      for (const auto& [id, link] : links->items()) {
        if (link.is_object() && a.links.size() < kMaxListed) {
          const auto r = link.find("rights");
          a.links[id] = r == link.end() ? 0 : rights(*r);
        }
      }
    }
    out.push_back(std::move(a));
  }
  return out;
}

Result<ServerStats> parse_server_stats(std::string_view text) {
  auto m = message(text, "serverstats");
  if (!m) return m.error();
  const json& j = m.value();
  ServerStats s;
  s.version = str(j, "version");
  s.uptime = number(j, "uptime");
  s.rss = u64(j, "rss");
  s.totalmem = u64(j, "totalmem");
  s.freemem = u64(j, "freemem");
  if (const json* avg = array(j, "cpuavg"); avg && avg->size() == 3 && (*avg)[0].is_number() &&
                                            (*avg)[1].is_number() && (*avg)[2].is_number()) {
    s.load1 = (*avg)[0].get<double>();
    s.load5 = (*avg)[1].get<double>();
    s.load15 = (*avg)[2].get<double>();
  }
  const json* values = object(j, "values");
  if (const json* st = values ? object(*values, "serverStats") : nullptr) {
    s.user_accounts = u64(*st, "UserAccounts");
    s.device_groups = u64(*st, "DeviceGroups");
    s.user_sessions = u64(*st, "UsersSessions");
    s.agent_sessions = u64(*st, "AgentSessions");
    s.relay_sessions = u64(*st, "RelaySessions");
    s.connected_amt = u64(*st, "ConnectedIntelAMT");
  }
  if (const json* p = object(j, "peers")) {
    s.server_id = str(*p, "serverid");
    if (const json* list = array(*p, "servers")) {
      for (const auto& e : *list) {
        if (!e.is_object() || s.peers.size() >= 64) continue;
        const auto c = e.find("connected");
        s.peers.push_back({str(e, "id"), str(e, "url"), c != e.end() && c->is_boolean() && c->get<bool>()});
      }
    }
  }
  return s;
}

Result<CiraConfig> parse_cira_config(std::string_view text) {
  auto m = message(text, "ciraconfig");
  if (!m) return m.error();
  const json& j = m.value();
  CiraConfig c;
  c.meshid = str(j, "meshid");
  c.result = str(j, "result");
  c.mps_host = str(j, "mpshost");
  const auto port = u64(j, "mpsport");
  c.mps_port = port <= 65535 ? static_cast<int>(port) : 0;
  c.mps_user = str(j, "mpsuser");
  c.mps_pass = str(j, "mpspass");
  c.root_sha384 = str(j, "rootcertsha384");
  return c;
}

Result<ActionResult> parse_action_result(std::string_view text) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return make_error("bad-json", "the message is not JSON");
  if (!j.is_object() || str(j, "action").empty()) return make_error("bad-message", "not a message with an action");
  ActionResult r{str(j, "action"), str(j, "result"), str(j, "responseid")};
  if (const auto id = j.find("responseid"); id != j.end() && id->is_number_integer()) r.responseid = std::to_string(id->get<std::int64_t>());
  return r;
}

Result<CommandOutput> parse_command_output(std::string_view text) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return make_error("bad-json", "the message is not JSON");
  if (!j.is_object()) return make_error("bad-message", "not an object");
  const std::string action = str(j, "action");
  CommandOutput c{str(j, "nodeid"), str(j, "result"), 0, false};
  if (action == "msg" && str(j, "type") == "runcommands") {
    c.finished = true;
    const auto code = i64(j, "exitcode");
    c.exitcode = code < -1000000 || code > 1000000 ? -1 : static_cast<int>(code);
    return c;
  }
  if (action == "runcommands") return c;
  return make_error("bad-message", "not a runcommands answer");
}

Result<ConsoleOutput> parse_console_output(std::string_view text) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return make_error("bad-json", "the message is not JSON");
  if (!j.is_object() || str(j, "action") != "msg" || str(j, "type") != "console") {
    return make_error("bad-message", "not an agent console answer");
  }
  return ConsoleOutput{str(j, "nodeid"), str(j, "value")};
}

Result<AmtScan> parse_amt_scan(std::string_view text) {
  auto m = message(text, "scanamtdevice");
  if (!m) return m.error();
  const json& j = m.value();
  AmtScan s;
  s.range = str(j, "range");
  s.result = str(j, "result");
  if (const json* results = object(j, "results")) {
    s.started = true;
    for (const auto& [address, r] : results->items()) {
      if (!r.is_object() || s.found.size() >= kMaxListed) continue;
      s.found.push_back({address, str(r, "ver"), static_cast<int>(std::min<std::int64_t>(i64(r, "state"), 100)), i64(r, "tls") == 1});
    }
  }
  return s;
}

}  // namespace mw::proto
