// Installing the agent as a system service and removing it. One implementation per platform
// (service_linux.cpp: a systemd unit); a Windows port adds a service-control-manager file.
#pragma once

#include <filesystem>
#include <string>

namespace mw::agent {

struct InstallPaths {
  std::filesystem::path binary, settings, state_dir, unit;
};
// Where the files go under `root` ("/" for the real system; a temporary folder in tests).
InstallPaths install_paths(const std::filesystem::path& root);

// Copies this executable and `settings_file` into place, creates the state folder and writes the
// service definition; with root "/" also enables and starts the service. Returns "" or an error.
std::string install_service(const std::filesystem::path& root, const std::filesystem::path& settings_file);
// Stops and disables the service (root "/") and removes what install_service wrote, identity included.
std::string uninstall_service(const std::filesystem::path& root);

}  // namespace mw::agent
