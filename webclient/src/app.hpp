// The browser app's core: state fed by the platform layer (control-channel messages, connection
// changes) and the ImGui views that draw it. Platform-free: no emscripten, no GL, no sockets, so
// the same views can be built natively for tests.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mw/proto/control.hpp"
#include "admin_views.hpp"
#include "bulk_actions.hpp"
#include "message_dialog.hpp"
#include "console_view.hpp"
#include "desktop_view.hpp"
#include "device_page.hpp"
#include "files_view.hpp"
#include "glyph_needs.hpp"
#include "ider_panel.hpp"
#include "terminal_view.hpp"

struct ImFont;

namespace mw::web {

enum class Connection { kConnecting, kOpen, kClosed, kError };

class App {
 public:
  // A view with its relay (0 once the relay closed).
  template <class View>
  struct Session {
    int handle = 0;
    std::unique_ptr<View> view;
  };

  // Where the app's requests go (the platform's WebSocket); unset: requests are dropped.
  void set_sender(std::function<void(std::string)> send) { send_ = std::move(send); }

  // Applies one control-channel text message; returns false when it was malformed.
  bool on_control_message(std::string_view text);
  void on_connection(Connection state, std::string detail = {});

  // Draws one frame of the whole UI into the current ImGui context (viewport-sized).
  void draw(float width, float height);
  // The platform's clock, about once a second (seconds): My Server reloads its figures.
  void tick(double now);

  // MeshCentral's top-level tabs (URL viewmode 1, 2, 3, 4, 6).
  enum class Tab { kDevices, kAccount, kEvents, kFiles, kUsers, kServer };
  void select_tab(Tab t);
  Tab tab() const { return tab_; }
  static const char* tab_name(Tab t);
  // Tabs this account may open (My Users: manage users; My Server: backup, restore or update).
  bool may_open(Tab t) const;
  const UsersPanel& users_panel() const { return users_panel_; }
  const ServerPanel& server_panel() const { return server_panel_; }
  const GroupPanel& group_panel() const { return group_panel_; }
  const BulkActions& bulk() const { return bulk_; }

  // Relays (terminals and desktops; files later): the platform opens a WebSocket to `path`
  // on the page's server and returns a handle, carries messages, and reports what arrives.
  struct RelayPort {
    std::function<int(const std::string& path)> open;  // handle > 0, or 0 when it failed
    std::function<void(int handle, bool binary, std::string_view data)> send;
    std::function<void(int handle)> close;
  };
  void set_relay_port(RelayPort port) { relays_ = std::move(port); }
  void on_relay_message(int handle, bool binary, std::string_view data);
  void on_relay_closed(int handle, std::string reason);
  // Keyboard input for the focused terminal (queued by the platform's callbacks, used next frame).
  void on_input(const InputEvent& e) { input_.push_back(e); }
  // Browser key presses and releases for the focused remote desktop (DOM key and code).
  void on_key(KeyEvent e) { keys_.push_back(std::move(e)); }
  // Text the browser pasted (its paste event): into the terminal that has the keyboard, or to the
  // remote clipboard of the desktop that has it.
  void on_paste(std::string_view text);
  // Where copied text goes (the browser's clipboard).
  void set_clipboard(std::function<void(const std::string&)> copy) { copy_ = std::move(copy); }
  // The browser window lost the focus: remote desktops release every key they hold.
  void on_blur();
  // Where remote screens are drawn (the platform's textures); unset: desktops show no image.
  void set_texture_port(TexturePort port) { textures_ = std::move(port); }
  // Opens a terminal window for a device (agent shell, or Intel AMT Serial-over-LAN).
  void open_terminal(const std::string& nodeid, TerminalKind kind);
  // Embedding (URL arguments, as MeshCentral's): viewmode 11 desktop, 12 terminal, 13 files of
  // `node` fill the page alone; 1, 2, 3, 4 and 6 choose the tab (My Devices, My Account, My
  // Events, My Users, My Server), 10 opens `node`'s page (14: at its Intel AMT tab); other view
  // modes show My Devices.
  // hide bits: 1 header, 2 tabs, 8 title.
  struct Embedding {
    int viewmode = 0;
    unsigned hide = 0;
    std::string node;  // a device id, full ("node//...") or as meshctrl shows it
  };
  void set_embedding(Embedding e) { embed_ = std::move(e); }
  const Embedding& embedding() const { return embed_; }
  // The single view of an embedded page is showing (its device found and its session opened).
  bool single_view() const { return embed_.viewmode >= 11 && embed_.viewmode <= 13 && !embed_.node.empty(); }
  // Where the platform should send the browser (log out), once; "" when nowhere.
  std::string take_navigation() { return std::exchange(navigate_to_, std::string()); }
  // The Events window (everything this account may see) and its messages, newest first.
  void open_events();
  const std::optional<std::vector<proto::EventList::Item>>& all_events() const { return all_events_; }
  // The last answer to a password change ("" while none).
  const std::string& password_result() const { return password_result_; }
  // My Account's email: the last answer to a change or a verification request ("" while none).
  const std::string& email_result() const { return email_result_; }
  // Add Agent's invitation: the server's last answer ("" while none).
  const std::string& invite_result() const { return invite_.result; }
  // Opens a device's page (General, Events).
  void open_device_page(const std::string& nodeid);
  struct DevicePageInfo {
    std::string nodeid, hostname, os;
    std::vector<std::string> events;  // messages, newest first
    // The Intel AMT tab: {hardware: {chassis, bios, memory: n}, events: [...], audit: [...], errors}
    nlohmann::json amt;
    nlohmann::json notes;  // null until loaded
    std::string notes_status;
    // Its IDE-R session (null: none): {state, status, images: [{path, size, drive}], start,
    // firmware, toAmt, fromAmt, cdrom: {path, blocks, read} | null, floppy: ...}
    nlohmann::json ider;
  };
  std::vector<DevicePageInfo> device_pages() const;
  // IDE-R (the device page's Intel AMT tab): opens a session (a new relay, replacing any other of
  // the device), or stops it (`forget`: the section shows no trace of it, as for Cancel).
  void open_ider(const std::string& nodeid);
  void stop_ider(const std::string& nodeid, bool forget);
  // Why this account may not use IDE-R on `d` ("" when it may, as far as the app can tell).
  std::string ider_refusal(const proto::Device& d) const;
  // My Files (URL viewmode 5): the tab, with the account's own files (or its only storage) open.
  void open_my_files();
  // Opens the Files window for an agent's device.
  void open_files(const std::string& nodeid);
  // A storage on the server (My Files): the account's own ("user/…") or a device group's.
  void open_server_files(const std::string& store_id, const std::string& name);
  // Storages this account may open: {id, name}, its own first.
  std::vector<std::pair<std::string, std::string>> server_stores() const;
  // The browser's file handling (picker, upload streaming, downloads).
  void set_file_port(FilePort port) { file_port_ = std::move(port); }
  void on_file_picked(int file, std::string name, std::uint64_t size);
  // An upload sent another chunk (the progress bar redraws).
  void on_upload_progress();
  struct FilesInfo {
    std::string nodeid, status, path;  // nodeid: the device's, or the storage's id (server)
    bool ready = false;
    std::vector<FilesView::Entry> entries;
    std::optional<FilesView::Transfer> transfer;
    bool server = false;
    std::uint64_t used = 0, quota = 0;
  };
  std::vector<FilesInfo> files() const;
  // Opens a remote desktop window for a device (agent desktop, or Intel AMT KVM).
  void open_desktop(const std::string& nodeid, DesktopKind kind, int display = 0);
  // The agent console of a device (a window; viewmode 15 in an embedded page).
  void open_console(const std::string& nodeid);
  struct ConsoleInfo {
    std::string nodeid, text;
    bool waiting = false;
  };
  std::vector<ConsoleInfo> consoles() const;
  struct DesktopInfo {
    std::string nodeid, status;
    DesktopKind kind = DesktopKind::kAgent;
    bool ready = false;
    int width = 0, height = 0;
    unsigned updates = 0;
    std::array<float, 4> screen{};  // where the remote screen is drawn (framebuffer pixels)
    bool fullscreen = false;
    std::string clipboard;  // the remote clipboard's text, as last received
    unsigned clipboard_changes = 0;
    int display = 0;                                  // the display shown (agents: 0 = all)
    std::vector<std::pair<int, std::string>> displays;  // what the agent offers (id, name)
  };
  std::vector<DesktopInfo> desktops() const;
  // A remote desktop has the keyboard: the platform keeps the browser's own shortcuts from it.
  bool desktop_has_keyboard() const;
  // Full screen for a remote desktop: the platform asks the browser (true) or leaves (false), and
  // reports when the browser left on its own (Esc).
  void set_fullscreen_port(std::function<void(bool on)> port) { fullscreen_port_ = std::move(port); }
  void on_fullscreen_changed(bool on);
  struct TerminalInfo {
    std::string nodeid, status, text;
    bool ready = false;
    std::string copied;  // what its last selection copied
    std::array<float, 4> screen{};  // where its cells are drawn
    int cols = 0, rows = 0;
    std::size_t find_count = 0;  // matches of the find bar's query
    int find_current = -1;
  };
  std::vector<TerminalInfo> terminals() const;
  // Screen rectangles (x, y, w, h in framebuffer pixels) of the last frame's action buttons, by
  // name ("terminal:<device name>"): tests click what a person would.
  const ItemRects& buttons() const { return buttons_; }
  // The icon kind (1..8) each device's My Devices row showed in the last frame, by device id.
  const std::map<std::string, int>& drawn_icons() const { return drawn_icons_; }
  void set_mono_font(ImFont* f) { mono_ = f; }
  // The Add Agent dialog's install command ("" when the dialog is closed).
  std::string add_agent_command() const;
  // The Add Intel AMT device dialog's CIRA settings as shown, and its last answer (tests).
  struct AmtDialogInfo {
    std::string mps, mps_user, root_sha384, result;
    std::string scan_result;
    std::vector<std::string> found;  // "address version", then " tls" when found on the TLS port
    std::string host;                // the Address field
    bool tls = false;                // the TLS check box
  };
  AmtDialogInfo add_amt_info() const;

  Connection connection() const { return connection_; }
  const std::optional<proto::ServerInfo>& server_info() const { return info_; }
  const std::optional<proto::UserInfo>& user() const { return user_; }
  const std::map<std::string, proto::DeviceGroup>& groups() const { return groups_; }
  const std::map<std::string, proto::Device>& devices() const { return devices_; }
  // The server ended the session (logged out elsewhere, account locked or removed): the
  // platform sends the browser back to the login page.
  bool needs_login() const { return needs_login_; }
  // Characters the font atlas lacks, collected from the text the app receives and draws (the
  // platform fetches the fallback font and rebuilds the atlas; see glyph_needs.hpp).
  GlyphNeeds& glyphs() { return glyphs_; }
  // Increments whenever the visible state changes (the platform redraws and reports to tests).
  unsigned revision() const { return revision_; }
  // Increments when only remote content changed (terminal output, a desktop update, transfer
  // progress): one frame redraws it, where a state change takes a few to settle the layout.
  unsigned content_revision() const { return content_revision_; }

 private:
  void send(std::string_view action);
  void on_event(const proto::Event& e);
  void draw_header(float width);
  void draw_devices(float width, float height);
  void draw_tabs();
  void draw_main(float width, float height);
  void draw_account_tab();
  void draw_account_email();
  void draw_files_tab();
  void apply_viewmode();
  void draw_terminals();
  void draw_desktops();
  void update_fullscreen(float width, float height);
  void leave_fullscreen();
  void draw_files();
  struct RelaySend {
    std::function<void(std::string_view)> binary, text;
  };
  RelaySend relay_sender(std::shared_ptr<int> handle);
  std::string device_name(const std::string& nodeid) const;
  template <class View>
  void start_session(std::vector<Session<View>>& list, std::unique_ptr<View> view, const std::shared_ptr<int>& handle);
  template <class View, class Draw>
  void draw_sessions(std::vector<Session<View>>& list, Draw draw);
  void draw_add_agent();
  void draw_consoles();
  void draw_add_amt();
  void draw_power_menu(const proto::Device& d, const std::string& where);
  void draw_session_buttons(const proto::Device& d, const std::string& where);
  void draw_device_pages();
  void draw_ider(const proto::Device& d);
  IderPanel* ider(const std::string& nodeid);
  void draw_account_menu(float right);
  void draw_password_dialog();
  void open_password_dialog();
  void draw_edit_device();
  void draw_icon_picker(const proto::Device& d);
  DevicePage* device_page(const std::string& nodeid);
  void send_json(const nlohmann::json& request);
  void draw_single_view(float width, float height, float top);
  const proto::Device* embedded_device() const;
  void draw_power_confirm();
  void draw_uninstall_confirm();
  bool action_button(const char* label, const std::string& id, const std::string& test_name);

  std::function<void(std::string)> send_;
  std::function<void(const std::string&)> copy_;
  Connection connection_ = Connection::kConnecting;
  std::string detail_;
  std::optional<proto::ServerInfo> info_;
  std::optional<proto::UserInfo> user_;
  std::map<std::string, proto::DeviceGroup> groups_;  // by id
  std::map<std::string, proto::Device> devices_;      // by id
  std::string filter_;
  bool needs_login_ = false;
  unsigned revision_ = 0;
  unsigned content_revision_ = 0;
  int bad_messages_ = 0;
  RelayPort relays_;
  std::vector<Session<TerminalView>> terminals_;
  std::vector<InputEvent> input_;
  std::vector<Session<DesktopView>> desktops_;
  std::vector<Session<ConsoleView>> consoles_;  // no relay (handle 0): the control channel carries them
  std::vector<Session<FilesView>> files_;
  std::vector<Session<IderPanel>> iders_;  // one per device at most, its device page's
  FilePort file_port_;
  std::string picker_;  // the device (or storage) whose Files window asked for a file
  std::vector<KeyEvent> keys_;
  TexturePort textures_;
  ItemRects buttons_;
  std::map<std::string, int> drawn_icons_;
  GlyphNeeds glyphs_;
  ImFont* mono_ = nullptr;
  std::string add_agent_group_;  // the group whose Add Agent dialog is open
  struct Invite {  // Add Agent's "invite by email" (inviteAgent), when the server sends mail
    std::array<char, 256> email{}, name{};
    std::array<char, 2048> note{};
    std::string result;  // the server's answer ("" while none)
  } invite_;
  struct AddAmt {
    std::string group;  // the group whose Add Intel AMT device dialog is open
    std::array<char, 256> name{}, host{}, user{}, pass{};
    std::string result;
    bool added = false;
    bool cira_loaded = false, show_pass = false;
    std::string cira_error, mps, mps_user, mps_pass, root_sha384;
    std::array<char, 64> range{};  // Scan network
    bool scanning = false;
    std::string scan_result;
    std::vector<proto::AmtScan::Found> found;
    bool tls = false;  // Intel AMT configured for TLS (16993/16995)
  } add_amt_;
  std::vector<std::unique_ptr<DevicePage>> pages_;
  std::string raise_page_;  // the page to bring to the front at the next draw
  struct EditDevice {
    std::string nodeid, name, desc, tags;
    bool amt_tls = false;     // Intel AMT devices: reached over TLS
    bool trust_cert = false;  // forget the pinned certificate (pin the one it presents next)
    int icon = 0;             // the icon last chosen in the picker (0: none chosen yet)
    std::string result;       // the server's last answer to a change ("ok" or why not)
  } edit_;
  bool edit_open_ = false;
  std::string navigate_to_;
  bool events_stale_ = false, users_stale_ = false;  // an open list waits for the next tick
  bool groups_stale_ = false;  // a group event: account, groups and devices reload at the next tick
  std::optional<std::vector<proto::EventList::Item>> all_events_;  // nullopt: loading
  bool password_open_ = false, password_popup_ = false;
  std::array<char, 256> old_pass_{}, new_pass_{}, new_pass2_{};
  std::string password_result_;
  std::array<char, 256> email_edit_{};  // My Account: the address being typed
  std::string email_sent_to_;           // the address of the last change or verification request
  std::string email_result_;
  Embedding embed_;
  bool embed_opened_ = false;
  std::pair<std::string, int> power_confirm_;  // device and poweraction type awaiting confirmation
  std::string uninstall_confirm_;              // device whose agent's uninstall awaits confirmation
  Tab tab_ = Tab::kDevices;
  bool viewmode_applied_ = false;
  double now_ = 0;  // the platform's clock at the last tick
  UsersPanel users_panel_;
  ServerPanel server_panel_;
  GroupPanel group_panel_;
  BulkActions bulk_;  // My Devices' selection and what it runs
  MessageDialog message_;  // "Message..." for the people at devices
  std::string fullscreen_;  // the desktop shown full screen ("": none)
  std::function<void(bool)> fullscreen_port_;
};

// Installs Meshwork's ImGui style (colours, rounding, spacing) scaled by `scale`.
void apply_theme(float scale);

}  // namespace mw::web
