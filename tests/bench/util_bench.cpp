// Benchmarks of shared/util: base64 encode/decode throughput on 16 KiB buffers, with memcpy of
// the same size as the in-run baseline (scripts/bench.sh prints the ratio).
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "mw/util/base64.hpp"

namespace {

std::vector<std::uint8_t> sample(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  std::uint32_t x = 12345;
  for (auto& b : v) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  return v;
}

void BM_Baseline_Memcpy(benchmark::State& state) {
  const auto in = sample(16384);
  std::vector<std::uint8_t> out(in.size());
  for (auto _ : state) {
    std::memcpy(out.data(), in.data(), in.size());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
}
BENCHMARK(BM_Baseline_Memcpy);

void BM_Base64Encode(benchmark::State& state) {
  const auto in = sample(16384);
  for (auto _ : state) benchmark::DoNotOptimize(mw::util::base64_encode(in));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
}
BENCHMARK(BM_Base64Encode);

void BM_Base64Decode(benchmark::State& state) {
  const auto text = mw::util::base64_encode(sample(16384));
  for (auto _ : state) benchmark::DoNotOptimize(mw::util::base64_decode(text));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * 16384));
}
BENCHMARK(BM_Base64Decode);

}  // namespace

BENCHMARK_MAIN();
