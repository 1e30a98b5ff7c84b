// Fuzz target: control-channel JSON parsing must never crash or throw on any input.
#include <cstddef>
#include <cstdint>
#include <string_view>

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
  auto b = mw::util::base64_decode(text);
  if (b.ok()) {
    auto re = mw::util::base64_decode(mw::util::base64_encode(b.value()));
    if (!re.ok() || re.value() != b.value()) __builtin_trap();
  }
  return 0;
}
