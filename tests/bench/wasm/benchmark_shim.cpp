// Runner of the wasm benchmark harness: grows the iteration count until a run lasts
// --benchmark_min_time seconds (default 0.5), repeats --benchmark_repetitions times (default 3)
// and reports the median, as Google Benchmark's aggregates do.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "benchmark/benchmark.h"

namespace benchmark::internal {

namespace {
std::vector<std::unique_ptr<Benchmark>>& registry() {
  static std::vector<std::unique_ptr<Benchmark>> r;
  return r;
}
}  // namespace

Benchmark* RegisterBenchmarkInternal(Benchmark* b) {
  registry().emplace_back(b);
  return b;
}

void UseCharPointer(char const volatile*) {}

int RunAll(int argc, char** argv) {
  double min_time = 0.5;
  int repetitions = 3;
  std::string out_file, filter;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* key) -> const char* {
      const std::string k = std::string(key) + "=";
      return a.rfind(k, 0) == 0 ? argv[i] + k.size() : nullptr;
    };
    if (const char* v = value("--benchmark_min_time")) min_time = std::atof(v);
    if (const char* v = value("--benchmark_repetitions")) repetitions = std::max(1, std::atoi(v));
    if (const char* v = value("--benchmark_out")) out_file = v;
    if (const char* v = value("--benchmark_filter")) filter = v;
  }
  nlohmann::json rows = nlohmann::json::array();
  std::printf("%-52s %14s %16s\n", "benchmark (wasm)", "iterations", "throughput");
  for (const auto& b : registry()) {
    auto arg_sets = b->args();
    if (arg_sets.empty()) arg_sets.push_back({});
    for (const auto& args : arg_sets) {
      std::string name = b->name();
      for (auto x : args) name += "/" + std::to_string(x);
      if (!filter.empty() && name.find(filter) == std::string::npos) continue;
      std::vector<double> rates;
      std::vector<double> item_rates;
      std::vector<double> ns_per_iter;
      std::int64_t iters = 1;
      bool failed = false;
      std::string error;
      for (int rep = 0; rep < repetitions && !failed; ++rep) {
        while (true) {
          State st(iters, args);
          b->fn()(st);
          if (st.error()) {
            failed = true;
            error = st.error_message();
            break;
          }
          if (st.seconds() >= min_time || iters > (std::int64_t{1} << 40)) {
            rates.push_back(st.bytes() / st.seconds());
            ns_per_iter.push_back(st.seconds() * 1e9 / static_cast<double>(iters));
            item_rates.push_back(st.items() / st.seconds());
            break;
          }
          const double scale = st.seconds() > 0 ? min_time * 1.4 / st.seconds() : 10.0;
          iters = std::max<std::int64_t>(iters + 1, static_cast<std::int64_t>(iters * std::min(scale, 10.0)));
        }
      }
      if (failed) {
        std::printf("%-52s ERROR: %s\n", name.c_str(), error.c_str());
        continue;
      }
      std::sort(rates.begin(), rates.end());
      std::sort(item_rates.begin(), item_rates.end());
      std::sort(ns_per_iter.begin(), ns_per_iter.end());
      const double bps = rates[rates.size() / 2];
      const double ips = item_rates[item_rates.size() / 2];
      std::printf("%-52s %14lld %13.1f MB/s\n", name.c_str(), static_cast<long long>(iters), bps / 1e6);
      nlohmann::json row = {{"name", name + "_median"}, {"run_type", "aggregate"}, {"aggregate_name", "median"},
                            {"iterations", iters}, {"real_time", ns_per_iter[ns_per_iter.size() / 2]},
                            {"time_unit", "ns"}};
      if (bps > 0) row["bytes_per_second"] = bps;
      if (ips > 0) row["items_per_second"] = ips;
      rows.push_back(row);
    }
  }
  if (!out_file.empty()) {
    nlohmann::json doc = {{"context",
                           {{"date", "wasm"}, {"num_cpus", 1}, {"mhz_per_cpu", 0}, {"library_build_type", "wasm-shim"}}},
                          {"benchmarks", rows}};
    std::ofstream(out_file) << doc.dump(2);
  }
  return 0;
}

}  // namespace benchmark::internal

namespace benchmark {

namespace {
int g_argc = 0;
char** g_argv = nullptr;
}  // namespace

void Initialize(int* argc, char** argv) {
  g_argc = *argc;
  g_argv = argv;
}

std::size_t RunSpecifiedBenchmarks() { return static_cast<std::size_t>(internal::RunAll(g_argc, g_argv)); }

}  // namespace benchmark
