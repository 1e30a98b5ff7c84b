// App state transitions and views. Views read state only; all changes come through on_* calls.
#include "app.hpp"

#include <imgui.h>

#include <algorithm>
#include <variant>

namespace mw::web {
namespace {

const ImVec4 kAccent{0.20f, 0.55f, 0.90f, 1.0f};
const ImVec4 kOk{0.30f, 0.78f, 0.45f, 1.0f};
const ImVec4 kWarn{0.95f, 0.70f, 0.25f, 1.0f};
const ImVec4 kBad{0.92f, 0.35f, 0.35f, 1.0f};
const ImVec4 kMuted{0.62f, 0.66f, 0.72f, 1.0f};

const char* connection_label(Connection c) {
  switch (c) {
    case Connection::kConnecting: return "Connecting";
    case Connection::kOpen: return "Connected";
    case Connection::kClosed: return "Disconnected";
    case Connection::kError: return "Connection error";
  }
  return "";
}

ImVec4 connection_colour(Connection c) {
  switch (c) {
    case Connection::kOpen: return kOk;
    case Connection::kConnecting: return kWarn;
    default: return kBad;
  }
}

void row(const char* label, const std::string& value) {
  ImGui::TableNextRow();
  ImGui::TableSetColumnIndex(0);
  ImGui::TextColored(kMuted, "%s", label);
  ImGui::TableSetColumnIndex(1);
  ImGui::TextUnformatted(value.c_str());
}

}  // namespace

bool App::on_control_message(std::string_view text) {
  auto msg = proto::parse_control_message(text);
  if (!msg) {
    ++bad_messages_;
    return false;
  }
  if (auto* info = std::get_if<proto::ServerInfo>(&msg.value())) {
    info_ = *info;
    ++revision_;
  }
  return true;
}

void App::on_connection(Connection state, std::string detail) {
  connection_ = state;
  detail_ = std::move(detail);
  ++revision_;
}

void App::draw(float width, float height) {
  draw_header(width);
  draw_server_card(width, height);
}

void App::draw_header(float width) {
  const float h = ImGui::GetFrameHeight() * 1.8f;
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(ImVec2(width, h));
  ImGui::PushStyleColor(ImGuiCol_WindowBg, ImVec4(0.09f, 0.11f, 0.14f, 1.0f));
  ImGui::Begin("##header", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus);
  ImGui::SetCursorPosY((h - ImGui::GetTextLineHeight()) * 0.5f);
  ImGui::TextColored(kAccent, "Meshwork");
  if (info_) {
    ImGui::SameLine();
    ImGui::TextColored(kMuted, "  %s", info_->name.c_str());
  }
  const char* label = connection_label(connection_);
  const float label_w = ImGui::CalcTextSize(label).x;
  ImGui::SameLine(width - label_w - ImGui::GetStyle().WindowPadding.x - ImGui::GetTextLineHeight());
  ImGui::TextColored(connection_colour(connection_), "\xE2\x97\x8F");  // U+25CF BLACK CIRCLE
  ImGui::SameLine();
  ImGui::TextUnformatted(label);
  ImGui::End();
  ImGui::PopStyleColor();
}

void App::draw_server_card(float width, float height) {
  const ImVec2 size(std::min(ImGui::GetFontSize() * 32.0f, width - 2.0f * ImGui::GetFontSize()), 0.0f);
  ImGui::SetNextWindowPos(ImVec2(width * 0.5f, height * 0.42f), ImGuiCond_Always, ImVec2(0.5f, 0.5f));
  ImGui::SetNextWindowSize(size);
  ImGui::Begin("Server", nullptr,
               ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoCollapse |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_AlwaysAutoResize);
  if (!info_) {
    ImGui::TextColored(connection_colour(connection_), "%s", connection_label(connection_));
    if (!detail_.empty()) ImGui::TextWrapped("%s", detail_.c_str());
  } else if (ImGui::BeginTable("serverinfo", 2, ImGuiTableFlags_SizingStretchProp)) {
    ImGui::TableSetupColumn("k", ImGuiTableColumnFlags_WidthFixed, ImGui::CalcTextSize("Connection  ").x);
    ImGui::TableSetupColumn("v", ImGuiTableColumnFlags_WidthStretch);
    row("Server", info_->name);
    row("Version", "Meshwork " + info_->version);
    row("Domain", info_->domain.empty() ? std::string("(default)") : info_->domain);
    row("HTTPS port", std::to_string(info_->port));
    row("MPS port", info_->mps_port ? std::to_string(info_->mps_port) : std::string("off"));
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextColored(kMuted, "Connection");
    ImGui::TableSetColumnIndex(1);
    ImGui::TextColored(connection_colour(connection_), "%s", connection_label(connection_));
    ImGui::EndTable();
  }
  ImGui::End();
}

void apply_theme(float scale) {
  ImGuiStyle& s = ImGui::GetStyle();
  ImGui::StyleColorsDark(&s);
  s.WindowRounding = 6.0f;
  s.FrameRounding = 4.0f;
  s.GrabRounding = 4.0f;
  s.TabRounding = 4.0f;
  s.WindowBorderSize = 1.0f;
  s.WindowPadding = ImVec2(14, 12);
  s.FramePadding = ImVec2(8, 5);
  s.ItemSpacing = ImVec2(10, 7);
  ImVec4* c = s.Colors;
  c[ImGuiCol_WindowBg] = ImVec4(0.13f, 0.15f, 0.18f, 1.0f);
  c[ImGuiCol_TitleBg] = ImVec4(0.16f, 0.19f, 0.24f, 1.0f);
  c[ImGuiCol_TitleBgActive] = ImVec4(0.18f, 0.33f, 0.52f, 1.0f);
  c[ImGuiCol_Border] = ImVec4(0.26f, 0.30f, 0.36f, 1.0f);
  c[ImGuiCol_Text] = ImVec4(0.92f, 0.94f, 0.96f, 1.0f);
  c[ImGuiCol_Button] = ImVec4(0.20f, 0.45f, 0.75f, 1.0f);
  c[ImGuiCol_ButtonHovered] = ImVec4(0.26f, 0.53f, 0.85f, 1.0f);
  c[ImGuiCol_Header] = ImVec4(0.20f, 0.40f, 0.65f, 0.6f);
  s.ScaleAllSizes(scale);
}

}  // namespace mw::web
