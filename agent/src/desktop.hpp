// The local desktop served as RFB to relay viewers. One implementation per platform
// (desktop_x11.cpp: Xlib capture with MIT-SHM, change detection in 64×64 tiles, encoding by
// libvncserver, input with XTest). All viewers of a display share one capture and one RFB server;
// libvncserver keeps, per viewer, only the region that changed and sends the current pixels when
// that viewer asks, so a slow viewer gets the latest screen, never a backlog of frames. A display,
// once opened, stays open for the agent's life; its capture rests while nobody watches. Each
// monitor a viewer picks gets its own RFB server (framebuffer of the monitor's size) fed by the
// same capture.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace mw::agent {

// What a viewer may choose: 0 is the whole screen, 1.. each monitor (X11: RandR 1.5 monitors, in
// the X server's order).
struct DisplayInfo {
  int id = 0;
  std::string name;
  int x = 0, y = 0, width = 0, height = 0;
  bool primary = false;
};

// What a viewer's input may do (the relay's rights, proto::agent::Tunnel):
//  - kFull: pointer, keys and clipboard;
//  - kLimited ("limited input"): the pointer; keys only as rfb::limited_input_key() allows
//    (letters, digits, Enter, Backspace); its clipboard text is ignored (it still receives the
//    desktop's);
//  - kViewOnly: pointer, keys and clipboard are ignored, and it receives no clipboard.
enum class ViewerInput { kFull, kLimited, kViewOnly };

class Desktop {
 public:
  // The shared desktop of `display` (X11: ":0"; "" = $DISPLAY, else ":0"). Throws
  // std::runtime_error with a clear message when the display cannot be opened or is unsupported.
  static std::shared_ptr<Desktop> open(const std::string& display);
  virtual ~Desktop() = default;
  // The displays as they are now.
  virtual std::vector<DisplayInfo> displays() = 0;
  // A new viewer of display `display` (an id of displays()): one end of a socket pair whose other
  // end libvncserver serves (RFB 3.8 from the first byte), with a framebuffer of that display's
  // size. The caller owns the descriptor; closing it ends the viewer. Throws std::runtime_error
  // for a display that does not exist.
  virtual int add_viewer(ViewerInput input, int display) = 0;
};

}  // namespace mw::agent
