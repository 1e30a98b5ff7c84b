// A small Google Benchmark-compatible harness for the WebAssembly build: the same benchmark
// sources (tests/bench/*_bench.cpp) compile against it and run under Node, so native and wasm
// figures come from identical code. Supports what those sources use: State loops, Arg/range,
// SetBytesProcessed/SetItemsProcessed, Pause/ResumeTiming, SkipWithError, rate counters,
// DoNotOptimize/ClobberMemory, BENCHMARK and BENCHMARK_MAIN, and for benchmarks made at run time
// (one per input file) RegisterBenchmark(name, callable) with Initialize/RunSpecifiedBenchmarks. Output: a table, and with
// --benchmark_out=FILE the JSON shape Google Benchmark writes (enough for tests/bench/report.mjs).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace benchmark {

struct Counter {
  enum Flags { kDefaults = 0, kIsRate = 1 };
  Counter(double v = 0, Flags f = kDefaults) : value(v), flags(f) {}  // NOLINT
  double value;
  Flags flags;
};

class State {
 public:
  State(std::int64_t max_iterations, std::vector<std::int64_t> args)
      : max_iterations_(max_iterations), args_(std::move(args)) {}

  struct Iterator {
    State* state;
    std::int64_t left;
    bool operator!=(const Iterator&) const {
      if (left > 0 && !state->error_) return true;
      state->finish();
      return false;
    }
    void operator++() { --left; }
    int operator*() const { return 0; }
  };
  Iterator begin() {
    start_ = std::chrono::steady_clock::now();
    return Iterator{this, max_iterations_};
  }
  Iterator end() { return Iterator{this, 0}; }

  std::int64_t iterations() const { return max_iterations_; }
  std::int64_t range(std::size_t i = 0) const { return i < args_.size() ? args_[i] : 0; }
  void SetBytesProcessed(std::int64_t n) { bytes_ = n; }
  void SetItemsProcessed(std::int64_t n) { items_ = n; }
  void SkipWithError(const char* msg) {
    error_ = true;
    error_message_ = msg;
  }
  void PauseTiming() { paused_at_ = std::chrono::steady_clock::now(); }
  void ResumeTiming() { paused_ += std::chrono::steady_clock::now() - paused_at_; }
  std::map<std::string, Counter> counters;

  // For the runner.
  double seconds() const { return seconds_; }
  std::int64_t bytes() const { return bytes_; }
  std::int64_t items() const { return items_; }
  bool error() const { return error_; }
  const std::string& error_message() const { return error_message_; }

 private:
  void finish() {
    if (finished_) return;
    finished_ = true;
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_ - paused_).count();
  }
  std::int64_t max_iterations_;
  std::vector<std::int64_t> args_;
  std::chrono::steady_clock::time_point start_, paused_at_;
  std::chrono::steady_clock::duration paused_{0};
  double seconds_ = 0;
  bool finished_ = false;
  std::int64_t bytes_ = 0, items_ = 0;
  bool error_ = false;
  std::string error_message_;
};

namespace internal {
class Benchmark {
 public:
  Benchmark(std::string name, std::function<void(State&)> fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  Benchmark* Arg(std::int64_t a) {
    args_.push_back({a});
    return this;
  }
  Benchmark* Args(std::vector<std::int64_t> a) {
    args_.push_back(std::move(a));
    return this;
  }
  Benchmark* Unit(int) { return this; }
  Benchmark* MinTime(double) { return this; }
  const std::string& name() const { return name_; }
  const std::function<void(State&)>& fn() const { return fn_; }
  const std::vector<std::vector<std::int64_t>>& args() const { return args_; }

 private:
  std::string name_;
  std::function<void(State&)> fn_;
  std::vector<std::vector<std::int64_t>> args_;
};
Benchmark* RegisterBenchmarkInternal(Benchmark* b);
int RunAll(int argc, char** argv);
void UseCharPointer(char const volatile*);
}  // namespace internal

template <class F>
internal::Benchmark* RegisterBenchmark(const std::string& name, F&& fn) {
  return internal::RegisterBenchmarkInternal(new internal::Benchmark(name, std::forward<F>(fn)));
}
void Initialize(int* argc, char** argv);
std::size_t RunSpecifiedBenchmarks();
inline void Shutdown() {}

template <class T>
inline void DoNotOptimize(T const& value) {
  internal::UseCharPointer(&reinterpret_cast<char const volatile&>(value));
}
inline void ClobberMemory() { std::atomic_signal_fence(std::memory_order_acq_rel); }

}  // namespace benchmark

#define MW_BENCH_CONCAT2(a, b) a##b
#define MW_BENCH_CONCAT(a, b) MW_BENCH_CONCAT2(a, b)
#define BENCHMARK(fn)                                                                  \
  static ::benchmark::internal::Benchmark* MW_BENCH_CONCAT(mw_bench_, __LINE__) [[maybe_unused]] = \
      ::benchmark::internal::RegisterBenchmarkInternal(new ::benchmark::internal::Benchmark(#fn, fn))
#define BENCHMARK_MAIN() \
  int main(int argc, char** argv) { return ::benchmark::internal::RunAll(argc, argv); }
