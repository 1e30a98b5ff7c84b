// The app's text colours, shared by every view (apply_theme in app.cpp sets the rest of the style).
#pragma once

#include <imgui.h>

namespace mw::web {

inline const ImVec4 kAccent{0.20f, 0.55f, 0.90f, 1.0f};  // headings, names that matter
inline const ImVec4 kOk{0.30f, 0.78f, 0.45f, 1.0f};      // online, done
inline const ImVec4 kWarn{0.95f, 0.70f, 0.25f, 1.0f};    // waiting, careful
inline const ImVec4 kBad{0.92f, 0.35f, 0.35f, 1.0f};     // refused, failed, closed
inline const ImVec4 kMuted{0.62f, 0.66f, 0.72f, 1.0f};   // secondary text

}  // namespace mw::web
