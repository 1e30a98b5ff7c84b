// Administration views of the browser app, MeshCentral's tabs and dialogs: My Users (accounts
// and their site rights), My Server (the server's figures), and device group administration
// (create, edit, delete, members and their rights). Each panel keeps its own state, sends its
// requests through a Send function and is fed the answers by the App; the server checks every
// right again, so what a panel hides is for clarity, not security.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mw/proto/admin.hpp"
#include "mw/proto/control.hpp"
#include "window_pin.hpp"

namespace mw::web {

using Send = std::function<void(const nlohmann::json&)>;

// One named bit of a rights mask, as MeshCentral's dialogs label them.
struct RightBit {
  std::uint32_t bit;
  const char* label;
};
extern const std::vector<RightBit> kSiteRightBits;
extern const std::vector<RightBit> kGroupRightBits;
// "Full administrator", or the labels of the bits set (", "-separated), or `none`.
std::string rights_summary(std::uint32_t rights, const std::vector<RightBit>& bits, const char* none);
// Checkboxes for a rights mask: "Full administrator" first, then each bit. Returns true on change.
bool draw_rights_editor(std::uint32_t& rights, const std::vector<RightBit>& bits, const std::string& test_prefix,
                        ItemRects& buttons, std::uint32_t allowed = 0xFFFFFFFF);

// A fixed-size text field's buffer (ImGui edits in place); cleared when dropped.
struct TextField {
  std::array<char, 256> buf{};
  std::string text() const { return buf.data(); }
  void set(const std::string& s);
  void clear() { buf.fill('\0'); }
};

// My Users: every account of the domain, add, edit site rights, reset password at next login,
// lock, delete (with confirmation). Shown to users with the "manage users" site right.
class UsersPanel {
 public:
  void load(const Send& send);  // (re)requests the list
  void on_list(std::vector<proto::Account> users) { users_ = std::move(users); }
  // An answer to one of this panel's requests (adduser, edituser, deleteuser).
  void on_result(const proto::ActionResult& r, const Send& send);
  void draw(const Send& send, ItemRects& buttons, const std::string& self_id, std::uint32_t self_rights);
  const std::optional<std::vector<proto::Account>>& users() const { return users_; }
  const std::string& message() const { return message_; }

 private:
  void draw_add(const Send& send, ItemRects& buttons, std::uint32_t self_rights);
  void draw_edit(const Send& send, ItemRects& buttons, std::uint32_t self_rights, const std::string& self_id);
  void draw_delete(const Send& send, ItemRects& buttons);

  std::optional<std::vector<proto::Account>> users_;  // nullopt: loading
  TextField filter_;
  std::string message_;  // the last answer, for people
  bool message_ok_ = false;
  struct Add {
    bool open = false, popup = false, done = false;  // done: created, the dialog closes
    TextField name, email, pass;
    bool reset = false;
    std::uint32_t rights = 0;
  } add_;
  struct Edit {
    std::string userid, name;
    bool popup = false;
    TextField email, realname;
    std::uint32_t rights = 0;
    bool reset = false;
  } edit_;
  std::string delete_;  // the account awaiting confirmation
};

// My Server: version, uptime, memory, load and connections; reloads every 5 s while shown.
class ServerPanel {
 public:
  void load(const Send& send, double now);
  void on_stats(proto::ServerStats s) { stats_ = std::move(s); }
  void on_refused(std::string why) { refused_ = std::move(why); }
  // Called about once a second while the panel shows: asks again when the figures are 5 s old.
  void tick(const Send& send, double now);
  void draw(const std::optional<proto::ServerInfo>& info);
  const std::optional<proto::ServerStats>& stats() const { return stats_; }

 private:
  std::optional<proto::ServerStats> stats_;
  std::string refused_;
  double asked_ = -1e9;
};

// Device group administration: "New device group" and each group's settings window (name,
// description, members and their rights, delete).
class GroupPanel {
 public:
  void open_new() { new_ = New{}; new_.open = true; }
  void open_settings(const std::string& meshid) { settings_ = meshid; members_add_ = {}; delete_confirm_ = false; message_.clear(); }
  void on_result(const proto::ActionResult& r);
  // `me`: the viewer (site rights, rights per group from userinfo's links).
  void draw(const Send& send, ItemRects& buttons, const std::map<std::string, proto::DeviceGroup>& groups,
            const std::map<std::string, proto::Device>& devices, const proto::UserInfo& me);
  const std::string& settings_group() const { return settings_; }
  const std::string& message() const { return message_; }

 private:
  void draw_new(const Send& send, ItemRects& buttons);
  std::string settings_;  // the group whose settings window is open
  struct New {
    bool open = false, popup = false, done = false;
    TextField name, desc;
    int mtype = 2;
  } new_;
  struct MembersAdd {
    TextField username;
    std::uint32_t rights = 8;  // remote control, MeshCentral's default choice
  } members_add_;
  TextField edit_name_, edit_desc_;
  std::string edit_loaded_;  // the group whose name/description the fields hold
  std::string loaded_name_, loaded_desc_;  // what they held when loaded
  bool delete_confirm_ = false;
  std::string message_;
};

}  // namespace mw::web
