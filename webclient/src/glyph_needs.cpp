// Glyph needs (glyph_needs.hpp): a font's character map, and the characters the atlas must add.
#include "glyph_needs.hpp"

#include <algorithm>

namespace mw::web {
namespace {

// Big-endian reads that say whether the bytes were there (font data is input like any other).
struct Reader {
  std::span<const std::uint8_t> d;
  bool u16(std::size_t at, std::uint32_t& v) const {
    if (at > d.size() || d.size() - at < 2) return false;
    v = static_cast<std::uint32_t>(d[at] << 8 | d[at + 1]);
    return true;
  }
  bool u32(std::size_t at, std::uint32_t& v) const {
    if (at > d.size() || d.size() - at < 4) return false;
    v = static_cast<std::uint32_t>(d[at]) << 24 | static_cast<std::uint32_t>(d[at + 1]) << 16 |
        static_cast<std::uint32_t>(d[at + 2]) << 8 | d[at + 3];
    return true;
  }
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void FontCoverage::add(char32_t from, char32_t to) {
  if (bits_.empty()) bits_.assign(0x10000 / 64, 0);
  to = std::min<char32_t>(to, 0xFFFF);
  for (char32_t cp = from; cp <= to; ++cp) {
    std::uint64_t& word = bits_[cp >> 6];
    const std::uint64_t bit = std::uint64_t{1} << (cp & 63);
    if ((word & bit) == 0) ++count_;
    word |= bit;
  }
}

FontCoverage FontCoverage::parse(std::span<const std::uint8_t> font) {
  FontCoverage out;
  const Reader r{font};
  std::uint32_t tables = 0;
  if (!r.u16(4, tables)) return out;
  // The table directory: 16-byte records (tag, checksum, offset, length) after a 12-byte header.
  std::size_t cmap = 0, cmap_len = 0;
  for (std::uint32_t i = 0; i < tables; ++i) {
    const std::size_t rec = 12 + 16 * static_cast<std::size_t>(i);
    std::uint32_t tag = 0, offset = 0, length = 0;
    if (!r.u32(rec, tag) || !r.u32(rec + 8, offset) || !r.u32(rec + 12, length)) return out;
    if (tag == 0x636D6170) {  // "cmap"
      cmap = offset;
      cmap_len = length;
    }
  }
  if (cmap == 0 || cmap >= font.size()) return out;
  const Reader c{font.subspan(cmap, std::min(cmap_len, font.size() - cmap))};
  std::uint32_t subtables = 0;
  if (!c.u16(2, subtables)) return out;
  for (std::uint32_t i = 0; i < subtables; ++i) {
    std::uint32_t platform = 0, encoding = 0, offset = 0, format = 0;
    const std::size_t rec = 4 + 8 * static_cast<std::size_t>(i);
    if (!c.u16(rec, platform) || !c.u16(rec + 2, encoding) || !c.u32(rec + 4, offset) || !c.u16(offset, format)) continue;
    // Unicode maps only: platform 0 (any), or Windows' Unicode BMP (3, 1) and full (3, 10).
    if (!(platform == 0 || (platform == 3 && (encoding == 1 || encoding == 10)))) continue;
    if (format == 4) {
      std::uint32_t seg2 = 0;
      if (!c.u16(offset + 6, seg2)) continue;
      const std::size_t segs = seg2 / 2, ends = offset + 14, starts = ends + seg2 + 2, deltas = starts + seg2,
                        range_offsets = deltas + seg2;
      for (std::size_t s = 0; s < segs; ++s) {
        std::uint32_t end = 0, start = 0, delta = 0, ro = 0;
        if (!c.u16(ends + 2 * s, end) || !c.u16(starts + 2 * s, start) || !c.u16(deltas + 2 * s, delta) ||
            !c.u16(range_offsets + 2 * s, ro) || start > end) {
          continue;
        }
        if (ro == 0) {
          // Glyph (cp + delta) mod 65536: only the code point that lands on glyph 0 is missing.
          const char32_t missing = static_cast<char32_t>((0x10000 - delta) & 0xFFFF);
          for (char32_t cp = start; cp <= end; ++cp) {
            if (cp != missing) out.add(cp, cp);
          }
          continue;
        }
        // Through glyphIdArray: idRangeOffset is relative to its own position.
        for (char32_t cp = start; cp <= end; ++cp) {
          std::uint32_t glyph = 0;
          if (!c.u16(range_offsets + 2 * s + ro + 2 * (cp - start), glyph)) break;
          if (glyph != 0 && ((glyph + delta) & 0xFFFF) != 0) out.add(cp, cp);
        }
      }
    } else if (format == 12) {
      std::uint32_t groups = 0;
      if (!c.u32(offset + 12, groups)) continue;
      for (std::uint32_t gi = 0; gi < groups; ++gi) {
        const std::size_t at = offset + 16 + 12 * static_cast<std::size_t>(gi);
        std::uint32_t start = 0, end = 0, glyph = 0;
        if (!c.u32(at, start) || !c.u32(at + 4, end) || !c.u32(at + 8, glyph)) break;
        if (start > end || start > 0xFFFF) continue;
        if (glyph == 0) ++start;  // the first maps to the missing glyph
        if (start <= end) out.add(start, end);
      }
    }
  }
  return out;
}

void GlyphNeeds::set_base(std::vector<Range> base) {
  base_ = std::move(base);
  std::sort(base_.begin(), base_.end());
}

bool GlyphNeeds::in_base(char32_t cp) const {
  // Ranges are few (a dozen): a linear look beats a search.
  for (const auto& [from, to] : base_) {
    if (cp >= from && cp <= to) return true;
  }
  return false;
}

void GlyphNeeds::set_fallback(FontCoverage coverage) {
  fallback_ = std::move(coverage);
  fallback_known_ = true;
  for (const char32_t cp : waiting_) {
    if (!fallback_.has(cp)) continue;  // in no font: stays a missing glyph
    if (extra_.size() >= kMaxExtra) {
      capped_ = true;
      break;
    }
    extra_.insert(std::lower_bound(extra_.begin(), extra_.end(), cp), cp);
    dirty_ = true;
  }
  waiting_.clear();
  waiting_.shrink_to_fit();
}

void GlyphNeeds::note(char32_t cp) {
  if (cp < 0x80 || cp > 0xFFFF) return;  // ASCII is always there; ImGui draws only the BMP
  std::uint64_t& word = seen_[cp >> 6];
  const std::uint64_t bit = std::uint64_t{1} << (cp & 63);
  if (word & bit) return;
  word |= bit;
  if (cp >= 0xD800 && cp <= 0xDFFF) return;  // surrogates are not characters
  if (in_base(cp)) return;
  want(cp);
}

void GlyphNeeds::want(char32_t cp) {
  if (extra_.size() + waiting_.size() >= kMaxExtra) {
    capped_ = true;
    return;
  }
  if (primary_.has(cp) || fallback_.has(cp)) {
    extra_.insert(std::lower_bound(extra_.begin(), extra_.end(), cp), cp);
    dirty_ = true;
  } else if (!fallback_known_) {
    waiting_.push_back(cp);
  }
  // Otherwise no font has it: it stays a missing glyph, and costs nothing more.
}

void GlyphNeeds::scan(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char b = p[i];
    if (b == '\\' && i + 5 < n && p[i + 1] == 'u') {  // a JSON escape
      char32_t cp = 0;
      int k = 0;
      for (; k < 4; ++k) {
        const int h = hex_digit(static_cast<char>(p[i + 2 + static_cast<std::size_t>(k)]));
        if (h < 0) break;
        cp = cp << 4 | static_cast<char32_t>(h);
      }
      if (k == 4) {
        note(cp);
        i += 6;
        continue;
      }
      ++i;
      continue;
    }
    if (b < 0x80) {
      ++i;
      continue;
    }
    // UTF-8: 2- and 3-byte sequences reach the BMP; 4-byte ones are skipped whole; a broken
    // sequence skips its first byte.
    const std::size_t len = (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > n) {
      ++i;
      continue;
    }
    char32_t cp = b & (0x7F >> len);
    bool ok = true;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) ok = false;
      cp = cp << 6 | (p[i + k] & 0x3F);
    }
    if (!ok) {
      ++i;
      continue;
    }
    if (len < 4) note(cp);
    i += len;
  }
}

std::vector<GlyphNeeds::Range> GlyphNeeds::as_ranges(const std::vector<char32_t>& cps) {
  std::vector<Range> out;
  for (const char32_t cp : cps) {
    if (!out.empty() && out.back().second + 1 == cp) {
      out.back().second = cp;
    } else {
      out.emplace_back(cp, cp);
    }
  }
  return out;
}

}  // namespace mw::web
