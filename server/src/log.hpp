// Named loggers per server module (spdlog), levels set at run time with --loglevel.
// Lines carry the module name; connection loggers add the peer. Secrets are never passed here.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace mw::server {

// Returns the logger for a module ("web", "certs", "mps", ...), creating it on first use.
std::shared_ptr<spdlog::logger> logger(const std::string& module);

// Sets the level of every module's logger ("trace", "debug", "info", "warn", "error", "off").
void set_log_level(const std::string& level);

}  // namespace mw::server
