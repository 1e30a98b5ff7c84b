// Device icons (device_icons.hpp): each kind is a few strokes and fills in a unit square.
#include "device_icons.hpp"

#include <imgui.h>
#include <imgui_internal.h>  // ItemSize/ItemAdd: an item on the text baseline

#include <algorithm>
#include <cmath>

#include "theme.hpp"

namespace mw::web {
namespace {

constexpr float kPi = 3.14159265f;

// Draws in the unit square at (x0, y0) of side s. Strokes are `t` pixels wide with their centre
// lines placed so that both edges fall on pixel boundaries (odd widths on half pixels, even on
// whole ones): lines stay sharp at every scale instead of being smeared over two pixels.
struct Pen {
  ImDrawList* dl;
  float x0, y0, s, t;
  ImU32 line, fill;

  float centre(float origin, float u) const { return std::round(origin + u * s) + (static_cast<int>(t) % 2 ? 0.5f : 0.0f); }
  // ImGui adds half a pixel to line ends and to a rectangle outline's corners (inset by half at
  // the far corner): these undo that so the centre lines land where centre() put them.
  ImVec2 line_end(float u, float v) const { return {centre(x0, u) - 0.5f, centre(y0, v) - 0.5f}; }
  ImVec2 exact(float u, float v) const { return {x0 + u * s, y0 + v * s}; }
  float radius(float r) const { return std::max(1.0f, r * s); }

  void rect(float u0, float v0, float u1, float v1, float rounding, bool filled = true) const {
    const float l = centre(x0, u0), tp = centre(y0, v0), r = centre(x0, u1), b = centre(y0, v1);
    const float round_px = rounding * s;
    if (filled) dl->AddRectFilled(ImVec2(l, tp), ImVec2(r, b), fill, round_px);
    dl->AddRect(ImVec2(l - 0.5f, tp - 0.5f), ImVec2(r + 0.5f, b + 0.5f), line, round_px, 0, t);
  }
  void solid(float u0, float v0, float u1, float v1, float rounding) const {
    dl->AddRectFilled(ImVec2(std::round(x0 + u0 * s), std::round(y0 + v0 * s)),
                      ImVec2(std::round(x0 + u1 * s), std::round(y0 + v1 * s)), line, rounding * s);
  }
  void seg(float u0, float v0, float u1, float v1) const { dl->AddLine(line_end(u0, v0), line_end(u1, v1), line, t); }
  void dot(float u, float v, float r) const { dl->AddCircleFilled(exact(u, v), radius(r), line, 12); }
};

// An ellipse's points from angle a0 to a1 (radians), for the storage cylinder (ImGui 1.86 has no
// ellipse primitive).
void ellipse_arc(ImVector<ImVec2>& out, ImVec2 c, float rx, float ry, float a0, float a1, int steps) {
  for (int i = 0; i <= steps; ++i) {
    const float a = a0 + (a1 - a0) * static_cast<float>(i) / static_cast<float>(steps);
    out.push_back(ImVec2(c.x + rx * std::cos(a), c.y + ry * std::sin(a)));
  }
}

void desktop(const Pen& p) {
  p.rect(0.04f, 0.10f, 0.96f, 0.70f, 0.08f);  // screen
  p.seg(0.50f, 0.70f, 0.50f, 0.88f);          // stand
  p.seg(0.26f, 0.88f, 0.74f, 0.88f);          // foot
}

void laptop(const Pen& p) {
  p.rect(0.14f, 0.14f, 0.86f, 0.64f, 0.06f);  // lid
  p.solid(0.0f, 0.72f, 1.0f, 0.86f, 0.06f);   // keyboard deck
}

void phone(const Pen& p) {
  p.rect(0.28f, 0.02f, 0.72f, 0.98f, 0.12f);
  p.seg(0.42f, 0.14f, 0.58f, 0.14f);  // earpiece
  p.dot(0.50f, 0.82f, 0.06f);         // home button
}

void server(const Pen& p) {
  p.rect(0.20f, 0.02f, 0.80f, 0.98f, 0.04f);  // tower
  p.seg(0.32f, 0.22f, 0.68f, 0.22f);          // drive bays
  p.seg(0.32f, 0.38f, 0.68f, 0.38f);
  p.dot(0.50f, 0.76f, 0.07f);                 // power light
}

void storage(const Pen& p) {
  // A disk cylinder: top ellipse, sides, a band, the bottom rim. The sides sit on centre()'s
  // grid (sharp); the ellipses meet them there.
  const float left = p.centre(p.x0, 0.10f), right = p.centre(p.x0, 0.90f);
  const float cx = (left + right) * 0.5f, rx = (right - left) * 0.5f, ry = std::max(1.5f, 0.13f * p.s);
  const ImVec2 top(cx, p.centre(p.y0, 0.20f)), mid(cx, p.centre(p.y0, 0.50f)), bottom(cx, p.centre(p.y0, 0.80f));
  ImVector<ImVec2> pts;
  ellipse_arc(pts, top, rx, ry, kPi, 2 * kPi, 12);
  ellipse_arc(pts, bottom, rx, ry, 0, kPi, 12);
  p.dl->AddConvexPolyFilled(pts.Data, pts.Size, p.fill);
  pts.clear();
  ellipse_arc(pts, top, rx, ry, 0, 2 * kPi, 24);
  pts.pop_back();  // the start again: a closed outline joins them itself
  p.dl->AddPolyline(pts.Data, pts.Size, p.line, ImDrawFlags_Closed, p.t);
  for (const ImVec2& c : {mid, bottom}) {
    pts.clear();
    ellipse_arc(pts, c, rx, ry, 0, kPi, 12);
    p.dl->AddPolyline(pts.Data, pts.Size, p.line, 0, p.t);
  }
  p.seg(0.10f, 0.20f, 0.10f, 0.80f);
  p.seg(0.90f, 0.20f, 0.90f, 0.80f);
}

void network(const Pen& p) {
  p.seg(0.24f, 0.54f, 0.14f, 0.10f);  // antennas
  p.seg(0.76f, 0.54f, 0.86f, 0.10f);
  p.rect(0.02f, 0.54f, 0.98f, 0.90f, 0.08f);  // the box
  for (const float u : {0.22f, 0.40f, 0.58f}) p.dot(u, 0.72f, 0.055f);  // port lights
}

void embedded(const Pen& p) {
  p.rect(0.24f, 0.24f, 0.76f, 0.76f, 0.04f);  // the chip
  // Its pins: three a side where there is room, two at text height on ordinary screens (three
  // there would be one pixel apart and read as a gear).
  const float three[] = {0.38f, 0.50f, 0.62f}, two[] = {0.38f, 0.62f};
  const bool roomy = p.s >= 24;
  for (int i = 0; i < (roomy ? 3 : 2); ++i) {
    const float k = roomy ? three[i] : two[i];
    p.seg(0.04f, k, 0.24f, k);
    p.seg(0.76f, k, 0.96f, k);
    p.seg(k, 0.04f, k, 0.24f);
    p.seg(k, 0.76f, k, 0.96f);
  }
  p.dot(0.37f, 0.37f, 0.05f);  // pin 1 mark
}

void virtual_machine(const Pen& p) {
  // A cube, as virtualisation software shows a machine.
  const ImVec2 c = p.exact(0.5f, 0.5f);
  const ImVec2 hex[6] = {p.exact(0.5f, 0.04f), p.exact(0.92f, 0.27f), p.exact(0.92f, 0.73f),
                         p.exact(0.5f, 0.96f), p.exact(0.08f, 0.73f), p.exact(0.08f, 0.27f)};
  p.dl->AddConvexPolyFilled(hex, 6, p.fill);
  const ImVec2 top[4] = {hex[0], hex[1], c, hex[5]};
  p.dl->AddConvexPolyFilled(top, 4, p.fill);  // the lit top face
  p.dl->AddPolyline(hex, 6, p.line, ImDrawFlags_Closed, p.t);
  p.dl->AddLine(c, hex[1], p.line, p.t);
  p.dl->AddLine(c, hex[5], p.line, p.t);
  p.dl->AddLine(c, hex[3], p.line, p.t);
}

// Through GetColorU32: the style's alpha applies (an icon inside BeginDisabled is dimmed too).
ImU32 colour(const ImVec4& c, float alpha) { return ImGui::GetColorU32(ImVec4(c.x, c.y, c.z, c.w * alpha)); }

}  // namespace

void draw_device_icon(ImDrawList* dl, const ImVec2& pos, float size, int icon, const ImVec4& ink, float fill_alpha) {
  if (!dl || size < 4) return;
  // About 1/15 of the size: 1 pixel at text height on ordinary screens, 2 on HiDPI ones.
  const float t = std::max(1.0f, std::round(size / 15.0f));
  const Pen p{dl, std::round(pos.x), std::round(pos.y), std::round(size), t, colour(ink, 1.0f), colour(ink, fill_alpha)};
  switch (device_icon_kind(icon)) {
    case 2: laptop(p); break;
    case 3: phone(p); break;
    case 4: server(p); break;
    case 5: storage(p); break;
    case 6: network(p); break;
    case 7: embedded(p); break;
    case 8: virtual_machine(p); break;
    default: desktop(p); break;
  }
}

void draw_device_icon(ImDrawList* dl, const ImVec2& pos, float size, int icon, bool online) {
  if (!dl || size < 4) return;
  // The theme's blue, a little lighter so that thin strokes read on the dark background.
  const ImVec4 blue{0.45f, 0.70f, 0.97f, 1.0f};
  const ImVec4 grey{kMuted.x, kMuted.y, kMuted.z, 0.75f};
  draw_device_icon(dl, pos, size, icon, online ? blue : grey, online ? 0.30f : 0.19f);
  if (online) {
    // The badge, cut out of the icon by a ring of the window's background.
    const float s = std::round(size);
    const ImVec2 c(std::round(pos.x) + 0.82f * s, std::round(pos.y) + 0.82f * s);
    const float r = std::max(2.5f, 0.19f * s);
    dl->AddCircleFilled(c, r + std::max(1.0f, 0.08f * s), ImGui::GetColorU32(ImGuiCol_WindowBg), 16);
    dl->AddCircleFilled(c, r, colour(kOk, 1.0f), 16);
  }
}

void device_icon_item(int icon, bool online) {
  // Placed as Text places its glyphs: lowered by the line's text baseline offset (a table row
  // whose first cell holds a framed widget, such as My Devices' check box, lowers its text), so
  // the icon sits on the same line as the name beside it.
  ImGuiWindow* window = ImGui::GetCurrentWindow();
  if (window->SkipItems) return;
  const float size = ImGui::GetTextLineHeight();
  const ImVec2 pos(window->DC.CursorPos.x, window->DC.CursorPos.y + window->DC.CurrLineTextBaseOffset);
  const ImRect bb(pos, ImVec2(pos.x + size, pos.y + size));
  ImGui::ItemSize(bb.GetSize(), 0.0f);
  if (!ImGui::ItemAdd(bb, 0)) return;
  draw_device_icon(window->DrawList, pos, size, icon, online);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s, %s", device_icon_name(icon), online ? "online" : "offline");
}

}  // namespace mw::web
