// Device icons: MeshCentral's eight device kinds (a node's "icon" 1..8) drawn as vector shapes
// with ImDrawList at any size (text height in lists, larger in the icon picker), in the theme's
// blue when the device is connected and grey when not, with a green badge while online.
#pragma once

#include <string>

struct ImDrawList;
struct ImVec2;
struct ImVec4;

namespace mw::web {

inline constexpr int kDeviceIconCount = 8;

// The icon drawn for a record's value: 1..8 as they are; 0 (unset) and anything else the desktop.
constexpr int device_icon_kind(int icon) { return icon >= 1 && icon <= kDeviceIconCount ? icon : 1; }

// MeshCentral's meaning of each icon (its icons sprite), for tooltips and the picker.
constexpr const char* device_icon_name(int icon) {
  switch (device_icon_kind(icon)) {
    case 2: return "Laptop";
    case 3: return "Phone";
    case 4: return "Server";
    case 5: return "Storage";
    case 6: return "Network device";
    case 7: return "Embedded board";
    case 8: return "Virtual machine";
    default: return "Desktop computer";
  }
}

// Draws icon `icon` in the square at `pos` (top left, framebuffer pixels) of side `size`.
// `online`: coloured, with a green badge at the bottom right; otherwise grey.
void draw_device_icon(ImDrawList* dl, const ImVec2& pos, float size, int icon, bool online);
// The same shape in `ink` (its fills at `fill_alpha` of it), without the badge: the icon picker.
void draw_device_icon(ImDrawList* dl, const ImVec2& pos, float size, int icon, const ImVec4& ink, float fill_alpha);

// The icon as an ImGui item at the cursor (text height, on the text's line), with a tooltip
// naming the kind and whether the device is online.
void device_icon_item(int icon, bool online);

}  // namespace mw::web
