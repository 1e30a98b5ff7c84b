// Internal text helpers of shared/wsman: trimming, ASCII case-insensitive comparison and strict
// unsigned number parsing (no sign, no spaces inside, no overflow).
#pragma once

#include <charconv>
#include <string_view>

namespace mw::wsman::text {

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// Decimal (base 10) or hexadecimal (base 16) digits only, after trimming surrounding whitespace.
template <typename N>
bool parse_unsigned(std::string_view s, N& out, int base = 10) {
  s = trim(s);
  if (s.empty() || s.front() == '-' || s.front() == '+') return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace mw::wsman::text
