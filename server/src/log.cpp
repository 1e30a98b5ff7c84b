// spdlog set-up: one stdout sink shared by all module loggers, thread-safe.
#include "log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

#include <mutex>

namespace mw::server {
namespace {
std::mutex g_mutex;
spdlog::level::level_enum g_level = spdlog::level::info;
}  // namespace

std::shared_ptr<spdlog::logger> logger(const std::string& module) {
  std::lock_guard lock(g_mutex);
  if (auto existing = spdlog::get(module)) return existing;
  static auto sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  auto l = std::make_shared<spdlog::logger>(module, sink);
  l->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%n] %v");
  l->set_level(g_level);
  l->flush_on(spdlog::level::info);
  spdlog::register_logger(l);
  return l;
}

void set_log_level(const std::string& level) {
  std::lock_guard lock(g_mutex);
  g_level = spdlog::level::from_str(level);
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->set_level(g_level); });
}

}  // namespace mw::server
