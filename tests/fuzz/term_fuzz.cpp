// Fuzz target: the terminal emulator must never crash, hang or grow without bound on any byte
// stream, and its state must not depend on how the stream is chunked. Checked as well after
// every run: cursor and lines stay in range, double-width cells come in lead/spacer pairs, the
// scrollback respects its cap; resize, selection, search and the input encoders run on the
// resulting state. Input: byte 0 picks the size, chunking and a mid-stream resize; the rest is
// the stream.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mw/term/input.hpp"
#include "mw/term/parser.hpp"
#include "mw/term/selection.hpp"
#include "mw/term/terminal.hpp"

namespace {

using namespace mw::term;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Rng {
  std::uint32_t x;
  std::uint32_t next() {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
  }
};

TerminalOptions options(std::uint8_t mode) {
  TerminalOptions o;
  o.cols = 1 + (mode & 0x0F) * 5;  // 1..76
  o.rows = 1 + ((mode >> 4) & 0x07) * 3;  // 1..22
  o.scrollback_lines = 40;
  o.max_osc = 512;
  o.max_links = 8;
  o.max_clusters = 16;
  return o;
}

void check_invariants(const Terminal& t, std::size_t cap) {
  check(t.cursor_row() >= 0 && t.cursor_row() < t.rows());
  check(t.cursor_col() >= 0 && t.cursor_col() < t.cols());
  check(t.scrollback_size() <= cap);
  check(t.total_lines() == t.scrollback_size() + static_cast<std::size_t>(t.rows()));
  for (int r = 0; r < t.rows(); ++r) {
    const Line& l = t.screen_line(r);
    check(l.cells.size() == static_cast<std::size_t>(t.cols()));
    for (std::size_t c = 0; c < l.cells.size(); ++c) {
      if (l.cells[c].wide()) check(c + 1 < l.cells.size() && l.cells[c + 1].wide_spacer());
      if (l.cells[c].wide_spacer()) check(c > 0 && l.cells[c - 1].wide());
      if (l.cells[c].cp != 0 && !l.cells[c].wide_spacer()) check(!t.cell_text(l.cells[c]).empty());
    }
  }
}

bool same(const Terminal& a, const Terminal& b) {
  if (a.total_lines() != b.total_lines() || a.cursor_row() != b.cursor_row() ||
      a.cursor_col() != b.cursor_col() || a.title() != b.title()) {
    return false;
  }
  for (std::size_t i = 0; i < a.total_lines(); ++i) {
    if (a.line(i).wrapped != b.line(i).wrapped || a.line_text(i) != b.line_text(i)) return false;
  }
  return true;
}

// The parser alone: parameters and strings stay within their bounds.
class BoundsHandler : public Handler {
 public:
  void print(const char32_t* cps, std::size_t n) override {
    for (std::size_t i = 0; i < n; ++i) check(cps[i] >= 0x20 && cps[i] <= 0x10FFFF && (cps[i] < 0x7F || cps[i] >= 0xA0));
  }
  void execute(char32_t c) override { check(c < 0x20 || (c >= 0x80 && c < 0xA0)); }
  void esc_dispatch(const Sequence& s) override { check(s.intermediate_count <= 2); }
  void csi_dispatch(const Sequence& s, const Params& p) override {
    check(s.intermediate_count <= 2 && p.size() <= Params::kMax);
  }
  void osc_dispatch(std::string_view data) override { check(data.size() <= 512); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const std::span<const std::uint8_t> input(data + 1, size - 1);
  const TerminalOptions o = options(mode);

  Parser parser(ParserLimits{512});
  BoundsHandler bounds;
  parser.feed(input, bounds);

  std::string replies_whole, replies_chunked;
  Terminal whole(o);
  whole.set_output([&](std::string_view s) { replies_whole += s; });
  whole.feed(input);
  check_invariants(whole, o.scrollback_lines);

  Terminal chunked(o);
  chunked.set_output([&](std::string_view s) { replies_chunked += s; });
  Rng rng{0x9E3779B9u ^ mode};
  for (std::size_t i = 0; i < input.size();) {
    const std::size_t n = std::min<std::size_t>(input.size() - i, 1 + rng.next() % ((mode & 0x80) ? 3 : 64));
    chunked.feed(input.subspan(i, n));
    i += n;
  }
  check(same(whole, chunked));
  check(replies_whole == replies_chunked);

  // Resize in the middle of the stream, then keep feeding.
  Terminal resized(o);
  const std::size_t half = input.size() / 2;
  resized.feed(input.first(half));
  resized.resize(1 + static_cast<int>(rng.next() % 90), 1 + static_cast<int>(rng.next() % 30));
  check_invariants(resized, o.scrollback_lines);
  resized.feed(input.subspan(half));
  check_invariants(resized, o.scrollback_lines);
  resized.resize(o.cols, o.rows);
  check_invariants(resized, o.scrollback_lines);

  // Selection, search and the encoders on whatever state we reached.
  const TextPos a{whole.lines_dropped() + rng.next() % (whole.total_lines() + 2), static_cast<int>(rng.next() % 100) - 5};
  const TextPos b{whole.lines_dropped() + rng.next() % (whole.total_lines() + 2), static_cast<int>(rng.next() % 100) - 5};
  (void)selected_text(whole, Selection{a, b, static_cast<SelectionMode>(mode % 3)});
  (void)word_at(whole, a);
  (void)line_at(whole, b);
  if (input.size() >= 2) {
    const std::string needle(reinterpret_cast<const char*>(input.data()), std::min<std::size_t>(input.size(), 3));
    for (const Match& m : find_all(whole, needle)) check(!(m.last < m.first));
  }
  MouseEvent e;
  e.action = static_cast<MouseAction>(mode % 3);
  e.button = static_cast<MouseButton>((mode >> 2) % 8);
  e.row = static_cast<int>(rng.next() % 3000);
  e.col = static_cast<int>(rng.next() % 3000);
  e.mods = mode & 15u;
  (void)encode_mouse(e, whole.modes());
  (void)encode_key(static_cast<Key>(mode % 26), mode >> 4, whole.modes());
  (void)encode_paste(std::string_view(reinterpret_cast<const char*>(input.data()), input.size()), whole.modes());
  return 0;
}
