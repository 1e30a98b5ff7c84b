// A remote desktop in the app: an agent's X display (relay protocol 2, /meshrelay.ashx, served by
// the agent's libvncserver) or an Intel AMT computer's KVM (/amtrelay.ashx?p=kvm). Both are RFB
// from the first byte; shared/rfb's Client decodes it into an RGBA framebuffer, and the view
// uploads only the rectangles each update changed to one texture (through the platform's
// TexturePort), draws it scaled to fit or 1:1, and sends the pointer and keys back (keysyms from
// KeyboardEvent.key/code, see mw/rfb/keyboard.hpp). Platform-free: no GL, no sockets.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "mw/rfb/client.hpp"
#include "mw/rfb/keyboard.hpp"
#include "window_pin.hpp"

namespace mw::web {

enum class DesktopKind { kAgent, kIntelAmt };

// A browser keydown/keyup, queued by the platform in the order it came.
struct KeyEvent {
  bool down = true;
  std::string key;   // KeyboardEvent.key
  std::string code;  // KeyboardEvent.code
};

// Textures the platform owns (WebGL in the browser). Ids are ImTextureIDs; 0 means none.
struct TexturePort {
  std::function<std::uintptr_t(int width, int height)> create;
  // Copies `area` of the framebuffer (RGBA, rows of fb.width() pixels) into the texture.
  std::function<void(std::uintptr_t id, const rfb::Framebuffer& fb, const rfb::Rect& area)> update;
  std::function<void(std::uintptr_t id)> destroy;
};

class DesktopView {
 public:
  struct Sender {
    std::function<void(std::string_view bytes)> binary;
    std::function<void(const std::string& text)> copy;  // to the browser's clipboard
  };
  // `display`: agents only, 0 the whole screen, 1.. one monitor (from the agent's list).
  DesktopView(std::string nodeid, std::string device_name, DesktopKind kind, Sender sender, const TexturePort* textures,
              int display = 0);
  ~DesktopView();
  DesktopView(const DesktopView&) = delete;
  DesktopView& operator=(const DesktopView&) = delete;

  std::string relay_path() const;
  void on_message(bool binary, std::string_view data);
  void on_closed(std::string reason);

  // Draws the window; when it has the keyboard focus, sends `keys`. False once the user closed it.
  bool draw(const std::vector<KeyEvent>& keys, ItemRects* buttons = nullptr);

  const std::string& nodeid() const { return nodeid_; }
  DesktopKind kind() const { return kind_; }
  int display() const { return display_; }
  // What the agent offers (its first message): id 0 the whole screen, then the monitors.
  struct DisplayChoice {
    int id = 0;
    std::string name;
    int width = 0, height = 0;
  };
  const std::vector<DisplayChoice>& displays() const { return displays_; }
  // The display list's choice of another display, to open in its own window (taken once).
  std::optional<int> take_display_request() { return std::exchange(display_request_, std::nullopt); }
  bool ready() const { return client_.running(); }
  bool closed() const { return state_ == State::kClosed; }
  bool focused() const { return focused_; }
  const std::string& status() const { return status_; }
  int width() const { return client_.framebuffer().width(); }
  int height() const { return client_.framebuffer().height(); }
  unsigned updates() const { return updates_; }
  // Where the last frame drew the remote screen (x, y, w, h in framebuffer pixels of the page).
  const std::array<float, 4>& screen_rect() const { return screen_rect_; }
  unsigned revision() const { return revision_; }
  // Sends the release of every key held on the remote side.
  void release_keys();

  // Clipboard (agent desktops; Intel AMT KVM has none): text the browser pasted (its paste event,
  // which Ctrl+V in the desktop raises before the keys reach the remote side) becomes the remote
  // clipboard; the remote clipboard's text is kept, shown in the Clipboard panel and, while "copy
  // automatically" is on, copied to the browser's clipboard as it changes.
  void paste(std::string_view text);
  bool has_clipboard() const { return kind_ == DesktopKind::kAgent; }
  const std::string& remote_clipboard() const { return remote_clipboard_; }
  unsigned clipboard_changes() const { return clipboard_changes_; }
  // Brings the window to the front with the keyboard focus at the next draw.
  void raise() { raise_ = true; }

  // Image quality for agents (Tight with JPEG); Intel AMT sends what it sends.
  enum class Quality { kLossless, kHigh, kMedium, kLow };

  // Pins the window to a rectangle of the page (embedded single view); nullopt unpins.
  void pin(std::optional<WindowPin> p) { pin_ = p; }

  // Full screen: the toolbar's button asks (taken once by the App, which pins the view over the
  // whole page and asks the browser for full screen); set_fullscreen tells the view which it is.
  bool take_fullscreen_request() { return std::exchange(fullscreen_request_, false); }
  void set_fullscreen(bool on);
  bool fullscreen() const { return fullscreen_; }

 private:
  enum class State { kConnecting, kRunning, kClosed };
  void handle(rfb::ClientOutput out);
  void upload();
  void send_keys(const std::vector<KeyEvent>& keys);
  void send_pointer(int x, int y, std::uint8_t buttons);
  void set_quality(Quality q);
  void draw_toolbar(ItemRects* buttons);
  void draw_clipboard(ItemRects* buttons);
  void draw_screen();

  std::string nodeid_, name_;
  DesktopKind kind_;
  int display_ = 0;
  std::string key_;  // name_, and the display when not the whole screen (test hooks, window id)
  std::vector<DisplayChoice> displays_;
  std::optional<int> display_request_;
  Sender sender_;
  const TexturePort* textures_;
  rfb::Client client_;
  rfb::KeyTracker keys_;
  State state_ = State::kConnecting;
  std::string status_ = "Connecting…";
  std::string remote_name_;  // the desktop's name from ServerInit
  std::uintptr_t texture_ = 0;
  int texture_w_ = 0, texture_h_ = 0;
  std::vector<rfb::Rect> dirty_;
  bool whole_dirty_ = false;
  // The remote cursor (Cursor pseudo-encoding): drawn at the local pointer over the screen.
  std::uintptr_t cursor_texture_ = 0;
  int cursor_w_ = 0, cursor_h_ = 0, hot_x_ = 0, hot_y_ = 0;
  std::optional<rfb::Framebuffer> pending_cursor_;
  bool fit_ = true;
  bool view_only_ = false;
  bool view_only_locked_ = false;  // the server limits this viewer to watching
  bool limited_input_ = false;     // the server passes only the pointer and a few keys
  Quality quality_ = Quality::kLossless;
  int last_x_ = -1, last_y_ = -1;
  std::uint8_t last_buttons_ = 0;
  bool open_ = true;
  bool raise_ = true;  // a new window takes the focus
  bool focused_ = false;
  unsigned updates_ = 0;
  unsigned revision_ = 0;
  std::array<float, 4> screen_rect_{};
  std::optional<WindowPin> pin_;
  bool fullscreen_ = false, fullscreen_request_ = false;
  std::string remote_clipboard_;
  unsigned clipboard_changes_ = 0;
  bool auto_copy_ = true;
  std::vector<char> clip_edit_ = std::vector<char>(16384);  // the panel's text to send (NUL-terminated)
  bool restore_ = false;             // back from full screen: the window's place before it
  ImVec2 saved_pos_{}, saved_size_{};
};

}  // namespace mw::web
