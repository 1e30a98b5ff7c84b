// Base64 encode/decode with a table-driven decoder that rejects every byte outside the alphabet.
#include "mw/util/base64.hpp"

#include <array>

namespace mw::util {
namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kMesh[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@$";

constexpr std::array<std::int8_t, 256> make_decode_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) {
    t[static_cast<unsigned char>(kStd[i])] = static_cast<std::int8_t>(i);
    t[static_cast<unsigned char>(kUrl[i])] = static_cast<std::int8_t>(i);
  }
  return t;
}
constexpr auto kDecode = make_decode_table();

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> data, Base64Alphabet alphabet) {
  const char* a = alphabet == Base64Alphabet::kStandard ? kStd : alphabet == Base64Alphabet::kUrlSafe ? kUrl : kMesh;
  const bool pad = alphabet != Base64Alphabet::kUrlSafe;
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out.push_back(a[(v >> 18) & 63]);
    out.push_back(a[(v >> 12) & 63]);
    out.push_back(a[(v >> 6) & 63]);
    out.push_back(a[v & 63]);
  }
  const std::size_t rest = data.size() - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{data[i]} << 16;
    out.push_back(a[(v >> 18) & 63]);
    out.push_back(a[(v >> 12) & 63]);
    if (pad) out += "==";
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out.push_back(a[(v >> 18) & 63]);
    out.push_back(a[(v >> 12) & 63]);
    out.push_back(a[(v >> 6) & 63]);
    if (pad) out.push_back('=');
  }
  return out;
}

std::string base64_encode(std::string_view data, Base64Alphabet alphabet) {
  return base64_encode(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()), alphabet);
}

Result<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  // Strip up to two '=' of padding; padding elsewhere is an error.
  std::size_t n = text.size();
  std::size_t padding = 0;
  while (n > 0 && text[n - 1] == '=' && padding < 2) {
    --n;
    ++padding;
  }
  if (padding > 0 && (n + padding) % 4 != 0) {
    return make_error("bad-base64", "base64 padding does not complete a 4-character group");
  }
  if (n % 4 == 1) return make_error("bad-base64", "base64 length leaves a dangling character");
  std::vector<std::uint8_t> out;
  out.reserve(n / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int8_t d = kDecode[static_cast<unsigned char>(text[i])];
    if (d < 0) {
      return make_error("bad-base64", "invalid base64 character at offset " + std::to_string(i));
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace mw::util
