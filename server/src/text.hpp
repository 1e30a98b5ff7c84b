// Small text helpers shared by the server's modules.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace mw::server {

// ASCII lower case (setting names, host names, domain ids are compared this way).
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace mw::server
