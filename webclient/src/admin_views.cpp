// My Users, My Server and device group administration (admin_views.hpp).
#include "admin_views.hpp"

#include <imgui.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "text.hpp"
#include "theme.hpp"

namespace mw::web {
namespace {


constexpr std::uint32_t kFull = 0xFFFFFFFF;
constexpr std::uint32_t kSiteLocked = 32;
constexpr std::uint32_t kSiteNoNewGroups = 64;
constexpr std::uint32_t kSiteNoTools = 128;
constexpr std::uint32_t kGroupEdit = 1;
constexpr std::uint32_t kGroupManageUsers = 2;

bool contains_ci(const std::string& hay, const std::string& needle) {
  if (needle.empty()) return true;
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
  };
  return lower(hay).find(lower(needle)) != std::string::npos;
}

// The name part of "user/<domain>/<name>".
std::string short_name(const std::string& id) {
  const auto slash = id.rfind('/');
  return slash == std::string::npos ? id : id.substr(slash + 1);
}

std::string date_of(std::int64_t seconds) {
  if (seconds <= 0) return "";
  const std::time_t t = static_cast<std::time_t>(seconds > 100'000'000'000 ? seconds / 1000 : seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%d", &tm);
  return b;
}

bool input(const char* label, TextField& f, const std::string& test, ItemRects& buttons, float width,
           ImGuiInputTextFlags flags = 0) {
  ImGui::TextUnformatted(label);
  ImGui::SetNextItemWidth(width);
  const bool changed = ImGui::InputText(("##" + test).c_str(), f.buf.data(), f.buf.size(), flags);
  record_item(buttons, test);
  return changed;
}

bool button(const char* label, const std::string& test, ItemRects& buttons, float width = 0) {
  const bool clicked = ImGui::Button(label, ImVec2(width, 0));
  record_item(buttons, test);
  return clicked;
}

// A modal that opens itself the first time it is drawn; false when it is not showing.
bool begin_modal(const char* title, bool& popup_opened, bool* keep) {
  if (!popup_opened) {
    ImGui::OpenPopup(title);
    popup_opened = true;
  }
  return ImGui::BeginPopupModal(title, keep, ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings);
}

void result_line(const std::string& message, bool ok) {
  if (!message.empty()) ImGui::TextColored(ok ? kOk : kBad, "%s", message.c_str());
}

}  // namespace

// MeshCentral's labels for site rights (its user dialog) and device group rights (its add-user
// dialog), in bit order.
const std::vector<RightBit> kSiteRightBits = {
    {1, "Server backup"},        {2, "Manage users"},       {4, "Server restore"},     {8, "Upload server files"},
    {16, "Server updates"},      {32, "Locked account"},    {64, "No new device groups"}, {128, "No tools"},
    {256, "Manage user groups"}, {512, "Recordings"},       {1024, "Lock settings"},   {2048, "See all events"},
    {4096, "No new devices"},
};
const std::vector<RightBit> kGroupRightBits = {
    {1, "Edit device group"},  {2, "Manage users"},      {4, "Manage devices"},     {8, "Remote control"},
    {16, "Agent console"},     {32, "Server files"},     {64, "Wake devices"},      {128, "Edit notes"},
    {256, "Remote view only"}, {512, "No terminal"},     {1024, "No files"},        {2048, "No Intel AMT"},
    {4096, "Limited input"},   {8192, "Only own events"}, {16384, "Chat & notify"}, {32768, "Uninstall agent"},
    {65536, "No desktop"},     {131072, "Remote commands"}, {262144, "Reset / power off"},
};

std::string rights_summary(std::uint32_t rights, const std::vector<RightBit>& bits, const char* none) {
  if (rights == kFull) return "Full administrator";
  std::string out;
  for (const auto& b : bits) {
    if (rights & b.bit) out += (out.empty() ? "" : ", ") + std::string(b.label);
  }
  return out.empty() ? none : out;
}

bool draw_rights_editor(std::uint32_t& rights, const std::vector<RightBit>& bits, const std::string& test_prefix,
                        ItemRects& buttons, std::uint32_t allowed) {
  bool changed = false;
  bool full = rights == kFull;
  ImGui::BeginDisabled(allowed != kFull);
  if (ImGui::Checkbox(("Full administrator##" + test_prefix).c_str(), &full)) {
    rights = full ? kFull : 0;
    changed = true;
  }
  record_item(buttons, test_prefix + "Full administrator");
  ImGui::EndDisabled();
  ImGui::BeginDisabled(full);
  if (ImGui::BeginTable(("##bits" + test_prefix).c_str(), 3)) {
    for (const auto& b : bits) {
      ImGui::TableNextColumn();
      bool on = (rights & b.bit) != 0;
      ImGui::BeginDisabled((allowed & b.bit) == 0);
      if (ImGui::Checkbox((std::string(b.label) + "##" + test_prefix).c_str(), &on)) {
        rights = on ? (rights | b.bit) : (rights & ~b.bit);
        changed = true;
      }
      record_item(buttons, test_prefix + b.label);
      ImGui::EndDisabled();
    }
    ImGui::EndTable();
  }
  ImGui::EndDisabled();
  return changed;
}

void TextField::set(const std::string& s) {
  buf.fill('\0');
  std::snprintf(buf.data(), buf.size(), "%s", s.c_str());
}

// [SECTION] My Users

void UsersPanel::load(const Send& send) { send({{"action", "users"}}); }

void UsersPanel::on_result(const proto::ActionResult& r, const Send& send) {
  message_ok_ = r.result == "ok";
  if (r.action == "adduser") {
    message_ = message_ok_ ? "Account created." : r.result;
    if (message_ok_) add_.done = true;
  } else if (r.action == "edituser") {
    message_ = message_ok_ ? "Account changed." : r.result;
  } else if (r.action == "deleteuser") {
    message_ = message_ok_ ? "Account deleted." : r.result;
  }
  if (message_ok_) load(send);  // events also reload it; this covers a server that sends none
}

void UsersPanel::draw(const Send& send, ItemRects& buttons, const std::string& self_id, std::uint32_t self_rights) {
  const float em = ImGui::GetFontSize();
  ImGui::SetNextItemWidth(em * 16);
  ImGui::InputTextWithHint("##userfilter", "Search users", filter_.buf.data(), filter_.buf.size());
  ImGui::SameLine();
  if (button("Add user", "users-add", buttons)) {
    add_ = Add{};
    add_.open = true;
    message_.clear();
  }
  if (users_) {
    ImGui::SameLine();
    ImGui::TextColored(kMuted, "%zu account%s", users_->size(), users_->size() == 1 ? "" : "s");
  }
  result_line(message_, message_ok_);
  if (!users_) {
    ImGui::TextColored(kMuted, "Loading...");
  } else if (ImGui::BeginTable("##users", 5, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_SizingStretchProp)) {
    ImGui::TableSetupColumn("Name", ImGuiTableColumnFlags_WidthStretch, 0.8f);
    ImGui::TableSetupColumn("Email", ImGuiTableColumnFlags_WidthStretch, 1.0f);
    ImGui::TableSetupColumn("Site rights", ImGuiTableColumnFlags_WidthStretch, 1.4f);
    ImGui::TableSetupColumn("Created", ImGuiTableColumnFlags_WidthStretch, 0.5f);
    ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthFixed);
    ImGui::TableHeadersRow();
    std::vector<const proto::Account*> order;
    for (const auto& u : *users_) {
      if (contains_ci(u.name, filter_.text()) || contains_ci(u.email, filter_.text())) order.push_back(&u);
    }
    std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
    for (const auto* u : order) {
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      const bool locked = (u->siteadmin != kFull) && (u->siteadmin & kSiteLocked);
      ImGui::TextColored(locked ? kBad : (u->siteadmin == kFull ? kAccent : ImGui::GetStyleColorVec4(ImGuiCol_Text)), "%s",
                         u->name.c_str());
      record_item(buttons, "user:" + u->name);
      if (u->id == self_id) {
        ImGui::SameLine();
        ImGui::TextColored(kMuted, "(you)");
      }
      ImGui::TableSetColumnIndex(1);
      ImGui::TextUnformatted(u->email.c_str());
      ImGui::TableSetColumnIndex(2);
      std::string summary = rights_summary(u->siteadmin, kSiteRightBits, "User");
      if (u->reset_next_login) summary += "; new password at next login";
      ImGui::TextWrapped("%s", summary.c_str());
      ImGui::TableSetColumnIndex(3);
      ImGui::TextColored(kMuted, "%s", date_of(u->creation).c_str());
      ImGui::TableSetColumnIndex(4);
      ImGui::PushID(u->id.c_str());
      // A user manager who is not a full administrator cannot change full administrators.
      const bool may_edit = self_rights == kFull || u->siteadmin != kFull;
      ImGui::BeginDisabled(!may_edit);
      if (ImGui::SmallButton("Edit")) {
        edit_ = Edit{};
        edit_.userid = u->id;
        edit_.name = u->name;
        edit_.email.set(u->email);
        edit_.realname.set(u->realname);
        edit_.rights = u->siteadmin;
        message_.clear();
      }
      record_item(buttons, "user-edit:" + u->name);
      ImGui::SameLine();
      ImGui::BeginDisabled(u->id == self_id);
      if (ImGui::SmallButton("Delete")) delete_ = u->id;
      record_item(buttons, "user-delete:" + u->name);
      ImGui::EndDisabled();
      ImGui::EndDisabled();
      ImGui::PopID();
    }
    ImGui::EndTable();
  }
  draw_add(send, buttons, self_rights);
  draw_edit(send, buttons, self_rights, self_id);
  draw_delete(send, buttons);
}

void UsersPanel::draw_add(const Send& send, ItemRects& buttons, std::uint32_t self_rights) {
  if (!add_.open) return;
  bool keep = true;
  if (!begin_modal("Add user###adduser", add_.popup, &keep)) {
    if (!keep) add_ = Add{};
    return;
  }
  const float em = ImGui::GetFontSize();
  if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
  input("User name", add_.name, "adduser-name", buttons, em * 22);
  input("Email (optional)", add_.email, "adduser-email", buttons, em * 22);
  input("Password", add_.pass, "adduser-pass", buttons, em * 22, ImGuiInputTextFlags_Password);
  ImGui::Checkbox("Must change the password at next login", &add_.reset);
  record_item(buttons, "adduser-reset");
  ImGui::Spacing();
  ImGui::TextUnformatted("Site rights");
  // A user manager who is not a full administrator may give only lock, no-new-groups, no-tools.
  const std::uint32_t allowed = self_rights == kFull ? kFull : (kSiteLocked | kSiteNoNewGroups | kSiteNoTools);
  draw_rights_editor(add_.rights, kSiteRightBits, "adduser-right:", buttons, allowed);
  result_line(message_, message_ok_);
  ImGui::Spacing();
  const bool valid = !add_.name.text().empty() && !add_.pass.text().empty();
  ImGui::BeginDisabled(!valid);
  if (button("Create", "adduser-create", buttons, em * 7)) {
    nlohmann::json req{{"action", "adduser"}, {"username", add_.name.text()}, {"pass", add_.pass.text()},
                       {"resetNextLogin", add_.reset}, {"siteadmin", add_.rights}};
    if (!add_.email.text().empty()) req["email"] = add_.email.text();
    message_.clear();
    send(req);
  }
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (button("Close", "adduser-close", buttons, em * 7) || !keep || add_.done) {
    add_ = Add{};  // the password goes with it
    ImGui::CloseCurrentPopup();
  }
  ImGui::EndPopup();
}

void UsersPanel::draw_edit(const Send& send, ItemRects& buttons, std::uint32_t self_rights, const std::string& self_id) {
  if (edit_.userid.empty()) return;
  bool keep = true;
  if (!begin_modal("Edit user###edituser", edit_.popup, &keep)) {
    if (!keep) edit_ = Edit{};
    return;
  }
  const float em = ImGui::GetFontSize();
  ImGui::Text("Account %s", edit_.name.c_str());
  input("Email", edit_.email, "edituser-email", buttons, em * 22);
  input("Real name", edit_.realname, "edituser-realname", buttons, em * 22);
  ImGui::Checkbox("Must change the password at next login", &edit_.reset);
  record_item(buttons, "edituser-reset");
  ImGui::Spacing();
  ImGui::TextUnformatted("Site rights");
  const bool self = edit_.userid == self_id;
  if (self) ImGui::TextColored(kMuted, "Nobody changes their own site rights.");
  const std::uint32_t allowed = self ? 0 : self_rights == kFull ? kFull : (kSiteLocked | kSiteNoNewGroups | kSiteNoTools);
  draw_rights_editor(edit_.rights, kSiteRightBits, "edituser-right:", buttons, allowed);
  ImGui::Spacing();
  if (button("Save", "edituser-save", buttons, em * 7)) {
    nlohmann::json req{{"action", "edituser"}, {"userid", edit_.userid}, {"realname", edit_.realname.text()}};
    if (!edit_.email.text().empty()) req["email"] = edit_.email.text();
    if (edit_.reset) req["resetNextLogin"] = true;
    if (!self) req["siteadmin"] = edit_.rights;
    message_.clear();
    send(req);
    edit_ = Edit{};
    ImGui::CloseCurrentPopup();
  }
  ImGui::SameLine();
  if (button("Cancel", "edituser-cancel", buttons, em * 7) || !keep) {
    edit_ = Edit{};
    ImGui::CloseCurrentPopup();
  }
  ImGui::EndPopup();
}

void UsersPanel::draw_delete(const Send& send, ItemRects& buttons) {
  if (delete_.empty()) return;
  const char* title = "Delete user###deleteuser";
  if (!ImGui::IsPopupOpen(title)) ImGui::OpenPopup(title);
  bool keep = true;
  if (!ImGui::BeginPopupModal(title, &keep, ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings)) {
    if (!keep) delete_.clear();
    return;
  }
  const float em = ImGui::GetFontSize();
  ImGui::Text("Delete the account %s?", short_name(delete_).c_str());
  ImGui::TextColored(kWarn, "It is removed from every device group. This cannot be undone.");
  ImGui::Spacing();
  bool done = !keep;
  if (button("Delete", "deleteuser-confirm", buttons, em * 7)) {
    message_.clear();
    send({{"action", "deleteuser"}, {"userid", delete_}});
    done = true;
  }
  ImGui::SameLine();
  if (button("Cancel", "deleteuser-cancel", buttons, em * 7)) done = true;
  if (done) {
    delete_.clear();
    ImGui::CloseCurrentPopup();
  }
  ImGui::EndPopup();
}

// [SECTION] My Server

void ServerPanel::load(const Send& send, double now) {
  asked_ = now;
  send({{"action", "serverstats"}});
}

void ServerPanel::tick(const Send& send, double now) {
  if (refused_.empty() && now - asked_ >= 5.0) load(send, now);
}

void ServerPanel::draw(const std::optional<proto::ServerInfo>& info) {
  if (!refused_.empty()) {
    ImGui::TextColored(kBad, "%s", refused_.c_str());
    return;
  }
  if (!stats_) {
    ImGui::TextColored(kMuted, "Loading...");
    return;
  }
  const auto& s = *stats_;
  auto row = [](const char* name, const std::string& value) {
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextColored(kMuted, "%s", name);
    ImGui::TableSetColumnIndex(1);
    ImGui::TextUnformatted(value.c_str());
  };
  char b[96];
  if (ImGui::BeginTable("##server", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
    ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthStretch, 0.5f);
    ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthStretch, 1.0f);
    if (info) {
      row("Server name", info->name);
      row("HTTPS port", std::to_string(info->port));
      row("Intel AMT MPS port", info->mps_port ? std::to_string(info->mps_port) : "off");
    }
    row("Version", s.version);
    const auto up = static_cast<long long>(s.uptime);
    std::snprintf(b, sizeof b, "%lld d %02lld:%02lld:%02lld", up / 86400, up / 3600 % 24, up / 60 % 60, up % 60);
    row("Uptime", b);
    row("Server memory (resident)", human_bytes(s.rss));
    row("System memory", s.totalmem ? human_bytes(s.freemem) + " free of " + human_bytes(s.totalmem) : "");
    std::snprintf(b, sizeof b, "%.2f, %.2f, %.2f", s.load1, s.load5, s.load15);
    row("Load average (1, 5, 15 min)", b);
    row("User accounts", std::to_string(s.user_accounts));
    row("Device groups", std::to_string(s.device_groups));
    row("Browser sessions", std::to_string(s.user_sessions));
    row("Connected agents", std::to_string(s.agent_sessions));
    row("Intel AMT connected (CIRA)", std::to_string(s.connected_amt));
    row("Agent relays open", std::to_string(s.relay_sessions));
    if (!s.server_id.empty()) {
      row("Peer server id", s.server_id);
      for (const auto& p : s.peers) {
        const std::string name = "Peer server " + p.id;
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextColored(kMuted, "%s", name.c_str());
        ImGui::TableSetColumnIndex(1);
        if (p.connected) ImGui::TextColored(kOk, "linked");
        else ImGui::TextColored(kBad, "not linked");
        ImGui::SameLine();
        ImGui::TextColored(kMuted, "%s", p.url.c_str());
      }
    }
    ImGui::EndTable();
  }
  ImGui::TextColored(kMuted, "Figures refresh every 5 seconds.");
}

// [SECTION] Device groups

void GroupPanel::on_result(const proto::ActionResult& r) {
  const bool ok = r.result == "ok";
  if (r.action == "createmesh") {
    message_ = ok ? "Device group created." : r.result;
    if (ok) new_.done = true;
  } else if (r.action == "editmesh") {
    message_ = ok ? "Saved." : r.result;
  } else if (r.action == "deletemesh") {
    message_ = ok ? "" : r.result;
    if (ok) settings_.clear();
  } else if (r.action == "addmeshuser") {
    message_ = r.result;  // "Added user bob" or why not
    if (r.result.rfind("Added user", 0) == 0) members_add_ = {};
  } else if (r.action == "removemeshuser") {
    message_ = ok ? "User removed." : r.result;
  }
}

void GroupPanel::draw_new(const Send& send, ItemRects& buttons) {
  if (!new_.open) return;
  bool keep = true;
  if (!begin_modal("New device group###newgroup", new_.popup, &keep)) {
    if (!keep) new_ = New{};
    return;
  }
  const float em = ImGui::GetFontSize();
  if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
  input("Name", new_.name, "newgroup-name", buttons, em * 22);
  input("Description (optional)", new_.desc, "newgroup-desc", buttons, em * 22);
  ImGui::TextUnformatted("Type");
  ImGui::RadioButton("Managed by the Meshwork agent", &new_.mtype, 2);
  record_item(buttons, "newgroup-agent");
  ImGui::RadioButton("Intel AMT only, no agent", &new_.mtype, 1);
  record_item(buttons, "newgroup-amt");
  if (message_ != "Device group created.") result_line(message_, false);
  ImGui::Spacing();
  ImGui::BeginDisabled(new_.name.text().empty());
  if (button("Create", "newgroup-create", buttons, em * 7)) {
    message_.clear();
    send({{"action", "createmesh"}, {"meshname", new_.name.text()}, {"meshtype", new_.mtype}, {"desc", new_.desc.text()}});
  }
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (button("Cancel", "newgroup-cancel", buttons, em * 7) || !keep || new_.done) {
    new_ = New{};
    ImGui::CloseCurrentPopup();
  }
  ImGui::EndPopup();
}

void GroupPanel::draw(const Send& send, ItemRects& buttons, const std::map<std::string, proto::DeviceGroup>& groups,
                      const std::map<std::string, proto::Device>& devices, const proto::UserInfo& me) {
  draw_new(send, buttons);
  if (settings_.empty()) return;
  const auto g = groups.find(settings_);
  if (g == groups.end()) {  // deleted, or this user was removed from it
    settings_.clear();
    return;
  }
  const proto::DeviceGroup& group = g->second;
  const auto mine = me.mesh_rights.find(group.id);
  const std::uint32_t rights = me.siteadmin == kFull ? kFull : mine == me.mesh_rights.end() ? 0 : mine->second;
  const bool may_edit = (rights & kGroupEdit) != 0, may_members = (rights & kGroupManageUsers) != 0;
  // The fields follow the group: when it opens, and whenever its name or description changed
  // (a save coming back, or someone else's change).
  if (edit_loaded_ != group.id || loaded_name_ != group.name || loaded_desc_ != group.desc) {
    edit_name_.set(group.name);
    edit_desc_.set(group.desc);
    edit_loaded_ = group.id;
    loaded_name_ = group.name;
    loaded_desc_ = group.desc;
  }
  const float em = ImGui::GetFontSize();
  bool open = true;
  // As tall as its content (every checkbox stays on screen), as wide as the rights need.
  ImGui::SetNextWindowSizeConstraints(ImVec2(em * 46, 0), ImVec2(em * 64, 1e6f));
  const std::string title = "Device group " + group.name + "###groupsettings";
  if (ImGui::Begin(title.c_str(), &open, ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_AlwaysAutoResize)) {
    ImGui::TextColored(kMuted, "%s", group.mtype == 1 ? "Intel AMT only" : "Managed by the Meshwork agent");
    ImGui::BeginDisabled(!may_edit);
    input("Name", edit_name_, "group-name", buttons, em * 24);
    input("Description", edit_desc_, "group-desc", buttons, em * 24);
    const bool changed = edit_name_.text() != group.name || edit_desc_.text() != group.desc;
    ImGui::BeginDisabled(!changed || edit_name_.text().empty());
    if (button("Save", "group-save", buttons, em * 6)) {
      nlohmann::json req{{"action", "editmesh"}, {"meshid", group.id}};
      if (edit_name_.text() != group.name) req["meshname"] = edit_name_.text();
      if (edit_desc_.text() != group.desc) req["desc"] = edit_desc_.text();
      send(req);
    }
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (button("Delete group", "group-delete", buttons)) delete_confirm_ = true;
    ImGui::EndDisabled();
    if (delete_confirm_) {
      std::size_t count = 0;
      for (const auto& [_, d] : devices) count += d.meshid == group.id;
      ImGui::TextColored(kWarn, "Delete %s and its %zu device record%s for everyone?", group.name.c_str(), count,
                         count == 1 ? "" : "s");
      if (button("Delete for good", "group-delete-confirm", buttons)) send({{"action", "deletemesh"}, {"meshid", group.id}});
      ImGui::SameLine();
      if (button("Keep it", "group-delete-cancel", buttons)) delete_confirm_ = false;
    }
    result_line(message_, message_ == "Saved." || message_ == "User removed." || message_.rfind("Added user", 0) == 0);
    ImGui::Separator();
    ImGui::TextUnformatted("Users of this group");
    if (ImGui::BeginTable("##members", 3, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_SizingStretchProp)) {
      ImGui::TableSetupColumn("User", ImGuiTableColumnFlags_WidthStretch, 0.5f);
      ImGui::TableSetupColumn("Rights", ImGuiTableColumnFlags_WidthStretch, 1.5f);
      ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthFixed);
      ImGui::TableHeadersRow();
      for (const auto& m : group.members) {
        const std::string name = m.name.empty() ? short_name(m.userid) : m.name;
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextUnformatted(name.c_str());
        record_item(buttons, "member:" + name);
        ImGui::TableSetColumnIndex(1);
        ImGui::TextWrapped("%s", rights_summary(m.rights, kGroupRightBits, "No rights").c_str());
        ImGui::TableSetColumnIndex(2);
        ImGui::PushID(m.userid.c_str());
        ImGui::BeginDisabled(!may_members || m.userid == me.id);
        if (ImGui::SmallButton("Remove")) send({{"action", "removemeshuser"}, {"meshid", group.id}, {"userid", m.userid}});
        record_item(buttons, "member-remove:" + name);
        ImGui::EndDisabled();
        ImGui::PopID();
      }
      ImGui::EndTable();
    }
    if (may_members) {
      ImGui::Spacing();
      ImGui::TextUnformatted("Add a user, or change a user's rights");
      input("User name", members_add_.username, "member-name", buttons, em * 16);
      // Nobody gives rights they do not have (the server checks it too).
      draw_rights_editor(members_add_.rights, kGroupRightBits, "member-right:", buttons, rights);
      ImGui::BeginDisabled(members_add_.username.text().empty());
      if (button("Add / change", "member-add", buttons)) {
        message_.clear();
        send({{"action", "addmeshuser"}, {"meshid", group.id}, {"usernames", {members_add_.username.text()}},
              {"meshadmin", members_add_.rights}});
      }
      ImGui::EndDisabled();
    }
  }
  ImGui::End();
  if (!open) settings_.clear();
}

}  // namespace mw::web
