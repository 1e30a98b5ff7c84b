// The IDE-R section of a device's Intel AMT tab (ider_panel.hpp).
#include "ider_panel.hpp"

#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <tuple>
#include <utility>

#include "device_page.hpp"
#include "text.hpp"
#include "theme.hpp"

namespace mw::web {
namespace {

const char* drive_key(IderDrive d) { return d == IderDrive::kCdrom ? "cdrom" : "floppy"; }

std::uint64_t block_size(IderDrive d) { return d == IderDrive::kCdrom ? 2048 : 512; }

// The Start combo: when Intel AMT shows the drives, and what that means for the computer.
struct StartChoice {
  IderStart start;
  const char* name;
  const char* hint;
};
constexpr StartChoice kStarts[] = {
    {IderStart::kNextBoot, "On next boot", "The computer sees the drives when it next starts (a reset or power on)."},
    {IderStart::kGraceful, "Graceful", "The computer sees the drives once its IDE bus is idle."},
    {IderStart::kNow, "Now", "The computer sees the drives at once, even if it is using its IDE bus."},
};
const StartChoice& start_choice(IderStart s) { return kStarts[static_cast<int>(s)]; }

const char* power_label(int type) {
  for (const auto& a : kPowerActions) {
    if (a.type == type) return a.label;
  }
  return "";
}

// A label at the start of a form row, the field after it at a fixed indent.
void form_label(const char* label) {
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted(label);
  ImGui::SameLine(ImGui::GetFontSize() * 6);
}

// "/isos/x.iso  (650.0 MiB)" as the image combos show it.
std::string image_label(const IderImages::Image& i) { return i.path + "  (" + human_bytes(i.size) + ")"; }

// A combo of the images of one drive, plus None (-1); `choice` indexes `images`.
void image_combo(const char* id, const char* test, const std::vector<IderImages::Image>& images, IderDrive drive, int& choice,
                 ItemRects& buttons) {
  const std::string preview = choice < 0 ? "None" : image_label(images[static_cast<std::size_t>(choice)]);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 26);
  const bool open = ImGui::BeginCombo(id, preview.c_str());
  record_item(buttons, test);
  if (!open) return;
  if (ImGui::Selectable("None", choice < 0)) choice = -1;
  record_item(buttons, std::string(test) + "-item:None");
  for (std::size_t k = 0; k < images.size(); ++k) {
    if (images[k].drive != drive) continue;
    ImGui::PushID(static_cast<int>(k));
    if (ImGui::Selectable(image_label(images[k]).c_str(), choice == static_cast<int>(k))) choice = static_cast<int>(k);
    record_item(buttons, std::string(test) + "-item:" + images[k].path);
    ImGui::PopID();
  }
  ImGui::EndCombo();
}

}  // namespace

IderPanel::IderPanel(std::string nodeid, std::function<void(std::string_view)> send_text)
    : nodeid_(std::move(nodeid)), send_text_(std::move(send_text)) {}

std::string IderPanel::relay_path() const { return "/amtrelay.ashx?p=ider&nodeid=" + url_encode(nodeid_); }

const char* IderPanel::state_name(State s) {
  switch (s) {
    case State::kLoading: return "loading";
    case State::kChoosing: return "choosing";
    case State::kConnecting: return "connecting";
    case State::kAuthenticated: return "authenticated";
    case State::kOpened: return "opened";
    case State::kShown: return "shown";
    case State::kClosed: return "closed";
  }
  return "";
}

void IderPanel::on_message(bool binary, std::string_view data) {
  if (binary || closed()) return;  // the IDE-R relay carries no bytes to the browser
  auto msg = parse_ider_message(data);
  if (!msg) return;
  if (auto* list = std::get_if<IderImages>(&*msg)) {
    if (state_ != State::kLoading) return;  // listed once, before the choice
    images_ = std::move(list->images);
    state_ = State::kChoosing;
    choose_defaults();
  } else if (std::get_if<IderRelayReady>(&*msg)) {
    if (state_ == State::kConnecting) state_ = State::kAuthenticated;
  } else if (auto* c = std::get_if<IderRelayClosed>(&*msg)) {
    on_closed(std::move(c->reason));
    return;
  } else if (auto* p = std::get_if<IderProgress>(&*msg)) {
    const State before = state_;
    if (p->stage == IderProgress::Stage::kOpened) {
      if (state_ != State::kShown) state_ = State::kOpened;
    } else {
      state_ = State::kShown;
    }
    if (p->stage == IderProgress::Stage::kReset) reset_ = true;
    progress_ = std::move(*p);
    ++updates_;
    if (state_ == before) return;  // progress alone: no layout change
  }
  ++revision_;
}

void IderPanel::on_closed(std::string reason) {
  if (closed()) return;
  state_ = State::kClosed;
  reason_ = reason.empty() ? "The connection to the server closed." : std::move(reason);
  ++revision_;
}

void IderPanel::on_stopped() {
  if (closed()) return;
  stopped_ = true;
  on_closed("Stopped.");
}

// The first CD image is the usual choice; a floppy only when there is no CD image.
void IderPanel::choose_defaults() {
  const auto first = [&](IderDrive d) {
    const auto it = std::find_if(images_.begin(), images_.end(), [d](const IderImages::Image& i) { return i.drive == d; });
    return it == images_.end() ? -1 : static_cast<int>(it - images_.begin());
  };
  cdrom_ = first(IderDrive::kCdrom);
  floppy_ = cdrom_ < 0 ? first(IderDrive::kFloppy) : -1;
}

std::string IderPanel::status() const {
  switch (state_) {
    case State::kLoading: return "Loading images…";
    case State::kChoosing: return images_.empty() ? "No disk images in your files on the server." : "Choose the images to serve.";
    case State::kConnecting: return "Connecting to Intel AMT…";
    case State::kAuthenticated: return "Authenticated; opening the IDE-R session…";
    case State::kOpened: return "IDE-R session open; Intel AMT is enabling the drives…";
    case State::kShown: break;
    case State::kClosed: return reason_;
  }
  const auto& p = *progress_;
  const bool waiting = p.start == IderStart::kNextBoot && !reset_ && (!p.cdrom || p.cdrom->read == 0) && (!p.floppy || p.floppy->read == 0);
  std::string s = waiting ? "Drives ready: shown to the computer when it next boots" : "Drives shown to the computer";
  if (!p.firmware.empty()) s += "  \xC2\xB7  Intel AMT firmware " + p.firmware;
  return s;
}

void IderPanel::draw(const Actions& actions, ItemRects& buttons) {
  ImGui::PushID(this);
  if (state_ == State::kLoading) {
    ImGui::AlignTextToFramePadding();
    ImGui::TextColored(kMuted, "Loading images…");
    if (actions.stop) {
      ImGui::SameLine();
      if (ImGui::SmallButton("Cancel")) actions.stop();
      record_item(buttons, "ider-cancel");
    }
  } else if (state_ == State::kChoosing) {
    draw_form(actions, buttons);
  } else {
    draw_session(actions, buttons);
  }
  ImGui::PopID();
}

void IderPanel::draw_form(const Actions& actions, ItemRects& buttons) {
  const float em = ImGui::GetFontSize();
  if (images_.empty()) {
    ImGui::TextColored(kWarn, "%s", status().c_str());
    ImGui::TextWrapped("Upload .iso and .img files to My Files to serve them over IDE-R.");
    if (actions.open_files) {
      if (ImGui::Button("Open My Files")) actions.open_files();
      record_item(buttons, "ider-open-files");
      ImGui::SameLine();
    }
    if (actions.start) {
      if (ImGui::Button("Check again")) actions.start();  // a new relay lists the files anew
      record_item(buttons, "ider-refresh");
      ImGui::SameLine();
    }
    if (ImGui::Button("Cancel") && actions.stop) actions.stop();
    record_item(buttons, "ider-cancel");
    return;
  }
  form_label("CD-ROM");
  image_combo("##idercdrom", "ider-cdrom", images_, IderDrive::kCdrom, cdrom_, buttons);
  form_label("Floppy");
  image_combo("##iderfloppy", "ider-floppy", images_, IderDrive::kFloppy, floppy_, buttons);
  form_label("Start");
  ImGui::SetNextItemWidth(em * 12);
  const bool open = ImGui::BeginCombo("##iderstart", start_choice(start_).name);
  record_item(buttons, "ider-when");
  if (open) {
    for (const auto& c : kStarts) {
      if (ImGui::Selectable(c.name, c.start == start_)) start_ = c.start;
      record_item(buttons, std::string("ider-when-item:") + c.name);
    }
    ImGui::EndCombo();
  }
  // Under the field, wrapped: the window may be narrow.
  ImGui::SetCursorPosX(em * 6);
  ImGui::PushStyleColor(ImGuiCol_Text, kMuted);
  ImGui::TextWrapped("%s", start_choice(start_).hint);
  ImGui::PopStyleColor();
  ImGui::Spacing();
  const bool chosen = cdrom_ >= 0 || floppy_ >= 0;
  ImGui::BeginDisabled(!chosen);
  if (ImGui::Button("Start", ImVec2(em * 6, 0))) {
    const auto path = [&](int k) { return k < 0 ? std::string() : images_[static_cast<std::size_t>(k)].path; };
    if (send_text_) send_text_(ider_start_request(path(cdrom_), path(floppy_), start_));
    state_ = State::kConnecting;
    ++revision_;
  }
  record_item(buttons, "ider-go");
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (ImGui::Button("Cancel", ImVec2(em * 6, 0)) && actions.stop) actions.stop();
  record_item(buttons, "ider-cancel");
  if (!chosen) {
    ImGui::SameLine();
    ImGui::TextColored(kMuted, "Choose a CD-ROM or a floppy image.");
  }
}

void IderPanel::draw_session(const Actions& actions, ItemRects& buttons) {
  const float em = ImGui::GetFontSize();
  const ImVec4 colour = state_ == State::kShown ? kOk : !closed() ? kWarn : stopped_ ? kMuted : kBad;
  ImGui::AlignTextToFramePadding();
  ImGui::TextColored(colour, "\xE2\x97\x8F");
  ImGui::SameLine();
  const bool failed = closed() && !stopped_;
  if (failed) ImGui::PushStyleColor(ImGuiCol_Text, kBad);
  ImGui::PushTextWrapPos(ImGui::GetContentRegionMax().x - (closed() ? 0.0f : em * 8));
  ImGui::TextWrapped("%s", status().c_str());
  ImGui::PopTextWrapPos();
  if (failed) ImGui::PopStyleColor();
  record_item(buttons, "ider-status");
  if (!closed() && actions.stop) {
    ImGui::SameLine(std::max(ImGui::GetCursorPosX(), ImGui::GetContentRegionMax().x - em * 7));
    if (ImGui::Button("Stop IDE-R", ImVec2(em * 7, 0))) actions.stop();
    record_item(buttons, "ider-stop");
  }
  if (!progress_) return;
  const IderProgress& p = *progress_;
  if (ImGui::BeginTable("##iderdrives", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
    ImGui::TableSetupColumn("Drive", ImGuiTableColumnFlags_WidthFixed, em * 4.5f);
    ImGui::TableSetupColumn("Image", ImGuiTableColumnFlags_WidthStretch, 1.6f);
    ImGui::TableSetupColumn("Size", ImGuiTableColumnFlags_WidthFixed, em * 5.5f);
    ImGui::TableSetupColumn("Read by the computer", ImGuiTableColumnFlags_WidthStretch, 2.0f);
    ImGui::TableHeadersRow();
    for (const auto& [drive, d] : {std::pair{IderDrive::kCdrom, &p.cdrom}, std::pair{IderDrive::kFloppy, &p.floppy}}) {
      if (!*d) continue;
      const IderProgress::Drive& v = **d;
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      ImGui::TextUnformatted(drive == IderDrive::kCdrom ? "CD-ROM" : "Floppy");
      ImGui::TableSetColumnIndex(1);
      ImGui::TextWrapped("%s", v.path.c_str());
      ImGui::TableSetColumnIndex(2);
      ImGui::TextUnformatted(human_bytes(v.blocks * block_size(drive)).c_str());
      ImGui::TableSetColumnIndex(3);
      // Re-reads count again: past the whole medium it is shown as all read.
      const std::uint64_t read = std::min(v.read, v.blocks);
      const float fraction = v.blocks ? static_cast<float>(static_cast<double>(read) / static_cast<double>(v.blocks)) : 0.0f;
      char label[96];
      std::snprintf(label, sizeof label, "%llu of %llu blocks (%.0f%%)", static_cast<unsigned long long>(read),
                    static_cast<unsigned long long>(v.blocks), fraction * 100.0f);
      ImGui::ProgressBar(fraction, ImVec2(-1, 0), label);
      record_item(buttons, std::string("ider-progress:") + drive_key(drive));
    }
    ImGui::EndTable();
  }
  ImGui::TextColored(kMuted, "To Intel AMT %s  \xC2\xB7  from Intel AMT %s", human_bytes(p.to_amt).c_str(), human_bytes(p.from_amt).c_str());
  if (state_ != State::kShown || !actions.power) return;
  // Booting from the drives is a power action with an IDE-R boot device (confirmed first).
  ImGui::AlignTextToFramePadding();
  ImGui::TextColored(kMuted, "Boot the computer from it:");
  for (const auto& [served, reset, power_on] : {std::tuple{p.cdrom.has_value(), 320, 319}, std::tuple{p.floppy.has_value(), 318, 317}}) {
    if (!served) continue;
    for (const int type : {reset, power_on}) {
      ImGui::SameLine();
      if (ImGui::SmallButton(power_label(type))) actions.power(type);
      record_item(buttons, std::string("ider-boot:") + power_label(type));
    }
  }
}

void draw_ider_section(IderPanel* panel, const IderPanel::Actions& actions, const std::string& refused, const std::string& device,
                       ItemRects& buttons) {
  section_title("Disk redirection (IDE-R)");
  if (panel) panel->draw(actions, buttons);
  if (panel && !panel->closed()) return;
  if (!panel) {
    ImGui::TextWrapped("Serves a CD-ROM or floppy image from your files on this server to the computer, as drives it can boot "
                       "from: an operating system installer, a rescue disk, a firmware update.");
  }
  ImGui::BeginDisabled(!refused.empty() || !actions.start);
  if (ImGui::Button("Start IDE-R...") && actions.start) actions.start();
  ImGui::EndDisabled();
  record_item(buttons, "ider-start:" + device);
  if (!refused.empty() && ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) ImGui::SetTooltip("%s", refused.c_str());
}

}  // namespace mw::web
