// Base64 (RFC 4648, standard and URL-safe alphabets) for tokens, node ids and JSON payloads.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mw/util/result.hpp"

namespace mw::util {

// kMeshCentral: the standard alphabet with '@' for '+' and '$' for '/', padded; MeshCentral's ids
// (device groups, agents, Intel AMT devices) are written so. Decoding accepts the standard and
// URL-safe alphabets only.
enum class Base64Alphabet { kStandard, kUrlSafe, kMeshCentral };

// Encodes with '=' padding for kStandard and without padding for kUrlSafe.
std::string base64_encode(std::span<const std::uint8_t> data,
                          Base64Alphabet alphabet = Base64Alphabet::kStandard);
std::string base64_encode(std::string_view data, Base64Alphabet alphabet = Base64Alphabet::kStandard);

// Accepts either alphabet, with or without padding; rejects any other character.
Result<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace mw::util
