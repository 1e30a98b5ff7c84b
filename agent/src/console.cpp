// The agent console's commands (console.hpp).
#include "console.hpp"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <vector>

#include "desktop.hpp"
#include "sysinfo.hpp"

namespace mw::agent {
namespace {

struct Command {
  const char* name;
  const char* help;
};
constexpr Command kCommands[] = {
    {"help", "this list; \"help COMMAND\" describes one"},
    {"info", "the agent: version, node id, device group, server, connection, settings"},
    {"sysinfo", "the system information the agent reports (JSON)"},
    {"displays", "the X display the desktop shows and its monitors"},
    {"uptime", "how long the computer and the agent have been running"},
    {"version", "the agent's version and protocol"},
};

std::string utc(std::chrono::system_clock::time_point t) {
  const std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string duration(long long seconds) {
  const long long d = seconds / 86400, h = seconds / 3600 % 24, m = seconds / 60 % 60, s = seconds % 60;
  char buf[64];
  if (d > 0) {
    std::snprintf(buf, sizeof buf, "%lld day%s, %02lld:%02lld:%02lld", d, d == 1 ? "" : "s", h, m, s);
  } else {
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", h, m, s);
  }
  return buf;
}

long long since(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - t).count();
}

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string info(const ConsoleContext& c) {
  const auto& s = *c.settings;
  std::ostringstream o;
  o << "Meshwork agent " << MW_AGENT_VERSION << " (" << platform_name() << ", process " << ::getpid() << ")\n"
    << "Node id:        " << c.nodeid << "\n"
    << "Device group:   " << (s.mesh_name.empty() ? s.mesh_id : s.mesh_name + " (" + s.mesh_id + ")") << "\n"
    << "Server:         " << s.server_url << "\n"
    << "Connected:      " << utc(c.connected) << " (connection " << c.connects << " since the agent started)\n"
    << "Agent started:  " << utc(c.started) << "\n"
    << "Files root:     " << (s.files_root.empty() ? "/" : s.files_root) << "\n"
    << "Display:        " << (s.display.empty() ? "$DISPLAY, else :0" : s.display) << "\n"
    << "Terminal user:  " << (s.terminal_user.empty() ? "the agent's own account" : s.terminal_user);
  return o.str();
}

std::string displays(const ConsoleContext& c) {
  try {
    auto desk = Desktop::open(c.settings->display);
    std::ostringstream o;
    for (const DisplayInfo& d : desk->displays()) {
      o << d.id << ": " << d.name << "  " << d.width << "x" << d.height << "+" << d.x << "+" << d.y << (d.primary ? "  primary" : "")
        << "\n";
    }
    std::string out = o.str();
    if (!out.empty()) out.pop_back();
    return out;
  } catch (const std::exception& e) {
    return std::string("No desktop: ") + e.what();
  }
}

std::string uptime(const ConsoleContext& c) {
  double seconds = -1;
  std::ifstream in("/proc/uptime");
  in >> seconds;
  std::string out = seconds >= 0 ? "Computer up " + duration(static_cast<long long>(seconds)) : "Computer uptime unknown";
  return out + "\nAgent up " + duration(since(c.started)) + ", connected for " + duration(since(c.connected));
}

}  // namespace

std::string run_console(std::string_view line, const ConsoleContext& ctx) {
  if (line.size() > 4096) return "The command is too long.";
  const auto w = words(line);
  if (w.empty()) return "";
  const std::string& cmd = w[0];
  if (cmd == "help") {
    std::ostringstream o;
    if (w.size() > 1) {
      for (const auto& c : kCommands) {
        if (w[1] == c.name) return std::string(c.name) + ": " + c.help;
      }
      return "No command \"" + w[1] + "\". Type help for the list of commands.";
    }
    o << "Commands:";
    for (const auto& c : kCommands) o << "\n  " << c.name << std::string(10 - std::string_view(c.name).size(), ' ') << c.help;
    return o.str();
  }
  if (cmd == "info") return info(ctx);
  if (cmd == "sysinfo") return collect_sysinfo().dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  if (cmd == "displays") return displays(ctx);
  if (cmd == "uptime") return uptime(ctx);
  if (cmd == "version") {
    return std::string("Meshwork agent ") + MW_AGENT_VERSION + ", agent protocol " + std::to_string(proto::agent::kVersion);
  }
  return "Unknown command \"" + cmd + "\". Type help for the list of commands.";
}

}  // namespace mw::agent
