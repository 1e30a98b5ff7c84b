// Cell width lookup: an ASCII fast path, then binary search in the generated range tables.
#include "mw/term/width.hpp"

#include <algorithm>
#include <iterator>

namespace mw::term {
namespace {

struct WidthRange {
  char32_t first;
  char32_t last;
};

#include "width_table.inc"

template <std::size_t N>
bool in_table(const WidthRange (&table)[N], char32_t cp) {
  if (cp < table[0].first || cp > table[N - 1].last) return false;
  // First range whose end is not below cp; cp is inside it or in a gap.
  const auto* it = std::lower_bound(std::begin(table), std::end(table), cp,
                                    [](const WidthRange& r, char32_t c) { return r.last < c; });
  return it != std::end(table) && it->first <= cp;
}

}  // namespace

int char_width(char32_t cp) {
  if (cp < 0x7F) return cp >= 0x20 ? 1 : 0;
  if (cp < 0xA0) return 0;
  if (cp > 0x10FFFF) return 1;
  if (in_table(kZeroWidth, cp)) return 0;
  if (in_table(kDoubleWidth, cp)) return 2;
  return 1;
}

std::string_view unicode_version() { return MW_TERM_UNICODE_VERSION; }

}  // namespace mw::term
