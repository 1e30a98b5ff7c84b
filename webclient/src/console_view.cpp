// An agent's console window (console_view.hpp).
#include "console_view.hpp"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "theme.hpp"

namespace mw::web {

ConsoleView::ConsoleView(std::string nodeid, std::string device_name, Send send)
    : nodeid_(std::move(nodeid)), name_(std::move(device_name)), send_(std::move(send)) {
  add_lines("Agent console of " + name_ + ". Type help for the commands.", false);
}

void ConsoleView::add_lines(std::string_view text, bool command) {
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    lines_.push_back({std::string(text.substr(start, end - start)), command});
    start = end + 1;
  }
  while (lines_.size() > kMaxLines) lines_.pop_front();
  scroll_ = true;
  ++revision_;
}

void ConsoleView::on_output(std::string_view text) {
  if (waiting_ > 0) --waiting_;
  add_lines(text.empty() ? "(no output)" : text, false);
}

std::string ConsoleView::text() const {
  std::string out;
  for (const auto& l : lines_) {
    if (!out.empty()) out += '\n';
    out += l.command ? "> " + l.text : l.text;
  }
  return out;
}

void ConsoleView::submit() {
  std::string command(input_.data());
  while (!command.empty() && (command.back() == ' ' || command.back() == '\t')) command.pop_back();
  input_[0] = '\0';
  history_pos_ = -1;
  refocus_ = true;
  if (command.empty()) return;
  if (history_.empty() || history_.back() != command) history_.push_back(command);
  if (history_.size() > kMaxHistory) history_.erase(history_.begin());
  add_lines(command, true);
  if (command == "clear") {
    lines_.clear();
    ++revision_;
    return;
  }
  ++waiting_;
  if (send_) send_(nodeid_, command);
}

// Up and Down walk the history of this window's commands.
int ConsoleView::on_input_event(ImGuiInputTextCallbackData* data) {
  auto* self = static_cast<ConsoleView*>(data->UserData);
  if (data->EventFlag != ImGuiInputTextFlags_CallbackHistory || self->history_.empty()) return 0;
  const int count = static_cast<int>(self->history_.size());
  int pos = self->history_pos_;
  if (data->EventKey == ImGuiKey_UpArrow) pos = pos < 0 ? count - 1 : std::max(0, pos - 1);
  if (data->EventKey == ImGuiKey_DownArrow) pos = pos < 0 || pos + 1 >= count ? -1 : pos + 1;
  if (pos == self->history_pos_) return 0;
  self->history_pos_ = pos;
  data->DeleteChars(0, data->BufTextLen);
  data->InsertChars(0, pos < 0 ? "" : self->history_[static_cast<std::size_t>(pos)].c_str());
  return 0;
}

bool ConsoleView::draw(ImFont* mono, ItemRects* buttons) {
  const ImVec2 page = ImGui::GetIO().DisplaySize;
  ImGui::SetNextWindowSize(ImVec2(std::floor(page.x * 0.6f), std::floor(page.y * 0.6f)), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowPos(ImVec2(page.x * 0.5f, page.y * 0.55f), ImGuiCond_FirstUseEver, ImVec2(0.5f, 0.5f));
  if (raise_) {
    ImGui::SetNextWindowFocus();
    raise_ = false;
    refocus_ = true;
  }
  const ImGuiWindowFlags pinned = apply_pin(pin_);
  const std::string title = "Console: " + name_ + "###console" + nodeid_;
  if (ImGui::Begin(title.c_str(), pin_ ? nullptr : &open_, ImGuiWindowFlags_NoSavedSettings | pinned)) {
    const float footer = ImGui::GetFrameHeightWithSpacing() + ImGui::GetStyle().ItemSpacing.y;
    ImGui::BeginChild("##transcript", ImVec2(0, -footer), true, ImGuiWindowFlags_HorizontalScrollbar);
    if (mono) ImGui::PushFont(mono);
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(lines_.size()));
    while (clipper.Step()) {
      for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
        const Line& l = lines_[static_cast<std::size_t>(i)];
        if (l.command) {
          ImGui::TextColored(kAccent, "> %s", l.text.c_str());
        } else {
          ImGui::TextUnformatted(l.text.c_str());
        }
      }
    }
    if (scroll_) {
      ImGui::SetScrollHereY(1.0f);
      scroll_ = false;
    }
    if (mono) ImGui::PopFont();
    ImGui::EndChild();
    const float button = ImGui::CalcTextSize("Clear").x + ImGui::GetStyle().FramePadding.x * 2;
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - button - ImGui::GetStyle().ItemSpacing.x);
    if (refocus_) {
      ImGui::SetKeyboardFocusHere();
      refocus_ = false;
    }
    if (ImGui::InputTextWithHint("##command", waiting_ > 0 ? "Waiting for the agent\xE2\x80\xA6" : "Command (help lists them)",
                                 input_.data(), input_.size(),
                                 ImGuiInputTextFlags_EnterReturnsTrue | ImGuiInputTextFlags_CallbackHistory, &on_input_event, this)) {
      submit();
    }
    if (buttons) record_item(*buttons, "console-input:" + name_);
    ImGui::SameLine();
    if (ImGui::Button("Clear")) {
      lines_.clear();
      ++revision_;
    }
  }
  ImGui::End();
  return open_;
}

}  // namespace mw::web
