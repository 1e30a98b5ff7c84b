// The local desktop served as RFB to relay viewers. One implementation per platform
// (desktop_x11.cpp: Xlib capture with MIT-SHM, change detection in 64×64 tiles, encoding by
// libvncserver, input with XTest). All viewers of a display share one capture and one RFB server;
// libvncserver keeps, per viewer, only the region that changed and sends the current pixels when
// that viewer asks, so a slow viewer gets the latest screen, never a backlog of frames. A display,
// once opened, stays open for the agent's life; its capture rests while nobody watches.
#pragma once

#include <memory>
#include <string>

namespace mw::agent {

class Desktop {
 public:
  // The shared desktop of `display` (X11: ":0"; "" = $DISPLAY, else ":0"). Throws
  // std::runtime_error with a clear message when the display cannot be opened or is unsupported.
  static std::shared_ptr<Desktop> open(const std::string& display);
  virtual ~Desktop() = default;
  // A new viewer: one end of a socket pair whose other end libvncserver serves (RFB 3.8 from the
  // first byte). `view_only`: pointer and keys from this viewer are ignored. The caller owns the
  // descriptor; closing it ends the viewer.
  virtual int add_viewer(bool view_only) = 0;
};

}  // namespace mw::agent
