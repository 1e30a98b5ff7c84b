// Which characters the app's font atlas must hold beyond the ranges it starts with. Dear ImGui
// 1.86 cannot load glyphs on demand, so text is scanned where it enters the app (control-channel
// and relay text, pasted and typed text, terminal cells as they are drawn); characters the
// atlas lacks are collected here, and the platform rebuilds the atlas with them: from DejaVu when
// it has them, from a CJK-capable fallback font otherwise, fetched only once some character needs
// it. The collection is bounded (kMaxExtra); what does not fit keeps showing as missing glyphs.
// Platform-free and ImGui-free: unit-tested under Node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace mw::web {

// The Basic Multilingual Plane characters a TrueType/OpenType font has glyphs for (its "cmap",
// formats 4 and 12). Dear ImGui's 16-bit ImWchar draws nothing beyond the BMP.
class FontCoverage {
 public:
  // Empty (covers nothing) when `font` is not a font with a Unicode character map.
  static FontCoverage parse(std::span<const std::uint8_t> font);
  bool has(char32_t cp) const { return cp < 0x10000 && !bits_.empty() && ((bits_[cp >> 6] >> (cp & 63)) & 1u) != 0; }
  bool empty() const { return count_ == 0; }
  std::size_t count() const { return count_; }

 private:
  void add(char32_t from, char32_t to);  // inclusive, clipped to the BMP
  std::vector<std::uint64_t> bits_;
  std::size_t count_ = 0;
};

class GlyphNeeds {
 public:
  using Range = std::pair<char32_t, char32_t>;  // inclusive
  // At most this many characters beyond the base ranges. The atlas holds each once per font: at
  // the cap it measured 1024×2048 pixels (8 MB as the RGBA texture) at devicePixelRatio 1 and
  // 2048×4096 (32 MB) at 2; a rebuild took 0.05–0.35 s (headless Chromium, SwiftShader).
  static constexpr std::size_t kMaxExtra = 3000;

  // What the atlas holds from the start.
  void set_base(std::vector<Range> base);
  // The main font (DejaVu Sans): characters it has need no fallback.
  void set_primary(FontCoverage coverage) { primary_ = std::move(coverage); }
  // The fallback font arrived (an empty coverage: it could not be loaded). Characters that waited
  // for it and that it has become needed.
  void set_fallback(FontCoverage coverage);

  // Text arriving (UTF-8; in JSON text, \uXXXX escapes are read too). Cheap for ASCII.
  void scan(std::string_view text);
  void note(char32_t cp);

  // Some character is in no loaded font and the fallback is not loaded yet: fetch it.
  bool wants_fallback() const { return !fallback_known_ && !waiting_.empty(); }
  bool fallback_known() const { return fallback_known_; }
  // The atlas lacks characters it could draw: rebuild it with extra() and call mark_built().
  bool dirty() const { return dirty_; }
  void mark_built() { dirty_ = false; }
  // The characters beyond the base ranges the atlas should hold, ascending.
  const std::vector<char32_t>& extra() const { return extra_; }
  // Consecutive characters joined into ranges (for the atlas's glyph ranges).
  static std::vector<Range> as_ranges(const std::vector<char32_t>& cps);
  std::size_t waiting() const { return waiting_.size(); }
  // Characters were dropped for the cap.
  bool capped() const { return capped_; }

 private:
  bool in_base(char32_t cp) const;
  void want(char32_t cp);

  std::vector<Range> base_;
  FontCoverage primary_, fallback_;
  bool fallback_known_ = false;
  std::vector<std::uint64_t> seen_ = std::vector<std::uint64_t>(0x10000 / 64);  // noted once each
  std::vector<char32_t> extra_;    // sorted
  std::vector<char32_t> waiting_;  // for the fallback font
  bool dirty_ = false;
  bool capped_ = false;
};

}  // namespace mw::web
