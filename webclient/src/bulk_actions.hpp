// Actions on several devices at once (My Devices' check boxes, as MeshCentral's multi-select):
// Intel AMT power actions, run a shell command on agents and read each device's output, a message
// for the people at them (App's MessageDialog), move to another group, delete. The server checks the right per device and skips the others, as
// MeshCentral does; the panel shows what it answered.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "admin_views.hpp"
#include "mw/proto/admin.hpp"
#include "mw/proto/control.hpp"

namespace mw::web {

class BulkActions {
 public:
  bool selected(const std::string& nodeid) const { return ids_.count(nodeid) != 0; }
  void set(const std::string& nodeid, bool on);
  std::size_t count() const { return ids_.size(); }
  const std::set<std::string>& ids() const { return ids_; }
  // Forgets devices that are gone (removed, or moved out of this user's sight).
  void prune(const std::map<std::string, proto::Device>& devices);

  // The bar over the groups while devices are selected; dialogs it opened.
  void draw_toolbar(ItemRects& buttons, const std::map<std::string, proto::Device>& devices);
  void draw_dialogs(const Send& send, ItemRects& buttons, const std::map<std::string, proto::Device>& devices,
                    const std::map<std::string, proto::DeviceGroup>& groups);

  void on_command_output(const proto::CommandOutput& out);
  void on_result(const proto::ActionResult& r);  // removedevices, changeDeviceMesh, poweraction

  struct Output {
    std::string text;
    int exitcode = 0;
    bool finished = false;
  };
  // The last command's output by device id (tests read it through the page hook).
  const std::map<std::string, Output>& outputs() const { return outputs_; }
  const std::string& message() const { return message_; }
  // "Message..." was pressed: the app opens its MessageDialog for the selection (once).
  bool take_message_request() { return std::exchange(message_request_, false); }

 private:
  std::set<std::string> ids_;
  int power_ = 0;  // poweraction type awaiting confirmation
  bool delete_ = false, move_ = false, run_ = false;
  bool popup_ = false;
  bool message_request_ = false;
  std::string move_to_;
  std::array<char, 4096> command_{};
  std::map<std::string, Output> outputs_;
  std::string message_;
};

}  // namespace mw::web
