// Fuzz target: control-channel and agent-channel JSON parsing, and the agent settings file, must
// never crash or throw on any input; what parses re-encodes to the same value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mw/proto/agent.hpp"
#include "mw/proto/control.hpp"
#include "mw/util/base64.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto msg = mw::proto::parse_control_message(text);
  if (msg.ok()) {
    if (auto* info = std::get_if<mw::proto::ServerInfo>(&msg.value())) {
      // Whatever parsed must re-encode and parse back to the same value.
      auto again = mw::proto::parse_control_message(mw::proto::encode(*info));
      if (!again.ok() || std::get<mw::proto::ServerInfo>(again.value()) != *info) __builtin_trap();
    }
  }
  namespace ag = mw::proto::agent;
  if (auto m = ag::parse(text); m.ok()) {
    const std::string once = ag::encode(m.value());
    auto again = ag::parse(once);
    if (!again.ok() || ag::encode(again.value()) != once) __builtin_trap();
  }
  if (auto s = ag::parse_settings(text); s.ok()) {
    auto again = ag::parse_settings(ag::format_settings(s.value()));
    if (!again.ok() || again.value().server_url != s.value().server_url) __builtin_trap();
  }
  (void)ag::parse_wss_url(text);
  auto b = mw::util::base64_decode(text);
  if (b.ok()) {
    auto re = mw::util::base64_decode(mw::util::base64_encode(b.value()));
    if (!re.ok() || re.value() != b.value()) __builtin_trap();
  }
  return 0;
}
