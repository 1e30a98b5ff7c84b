// "Message..." for the people at devices (MeshCentral's notifications, the "chat and notify"
// right): a desktop notification ("toast", one request for every device) or a message box (one
// "msg" request per device, each answered "OK" or "Unable to route"). Opened from a device's page
// or from My Devices' selection; the server skips devices without the right.
#pragma once

#include <array>
#include <map>
#include <set>
#include <string>

#include "admin_views.hpp"
#include "mw/proto/control.hpp"

namespace mw::web {

class MessageDialog {
 public:
  void open(std::set<std::string> nodeids);
  void draw(const Send& send, ItemRects& buttons, const std::map<std::string, proto::Device>& devices);
  // Answers: a message box's per device (responseid "notify:<nodeid>"), a notification's for all
  // (nodeid "").
  void on_result(const std::string& nodeid, const std::string& result);
  bool is_open() const { return open_; }

 private:
  bool open_ = false, popup_ = false;
  std::set<std::string> ids_;
  bool box_ = false;  // message box, else notification
  std::array<char, 512> title_{};
  std::array<char, 4096> text_{};
  int timeout_s_ = 120;
  bool sent_ = false;
  std::map<std::string, std::string> results_;  // by device ("" for a notification)
};

}  // namespace mw::web
