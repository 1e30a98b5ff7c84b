// Small text helpers the app's views share.
#pragma once

#include "mw/util/units.hpp"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mw::web {

// A URL query value: letters, digits and - _ . as they are, every other byte as %XX (node ids
// are MeshCentral's base64 with @ and $; session values may hold anything).
inline std::string url_encode(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') {
      out += c;
    } else {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02X", static_cast<unsigned char>(c));
      out += b;
    }
  }
  return out;
}

// Fields of JSON from the network, read without exceptions: "" (or 0) when absent or of another type.
inline std::string json_text(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
inline std::uint64_t json_u64(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

using mw::util::human_bytes;  // "1.5 GiB"-style sizes for people

}  // namespace mw::web
