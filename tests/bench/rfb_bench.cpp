// Benchmarks of shared/rfb: decoding recorded RFB sessions (captures, see mw/rfb/capture.hpp) into
// the RGBA framebuffer, fed in 64 KiB pieces as a relay delivers them. One benchmark per capture
// file, BM_RfbDecode/<name>: bytes/s is encoded input, items/s is pixels of decoded rectangles.
// Captures come from MW_RFB_CAPTURES (a folder; tests/bench/rfb.bench.mjs records 1280x720 ones
// from Xvnc and compares with noVNC on the same files) or else the small committed ones in
// tests/data/rfb. BM_Baseline_Memcpy copies the same number of bytes as the largest capture.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "mw/rfb/capture.hpp"
#include "mw/rfb/decoder.hpp"

namespace {

namespace fs = std::filesystem;
using mw::rfb::Capture;

constexpr std::size_t kPiece = 64 * 1024;

std::size_t g_largest = 0;

std::uint64_t decode(const Capture& c, benchmark::State* state) {
  mw::rfb::Decoder d(c.width, c.height, c.format);
  std::vector<mw::rfb::Event> events;
  events.reserve(64);
  for (std::size_t i = 0; i < c.bytes.size(); i += kPiece) {
    d.feed({c.bytes.data() + i, std::min(kPiece, c.bytes.size() - i)}, events);
    events.clear();
  }
  if (d.failed() && state) state->SkipWithError("the capture does not decode");
  benchmark::DoNotOptimize(d.framebuffer().pixels().data());
  std::uint64_t pixels = 0;
  for (const auto& s : d.stats()) pixels += s.pixels;
  return pixels;
}

void register_capture(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::vector<std::uint8_t> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto parsed = mw::rfb::parse_capture(raw);
  std::string name = file.filename().string();
  for (const char* ext : {".gz", ".rfb"}) {
    if (name.size() > std::strlen(ext) && name.ends_with(ext)) name.resize(name.size() - std::strlen(ext));
  }
  if (!parsed) {
    benchmark::RegisterBenchmark(("BM_RfbDecode/" + name).c_str(), [msg = parsed.error().message](benchmark::State& st) {
      for (auto _ : st) {
      }
      st.SkipWithError(msg.c_str());
    });
    return;
  }
  auto capture = std::make_shared<Capture>(std::move(parsed.value()));
  g_largest = std::max(g_largest, capture->bytes.size());
  const std::uint64_t pixels = decode(*capture, nullptr);
  benchmark::RegisterBenchmark(("BM_RfbDecode/" + name).c_str(), [capture, pixels](benchmark::State& st) {
    for (auto _ : st) decode(*capture, &st);
    st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * capture->bytes.size()));
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * pixels));
  });
}

void BM_Baseline_Memcpy(benchmark::State& st) {
  std::vector<char> a(std::max<std::size_t>(g_largest, 1), 1), b(a.size());
  for (auto _ : st) {
    std::memcpy(b.data(), a.data(), a.size());
    benchmark::DoNotOptimize(b.data());
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * a.size()));
}

}  // namespace

int main(int argc, char** argv) {
  const char* dir = std::getenv("MW_RFB_CAPTURES");
  const fs::path folder = dir && *dir ? fs::path(dir) : fs::path(MW_TEST_DATA) / "rfb";
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    const std::string n = e.path().filename().string();
    if (n.ends_with(".rfb") || n.ends_with(".rfb.gz")) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) register_capture(f);
  benchmark::RegisterBenchmark("BM_Baseline_Memcpy", BM_Baseline_Memcpy);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
