// Sizes for people, the same in the app and in the server's and agent's messages: "512 B",
// "1.5 KiB", "25 MiB", "1.0 GiB" (binary units, as quotas in KiB; one decimal under 10).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace mw::util {

inline std::string human_bytes(std::uint64_t n) {
  if (n < 1024) return std::to_string(n) + " B";
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(n) / 1024;
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char b[32];
  std::snprintf(b, sizeof b, v < 10 ? "%.1f %s" : "%.0f %s", v, kUnits[u]);
  return b;
}

}  // namespace mw::util
