// Shell commands the server asks an agent to run (MeshCentral's "runcommands"). One
// implementation per platform (commands_linux.cpp: /bin/sh -c).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <string>

namespace mw::agent {

inline constexpr std::size_t kMaxCommandOutput = 1u << 20;  // more is cut, with a note
inline constexpr int kCommandTimeoutSeconds = 120;          // then the command is killed

// Runs `cmds` off the I/O thread (as the agent's account, in its home folder) and calls `done`
// on `ex` with stdout and stderr together and the exit code (-1 when it could not start or was
// killed at the time limit).
void run_commands(boost::asio::any_io_executor ex, std::string cmds, std::function<void(std::string, int)> done);

}  // namespace mw::agent
