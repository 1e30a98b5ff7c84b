// App state transitions and views. Views read state only; all changes come through on_* calls.
#include "app.hpp"

#include <imgui.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <variant>

#include <nlohmann/json.hpp>

#include "device_icons.hpp"
#include "text.hpp"
#include "theme.hpp"

namespace mw::web {
namespace {

const char* connection_label(Connection c) {
  switch (c) {
    case Connection::kConnecting: return "Connecting";
    case Connection::kOpen: return "Connected";
    case Connection::kClosed: return "Disconnected";
    case Connection::kError: return "Connection error";
  }
  return "";
}

ImVec4 connection_colour(Connection c) {
  switch (c) {
    case Connection::kOpen: return kOk;
    case Connection::kConnecting: return kWarn;
    default: return kBad;
  }
}


}  // namespace

bool App::on_control_message(std::string_view text) {
  glyphs_.scan(text);  // names, events, notes, console output: whatever it shows
  auto msg = proto::parse_control_message(text);
  if (!msg) {
    ++bad_messages_;
    return false;
  }
  auto& m = msg.value();
  if (auto* info = std::get_if<proto::ServerInfo>(&m)) {
    info_ = *info;
  } else if (auto* user = std::get_if<proto::UserInfo>(&m)) {
    // Logged in: load what this user may see; events keep it current from here on.
    const bool first = !user_;
    if (user_ && !user_->email_verified && user->email_verified) email_result_.clear();  // "sent" is done with
    user_ = *user;
    if (first) {
      send("meshes");
      send("nodes");
    }
  } else if (auto* g = std::get_if<proto::DeviceGroups>(&m)) {
    groups_.clear();
    for (const auto& grp : g->groups) groups_[grp.id] = grp;
  } else if (auto* d = std::get_if<proto::Devices>(&m)) {
    devices_.clear();
    for (const auto& dev : d->devices) devices_[dev.id] = dev;
  } else if (auto* e = std::get_if<proto::Event>(&m)) {
    on_event(*e);
  } else if (auto* c = std::get_if<proto::Close>(&m)) {
    if (c->cause == "noauth") needs_login_ = true;
    detail_ = c->reason;
  } else if (auto* u = std::get_if<proto::UnknownAction>(&m)) {
    // Answers for device pages (device_info.hpp): routed by their nodeid.
    if (u->action == "getsysinfo") {
      auto sys = proto::parse_system_info(text);
      if (!sys) return false;
      if (auto* page = device_page(sys.value().nodeid)) page->on_system_info(std::move(sys.value()));
    } else if (u->action == "events") {
      auto list = proto::parse_event_list(text);
      if (!list) return false;
      if (list.value().nodeid.empty()) {
        all_events_ = std::move(list.value().events);
      } else if (auto* page = device_page(list.value().nodeid)) {
        page->on_events(std::move(list.value()));
      }
    } else if (u->action == "getNotes" || u->action == "setNotes") {
      // Notes of a device page: getNotes by its id, a save's answer by the tag it was sent with.
      const auto j = nlohmann::json::parse(text, nullptr, false);
      if (!j.is_object()) return false;
      if (u->action == "getNotes") {
        const auto n = j.find("notes");
        if (auto* page = device_page(json_text(j, "id"))) page->on_notes(n != j.end() && n->is_string() ? n->get<std::string>() : "");
      } else if (auto* page = device_page(json_text(j, "tag"))) {
        page->on_notes_saved(json_text(j, "result"));
        if (json_text(j, "result") != "ok") send_json({{"action", "getNotes"}, {"id", page->nodeid()}});  // what is stored
      }
    } else if (u->action == "amtinfo") {
      auto details = proto::parse_amt_details(text);
      if (!details) return false;
      if (auto* page = device_page(details->nodeid)) page->on_amt(std::move(details.value()));
    } else if (u->action == "ciraconfig") {
      auto cira = proto::parse_cira_config(text);
      if (!cira) return false;
      if (cira->meshid == add_amt_.group) {
        add_amt_.cira_error = cira->result == "ok" ? "" : cira->result;
        add_amt_.mps = cira->mps_host + ":" + std::to_string(cira->mps_port);
        add_amt_.mps_user = cira->mps_user;
        add_amt_.mps_pass = cira->mps_pass;
        add_amt_.root_sha384 = cira->root_sha384;
        add_amt_.cira_loaded = true;
      }
    } else if (u->action == "scanamtdevice") {
      auto scan = proto::parse_amt_scan(text);
      if (!scan) return false;
      add_amt_.scanning = false;
      add_amt_.found = std::move(scan->found);
      add_amt_.scan_result = !scan->result.empty() ? scan->result
                             : !scan->started     ? "The server is busy with other scans; try again in a few seconds."
                             : add_amt_.found.empty() ? "No Intel AMT computer answered in " + scan->range + "."
                                                      : std::to_string(add_amt_.found.size()) + " found in " + scan->range + ".";
    } else if (u->action == "users") {
      auto list = proto::parse_user_list(text);
      if (list) users_panel_.on_list(std::move(list.value()));
      // A refusal ("Access denied") leaves the tab showing what it had.
    } else if (u->action == "serverstats") {
      auto r = proto::parse_action_result(text);
      if (!r) return false;
      if (!r->result.empty()) {
        server_panel_.on_refused(r->result);
      } else if (auto st = proto::parse_server_stats(text)) {
        server_panel_.on_stats(std::move(st.value()));
      }
    } else if (u->action == "msg" || u->action == "runcommands") {
      if (auto console = proto::parse_console_output(text); console.ok()) {  // an agent console's answer
        for (auto& session : consoles_) {
          if (session.view->nodeid() == console->nodeid) session.view->on_output(console->value);
        }
      } else if (auto out = proto::parse_command_output(text); out.ok()) {
        bulk_.on_command_output(out.value());
      } else if (auto r = proto::parse_action_result(text); r.ok() && r->responseid.rfind("notify:", 0) == 0) {
        message_.on_result(r->responseid.substr(7), r->result);  // a message box's answer
      } else {
        return true;  // another kind of "msg": not modelled
      }
    } else {
      // Plain answers to requests: {action, result}.
      auto r = proto::parse_action_result(text);
      if (!r) return false;
      const std::string& a = r->action;
      if (a == "addamtdevice") {
        add_amt_.result = r->result == "ok" ? "Added. The server reads the device now." : r->result;
        add_amt_.added = r->result == "ok";
      } else if (a == "changepassword") {
        password_result_ = r->result == "ok" ? "Your password was changed." : r->result.empty() ? "The server did not say." : r->result;
      } else if (a == "inviteAgent") {
        invite_.result = r->result == "ok" ? "Sent to " + std::string(invite_.email.data()) + "." : r->result;
        if (r->result == "ok") invite_.email.fill('\0');
      } else if (a == "changeemail" || a == "verifyemail") {
        const bool mail = info_ && info_->emailcheck;
        if (r->result != "ok") {
          email_result_ = r->result.empty() ? "The server did not say." : r->result;
        } else if (a == "verifyemail" || mail) {
          email_result_ = "A mail with a verification link was sent to " + email_sent_to_ + ".";
        } else {
          email_result_ = "Your email address was changed.";
        }
        if (a == "changeemail" && r->result == "ok") email_edit_.fill('\0');
      } else if (a == "adduser" || a == "edituser" || a == "deleteuser") {
        users_panel_.on_result(r.value(), [this](const nlohmann::json& j) { send_json(j); });
      } else if (a == "createmesh" || a == "editmesh" || a == "deletemesh" || a == "addmeshuser" || a == "removemeshuser") {
        group_panel_.on_result(r.value());
      } else if (a == "removedevices" || a == "changeDeviceMesh") {
        bulk_.on_result(r.value());
      } else if (a == "changedevice") {
        if (!edit_.nodeid.empty()) edit_.result = r->result;  // the edit dialog shows a refusal
      } else if (a == "toast") {
        message_.on_result("", r->result);
      } else {
        return true;  // not modelled: nothing visible changed
      }
    }
  } else {
    return true;  // not modelled: nothing visible changed
  }
  bulk_.prune(devices_);
  ++revision_;
  return true;
}

DevicePage* App::device_page(const std::string& nodeid) {
  for (auto& p : pages_) {
    if (p->nodeid() == nodeid) return p.get();
  }
  return nullptr;
}

void App::send_json(const nlohmann::json& request) {
  if (send_) send_(request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void App::open_device_page(const std::string& nodeid) {
  if (device_page(nodeid)) {
    raise_page_ = nodeid;
    return;
  }
  pages_.push_back(std::make_unique<DevicePage>(nodeid));
  raise_page_ = nodeid;
  send_json({{"action", "getsysinfo"}, {"nodeid", nodeid}});
  send_json({{"action", "events"}, {"nodeid", nodeid}, {"limit", 500}});
  send_json({{"action", "getNotes"}, {"id", nodeid}});
  ++revision_;
}

void App::on_event(const proto::Event& e) {
  // Open lists reload at the next tick: a burst of events costs one request.
  if (tab_ == Tab::kEvents && e.action != "nodeconnect") events_stale_ = true;
  if (tab_ == Tab::kUsers && e.etype == "user") users_stale_ = true;
  if (e.etype == "mesh") {
    // This account's rights on the group may have changed, and with them who sees what: the
    // account, the groups and the devices reload at the next tick (a burst of group events, as
    // from a script, costs three requests, not three per event). The group itself shows at once.
    groups_stale_ = true;
    if (e.action == "deletemesh") {
      groups_.erase(e.meshid);
      std::erase_if(devices_, [&](const auto& kv) { return kv.second.meshid == e.meshid; });
    } else if (e.mesh) {
      groups_[e.mesh->id] = *e.mesh;
    }
  } else if (e.etype == "user" && user_ && e.userid == user_->id) {
    groups_stale_ = true;  // this account changed (email, rights): userinfo reloads at the next tick
  } else if (e.etype == "node") {
    // An open page of this device reloads its history (stored events come with their time).
    if (e.action != "nodeconnect" && device_page(e.nodeid)) send_json({{"action", "events"}, {"nodeid", e.nodeid}, {"limit", 500}});
    if (e.action == "nodeconnect") {  // online state and power, without the record
      const auto d = devices_.find(e.nodeid);
      if (d != devices_.end()) {
        if (e.conn) d->second.conn = *e.conn;
        if (e.pwr) d->second.pwr = *e.pwr;
      }
    } else if (e.action == "removenode") {
      devices_.erase(e.nodeid);
    } else if (e.node && groups_.count(e.node->meshid)) {
      // Stored records carry no presence: the device keeps its connection and power state
      // (nodeconnect events change those).
      proto::Device updated = *e.node;
      if (const auto old = devices_.find(updated.id); old != devices_.end()) {
        if (updated.conn == 0) updated.conn = old->second.conn;
        if (updated.pwr == 0) updated.pwr = old->second.pwr;
      }
      devices_[updated.id] = std::move(updated);
    } else if (e.node) {
      devices_.erase(e.node->id);  // moved to a group this user does not see
    }
  }
}

void App::send(std::string_view action) {
  if (send_) send_(proto::encode_request(action));
}

void App::on_connection(Connection state, std::string detail) {
  connection_ = state;
  detail_ = std::move(detail);
  if (state != Connection::kOpen) user_.reset();  // a new channel logs in again
  ++revision_;
}

void App::draw(float width, float height) {
  buttons_.clear();
  drawn_icons_.clear();
  const bool header = !(embed_.hide & 1) && fullscreen_.empty();
  apply_viewmode();
  if (header) draw_header(width);
  if (single_view()) {
    draw_single_view(width, height, header ? ImGui::GetFrameHeight() * 1.8f : 0.0f);
  } else {
    draw_main(width, height);
  }
  update_fullscreen(width, height);
  draw_terminals();
  draw_desktops();
  draw_files();
  draw_consoles();
  draw_device_pages();
  if (user_ && tab_ == Tab::kDevices && !single_view()) {  // My Devices' windows and dialogs
    const auto send = [this](const nlohmann::json& j) { send_json(j); };
    group_panel_.draw(send, buttons_, groups_, devices_, *user_);
    bulk_.draw_dialogs(send, buttons_, devices_, groups_);
  }
  draw_password_dialog();
  draw_add_agent();
  draw_add_amt();
  draw_power_confirm();
  draw_uninstall_confirm();
  message_.draw([this](const nlohmann::json& j) { send_json(j); }, buttons_, devices_);
}

std::string App::add_agent_command() const {
  const auto g = groups_.find(add_agent_group_);
  if (g == groups_.end() || !info_) return "";
  const std::string host = info_->name + (info_->port == 443 || info_->port == 0 ? "" : ":" + std::to_string(info_->port));
  // The group id as meshctrl shows it: the part after "mesh/<domain>/".
  const std::string& id = g->second.id;
  const auto slash = id.find('/', id.find('/') + 1);
  const std::string value = slash == std::string::npos ? id : id.substr(slash + 1);
  return "curl -fsSk 'https://" + host + "/meshagents?script=1&id=" + value + "' | sh";
}

// MeshCentral's "Add Agent" dialog for Linux: the one-line install, and what it does.
void App::draw_add_agent() {
  if (add_agent_group_.empty()) return;
  const auto g = groups_.find(add_agent_group_);
  if (g == groups_.end()) {
    add_agent_group_.clear();
    return;
  }
  bool open = true;
  const float em = ImGui::GetFontSize();
  ImGui::SetNextWindowSize(ImVec2(em * 44, 0), ImGuiCond_Appearing);
  const std::string title = "Add Agent to " + g->second.name + "###addagent";
  if (ImGui::Begin(title.c_str(), &open, ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoCollapse)) {
    ImGui::TextWrapped("To add a Linux computer to this group, run this command on it as root:");
    std::string cmd = add_agent_command();
    ImGui::SetNextItemWidth(-1);
    ImGui::InputText("##cmd", cmd.data(), cmd.size() + 1, ImGuiInputTextFlags_ReadOnly | ImGuiInputTextFlags_AutoSelectAll);
    ImGui::Spacing();
    ImGui::TextColored(kMuted, "It downloads the agent and this group's settings from this server, checks the agent's");
    ImGui::TextColored(kMuted, "SHA-384, installs the systemd service meshwork-agent and starts it. Within seconds the");
    ImGui::TextColored(kMuted, "computer appears here. The agent trusts this server by its key, not by its certificate.");
    if (info_ && info_->emailcheck) {
      // MeshCentral's "Invite": the same instructions mailed to the person at the computer.
      ImGui::Separator();
      ImGui::TextUnformatted("Or send these instructions by email:");
      ImGui::SetNextItemWidth(em * 18);
      ImGui::InputTextWithHint("##invite-email", "their email address", invite_.email.data(), invite_.email.size());
      record_item(buttons_, "invite-email");
      ImGui::SameLine();
      ImGui::SetNextItemWidth(em * 14);
      ImGui::InputTextWithHint("##invite-name", "their name (optional)", invite_.name.data(), invite_.name.size());
      record_item(buttons_, "invite-name");
      ImGui::TextColored(kMuted, "A message for them (optional):");
      ImGui::SetNextItemWidth(-1);
      ImGui::InputTextMultiline("##invite-note", invite_.note.data(), invite_.note.size(), ImVec2(-1, ImGui::GetTextLineHeight() * 3.5f));
      record_item(buttons_, "invite-note");
      ImGui::BeginDisabled(invite_.email[0] == '\0');
      if (ImGui::Button("Send invitation")) {
        invite_.result.clear();
        send_json({{"action", "inviteAgent"}, {"meshid", add_agent_group_}, {"email", invite_.email.data()},
                   {"name", invite_.name.data()}, {"msg", invite_.note.data()}});
      }
      record_item(buttons_, "invite-send");
      ImGui::EndDisabled();
      if (!invite_.result.empty()) {
        ImGui::SameLine();
        const bool ok = invite_.result.rfind("Sent", 0) == 0;
        ImGui::TextColored(ok ? kOk : kBad, "%s", invite_.result.c_str());
      }
    }
  }
  ImGui::End();
  if (!open) {
    add_agent_group_.clear();
    invite_ = {};
    ++revision_;
  }
}

// [SECTION] Relay sessions (terminals, desktops, files): each view has its own WebSocket relay.

namespace {
template <class View>
App::Session<View>* find_session(std::vector<App::Session<View>>& list, int handle) {
  for (auto& s : list) {
    if (s.handle == handle && handle != 0) return &s;
  }
  return nullptr;
}
}  // namespace

std::string App::device_name(const std::string& nodeid) const {
  const auto dev = devices_.find(nodeid);
  return dev == devices_.end() ? nodeid : dev->second.name;
}

App::RelaySend App::relay_sender(std::shared_ptr<int> handle) {
  return {[this, handle](std::string_view bytes) { if (*handle && relays_.send) relays_.send(*handle, true, bytes); },
          [this, handle](std::string_view text) { if (*handle && relays_.send) relays_.send(*handle, false, text); }};
}

template <class View>
void App::start_session(std::vector<Session<View>>& list, std::unique_ptr<View> view, const std::shared_ptr<int>& handle) {
  *handle = relays_.open ? relays_.open(view->relay_path()) : 0;
  if (*handle == 0) view->on_closed("The browser could not open a connection to the server.");
  list.push_back({*handle, std::move(view)});
  ++revision_;
}

template <class View, class Draw>
void App::draw_sessions(std::vector<Session<View>>& list, Draw draw) {
  for (auto it = list.begin(); it != list.end();) {
    const unsigned before = it->view->revision();
    const bool open = draw(*it->view);
    if (it->view->revision() != before) ++revision_;
    if (open) {
      ++it;
      continue;
    }
    if (it->handle && relays_.close) relays_.close(it->handle);
    it = list.erase(it);
    ++revision_;
  }
}

void App::on_relay_message(int handle, bool binary, std::string_view data) {
  // Text relays carry file listings and status; terminal bytes are checked as their cells are
  // drawn (a character may be split across messages), desktop and download bytes are no text.
  if (!binary) glyphs_.scan(data);
  // A view's own revision moves with state changes (a few frames settle the layout); data it only
  // draws is content (one frame). A desktop's content is a completed update, not every message.
  auto deliver = [&](auto& view, auto new_content) {
    const unsigned before = view.revision();
    view.on_message(binary, data);
    if (view.revision() != before) ++revision_;
    if (new_content()) ++content_revision_;
  };
  if (auto* t = find_session(terminals_, handle)) {
    deliver(*t->view, [&] { return binary; });
  } else if (auto* d = find_session(desktops_, handle)) {
    const unsigned updates = d->view->updates();
    deliver(*d->view, [&] { return d->view->updates() != updates; });
  } else if (auto* f = find_session(files_, handle)) {
    deliver(*f->view, [&] { return binary; });
  } else if (auto* i = find_session(iders_, handle)) {
    const unsigned updates = i->view->updates();
    deliver(*i->view, [&] { return i->view->updates() != updates; });
  }
}

void App::on_relay_closed(int handle, std::string reason) {
  if (reason.empty()) reason = "The connection to the server closed.";
  auto close = [&](auto* s) {
    if (!s) return false;
    s->view->on_closed(std::move(reason));
    s->handle = 0;
    ++revision_;
    return true;
  };
  close(find_session(terminals_, handle)) || close(find_session(desktops_, handle)) || close(find_session(files_, handle)) ||
      close(find_session(iders_, handle));
}

// MeshCentral's "Add Intel AMT device" for an "Intel AMT only" group: a computer on this network
// by address and credentials (addamtdevice), or what to configure in Intel AMT so that it
// connects to this server over the Internet (ciraconfig: shown to those who may edit the group).
void App::draw_add_amt() {
  if (add_amt_.group.empty()) return;
  const auto g = groups_.find(add_amt_.group);
  if (g == groups_.end()) {
    add_amt_ = AddAmt{};
    return;
  }
  bool open = true;
  const float em = ImGui::GetFontSize();
  ImGui::SetNextWindowSizeConstraints(ImVec2(em * 40, 0), ImVec2(em * 40, ImGui::GetIO().DisplaySize.y * 0.9f));
  const std::string title = "Add Intel AMT device to " + g->second.name + "###addamt";
  if (ImGui::Begin(title.c_str(), &open, ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_AlwaysAutoResize)) {
    ImGui::TextColored(kAccent, "On this network");
    ImGui::TextWrapped("The server connects to the computer's Intel AMT (ports 16992 and 16994, or 16993 and 16995 "
                       "with TLS) with these credentials, which it keeps sealed and never shows again.");
    auto field = [&](const char* label, std::array<char, 256>& buf, const char* test, ImGuiInputTextFlags flags) {
      ImGui::AlignTextToFramePadding();
      ImGui::TextUnformatted(label);
      ImGui::SameLine(em * 8);
      ImGui::SetNextItemWidth(-1);
      ImGui::InputText(std::string("##").append(test).c_str(), buf.data(), buf.size(), flags);
      record_item(buttons_, test);
    };
    field("Name", add_amt_.name, "addamt-name", 0);
    field("Address", add_amt_.host, "addamt-host", 0);
    field("User", add_amt_.user, "addamt-user", 0);
    field("Password", add_amt_.pass, "addamt-pass", ImGuiInputTextFlags_Password);
    ImGui::SetCursorPosX(em * 8);  // under the fields
    ImGui::Checkbox("TLS (Intel AMT configured for TLS: 16993, 16995)", &add_amt_.tls);
    record_item(buttons_, "addamt-tls");
    if (add_amt_.tls) {
      ImGui::TextColored(kMuted, "The certificate it presents first is pinned: a different one is refused later.");
    }
    const bool ready = add_amt_.name[0] && add_amt_.host[0] && add_amt_.pass[0];
    ImGui::BeginDisabled(!ready);
    if (ImGui::Button("Add device")) {
      add_amt_.result.clear();
      send_json({{"action", "addamtdevice"}, {"meshid", add_amt_.group}, {"devicename", add_amt_.name.data()},
                 {"hostname", add_amt_.host.data()}, {"amtusername", add_amt_.user[0] ? add_amt_.user.data() : "admin"},
                 {"amtpassword", add_amt_.pass.data()}, {"amttls", add_amt_.tls ? 1 : 0}});
      add_amt_.pass.fill('\0');  // sent once, not kept
    }
    record_item(buttons_, "addamt-add");
    ImGui::EndDisabled();
    if (!add_amt_.result.empty()) {
      ImGui::SameLine();
      ImGui::TextColored(add_amt_.added ? kOk : kBad, "%s", add_amt_.result.c_str());
    }
    // Scan network: the server probes a range for Intel AMT; a found address fills the form.
    ImGui::Spacing();
    ImGui::TextColored(kMuted, "Or find it: an address range to scan (a-b or a/n, at most 4,096 addresses).");
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Range");
    ImGui::SameLine(em * 8);
    ImGui::SetNextItemWidth(em * 16);
    ImGui::InputText("##addamt-range", add_amt_.range.data(), add_amt_.range.size());
    record_item(buttons_, "addamt-range");
    ImGui::SameLine();
    ImGui::BeginDisabled(!add_amt_.range[0] || add_amt_.scanning);
    if (ImGui::Button("Scan network")) {
      add_amt_.scanning = true;
      add_amt_.scan_result.clear();
      add_amt_.found.clear();
      send_json({{"action", "scanamtdevice"}, {"meshid", add_amt_.group}, {"range", add_amt_.range.data()}});
    }
    record_item(buttons_, "addamt-scan");
    ImGui::EndDisabled();
    if (add_amt_.scanning) {
      ImGui::SameLine();
      ImGui::TextColored(kMuted, "Scanning…");
    }
    if (!add_amt_.scan_result.empty()) ImGui::TextColored(add_amt_.found.empty() ? kWarn : kOk, "%s", add_amt_.scan_result.c_str());
    for (const auto& f : add_amt_.found) {
      ImGui::PushID(f.address.c_str());
      if (ImGui::SmallButton("Use")) {
        std::snprintf(add_amt_.host.data(), add_amt_.host.size(), "%s", f.address.c_str());
        add_amt_.tls = f.tls;
        if (!add_amt_.name[0]) std::snprintf(add_amt_.name.data(), add_amt_.name.size(), "%s", f.address.c_str());
        ++revision_;
      }
      record_item(buttons_, "addamt-use:" + f.address);
      ImGui::PopID();
      ImGui::SameLine();
      ImGui::Text("%s  Intel AMT %s%s%s", f.address.c_str(), f.version.c_str(), f.tls ? ", TLS" : "",
                  f.state == 2 ? "" : " (not provisioned)");
    }
    ImGui::Spacing();
    ImGui::Separator();
    ImGui::TextColored(kAccent, "Over the Internet (CIRA)");
    if (!add_amt_.cira_loaded) {
      ImGui::TextColored(kMuted, "Loading…");
    } else if (!add_amt_.cira_error.empty()) {
      ImGui::TextWrapped("%s", add_amt_.cira_error.c_str());
    } else {
      ImGui::TextWrapped("Configure the computer's Intel AMT (with Intel's tools, MeshCommander or the BIOS) with "
                         "this Management Presence Server, trust this server's root certificate, and enable "
                         "CIRA. The computer then appears in this group when it connects.");
      if (ImGui::BeginTable("##cira", 2, ImGuiTableFlags_SizingStretchProp)) {
        ImGui::TableSetupColumn("k", ImGuiTableColumnFlags_WidthFixed, em * 9);
        ImGui::TableSetupColumn("v", ImGuiTableColumnFlags_WidthStretch);
        auto row = [&](const char* k, const std::string& v, const char* test) {
          ImGui::TableNextRow();
          ImGui::TableSetColumnIndex(0);
          ImGui::TextColored(kMuted, "%s", k);
          ImGui::TableSetColumnIndex(1);
          ImGui::TextWrapped("%s", v.c_str());
          record_item(buttons_, test);
        };
        row("MPS server", add_amt_.mps, "cira-mps");
        row("User name", add_amt_.mps_user, "cira-user");
        row("Password", add_amt_.show_pass ? add_amt_.mps_pass : std::string(add_amt_.mps_pass.size(), '*'), "cira-pass");
        row("Root certificate", "SHA-384 " + add_amt_.root_sha384, "cira-root");
        ImGui::EndTable();
      }
      ImGui::Checkbox("Show the password", &add_amt_.show_pass);
      ImGui::SameLine();
      if (ImGui::Button("Copy the password") && copy_) copy_(add_amt_.mps_pass);
      ImGui::SameLine();
      if (ImGui::Button("Download the root certificate")) navigate_to_ = "MeshServerRootCert.cer";
    }
  }
  ImGui::End();
  if (!open) {
    add_amt_ = AddAmt{};
    ++revision_;
  }
}

App::AmtDialogInfo App::add_amt_info() const {
  AmtDialogInfo info{add_amt_.mps, add_amt_.mps_user, add_amt_.root_sha384, add_amt_.result, add_amt_.scan_result, {},
                     add_amt_.host.data(), add_amt_.tls};
  for (const auto& f : add_amt_.found) info.found.push_back(f.address + " " + f.version + (f.tls ? " tls" : ""));
  return info;
}

// [SECTION] Terminals

void App::open_terminal(const std::string& nodeid, TerminalKind kind) {
  for (auto& t : terminals_) {
    if (t.view->nodeid() == nodeid && !t.view->closed()) return;  // one terminal per device at a time
  }
  auto handle = std::make_shared<int>(0);
  const RelaySend send = relay_sender(handle);
  auto copy = [this](const std::string& text) { if (copy_) copy_(text); };
  start_session(terminals_,
                std::make_unique<TerminalView>(nodeid, device_name(nodeid), kind, TerminalView::Sender{send.binary, send.text, copy}),
                handle);
}

std::vector<App::TerminalInfo> App::terminals() const {
  std::vector<TerminalInfo> out;
  for (const auto& t : terminals_) {
    out.push_back({t.view->nodeid(), t.view->status(), t.view->screen_text(), t.view->ready(), t.view->copied(),
                   t.view->screen_rect(), t.view->cols(), t.view->rows(), t.view->find_count(), t.view->find_current()});
  }
  return out;
}

void App::on_paste(std::string_view text) {
  glyphs_.scan(text);
  for (auto& t : terminals_) {
    if (t.view->focused()) return t.view->paste(text);
  }
  for (auto& d : desktops_) {
    if (d.view->focused()) return d.view->paste(text);
  }
}

void App::draw_terminals() {
  draw_sessions(terminals_, [this](TerminalView& v) { return v.draw(mono_, input_, &buttons_, &glyphs_); });
  input_.clear();  // typed into the focused terminal, or into nothing
}

// [SECTION] Remote desktops

void App::open_desktop(const std::string& nodeid, DesktopKind kind, int display) {
  for (auto& d : desktops_) {
    if (d.view->nodeid() == nodeid && d.view->kind() == kind && d.view->display() == display && !d.view->closed()) {
      d.view->raise();  // already open: the person finds it in front
      return;
    }
  }
  auto handle = std::make_shared<int>(0);
  start_session(desktops_,
                std::make_unique<DesktopView>(nodeid, device_name(nodeid), kind,
                                              DesktopView::Sender{relay_sender(handle).binary,
                                                                  [this](const std::string& text) {
                                                                    if (copy_) copy_(text);
                                                                  }},
                                              &textures_, display),
                handle);
}

std::vector<App::DesktopInfo> App::desktops() const {
  std::vector<DesktopInfo> out;
  for (const auto& d : desktops_) {
    const auto& v = *d.view;
    std::vector<std::pair<int, std::string>> displays;
    for (const auto& c : v.displays()) displays.emplace_back(c.id, c.name);
    out.push_back({v.nodeid(), v.status(), v.kind(), v.ready(), v.width(), v.height(), v.updates(), v.screen_rect(), v.fullscreen(),
                   v.remote_clipboard(), v.clipboard_changes(), v.display(), std::move(displays)});
  }
  return out;
}

void App::on_blur() {
  for (auto& d : desktops_) d.view->release_keys();
  ++revision_;
}

bool App::desktop_has_keyboard() const {
  return std::any_of(desktops_.begin(), desktops_.end(), [](const auto& d) { return d.view->focused() && d.view->ready(); });
}

// A desktop's "Full screen" button: its window covers the page (over every other window), and
// the browser is asked for full screen; the same button, or the browser leaving (Esc), ends it.
void App::update_fullscreen(float width, float height) {
  for (auto& d : desktops_) {
    if (!d.view->take_fullscreen_request()) continue;
    const bool entering = !d.view->fullscreen();
    if (!fullscreen_.empty()) leave_fullscreen();
    if (entering) {
      fullscreen_ = d.view->nodeid();
      d.view->set_fullscreen(true);
      if (fullscreen_port_) fullscreen_port_(true);
    }
    ++revision_;
  }
  if (fullscreen_.empty()) return;
  bool shown = false;
  for (auto& d : desktops_) {
    if (!d.view->fullscreen()) continue;
    d.view->pin(WindowPin{{0.0f, 0.0f, width, height}, true, true});
    shown = true;
  }
  if (!shown) leave_fullscreen();  // its session ended
}

void App::leave_fullscreen() {
  for (auto& d : desktops_) {
    if (!d.view->fullscreen()) continue;
    d.view->set_fullscreen(false);
    d.view->pin(std::nullopt);  // an embedded single view pins it again at its next draw
  }
  fullscreen_.clear();
  if (fullscreen_port_) fullscreen_port_(false);
  ++revision_;
}

void App::on_fullscreen_changed(bool on) {
  if (!on && !fullscreen_.empty()) leave_fullscreen();
}

void App::draw_desktops() {
  std::vector<std::pair<std::string, int>> requested;  // opened after the loop (it may add sessions)
  draw_sessions(desktops_, [this, &requested](DesktopView& v) {
    const bool open = v.draw(keys_, &buttons_);
    if (const auto display = v.take_display_request()) requested.emplace_back(v.nodeid(), *display);
    return open;
  });
  keys_.clear();
  for (const auto& [nodeid, display] : requested) open_desktop(nodeid, DesktopKind::kAgent, display);
}

// [SECTION] Agent consoles

void App::open_console(const std::string& nodeid) {
  for (auto& c : consoles_) {
    if (c.view->nodeid() == nodeid) return c.view->raise();
  }
  consoles_.push_back({0, std::make_unique<ConsoleView>(nodeid, device_name(nodeid), [this](const std::string& id, const std::string& command) {
                         send_json({{"action", "msg"}, {"type", "console"}, {"nodeid", id}, {"value", command}});
                       })});
  ++revision_;
}

void App::draw_consoles() {
  draw_sessions(consoles_, [this](ConsoleView& v) { return v.draw(mono_, &buttons_); });
}

std::vector<App::ConsoleInfo> App::consoles() const {
  std::vector<ConsoleInfo> out;
  for (const auto& c : consoles_) out.push_back({c.view->nodeid(), c.view->text(), c.view->waiting()});
  return out;
}

// [SECTION] Files

void App::open_files(const std::string& nodeid) {
  for (auto& f : files_) {
    if (f.view->nodeid() == nodeid && !f.view->closed()) return;
  }
  auto handle = std::make_shared<int>(0);
  // Upload asks the browser for a file; the answer goes to the window that asked.
  auto pick = [this, nodeid] {
    picker_ = nodeid;
    if (file_port_.pick) file_port_.pick();
  };
  auto view = std::make_unique<FilesView>(nodeid, device_name(nodeid), FilesView::Sender{relay_sender(handle).text, pick}, &file_port_);
  FilesView* v = view.get();
  start_session(files_, std::move(view), handle);
  v->set_relay(*handle);
}

void App::on_file_picked(int file, std::string name, std::uint64_t size) {
  // The picker belongs to the files window whose Upload was clicked last.
  for (auto& f : files_) {
    if (f.view->nodeid() == picker_ && !f.view->closed()) return f.view->on_file_picked(file, std::move(name), size);
  }
  if (file_port_.cancel_upload) file_port_.cancel_upload(file);
}

void App::on_upload_progress() { ++content_revision_; }

void App::open_server_files(const std::string& store_id, const std::string& name) {
  for (auto& f : files_) {
    if (f.view->nodeid() == store_id && !f.view->closed()) return;
  }
  auto handle = std::make_shared<int>(0);
  auto pick = [this, store_id] {
    picker_ = store_id;
    if (file_port_.pick) file_port_.pick();
  };
  auto view = std::make_unique<FilesView>(store_id, name, FilesView::Sender{relay_sender(handle).text, pick}, &file_port_, true);
  FilesView* v = view.get();
  start_session(files_, std::move(view), handle);
  v->set_relay(*handle);
}

std::vector<std::pair<std::string, std::string>> App::server_stores() const {
  std::vector<std::pair<std::string, std::string>> out;
  if (!user_) return out;
  if (user_->siteadmin & 8) out.emplace_back(user_->id, "My Files");  // site right "server files"
  for (const auto& [meshid, rights] : user_->mesh_rights) {
    if ((rights & 32) == 0) continue;  // group right "server files"
    const auto g = groups_.find(meshid);
    if (g != groups_.end()) out.emplace_back(meshid, g->second.name);
  }
  return out;
}

void App::open_my_files() {
  select_tab(Tab::kFiles);
  if (const auto stores = server_stores(); !stores.empty()) open_server_files(stores.front().first, stores.front().second);
}

// My Files: the account's own storage and its groups' on the server; each opens in a files window.
void App::draw_files_tab() {
  const float em = ImGui::GetFontSize();
  ImGui::TextWrapped("Files kept on this server: your own, and those of the device groups where you have the "
                     "\"server files\" right, which every member with that right shares.");
  ImGui::Spacing();
  if (!ImGui::BeginTable("##stores", 3, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_SizingStretchProp)) return;
  ImGui::TableSetupColumn("Name", ImGuiTableColumnFlags_WidthStretch, 3.0f);
  ImGui::TableSetupColumn("Kind", ImGuiTableColumnFlags_WidthStretch, 2.0f);
  ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthFixed, em * 6);
  ImGui::TableHeadersRow();
  for (const auto& [id, name] : server_stores()) {
    ImGui::PushID(id.c_str());
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted(name.c_str());
    ImGui::TableSetColumnIndex(1);
    ImGui::TextColored(kMuted, "%s", id.rfind("user/", 0) == 0 ? "Your files" : "Device group");
    ImGui::TableSetColumnIndex(2);
    if (ImGui::Button("Open", ImVec2(-1, 0))) open_server_files(id, name);
    record_item(buttons_, "serverfiles-open:" + name);
    ImGui::PopID();
  }
  ImGui::EndTable();
}

std::vector<App::FilesInfo> App::files() const {
  std::vector<FilesInfo> out;
  for (const auto& f : files_) {
    const auto& v = *f.view;
    FilesInfo info{v.nodeid(), v.status(), v.path(), v.ready(), {}, v.transfer(), v.server(), v.used(), v.quota()};
    for (const auto& e : v.entries()) info.entries.push_back(e);
    out.push_back(std::move(info));
  }
  return out;
}

void App::draw_files() {
  draw_sessions(files_, [this](FilesView& v) { return v.draw(buttons_); });
}

bool App::action_button(const char* label, const std::string& id, const std::string& test_name) {
  ImGui::PushID(id.c_str());
  const bool clicked = ImGui::SmallButton(label);
  record_item(buttons_, test_name);
  ImGui::PopID();
  return clicked;
}

void App::draw_header(float width) {
  const float h = ImGui::GetFrameHeight() * 1.8f;
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(ImVec2(width, h));
  ImGui::PushStyleColor(ImGuiCol_WindowBg, ImVec4(0.09f, 0.11f, 0.14f, 1.0f));
  ImGui::Begin("##header", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus);
  ImGui::SetCursorPosY((h - ImGui::GetTextLineHeight()) * 0.5f);
  ImGui::TextColored(kAccent, "Meshwork");
  const char* label = connection_label(connection_);
  const float label_w = ImGui::CalcTextSize(label).x;
  const float status_x = width - label_w - ImGui::GetStyle().WindowPadding.x - ImGui::GetTextLineHeight();
  // On a narrow window the server's name and version give way, so the tabs never run under the
  // account menu.
  const auto& style = ImGui::GetStyle();
  const bool tabs = !single_view() && user_ && !(embed_.hide & 2);
  float used = ImGui::GetCursorPosX() + ImGui::CalcTextSize("Meshwork").x;
  if (tabs) {
    for (const Tab t : {Tab::kDevices, Tab::kAccount, Tab::kEvents, Tab::kFiles, Tab::kUsers, Tab::kServer}) {
      if (may_open(t)) used += ImGui::CalcTextSize(tab_name(t)).x + style.FramePadding.x * 2 + style.ItemSpacing.x;
    }
  }
  const float menu_w = user_ ? ImGui::CalcTextSize((user_->name + "  \xE2\x96\xBE").c_str()).x + style.FramePadding.x * 2 +
                                   ImGui::GetFontSize() * 1.5f
                             : 0.0f;
  if (info_) {
    char text[160];
    std::snprintf(text, sizeof text, "  %s  \xC2\xB7  v%s  ", info_->name.c_str(), info_->version.c_str());
    if (used + ImGui::CalcTextSize(text).x + style.ItemSpacing.x + menu_w <= status_x) {
      ImGui::SameLine();
      ImGui::TextColored(kMuted, "%s", text);
    }
  }
  if (tabs) draw_tabs();
  if (user_) draw_account_menu(status_x);
  ImGui::SameLine(status_x);
  ImGui::TextColored(connection_colour(connection_), "\xE2\x97\x8F");  // U+25CF BLACK CIRCLE
  ImGui::SameLine();
  ImGui::TextUnformatted(label);
  ImGui::End();
  ImGui::PopStyleColor();
}

namespace {
// Esc in a dialog (the focused window) closes it, as Cancel or Close does.
bool escape_pressed() {
  return ImGui::IsWindowFocused(ImGuiFocusedFlags_RootAndChildWindows) && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false);
}

bool contains_ci(const std::string& hay, const std::string& needle) {
  if (needle.empty()) return true;
  auto lower = [](unsigned char c) { return static_cast<char>(std::tolower(c)); };
  std::string h(hay.size(), ' '), n(needle.size(), ' ');
  std::transform(hay.begin(), hay.end(), h.begin(), lower);
  std::transform(needle.begin(), needle.end(), n.begin(), lower);
  return h.find(n) != std::string::npos;
}

bool matches(const proto::Device& d, const std::string& filter) {
  if (contains_ci(d.name, filter) || contains_ci(d.host, filter) || contains_ci(d.desc, filter)) return true;
  for (const auto& t : d.tags) {
    if (contains_ci(t, filter)) return true;
  }
  return false;
}
}  // namespace

void App::draw_devices(float width, float height) {
  const float em = ImGui::GetFontSize();
  const float top = ImGui::GetFrameHeight() * 1.8f + em;
  const float w = std::min(em * 60.0f, width - 2.0f * em);
  ImGui::SetNextWindowPos(ImVec2((width - w) * 0.5f, top));
  ImGui::SetNextWindowSizeConstraints(ImVec2(w, 0), ImVec2(w, std::max(em * 8.0f, height - top - em)));
  ImGui::Begin("My Devices", nullptr,
               ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_AlwaysAutoResize);
  if (!user_) {
    ImGui::TextColored(connection_colour(connection_), "%s", connection_label(connection_));
    if (!detail_.empty()) ImGui::TextWrapped("%s", detail_.c_str());
    ImGui::End();
    return;
  }
  char buf[128];
  std::snprintf(buf, sizeof buf, "%s", filter_.c_str());
  ImGui::SetNextItemWidth(em * 18.0f);
  if (ImGui::InputTextWithHint("##filter", "Search devices", buf, sizeof buf)) {
    filter_ = buf;
    ++revision_;
  }
  ImGui::SameLine();
  ImGui::TextColored(kMuted, "%zu device group%s, %zu device%s", groups_.size(), groups_.size() == 1 ? "" : "s",
                     devices_.size(), devices_.size() == 1 ? "" : "s");
  // "No new device groups" (site right 64) hides the button; the server refuses it anyway.
  if (user_->siteadmin == 0xFFFFFFFF || (user_->siteadmin & 64) == 0) {
    const char* label = "New device group";
    ImGui::SameLine(ImGui::GetWindowContentRegionMax().x - ImGui::CalcTextSize(label).x - ImGui::GetStyle().FramePadding.x * 2);
    if (action_button(label, "newgroup", "newgroup")) {
      group_panel_.open_new();
      ++revision_;
    }
  }
  bulk_.draw_toolbar(buttons_, devices_);
  if (bulk_.take_message_request()) message_.open(bulk_.ids());
  if (groups_.empty()) {
    ImGui::Spacing();
    ImGui::TextWrapped("No device groups yet. Create one, then add agents or Intel AMT devices to it.");
  }
  // Groups by name, each with its devices by name.
  std::vector<const proto::DeviceGroup*> order;
  for (const auto& [_, g] : groups_) order.push_back(&g);
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
  for (const auto* g : order) {
    std::vector<const proto::Device*> list;
    for (const auto& [_, d] : devices_) {
      if (d.meshid == g->id && matches(d, filter_)) list.push_back(&d);
    }
    std::sort(list.begin(), list.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
    const std::string label = g->name + "  (" + std::to_string(list.size()) + ")###" + g->id;
    const bool open = ImGui::CollapsingHeader(label.c_str(), ImGuiTreeNodeFlags_DefaultOpen | ImGuiTreeNodeFlags_AllowItemOverlap);
    const char* add_label = g->mtype == 1 ? "Add Intel AMT device" : "Add Agent";
    const float pad = ImGui::GetStyle().FramePadding.x * 2, gap = ImGui::GetStyle().ItemSpacing.x;
    const float add_x = ImGui::GetWindowContentRegionMax().x - ImGui::CalcTextSize(add_label).x - pad;
    ImGui::SameLine(add_x - ImGui::CalcTextSize("Settings").x - pad - gap);
    if (action_button("Settings", "settings" + g->id, "groupsettings:" + g->name)) {
      group_panel_.open_settings(g->id);
      ++revision_;
    }
    if (g->mtype == 2) {  // "managed by agent": how to add one
      ImGui::SameLine(add_x);
      if (action_button("Add Agent", "add" + g->id, "addagent:" + g->name)) {
        add_agent_group_ = g->id;
        ++revision_;
      }
    } else if (g->mtype == 1) {  // "Intel AMT only": on the LAN by address, or over CIRA
      ImGui::SameLine(add_x);
      if (action_button(add_label, "addamt" + g->id, "addamt:" + g->name)) {
        add_amt_ = AddAmt{};
        add_amt_.group = g->id;
        send_json({{"action", "ciraconfig"}, {"meshid", g->id}});
        ++revision_;
      }
    }
    if (!open) continue;
    if (!g->desc.empty()) ImGui::TextColored(kMuted, "%s", g->desc.c_str());
    if (list.empty()) {
      ImGui::TextColored(kMuted, filter_.empty() ? "No devices in this group." : "No device matches the search.");
      continue;
    }
    if (ImGui::BeginTable(g->id.c_str(), 7, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_SizingStretchProp)) {
      ImGui::TableSetupColumn("##select", ImGuiTableColumnFlags_WidthFixed);
      ImGui::TableSetupColumn("Name", ImGuiTableColumnFlags_WidthStretch, 1.2f);
      ImGui::TableSetupColumn("Power", ImGuiTableColumnFlags_WidthStretch, 0.5f);
      ImGui::TableSetupColumn("Address", ImGuiTableColumnFlags_WidthStretch, 0.8f);
      ImGui::TableSetupColumn("Description", ImGuiTableColumnFlags_WidthStretch, 1.2f);
      ImGui::TableSetupColumn("Tags", ImGuiTableColumnFlags_WidthStretch, 0.7f);
      ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthFixed);
      ImGui::TableNextRow(ImGuiTableRowFlags_Headers);
      ImGui::TableSetColumnIndex(0);
      // The header's box selects the whole group (of what the search shows).
      bool all = std::all_of(list.begin(), list.end(), [&](const auto* d) { return bulk_.selected(d->id); });
      ImGui::PushID((g->id + "/all").c_str());
      if (ImGui::Checkbox("##all", &all)) {
        for (const auto* d : list) bulk_.set(d->id, all);
        ++revision_;
      }
      ImGui::PopID();
      record_item(buttons_, "select-all:" + g->name);
      for (int c = 1; c < 7; ++c) {
        ImGui::TableSetColumnIndex(c);
        ImGui::TableHeader(ImGui::TableGetColumnName(c));
      }
      for (const auto* d : list) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        bool on = bulk_.selected(d->id);
        ImGui::PushID((d->id + "/select").c_str());
        if (ImGui::Checkbox("##select", &on)) {
          bulk_.set(d->id, on);
          ++revision_;
        }
        ImGui::PopID();
        record_item(buttons_, "select:" + d->name);
        ImGui::TableSetColumnIndex(1);
        device_icon_item(d->icon, d->conn != 0);  // its kind, coloured and badged while online
        record_item(buttons_, "icon:" + d->name);
        drawn_icons_[d->id] = device_icon_kind(d->icon);
        ImGui::SameLine();
        // The name opens the device's page.
        ImGui::PushID(d->id.c_str());
        if (ImGui::Selectable(d->name.c_str(), false)) open_device_page(d->id);
        ImGui::PopID();
        record_item(buttons_, "device:" + d->name);
        ImGui::TableSetColumnIndex(2);
        ImGui::TextColored(d->pwr == 1 ? kOk : kMuted, "%s", power_name(d->pwr));
        ImGui::TableSetColumnIndex(3);
        ImGui::TextUnformatted(d->host.c_str());
        ImGui::TableSetColumnIndex(4);
        ImGui::TextUnformatted(d->desc.c_str());
        ImGui::TableSetColumnIndex(5);
        std::string tags;
        for (const auto& t : d->tags) tags += (tags.empty() ? "" : ", ") + t;
        ImGui::TextColored(kAccent, "%s", tags.c_str());
        ImGui::TableSetColumnIndex(6);
        draw_session_buttons(*d, "");
      }
      ImGui::EndTable();
    }
  }
  ImGui::End();
}

// Sessions the device offers right now: its agent's desktop, files and shell; Intel AMT's KVM,
// serial console and power. `where` tells the test names apart ("" in My Devices, "page-" on the
// device's page).
void App::draw_session_buttons(const proto::Device& d, const std::string& where) {
  if (d.conn & 1) {
    if (action_button("Desktop", where + d.id + "/desktop", where + "desktop:" + d.name)) open_desktop(d.id, DesktopKind::kAgent);
    ImGui::SameLine();
    if (action_button("Files", where + d.id + "/files", where + "files:" + d.name)) open_files(d.id);
    ImGui::SameLine();
    if (action_button("Terminal", where + d.id, where + "terminal:" + d.name)) open_terminal(d.id, TerminalKind::kAgent);
    ImGui::SameLine();
    if (action_button("Console", where + d.id + "/console", where + "console:" + d.name)) open_console(d.id);
  } else if (d.conn & (2 | 4)) {
    if (action_button("KVM", where + d.id + "/kvm", where + "kvm:" + d.name)) open_desktop(d.id, DesktopKind::kIntelAmt);
    ImGui::SameLine();
    if (action_button("Serial", where + d.id, where + "serial:" + d.name)) open_terminal(d.id, TerminalKind::kSerialOverLan);
    ImGui::SameLine();
    draw_power_menu(d, where);
  }
}

// [SECTION] The account menu: events, password, log out

void App::draw_account_menu(float right) {
  const std::string label = user_->name + "  \xE2\x96\xBE";  // ▾
  const float w = ImGui::CalcTextSize(label.c_str()).x + ImGui::GetStyle().FramePadding.x * 2;
  ImGui::SameLine(right - w - ImGui::GetFontSize() * 1.5f);
  ImGui::PushStyleColor(ImGuiCol_Button, ImVec4(0, 0, 0, 0));
  if (action_button(label.c_str(), "account", "account-menu")) ImGui::OpenPopup("##account");
  ImGui::PopStyleColor();
  if (!ImGui::BeginPopup("##account")) return;
  auto item = [this](const char* text) {
    const bool chosen = ImGui::MenuItem(text);
    record_item(buttons_, std::string("menu:") + text);
    return chosen;
  };
  if (item("Events")) open_events();
  if (item("Change password")) open_password_dialog();
  ImGui::Separator();
  if (item("Log out")) navigate_to_ = "logout";
  ImGui::EndPopup();
}

void App::open_events() { select_tab(Tab::kEvents); }

// [SECTION] Tabs: My Devices, My Account, My Events, My Users, My Server

const char* App::tab_name(Tab t) {
  switch (t) {
    case Tab::kDevices: return "My Devices";
    case Tab::kAccount: return "My Account";
    case Tab::kEvents: return "My Events";
    case Tab::kFiles: return "My Files";
    case Tab::kUsers: return "My Users";
    case Tab::kServer: return "My Server";
  }
  return "";
}

bool App::may_open(Tab t) const {
  if (!user_) return t == Tab::kDevices;
  if (t == Tab::kUsers) return (user_->siteadmin & 2) != 0;        // manage users
  if (t == Tab::kServer) return (user_->siteadmin & (1 | 4 | 16)) != 0;  // backup, restore, update
  if (t == Tab::kFiles) return !server_stores().empty();  // file access, or a group's "server files"
  return true;
}

void App::select_tab(Tab t) {
  if (!may_open(t)) t = Tab::kDevices;
  tab_ = t;
  const auto send = [this](const nlohmann::json& j) { send_json(j); };
  if (t == Tab::kEvents) {
    all_events_.reset();
    send_json({{"action", "events"}, {"limit", 500}});
  } else if (t == Tab::kUsers) {
    users_panel_.load(send);
  } else if (t == Tab::kServer) {
    server_panel_.load(send, now_);
  }
  ++revision_;
}

void App::tick(double now) {
  now_ = now;
  if (connection_ != Connection::kOpen || !user_) return;
  if (events_stale_ && tab_ == Tab::kEvents) send_json({{"action", "events"}, {"limit", 500}});
  if (users_stale_ && tab_ == Tab::kUsers) users_panel_.load([this](const nlohmann::json& j) { send_json(j); });
  events_stale_ = users_stale_ = false;
  if (groups_stale_) {
    groups_stale_ = false;
    send("userinfo");
    send("meshes");
    send("nodes");
  }
  if (tab_ == Tab::kServer) server_panel_.tick([this](const nlohmann::json& j) { send_json(j); }, now);
}

// The URL's view mode, once the account is known (MeshCentral's numbers).
void App::apply_viewmode() {
  if (viewmode_applied_ || !user_) return;
  viewmode_applied_ = true;
  switch (embed_.viewmode) {
    case 2: select_tab(Tab::kAccount); break;
    case 3: select_tab(Tab::kEvents); break;
    case 4: select_tab(Tab::kUsers); break;
    case 5: open_my_files(); break;
    case 6: select_tab(Tab::kServer); break;
    case 10:
    case 14:
      viewmode_applied_ = false;  // waits until the device list has the node
      if (const proto::Device* d = embedded_device()) {
        open_device_page(d->id);
        if (embed_.viewmode == 14) device_page(d->id)->select_amt_tab = true;
        viewmode_applied_ = true;
      }
      break;
    default: break;
  }
}

void App::draw_tabs() {
  if (!user_ || (embed_.hide & 2)) return;
  for (const Tab t : {Tab::kDevices, Tab::kAccount, Tab::kEvents, Tab::kFiles, Tab::kUsers, Tab::kServer}) {
    if (!may_open(t)) continue;
    ImGui::SameLine();
    const bool active = t == tab_;
    ImGui::PushStyleColor(ImGuiCol_Button, active ? ImVec4(0.20f, 0.45f, 0.75f, 1.0f) : ImVec4(0, 0, 0, 0));
    if (action_button(tab_name(t), std::string("tab") + tab_name(t), std::string("tab:") + tab_name(t)) && !active) select_tab(t);
    ImGui::PopStyleColor();
  }
}

void App::draw_main(float width, float height) {
  if (tab_ == Tab::kDevices || !user_ || !may_open(tab_)) return draw_devices(width, height);
  const float em = ImGui::GetFontSize();
  const float top = ((embed_.hide & 1) ? 0.0f : ImGui::GetFrameHeight() * 1.8f) + em;
  const float w = std::min(em * 60.0f, width - 2.0f * em);
  const float h = std::max(em * 8.0f, height - top - em);
  ImGui::SetNextWindowPos(ImVec2((width - w) * 0.5f, top));
  ImGui::SetNextWindowSize(ImVec2(w, h));
  const std::string title = std::string(tab_name(tab_)) + "###main";
  ImGui::Begin(title.c_str(), nullptr,
               ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoResize);
  const auto send = [this](const nlohmann::json& j) { send_json(j); };
  switch (tab_) {
    case Tab::kAccount: draw_account_tab(); break;
    case Tab::kEvents:
      draw_event_table(all_events_ ? *all_events_ : std::vector<proto::EventList::Item>{}, all_events_.has_value(), "No events yet.");
      break;
    case Tab::kFiles: draw_files_tab(); break;
    case Tab::kUsers: users_panel_.draw(send, buttons_, user_->id, user_->siteadmin); break;
    case Tab::kServer: server_panel_.draw(info_); break;
    case Tab::kDevices: break;
  }
  ImGui::End();
}

void App::draw_account_tab() {
  const float em = ImGui::GetFontSize();
  ImGui::TextColored(kAccent, "%s", user_->name.c_str());
  ImGui::TextColored(kMuted, "%s", user_->id.c_str());
  ImGui::Spacing();
  ImGui::Text("Site rights: %s", rights_summary(user_->siteadmin, kSiteRightBits, "none (a user)").c_str());
  ImGui::Spacing();
  if (ImGui::Button("Change password", ImVec2(em * 10, 0))) open_password_dialog();
  record_item(buttons_, "account-password");
  ImGui::Separator();
  draw_account_email();
  ImGui::Separator();
  ImGui::TextUnformatted("Device groups and your rights there");
  if (ImGui::BeginTable("##myrights", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_SizingStretchProp)) {
    ImGui::TableSetupColumn("Group", ImGuiTableColumnFlags_WidthStretch, 0.5f);
    ImGui::TableSetupColumn("Rights", ImGuiTableColumnFlags_WidthStretch, 1.5f);
    ImGui::TableHeadersRow();
    for (const auto& [meshid, rights] : user_->mesh_rights) {
      const auto g = groups_.find(meshid);
      if (g == groups_.end()) continue;
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      ImGui::TextUnformatted(g->second.name.c_str());
      ImGui::TableSetColumnIndex(1);
      ImGui::TextWrapped("%s", rights_summary(rights, kGroupRightBits, "No rights").c_str());
    }
    ImGui::EndTable();
  }
}

// My Account's email: the address and whether it is verified; change it (changeemail), and, when
// the server verifies addresses by mail, ask for the link again (verifyemail).
void App::draw_account_email() {
  const float em = ImGui::GetFontSize();
  const bool mail = info_ && info_->emailcheck;
  ImGui::TextUnformatted("Email");
  ImGui::SameLine(em * 5);
  if (user_->email.empty()) {
    ImGui::TextColored(kMuted, "none");
  } else {
    ImGui::TextUnformatted(user_->email.c_str());
    ImGui::SameLine();
    if (user_->email_verified) {
      ImGui::TextColored(kOk, "verified");
    } else {
      ImGui::TextColored(mail ? kBad : kMuted, "not verified");
    }
  }
  ImGui::SetNextItemWidth(em * 18);
  ImGui::InputTextWithHint("##email", "new address", email_edit_.data(), email_edit_.size());
  record_item(buttons_, "account-email");
  ImGui::SameLine();
  ImGui::BeginDisabled(email_edit_[0] == '\0');
  if (ImGui::Button("Change email")) {
    email_result_.clear();
    email_sent_to_ = email_edit_.data();
    send_json({{"action", "changeemail"}, {"email", email_sent_to_}});
    // Shown as the server keeps it (addresses are stored in lower case).
    for (char& c : email_sent_to_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  record_item(buttons_, "account-email-change");
  ImGui::EndDisabled();
  if (mail && !user_->email.empty() && !user_->email_verified) {
    ImGui::SameLine();
    if (ImGui::Button("Send verification mail")) {
      email_result_.clear();
      email_sent_to_ = user_->email;
      send_json({{"action", "verifyemail"}, {"email", user_->email}});
    }
    record_item(buttons_, "account-email-verify");
  }
  if (mail) ImGui::TextColored(kMuted, "A new address is confirmed by a link the server mails to it; until then the login page asks for it.");
  if (!email_result_.empty()) {
    const bool ok = email_result_.rfind("A mail", 0) == 0 || email_result_.rfind("Your email", 0) == 0;
    ImGui::TextColored(ok ? kOk : kBad, "%s", email_result_.c_str());
  }
}

void App::open_password_dialog() {
  old_pass_.fill('\0');
  new_pass_.fill('\0');
  new_pass2_.fill('\0');
  password_result_.clear();
  password_open_ = true;
  password_popup_ = false;
}

void App::draw_password_dialog() {
  if (!password_open_) return;
  const char* title = "Change password###password";
  if (!password_popup_) {
    ImGui::OpenPopup(title);
    password_popup_ = true;
  }
  bool keep = true;
  if (!ImGui::BeginPopupModal(title, &keep, ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings)) {
    if (!keep) password_open_ = false;
    return;
  }
  const float em = ImGui::GetFontSize();
  auto field = [&](const char* label, std::array<char, 256>& buf, const char* test) {
    ImGui::TextUnformatted(label);
    ImGui::SetNextItemWidth(em * 20);
    ImGui::InputText(std::string("##").append(test).c_str(), buf.data(), buf.size(), ImGuiInputTextFlags_Password);
    record_item(buttons_, test);
  };
  if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
  field("Current password", old_pass_, "password-old");
  field("New password", new_pass_, "password-new");
  field("New password again", new_pass2_, "password-new2");
  const bool differ = std::string(new_pass_.data()) != std::string(new_pass2_.data());
  if (differ && new_pass2_[0]) ImGui::TextColored(kBad, "The two new passwords differ.");
  if (!password_result_.empty()) {
    const bool ok = password_result_ == "Your password was changed.";
    ImGui::TextColored(ok ? kOk : kBad, "%s", password_result_.c_str());
  }
  ImGui::Spacing();
  ImGui::BeginDisabled(differ || !old_pass_[0] || !new_pass_[0]);
  if (ImGui::Button("Change", ImVec2(em * 7, 0))) {
    password_result_.clear();
    // The server checks the current password and the password rules, and says why it refuses.
    send_json({{"action", "changepassword"}, {"oldpass", old_pass_.data()}, {"newpass", new_pass_.data()}});
  }
  record_item(buttons_, "password-change");
  ImGui::EndDisabled();
  ImGui::SameLine();
  const bool close = ImGui::Button("Close", ImVec2(em * 7, 0)) || escape_pressed();
  record_item(buttons_, "password-close");
  if (close || !keep) {
    old_pass_.fill('\0');  // no password stays in memory longer than the dialog
    new_pass_.fill('\0');
    new_pass2_.fill('\0');
    password_open_ = false;
    ImGui::CloseCurrentPopup();
    ++revision_;
  }
  ImGui::EndPopup();
}

// [SECTION] Device pages

void App::draw_device_pages() {
  for (auto it = pages_.begin(); it != pages_.end();) {
    DevicePage& page = **it;
    const auto dev = devices_.find(page.nodeid());
    if (dev == devices_.end() || !page.open) {  // closed, or the device is gone from this user's view
      stop_ider(page.nodeid(), true);  // the page is the IDE-R session's home
      it = pages_.erase(it);
      ++revision_;
      continue;
    }
    const proto::Device& d = dev->second;
    const auto group = groups_.find(d.meshid);
    const float em = ImGui::GetFontSize();
    ImGui::SetNextWindowSize(ImVec2(em * 44, em * 34), ImGuiCond_FirstUseEver);
    if (raise_page_ == d.id) {
      ImGui::SetNextWindowFocus();
      raise_page_.clear();
    }
    const std::string title = d.name + "###device" + d.id;
    if (ImGui::Begin(title.c_str(), &page.open, ImGuiWindowFlags_NoSavedSettings)) {
      device_icon_item(d.icon, d.conn != 0);
      record_item(buttons_, "page-icon:" + d.name);
      ImGui::SameLine();
      ImGui::TextColored(d.conn ? kOk : kMuted, "%s", d.conn ? "Online" : "Offline");
      ImGui::SameLine();
      draw_session_buttons(d, "page-");
      ImGui::SameLine();
      if (action_button("Edit", d.id + "/edit", "page-edit:" + d.name)) {
        edit_ = {d.id, d.name, d.desc, {}, d.amt && d.amt->tls, false, 0, {}};
        for (const auto& t : d.tags) edit_.tags += (edit_.tags.empty() ? "" : ", ") + t;
        edit_open_ = false;
      }
      // An agent's device, for those with "uninstall agent" (32768) on its group.
      if (user_ && (d.conn & 1)) {
        const auto r = user_->mesh_rights.find(d.meshid);
        if (r != user_->mesh_rights.end() && (r->second & 32768) != 0) {
          ImGui::SameLine();
          if (action_button("Uninstall agent", d.id + "/uninstall", "page-uninstall:" + d.name)) uninstall_confirm_ = d.id;
        }
        // "Chat & notify" (16384): a notification or message box for the person at the device.
        if (r != user_->mesh_rights.end() && (r->second & 16384) != 0) {
          ImGui::SameLine();
          if (action_button("Message...", d.id + "/message", "page-message:" + d.name)) message_.open({d.id});
        }
      }
      if (ImGui::BeginTabBar("##tabs")) {
        if (ImGui::BeginTabItem("General")) {
          ImGui::BeginChild("##general");
          page.draw_general(d, group == groups_.end() ? nullptr : &group->second);
          bool may_edit = false;  // the "notes" right on the device's group
          if (user_) {
            const auto r = user_->mesh_rights.find(d.meshid);
            may_edit = r != user_->mesh_rights.end() && (r->second & 128) != 0;
          }
          page.draw_notes(may_edit, [this, id = d.id](const std::string& notes) {
            send_json({{"action", "setNotes"}, {"id", id}, {"notes", notes}, {"tag", id}});
          }, buttons_);
          ImGui::EndChild();
          ImGui::EndTabItem();
        }
        const bool events = ImGui::BeginTabItem("Events");
        record_item(buttons_, "page-events:" + d.name);
        if (events) {
          page.draw_events();
          ImGui::EndTabItem();
        }
        if (d.amt) {
          const bool amt = ImGui::BeginTabItem("Intel AMT", nullptr, page.select_amt_tab ? ImGuiTabItemFlags_SetSelected : 0);
          record_item(buttons_, "page-amt:" + d.name);
          page.select_amt_tab = false;
          if (amt) {
            ImGui::BeginChild("##amt");
            page.draw_amt([this, id = d.id](const std::string& what) {
              send_json({{"action", "amtinfo"}, {"nodeid", id}, {"what", what}});
            }, buttons_, d.name, [this, &d] { draw_ider(d); });
            ImGui::EndChild();
            ImGui::EndTabItem();
          }
        }
        ImGui::EndTabBar();
      }
    }
    ImGui::End();
    ++it;
  }
  draw_edit_device();
}

// [SECTION] IDE-R (a device page's Intel AMT tab)

IderPanel* App::ider(const std::string& nodeid) {
  for (auto& i : iders_) {
    if (i.view->nodeid() == nodeid) return i.view.get();
  }
  return nullptr;
}

void App::open_ider(const std::string& nodeid) {
  stop_ider(nodeid, true);  // one session per device: "Check again" lists the files anew
  auto handle = std::make_shared<int>(0);
  start_session(iders_, std::make_unique<IderPanel>(nodeid, relay_sender(handle).text), handle);
}

void App::stop_ider(const std::string& nodeid, bool forget) {
  for (auto it = iders_.begin(); it != iders_.end(); ++it) {
    if (it->view->nodeid() != nodeid) continue;
    if (it->handle && relays_.close) relays_.close(it->handle);  // the server stops serving the drives
    it->handle = 0;
    if (forget) iders_.erase(it);
    else it->view->on_stopped();
    ++revision_;
    return;
  }
}

// As the server checks (amt_relay.cpp): remote control without "no Intel AMT" on the device's
// group, and the "server files" site right (the images are the account's own files). A domain
// without files on the server is only known from the server's answer.
std::string App::ider_refusal(const proto::Device& d) const {
  if (!user_) return "Not connected to the server.";
  if ((d.conn & (2 | 4)) == 0) return "Intel AMT of this computer is not connected to the server.";
  const auto r = user_->mesh_rights.find(d.meshid);
  const std::uint32_t rights = r == user_->mesh_rights.end() ? 0 : r->second;
  if ((rights & 8) == 0 || (rights != 0xFFFFFFFF && (rights & 2048) != 0)) {
    return "IDE-R needs the remote control right on the device's group.";
  }
  if ((user_->siteadmin & 8) == 0) {
    return "IDE-R serves disk images from your files on the server: your account needs the \"server files\" site right.";
  }
  return "";
}

void App::draw_ider(const proto::Device& d) {
  // The buttons' requests run after the section is drawn: they replace or remove its panel.
  enum class Request { kNone, kStart, kStop, kFiles } request = Request::kNone;
  int power = 0;
  IderPanel::Actions actions;
  actions.start = [&] { request = Request::kStart; };
  actions.stop = [&] { request = Request::kStop; };
  if (user_ && (user_->siteadmin & 8)) actions.open_files = [&] { request = Request::kFiles; };
  actions.power = [&](int type) { power = type; };
  IderPanel* panel = ider(d.id);
  const unsigned before = panel ? panel->revision() : 0;
  draw_ider_section(panel, actions, ider_refusal(d), d.name, buttons_);
  if (panel && panel->revision() != before) ++revision_;  // the form's Start
  if (power) {
    power_confirm_ = {d.id, power};
    ++revision_;
  }
  switch (request) {
    case Request::kStart: open_ider(d.id); break;
    case Request::kStop: {
      // Before anything was served (the form), Cancel leaves no trace; afterwards the section
      // shows how far it got.
      const bool served = panel && panel->state() != IderPanel::State::kLoading && panel->state() != IderPanel::State::kChoosing;
      stop_ider(d.id, !served);
      break;
    }
    case Request::kFiles: open_my_files(); break;
    case Request::kNone: break;
  }
}

// Name, description and tags of a device (changedevice; the server checks "manage devices").
void App::draw_edit_device() {
  if (edit_.nodeid.empty()) return;
  const auto dev = devices_.find(edit_.nodeid);
  const char* title = "Edit device###editdevice";
  if (dev == devices_.end()) {
    edit_ = {};
    return;
  }
  if (!edit_open_) {
    ImGui::OpenPopup(title);
    edit_open_ = true;
  }
  bool keep = true;
  if (!ImGui::BeginPopupModal(title, &keep, ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings)) {
    if (!keep) edit_ = {};
    return;
  }
  const float em = ImGui::GetFontSize();
  auto field = [&](const char* label, std::string& value, const char* test) {
    char buf[1024];
    std::snprintf(buf, sizeof buf, "%s", value.c_str());
    ImGui::TextUnformatted(label);
    ImGui::SetNextItemWidth(em * 24);
    if (ImGui::InputText(std::string("##").append(label).c_str(), buf, sizeof buf)) value = buf;
    record_item(buttons_, test);
  };
  if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
  field("Name", edit_.name, "edit-name");
  field("Description", edit_.desc, "edit-desc");
  field("Tags (separated by commas)", edit_.tags, "edit-tags");
  const proto::Device& shown = dev->second;
  draw_icon_picker(shown);
  if (shown.amt) {
    ImGui::Checkbox("Intel AMT over TLS (16993, 16995)", &edit_.amt_tls);
    record_item(buttons_, "edit-amt-tls");
    if (shown.amt->tls && edit_.amt_tls) {
      ImGui::Checkbox("Trust the certificate it presents now", &edit_.trust_cert);
      record_item(buttons_, "edit-amt-trust");
      if (shown.amt->tls_mismatch) ImGui::TextColored(kWarn, "Its certificate changed; connections are refused until you trust it.");
    }
  }
  ImGui::Spacing();
  const bool valid = !edit_.name.empty() && edit_.name.size() <= 256;
  ImGui::BeginDisabled(!valid);
  const bool save = ImGui::Button("Save", ImVec2(em * 6, 0));
  record_item(buttons_, "edit-save");
  ImGui::EndDisabled();
  ImGui::SameLine();
  bool cancel = ImGui::Button("Cancel", ImVec2(em * 6, 0));
  record_item(buttons_, "edit-cancel");
  cancel = cancel || escape_pressed();
  if (save && valid) {  // only what changed, so the event names exactly that
    nlohmann::json req{{"action", "changedevice"}, {"nodeid", edit_.nodeid}};
    const proto::Device& d = dev->second;
    std::string tags;
    for (const auto& t : d.tags) tags += (tags.empty() ? "" : ", ") + t;
    if (edit_.name != d.name) req["name"] = edit_.name;
    if (edit_.desc != d.desc) req["desc"] = edit_.desc;
    if (edit_.tags != tags) req["tags"] = edit_.tags;
    if (edit_.icon != 0 && edit_.icon != device_icon_kind(d.icon)) req["icon"] = edit_.icon;
    // Saving the TLS setting also forgets the pinned certificate (the server pins the next one).
    if (d.amt && (edit_.amt_tls != d.amt->tls || edit_.trust_cert)) req["intelamt"] = {{"tls", edit_.amt_tls ? 1 : 0}};
    if (req.size() > 2) send_json(req);
  }
  if (save || cancel || !keep) {
    edit_ = {};
    ImGui::CloseCurrentPopup();
    ++revision_;
  }
  ImGui::EndPopup();
}

// The edit dialog's icon picker: MeshCentral's eight kinds; the choice is highlighted and sent
// with the dialog's other changes on Save (changedevice with icon); Cancel forgets it.
// Only for those with "manage devices" on the device's group, as the server checks.
void App::draw_icon_picker(const proto::Device& d) {
  const float em = ImGui::GetFontSize();
  bool may_manage = false;
  if (user_) {
    const auto r = user_->mesh_rights.find(d.meshid);
    may_manage = r != user_->mesh_rights.end() && (r->second & 4) != 0;
  }
  ImGui::TextUnformatted("Icon");
  const int stored = device_icon_kind(d.icon);
  const bool pending = edit_.icon != 0 && edit_.icon != stored;
  const int shown = pending ? edit_.icon : stored;
  const ImVec4 selected = ImGui::GetStyleColorVec4(ImGuiCol_Button);
  const ImVec4 idle = ImGui::GetStyleColorVec4(ImGuiCol_FrameBg);
  const float side = std::round(em * 2.2f), icon = std::round(em * 1.5f);
  ImGui::BeginDisabled(!may_manage);
  for (int k = 1; k <= kDeviceIconCount; ++k) {
    ImGui::PushID(k);
    if (k > 1) ImGui::SameLine(0, std::round(em * 0.4f));
    const bool current = k == shown;
    ImGui::PushStyleColor(ImGuiCol_Button, current ? selected : idle);
    const bool chosen = ImGui::Button("##icon", ImVec2(side, side));
    ImGui::PopStyleColor();
    const ImVec2 lo = ImGui::GetItemRectMin();
    // Light on the highlighted (chosen) one, grey on the others until hovered; no online badge.
    const ImVec4 ink = current || ImGui::IsItemHovered() ? ImGui::GetStyleColorVec4(ImGuiCol_Text) : kMuted;
    draw_device_icon(ImGui::GetWindowDrawList(), ImVec2(lo.x + (side - icon) * 0.5f, lo.y + (side - icon) * 0.5f), icon, k, ink,
                     current ? 0.25f : 0.15f);
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) ImGui::SetTooltip("%s", device_icon_name(k));
    record_item(buttons_, std::string("edit-icon:") + device_icon_name(k));
    if (chosen && k != shown) {
      edit_.icon = k == stored ? 0 : k;
      ++revision_;
    }
    ImGui::PopID();
  }
  ImGui::EndDisabled();
  if (!may_manage) {
    ImGui::TextColored(kMuted, "Changing the icon needs the \"manage devices\" right on the device's group.");
  } else if (!edit_.result.empty() && edit_.result != "ok") {
    ImGui::TextColored(kBad, "%s", edit_.result.c_str());
  } else if (pending) {
    ImGui::TextColored(kMuted, "%s (now %s): Save applies it.", device_icon_name(edit_.icon), device_icon_name(stored));
  } else {
    ImGui::TextColored(kMuted, "%s.", device_icon_name(stored));
  }
}

namespace {
nlohmann::json ider_info(const IderPanel& panel) {
  nlohmann::json images = nlohmann::json::array();
  for (const auto& i : panel.images()) {
    images.push_back({{"path", i.path}, {"size", i.size}, {"drive", i.drive == IderDrive::kCdrom ? "cdrom" : "floppy"}});
  }
  nlohmann::json info{{"state", IderPanel::state_name(panel.state())}, {"status", panel.status()}, {"images", std::move(images)}};
  if (const auto& p = panel.progress()) {
    const auto drive = [](const std::optional<IderProgress::Drive>& d) {
      return d ? nlohmann::json{{"path", d->path}, {"blocks", d->blocks}, {"read", d->read}} : nlohmann::json();
    };
    info.update({{"start", static_cast<int>(p->start)}, {"firmware", p->firmware}, {"toAmt", p->to_amt}, {"fromAmt", p->from_amt},
                 {"cdrom", drive(p->cdrom)}, {"floppy", drive(p->floppy)}});
  }
  return info;
}
}  // namespace

std::vector<App::DevicePageInfo> App::device_pages() const {
  std::vector<DevicePageInfo> out;
  for (const auto& p : pages_) {
    DevicePageInfo info{p->nodeid(), {}, {}, {}, nlohmann::json::object(), nullptr, p->notes_status(), nullptr};
    if (p->notes()) info.notes = *p->notes();
    if (const auto& h = p->amt_hardware()) {
      info.amt["hardwareResult"] = h->result;
      if (h->hardware) {
        info.amt["hardware"] = {{"chassis", h->hardware->chassis.model}, {"board", h->hardware->baseboard.model},
                                {"bios", h->hardware->bios_version}, {"processors", h->hardware->processors.size()},
                                {"memory", h->hardware->memory.size()}};
      }
    }
    if (const auto& ev = p->amt_event_log()) {
      info.amt["eventsResult"] = ev->result;
      nlohmann::json list = nlohmann::json::array();
      for (const auto& e : ev->events) list.push_back(e.entity + ": " + e.description);
      info.amt["events"] = std::move(list);
    }
    if (const auto& au = p->amt_audit_log()) {
      info.amt["auditResult"] = au->result;
      nlohmann::json list = nlohmann::json::array();
      for (const auto& a : au->audit) list.push_back(a.app + ": " + a.event + " by " + a.initiator);
      info.amt["audit"] = std::move(list);
    }
    if (const auto& s = p->system_info(); s && s->known) {
      info.hostname = s->hostname;
      info.os = s->os_name + (s->os_version.empty() ? "" : " " + s->os_version);
    }
    for (const auto& e : p->events()) info.events.push_back(e.msg.empty() ? e.action : e.msg);
    for (const auto& i : iders_) {
      if (i.view->nodeid() == p->nodeid()) info.ider = ider_info(*i.view);
    }
    out.push_back(std::move(info));
  }
  return out;
}

// [SECTION] Embedded single view (viewmode 11, 12, 13 with node)

const proto::Device* App::embedded_device() const {
  for (const auto& [id, d] : devices_) {
    const auto slash = id.rfind('/');
    if (id == embed_.node || (slash != std::string::npos && id.compare(slash + 1, std::string::npos, embed_.node) == 0)) return &d;
  }
  return nullptr;
}

void App::draw_single_view(float width, float height, float top) {
  const WindowPin pin{{0.0f, top, width, std::max(1.0f, height - top)}, (embed_.hide & 8) != 0};
  const proto::Device* d = embedded_device();
  // Once the device is known and online, its session opens, once; it then fills the page.
  if (!embed_opened_ && d && d->conn != 0) {
    const bool agent = (d->conn & 1) != 0;
    if (embed_.viewmode == 11) open_desktop(d->id, agent ? DesktopKind::kAgent : DesktopKind::kIntelAmt);
    if (embed_.viewmode == 12) open_terminal(d->id, agent ? TerminalKind::kAgent : TerminalKind::kSerialOverLan);
    if (embed_.viewmode == 13 && agent) open_files(d->id);
    if (embed_.viewmode == 15 && agent) open_console(d->id);
    embed_opened_ = (embed_.viewmode != 13 && embed_.viewmode != 15) || agent;
  }
  for (auto& t : terminals_) t.view->pin(pin);
  for (auto& v : desktops_) v.view->pin(pin);
  for (auto& f : files_) f.view->pin(pin);
  for (auto& c : consoles_) c.view->pin(pin);
  if (embed_opened_) return;
  // Until then, why nothing shows.
  ImGui::SetNextWindowPos(ImVec2(pin.rect[0], pin.rect[1]));
  ImGui::SetNextWindowSize(ImVec2(pin.rect[2], pin.rect[3]));
  ImGui::Begin("##single", nullptr, ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings);
  if (!user_) {
    ImGui::TextColored(connection_colour(connection_), "%s", connection_label(connection_));
    if (!detail_.empty()) ImGui::TextWrapped("%s", detail_.c_str());
  } else if (!d) {
    ImGui::TextWrapped("The device %s does not exist, or this account may not see it.", embed_.node.c_str());
  } else if (embed_.viewmode == 13 && (d->conn & 1) == 0) {
    ImGui::TextWrapped("%s has no agent: files need the Meshwork agent.", d->name.c_str());
  } else if (embed_.viewmode == 15 && (d->conn & 1) == 0) {
    ImGui::TextWrapped("%s has no agent: the console needs the Meshwork agent.", d->name.c_str());
  } else {
    ImGui::TextColored(kMuted, "%s is offline; waiting for it to connect.", d->name.c_str());
  }
  ImGui::End();
}

// [SECTION] Intel AMT power actions: a menu per device, then a confirmation.

void App::draw_power_menu(const proto::Device& d, const std::string& where) {
  const std::string popup = "power##" + where + d.id;
  if (action_button("Power", where + d.id + "/power", where + "power:" + d.name)) ImGui::OpenPopup(popup.c_str());
  if (!ImGui::BeginPopup(popup.c_str())) return;
  for (const auto& a : kPowerActions) {
    if (starts_menu_group(a.type)) ImGui::Separator();  // boot options, IDE-R boots
    if (ImGui::MenuItem(a.label)) {
      power_confirm_ = {d.id, a.type};
      ++revision_;
    }
    record_item(buttons_, std::string("power-action:") + a.label);
  }
  ImGui::EndPopup();
}

namespace {

enum class Confirm { kWaiting, kConfirmed, kCancelled };

// A confirmation dialog: the question, an optional note in `note_colour`, then `ok` (recorded as
// `test_name` for tests) and Cancel. kCancelled also when its close box is used.
Confirm confirm_modal(const char* title, const std::string& question, const char* note, ImVec4 note_colour, const char* ok,
                      const char* test_name, ItemRects& buttons) {
  if (!ImGui::IsPopupOpen(title)) ImGui::OpenPopup(title);
  bool keep = true;
  if (!ImGui::BeginPopupModal(title, &keep, ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings)) {
    return keep ? Confirm::kWaiting : Confirm::kCancelled;
  }
  ImGui::TextUnformatted(question.c_str());
  if (note) ImGui::TextColored(note_colour, "%s", note);
  ImGui::Spacing();
  const float em = ImGui::GetFontSize();
  Confirm answer = Confirm::kWaiting;
  // Wide enough for the longer action names ("Power on to IDE-R CD-ROM").
  const float ok_width = std::max(em * 7, ImGui::CalcTextSize(ok).x + ImGui::GetStyle().FramePadding.x * 2);
  if (ImGui::Button(ok, ImVec2(ok_width, 0))) answer = Confirm::kConfirmed;
  record_item(buttons, test_name);
  ImGui::SameLine();
  if (ImGui::Button("Cancel", ImVec2(em * 7, 0)) || !keep) answer = Confirm::kCancelled;
  if (answer != Confirm::kWaiting) ImGui::CloseCurrentPopup();
  ImGui::EndPopup();
  return answer;
}

}  // namespace

void App::draw_power_confirm() {
  if (power_confirm_.first.empty()) return;
  const auto dev = devices_.find(power_confirm_.first);
  const auto action = std::find_if(std::begin(kPowerActions), std::end(kPowerActions),
                                   [&](const PowerAction& a) { return a.type == power_confirm_.second; });
  if (dev == devices_.end() || action == std::end(kPowerActions)) {
    power_confirm_ = {};
    return;
  }
  const Confirm answer = confirm_modal(
      "Intel AMT power action###powerconfirm", std::string(action->label) + " " + dev->second.name + "?",
      interrupts_running(action->type) ? "Programs running on it are not asked to close first." : nullptr, kWarn, action->label,
      "power-confirm", buttons_);
  if (answer == Confirm::kWaiting) return;
  if (answer == Confirm::kConfirmed) send_json({{"action", "poweraction"}, {"nodeids", {dev->first}}, {"actiontype", action->type}});
  power_confirm_ = {};
  ++revision_;
}

void App::draw_uninstall_confirm() {
  if (uninstall_confirm_.empty()) return;
  const auto dev = devices_.find(uninstall_confirm_);
  if (dev == devices_.end()) {
    uninstall_confirm_.clear();
    return;
  }
  const Confirm answer = confirm_modal(
      "Uninstall agent###uninstallconfirm", "Uninstall the agent of " + dev->second.name + "?",
      "The agent removes itself from the computer; the device stays listed, offline, until deleted.", kMuted, "Uninstall",
      "uninstall-confirm", buttons_);
  if (answer == Confirm::kWaiting) return;
  if (answer == Confirm::kConfirmed) send_json({{"action", "uninstallagent"}, {"nodeids", {dev->first}}});
  uninstall_confirm_.clear();
  ++revision_;
}

void apply_theme(float scale) {
  ImGuiStyle& s = ImGui::GetStyle();
  ImGui::StyleColorsDark(&s);
  s.WindowRounding = 6.0f;
  s.FrameRounding = 4.0f;
  s.GrabRounding = 4.0f;
  s.TabRounding = 4.0f;
  s.WindowBorderSize = 1.0f;
  s.WindowPadding = ImVec2(14, 12);
  s.FramePadding = ImVec2(8, 5);
  s.ItemSpacing = ImVec2(10, 7);
  ImVec4* c = s.Colors;
  c[ImGuiCol_WindowBg] = ImVec4(0.13f, 0.15f, 0.18f, 1.0f);
  c[ImGuiCol_TitleBg] = ImVec4(0.16f, 0.19f, 0.24f, 1.0f);
  c[ImGuiCol_TitleBgActive] = ImVec4(0.18f, 0.33f, 0.52f, 1.0f);
  c[ImGuiCol_Border] = ImVec4(0.26f, 0.30f, 0.36f, 1.0f);
  c[ImGuiCol_Text] = ImVec4(0.92f, 0.94f, 0.96f, 1.0f);
  c[ImGuiCol_Button] = ImVec4(0.20f, 0.45f, 0.75f, 1.0f);
  c[ImGuiCol_ButtonHovered] = ImVec4(0.26f, 0.53f, 0.85f, 1.0f);
  c[ImGuiCol_Header] = ImVec4(0.20f, 0.40f, 0.65f, 0.6f);
  // Progress bars (transfers, IDE-R reads, disk use) in the theme's blue, not ImGui's yellow.
  c[ImGuiCol_PlotHistogram] = ImVec4(0.20f, 0.45f, 0.75f, 1.0f);
  c[ImGuiCol_PlotHistogramHovered] = ImVec4(0.26f, 0.53f, 0.85f, 1.0f);
  s.ScaleAllSizes(scale);
}

}  // namespace mw::web
