// "Disk redirection (IDE-R)" in a device's Intel AMT tab: the computer gets a CD-ROM and/or a
// floppy drive whose media are disk images from the user's own files on the server (My Files),
// as MeshCentral's server-side IDE-R. One relay (/amtrelay.ashx?p=ider) per session: the server
// lists the images, the person picks them and when Intel AMT shows the drives (next boot,
// graceful, now), and the server serves them; the panel shows the progress it reports. The
// session lasts while the relay is open: Stop closes it. Platform-free: the App opens the relay
// and feeds on_message / on_closed (messages read by ider_messages.hpp).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ider_messages.hpp"
#include "window_pin.hpp"

namespace mw::web {

class IderPanel {
 public:
  enum class State {
    kLoading,        // relay opening, images not listed yet
    kChoosing,       // the form: images and when to show them
    kConnecting,     // started: the server opens the images and Intel AMT's redirection port
    kAuthenticated,  // the server authenticated to Intel AMT
    kOpened,         // the IDE-R session is open; the drives are being enabled
    kShown,          // Intel AMT accepted the drives (shown now, gracefully, or at the next boot)
    kClosed,         // ended: by the server (reason), or stopped
  };

  // `send_text` carries the start request on the relay.
  IderPanel(std::string nodeid, std::function<void(std::string_view)> send_text);

  std::string relay_path() const;
  void on_message(bool binary, std::string_view data);
  void on_closed(std::string reason);
  // Stop (the App closes the relay): the session ends without an error.
  void on_stopped();

  const std::string& nodeid() const { return nodeid_; }
  State state() const { return state_; }
  bool closed() const { return state_ == State::kClosed; }
  static const char* state_name(State s);  // "loading", "choosing", ... (tests)
  // The status line as shown ("Drives shown to the computer", the reason it closed, ...).
  std::string status() const;
  const std::vector<IderImages::Image>& images() const { return images_; }
  const std::optional<IderProgress>& progress() const { return progress_; }
  const std::string& reason() const { return reason_; }
  // State changes (the layout settles in a few frames) and progress updates (one frame redraws).
  unsigned revision() const { return revision_; }
  unsigned updates() const { return updates_; }

  // What the section's buttons do (the App's part); an empty function hides its button.
  struct Actions {
    std::function<void()> start;       // opens a new session (Start IDE-R..., Check again)
    std::function<void()> stop;        // closes the relay (Stop IDE-R, Cancel)
    std::function<void()> open_files;  // My Files, where the images are uploaded
    std::function<void(int type)> power;  // an IDE-R boot power action (asks for confirmation)
  };
  // The form (choosing) or the session's state; `buttons` records what tests click.
  void draw(const Actions& actions, ItemRects& buttons);

 private:
  void choose_defaults();
  void draw_form(const Actions& actions, ItemRects& buttons);
  void draw_session(const Actions& actions, ItemRects& buttons);

  std::string nodeid_;
  std::function<void(std::string_view)> send_text_;
  State state_ = State::kLoading;
  std::vector<IderImages::Image> images_;
  std::optional<IderProgress> progress_;
  std::string reason_;
  bool stopped_ = false;   // closed by the person (Stop), not by the server
  bool reset_ = false;     // the computer reset the drives' IDE bus since they were shown
  unsigned revision_ = 0, updates_ = 0;
  // The form: indexes into images_ (-1: None), and when the drives are shown.
  int cdrom_ = -1, floppy_ = -1;
  IderStart start_ = IderStart::kNextBoot;
};

// The whole section: the panel of the device's session (or nullptr for none yet) under its
// title, with "Start IDE-R..." when there is no session running. `refused` disables that button
// and says why in its tooltip ("" when this account may use IDE-R). `device` names the button
// for tests ("ider-start:<device>").
void draw_ider_section(IderPanel* panel, const IderPanel::Actions& actions, const std::string& refused, const std::string& device,
                       ItemRects& buttons);

}  // namespace mw::web
