// The agent console (MeshCentral's "Console" tab of a device, relayed as runcommands type 4): a
// few commands the agent answers about itself. It never runs a shell or changes anything: running
// programs is the remote commands right's business (commands.hpp), files the files relay's.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "mw/proto/agent.hpp"

namespace mw::agent {

struct ConsoleContext {
  const proto::agent::Settings* settings = nullptr;
  std::string nodeid;
  std::chrono::system_clock::time_point started, connected;
  std::uint64_t connects = 0;
};

// The answer to one command line (at most 4 KiB of input; unknown commands get a hint).
std::string run_console(std::string_view line, const ConsoleContext& ctx);

}  // namespace mw::agent
