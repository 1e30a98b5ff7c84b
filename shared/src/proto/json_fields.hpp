// Fields of JSON from the network, read without exceptions (internal to shared/proto): a field
// that is absent or of another type reads as empty / 0 / null, never as a throw.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mw/util/result.hpp"

namespace mw::proto::fields {

using json = nlohmann::json;

inline std::string str(const json& o, const char* key) {
  const auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

inline std::uint64_t u64(const json& o, const char* key) {
  const auto it = o.find(key);
  return it != o.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

inline std::int64_t i64(const json& o, const char* key) {
  const auto it = o.find(key);
  return it != o.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

inline double number(const json& o, const char* key) {
  const auto it = o.find(key);
  return it != o.end() && it->is_number() ? it->get<double>() : 0.0;
}

// Rights masks: integers, cut to 32 bits as MeshCentral keeps them; anything else is 0.
inline std::uint32_t rights(const json& v) {
  if (!v.is_number_integer()) return 0;
  return static_cast<std::uint32_t>(v.get<std::int64_t>() & 0xFFFFFFFF);
}

inline const json* object(const json& o, const char* key) {
  const auto it = o.find(key);
  return it != o.end() && it->is_object() ? &*it : nullptr;
}

inline const json* array(const json& o, const char* key) {
  const auto it = o.find(key);
  return it != o.end() && it->is_array() ? &*it : nullptr;
}

inline std::vector<std::string> strings(const json& o, const char* key, std::size_t max) {
  std::vector<std::string> out;
  if (const json* a = array(o, key)) {
    for (const auto& v : *a) {
      if (v.is_string() && out.size() < max) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

// The JSON object of a message whose "action" is `action`, or why it is not one.
inline Result<json> message(std::string_view text, std::string_view action) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return make_error("bad-json", "the message is not JSON");
  if (!j.is_object() || str(j, "action") != action) {
    return make_error("bad-message", "not a \"" + std::string(action) + "\" message");
  }
  return j;
}

}  // namespace mw::proto::fields
