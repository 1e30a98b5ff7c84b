// Actions on several devices (bulk_actions.hpp).
#include "bulk_actions.hpp"

#include <imgui.h>

#include <algorithm>
#include <vector>

#include "device_icons.hpp"
#include "device_page.hpp"
#include "theme.hpp"

namespace mw::web {
namespace {


bool button(const char* label, const std::string& test, ItemRects& buttons, float width = 0) {
  const bool clicked = ImGui::Button(label, ImVec2(width, 0));
  record_item(buttons, test);
  return clicked;
}

std::string name_of(const std::map<std::string, proto::Device>& devices, const std::string& id) {
  const auto d = devices.find(id);
  return d == devices.end() ? id : d->second.name;
}

}  // namespace

void BulkActions::set(const std::string& nodeid, bool on) {
  if (on) {
    ids_.insert(nodeid);
  } else {
    ids_.erase(nodeid);
  }
}

void BulkActions::prune(const std::map<std::string, proto::Device>& devices) {
  std::erase_if(ids_, [&](const std::string& id) { return devices.count(id) == 0; });
}

void BulkActions::draw_toolbar(ItemRects& buttons, const std::map<std::string, proto::Device>& devices) {
  if (ids_.empty()) return;
  std::size_t agents = 0, amt = 0;
  for (const auto& id : ids_) {
    const auto d = devices.find(id);
    if (d == devices.end()) continue;
    if (d->second.conn & 1) ++agents;
    if (d->second.amt || (d->second.conn & (2 | 4))) ++amt;
  }
  ImGui::TextColored(kWarn, "%zu selected", ids_.size());
  ImGui::SameLine();
  ImGui::BeginDisabled(amt == 0);
  if (button("Power...", "bulk-power", buttons)) ImGui::OpenPopup("##bulkpower");
  ImGui::EndDisabled();
  if (ImGui::BeginPopup("##bulkpower")) {
    for (const auto& a : kPowerActions) {
      if (starts_menu_group(a.type)) ImGui::Separator();  // boot options, IDE-R boots
      if (ImGui::MenuItem(a.label)) {
        power_ = a.type;
        popup_ = false;
      }
      record_item(buttons, std::string("bulk-power-action:") + a.label);
    }
    ImGui::EndPopup();
  }
  ImGui::SameLine();
  ImGui::BeginDisabled(agents == 0);
  if (button("Run command...", "bulk-run", buttons)) {
    run_ = true;
    popup_ = false;
    message_.clear();
  }
  ImGui::SameLine();
  if (button("Message...", "bulk-message", buttons)) message_request_ = true;
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (button("Move to group...", "bulk-move", buttons)) {
    move_ = true;
    popup_ = false;
    move_to_.clear();
    message_.clear();
  }
  ImGui::SameLine();
  if (button("Delete...", "bulk-delete", buttons)) {
    delete_ = true;
    popup_ = false;
    message_.clear();
  }
  ImGui::SameLine();
  if (button("Clear selection", "bulk-clear", buttons)) ids_.clear();
  if (!message_.empty()) ImGui::TextColored(message_ == "ok" ? kOk : kBad, "%s", message_ == "ok" ? "Done." : message_.c_str());
}

void BulkActions::on_command_output(const proto::CommandOutput& out) {
  if (out.nodeid.empty()) {
    message_ = out.result;  // refused before a device was named
    return;
  }
  auto& o = outputs_[out.nodeid];
  if (out.finished) {
    o = {out.result, out.exitcode, true};
  } else if (!o.finished) {
    o.text = out.result;  // "Agent not connected", "Access denied"
  }
}

void BulkActions::on_result(const proto::ActionResult& r) { message_ = r.result; }

void BulkActions::draw_dialogs(const Send& send, ItemRects& buttons, const std::map<std::string, proto::Device>& devices,
                               const std::map<std::string, proto::DeviceGroup>& groups) {
  const float em = ImGui::GetFontSize();
  std::vector<std::string> names;
  for (const auto& id : ids_) names.push_back(name_of(devices, id));
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  const nlohmann::json nodeids(ids_);

  auto modal = [&](const char* title, bool& open, auto&& body) {
    if (!open) return;
    if (!popup_) {
      ImGui::OpenPopup(title);
      popup_ = true;
    }
    bool keep = true;
    if (!ImGui::BeginPopupModal(title, &keep, ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings)) {
      if (!keep) open = false;
      return;
    }
    ImGui::PushTextWrapPos(em * 36);
    ImGui::TextColored(kMuted, "%s", list.c_str());
    ImGui::PopTextWrapPos();
    ImGui::Spacing();
    const bool close = body() || !keep;
    if (close) {
      open = false;
      popup_ = false;
      ImGui::CloseCurrentPopup();
    }
    ImGui::EndPopup();
  };

  bool power_open = power_ != 0;
  const auto action = std::find_if(std::begin(kPowerActions), std::end(kPowerActions), [&](const PowerAction& a) { return a.type == power_; });
  if (power_open && action != std::end(kPowerActions)) {
    modal("Intel AMT power action###bulkpowerconfirm", power_open, [&] {
      ImGui::Text("%s %zu device%s?", action->label, ids_.size(), ids_.size() == 1 ? "" : "s");
      if (interrupts_running(action->type)) ImGui::TextColored(kWarn, "Programs running on them are not asked to close first.");
      ImGui::TextColored(kMuted, "Devices without Intel AMT, or without the right, are skipped.");
      bool done = false;
      if (button(action->label, "bulk-power-confirm", buttons, em * 7)) {
        send({{"action", "poweraction"}, {"nodeids", nodeids}, {"actiontype", action->type}});
        done = true;
      }
      ImGui::SameLine();
      return done || button("Cancel", "bulk-power-cancel", buttons, em * 7);
    });
    if (!power_open) power_ = 0;
  } else {
    power_ = 0;
  }

  modal("Run command###bulkrun", run_, [&] {
    ImGui::TextUnformatted("Shell commands (run by /bin/sh on each agent):");
    ImGui::InputTextMultiline("##cmd", command_.data(), command_.size(), ImVec2(em * 36, em * 5));
    record_item(buttons, "bulk-run-command");
    if (button("Run", "bulk-run-go", buttons, em * 7) && command_[0]) {
      outputs_.clear();
      message_.clear();
      for (const auto& id : ids_) outputs_[id] = {"Running...", 0, false};
      send({{"action", "runcommands"}, {"nodeids", nodeids}, {"type", 3}, {"cmds", std::string(command_.data())}, {"reply", true}});
    }
    ImGui::SameLine();
    const bool close = button("Close", "bulk-run-close", buttons, em * 7);
    if (!message_.empty()) ImGui::TextColored(kBad, "%s", message_.c_str());
    for (const auto& [id, o] : outputs_) {
      ImGui::Separator();
      if (const auto d = devices.find(id); d != devices.end()) {
        device_icon_item(d->second.icon, d->second.conn != 0);
        ImGui::SameLine();
      }
      ImGui::TextColored(o.finished ? (o.exitcode == 0 ? kOk : kWarn) : kMuted, "%s", name_of(devices, id).c_str());
      if (o.finished) {
        ImGui::SameLine();
        ImGui::TextColored(kMuted, "exit code %d", o.exitcode);
      }
      ImGui::PushTextWrapPos(em * 36);
      ImGui::TextUnformatted(o.text.c_str());
      ImGui::PopTextWrapPos();
    }
    return close;
  });

  modal("Move to group###bulkmove", move_, [&] {
    ImGui::TextUnformatted("Move to:");
    std::vector<const proto::DeviceGroup*> order;
    for (const auto& [_, g] : groups) order.push_back(&g);
    std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
    for (const auto* g : order) {
      if (ImGui::RadioButton(g->name.c_str(), move_to_ == g->id)) move_to_ = g->id;
      record_item(buttons, "bulk-move-to:" + g->name);
    }
    ImGui::TextColored(kMuted, "Both groups must be of the same type; you need \"manage devices\" on both.");
    bool done = false;
    ImGui::BeginDisabled(move_to_.empty());
    if (button("Move", "bulk-move-go", buttons, em * 7)) {
      send({{"action", "changeDeviceMesh"}, {"nodeids", nodeids}, {"meshid", move_to_}});
      done = true;
    }
    ImGui::EndDisabled();
    ImGui::SameLine();
    return done || button("Cancel", "bulk-move-cancel", buttons, em * 7);
  });

  modal("Delete devices###bulkdelete", delete_, [&] {
    ImGui::Text("Delete %zu device record%s?", ids_.size(), ids_.size() == 1 ? "" : "s");
    ImGui::TextColored(kWarn, "A device whose agent connects again is listed again.");
    bool done = false;
    if (button("Delete", "bulk-delete-go", buttons, em * 7)) {
      send({{"action", "removedevices"}, {"nodeids", nodeids}});
      done = true;
    }
    ImGui::SameLine();
    return done || button("Cancel", "bulk-delete-cancel", buttons, em * 7);
  });
}

}  // namespace mw::web
