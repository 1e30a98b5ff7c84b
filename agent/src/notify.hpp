// Messages for the person at the device (proto::agent::Notify: MeshCentral's "toast" and message
// box, the "chat and notify" right). One implementation per platform (notify_linux.cpp).
//
// Linux, on the agent's X display (the settings' Display, else $DISPLAY, else ":0"):
//  - a message box is zenity's info dialog when zenity is installed, else xmessage (x11-utils);
//    it closes by itself after the timeout (0: when the person closes it);
//  - a toast goes to the desktop's notification service through notify-send when the agent knows
//    a D-Bus session bus ($DBUS_SESSION_BUS_ADDRESS); otherwise, or when notify-send fails, it is
//    a message box that closes after kToastSeconds.
// The texts reach the program as arguments or on its standard input, never through a shell, and
// zenity is told not to read markup. The program runs in its own session with its output
// discarded; a thread reaps it. At most kMaxOpenNotices are open at once: more are refused.
#pragma once

#include <string>

#include "mw/proto/agent.hpp"

namespace mw::agent {

inline constexpr int kMaxOpenNotices = 8;
inline constexpr int kToastSeconds = 10;

// Starts showing `n`; "" when a program was started, else why nothing is shown.
std::string show_notice(const proto::agent::Notify& n, const std::string& display);

}  // namespace mw::agent
