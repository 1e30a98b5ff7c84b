// The one table of rights per control action (see rights.hpp).
#include <array>

#include "accounts/rights.hpp"

namespace mw::server::accounts {

namespace {
using enum Scope;
constexpr std::array kPolicies{
    Policy{"serverinfo", kSelf, 0},
    Policy{"userinfo", kSelf, 0},
    Policy{"changepassword", kSelf, 0},
    Policy{"changeemail", kSelf, 0},
    Policy{"verifyemail", kSelf, 0},
    Policy{"serverstats", kSelf, 0},  // backup, restore or update site rights: checked by the handler
    Policy{"users", kSite, site_right::kManageUsers},
    Policy{"adduser", kSite, site_right::kManageUsers},
    Policy{"edituser", kSite, site_right::kManageUsers},
    Policy{"deleteuser", kSite, site_right::kManageUsers},
    Policy{"meshes", kSelf, 0},  // lists only the caller's groups
    Policy{"createmesh", kCreateMesh, 0},
    Policy{"deletemesh", kMesh, mesh_right::kEditGroup},
    Policy{"editmesh", kMesh, mesh_right::kEditGroup},
    Policy{"addmeshuser", kMesh, mesh_right::kManageUsers},
    Policy{"removemeshuser", kMesh, mesh_right::kManageUsers},
    Policy{"nodes", kMeshView, 0},
    Policy{"changedevice", kNodes, mesh_right::kManageDevices},
    Policy{"getNotes", kSelf, 0},  // per subject, by the handler: see do_getnotes (notes, edit group, manage users)
    Policy{"setNotes", kSelf, 0},
    Policy{"getsysinfo", kNodes, 0},  // any right on the device's group
    Policy{"removedevices", kNodes, mesh_right::kManageDevices},
    Policy{"changeDeviceMesh", kNodes, mesh_right::kManageDevices},  // on both groups
    Policy{"events", kSelf, 0},  // filtered by what the caller may see
    Policy{"ciraconfig", kMesh, mesh_right::kEditGroup},  // shows the MPS password
    Policy{"inviteAgent", kMesh, 0},  // any right on the group: its install command is shown to all who see it
    Policy{"addamtdevice", kMesh, mesh_right::kManageDevices},
    Policy{"scanamtdevice", kMesh, mesh_right::kManageDevices},  // probes a LAN range (amt_scanner.hpp)
    Policy{"poweraction", kNodes, mesh_right::kResetPowerOff},  // 302 (power on): kWake instead
    Policy{"amtinfo", kNodes, mesh_right::kRemoteControl},      // and not kNoAmt
    Policy{"runcommands", kNodes, mesh_right::kRemoteCommands},  // type 4 (agent console): kAgentConsole
    Policy{"msg", kNodes, mesh_right::kAgentConsole},            // type "console"; "messagebox": kChatNotify
    Policy{"toast", kNodes, mesh_right::kChatNotify},
    Policy{"uninstallagent", kNodes, mesh_right::kUninstall},
};
}  // namespace

std::optional<Policy> policy_for(std::string_view action) {
  for (const auto& p : kPolicies) {
    if (p.action == action) return p;
  }
  return std::nullopt;
}

}  // namespace mw::server::accounts
