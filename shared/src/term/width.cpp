// Cell width lookup: an ASCII fast path, then a two-stage table (256-code-point blocks, identical
// blocks shared) built once from the generated range tables, so a lookup is two loads.
#include "mw/term/width.hpp"

#include "width_lookup.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <unordered_map>
#include <string_view>
#include <vector>

namespace mw::term {
namespace {

struct WidthRange {
  char32_t first;
  char32_t last;
};

#include "width_table.inc"

constexpr char32_t kCodePoints = 0x110000;
constexpr unsigned kBlockBits = 8;
constexpr std::size_t kBlock = std::size_t{1} << kBlockBits;

// The widths of all code points as blocks of 256, identical blocks stored once (a few hundred
// distinct blocks: about 60 KiB in all).
struct Stages {
  std::vector<std::uint16_t> index;  // block number -> offset / kBlock in `widths`
  std::vector<std::uint8_t> widths;

  Stages() {
    std::vector<std::uint8_t> flat(kCodePoints, 1);
    auto set = [&flat](char32_t first, char32_t last, std::uint8_t w) {
      std::memset(flat.data() + first, w, static_cast<std::size_t>(last - first + 1));
    };
    for (const auto& r : kZeroWidth) set(r.first, r.last, 0);
    for (const auto& r : kDoubleWidth) set(r.first, r.last, 2);
    set(0x00, 0x1F, 0);  // C0 and C1 controls never reach the screen
    set(0x7F, 0x9F, 0);
    index.resize(kCodePoints / kBlock);
    std::unordered_map<std::string_view, std::uint16_t> seen;
    for (std::size_t b = 0; b < index.size(); ++b) {
      const std::string_view block(reinterpret_cast<const char*>(flat.data() + b * kBlock), kBlock);
      auto [it, added] = seen.emplace(block, static_cast<std::uint16_t>(widths.size() / kBlock));
      if (added) widths.insert(widths.end(), flat.begin() + static_cast<std::ptrdiff_t>(b * kBlock),
                               flat.begin() + static_cast<std::ptrdiff_t>((b + 1) * kBlock));
      index[b] = it->second;
    }
  }
  int get(char32_t cp) const { return widths[(std::size_t{index[cp >> kBlockBits]} << kBlockBits) | (cp & (kBlock - 1))]; }
};

const Stages& stages() {
  static const Stages s;
  return s;
}

}  // namespace

WidthLookup width_lookup() {
  const Stages& s = stages();
  return WidthLookup{s.index.data(), s.widths.data()};
}

int char_width(char32_t cp) {
  if (cp < 0x7F) return cp >= 0x20 ? 1 : 0;
  if (cp >= kCodePoints) return 1;
  return stages().get(cp);
}

std::string_view unicode_version() { return MW_TERM_UNICODE_VERSION; }

}  // namespace mw::term
