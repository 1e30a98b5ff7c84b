// Which device-group rights open which remote session, in one place for the agent relay
// (agents/mesh_relay.cpp) and the Intel AMT relay (amt/amt_relay.cpp). The rights matrix test
// (tests/server/accounts/rights_matrix_test.cpp) checks every bit against every kind of session.
#pragma once

#include <cstdint>

#include "accounts/rights.hpp"

namespace mw::server::accounts {

enum class RelayKind { kAgentTerminal, kAgentDesktop, kAgentFiles, kAmtSol, kAmtKvm };

struct RelayRight {
  bool allowed = false;
  bool view_only = false;          // agent desktop: the agent ignores this viewer's input
  bool refused_view_only = false;  // Intel AMT KVM refused only because of "view only"
};

// Remote control is the right every session needs; the "no terminal / files / desktop / Intel
// AMT" bits take a kind away again, except from a full administrator of the group (every bit set),
// as in MeshCentral. View only limits the agent desktop (the agent drops that viewer's input) and
// shuts the Intel AMT KVM (see below).
constexpr RelayRight relay_right(std::uint32_t rights, RelayKind kind) {
  using namespace mesh_right;
  if (!has_all(rights, kRemoteControl)) return {};
  const bool full = rights == kFull;
  if (!full) {
    const bool amt = kind == RelayKind::kAmtSol || kind == RelayKind::kAmtKvm;
    const std::uint32_t denied = kind == RelayKind::kAgentTerminal || kind == RelayKind::kAmtSol ? kNoTerminal
                                 : kind == RelayKind::kAgentFiles                               ? kNoFiles
                                                                                                : kNoDesktop;
    if (has_all(rights, denied) || (amt && has_all(rights, kNoAmt))) return {};
    // The Intel AMT relay passes the viewer's RFB to the device as it comes and cannot hold its
    // input back, so "view only" cannot be kept there: refused rather than given control.
    if (kind == RelayKind::kAmtKvm && has_all(rights, kViewOnly)) return {false, false, true};
  }
  return {true, kind == RelayKind::kAgentDesktop && !full && has_all(rights, kViewOnly), false};
}

}  // namespace mw::server::accounts
