// Control actions (actions.hpp). Replies and event texts follow MeshCentral's meshuser.js so its
// clients read them; ids, rights and records follow its database layout.
#include "accounts/actions.hpp"

#include <algorithm>
#include <chrono>
#include <set>

#include "accounts/rights.hpp"
#include "amt/amt_scanner.hpp"
#include "amt/credentials.hpp"
#include "auth/password.hpp"
#include "mail/smtp.hpp"
#include "store/records.hpp"
#include "text.hpp"

namespace mw::server::accounts {

namespace {

using store::Store;

std::int64_t now_ms(const ActionEnv& env) {
  if (env.now_ms) return env.now_ms;
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string str(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool flag(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

bool has_str(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string();
}

std::optional<Json> load(Store& db, const std::string& id) {
  auto r = db.get(id);
  if (!r || !r.value()) return std::nullopt;
  return *r.value();
}

// A device record and what hangs on it: its system information ("si") and notes ("nt").
mw::Result<bool> remove_node_records(Store& db, const std::string& nodeid) {
  db.remove("si" + nodeid);
  db.remove("nt" + nodeid);
  return db.remove(nodeid);
}

// A reply in MeshCentral's shape: {action, responseid?, result, ...}.
Json answer(const Json& cmd, std::string_view result) {
  Json a{{"action", str(cmd, "action")}, {"result", result}};
  if (cmd.contains("responseid")) a["responseid"] = cmd["responseid"];
  if (cmd.contains("tag")) a["tag"] = cmd["tag"];
  return a;
}

// "user//bob", "bob" or "user/acme/bob" → a user id in the session's domain.
std::string resolve_user_id(const std::string& given, const std::string& domain) {
  if (given.rfind("user/", 0) == 0) return given;
  return user_id(domain, given);
}

// The group a command names by meshid (full or value only) or by meshname; nullopt if none.
std::optional<Json> resolve_mesh(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd) {
  if (has_str(cmd, "meshid")) {
    std::string id = str(cmd, "meshid");
    if (id.find('/') == std::string::npos) id = "mesh/" + env.domain + "/" + id;
    if (domain_of(id) != env.domain) return std::nullopt;
    auto m = load(db, id);
    if (!m || m->value("type", "") != "mesh" || m->contains("deleted")) return std::nullopt;
    return m;
  }
  if (has_str(cmd, "meshname")) {
    const std::string name = str(cmd, "meshname");
    for (const auto& id : linked_meshes(caller)) {
      auto m = load(db, id);
      if (m && m->value("name", "") == name && !m->contains("deleted")) return m;
    }
  }
  return std::nullopt;
}

Json user_event_base(const Json& caller) {
  return {{"userid", caller.value("_id", "")}, {"username", caller.value("name", "")}};
}

std::vector<std::string> mesh_targets(const Json& mesh) {
  std::vector<std::string> t{"*", mesh.value("_id", "")};
  if (auto links = mesh.find("links"); links != mesh.end() && links->is_object()) {
    for (const auto& [uid, _] : links->items()) t.push_back(uid);
  }
  return t;
}

store::Status put_or(Store& db, const Json& doc, Outcome& out, const Json& cmd) {
  auto st = db.put(doc);
  if (!st) out.replies.push_back(answer(cmd, "Database error: " + st.error().message));
  return st;
}

// [SECTION] users

void do_users(Store& db, const ActionEnv& env, const Json&, const Json& cmd, Outcome& out) {
  auto users = db.list("user", env.domain);
  Json list = Json::array();
  if (users) {
    for (const auto& u : users.value()) list.push_back(safe_user(u));
  }
  Json a{{"action", "users"}, {"users", std::move(list)}};
  if (cmd.contains("responseid")) a["responseid"] = cmd["responseid"];
  out.replies.push_back(std::move(a));
}

void do_adduser(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  NewAccount acc;
  acc.name = str(cmd, "username");
  acc.password = str(cmd, "pass");
  acc.email = str(cmd, "email");
  acc.realname = str(cmd, "realname");
  acc.reset_next_login = flag(cmd, "resetNextLogin");
  if (cmd.contains("siteadmin")) {
    if (!cmd["siteadmin"].is_number_integer()) return out.replies.push_back(answer(cmd, "Invalid site permissions"));
    const auto want = static_cast<std::uint32_t>(cmd["siteadmin"].get<std::int64_t>() & 0xFFFFFFFF);
    // Only a full administrator may give rights beyond lock / no-new-groups / no-tools.
    if (site_rights(caller) != site_right::kFull && (want & ~(site_right::kLocked | site_right::kNoNewGroups | site_right::kNoTools)) != 0) {
      return out.replies.push_back(answer(cmd, "Invalid site permissions"));
    }
    acc.siteadmin = want;
  }
  auto r = create_account(db, env, acc, &caller, &out);
  if (!r) {
    const auto& e = r.error();
    std::string msg = e.code == "bad-username" ? "Invalid username"
                      : e.code == "exists"     ? "User already exists"
                      : e.code == "bad-email"  ? "Invalid email"
                      : e.code == "bad-password" ? "Invalid password: " + e.message
                                                 : e.message;
    return out.replies.push_back(answer(cmd, msg));
  }
  out.replies.push_back(answer(cmd, "ok"));
}

void do_edituser(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  const std::string id = resolve_user_id(str(cmd, "userid"), env.domain);
  auto target = load(db, id);
  if (!target || domain_of(id) != env.domain) return out.replies.push_back(answer(cmd, "Invalid user"));
  Json u = *target;
  const bool caller_full = site_rights(caller) == site_right::kFull;
  if (site_rights(u) == site_right::kFull && !caller_full) return out.replies.push_back(answer(cmd, "Access denied"));
  std::vector<std::string> changes;
  if (has_str(cmd, "email")) {
    const std::string email = str(cmd, "email");
    if (email.find('@') == std::string::npos || email.size() > 1024) return out.replies.push_back(answer(cmd, "Invalid email"));
    const std::string lower = ascii_lower(email);
    if (u.value("email", "") != lower) {
      u["email"] = lower;
      u["emailVerified"] = false;  // a new address is not verified until its owner says so (or the flag below)
      changes.push_back("email");
    }
    if (cmd.contains("emailVerified") && cmd["emailVerified"].is_boolean()) u["emailVerified"] = cmd["emailVerified"].get<bool>();
  }
  if (has_str(cmd, "realname")) {
    const std::string rn = str(cmd, "realname");
    if (rn.empty()) u.erase("realname"); else u["realname"] = rn;
    changes.push_back("real name");
  }
  if (flag(cmd, "resetNextLogin")) { u["passchange"] = -1; changes.push_back("password reset at next login"); }
  if (cmd.contains("siteadmin")) {
    if (!cmd["siteadmin"].is_number_integer()) return out.replies.push_back(answer(cmd, "Invalid site permissions"));
    const auto want = static_cast<std::uint32_t>(cmd["siteadmin"].get<std::int64_t>() & 0xFFFFFFFF);
    if (!caller_full && (want & ~(site_right::kLocked | site_right::kNoNewGroups | site_right::kNoTools)) != 0) {
      return out.replies.push_back(answer(cmd, "Invalid site permissions"));
    }
    if (id == caller.value("_id", "") && want != site_rights(caller)) {
      return out.replies.push_back(answer(cmd, "Can't change own site rights"));
    }
    if (want == 0) u.erase("siteadmin"); else u["siteadmin"] = want;
    changes.push_back("site permissions");
  }
  if (!put_or(db, u, out, cmd)) return;
  Json ev = user_event_base(caller);
  ev.update({{"etype", "user"}, {"userid", id}, {"username", u.value("name", "")}, {"account", safe_user(u)},
             {"action", "accountchange"}, {"msg", "Account changed: " + u.value("name", "") +
                                                      (changes.empty() ? "" : " (" + changes.front() + (changes.size() > 1 ? ", ..." : "") + ")")},
             {"domain", env.domain}});
  record_event(db, out, {"*", "server-users", id}, std::move(ev));
  out.users_changed.push_back(id);
  out.replies.push_back(answer(cmd, "ok"));
}

void do_deleteuser(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  const std::string id = resolve_user_id(str(cmd, "userid"), env.domain);
  if (id == caller.value("_id", "")) return out.replies.push_back(answer(cmd, "Can't delete self"));
  auto target = load(db, id);
  if (!target || domain_of(id) != env.domain) return out.replies.push_back(answer(cmd, "Invalid userid"));
  if (site_rights(*target) == site_right::kFull && site_rights(caller) != site_right::kFull) {
    return out.replies.push_back(answer(cmd, "Access denied"));
  }
  // Remove the user from its groups first, so no group keeps a link to a missing account.
  for (const auto& meshid : linked_meshes(*target)) {
    if (auto m = load(db, meshid)) {
      if (auto links = m->find("links"); links != m->end() && links->is_object()) links->erase(id);
      db.put(*m);
    }
  }
  auto removed = db.remove(id);
  if (!removed) return out.replies.push_back(answer(cmd, "Database error: " + removed.error().message));
  db.remove("nt" + id);
  Json ev = user_event_base(caller);
  ev.update({{"etype", "user"}, {"userid", id}, {"username", target->value("name", "")}, {"action", "accountremove"},
             {"msg", "Account removed"}, {"domain", env.domain}});
  record_event(db, out, {"*", "server-users", id}, std::move(ev));
  out.users_changed.push_back(id);
  out.replies.push_back(answer(cmd, "ok"));
}

void do_changepassword(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  const std::string oldpass = str(cmd, "oldpass"), newpass = str(cmd, "newpass");
  if (!auth::verify_password(oldpass, caller.value("hash", ""))) return out.replies.push_back(answer(cmd, "Wrong current password"));
  if (auth::constant_time_equal(oldpass, newpass)) return out.replies.push_back(answer(cmd, "The new password must differ from the old one."));
  auto r = set_password(db, env, caller.value("_id", ""), newpass, &out);
  if (!r) return out.replies.push_back(answer(cmd, r.error().message));
  out.replies.push_back(answer(cmd, "ok"));
}

// MeshCentral's "changeemail": the caller's own address; unverified until its link is opened (a
// mail is sent when mail is configured). Settings-locked accounts (site right 1024) may not.
void do_changeemail(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  if (site_rights(caller) != site_right::kFull && (site_rights(caller) & 1024) != 0) return out.replies.push_back(answer(cmd, "Access denied"));
  const std::string email = ascii_lower(str(cmd, "email"));
  if (!mail::valid_address(email) || email.size() > 1024) return out.replies.push_back(answer(cmd, "Invalid email"));
  const std::string uid = caller.value("_id", "");
  if (caller.value("email", "") == email) return out.replies.push_back(answer(cmd, "ok"));
  if (verified_elsewhere(db, env.domain, email, uid).value_or(false)) {
    return out.replies.push_back(answer(cmd, "Another account already uses " + email + "."));
  }
  Json u = caller;
  const std::string old = u.value("email", "");
  u["email"] = email;
  u["emailVerified"] = false;
  if (auto st = db.put(u); !st) return out.replies.push_back(answer(cmd, "Database error"));
  Json ev{{"etype", "user"}, {"userid", uid}, {"username", u.value("name", "")}, {"account", safe_user(u)},
          {"action", "accountchange"},
          {"msg", old.empty() ? "Set email of user " + u.value("name", "") + " to " + email
                              : "Changed email of user " + u.value("name", "") + " from " + old + " to " + email},
          {"domain", env.domain}};
  record_event(db, out, {"*", "server-users", uid}, std::move(ev));
  if (env.email_check) out.mails.push_back(MailJob::about(MailJob::Kind::kVerify, u));
  out.replies.push_back(answer(cmd, "ok"));
}

// MeshCentral's "verifyemail": send the verification link again to the caller's own address.
void do_verifyemail(Store&, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  if (!env.email_check) return out.replies.push_back(answer(cmd, "Email verification is not configured on this server"));
  const std::string email = caller.value("email", "");
  if (email.empty() || ascii_lower(str(cmd, "email")) != email) return out.replies.push_back(answer(cmd, "Invalid email"));
  if (email_verified(caller)) return out.replies.push_back(answer(cmd, "Already verified"));
  out.mails.push_back(MailJob::about(MailJob::Kind::kVerify, caller));
  out.replies.push_back(answer(cmd, "ok"));
}

// MeshCentral's "inviteAgent": mail a device group's agent install instructions to someone
// (`email`, optional `name` and `msg`). Agent groups only; needs mail (Settings::email_check).
void do_inviteagent(const ActionEnv& env, const Json& caller, const Json& mesh, const Json& cmd, Outcome& out) {
  if (!env.email_check) return out.replies.push_back(answer(cmd, "Unsupported feature"));
  if (mesh.value("mtype", 2) != 2) return out.replies.push_back(answer(cmd, "Invalid group type"));
  const std::string email = ascii_lower(str(cmd, "email"));
  if (!mail::valid_address(email)) return out.replies.push_back(answer(cmd, "Invalid email"));
  const std::string name = str(cmd, "name"), note = str(cmd, "msg");
  if (name.size() > 256 || note.size() > 4096) return out.replies.push_back(answer(cmd, "Invalid name or message"));
  MailJob job{MailJob::Kind::kInvite, caller, email, mesh.value("_id", ""), mesh.value("name", ""), name, note};
  out.mails.push_back(std::move(job));
  out.replies.push_back(answer(cmd, "ok"));
}

// MeshCentral's rule for "My Server": site administrators with backup, restore or update rights.
void do_serverstats(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  if ((site_rights(caller) & (site_right::kBackup | site_right::kRestore | site_right::kUpdate)) == 0) {
    return out.replies.push_back(answer(cmd, "Access denied"));
  }
  auto users = db.count("user", env.domain);
  auto meshes = db.count("mesh", env.domain);
  if (!users || !meshes) return out.replies.push_back(answer(cmd, "Database error"));
  Json s{{"UserAccounts", users.value()}, {"DeviceGroups", meshes.value()}};
  if (cmd.contains("responseid")) s["responseid"] = cmd["responseid"];
  out.server_stats = std::move(s);
}

// [SECTION] device groups

void do_meshes(Store& db, const ActionEnv&, const Json& caller, const Json& cmd, Outcome& out) {
  Json list = Json::array();
  for (const auto& id : linked_meshes(caller)) {
    auto m = load(db, id);
    if (m && !m->contains("deleted")) list.push_back(safe_mesh(*m));
  }
  Json a{{"action", "meshes"}, {"meshes", std::move(list)}};
  if (cmd.contains("responseid")) a["responseid"] = cmd["responseid"];
  if (cmd.contains("tag")) a["tag"] = cmd["tag"];
  out.replies.push_back(std::move(a));
}

void do_createmesh(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  const std::string name = str(cmd, "meshname");
  if (name.empty() || name.size() > 128) return out.replies.push_back(answer(cmd, "Invalid group name"));
  const int mtype = !cmd.contains("meshtype") ? 2 : cmd["meshtype"].is_number_integer() ? cmd["meshtype"].get<int>() : 0;
  if (mtype != 1 && mtype != 2) return out.replies.push_back(answer(cmd, "Invalid group type"));
  const std::string desc = str(cmd, "desc");
  if (desc.size() > 1024) return out.replies.push_back(answer(cmd, "Invalid group description"));
  const std::string meshid = "mesh/" + env.domain + "/" + random_id();
  const std::string uid = caller.value("_id", "");
  Json links{{uid, {{"name", caller.value("name", "")}, {"rights", mesh_right::kFull}}}};
  Json mesh{{"_id", meshid}, {"type", "mesh"}, {"mtype", mtype}, {"name", name}, {"desc", desc}, {"domain", env.domain},
            {"links", links}, {"creation", now_ms(env)}, {"creatorid", uid}, {"creatorname", caller.value("name", "")}};
  if (cmd.contains("flags") && cmd["flags"].is_number_integer()) mesh["flags"] = cmd["flags"];
  if (cmd.contains("consent") && cmd["consent"].is_number_integer()) mesh["consent"] = cmd["consent"];
  if (!put_or(db, mesh, out, cmd)) return;
  Json user = caller;
  user["links"][meshid] = {{"rights", mesh_right::kFull}};
  if (!put_or(db, user, out, cmd)) return;
  Json ev = user_event_base(caller);
  ev.update({{"etype", "mesh"}, {"meshid", meshid}, {"mtype", mtype}, {"mesh", safe_mesh(mesh)}, {"action", "createmesh"},
             {"msg", "Device group created: " + name}, {"domain", env.domain}});
  record_event(db, out, {"*", meshid, uid}, std::move(ev));
  out.users_changed.push_back(uid);
  Json a = answer(cmd, "ok");
  a["meshid"] = meshid;
  a["links"] = links;
  out.replies.push_back(std::move(a));
}

void do_deletemesh(Store& db, const ActionEnv& env, const Json& caller, const Json& mesh, const Json& cmd, Outcome& out) {
  const std::string meshid = mesh.value("_id", "");
  // Unlink every member, remove the group's devices, then the group.
  if (auto links = mesh.find("links"); links != mesh.end() && links->is_object()) {
    for (const auto& [uid, _] : links->items()) {
      if (auto u = load(db, uid)) {
        if (auto ul = u->find("links"); ul != u->end() && ul->is_object()) ul->erase(meshid);
        db.put(*u);
        out.users_changed.push_back(uid);
      }
    }
  }
  if (auto nodes = db.list_nodes_by_mesh(meshid)) {
    for (const auto& n : nodes.value()) remove_node_records(db, n.value("_id", ""));
  }
  auto removed = db.remove(meshid);
  if (!removed) return out.replies.push_back(answer(cmd, "Database error: " + removed.error().message));
  db.remove("nt" + meshid);
  Json ev = user_event_base(caller);
  ev.update({{"etype", "mesh"}, {"meshid", meshid}, {"mtype", mesh.value("mtype", 2)}, {"name", mesh.value("name", "")},
             {"action", "deletemesh"}, {"msg", "Device group deleted: " + mesh.value("name", "")}, {"domain", env.domain}});
  record_event(db, out, mesh_targets(mesh), std::move(ev));
  out.replies.push_back(answer(cmd, "ok"));
}

void do_editmesh(Store& db, const ActionEnv& env, const Json& caller, Json mesh, const Json& cmd, Outcome& out) {
  std::vector<std::string> changes;
  if (has_str(cmd, "meshname")) {
    const std::string name = str(cmd, "meshname");
    if (name.empty() || name.size() > 128) return out.replies.push_back(answer(cmd, "Invalid group name"));
    if (name != mesh.value("name", "")) { changes.push_back("Group name changed from \"" + mesh.value("name", "") + "\" to \"" + name + "\""); mesh["name"] = name; }
  }
  if (has_str(cmd, "desc")) {
    const std::string desc = str(cmd, "desc");
    if (desc.size() > 1024) return out.replies.push_back(answer(cmd, "Invalid group description"));
    if (desc != mesh.value("desc", "")) { changes.push_back("Group description changed"); mesh["desc"] = desc; }
  }
  for (const char* key : {"flags", "consent"}) {
    if (cmd.contains(key) && cmd[key].is_number_integer() && mesh.value(key, 0) != cmd[key].get<int>()) {
      mesh[key] = cmd[key];
      changes.push_back(std::string(key) + " changed");
    }
  }
  if (!changes.empty()) {
    if (!put_or(db, mesh, out, cmd)) return;
    std::string msg;
    for (const auto& c : changes) msg += (msg.empty() ? "" : ", ") + c;
    Json ev = user_event_base(caller);
    ev.update({{"etype", "mesh"}, {"meshid", mesh["_id"]}, {"mtype", mesh.value("mtype", 2)}, {"name", mesh.value("name", "")},
               {"desc", mesh.value("desc", "")}, {"mesh", safe_mesh(mesh)}, {"action", "meshchange"}, {"msg", msg}, {"domain", env.domain}});
    record_event(db, out, mesh_targets(mesh), std::move(ev));
  }
  out.replies.push_back(answer(cmd, "ok"));
}

void do_addmeshuser(Store& db, const ActionEnv& env, const Json& caller, Json mesh, const Json& cmd, Outcome& out) {
  std::vector<std::string> ids;
  for (const char* key : {"userids", "usernames"}) {
    if (auto it = cmd.find(key); it != cmd.end() && it->is_array()) {
      for (const auto& v : *it) if (v.is_string()) ids.push_back(resolve_user_id(v.get<std::string>(), env.domain));
    }
  }
  if (has_str(cmd, "userid")) ids.push_back(resolve_user_id(str(cmd, "userid"), env.domain));
  if (!cmd.contains("meshadmin") || !cmd["meshadmin"].is_number_integer()) return out.replies.push_back(answer(cmd, "Invalid rights"));
  const auto rights = static_cast<std::uint32_t>(cmd["meshadmin"].get<std::int64_t>() & 0xFFFFFFFF);
  const std::string meshid = mesh.value("_id", "");
  const auto self_rights = mesh_rights(caller, meshid);
  std::vector<std::string> msgs;
  int ok = 0, failed = 0;
  for (const auto& id : ids) {
    if (domain_of(id) != env.domain) { msgs.push_back("Mismatch domains"); ++failed; continue; }
    if (id == caller.value("_id", "")) { msgs.push_back("Can't change self"); ++failed; continue; }
    auto u = load(db, id);
    if (!u) { msgs.push_back("Unknown user " + value_of(id)); ++failed; continue; }
    const auto target_rights = mesh_rights(*u, meshid);
    if (target_rights == mesh_right::kFull && self_rights != mesh_right::kFull) { msgs.push_back("Can't change rights of device group administrator"); ++failed; continue; }
    // Nobody gives rights they do not have.
    if (self_rights != mesh_right::kFull && !has_all(self_rights, rights)) { msgs.push_back("Can't give rights you do not have"); ++failed; continue; }
    (*u)["links"][meshid] = {{"rights", rights}};
    db.put(*u);
    mesh["links"][id] = {{"name", u->value("name", "")}, {"rights", rights}};
    out.users_changed.push_back(id);
    msgs.push_back("Added user " + value_of(id));
    ++ok;
  }
  if (ok > 0) {
    if (!put_or(db, mesh, out, cmd)) return;
    Json ev = user_event_base(caller);
    ev.update({{"etype", "mesh"}, {"meshid", meshid}, {"mtype", mesh.value("mtype", 2)}, {"name", mesh.value("name", "")},
               {"mesh", safe_mesh(mesh)}, {"action", "meshchange"}, {"msg", msgs.front()}, {"domain", env.domain}});
    record_event(db, out, mesh_targets(mesh), std::move(ev));
  }
  if (msgs.empty()) msgs.push_back("Nothing done");
  std::string joined;
  for (const auto& m : msgs) joined += (joined.empty() ? "" : ", ") + m;
  Json a = answer(cmd, joined);
  a["success"] = ok;
  a["failed"] = failed;
  out.replies.push_back(std::move(a));
}

void do_removemeshuser(Store& db, const ActionEnv& env, const Json& caller, Json mesh, const Json& cmd, Outcome& out) {
  const std::string id = resolve_user_id(str(cmd, "userid"), env.domain);
  const std::string meshid = mesh.value("_id", "");
  if (id == caller.value("_id", "")) return out.replies.push_back(answer(cmd, "Can't remove self"));
  auto links = mesh.find("links");
  if (links == mesh.end() || !links->is_object() || !links->contains(id)) return out.replies.push_back(answer(cmd, "User not in group"));
  const auto target_rights = (*links)[id].value("rights", 0LL);
  if (target_rights == mesh_right::kFull && mesh_rights(caller, meshid) != mesh_right::kFull) {
    return out.replies.push_back(answer(cmd, "Can't remove a device group administrator"));
  }
  const std::string name = (*links)[id].value("name", value_of(id));
  const auto targets_before = mesh_targets(mesh);
  links->erase(id);
  if (!put_or(db, mesh, out, cmd)) return;
  if (auto u = load(db, id)) {
    if (auto ul = u->find("links"); ul != u->end() && ul->is_object()) ul->erase(meshid);
    db.put(*u);
  }
  out.users_changed.push_back(id);
  Json ev = user_event_base(caller);
  ev.update({{"etype", "mesh"}, {"meshid", meshid}, {"mtype", mesh.value("mtype", 2)}, {"name", mesh.value("name", "")},
             {"mesh", safe_mesh(mesh)}, {"action", "meshchange"}, {"msg", "Removed user " + name + " from group " + mesh.value("name", "")},
             {"domain", env.domain}});
  record_event(db, out, targets_before, std::move(ev));
  out.replies.push_back(answer(cmd, "ok"));
}

// [SECTION] devices

// A device entry of a "nodes" answer with its live connectivity and power state, as MeshCentral
// sends them (absent when it is offline).
Json with_presence(const ActionEnv& env, Json node) {
  if (!env.presence) return node;
  if (auto p = env.presence->get(node.value("_id", ""))) {
    node["conn"] = p->conn;
    node["pwr"] = p->pwr;
  }
  return node;
}

void do_nodes(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  std::vector<std::string> meshes;
  if (has_str(cmd, "meshid") || has_str(cmd, "meshname")) {
    auto m = resolve_mesh(db, env, caller, cmd);
    if (!m || mesh_rights(caller, m->value("_id", "")) == 0) return out.replies.push_back(answer(cmd, "Invalid group id"));
    meshes.push_back(m->value("_id", ""));
  } else {
    meshes = linked_meshes(caller);
  }
  if (!has_str(cmd, "id")) {
    // The common case, a whole group or all of them: stored documents as they are, no parsing.
    std::string text = R"({"action":"nodes","nodes":{)";
    bool first = true;
    for (const auto& meshid : meshes) {
      std::string list_text;
      if (env.presence && env.presence->any_in_mesh(meshid)) {
        // Some devices are connected: their conn and pwr go into their entries.
        auto list = db.list_nodes_by_mesh(meshid);
        if (!list) continue;
        Json arr = Json::array();
        for (auto& n : list.value()) arr.push_back(with_presence(env, std::move(n)));
        list_text = arr.dump(-1, ' ', false, Json::error_handler_t::replace);
      } else {
        auto list = db.list_nodes_by_mesh_text(meshid);
        if (!list) continue;
        list_text = std::move(list.value());
      }
      if (!first) text += ',';
      first = false;
      text += Json(meshid).dump();
      text += ':';
      text += list_text;
    }
    text += '}';
    for (const char* key : {"responseid", "tag"}) {
      if (cmd.contains(key)) text += std::string(",\"") + key + "\":" + cmd[key].dump(-1, ' ', false, Json::error_handler_t::replace);
    }
    text += '}';
    out.text_replies.push_back(std::move(text));
    return;
  }
  Json nodes = Json::object();
  for (const auto& meshid : meshes) {
    auto list = db.list_nodes_by_mesh(meshid);
    if (!list) continue;
    Json arr = Json::array();
    for (auto n : list.value()) {
      if (has_str(cmd, "id") && n.value("_id", "") != str(cmd, "id")) continue;
      n.erase("meshid");
      if (auto amt = n.find("intelamt"); amt != n.end() && amt->is_object()) amt->erase("pass");
      arr.push_back(with_presence(env, std::move(n)));
    }
    nodes[meshid] = std::move(arr);
  }
  Json a{{"action", "nodes"}, {"nodes", std::move(nodes)}};
  if (cmd.contains("responseid")) a["responseid"] = cmd["responseid"];
  if (cmd.contains("tag")) a["tag"] = cmd["tag"];
  out.replies.push_back(std::move(a));
}

std::vector<std::string> node_ids(const Json& cmd) {
  std::vector<std::string> ids;
  if (auto it = cmd.find("nodeids"); it != cmd.end() && it->is_array()) {
    for (const auto& v : *it) if (v.is_string()) ids.push_back(v.get<std::string>());
  }
  if (has_str(cmd, "nodeid")) ids.push_back(str(cmd, "nodeid"));
  return ids;
}

// The device if the caller has `right` on its group.
std::optional<Json> node_with_right(Store& db, const ActionEnv& env, const Json& caller, std::string id, std::uint32_t right) {
  if (id.find('/') == std::string::npos) id = "node/" + env.domain + "/" + id;
  if (domain_of(id) != env.domain) return std::nullopt;
  auto n = load(db, id);
  if (!n || n->value("type", "") != "node") return std::nullopt;
  const auto rights = mesh_rights(caller, n->value("meshid", ""));
  if (rights == 0 || !has_all(rights, right)) return std::nullopt;
  return n;
}

// MeshCentral's "getsysinfo": what the device's agent last reported (OS, CPU, memory, disks,
// network interfaces, users), for anyone who can see the device; "noinfo" when there is none.
void do_getsysinfo(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  const auto ids = node_ids(cmd);
  if (ids.size() != 1) return out.replies.push_back(answer(cmd, "Invalid node id"));
  auto node = node_with_right(db, env, caller, ids.front(), 0);
  if (!node) return out.replies.push_back(answer(cmd, "Access Denied"));
  const std::string nodeid = node->value("_id", "");
  Json a{{"action", "getsysinfo"}, {"nodeid", nodeid}};
  auto si = load(db, "si" + nodeid);
  if (si && si->contains("data")) a["data"] = (*si)["data"];
  else a["noinfo"] = true;
  if (cmd.contains("responseid")) a["responseid"] = cmd["responseid"];
  if (cmd.contains("tag")) a["tag"] = cmd["tag"];
  out.replies.push_back(std::move(a));
}

// The event of a command for a device's agent (a shell command or an agent console command): who
// asked, on which device; the caller adds what was run.
Json agent_command_event(const ActionEnv& env, const Json& caller, const Json& node, const char* action, const std::string& msg) {
  return Json{{"etype", "node"},
              {"action", action},
              {"nodeid", node.value("_id", "")},
              {"meshid", node.value("meshid", "")},
              {"userid", caller.value("_id", "")},
              {"username", caller.value("name", "")},
              {"msg", msg},
              {"domain", env.domain}};
}

// MeshCentral's "runcommands" for shell commands (type 0 = the agent's default, 3 = Linux/BSD/macOS
// shell): per device, the remote commands right; a "runcommands" event per device; the commands
// go to the agents afterwards (Outcome::agent_jobs). Windows command types are refused (Linux
// agents only for now). Type 4 is MeshCentral's agent console: one console command per device,
// with the agent console right instead.
void do_runcommands(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  const Json responseid = cmd.contains("responseid") ? cmd["responseid"] : Json();
  auto answer_one = [&](const std::string& result) {
    Json a{{"action", "runcommands"}, {"result", result}};
    if (!responseid.is_null()) a["responseid"] = responseid;
    out.replies.push_back(std::move(a));
  };
  const auto ids = node_ids(cmd);
  if (ids.empty()) return answer_one("Invalid nodeid");
  if (!has_str(cmd, "cmds") || str(cmd, "cmds").empty() || str(cmd, "cmds").size() > 64 * 1024) return answer_one("Invalid commands");
  const int type = cmd.contains("type") && cmd["type"].is_number_integer() ? cmd["type"].get<int>() : 0;
  if (type != 0 && type != 3 && type != 4) {
    return answer_one("Only shell commands (type 0 or 3) and agent console commands (type 4) run on Meshwork's Linux agents");
  }
  const bool console = type == 4;
  const bool reply = cmd.contains("reply") && cmd["reply"].is_boolean() && cmd["reply"].get<bool>();
  for (const auto& id : ids) {
    auto node = node_with_right(db, env, caller, id, console ? mesh_right::kAgentConsole : mesh_right::kRemoteCommands);
    if (!node) {
      answer_one("Access denied");
      continue;
    }
    const std::string nodeid = node->value("_id", "");
    Json ev = agent_command_event(env, caller, *node, "runcommands",
                                  (console ? "Agent console command on " : "Running commands on ") + node->value("name", ""));
    ev["cmds"] = str(cmd, "cmds");
    ev["cmdType"] = console ? 4 : 3;
    record_event(db, out, {"*", node->value("meshid", ""), nodeid, caller.value("_id", "")}, std::move(ev));
    out.agent_jobs.push_back({nodeid, str(cmd, "cmds"), reply, responseid, console ? 4 : 3, false});
  }
}

// Notifications (the chat and notify right), in MeshCentral's shapes and limits: the message 1 to
// 4,096 characters, the title up to 512 (else the domain's Title). A message box closes by itself
// after "timeout" milliseconds (MeshCentral's default 120,000; 0 keeps it until closed; at most an
// hour here).
constexpr std::size_t kMaxNoticeMessage = 4096, kMaxNoticeTitle = 512;

std::string notice_title(const ActionEnv& env, const Json& cmd) {
  const std::string t = str(cmd, "title");
  return t.empty() || t.size() > kMaxNoticeTitle ? env.title : t;
}

// MeshCentral's "toast": {"action":"toast","nodeids":[...],"title","msg"}: a desktop notification
// on each device the caller has the chat and notify right on (the others are skipped).
void do_toast(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  const auto ids = node_ids(cmd);
  if (ids.empty() || ids.size() > 256) return out.replies.push_back(answer(cmd, "Invalid nodeids"));
  const std::string msg = str(cmd, "msg");
  if (msg.empty() || msg.size() > kMaxNoticeMessage) return out.replies.push_back(answer(cmd, "Invalid message"));
  std::size_t sent = 0;
  for (const auto& id : ids) {
    auto node = node_with_right(db, env, caller, id, mesh_right::kChatNotify);
    if (!node) continue;
    out.agent_notices.push_back(
        {node->value("_id", ""), {proto::agent::Notify::Kind::kToast, notice_title(env, cmd), msg, caller.value("name", ""), 0}, false, {}, {}});
    ++sent;
  }
  out.replies.push_back(answer(cmd, sent ? "ok" : "Access denied"));
}

// MeshCentral's message box: {"action":"msg","type":"messagebox","nodeid","title","msg","timeout"}.
void do_messagebox(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  const auto ids = node_ids(cmd);
  const std::string msg = str(cmd, "msg");
  std::string refusal;
  std::optional<Json> node;
  if (ids.size() != 1) refusal = "Invalid nodeid";
  else if (msg.empty() || msg.size() > kMaxNoticeMessage) refusal = "Invalid message";
  else if (!(node = node_with_right(db, env, caller, ids.front(), mesh_right::kChatNotify))) refusal = "Access denied";
  if (!refusal.empty()) {
    if (cmd.contains("responseid")) out.replies.push_back(answer(cmd, refusal));
    return;
  }
  std::int64_t timeout_ms = 120'000;
  if (cmd.contains("timeout") && cmd["timeout"].is_number()) timeout_ms = cmd["timeout"].get<std::int64_t>();
  const int timeout_s = static_cast<int>(std::clamp<std::int64_t>((timeout_ms + 999) / 1000, 0, 3600));
  AgentNotice n{node->value("_id", ""),
                {proto::agent::Notify::Kind::kMessageBox, notice_title(env, cmd), msg, caller.value("name", ""), timeout_s},
                cmd.contains("responseid"),
                cmd.contains("responseid") ? cmd["responseid"] : Json(),
                cmd.contains("tag") ? cmd["tag"] : Json()};
  out.agent_notices.push_back(std::move(n));
}

// MeshCentral's web UI agent console: {"action":"msg","type":"console","nodeid","value"} runs one
// agent console command (the agent console right); the output comes back as
// {"action":"msg","type":"console","nodeid","value"}. Type "messagebox" is do_messagebox; other
// "msg" types are not offered.
void do_msg(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  if (str(cmd, "type") == "messagebox") return do_messagebox(db, env, caller, cmd, out);
  if (str(cmd, "type") != "console") return;
  const auto ids = node_ids(cmd);
  auto reply = [&](const std::string& nodeid, const std::string& text) {
    out.replies.push_back({{"action", "msg"}, {"type", "console"}, {"nodeid", nodeid}, {"value", text}});
  };
  if (ids.size() != 1) return reply("", "Invalid node id");
  const std::string value = str(cmd, "value");
  if (value.empty() || value.size() > 4096) return reply(ids.front(), "Invalid command");
  auto node = node_with_right(db, env, caller, ids.front(), mesh_right::kAgentConsole);
  if (!node) return reply(ids.front(), "Access denied");
  const std::string nodeid = node->value("_id", "");
  Json ev = agent_command_event(env, caller, *node, "agentconsole", "Agent console command on " + node->value("name", "") + ": " + value);
  ev["cmd"] = value;
  record_event(db, out, {"*", node->value("meshid", ""), nodeid, caller.value("_id", "")}, std::move(ev));
  out.agent_jobs.push_back({nodeid, value, true, Json(), 4, true});
}

// Notes on a device, a device group or an account (MeshCentral's getNotes / setNotes), kept as
// MeshCentral keeps them so they carry over: {"_id": "nt" + id, "type": "note", "value": text}.
// Who: a device's notes are read by anyone who sees the device and written with the "notes"
// right; a group's need "edit group" both ways; an account's the "manage users" site right (and
// a full administrator's only a full administrator's). Empty notes remove the record.
constexpr std::size_t kMaxNotes = 64 * 1024;

bool may_use_notes(Store& db, const ActionEnv& env, const Json& caller, const std::string& id, bool write) {
  if (id.empty() || id.size() > 1024 || domain_of(id) != env.domain) return false;
  if (id.rfind("node/", 0) == 0) return node_with_right(db, env, caller, id, write ? mesh_right::kNotes : 0).has_value();
  if (id.rfind("mesh/", 0) == 0) {
    auto m = load(db, id);
    if (!m || m->value("type", "") != "mesh" || m->contains("deleted")) return false;
    const auto rights = mesh_rights(caller, id);
    return rights != 0 && has_all(rights, mesh_right::kEditGroup);
  }
  if (id.rfind("user/", 0) == 0) {
    auto u = load(db, id);
    if (!u || !has_all(site_rights(caller), site_right::kManageUsers)) return false;
    return site_rights(*u) != site_right::kFull || site_rights(caller) == site_right::kFull;
  }
  return false;
}

void do_getnotes(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  const std::string id = str(cmd, "id");
  if (!may_use_notes(db, env, caller, id, false)) return out.replies.push_back(answer(cmd, "Access denied"));
  Json a{{"action", "getNotes"}, {"id", id}, {"notes", nullptr}};
  if (auto n = load(db, "nt" + id); n && n->contains("value") && (*n)["value"].is_string()) a["notes"] = (*n)["value"];
  if (cmd.contains("responseid")) a["responseid"] = cmd["responseid"];
  if (cmd.contains("tag")) a["tag"] = cmd["tag"];
  out.replies.push_back(std::move(a));
}

void do_setnotes(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  const std::string id = str(cmd, "id");
  if (!may_use_notes(db, env, caller, id, true)) return out.replies.push_back(answer(cmd, "Access denied"));
  if (cmd.contains("notes") && !cmd["notes"].is_string() && !cmd["notes"].is_null()) {
    return out.replies.push_back(answer(cmd, "Invalid notes"));
  }
  const std::string notes = str(cmd, "notes");
  if (notes.size() > kMaxNotes) return out.replies.push_back(answer(cmd, "Notes are limited to 64 KiB"));
  const auto st = notes.empty() ? db.remove("nt" + id).ok() : db.put({{"_id", "nt" + id}, {"type", "note"}, {"value", notes}}).ok();
  if (!st) return out.replies.push_back(answer(cmd, "Database error"));
  out.replies.push_back(answer(cmd, "ok"));
}

// MeshCentral's "uninstallagent": each device's agent (the "uninstall agent" right on its group)
// is asked to remove itself; devices without the right are skipped, as MeshCentral does. The
// device record stays (removedevices takes it away). An event per device asked.
void do_uninstallagent(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  const auto ids = node_ids(cmd);
  if (ids.empty()) return out.replies.push_back(answer(cmd, "Invalid node id"));
  std::size_t asked = 0;
  for (const auto& id : ids) {
    auto node = node_with_right(db, env, caller, id, mesh_right::kUninstall);
    if (!node) continue;
    const std::string nodeid = node->value("_id", "");
    Json ev = user_event_base(caller);
    ev.update({{"etype", "node"}, {"nodeid", nodeid}, {"meshid", node->value("meshid", "")}, {"action", "uninstallagent"},
               {"msg", "Asked the agent of " + node->value("name", "") + " to uninstall itself"}, {"domain", env.domain}});
    record_event(db, out, {"*", node->value("meshid", ""), nodeid, caller.value("_id", "")}, std::move(ev));
    out.agent_uninstalls.push_back(nodeid);
    ++asked;
  }
  out.replies.push_back(answer(cmd, asked ? "ok" : "Access denied"));
}

void do_changedevice(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  const auto ids = node_ids(cmd);
  if (ids.size() != 1) return out.replies.push_back(answer(cmd, "Invalid node id"));
  auto node = node_with_right(db, env, caller, ids.front(), mesh_right::kManageDevices);
  if (!node) return out.replies.push_back(answer(cmd, "Access Denied"));
  Json n = *node;
  std::vector<std::string> changes;
  if (has_str(cmd, "name")) {
    const std::string name = str(cmd, "name");
    if (name.empty() || name.size() > 256) return out.replies.push_back(answer(cmd, "Invalid name"));
    if (name != n.value("name", "")) { n["name"] = name; changes.push_back("name"); }
  }
  if (cmd.contains("icon")) {
    if (!cmd["icon"].is_number_integer() || cmd["icon"].get<int>() < 0 || cmd["icon"].get<int>() > 8) return out.replies.push_back(answer(cmd, "Invalid icon"));
    if (n.value("icon", 0) != cmd["icon"].get<int>()) { n["icon"] = cmd["icon"]; changes.push_back("icon"); }
  }
  if (has_str(cmd, "desc")) {
    const std::string desc = str(cmd, "desc");
    if (desc.size() > 1024) return out.replies.push_back(answer(cmd, "Invalid description"));
    if (desc.empty()) n.erase("desc"); else n["desc"] = desc;
    changes.push_back("description");
  }
  if (cmd.contains("tags")) {
    Json tags = Json::array();
    if (cmd["tags"].is_string()) {
      const std::string s = cmd["tags"].get<std::string>();
      std::size_t start = 0;
      while (start <= s.size()) {
        auto end = s.find(',', start);
        if (end == std::string::npos) end = s.size();
        std::string t = s.substr(start, end - start);
        t.erase(0, t.find_first_not_of(' '));
        t.erase(t.find_last_not_of(' ') + 1);
        if (!t.empty()) tags.push_back(t);
        start = end + 1;
      }
    } else if (cmd["tags"].is_array()) {
      for (const auto& t : cmd["tags"]) if (t.is_string() && !t.get<std::string>().empty()) tags.push_back(t);
    }
    if (tags.size() > 64) return out.replies.push_back(answer(cmd, "Too many tags"));
    if (tags.empty()) n.erase("tags"); else n["tags"] = tags;
    changes.push_back("tags");
  }
  bool amt_credentials = false;
  if (cmd.contains("intelamt") && cmd["intelamt"].is_object() && cmd["intelamt"].contains("tls")) {
    // TLS on or off (MeshCentral's intelamt.tls). Saving it also forgets the pinned certificate:
    // the next connection pins what the device presents then (a device given a new certificate).
    const Json& t = cmd["intelamt"]["tls"];
    int tls = 0;
    if (t == 1 || t == "1" || t == true) tls = 1;
    else if (!(t == 0 || t == "0" || t == false)) return out.replies.push_back(answer(cmd, "Invalid Intel AMT TLS setting"));
    if (!n.contains("intelamt") || !n["intelamt"].is_object()) n["intelamt"] = Json::object();
    Json& a = n["intelamt"];
    a["tls"] = tls;
    a.erase("hash");
    if (a.contains("warn") && a["warn"].is_number_integer()) {
      const int warn = a["warn"].get<int>() & ~4;
      if (warn) a["warn"] = warn; else a.erase("warn");
    }
    changes.push_back(tls ? "Intel AMT TLS on" : "Intel AMT TLS off");
    amt_credentials = true;  // read it again
  }
  if (cmd.contains("intelamt") && cmd["intelamt"].is_object() && cmd["intelamt"].contains("pass")) {
    // Intel AMT credentials, as MeshCentral's device page sends them: sealed in their own record,
    // only the user name in the device record ("warn" 8: being tried).
    const Json& a = cmd["intelamt"];
    amt::AmtCredentials c;
    c.user = a.contains("user") && a["user"].is_string() ? a["user"].get<std::string>() : "admin";
    if (!a["pass"].is_string()) return out.replies.push_back(answer(cmd, "Invalid Intel AMT password"));
    c.pass = a["pass"].get<std::string>();
    if (auto bad = amt::check_credentials(c)) return out.replies.push_back(answer(cmd, *bad));
    if (!env.amt_key) return out.replies.push_back(answer(cmd, "Intel AMT management is not available"));
    if (auto st = amt::store_credentials(db, n.value("_id", ""), c, *env.amt_key); !st) {
      return out.replies.push_back(answer(cmd, "Database error: " + st.error().message));
    }
    if (!n.contains("intelamt") || !n["intelamt"].is_object()) n["intelamt"] = Json::object();
    n["intelamt"]["user"] = c.user;
    n["intelamt"]["warn"] = 8;
    n["intelamt"].erase("pass");
    changes.push_back("Intel AMT credentials");
    amt_credentials = true;
  }
  if (!changes.empty()) {
    if (!put_or(db, n, out, cmd)) return;
    if (amt_credentials) {
      out.amt_jobs.push_back({AmtJob::Kind::kInventory, n.value("_id", ""), n.value("meshid", ""), 0,
                              caller.value("_id", ""), caller.value("name", ""), {}, {}});
    }
    const auto group = load(db, n.value("meshid", ""));
    std::string msg = "Changed device " + n.value("name", "") + " from group " +
                      (group ? group->value("name", n.value("meshid", "")) : n.value("meshid", "")) + ": ";
    for (std::size_t i = 0; i < changes.size(); ++i) msg += (i ? ", " : "") + changes[i];
    Json safe = n;
    if (auto amt = safe.find("intelamt"); amt != safe.end() && amt->is_object()) amt->erase("pass");
    Json ev = user_event_base(caller);
    ev.update({{"etype", "node"}, {"nodeid", n["_id"]}, {"meshid", n.value("meshid", "")}, {"node", safe},
               {"action", "changenode"}, {"msg", msg}, {"domain", env.domain}});
    record_event(db, out, {"*", n.value("meshid", ""), n.value("_id", "")}, std::move(ev));
  }
  out.replies.push_back(answer(cmd, "ok"));
}

void do_removedevices(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  const auto ids = node_ids(cmd);
  if (ids.empty()) return out.replies.push_back(answer(cmd, "Invalid node id"));
  // All or nothing: a list with one device the caller may not remove removes none.
  std::vector<Json> nodes;
  for (const auto& id : ids) {
    auto n = node_with_right(db, env, caller, id, mesh_right::kManageDevices);
    if (!n) return out.replies.push_back(answer(cmd, "Denied"));
    nodes.push_back(std::move(*n));
  }
  for (const auto& n : nodes) {
    auto r = remove_node_records(db, n.value("_id", ""));
    if (!r) return out.replies.push_back(answer(cmd, "Database error: " + r.error().message));
    (void)amt::remove_credentials(db, n.value("_id", ""));
    Json ev = user_event_base(caller);
    ev.update({{"etype", "node"}, {"nodeid", n["_id"]}, {"meshid", n.value("meshid", "")}, {"action", "removenode"},
               {"msg", "Removed device " + n.value("name", "") + " from device group"}, {"domain", env.domain}});
    record_event(db, out, {"*", n.value("meshid", ""), n.value("_id", "")}, std::move(ev));
  }
  out.replies.push_back(answer(cmd, "ok"));
}

// The CIRA settings of an Intel AMT device group for its administrators (edit-group right): the
// MPS address and port, the group's CIRA user name, the MPS password and the root certificate
// Intel AMT must trust — what MeshCentral's "Add CIRA device" dialog carries. Meshwork's action.
void do_ciraconfig(const ActionEnv& env, const Json& mesh, const Json& cmd, Outcome& out) {
  if (!env.cira) return out.replies.push_back(answer(cmd, "The MPS is off (MpsPort 0 or LanOnly)"));
  const std::string meshid = mesh.value("_id", "");
  Json a = answer(cmd, "ok");
  a.update({{"meshid", meshid}, {"mpshost", env.cira->host}, {"mpsport", env.cira->port}, {"mpsuser", cira_username(meshid)},
            {"mpspass", env.cira->password}, {"rootcertsha384", env.cira->root_cert_sha384},
            {"rootcert", env.cira->root_cert_pem}});
  out.replies.push_back(std::move(a));
}

// MeshCentral's "addamtdevice": an Intel AMT computer on the LAN, by host name or address, in an
// "Intel AMT only" group (manage-devices right). Its credentials are sealed at once; the AMT
// manager then reads it over TCP.
void do_addamtdevice(Store& db, const ActionEnv& env, const Json& caller, const Json& mesh, const Json& cmd, Outcome& out) {
  if (mesh.value("mtype", 2) != 1) return out.replies.push_back(answer(cmd, "Intel AMT agentless mesh only allowed"));
  const std::string name = str(cmd, "devicename"), host = str(cmd, "hostname");
  if (name.empty() || name.size() > 256) return out.replies.push_back(answer(cmd, "Invalid devicename"));
  if (host.empty() || host.size() > 256 || host.find_first_of(" /\\@") != std::string::npos) {
    return out.replies.push_back(answer(cmd, "Invalid hostname"));
  }
  // MeshCentral's amttls: 0 or 1 (as a number or a string); absent is 0.
  int tls = 0;
  if (cmd.contains("amttls")) {
    const Json& t = cmd["amttls"];
    if (t == 1 || t == "1" || t == true) tls = 1;
    else if (!(t == 0 || t == "0" || t == false)) return out.replies.push_back(answer(cmd, "Invalid amttls"));
  }
  amt::AmtCredentials c;
  c.user = has_str(cmd, "amtusername") && !str(cmd, "amtusername").empty() ? str(cmd, "amtusername") : "admin";
  c.pass = str(cmd, "amtpassword");
  if (auto bad = amt::check_credentials(c)) return out.replies.push_back(answer(cmd, *bad));
  if (!env.amt_key) return out.replies.push_back(answer(cmd, "Intel AMT management is not available"));
  const std::string meshid = mesh.value("_id", "");
  const std::string nodeid = "node/" + env.domain + "/" + random_id();
  Json n{{"_id", nodeid}, {"type", "node"}, {"mtype", 1}, {"meshid", meshid}, {"icon", 1}, {"name", name},
         {"host", host}, {"domain", env.domain},
         {"intelamt", {{"user", c.user}, {"host", host}, {"tls", tls}, {"state", 2}, {"warn", 8}}}};
  if (auto st = amt::store_credentials(db, nodeid, c, *env.amt_key); !st) {
    return out.replies.push_back(answer(cmd, "Database error: " + st.error().message));
  }
  if (!put_or(db, n, out, cmd)) return;
  Json ev = user_event_base(caller);
  ev.update({{"etype", "node"}, {"nodeid", nodeid}, {"meshid", meshid}, {"node", n}, {"action", "addnode"},
             {"msg", "Added device " + name + " to device group " + mesh.value("name", "")}, {"domain", env.domain}});
  record_event(db, out, {"*", meshid, nodeid}, std::move(ev));
  out.amt_jobs.push_back({AmtJob::Kind::kInventory, nodeid, meshid, 0, caller.value("_id", ""), caller.value("name", ""), {}, {}});
  Json a = answer(cmd, "ok");
  a["nodeid"] = nodeid;
  out.replies.push_back(std::move(a));
}

// MeshCentral's "poweraction": 302 power on (needs the wake right), 308 power off, 310 reset,
// and — Meshwork's additions with the same numbering — 304 sleep, 305 power cycle, 307 hibernate
// (the reset/off right). Intel AMT power actions of devices the caller may act on become AMT jobs;
// agent power actions (2-4) arrive with the agent. No Intel AMT right (kNoAmt): refused.
void do_poweraction(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  if (!cmd.contains("actiontype") || !cmd["actiontype"].is_number_integer()) return out.replies.push_back(answer(cmd, "Invalid action type"));
  const int type = cmd["actiontype"].get<int>();
  // MeshCentral's Intel AMT actions: 302 on, 304 sleep, 305 power cycle, 307 hibernate, 308 off,
  // 310 reset; 311/312 power on / reset to BIOS setup, 313/314 the same with SOL, 315/316 PXE;
  // Meshwork's 317/318 power on / reset to the IDE-R floppy, 319/320 to the IDE-R CD-ROM (the
  // images an IDE-R session serves: amt_relay.hpp).
  static constexpr int kAmtActions[] = {302, 304, 305, 307, 308, 310, 311, 312, 313, 314, 315, 316, 317, 318, 319, 320};
  if (std::find(std::begin(kAmtActions), std::end(kAmtActions), type) == std::end(kAmtActions)) {
    return out.replies.push_back(answer(cmd, "Invalid action type"));
  }
  const std::uint32_t needs = type == 302 ? mesh_right::kWake : mesh_right::kResetPowerOff;
  const auto ids = node_ids(cmd);
  if (ids.empty()) return out.replies.push_back(answer(cmd, "Invalid node id"));
  for (const auto& id : ids) {
    auto n = node_with_right(db, env, caller, id, needs);
    if (!n) continue;  // as MeshCentral: devices the caller may not act on are skipped
    if (has_all(mesh_rights(caller, n->value("meshid", "")), mesh_right::kNoAmt) &&
        mesh_rights(caller, n->value("meshid", "")) != mesh_right::kFull) {
      continue;
    }
    out.amt_jobs.push_back({AmtJob::Kind::kPower, n->value("_id", ""), n->value("meshid", ""), type - 300,
                            caller.value("_id", ""), caller.value("name", ""), {}, {}});
  }
  out.replies.push_back(answer(cmd, "ok"));
}

// Meshwork's "amtinfo": what Intel AMT itself reports about the computer (hardware inventory,
// event log, security audit log), read now through WS-Management by the server. MeshCentral's
// browser reads the same through its WS-Management relay; here the credentials stay on the
// server. Needs remote control on the device's group, and not "no Intel AMT".
void do_amtinfo(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  const std::string what = str(cmd, "what");
  if (what != "hardware" && what != "eventlog" && what != "auditlog") return out.replies.push_back(answer(cmd, "Invalid what"));
  const auto ids = node_ids(cmd);
  if (ids.size() != 1) return out.replies.push_back(answer(cmd, "Invalid node id"));
  auto n = node_with_right(db, env, caller, ids.front(), mesh_right::kRemoteControl);
  if (!n) return out.replies.push_back(answer(cmd, "Access denied"));
  const auto rights = mesh_rights(caller, n->value("meshid", ""));
  if (has_all(rights, mesh_right::kNoAmt) && rights != mesh_right::kFull) return out.replies.push_back(answer(cmd, "Access denied"));
  if (!n->contains("intelamt") || !(*n)["intelamt"].is_object()) return out.replies.push_back(answer(cmd, "Not an Intel AMT device"));
  AmtJob job{AmtJob::Kind::kRead, n->value("_id", ""), n->value("meshid", ""), 0, caller.value("_id", ""), caller.value("name", ""),
             what, cmd.contains("responseid") ? cmd["responseid"] : Json()};
  out.amt_jobs.push_back(std::move(job));
}

// MeshCentral's "scanamtdevice" from a group's Add Intel AMT device dialog: the range is checked
// here (syntax and size), the probing is the control channel's (amt/amt_scanner.hpp).
void do_scanamtdevice(const ActionEnv& env, const Json& cmd, Outcome& out) {
  if (env.wan_only) return out.replies.push_back(answer(cmd, "This is a WAN-only server: it does not scan networks"));
  const std::string text = str(cmd, "range");
  if (text.empty() || text.size() > 256) return out.replies.push_back(answer(cmd, "Invalid range"));
  auto range = amt::parse_ipv4_range(text);
  if (!range) return out.replies.push_back(answer(cmd, range.error().message));
  out.amt_scan = AmtScanJob{text, range->first, range->last, cmd.contains("responseid") ? cmd["responseid"] : Json()};
}

void do_changedevicemesh(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  auto target = resolve_mesh(db, env, caller, cmd);
  if (!target) return out.replies.push_back(answer(cmd, "Invalid group id"));
  const std::string to = target->value("_id", "");
  if (!has_all(mesh_rights(caller, to), mesh_right::kManageDevices)) return out.replies.push_back(answer(cmd, "Permission denied"));
  const auto ids = node_ids(cmd);
  if (ids.empty()) return out.replies.push_back(answer(cmd, "Device not found"));
  std::vector<Json> nodes;
  for (const auto& id : ids) {
    auto n = node_with_right(db, env, caller, id, mesh_right::kManageDevices);
    if (!n) return out.replies.push_back(answer(cmd, "Permission denied"));
    if (n->value("meshid", "") == to) return out.replies.push_back(answer(cmd, "Device already in correct group"));
    auto from = load(db, n->value("meshid", ""));
    if (from && from->value("mtype", 2) != target->value("mtype", 2)) return out.replies.push_back(answer(cmd, "Device groups are of different types"));
    nodes.push_back(std::move(*n));
  }
  for (auto& n : nodes) {
    const std::string from = n.value("meshid", "");
    n["meshid"] = to;
    if (!put_or(db, n, out, cmd)) return;
    if (env.presence) env.presence->relocate(n.value("_id", ""), to);
    Json ev = user_event_base(caller);
    ev.update({{"etype", "node"}, {"nodeid", n["_id"]}, {"meshid", to}, {"oldMeshId", from}, {"newMeshId", to}, {"node", n},
               {"action", "nodemeshchange"},
               {"msg", "Moved device " + n.value("name", "") + " to group " + target->value("name", "")}, {"domain", env.domain}});
    record_event(db, out, {"*", from, to, n.value("_id", "")}, std::move(ev));
  }
  out.replies.push_back(answer(cmd, "ok"));
}

// [SECTION] events

void do_events(Store& db, const ActionEnv& env, const Json& caller, const Json& cmd, Outcome& out) {
  store::EventQuery q;
  q.domain = env.domain;
  int limit = 10000;
  if (cmd.contains("limit") && cmd["limit"].is_number_integer() && cmd["limit"].get<int>() > 0) limit = std::min(cmd["limit"].get<int>(), 10000);
  q.limit = limit;
  Json a{{"action", "events"}};
  const bool manage_users = has_all(site_rights(caller), site_right::kManageUsers);
  if (has_str(cmd, "user") || has_str(cmd, "userid")) {
    const std::string uid = resolve_user_id(has_str(cmd, "user") ? str(cmd, "user") : str(cmd, "userid"), env.domain);
    if (uid != caller.value("_id", "") && !manage_users) return out.replies.push_back(answer(cmd, "Access denied"));
    q.userid = uid;
    a["user"] = uid;
  } else if (has_str(cmd, "nodeid")) {
    auto n = node_with_right(db, env, caller, str(cmd, "nodeid"), 0);
    if (!n) return out.replies.push_back(answer(cmd, "Invalid node id"));
    q.nodeid = n->value("_id", "");
    // With "limit events" the caller sees only its own actions on the device.
    if (has_all(mesh_rights(caller, n->value("meshid", "")), mesh_right::kLimitEvents)) q.userid = caller.value("_id", "");
    a["nodeid"] = q.nodeid.value();
  } else {
    q.targets = subscriptions(caller);
    if (has_all(site_rights(caller), site_right::kAllEvents) || site_rights(caller) == site_right::kFull) q.targets.clear();
  }
  auto events = db.query_events(q);
  if (!events) return out.replies.push_back(answer(cmd, "Database error: " + events.error().message));
  Json list = Json::array();
  for (auto& e : events.value()) {
    e.erase("ids");
    list.push_back(std::move(e));
  }
  a["events"] = std::move(list);
  if (cmd.contains("responseid")) a["responseid"] = cmd["responseid"];
  if (cmd.contains("tag")) a["tag"] = cmd["tag"];
  out.replies.push_back(std::move(a));
}

}  // namespace

void record_node_change(Store& s, Outcome& out, const Json& n, std::string msg) {
  const std::string nodeid = n.value("_id", "");
  Json ev{{"etype", "node"},
          {"action", "changenode"},
          {"nodeid", nodeid},
          {"meshid", n.value("meshid", "")},
          {"node", n},
          {"msg", std::move(msg)},
          {"domain", domain_of(nodeid)}};
  record_event(s, out, {"*", n.value("meshid", ""), nodeid}, std::move(ev));
}

void record_event(Store& db, Outcome& out, std::vector<std::string> targets, Json event) {
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  Json stored = event;
  stored["ids"] = targets;
  auto id = db.add_event(stored);
  (void)id;  // an event that could not be stored is still pushed live
  event["time"] = store::format_time(store::now_ms());
  out.events.push_back({std::move(targets), std::move(event)});
}

mw::Result<std::int64_t> count_users(Store& db, const std::string& domain) { return db.count("user", domain); }

mw::Result<Json> create_account(Store& db, const ActionEnv& env, const NewAccount& acc, const Json* creator, Outcome* out) {
  if (!valid_username(acc.name)) return make_error("bad-username", "Invalid user name (1 to 64 characters, no spaces or '/').");
  if (!acc.email.empty() && (acc.email.find('@') == std::string::npos || acc.email.size() > 1024)) {
    return make_error("bad-email", "Invalid email address.");
  }
  if (auto bad = check_password(acc.password, env.rules)) return make_error("bad-password", *bad);
  const std::string id = user_id(env.domain, acc.name);
  auto existing = db.get(id);
  if (!existing) return existing.error();
  if (existing.value()) return make_error("exists", "An account with this name already exists.");
  auto users = db.count("user", env.domain);
  if (!users) return users.error();
  const std::int64_t now_s = now_ms(env) / 1000;
  Json user{{"_id", id}, {"type", "user"}, {"name", acc.name}, {"domain", env.domain}, {"creation", now_s},
            {"passchange", acc.reset_next_login ? -1 : now_s}};
  if (users.value() == 0) {
    user["siteadmin"] = site_right::kFull;  // the first account of a domain administers it
  } else if (acc.siteadmin && *acc.siteadmin != 0) {
    user["siteadmin"] = *acc.siteadmin;
  }
  if (!acc.email.empty()) {
    const std::string lower = ascii_lower(acc.email);
    user["email"] = lower;
  }
  if (!acc.realname.empty()) user["realname"] = acc.realname;
  user["hash"] = env.hash_iterations ? auth::hash_password(acc.password, env.hash_iterations) : auth::hash_password(acc.password);
  if (auto st = db.put(user); !st) return st.error();
  if (out) {
    Json ev{{"etype", "user"}, {"userid", id}, {"username", acc.name}, {"account", safe_user(user)}, {"action", "accountcreate"},
            {"msg", acc.email.empty() ? "Account created, username is " + acc.name : "Account created, email is " + user.value("email", "")},
            {"domain", env.domain}};
    if (creator) {
      ev["userid"] = creator->value("_id", "");
      ev["username"] = creator->value("name", "");
      ev["targetuserid"] = id;
    }
    // As MeshCentral: user managers hear of it; the new account's own sessions do not exist yet.
    record_event(db, *out, {"*", "server-users"}, std::move(ev));
  }
  return user;
}

bool email_verified(const Json& user) { return user.contains("emailVerified") && user["emailVerified"] == true; }

mw::Result<bool> verified_elsewhere(Store& db, const std::string& domain, const std::string& email, const std::string& userid) {
  auto users = db.list("user", domain);
  if (!users) return users.error();
  for (const auto& u : users.value()) {
    if (u.value("_id", "") != userid && u.value("email", "") == email && email_verified(u)) return true;
  }
  return false;
}

mw::Result<Json> set_password(Store& db, const ActionEnv& env, const std::string& userid, const std::string& password, Outcome* out) {
  if (auto bad = check_password(password, env.rules)) return make_error("bad-password", *bad);
  auto u = db.get(userid);
  if (!u) return u.error();
  if (!u.value()) return make_error("no-user", "No such account.");
  Json user = *u.value();
  user["hash"] = env.hash_iterations ? auth::hash_password(password, env.hash_iterations) : auth::hash_password(password);
  user.erase("salt");
  user["passchange"] = now_ms(env) / 1000;
  if (auto st = db.put(user); !st) return st.error();
  if (out) {
    Json ev{{"etype", "user"}, {"userid", userid}, {"username", user.value("name", "")}, {"account", safe_user(user)},
            {"action", "accountchange"}, {"msg", "Changed account password"}, {"domain", env.domain}};
    record_event(db, *out, {"*", "server-users", userid}, std::move(ev));
  }
  return user;
}

namespace {
Outcome handle_checked(Store& db, const ActionEnv& env, const std::string& caller_id, const Json& cmd);
}

Outcome handle_action(Store& db, const ActionEnv& env, const std::string& caller_id, const Json& cmd) {
  // Field types are checked where they are read; a record or message of an unexpected shape that
  // slipped through (an imported document, say) still only fails this one action.
  try {
    return handle_checked(db, env, caller_id, cmd);
  } catch (const Json::exception& e) {
    Outcome out;
    out.replies.push_back(answer(cmd.is_object() ? cmd : Json::object(), std::string("Invalid request: ") + e.what()));
    return out;
  }
}

namespace {
Outcome handle_checked(Store& db, const ActionEnv& env, const std::string& caller_id, const Json& cmd) {
  Outcome out;
  if (!cmd.is_object()) return out;
  const std::string action = str(cmd, "action");
  const auto policy = policy_for(action);
  if (!policy) return out;  // not offered: no answer, as MeshCentral
  auto caller_rec = load(db, caller_id);
  if (!caller_rec || is_locked(*caller_rec)) {
    out.caller_gone = true;
    return out;
  }
  const Json& caller = *caller_rec;
  const auto site = site_rights(caller);
  switch (policy->scope) {
    case Scope::kSelf:
    case Scope::kMeshView:
    case Scope::kNodes:  // checked per device by the handler
      break;
    case Scope::kSite:
      if (!has_all(site, policy->right)) {
        // MeshCentral's listing answers carry the reason in "result".
        out.replies.push_back(answer(cmd, "Access denied"));
        return out;
      }
      break;
    case Scope::kCreateMesh:
      if (has_all(site, site_right::kNoNewGroups) && site != site_right::kFull) {
        out.replies.push_back(answer(cmd, "Access denied"));
        return out;
      }
      break;
    case Scope::kMesh: {
      auto mesh = resolve_mesh(db, env, caller, cmd);
      if (!mesh) {
        out.replies.push_back(answer(cmd, "Unknown device group"));
        return out;
      }
      const auto rights = mesh_rights(caller, mesh->value("_id", ""));
      if (rights == 0 || !has_all(rights, policy->right)) {
        out.replies.push_back(answer(cmd, "Access denied"));
        return out;
      }
      if (action == "deletemesh") do_deletemesh(db, env, caller, *mesh, cmd, out);
      else if (action == "editmesh") do_editmesh(db, env, caller, *mesh, cmd, out);
      else if (action == "addmeshuser") do_addmeshuser(db, env, caller, *mesh, cmd, out);
      else if (action == "removemeshuser") do_removemeshuser(db, env, caller, *mesh, cmd, out);
      else if (action == "ciraconfig") do_ciraconfig(env, *mesh, cmd, out);
      else if (action == "addamtdevice") do_addamtdevice(db, env, caller, *mesh, cmd, out);
      else if (action == "scanamtdevice") do_scanamtdevice(env, cmd, out);
      else if (action == "inviteAgent") do_inviteagent(env, caller, *mesh, cmd, out);
      return out;
    }
  }
  if (action == "userinfo") out.replies.push_back({{"action", "userinfo"}, {"userinfo", safe_user(caller)}});
  else if (action == "changepassword") do_changepassword(db, env, caller, cmd, out);
  else if (action == "changeemail") do_changeemail(db, env, caller, cmd, out);
  else if (action == "verifyemail") do_verifyemail(db, env, caller, cmd, out);
  else if (action == "users") do_users(db, env, caller, cmd, out);
  else if (action == "serverstats") do_serverstats(db, env, caller, cmd, out);
  else if (action == "adduser") do_adduser(db, env, caller, cmd, out);
  else if (action == "edituser") do_edituser(db, env, caller, cmd, out);
  else if (action == "deleteuser") do_deleteuser(db, env, caller, cmd, out);
  else if (action == "meshes") do_meshes(db, env, caller, cmd, out);
  else if (action == "createmesh") do_createmesh(db, env, caller, cmd, out);
  else if (action == "nodes") do_nodes(db, env, caller, cmd, out);
  else if (action == "changedevice") do_changedevice(db, env, caller, cmd, out);
  else if (action == "getNotes") do_getnotes(db, env, caller, cmd, out);
  else if (action == "setNotes") do_setnotes(db, env, caller, cmd, out);
  else if (action == "getsysinfo") do_getsysinfo(db, env, caller, cmd, out);
  else if (action == "runcommands") do_runcommands(db, env, caller, cmd, out);
  else if (action == "msg") do_msg(db, env, caller, cmd, out);
  else if (action == "uninstallagent") do_uninstallagent(db, env, caller, cmd, out);
  else if (action == "toast") do_toast(db, env, caller, cmd, out);
  else if (action == "removedevices") do_removedevices(db, env, caller, cmd, out);
  else if (action == "changeDeviceMesh") do_changedevicemesh(db, env, caller, cmd, out);
  else if (action == "poweraction") do_poweraction(db, env, caller, cmd, out);
  else if (action == "amtinfo") do_amtinfo(db, env, caller, cmd, out);
  else if (action == "events") do_events(db, env, caller, cmd, out);
  return out;
}

}  // namespace

}  // namespace mw::server::accounts
