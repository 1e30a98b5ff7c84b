// Window placement and item rectangles shared by the app's views.
//
// A session window pinned to a rectangle of the page: the embedded single views (URL viewmode
// 11, 12, 13) fill the page with one remote desktop, terminal or file list that cannot be moved,
// resized or closed, optionally without a title bar (URL hide bit 8).
#pragma once

#include <imgui.h>

#include <array>
#include <map>
#include <optional>
#include <string>

namespace mw::web {

struct WindowPin {
  std::array<float, 4> rect{};  // x, y, w, h in framebuffer pixels
  bool no_title = false;
  bool on_top = false;  // full screen: over every other window (else it stays behind them)
};

// Call right before ImGui::Begin; returns the flags to add. With a pin, pass no close flag to Begin.
inline ImGuiWindowFlags apply_pin(const std::optional<WindowPin>& pin) {
  if (!pin) return 0;
  ImGui::SetNextWindowPos(ImVec2(pin->rect[0], pin->rect[1]), ImGuiCond_Always);
  ImGui::SetNextWindowSize(ImVec2(pin->rect[2], pin->rect[3]), ImGuiCond_Always);
  return ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
         (pin->on_top ? 0 : ImGuiWindowFlags_NoBringToFrontOnFocus) | (pin->no_title ? ImGuiWindowFlags_NoTitleBar : 0);
}

// The rectangle of the last ImGui item (x, y, w, h in framebuffer pixels) under `name`, for the
// page hook that lets tests click what a person would (App::buttons).
using ItemRects = std::map<std::string, std::array<float, 4>>;
inline void record_item(ItemRects& rects, const std::string& name) {
  const ImVec2 lo = ImGui::GetItemRectMin(), hi = ImGui::GetItemRectMax();
  rects[name] = {lo.x, lo.y, hi.x - lo.x, hi.y - lo.y};
}

}  // namespace mw::web
