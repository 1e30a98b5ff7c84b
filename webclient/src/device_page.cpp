// Device page sections (device_page.hpp).
#include "device_page.hpp"

#include <imgui.h>

#include <cstdio>

namespace mw::web {
namespace {

const ImVec4 kMuted{0.62f, 0.66f, 0.72f, 1.0f};
const ImVec4 kOk{0.30f, 0.78f, 0.45f, 1.0f};
const ImVec4 kWarn{0.95f, 0.70f, 0.25f, 1.0f};

void section(const char* title) {
  ImGui::Spacing();
  ImGui::TextColored(ImVec4(0.45f, 0.70f, 0.95f, 1.0f), "%s", title);
  ImGui::Separator();
}

// A two-column "label: value" table row.
void row(const char* label, const std::string& value, ImVec4 colour = ImVec4(0, 0, 0, 0)) {
  ImGui::TableNextRow();
  ImGui::TableSetColumnIndex(0);
  ImGui::TextColored(kMuted, "%s", label);
  ImGui::TableSetColumnIndex(1);
  if (colour.w > 0) ImGui::TextColored(colour, "%s", value.c_str());
  else ImGui::TextWrapped("%s", value.c_str());
}

bool begin_pairs(const char* id) {
  if (!ImGui::BeginTable(id, 2, ImGuiTableFlags_SizingStretchProp)) return false;
  ImGui::TableSetupColumn("label", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 9);
  ImGui::TableSetupColumn("value", ImGuiTableColumnFlags_WidthStretch);
  return true;
}

std::string joined(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string connection_text(int conn) {
  std::vector<std::string> parts;
  if (conn & 1) parts.push_back("Agent");
  if (conn & 2) parts.push_back("Intel AMT over CIRA");
  if (conn & 4) parts.push_back("Intel AMT on the LAN");
  return parts.empty() ? "Offline" : joined(parts, " + ");
}

}  // namespace


// MeshCentral's power states (a device's pwr): 1 on (S0), 2-4 sleep (S1-S3), 5 hibernate (S4),
// 6 soft off (S5), 7 present (connected, state not read yet), 8 off.
const char* power_name(int pwr) {
  switch (pwr) {
    case 1: return "On";
    case 2:
    case 3: return "Sleep";
    case 4: return "Deep sleep";
    case 5: return "Hibernate";
    case 6: return "Soft off";
    case 7: return "Present";
    case 8: return "Off";
    default: return "";
  }
}

void DevicePage::draw_general(const proto::Device& d, const proto::DeviceGroup* group) const {
  if (begin_pairs("##record")) {
    row("Group", group ? group->name : d.meshid);
    row("Description", d.desc.empty() ? "—" : d.desc);
    row("Tags", d.tags.empty() ? "—" : joined(d.tags));
    row("Connection", connection_text(d.conn), d.conn ? kOk : kMuted);
    const char* power = power_name(d.pwr);
    row("Power", *power ? power : "Unknown", d.pwr == 1 ? kOk : kMuted);
    if (!d.host.empty()) row("Address", d.host);
    ImGui::EndTable();
  }
  if (d.amt) {
    section("Intel AMT");
    if (begin_pairs("##amt")) {
      row("Version", d.amt->version.empty() ? "Not read yet" : d.amt->version);
      if (!d.amt->hostname.empty()) row("Host name", d.amt->hostname);
      if (!d.amt->uuid.empty()) row("UUID", d.amt->uuid);
      row("Credentials", d.amt->credentials_refused ? "Refused by Intel AMT: set them again"
                         : d.amt->user.empty()       ? "None stored"
                                                     : "Stored for " + d.amt->user,
          d.amt->credentials_refused ? kWarn : ImVec4(0, 0, 0, 0));
      ImGui::EndTable();
    }
  }
  if (!info_) return;
  section("System");
  if (!info_->known) {
    ImGui::TextColored(kMuted, "The agent has not reported yet.");
    return;
  }
  const auto& s = *info_;
  if (begin_pairs("##system")) {
    if (!s.hostname.empty()) row("Host name", s.hostname);
    std::string os = s.os_name + (s.os_version.empty() ? "" : " " + s.os_version);
    if (!s.kernel.empty()) os += "  (kernel " + s.kernel + (s.arch.empty() ? "" : ", " + s.arch) + ")";
    row("Operating system", os);
    if (!s.cpu_model.empty()) row("Processor", s.cpu_model + (s.cpu_cores ? ", " + std::to_string(s.cpu_cores) + " cores" : ""));
    if (s.memory_total) row("Memory", human_bytes(s.memory_total) + " (" + human_bytes(s.memory_available) + " available)");
    row("Logged in", s.users.empty() ? "Nobody" : joined(s.users));
    if (!s.agent_version.empty()) row("Agent", "Meshwork agent " + s.agent_version);
    ImGui::EndTable();
  }
  if (!s.interfaces.empty() && ImGui::BeginTable("##net", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
    ImGui::TableSetupColumn("Interface");
    ImGui::TableSetupColumn("MAC");
    ImGui::TableSetupColumn("IPv4");
    ImGui::TableSetupColumn("IPv6", ImGuiTableColumnFlags_WidthStretch, 2.0f);
    ImGui::TableHeadersRow();
    for (const auto& i : s.interfaces) {
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      ImGui::TextColored(i.up ? kOk : kMuted, "%s", i.name.c_str());
      ImGui::TableSetColumnIndex(1);
      ImGui::TextUnformatted(i.mac.c_str());
      ImGui::TableSetColumnIndex(2);
      ImGui::TextUnformatted(joined(i.ipv4).c_str());
      ImGui::TableSetColumnIndex(3);
      ImGui::TextWrapped("%s", joined(i.ipv6).c_str());
    }
    ImGui::EndTable();
  }
  if (!s.disks.empty() && ImGui::BeginTable("##disks", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
    ImGui::TableSetupColumn("Mounted on", ImGuiTableColumnFlags_WidthStretch, 1.5f);
    ImGui::TableSetupColumn("Device", ImGuiTableColumnFlags_WidthStretch, 1.5f);
    ImGui::TableSetupColumn("File system");
    ImGui::TableSetupColumn("Free of size", ImGuiTableColumnFlags_WidthStretch, 1.5f);
    ImGui::TableHeadersRow();
    for (const auto& k : s.disks) {
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      ImGui::TextUnformatted(k.mount.c_str());
      ImGui::TableSetColumnIndex(1);
      ImGui::TextUnformatted(k.device.c_str());
      ImGui::TableSetColumnIndex(2);
      ImGui::TextUnformatted(k.fs.c_str());
      ImGui::TableSetColumnIndex(3);
      const float used = k.size ? 1.0f - static_cast<float>(static_cast<double>(k.free) / static_cast<double>(k.size)) : 0.0f;
      const std::string label = human_bytes(k.free) + " free of " + human_bytes(k.size);
      ImGui::ProgressBar(used, ImVec2(-1, 0), label.c_str());
    }
    ImGui::EndTable();
  }
}

void DevicePage::draw_events() const { draw_event_table(events_, events_loaded_, "No events recorded for this device."); }

void draw_event_table(const std::vector<proto::EventList::Item>& events, bool loaded, const char* empty_text) {
  if (!loaded) {
    ImGui::TextColored(kMuted, "Loading…");
    return;
  }
  if (events.empty()) {
    ImGui::TextColored(kMuted, "%s", empty_text);
    return;
  }
  if (!ImGui::BeginTable("##events", 3, ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingStretchProp)) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("Time (UTC)", ImGuiTableColumnFlags_WidthStretch, 1.1f);
  ImGui::TableSetupColumn("User", ImGuiTableColumnFlags_WidthStretch, 0.7f);
  ImGui::TableSetupColumn("Event", ImGuiTableColumnFlags_WidthStretch, 3.0f);
  ImGui::TableHeadersRow();
  ImGuiListClipper clip;
  clip.Begin(static_cast<int>(events.size()));
  while (clip.Step()) {
    for (int k = clip.DisplayStart; k < clip.DisplayEnd; ++k) {
      const auto& e = events[static_cast<std::size_t>(k)];
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      // "2026-12-06T09:00:00.000Z" → "2026-12-06 09:00:00"
      std::string t = e.time.substr(0, 19);
      if (t.size() > 10 && t[10] == 'T') t[10] = ' ';
      ImGui::TextColored(kMuted, "%s", t.c_str());
      ImGui::TableSetColumnIndex(1);
      ImGui::TextUnformatted(e.username.c_str());
      ImGui::TableSetColumnIndex(2);
      ImGui::TextWrapped("%s", e.msg.empty() ? e.action.c_str() : e.msg.c_str());
    }
  }
  ImGui::EndTable();
}

}  // namespace mw::web
