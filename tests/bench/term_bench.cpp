// Benchmarks of shared/term: parse + screen update throughput on generated host output of four
// kinds (plain text like `cat`, SGR-heavy like coloured `ls`/compiler output, cursor-heavy like
// a full-screen editor redraw, mixed UTF-8 with CJK and combining marks), fed in 4 KiB reads
// to an 80x24 terminal with a 1000-line scrollback; the parser alone on the same bytes; and
// memchr for ESC over the same bytes as the in-run baseline (scripts/bench.sh prints ratios).
// BM_TermFile* feed recorded outputs that tests/bench/term.bench.mjs writes to term-bench/ in the
// working directory (the same bytes it gives xterm.js); without them they report an error.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "mw/term/parser.hpp"
#include "mw/term/terminal.hpp"

namespace {

constexpr std::size_t kSize = 1 << 20;  // 1 MiB of output per iteration
constexpr std::size_t kRead = 4096;     // as it arrives from a relay

struct Lcg {
  std::uint32_t x = 12345;
  std::uint32_t next() {
    x = x * 1664525u + 1013904223u;
    return x >> 8;
  }
};

std::string plain_text() {
  std::string s;
  Lcg r;
  while (s.size() < kSize) {
    const std::size_t n = 20 + r.next() % 60;
    for (std::size_t i = 0; i < n; ++i) s += static_cast<char>(r.next() % 5 == 0 ? ' ' : 'a' + r.next() % 26);
    s += "\r\n";
  }
  return s;
}

std::string sgr_heavy() {
  std::string s;
  Lcg r;
  while (s.size() < kSize) {
    for (int w = 0; w < 8; ++w) {
      switch (r.next() % 4) {
        case 0: s += "\x1b[1;3" + std::to_string(r.next() % 8) + "m"; break;
        case 1: s += "\x1b[38;5;" + std::to_string(r.next() % 256) + "m"; break;
        case 2: s += "\x1b[38;2;" + std::to_string(r.next() % 256) + ";" + std::to_string(r.next() % 256) + ";1m"; break;
        default: s += "\x1b[4:3;48;5;" + std::to_string(r.next() % 256) + "m"; break;
      }
      s += "word" + std::to_string(r.next() % 1000) + "\x1b[0m ";
    }
    s += "\r\n";
  }
  return s;
}

std::string cursor_heavy() {
  std::string s;
  Lcg r;
  while (s.size() < kSize) {
    s += "\x1b[" + std::to_string(1 + r.next() % 24) + ";" + std::to_string(1 + r.next() % 70) + "H";
    s += "text" + std::to_string(r.next() % 100);
    switch (r.next() % 6) {
      case 0: s += "\x1b[K"; break;
      case 1: s += "\x1b[2;20r\x1b[5L\x1b[r"; break;
      case 2: s += "\x1b[3P\x1b[2@"; break;
      case 3: s += "\x1b[7m \x1b[27m"; break;
      case 4: s += "\x1b[A\x1b[2C\x1b[B"; break;
      default: s += "\x1b[?25l\x1b[H\x1b[?25h"; break;
    }
  }
  return s;
}

std::string utf8_mixed() {
  static const char* kWords[] = {"caf\xC3\xA9", "\xE4\xB8\xAD\xE6\x96\x87", "e\xCC\x81t\xC3\xA9", "\xF0\x9F\x98\x80",
                                 "na\xC3\xAFve", "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82", "plain"};
  std::string s;
  Lcg r;
  while (s.size() < kSize) {
    for (int w = 0; w < 10; ++w) {
      s += kWords[r.next() % 7];
      s += ' ';
    }
    s += "\r\n";
  }
  return s;
}

void feed_terminal(benchmark::State& state, const std::string& data) {
  mw::term::TerminalOptions o;
  o.cols = 80;
  o.rows = 24;
  o.scrollback_lines = 1000;
  mw::term::Terminal term(o);
  for (auto _ : state) {
    for (std::size_t i = 0; i < data.size(); i += kRead) {
      term.feed(std::string_view(data).substr(i, kRead));
    }
    benchmark::DoNotOptimize(term.cursor_row());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}

class NullHandler : public mw::term::Handler {
 public:
  void print(const char32_t* cps, std::size_t n) override { sum += n + cps[0]; }
  void execute(char32_t c) override { sum += c; }
  void esc_dispatch(const mw::term::Sequence& s) override { sum += static_cast<unsigned char>(s.final); }
  void csi_dispatch(const mw::term::Sequence& s, const mw::term::Params& p) override { sum += p.size() + s.final; }
  void osc_dispatch(std::string_view d) override { sum += d.size(); }
  std::uint64_t sum = 0;
};

void parse_only(benchmark::State& state, const std::string& data) {
  mw::term::Parser parser;
  NullHandler h;
  for (auto _ : state) {
    for (std::size_t i = 0; i < data.size(); i += kRead) parser.feed(std::string_view(data).substr(i, kRead), h);
    benchmark::DoNotOptimize(h.sum);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}

const std::string& data_plain() {
  static const std::string d = plain_text();
  return d;
}
const std::string& data_sgr() {
  static const std::string d = sgr_heavy();
  return d;
}
const std::string& data_cursor() {
  static const std::string d = cursor_heavy();
  return d;
}
const std::string& data_utf8() {
  static const std::string d = utf8_mixed();
  return d;
}

// Baseline: finding every ESC in the same bytes, the least any escape-aware consumer must do.
void BM_Baseline_MemchrEsc(benchmark::State& state) {
  const std::string& d = data_sgr();
  for (auto _ : state) {
    std::size_t count = 0;
    const char* p = d.data();
    const char* end = p + d.size();
    while ((p = static_cast<const char*>(std::memchr(p, 0x1b, static_cast<std::size_t>(end - p)))) != nullptr) {
      ++count;
      ++p;
    }
    benchmark::DoNotOptimize(count);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * d.size()));
}
BENCHMARK(BM_Baseline_MemchrEsc);

void BM_TermPlainText(benchmark::State& state) { feed_terminal(state, data_plain()); }
BENCHMARK(BM_TermPlainText);
void BM_TermSgrHeavy(benchmark::State& state) { feed_terminal(state, data_sgr()); }
BENCHMARK(BM_TermSgrHeavy);
void BM_TermCursorHeavy(benchmark::State& state) { feed_terminal(state, data_cursor()); }
BENCHMARK(BM_TermCursorHeavy);
void BM_TermUtf8Mixed(benchmark::State& state) { feed_terminal(state, data_utf8()); }
BENCHMARK(BM_TermUtf8Mixed);
void BM_ParsePlainText(benchmark::State& state) { parse_only(state, data_plain()); }
BENCHMARK(BM_ParsePlainText);
void BM_ParseSgrHeavy(benchmark::State& state) { parse_only(state, data_sgr()); }
BENCHMARK(BM_ParseSgrHeavy);

// Recorded outputs from term.bench.mjs: `ls --color -lR` through a pty, colour charts, UTF-8
// text, an editor's full-screen redraws. Read once; empty when absent.
const std::string& input_file(const char* name) {
  static std::string cache[4];
  static bool loaded[4] = {};
  static const char* const kNames[4] = {"ls", "chart", "utf8", "redraw"};
  for (int i = 0; i < 4; ++i) {
    if (std::strcmp(kNames[i], name) != 0) continue;
    if (!loaded[i]) {
      std::ifstream f(std::string("term-bench/") + name + ".bin", std::ios::binary);
      cache[i].assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
      loaded[i] = true;
    }
    return cache[i];
  }
  return cache[0];
}

void feed_file(benchmark::State& state, const char* name) {
  const std::string& data = input_file(name);
  if (data.empty()) {
    state.SkipWithError("no term-bench/ input in the working directory (run tests/bench/term.bench.mjs)");
    for (auto _ : state) {
    }
    return;
  }
  feed_terminal(state, data);
}

void BM_TermFileLs(benchmark::State& state) { feed_file(state, "ls"); }
BENCHMARK(BM_TermFileLs);
void BM_TermFileChart(benchmark::State& state) { feed_file(state, "chart"); }
BENCHMARK(BM_TermFileChart);
void BM_TermFileUtf8(benchmark::State& state) { feed_file(state, "utf8"); }
BENCHMARK(BM_TermFileUtf8);
void BM_TermFileRedraw(benchmark::State& state) { feed_file(state, "redraw"); }
BENCHMARK(BM_TermFileRedraw);

}  // namespace

BENCHMARK_MAIN();
