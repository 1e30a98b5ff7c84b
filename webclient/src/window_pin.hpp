// A session window pinned to a rectangle of the page: the embedded single views (URL viewmode
// 11, 12, 13) fill the page with one remote desktop, terminal or file list that cannot be moved,
// resized or closed, optionally without a title bar (URL hide bit 8).
#pragma once

#include <imgui.h>

#include <array>
#include <optional>

namespace mw::web {

struct WindowPin {
  std::array<float, 4> rect{};  // x, y, w, h in framebuffer pixels
  bool no_title = false;
};

// Call right before ImGui::Begin; returns the flags to add. With a pin, pass no close flag to Begin.
inline ImGuiWindowFlags apply_pin(const std::optional<WindowPin>& pin) {
  if (!pin) return 0;
  ImGui::SetNextWindowPos(ImVec2(pin->rect[0], pin->rect[1]), ImGuiCond_Always);
  ImGui::SetNextWindowSize(ImVec2(pin->rect[2], pin->rect[3]), ImGuiCond_Always);
  return ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
         ImGuiWindowFlags_NoBringToFrontOnFocus | (pin->no_title ? ImGuiWindowFlags_NoTitleBar : 0);
}

}  // namespace mw::web
