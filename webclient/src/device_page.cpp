// Device page sections (device_page.hpp).
#include "device_page.hpp"

#include <imgui.h>

#include <cstdio>
#include <ctime>

#include "device_icons.hpp"
#include "theme.hpp"

namespace mw::web {

void section_title(const char* title) {
  ImGui::Spacing();
  ImGui::TextColored(ImVec4(0.45f, 0.70f, 0.95f, 1.0f), "%s", title);
  ImGui::Separator();
}

namespace {

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

void DevicePage::on_notes(std::string notes) { notes_ = std::move(notes); }

void DevicePage::on_notes_saved(const std::string& result) {
  notes_status_ = result == "ok" ? "Saved." : result;
}

namespace {
// ImGui's multiline input on a std::string that grows as the person types.
int grow_string(ImGuiInputTextCallbackData* data) {
  if (data->EventFlag == ImGuiInputTextFlags_CallbackResize) {
    auto* text = static_cast<std::string*>(data->UserData);
    text->resize(static_cast<std::size_t>(data->BufTextLen));
    data->Buf = text->data();
  }
  return 0;
}
constexpr std::size_t kMaxNotes = 64 * 1024;  // as the server allows
}  // namespace

void DevicePage::draw_notes(bool may_edit, const std::function<void(const std::string&)>& save, ItemRects& buttons) {
  section_title("Notes");
  if (!notes_) {
    ImGui::TextColored(kMuted, "Loading…");
    return;
  }
  const float em = ImGui::GetFontSize();
  if (!editing_) {
    if (notes_->empty()) ImGui::TextColored(kMuted, "No notes.");
    else ImGui::TextWrapped("%s", notes_->c_str());
    record_item(buttons, "page-notes-text");
    if (may_edit) {
      if (ImGui::SmallButton("Edit notes")) {
        editing_ = *notes_;
        notes_status_.clear();
        focus_ = true;
      }
      record_item(buttons, "page-notes-edit");
    }
    if (!notes_status_.empty()) {
      ImGui::SameLine();
      ImGui::TextColored(notes_status_ == "Saved." ? kOk : kBad, "%s", notes_status_.c_str());
    }
    return;
  }
  std::string& text = *editing_;
  if (focus_) ImGui::SetKeyboardFocusHere();
  focus_ = false;
  ImGui::InputTextMultiline("##notes", text.data(), text.capacity() + 1, ImVec2(-1, em * 8),
                            ImGuiInputTextFlags_CallbackResize, grow_string, &text);
  record_item(buttons, "page-notes-input");
  const bool too_long = text.size() > kMaxNotes;
  if (too_long) ImGui::TextColored(kBad, "Notes are limited to 64 KiB.");
  ImGui::BeginDisabled(too_long);
  if (ImGui::Button("Save", ImVec2(em * 6, 0))) {
    notes_ = text;  // shown at once; the server's answer confirms or says why not
    notes_status_ = "Saving…";
    save(text);
    editing_.reset();
  }
  record_item(buttons, "page-notes-save");
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (ImGui::Button("Cancel", ImVec2(em * 6, 0))) editing_.reset();
  record_item(buttons, "page-notes-cancel");
}

void DevicePage::draw_general(const proto::Device& d, const proto::DeviceGroup* group) const {
  if (begin_pairs("##record")) {
    row("Group", group ? group->name : d.meshid);
    ImGui::TableNextRow();  // its kind, as its icon shows it everywhere
    ImGui::TableSetColumnIndex(0);
    ImGui::TextColored(kMuted, "Kind");
    ImGui::TableSetColumnIndex(1);
    device_icon_item(d.icon, d.conn != 0);
    ImGui::SameLine();
    ImGui::TextUnformatted(device_icon_name(d.icon));
    row("Description", d.desc.empty() ? "—" : d.desc);
    row("Tags", d.tags.empty() ? "—" : joined(d.tags));
    row("Connection", connection_text(d.conn), d.conn ? kOk : kMuted);
    const char* power = power_name(d.pwr);
    row("Power", *power ? power : "Unknown", d.pwr == 1 ? kOk : kMuted);
    if (!d.host.empty()) row("Address", d.host);
    ImGui::EndTable();
  }
  if (d.amt) {
    section_title("Intel AMT");
    if (begin_pairs("##amt")) {
      row("Version", d.amt->version.empty() ? "Not read yet" : d.amt->version);
      if (!d.amt->hostname.empty()) row("Host name", d.amt->hostname);
      if (!d.amt->uuid.empty()) row("UUID", d.amt->uuid);
      row("Credentials", d.amt->credentials_refused ? "Refused by Intel AMT: set them again"
                         : d.amt->user.empty()       ? "None stored"
                         : d.amt->trying             ? "Stored for " + d.amt->user + ", being tried"
                                                     : "Stored for " + d.amt->user,
          d.amt->credentials_refused ? kWarn : ImVec4(0, 0, 0, 0));
      if (d.amt->tls) {
        // The pinned certificate, as administrators compare it with what Intel AMT shows (MEBx, MeshCommander).
        const std::string& h = d.amt->tls_hash;
        const std::string pin = h.empty() ? "TLS, certificate not seen yet"
                                : "TLS, certificate pinned (" + std::string(h.size() == 40 ? "SHA-1 " : "SHA-384 ") +
                                      h.substr(0, 16) + "…)";
        row("Security", d.amt->tls_mismatch ? "TLS: it presented another certificate; refused (Edit to trust it)" : pin,
            d.amt->tls_mismatch ? kWarn : ImVec4(0, 0, 0, 0));
      } else {
        row("Security", "No TLS (16992, 16994)");
      }
      ImGui::EndTable();
    }
  }
  if (!info_) return;
  section_title("System");
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

void DevicePage::on_amt(proto::AmtDetails d) {
  amt_loading_.erase(d.what);
  if (d.what == "hardware") amt_hw_ = std::move(d);
  else if (d.what == "eventlog") amt_events_ = std::move(d);
  else if (d.what == "auditlog") amt_audit_ = std::move(d);
}

namespace {
std::string utc_time(std::uint64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S", &tm);
  return b;
}

// The state of one read: its error, or "Reading…" while it runs. False when there is nothing to show.
bool amt_status(const std::optional<proto::AmtDetails>& d, bool loading) {
  if (loading) {
    ImGui::TextColored(kMuted, "Reading from Intel AMT…");
    return false;
  }
  if (!d) return false;
  if (d->result != "ok") {
    ImGui::TextColored(kWarn, "%s", d->result.c_str());
    return false;
  }
  return true;
}
}  // namespace

void DevicePage::draw_amt(const AmtRequest& request, ItemRects& buttons, const std::string& device_name,
                          const std::function<void()>& actions) {
  auto ask = [&](const char* what) {
    amt_loading_.insert(what);
    request(what);
  };
  if (!amt_asked_) {
    amt_asked_ = true;
    for (const char* what : {"hardware", "eventlog", "auditlog"}) ask(what);
  }
  const bool busy = !amt_loading_.empty();
  ImGui::BeginDisabled(busy);
  if (ImGui::SmallButton("Read again")) {
    for (const char* what : {"hardware", "eventlog", "auditlog"}) ask(what);
  }
  record_item(buttons, "page-amt-refresh:" + device_name);
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::TextColored(kMuted, "Read by the server from Intel AMT, through WS-Management.");
  if (actions) actions();

  section_title("Hardware");
  if (amt_status(amt_hw_, amt_loading_.count("hardware") != 0) && amt_hw_->hardware) {
    const auto& h = *amt_hw_->hardware;
    if (begin_pairs("##amthw")) {
      auto part = [](const proto::AmtDetails::Part& p) {
        std::string out = p.manufacturer;
        if (!p.model.empty()) out += (out.empty() ? "" : " ") + p.model;
        if (!p.version.empty()) out += ", version " + p.version;
        if (!p.serial.empty()) out += ", serial " + p.serial;
        return out;
      };
      row("Computer", part(h.chassis));
      row("Board", part(h.baseboard));
      row("BIOS", h.bios_manufacturer + " " + h.bios_version + (h.bios_date.size() >= 10 ? ", " + h.bios_date.substr(0, 10) : ""));
      if (!h.platform_guid.empty()) row("Platform GUID", h.platform_guid);
      for (const auto& c : h.processors) {
        char b[96];
        std::snprintf(b, sizeof b, "%llu MHz (now %llu MHz)", static_cast<unsigned long long>(c.max_mhz),
                      static_cast<unsigned long long>(c.current_mhz));
        row(c.id.empty() ? "Processor" : c.id.c_str(), b);
      }
      for (const auto& m : h.memory) {
        std::string v = human_bytes(m.capacity);
        if (m.speed) v += ", " + std::to_string(m.speed) + " MHz";
        if (!m.manufacturer.empty()) v += ", " + m.manufacturer;
        if (!m.part_number.empty()) v += " " + m.part_number;
        row(m.bank.empty() ? "Memory" : m.bank.c_str(), v);
      }
      ImGui::EndTable();
    }
  }

  section_title("Event log");
  if (amt_status(amt_events_, amt_loading_.count("eventlog") != 0)) {
    if (amt_events_->events.empty()) {
      ImGui::TextColored(kMuted, "The event log is empty.");
    } else if (ImGui::BeginTable("##amtevents", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
      ImGui::TableSetupColumn("Time (UTC)", ImGuiTableColumnFlags_WidthStretch, 1.1f);
      ImGui::TableSetupColumn("Source", ImGuiTableColumnFlags_WidthStretch, 0.6f);
      ImGui::TableSetupColumn("Severity", ImGuiTableColumnFlags_WidthStretch, 0.6f);
      ImGui::TableSetupColumn("Event", ImGuiTableColumnFlags_WidthStretch, 2.2f);
      ImGui::TableHeadersRow();
      for (const auto& e : amt_events_->events) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextColored(kMuted, "%s", utc_time(e.time).c_str());
        ImGui::TableSetColumnIndex(1);
        ImGui::TextUnformatted(e.entity.c_str());
        ImGui::TableSetColumnIndex(2);
        ImGui::TextColored(e.severity == "Critical" || e.severity == "Non-recoverable" ? kWarn : kMuted, "%s", e.severity.c_str());
        ImGui::TableSetColumnIndex(3);
        ImGui::TextWrapped("%s", e.description.c_str());
      }
      ImGui::EndTable();
    }
  }

  section_title("Audit log");
  if (amt_status(amt_audit_, amt_loading_.count("auditlog") != 0)) {
    if (amt_audit_->audit.empty()) {
      ImGui::TextColored(kMuted, "The audit log is empty.");
    } else if (ImGui::BeginTable("##amtaudit", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
      ImGui::TableSetupColumn("Time (UTC)", ImGuiTableColumnFlags_WidthStretch, 1.1f);
      ImGui::TableSetupColumn("By", ImGuiTableColumnFlags_WidthStretch, 0.7f);
      ImGui::TableSetupColumn("Where", ImGuiTableColumnFlags_WidthStretch, 0.8f);
      ImGui::TableSetupColumn("Event", ImGuiTableColumnFlags_WidthStretch, 2.0f);
      ImGui::TableHeadersRow();
      for (const auto& a : amt_audit_->audit) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextColored(kMuted, "%s", utc_time(a.time).c_str());
        ImGui::TableSetColumnIndex(1);
        ImGui::TextUnformatted(a.initiator.c_str());
        ImGui::TableSetColumnIndex(2);
        ImGui::TextUnformatted(a.address.c_str());
        ImGui::TableSetColumnIndex(3);
        ImGui::TextWrapped("%s: %s", a.app.c_str(), a.event.c_str());
      }
      ImGui::EndTable();
    }
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
