// mwcodec: offline tools over the shared codecs (replay a terminal capture, decode an RFB
// recording, ...). `mwcodec --help` lists the subcommands each codec registered (command.hpp).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "command.hpp"

namespace mw::tools {
std::vector<Command>& commands() {
  static std::vector<Command> all;
  return all;
}
}  // namespace mw::tools

namespace {
void usage(std::FILE* out) {
  auto cmds = mw::tools::commands();
  std::sort(cmds.begin(), cmds.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::fprintf(out, "usage: mwcodec COMMAND [ARGS]\ncommands:\n");
  for (const auto& c : cmds)
    std::fprintf(out, "  %.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                 static_cast<int>(c.usage.size()), c.usage.data());
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    usage(stdout);
    return 0;
  }
  for (const auto& c : mw::tools::commands()) {
    if (c.name == name) return c.run(std::vector<std::string>(argv + 2, argv + argc));
  }
  std::fprintf(stderr, "mwcodec: unknown command '%s'\n", name.c_str());
  usage(stderr);
  return 2;
}
