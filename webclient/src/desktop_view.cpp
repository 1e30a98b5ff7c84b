// Remote desktop view (desktop_view.hpp).
#include "desktop_view.hpp"

#include <imgui.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <variant>

#include "mw/rfb/clipboard.hpp"
#include "mw/rfb/input_filter.hpp"
#include "text.hpp"
#include "theme.hpp"

namespace mw::web {
namespace {


// More rectangles than this in one frame: one upload of the whole screen is cheaper.
constexpr std::size_t kMaxDirtyRects = 256;

rfb::ClientConfig config_for(DesktopKind kind) {
  if (kind == DesktopKind::kIntelAmt) return rfb::ClientConfig::intel_amt();
  return rfb::ClientConfig{};  // Tight first, lossless until the user picks a JPEG quality
}

int jpeg_quality(DesktopView::Quality q) {
  switch (q) {
    case DesktopView::Quality::kHigh: return 8;
    case DesktopView::Quality::kMedium: return 6;
    case DesktopView::Quality::kLow: return 3;
    case DesktopView::Quality::kLossless: break;
  }
  return -1;
}


// The next toolbar item on this line when `width` still fits, else on a new line: a narrow window
// wraps its toolbar instead of clipping it.
void flow(float width) {
  ImGui::SameLine();
  if (ImGui::GetContentRegionAvail().x < width) ImGui::NewLine();
}
float button_width(const char* label) { return ImGui::CalcTextSize(label).x + ImGui::GetStyle().FramePadding.x * 2; }
float checkbox_width(const char* label) {
  return ImGui::GetFrameHeight() + ImGui::GetStyle().ItemInnerSpacing.x + ImGui::CalcTextSize(label).x;
}

}  // namespace

DesktopView::DesktopView(std::string nodeid, std::string device_name, DesktopKind kind, Sender sender,
                         const TexturePort* textures, int display)
    : nodeid_(std::move(nodeid)),
      name_(std::move(device_name)),
      kind_(kind),
      display_(kind == DesktopKind::kAgent ? std::max(display, 0) : 0),
      key_(display_ ? name_ + "#" + std::to_string(display_) : name_),
      sender_(std::move(sender)),
      textures_(textures),
      client_(config_for(kind)) {}

DesktopView::~DesktopView() {
  if (textures_ && textures_->destroy) {
    if (texture_) textures_->destroy(texture_);
    if (cursor_texture_) textures_->destroy(cursor_texture_);
  }
}

std::string DesktopView::relay_path() const {
  if (kind_ == DesktopKind::kIntelAmt) return "/amtrelay.ashx?p=kvm&nodeid=" + url_encode(nodeid_);
  return "/meshrelay.ashx?p=2&nodeid=" + url_encode(nodeid_) + (display_ ? "&display=" + std::to_string(display_) : "");
}

void DesktopView::on_message(bool binary, std::string_view data) {
  if (binary) {  // RFB: state changes bump revision_ in handle(); updates are content (updates())
    if (state_ == State::kClosed) return;
    handle(client_.feed({reinterpret_cast<const std::uint8_t*>(data.data()), data.size()}));
    return;
  }
  ++revision_;
  const auto j = nlohmann::json::parse(data, nullptr, false);
  if (!j.is_object()) return;
  const std::string state = json_text(j, "state");
  if (state == "ready" && state_ == State::kConnecting) {
    status_ = "Waiting for the remote screen…";
    // The server keeps this viewer's input back ("view only" right): the box says so, locked.
    if (const auto v = j.find("viewonly"); v != j.end() && v->is_boolean() && v->get<bool>()) {
      view_only_ = true;
      view_only_locked_ = true;
    }
    // "Limited input": the server (or the agent) passes the pointer and only letters, digits,
    // Enter and Backspace; the app sends no more than that and no clipboard.
    if (const auto v = j.find("limitedinput"); v != j.end() && v->is_boolean() && v->get<bool>()) limited_input_ = true;
  } else if (state == "closed") {
    const std::string reason = json_text(j, "reason");
    on_closed(reason.empty() ? "Closed." : reason);
  } else if (json_text(j, "ctrl") == "displays") {
    displays_.clear();
    const auto list = j.find("displays");
    if (list == j.end() || !list->is_array()) return;
    for (const auto& d : *list) {
      if (!d.is_object() || displays_.size() > 16) break;
      const auto number = [&](const char* key) {
        const auto v = d.find(key);
        return v != d.end() && v->is_number_integer() ? std::clamp(v->get<long long>(), 0LL, 100000LL) : 0LL;
      };
      displays_.push_back({static_cast<int>(number("id")), json_text(d, "name"), static_cast<int>(number("width")),
                           static_cast<int>(number("height"))});
    }
  } else if (json_text(j, "ctrl") == "error") {
    const std::string reason = json_text(j, "reason");
    status_ = reason.empty() ? "The remote computer could not open its desktop." : reason;
  }
}

void DesktopView::on_closed(std::string reason) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  status_ = reason.empty() ? "Closed." : std::move(reason);
  ++revision_;
}

void DesktopView::handle(rfb::ClientOutput out) {
  if (!out.send.empty() && sender_.binary && state_ != State::kClosed) {
    sender_.binary({reinterpret_cast<const char*>(out.send.data()), out.send.size()});
  }
  for (auto& e : out.events) {
    if (!std::holds_alternative<rfb::UpdateDone>(e)) ++revision_;  // a state change (updates are content)
    if (auto* c = std::get_if<rfb::Connected>(&e)) {
      state_ = State::kRunning;
      status_ = "Connected";
      remote_name_ = c->name;
      whole_dirty_ = true;
      if (quality_ != Quality::kLossless) set_quality(quality_);
    } else if (auto* a = std::get_if<rfb::AuthFailed>(&e)) {
      on_closed("The remote desktop refused the session" + (a->reason.empty() ? std::string(".") : ": " + a->reason));
    } else if (auto* u = std::get_if<rfb::UpdateDone>(&e)) {
      ++updates_;
      dirty_.insert(dirty_.end(), u->dirty.begin(), u->dirty.end());
      if (dirty_.size() > kMaxDirtyRects) {
        dirty_.clear();
        whole_dirty_ = true;
      }
    } else if (std::get_if<rfb::Resized>(&e)) {
      whole_dirty_ = true;
    } else if (auto* cur = std::get_if<rfb::CursorShape>(&e)) {
      if (cur->width > 0 && cur->height > 0 && cur->pixels.size() == static_cast<std::size_t>(cur->width) * cur->height) {
        rfb::Framebuffer shape(cur->width, cur->height);
        shape.put({0, 0, cur->width, cur->height}, cur->pixels.data());
        pending_cursor_ = std::move(shape);
        hot_x_ = cur->hotspot_x;
        hot_y_ = cur->hotspot_y;
      } else {
        pending_cursor_ = rfb::Framebuffer();  // an empty cursor: the remote side hides it
      }
    } else if (auto* cut = std::get_if<rfb::ServerCutText>(&e)) {
      if (!has_clipboard()) continue;  // Intel AMT's cut texts are its KVM commands
      remote_clipboard_ = cut->utf8 ? std::move(cut->text) : rfb::clipboard::from_latin1(cut->text);
      ++clipboard_changes_;
      if (auto_copy_ && sender_.copy) sender_.copy(remote_clipboard_);
    } else if (auto* f = std::get_if<rfb::Failed>(&e)) {
      on_closed("The remote desktop sent data this viewer cannot read: " + f->error.message);
    }
  }
}

void DesktopView::set_quality(Quality q) {
  quality_ = q;
  if (kind_ != DesktopKind::kAgent || !client_.running()) return;
  handle(client_.set_encodings(rfb::ClientConfig::default_encodings(jpeg_quality(q))));
  handle(client_.request_update(false));  // repaint everything in the new quality
}

void DesktopView::upload() {
  if (!textures_ || !textures_->create || !textures_->update) return;
  if (pending_cursor_) {
    if (cursor_texture_ && textures_->destroy) textures_->destroy(cursor_texture_);
    cursor_texture_ = 0;
    cursor_w_ = pending_cursor_->width();
    cursor_h_ = pending_cursor_->height();
    if (cursor_w_ > 0 && cursor_h_ > 0) {
      cursor_texture_ = textures_->create(cursor_w_, cursor_h_);
      if (cursor_texture_) textures_->update(cursor_texture_, *pending_cursor_, {0, 0, cursor_w_, cursor_h_});
    }
    pending_cursor_.reset();
  }
  const rfb::Framebuffer& fb = client_.framebuffer();
  if (fb.width() == 0 || fb.height() == 0) return;
  if (!texture_ || texture_w_ != fb.width() || texture_h_ != fb.height()) {
    if (texture_ && textures_->destroy) textures_->destroy(texture_);
    texture_ = textures_->create(fb.width(), fb.height());
    texture_w_ = fb.width();
    texture_h_ = fb.height();
    whole_dirty_ = true;
  }
  if (!texture_) return;
  if (whole_dirty_) {
    textures_->update(texture_, fb, {0, 0, fb.width(), fb.height()});
  } else {
    for (const rfb::Rect& r : dirty_) {
      // Clipped again here: a resize may have come after the rectangle.
      const int x0 = std::clamp(r.x, 0, fb.width()), y0 = std::clamp(r.y, 0, fb.height());
      const int x1 = std::clamp(r.x + r.w, 0, fb.width()), y1 = std::clamp(r.y + r.h, 0, fb.height());
      if (x1 > x0 && y1 > y0) textures_->update(texture_, fb, {x0, y0, x1 - x0, y1 - y0});
    }
  }
  dirty_.clear();
  whole_dirty_ = false;
}

void DesktopView::send_pointer(int x, int y, std::uint8_t buttons) {
  if (x == last_x_ && y == last_y_ && buttons == last_buttons_) return;
  last_x_ = x;
  last_y_ = y;
  last_buttons_ = buttons;
  handle(client_.pointer(x, y, buttons));
}

void DesktopView::send_keys(const std::vector<KeyEvent>& keys) {
  for (const KeyEvent& k : keys) {
    for (const auto& [sym, down] : keys_.key(k.key, k.code, k.down)) {
      if (limited_input_ && !rfb::limited_input_key(sym)) continue;
      handle(client_.key(sym, down));
    }
  }
}

void DesktopView::paste(std::string_view text) {
  if (!has_clipboard() || state_ != State::kRunning || view_only_ || limited_input_) return;
  handle(client_.clipboard(text));
}

void DesktopView::release_keys() {
  if (!keys_.any_held()) return;
  for (const auto& [sym, down] : keys_.release_all()) handle(client_.key(sym, down));
}

void DesktopView::draw_toolbar(ItemRects* buttons) {
  const ImVec4 colour = state_ == State::kRunning ? kOk : state_ == State::kClosed ? kBad : kWarn;
  ImGui::AlignTextToFramePadding();  // text on the same line as the buttons and boxes
  ImGui::TextColored(colour, "%s", status_.c_str());
  if (client_.framebuffer().width() > 0) {
    ImGui::SameLine();
    ImGui::TextDisabled("%s  %d \xC3\x97 %d", remote_name_.c_str(), client_.framebuffer().width(), client_.framebuffer().height());
  }
  ImGui::BeginDisabled(state_ != State::kRunning);
  flow(button_width("Ctrl-Alt-Del"));
  ImGui::BeginDisabled(limited_input_);
  if (ImGui::Button("Ctrl-Alt-Del") && !view_only_ && !limited_input_) handle(client_.ctrl_alt_del());
  ImGui::EndDisabled();
  if (limited_input_) {
    flow(ImGui::CalcTextSize("Limited input").x);
    ImGui::TextColored(kWarn, "Limited input");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Your rights allow the pointer and letters, digits, Enter and Backspace only.");
  }
  flow(checkbox_width("Scale to fit"));
  ImGui::Checkbox("Scale to fit", &fit_);
  flow(checkbox_width("View only"));
  ImGui::BeginDisabled(view_only_locked_);
  if (ImGui::Checkbox("View only", &view_only_) && view_only_) release_keys();
  ImGui::EndDisabled();
  const char* full = fullscreen_ ? "Exit full screen" : "Full screen";
  flow(button_width(full));
  if (ImGui::Button(full)) {
    if (!fullscreen_) {  // where the window was, for the way back
      saved_pos_ = ImGui::GetWindowPos();
      saved_size_ = ImGui::GetWindowSize();
    }
    fullscreen_request_ = true;
  }
  if (buttons) record_item(*buttons, "desktop-fullscreen:" + key_);
  // Several monitors: each opens in its own window.
  if (displays_.size() > 2) {
    flow(ImGui::GetFontSize() * 11);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 11);
    const auto label = [](const DisplayChoice& d) {
      return d.id == 0 ? d.name : d.name + " (" + std::to_string(d.width) + "\xC3\x97" + std::to_string(d.height) + ")";
    };
    std::string current = "Display";
    for (const auto& d : displays_) {
      if (d.id == display_) current = label(d);
    }
    if (ImGui::BeginCombo("##display", current.c_str())) {
      for (const auto& d : displays_) {
        if (ImGui::Selectable(label(d).c_str(), d.id == display_) && d.id != display_) display_request_ = d.id;
        if (buttons) record_item(*buttons, "desktop-display:" + name_ + ":" + d.name);
      }
      ImGui::EndCombo();
    }
    if (buttons) record_item(*buttons, "desktop-displays:" + key_);
  }
  if (has_clipboard()) {
    flow(button_width("Clipboard"));
    if (ImGui::Button("Clipboard")) ImGui::OpenPopup("##clipboard");
    if (buttons) record_item(*buttons, "desktop-clipboard:" + key_);
    // Under its button, opaque over the remote screen.
    ImGui::SetNextWindowPos(ImVec2(ImGui::GetItemRectMin().x, ImGui::GetItemRectMax().y + 4), ImGuiCond_Appearing);
    draw_clipboard(buttons);
  }
  if (kind_ == DesktopKind::kAgent) {
    static const char* const kNames[] = {"Lossless", "High quality", "Medium quality", "Low quality"};
    flow(ImGui::GetFontSize() * 9);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
    int q = static_cast<int>(quality_);
    if (ImGui::Combo("##quality", &q, kNames, IM_ARRAYSIZE(kNames))) set_quality(static_cast<Quality>(q));
  }
  ImGui::EndDisabled();
}

// The Clipboard panel: the remote clipboard's text (copy it here by hand when the browser refused
// the automatic copy) and text to send to it (for browsers or pages where pasting with Ctrl+V is
// not possible).
void DesktopView::draw_clipboard(ItemRects* buttons) {
  ImVec4 bg = ImGui::GetStyleColorVec4(ImGuiCol_PopupBg);
  bg.w = 1.0f;
  ImGui::PushStyleColor(ImGuiCol_PopupBg, bg);
  const bool open = ImGui::BeginPopup("##clipboard");
  ImGui::PopStyleColor();
  if (!open) return;
  const float width = ImGui::GetFontSize() * 28;
  ImGui::TextUnformatted("Remote clipboard");
  ImGui::BeginChild("##remote-clip", ImVec2(width, ImGui::GetTextLineHeightWithSpacing() * 5), true);
  if (remote_clipboard_.empty()) {
    ImGui::TextDisabled("Nothing copied on the remote computer yet.");
  } else {
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(remote_clipboard_.data(), remote_clipboard_.data() + std::min<std::size_t>(remote_clipboard_.size(), 16384));
    ImGui::PopTextWrapPos();
  }
  ImGui::EndChild();
  ImGui::BeginDisabled(remote_clipboard_.empty() || !sender_.copy);
  if (ImGui::Button("Copy to this computer")) sender_.copy(remote_clipboard_);
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::Checkbox("Copy automatically", &auto_copy_);
  ImGui::Separator();
  ImGui::TextUnformatted("Send text to the remote clipboard");
  ImGui::TextDisabled("Ctrl+V in the desktop does the same with this computer's clipboard.");
  ImGui::InputTextMultiline("##clip-edit", clip_edit_.data(), clip_edit_.size(), ImVec2(width, ImGui::GetTextLineHeightWithSpacing() * 4));
  ImGui::BeginDisabled(clip_edit_[0] == '\0' || view_only_ || limited_input_ || state_ != State::kRunning);
  if (ImGui::Button("Send")) {
    paste(clip_edit_.data());
    ImGui::CloseCurrentPopup();
  }
  if (buttons) record_item(*buttons, "desktop-clipboard-send:" + key_);
  ImGui::EndDisabled();
  ImGui::EndPopup();
}

void DesktopView::draw_screen() {
  upload();
  const rfb::Framebuffer& fb = client_.framebuffer();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoScrollWithMouse |
                                 (fit_ ? ImGuiWindowFlags_NoScrollbar : ImGuiWindowFlags_HorizontalScrollbar);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 0));
  ImGui::PushStyleColor(ImGuiCol_ChildBg, ImVec4(0.05f, 0.06f, 0.07f, 1.0f));
  ImGui::BeginChild("##remote", avail, false, flags);
  if (fb.width() == 0 || fb.height() == 0 || !texture_) {
    screen_rect_ = {};
    ImGui::EndChild();
    ImGui::PopStyleColor();
    ImGui::PopStyleVar();
    return;
  }
  const float w = static_cast<float>(fb.width()), h = static_cast<float>(fb.height());
  const float scale = fit_ ? std::max(0.01f, std::min(avail.x / w, avail.y / h)) : 1.0f;
  const ImVec2 size(std::floor(w * scale), std::floor(h * scale));
  if (fit_) ImGui::SetCursorPos(ImVec2(std::floor((avail.x - size.x) * 0.5f), std::floor((avail.y - size.y) * 0.5f)));
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("##screen", size,
                         ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight | ImGuiButtonFlags_MouseButtonMiddle);
  const bool hovered = ImGui::IsItemHovered(), active = ImGui::IsItemActive();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddImage(reinterpret_cast<ImTextureID>(texture_), origin, ImVec2(origin.x + size.x, origin.y + size.y));
  screen_rect_ = {origin.x, origin.y, size.x, size.y};
  if ((hovered || active) && state_ == State::kRunning && !view_only_) {
    const ImGuiIO& io = ImGui::GetIO();
    // By the drawn size (whole pixels), so a page point maps to the remote pixel drawn under it.
    const int x = static_cast<int>((io.MousePos.x - origin.x) * w / size.x);
    const int y = static_cast<int>((io.MousePos.y - origin.y) * h / size.y);
    // RFB buttons: 1 left, 2 middle, 4 right; 8 and 16 are one wheel step up and down.
    std::uint8_t buttons = 0;
    if (io.MouseDown[0]) buttons |= 1;
    if (io.MouseDown[2]) buttons |= 2;
    if (io.MouseDown[1]) buttons |= 4;
    send_pointer(x, y, buttons);
    if (hovered && io.MouseWheel != 0.0f) {
      const std::uint8_t wheel = io.MouseWheel > 0 ? 8 : 16;
      send_pointer(x, y, static_cast<std::uint8_t>(buttons | wheel));
      send_pointer(x, y, buttons);
    }
    if (cursor_texture_) {  // the remote cursor, where the local pointer is
      ImGui::SetMouseCursor(ImGuiMouseCursor_None);
      const ImVec2 at(io.MousePos.x - hot_x_ * scale, io.MousePos.y - hot_y_ * scale);
      dl->AddImage(reinterpret_cast<ImTextureID>(cursor_texture_), at, ImVec2(at.x + cursor_w_ * scale, at.y + cursor_h_ * scale));
    }
  }
  ImGui::EndChild();
  ImGui::PopStyleColor();
  ImGui::PopStyleVar();
}

bool DesktopView::draw(const std::vector<KeyEvent>& keys, ItemRects* buttons) {
  std::string shown = name_;
  for (const auto& d : displays_) {
    if (display_ != 0 && d.id == display_) shown += " \xC2\xB7 " + d.name;
  }
  const std::string title = (kind_ == DesktopKind::kAgent ? "Desktop: " : "Intel AMT KVM: ") + shown + "###desk" + nodeid_ +
                            (display_ ? "#" + std::to_string(display_) : "");
  // Most of the page, centred: a remote screen is what the person came for.
  const ImVec2 page = ImGui::GetIO().DisplaySize;
  // A monitor's window is a little smaller, down and right of the whole screen's, so both show.
  const float shrink = display_ ? 0.9f : 1.0f;
  ImGui::SetNextWindowSize(ImVec2(std::floor(page.x * 0.8f * shrink), std::floor(page.y * 0.84f * shrink)), ImGuiCond_FirstUseEver);
  const float offset = ImGui::GetFontSize() * 1.5f * static_cast<float>(std::min(display_, 4));
  ImGui::SetNextWindowPos(ImVec2(page.x * 0.5f + offset, page.y * 0.54f + offset), ImGuiCond_FirstUseEver, ImVec2(0.5f, 0.5f));
  if (restore_) {
    ImGui::SetNextWindowPos(saved_pos_);
    ImGui::SetNextWindowSize(saved_size_);
    restore_ = false;
  }
  if (raise_) {
    ImGui::SetNextWindowFocus();
    raise_ = false;
  }
  const ImGuiWindowFlags pinned = apply_pin(pin_);
  const bool visible = ImGui::Begin(title.c_str(), pin_ ? nullptr : &open_,
                                    ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoScrollbar |
                                        ImGuiWindowFlags_NoScrollWithMouse | pinned);
  if (visible) {
    draw_toolbar(buttons);
    draw_screen();
  }
  focused_ = visible && ImGui::IsWindowFocused(ImGuiFocusedFlags_ChildWindows);
  if (focused_ && state_ == State::kRunning && !view_only_) {
    send_keys(keys);
  } else {
    release_keys();  // the keyboard went elsewhere: nothing stays pressed on the remote side
  }
  ImGui::End();
  if (!open_) release_keys();
  return open_;
}

void DesktopView::set_fullscreen(bool on) {
  if (on == fullscreen_) return;
  fullscreen_ = on;
  restore_ = !on && saved_size_.x > 0;
  raise_ = true;
  ++revision_;
}

}  // namespace mw::web
