// Messages for the people at devices (message_dialog.hpp).
#include "message_dialog.hpp"

#include <imgui.h>

#include <algorithm>

#include "theme.hpp"

namespace mw::web {

void MessageDialog::open(std::set<std::string> nodeids) {
  ids_ = std::move(nodeids);
  open_ = !ids_.empty();
  popup_ = false;
  sent_ = false;
  results_.clear();
}

void MessageDialog::on_result(const std::string& nodeid, const std::string& result) {
  if (open_) results_[nodeid] = result;
}

void MessageDialog::draw(const Send& send, ItemRects& buttons, const std::map<std::string, proto::Device>& devices) {
  if (!open_) return;
  const char* title = "Message###notifydialog";
  if (!popup_) {
    ImGui::OpenPopup(title);
    popup_ = true;
  }
  bool keep = true;
  if (!ImGui::BeginPopupModal(title, &keep, ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings)) {
    if (!keep) open_ = false;
    return;
  }
  const float em = ImGui::GetFontSize();
  auto name_of = [&](const std::string& id) {
    const auto d = devices.find(id);
    return d == devices.end() ? id : d->second.name;
  };
  std::string list;
  for (const auto& id : ids_) list += (list.empty() ? "" : ", ") + name_of(id);
  ImGui::PushTextWrapPos(em * 36);
  ImGui::TextColored(kMuted, "To the person at: %s", list.c_str());
  ImGui::PopTextWrapPos();
  ImGui::Spacing();
  if (ImGui::RadioButton("Notification", !box_)) box_ = false;
  record_item(buttons, "notify-kind:toast");
  ImGui::SameLine();
  if (ImGui::RadioButton("Message box", box_)) box_ = true;
  record_item(buttons, "notify-kind:box");
  ImGui::TextUnformatted("Title");
  ImGui::SetNextItemWidth(em * 36);
  ImGui::InputText("##notifytitle", title_.data(), title_.size());
  record_item(buttons, "notify-title");
  ImGui::TextUnformatted("Message");
  ImGui::InputTextMultiline("##notifytext", text_.data(), text_.size(), ImVec2(em * 36, em * 5));
  record_item(buttons, "notify-text");
  if (box_) {
    ImGui::SetNextItemWidth(em * 8);
    if (ImGui::InputInt("Close after (seconds, 0: when closed)", &timeout_s_)) timeout_s_ = std::clamp(timeout_s_, 0, 3600);
    record_item(buttons, "notify-timeout");
  }
  ImGui::Spacing();
  const bool valid = text_[0] != '\0';
  ImGui::BeginDisabled(!valid);
  const bool go = ImGui::Button("Send", ImVec2(em * 7, 0));
  record_item(buttons, "notify-send");
  ImGui::EndDisabled();
  ImGui::SameLine();
  const bool close = ImGui::Button("Close", ImVec2(em * 7, 0));
  record_item(buttons, "notify-close");
  if (go && valid) {
    results_.clear();
    sent_ = true;
    const std::string t(title_.data()), m(text_.data());
    if (box_) {
      for (const auto& id : ids_) {
        send({{"action", "msg"}, {"type", "messagebox"}, {"nodeid", id}, {"title", t}, {"msg", m},
              {"timeout", timeout_s_ * 1000}, {"responseid", "notify:" + id}});
      }
    } else {
      send({{"action", "toast"}, {"nodeids", ids_}, {"title", t}, {"msg", m}});
    }
  }
  if (sent_) {
    ImGui::Separator();
    if (results_.empty()) ImGui::TextColored(kMuted, "Sending...");
    for (const auto& [id, result] : results_) {
      const bool ok = result == "ok" || result == "OK";
      const std::string what = ok                          ? "Sent."
                               : result == "Unable to route" ? "The agent is not connected."
                                                             : result;
      if (id.empty()) {
        ImGui::TextColored(ok ? kOk : kBad, "%s", ok ? "Sent to the connected agents you may notify." : what.c_str());
      } else {
        ImGui::TextColored(ok ? kOk : kBad, "%s: %s", name_of(id).c_str(), what.c_str());
      }
    }
  }
  if (close || !keep) {
    open_ = false;
    popup_ = false;
    ImGui::CloseCurrentPopup();
  }
  ImGui::EndPopup();
}

}  // namespace mw::web
