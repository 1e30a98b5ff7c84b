// Which device-group rights open which remote session, in one place for the agent relay
// (agents/mesh_relay.cpp) and the Intel AMT relay (amt/amt_relay.cpp). The rights matrix test
// (tests/server/accounts/rights_matrix_test.cpp) checks every bit against every kind of session.
#pragma once

#include <cstdint>

#include "accounts/rights.hpp"

namespace mw::server::accounts {

// kAmtIder: Intel AMT's IDE redirection (disk images from the server's files), which MeshCentral
// grants with remote control alone.
enum class RelayKind { kAgentTerminal, kAgentDesktop, kAgentFiles, kAmtSol, kAmtKvm, kAmtIder };

struct RelayRight {
  bool allowed = false;
  // Desktops: this viewer only watches. The agent drops the viewer's input; the Intel AMT relay
  // filters it out of the RFB stream (shared/rfb view_only.hpp).
  bool view_only = false;
  // Desktops: this viewer may point, and type only letters, digits, Enter and Backspace (no
  // modifiers, no clipboard). The agent filters its libvncserver input; the Intel AMT relay the
  // RFB stream (InputFilter::Mode::kLimitedInput). View only wins over it.
  bool limited_input = false;
};

// Remote control is the right every session needs; the "no terminal / files / desktop / Intel
// AMT" bits take a kind away again, except from a full administrator of the group (every bit set),
// as in MeshCentral. View only limits both desktops (agent and Intel AMT KVM) to watching, limited
// input to the pointer and a few keys.
constexpr RelayRight relay_right(std::uint32_t rights, RelayKind kind) {
  using namespace mesh_right;
  if (!has_all(rights, kRemoteControl)) return {};
  const bool full = rights == kFull;
  if (!full) {
    const bool amt = kind == RelayKind::kAmtSol || kind == RelayKind::kAmtKvm || kind == RelayKind::kAmtIder;
    const std::uint32_t denied = kind == RelayKind::kAgentTerminal || kind == RelayKind::kAmtSol ? kNoTerminal
                                 : kind == RelayKind::kAgentFiles                               ? kNoFiles
                                 : kind == RelayKind::kAmtIder                                  ? 0
                                                                                                : kNoDesktop;
    if ((denied != 0 && has_all(rights, denied)) || (amt && has_all(rights, kNoAmt))) return {};
  }
  const bool desktop = kind == RelayKind::kAgentDesktop || kind == RelayKind::kAmtKvm;
  const bool view_only = desktop && !full && has_all(rights, kViewOnly);
  return {true, view_only, desktop && !full && !view_only && has_all(rights, kLimitedInput)};
}

}  // namespace mw::server::accounts
