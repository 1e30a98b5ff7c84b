// Files on an agent's computer (relay protocol 5, /meshrelay.ashx?p=5; docs/agent-protocol.md),
// or kept on the server (My Files, /serverfiles.ashx, the same protocol): a folder table (name, size, date, permissions) inside the folder the agent serves, with up,
// refresh, new folder, rename, delete, upload (browser file picker) and download (a browser
// download). Transfers never pass whole files through the app's memory: an upload is read from
// the picked file and sent 64 KiB at a time by the platform, which waits while the relay
// socket's send buffer is full; a download's chunks go straight to the platform's file sink.
// Platform-free: the platform's FilePort does the browser's part.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "window_pin.hpp"

namespace mw::web {

// The browser's file handling, implemented by the platform.
struct FilePort {
  // Opens the file picker; the platform answers with App::on_file_picked (or nothing if cancelled).
  std::function<void()> pick;
  // Streams bytes [offset, size) of picked file `file` to relay `relay` as binary messages,
  // reporting with App::on_upload_progress; stops when the relay closes or cancel_upload is called.
  std::function<void(int relay, int file, std::uint64_t offset)> upload;
  std::function<void(int file)> cancel_upload;  // and forgets the file
  // A download: begin returns a sink, chunks are appended, end hands the file to the browser
  // (complete) or drops it.
  std::function<int(const std::string& name, std::uint64_t size)> save_begin;
  std::function<void(int sink, std::string_view bytes)> save_chunk;
  std::function<void(int sink, bool complete)> save_end;
};

class FilesView {
 public:
  struct Sender {
    std::function<void(std::string_view text)> text;
    std::function<void()> pick;  // opens the browser's file picker for this view
  };
  struct Entry {
    std::string name, type;  // type: file, dir, link
    std::uint64_t size = 0;
    std::int64_t mtime_ms = 0;
    unsigned mode = 0;
  };
  struct Transfer {
    bool upload = false;
    std::string name;
    std::uint64_t done = 0, size = 0;
  };

  // A device's files through its agent (`id` a node id), or with `server` a storage on the server
  // ("My Files": `id` user/<d>/<name> or mesh/<d>/<id>, /serverfiles.ashx) that shows its space.
  FilesView(std::string id, std::string name, Sender sender, const FilePort* files, bool server = false);
  ~FilesView();
  FilesView(const FilesView&) = delete;
  FilesView& operator=(const FilesView&) = delete;

  std::string relay_path() const;
  void set_relay(int handle) { relay_ = handle; }
  void on_message(bool binary, std::string_view data);
  void on_closed(std::string reason);
  // The browser picked a file for this view's upload.
  void on_file_picked(int file, std::string name, std::uint64_t size);

  // Draws the window; false once the user closed it. `buttons` gets the rectangles of the
  // window's controls and rows by name (for tests, as App::buttons).
  bool draw(ItemRects& buttons);

  const std::string& nodeid() const { return nodeid_; }
  bool ready() const { return !root_.empty() && !closed_; }
  bool closed() const { return closed_; }
  const std::string& status() const { return status_; }
  const std::string& path() const { return cwd_; }
  const std::vector<Entry>& entries() const { return entries_; }
  const std::optional<Transfer>& transfer() const { return transfer_; }
  unsigned revision() const { return revision_; }
  bool server() const { return server_; }
  // A storage's space: bytes used and its quota (0: no quota, and `used` unknown).
  std::uint64_t used() const { return used_; }
  std::uint64_t quota() const { return quota_; }

  // Pins the window to a rectangle of the page (embedded single view); nullopt unpins.
  void pin(std::optional<WindowPin> p) { pin_ = p; }

 private:
  enum class Op { kLs, kRefresh, kMkdir, kRm, kRename, kDownload, kUpload };  // kRefresh: ls that keeps the status
  enum class Dialog { kNone, kNewFolder, kRename, kDelete, kReplace };
  struct Picked {
    int file = 0;
    std::string name;
    std::uint64_t size = 0;
  };
  void send_request(Op op, nlohmann::json request);
  void list(const std::string& path);
  void refresh();  // lists cwd_ again after a change, keeping the status line
  void on_answer(const nlohmann::json& j);
  void start_upload(const Picked& p);
  void end_transfer(bool complete, std::string status, bool error);
  void set_status(std::string text, bool error);
  void read_space(const nlohmann::json& j);  // "used" and "quota" of a storage's answers
  std::string child(const std::string& name) const;
  const Entry* selected_entry() const;
  void draw_toolbar(ItemRects& buttons);
  void draw_table(ItemRects& buttons);
  void draw_dialog(ItemRects& buttons);

  std::string nodeid_, name_;
  bool server_ = false;
  std::uint64_t used_ = 0, quota_ = 0;
  Sender sender_;
  const FilePort* files_;
  int relay_ = 0;
  std::string root_, cwd_;
  std::vector<Entry> entries_;
  std::string selected_;  // name of the selected entry in cwd_
  std::map<long long, std::pair<Op, std::string>> pending_;  // request id → what and on which path
  long long next_id_ = 0;
  std::optional<Transfer> transfer_;
  long long transfer_id_ = 0;
  int sink_ = 0;         // the download's file sink
  int upload_file_ = 0;  // the upload's picked file
  std::optional<Picked> picked_;  // waiting for "replace?"
  std::string status_ = "Connecting…";
  bool error_ = false;
  bool closed_ = false;
  bool open_ = true;
  Dialog dialog_ = Dialog::kNone;
  bool dialog_opened_ = false;
  std::array<char, 256> input_{};
  unsigned revision_ = 0;
  std::optional<WindowPin> pin_;
};

}  // namespace mw::web
