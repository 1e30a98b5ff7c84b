// mwcodec subcommands register themselves: each tools/mwcodec/cmd_<name>.cpp defines one
//   static const mw::tools::Registration reg{"term-replay", "CAPTURE --cols C --rows R [--sgr]", run};
// and CMake compiles every cmd_*.cpp into the tool, so codec owners never edit a shared list.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mw::tools {

// A subcommand gets its arguments after the subcommand name and returns the process exit code
// (0 success, 1 failure of the work, 2 bad usage).
using CommandFn = int (*)(const std::vector<std::string>& args);

struct Command {
  std::string_view name;
  std::string_view usage;  // arguments, shown after the name in `mwcodec --help`
  CommandFn run;
};

std::vector<Command>& commands();

struct Registration {
  Registration(std::string_view name, std::string_view usage, CommandFn run) {
    commands().push_back({name, usage, run});
  }
};

}  // namespace mw::tools
