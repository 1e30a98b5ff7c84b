// Rights, with MeshCentral's bit values so its databases, its meshctrl tool and its users' habits
// carry over. Device-group rights sit in a user's "links" ({ "mesh/<d>/<id>": { "rights": N } })
// and in the group's own "links"; site rights in the user's "siteadmin".
//
// Every control action names the right it needs in one table (kPolicies, policy.cpp) and the
// dispatcher checks it before the action runs; handlers never test rights on their own except
// for per-target checks the table delegates to them (each device of a multi-device action).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mw::server::accounts {

// Device group (mesh) rights.
namespace mesh_right {
inline constexpr std::uint32_t kEditGroup = 1;           // rename, describe, delete the group
inline constexpr std::uint32_t kManageUsers = 2;         // add / remove users of the group
inline constexpr std::uint32_t kManageDevices = 4;       // edit, move, delete devices
inline constexpr std::uint32_t kRemoteControl = 8;       // desktop, terminal, files
inline constexpr std::uint32_t kAgentConsole = 16;
inline constexpr std::uint32_t kServerFiles = 32;
inline constexpr std::uint32_t kWake = 64;
inline constexpr std::uint32_t kNotes = 128;
inline constexpr std::uint32_t kViewOnly = 256;          // desktop without input
inline constexpr std::uint32_t kNoTerminal = 512;
inline constexpr std::uint32_t kNoFiles = 1024;
inline constexpr std::uint32_t kNoAmt = 2048;
inline constexpr std::uint32_t kLimitedInput = 4096;
inline constexpr std::uint32_t kLimitEvents = 8192;      // sees only its own events
inline constexpr std::uint32_t kChatNotify = 16384;
inline constexpr std::uint32_t kUninstall = 32768;
inline constexpr std::uint32_t kNoDesktop = 65536;
inline constexpr std::uint32_t kRemoteCommands = 131072;
inline constexpr std::uint32_t kResetPowerOff = 262144;  // power actions
inline constexpr std::uint32_t kFull = 0xFFFFFFFF;
}  // namespace mesh_right

// Site (server-wide) rights in "siteadmin".
namespace site_right {
inline constexpr std::uint32_t kBackup = 1;
inline constexpr std::uint32_t kManageUsers = 2;
inline constexpr std::uint32_t kRestore = 4;
inline constexpr std::uint32_t kFileAccess = 8;
inline constexpr std::uint32_t kUpdate = 16;
inline constexpr std::uint32_t kLocked = 32;        // account locked: may not log in
inline constexpr std::uint32_t kNoNewGroups = 64;   // may not create device groups
inline constexpr std::uint32_t kNoTools = 128;
inline constexpr std::uint32_t kUserGroups = 256;
inline constexpr std::uint32_t kRecordings = 512;
inline constexpr std::uint32_t kLockSettings = 1024;
inline constexpr std::uint32_t kAllEvents = 2048;
inline constexpr std::uint32_t kNoNewDevices = 4096;
inline constexpr std::uint32_t kFull = 0xFFFFFFFF;  // full administrator
}  // namespace site_right

// Whom an action concerns, and so which rights the dispatcher checks.
enum class Scope : std::uint8_t {
  kSelf,        // the caller's own account or data: any logged-in user
  kSite,        // needs every bit of `right` in the caller's siteadmin
  kCreateMesh,  // any user without kNoNewGroups
  kMesh,        // needs every bit of `right` on the group named by meshid / meshname
  kMeshView,    // any right on the named group (or, with no group named, the caller's groups)
  kNodes,       // needs `right` on the group of each device named (nodeid / nodeids)
};

struct Policy {
  std::string_view action;
  Scope scope;
  std::uint32_t right;  // meaning depends on scope
};

// The policy of a control action; nullopt for an action the server does not offer.
std::optional<Policy> policy_for(std::string_view action);

// True when `have` contains all bits of `need` (kFull contains everything).
constexpr bool has_all(std::uint32_t have, std::uint32_t need) { return (have & need) == need; }

}  // namespace mw::server::accounts
