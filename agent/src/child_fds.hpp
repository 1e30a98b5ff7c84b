// What a program the agent starts (a terminal's shell, run commands, a message box, systemctl)
// inherits: only its standard input, output and error. Asio opens its sockets without
// close-on-exec, so without this a user's shell would hold the agent's connection to the server
// and the other sessions' relays and terminals. Called in the child between fork and exec
// (close_range is a system call: async-signal-safe).
#pragma once

#include <unistd.h>

namespace mw::agent {

inline void close_inherited_fds() {
  if (::close_range(3, ~0U, 0) == 0) return;
  for (int fd = 3; fd < 65536; ++fd) ::close(fd);  // kernels before 5.9
}

}  // namespace mw::agent
