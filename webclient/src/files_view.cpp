// Files view (files_view.hpp).
#include "files_view.hpp"

#include <imgui.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "text.hpp"
#include "theme.hpp"

namespace mw::web {
namespace {

using Json = nlohmann::json;

const ImVec4 kFolder{0.45f, 0.70f, 0.95f, 1.0f};


std::string date_of(std::int64_t ms) {
  if (ms <= 0) return "";
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) return "";
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%d %H:%M", &tm);
  return b;
}

std::string mode_of(const FilesView::Entry& e) {
  std::string s = e.type == "dir" ? "d" : e.type == "link" ? "l" : "-";
  static const char kRwx[] = "rwx";
  for (int i = 8; i >= 0; --i) s += (e.mode >> i) & 1 ? kRwx[(8 - i) % 3] : '-';
  return s;
}

// A name for a new or renamed entry: one path component.
bool valid_name(const std::string& n) {
  return !n.empty() && n != "." && n != ".." && n.find('/') == std::string::npos && n.find('\0') == std::string::npos;
}


}  // namespace

FilesView::FilesView(std::string id, std::string name, Sender sender, const FilePort* files, bool server)
    : nodeid_(std::move(id)), name_(std::move(name)), server_(server), sender_(std::move(sender)), files_(files) {}

FilesView::~FilesView() { end_transfer(false, "", false); }

std::string FilesView::relay_path() const {
  if (server_) return "/serverfiles.ashx?store=" + url_encode(nodeid_);
  return "/meshrelay.ashx?p=5&nodeid=" + url_encode(nodeid_);
}

void FilesView::read_space(const Json& j) {
  if (!server_ || !j.contains("quota")) return;
  quota_ = json_u64(j, "quota");
  used_ = json_u64(j, "used");
}

void FilesView::set_status(std::string text, bool error) {
  status_ = std::move(text);
  error_ = error;
  ++revision_;
}

std::string FilesView::child(const std::string& name) const { return cwd_ == "/" ? "/" + name : cwd_ + "/" + name; }

const FilesView::Entry* FilesView::selected_entry() const {
  for (const auto& e : entries_) {
    if (e.name == selected_) return &e;
  }
  return nullptr;
}

void FilesView::send_request(Op op, Json request) {
  if (closed_ || !sender_.text) return;
  const long long id = ++next_id_;
  request["id"] = id;
  pending_[id] = {op, json_text(request, "path")};
  if (op == Op::kDownload || op == Op::kUpload) transfer_id_ = id;
  sender_.text(request.dump(-1, ' ', false, Json::error_handler_t::replace));
}

void FilesView::list(const std::string& path) { send_request(Op::kLs, {{"op", "ls"}, {"path", path}}); }

void FilesView::refresh() { send_request(Op::kRefresh, {{"op", "ls"}, {"path", cwd_}}); }

void FilesView::on_message(bool binary, std::string_view data) {
  if (!binary) ++revision_;  // download chunks are content: the progress bar (one frame each)
  if (binary) {
    // Download chunks go straight to the browser's file sink.
    if (transfer_ && !transfer_->upload && sink_ && files_ && files_->save_chunk) {
      files_->save_chunk(sink_, data);
      transfer_->done += data.size();
    }
    return;
  }
  const auto j = Json::parse(data, nullptr, false);
  if (!j.is_object()) return;
  const std::string state = json_text(j, "state");
  const std::string op = json_text(j, "op");
  if (state == "ready") {
    set_status(server_ ? "Opening the files…" : "Opening the agent's files…", false);
  } else if (state == "closed") {
    on_closed(json_text(j, "reason"));
  } else if (json_text(j, "ctrl") == "error") {
    set_status(json_text(j, "reason"), true);
  } else if (op == "root") {
    read_space(j);
    root_ = json_text(j, "path");
    if (root_.empty() || root_.front() != '/') root_ = "/";
    list(root_);
  } else if (!op.empty()) {
    on_answer(j);
  }
}

void FilesView::on_answer(const Json& j) {
  const auto id_it = j.find("id");
  if (id_it == j.end() || !id_it->is_number_integer()) return;
  const long long id = id_it->get<long long>();
  const auto p = pending_.find(id);
  if (p == pending_.end()) return;  // an answer to something cancelled
  const auto [what, path] = p->second;
  const std::string op = json_text(j, "op");
  const bool last = op != "download" && op != "ready" && op != "progress";
  if (last) pending_.erase(p);
  const bool is_transfer = what == Op::kDownload || what == Op::kUpload;
  if (op == "error") {
    const std::string reason = json_text(j, "reason");
    if (is_transfer) return end_transfer(false, reason, true);
    return set_status(reason.empty() ? (server_ ? "The server refused." : "The agent refused.") : reason, true);
  }
  read_space(j);
  if (op == "ls") {
    entries_.clear();
    const auto list = j.find("entries");
    if (list != j.end() && list->is_array()) {
      for (const auto& e : *list) {
        if (!e.is_object()) continue;
        Entry entry{json_text(e, "name"), json_text(e, "type"), json_u64(e, "size"), 0, 0};
        const auto m = e.find("mtime");
        if (m != e.end() && m->is_number_integer()) entry.mtime_ms = m->get<std::int64_t>();
        entry.mode = static_cast<unsigned>(json_u64(e, "mode") & 07777);
        if (valid_name(entry.name)) entries_.push_back(std::move(entry));
      }
    }
    // Folders first, then by name without regard to case.
    std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      const bool da = a.type == "dir", db = b.type == "dir";
      if (da != db) return da;
      return std::lexicographical_compare(a.name.begin(), a.name.end(), b.name.begin(), b.name.end(),
                                          [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) < std::tolower(static_cast<unsigned char>(y)); });
    });
    const std::string listed = json_text(j, "path");
    if (listed != cwd_) selected_.clear();
    cwd_ = listed.empty() ? path : listed;
    if (!selected_entry()) selected_.clear();
    const auto t = j.find("truncated");
    const bool truncated = t != j.end() && t->is_boolean() && t->get<bool>();
    if (what == Op::kRefresh && !truncated) {
      ++revision_;
      return;
    }
    set_status(std::to_string(entries_.size()) + (entries_.size() == 1 ? " item" : " items") +
                   (truncated ? " (only the first ones are listed)" : ""),
               false);
    return;
  }
  if (op == "ok") {
    const std::string name = path.substr(path.rfind('/') + 1);
    set_status(what == Op::kMkdir ? "Created " + name : what == Op::kRm ? "Deleted " + name : "Renamed " + name, false);
    return refresh();
  }
  if (!transfer_ || id != transfer_id_) return;
  if (op == "download") {
    transfer_->size = json_u64(j, "size");
    transfer_->done = 0;
    sink_ = files_ && files_->save_begin ? files_->save_begin(transfer_->name, transfer_->size) : 0;
    if (!sink_) {
      pending_.erase(transfer_id_);
      end_transfer(false, "The browser cannot save the file.", true);
    }
  } else if (op == "ready") {
    transfer_->done = json_u64(j, "offset");
    if (files_ && files_->upload) files_->upload(relay_, upload_file_, transfer_->done);
  } else if (op == "progress") {
    transfer_->done = std::max(transfer_->done, json_u64(j, "bytes"));
  } else if (op == "done") {
    const bool upload = transfer_->upload;
    const std::string name = transfer_->name;
    transfer_->done = transfer_->size;
    end_transfer(true, (upload ? "Uploaded " : "Downloaded ") + name, false);
    if (upload) refresh();
  }
}

void FilesView::end_transfer(bool complete, std::string status, bool error) {
  if (!transfer_) return;
  if (!transfer_->upload && sink_ && files_ && files_->save_end) files_->save_end(sink_, complete);
  if (transfer_->upload && upload_file_ && files_ && files_->cancel_upload) files_->cancel_upload(upload_file_);
  sink_ = 0;
  upload_file_ = 0;
  transfer_.reset();
  pending_.erase(transfer_id_);
  transfer_id_ = 0;
  if (!status.empty()) set_status(std::move(status), error);
}

void FilesView::on_closed(std::string reason) {
  if (closed_) return;
  end_transfer(false, "", false);
  closed_ = true;
  pending_.clear();
  set_status(reason.empty() ? "Closed." : std::move(reason), true);
}

void FilesView::on_file_picked(int file, std::string name, std::uint64_t size) {
  if (closed_ || transfer_ || !valid_name(name)) {
    if (files_ && files_->cancel_upload) files_->cancel_upload(file);
    return;
  }
  Picked p{file, std::move(name), size};
  const bool exists = std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.name == p.name; });
  if (exists) {  // ask first
    picked_ = std::move(p);
    dialog_ = Dialog::kReplace;
    dialog_opened_ = false;
    ++revision_;
    return;
  }
  start_upload(p);
}

void FilesView::start_upload(const Picked& p) {
  upload_file_ = p.file;
  transfer_ = Transfer{true, p.name, 0, p.size};
  set_status("Uploading " + p.name + "…", false);
  send_request(Op::kUpload, {{"op", "upload"}, {"path", child(p.name)}, {"size", p.size}, {"resume", false}});
}


void FilesView::draw_toolbar(ItemRects& buttons) {
  const bool usable = ready();
  const Entry* sel = selected_entry();
  ImGui::BeginDisabled(!usable || cwd_ == root_);
  if (ImGui::Button("Up")) {
    const auto slash = cwd_.rfind('/');
    list(slash == 0 ? std::string("/") : cwd_.substr(0, slash));
  }
  record_item(buttons, "files-up");
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::BeginDisabled(!usable);
  if (ImGui::Button("Refresh")) list(cwd_);
  record_item(buttons, "files-refresh");
  ImGui::SameLine();
  if (ImGui::Button("New folder")) {
    input_.fill('\0');
    dialog_ = Dialog::kNewFolder;
    dialog_opened_ = false;
  }
  record_item(buttons, "files-newfolder");
  ImGui::SameLine();
  ImGui::BeginDisabled(transfer_.has_value());
  if (ImGui::Button("Upload") && sender_.pick) sender_.pick();
  record_item(buttons, "files-upload");
  ImGui::SameLine();
  ImGui::BeginDisabled(!sel || sel->type != "file");
  if (ImGui::Button("Download") && sel) {
    transfer_ = Transfer{false, sel->name, 0, sel->size};
    set_status("Downloading " + sel->name + "…", false);
    send_request(Op::kDownload, {{"op", "download"}, {"path", child(sel->name)}});
  }
  record_item(buttons, "files-download");
  ImGui::EndDisabled();
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::BeginDisabled(!sel);
  if (ImGui::Button("Rename") && sel) {
    input_.fill('\0');
    std::snprintf(input_.data(), input_.size(), "%s", sel->name.c_str());
    dialog_ = Dialog::kRename;
    dialog_opened_ = false;
  }
  record_item(buttons, "files-rename");
  ImGui::SameLine();
  if (ImGui::Button("Delete")) {
    dialog_ = Dialog::kDelete;
    dialog_opened_ = false;
  }
  record_item(buttons, "files-delete");
  ImGui::EndDisabled();
  ImGui::EndDisabled();
  ImGui::AlignTextToFramePadding();
  ImGui::TextColored(kFolder, "%s", cwd_.empty() ? "…" : cwd_.c_str());
  if (quota_ > 0) {
    // The storage's space, right-aligned: a bar and "700 kB of 1.0 MB used".
    const float em = ImGui::GetFontSize();
    const std::string label = human_bytes(used_) + " of " + human_bytes(quota_) + " used";
    const float w = em * 14;
    ImGui::SameLine(std::max(ImGui::GetCursorPosX(), ImGui::GetWindowContentRegionMax().x - w));
    const float frac = static_cast<float>(static_cast<double>(std::min(used_, quota_)) / static_cast<double>(quota_));
    ImGui::PushStyleColor(ImGuiCol_PlotHistogram, frac > 0.9f ? kBad : frac > 0.75f ? kWarn : kOk);
    ImGui::ProgressBar(frac, ImVec2(w, 0), label.c_str());
    ImGui::PopStyleColor();
    record_item(buttons, "files-space");
  }
}

void FilesView::draw_table(ItemRects& buttons) {
  const float footer = ImGui::GetFrameHeightWithSpacing() * (transfer_ ? 2.0f : 1.0f);
  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_BordersInnerH |
                                ImGuiTableFlags_Resizable | ImGuiTableFlags_SizingStretchProp;
  if (!ImGui::BeginTable("##files", 4, flags, ImVec2(0, -footer))) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("Name", ImGuiTableColumnFlags_WidthStretch, 3.0f);
  ImGui::TableSetupColumn("Size", ImGuiTableColumnFlags_WidthStretch, 0.9f);
  ImGui::TableSetupColumn("Modified (UTC)", ImGuiTableColumnFlags_WidthStretch, 1.5f);
  ImGui::TableSetupColumn("Permissions", ImGuiTableColumnFlags_WidthStretch, 1.1f);
  ImGui::TableHeadersRow();
  std::string open_dir;
  for (const auto& e : entries_) {
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    const bool dir = e.type == "dir" || e.type == "link";
    if (dir) ImGui::PushStyleColor(ImGuiCol_Text, kFolder);
    const std::string label = (e.type == "dir" ? "\xE2\x96\xB8 " : e.type == "link" ? "\xE2\x86\x92 " : "  ") + e.name;
    if (ImGui::Selectable(label.c_str(), selected_ == e.name,
                          ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowDoubleClick)) {
      selected_ = e.name;
      ++revision_;
      if (dir && ImGui::IsMouseDoubleClicked(0)) open_dir = e.name;
    }
    record_item(buttons, "files-entry:" + e.name);
    if (dir) ImGui::PopStyleColor();
    ImGui::TableSetColumnIndex(1);
    if (e.type == "file") ImGui::TextUnformatted(human_bytes(e.size).c_str());
    ImGui::TableSetColumnIndex(2);
    ImGui::TextColored(kMuted, "%s", date_of(e.mtime_ms).c_str());
    ImGui::TableSetColumnIndex(3);
    ImGui::TextColored(kMuted, "%s", mode_of(e).c_str());
  }
  ImGui::EndTable();
  if (!open_dir.empty()) list(child(open_dir));
}

void FilesView::draw_dialog(ItemRects& buttons) {
  if (dialog_ == Dialog::kNone) return;
  const char* title = dialog_ == Dialog::kNewFolder ? "New folder###filesdialog"
                      : dialog_ == Dialog::kRename  ? "Rename###filesdialog"
                      : dialog_ == Dialog::kDelete  ? "Delete###filesdialog"
                                                    : "Replace###filesdialog";
  if (!dialog_opened_) {
    ImGui::OpenPopup(title);
    dialog_opened_ = true;
  }
  bool keep = true;
  if (!ImGui::BeginPopupModal(title, &keep, ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings)) {
    if (!keep) dialog_ = Dialog::kNone;
    return;
  }
  bool accept = false;
  const float em = ImGui::GetFontSize();
  if (dialog_ == Dialog::kNewFolder || dialog_ == Dialog::kRename) {
    ImGui::TextUnformatted(dialog_ == Dialog::kNewFolder ? "Name of the new folder:" : "New name:");
    ImGui::SetNextItemWidth(em * 22);
    if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
    accept = ImGui::InputText("##name", input_.data(), input_.size(),
                              ImGuiInputTextFlags_EnterReturnsTrue | ImGuiInputTextFlags_AutoSelectAll);  // typing replaces
    record_item(buttons, "files-dialog-input");
    if (!valid_name(input_.data()) && input_[0] != '\0') ImGui::TextColored(kBad, "A name cannot contain / or be . or ..");
  } else if (dialog_ == Dialog::kDelete) {
    const Entry* sel = selected_entry();
    ImGui::Text("Delete %s%s?", sel ? sel->name.c_str() : "", sel && sel->type == "dir" ? " and everything in it" : "");
  } else if (picked_) {
    ImGui::Text("%s exists in this folder. Replace it?", picked_->name.c_str());
  }
  ImGui::Spacing();
  const bool can = dialog_ == Dialog::kDelete || dialog_ == Dialog::kReplace || valid_name(input_.data());
  ImGui::BeginDisabled(!can);
  if (ImGui::Button(dialog_ == Dialog::kDelete ? "Delete" : dialog_ == Dialog::kReplace ? "Replace" : "OK", ImVec2(em * 6, 0))) accept = true;
  record_item(buttons, "files-dialog-ok");
  ImGui::EndDisabled();
  ImGui::SameLine();
  bool cancel = ImGui::Button("Cancel", ImVec2(em * 6, 0));
  record_item(buttons, "files-dialog-cancel");
  if (accept && can) {
    const std::string name = input_.data();
    const Entry* sel = selected_entry();
    switch (dialog_) {
      case Dialog::kNewFolder: send_request(Op::kMkdir, {{"op", "mkdir"}, {"path", child(name)}}); break;
      case Dialog::kRename:
        if (sel && name != sel->name) send_request(Op::kRename, {{"op", "rename"}, {"path", child(sel->name)}, {"to", child(name)}});
        break;
      case Dialog::kDelete:
        if (sel) send_request(Op::kRm, {{"op", "rm"}, {"path", child(sel->name)}, {"recursive", sel->type == "dir"}});
        break;
      case Dialog::kReplace:
        if (picked_) start_upload(*picked_);
        picked_.reset();
        break;
      case Dialog::kNone: break;
    }
    cancel = true;
  } else if (cancel && picked_) {
    if (files_ && files_->cancel_upload) files_->cancel_upload(picked_->file);
    picked_.reset();
  }
  if (cancel || !keep) {
    dialog_ = Dialog::kNone;
    ImGui::CloseCurrentPopup();
    ++revision_;
  }
  ImGui::EndPopup();
}

bool FilesView::draw(ItemRects& buttons) {
  const std::string title = (server_ ? "Server files: " : "Files: ") + name_ + "###files" + nodeid_;
  const float em = ImGui::GetFontSize();
  ImGui::SetNextWindowSize(ImVec2(em * 46, em * 30), ImGuiCond_FirstUseEver);
  const ImGuiWindowFlags pinned = apply_pin(pin_);
  if (ImGui::Begin(title.c_str(), pin_ ? nullptr : &open_, ImGuiWindowFlags_NoSavedSettings | pinned)) {
    draw_toolbar(buttons);
    draw_table(buttons);
    if (transfer_) {
      const float frac = transfer_->size ? static_cast<float>(static_cast<double>(transfer_->done) / static_cast<double>(transfer_->size)) : 0.0f;
      const std::string label = (transfer_->upload ? "Uploading " : "Downloading ") + transfer_->name + "  " +
                                human_bytes(transfer_->done) + " / " + human_bytes(transfer_->size);
      ImGui::ProgressBar(std::clamp(frac, 0.0f, 1.0f), ImVec2(-em * 6, 0), label.c_str());
      ImGui::SameLine();
      if (ImGui::Button("Cancel")) end_transfer(false, "Cancelled.", false);
      record_item(buttons, "files-cancel");
    }
    ImGui::TextColored(error_ ? kBad : closed_ ? kMuted : kOk, "%s", status_.c_str());
    draw_dialog(buttons);
  }
  ImGui::End();
  if (!open_) end_transfer(false, "", false);
  return open_;
}

}  // namespace mw::web
