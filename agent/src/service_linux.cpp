// systemd service installation (service.hpp).
#include "service.hpp"
#include "child_fds.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <vector>

#include "agent.hpp"

namespace mw::agent {

namespace fs = std::filesystem;

namespace {

constexpr const char* kUnitName = "meshwork-agent.service";

// Runs a program (no shell) and waits; its exit code, or -1.
int run(std::vector<std::string> args) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    close_inherited_fds();
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string unit_text(const InstallPaths& real) {
  return "[Unit]\n"
         "Description=Meshwork agent (remote management)\n"
         "After=network-online.target\n"
         "Wants=network-online.target\n\n"
         "[Service]\n"
         "ExecStart=" + real.binary.string() + " --settings " + real.settings.string() + " --state-dir " +
         real.state_dir.string() + "\n"
         "Restart=always\n"
         "RestartSec=10\n"
         "KillMode=process\n\n"  // terminal sessions' shells are not killed with a restarting agent
         "[Install]\n"
         "WantedBy=multi-user.target\n";
}

}  // namespace

InstallPaths install_paths(const fs::path& root) {
  return {root / "usr/local/lib/meshwork-agent/meshwork-agent", root / "etc/meshwork-agent/meshwork-agent.msh",
          root / "var/lib/meshwork-agent", root / "etc/systemd/system" / kUnitName};
}

std::string install_service(const fs::path& root, const fs::path& settings_file) {
  const bool real_system = fs::equivalent(root, "/");
  if (real_system && ::geteuid() != 0) return "installing the service needs root (run it with sudo)";
  const auto p = install_paths(root);
  const auto inside = install_paths("/");  // the unit names the paths as the running system sees them
  std::error_code ec;
  for (const auto& dir : {p.binary.parent_path(), p.settings.parent_path(), p.state_dir, p.unit.parent_path()}) {
    fs::create_directories(dir, ec);
    if (ec) return "cannot create " + dir.string() + ": " + ec.message();
  }
  fs::permissions(p.state_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "cannot find this executable: " + ec.message();
  if (!fs::exists(p.binary) || !fs::equivalent(self, p.binary)) {
    const fs::path tmp = p.binary.string() + ".new";
    fs::copy_file(self, tmp, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::permissions(tmp, fs::perms(0755), ec);
    if (!ec) fs::rename(tmp, p.binary, ec);  // atomic: a running agent keeps its old file
    if (ec) return "cannot copy the agent to " + p.binary.string() + ": " + ec.message();
  }
  fs::copy_file(settings_file, p.settings, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::permissions(p.settings, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);
  if (ec) return "cannot copy the settings to " + p.settings.string() + ": " + ec.message();
  {
    std::ofstream unit(p.unit, std::ios::trunc);
    unit << unit_text(inside);
    if (!unit) return "cannot write " + p.unit.string();
  }
  log_line("installed " + p.binary.string() + ", " + p.settings.string() + " and " + p.unit.string());
  if (!real_system) return "";
  if (run({"systemctl", "daemon-reload"}) != 0 || run({"systemctl", "enable", "--now", kUnitName}) != 0) {
    return "files are in place, but systemctl could not enable and start " + std::string(kUnitName);
  }
  log_line("service " + std::string(kUnitName) + " enabled and started");
  return "";
}

std::string uninstall_service(const fs::path& root) {
  const bool real_system = fs::equivalent(root, "/");
  if (real_system && ::geteuid() != 0) return "removing the service needs root (run it with sudo)";
  // Disabled first and stopped last, so the service itself can run this (it ends when stopped).
  if (real_system) run({"systemctl", "disable", kUnitName});
  const auto p = install_paths(root);
  std::error_code ec;
  fs::remove(p.unit, ec);
  fs::remove(p.settings, ec);
  fs::remove(p.binary, ec);
  fs::remove_all(p.state_dir, ec);
  fs::remove(p.settings.parent_path(), ec);  // only when empty
  fs::remove(p.binary.parent_path(), ec);
  log_line("removed the agent from " + root.string());
  if (real_system) {
    run({"systemctl", "daemon-reload"});
    run({"systemctl", "stop", kUnitName});
  }
  return "";
}

}  // namespace mw::agent
