// Benchmarks of shared/redir: SOL data decode throughput (the hot path of a terminal session)
// in 4 KiB reads and whole, session-level SOL receive, and SOL data encode. Baseline: memcpy
// of the same stream bytes in the same run (scripts/bench.sh prints the ratio).
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "mw/redir/decoder.hpp"
#include "mw/redir/messages.hpp"
#include "mw/redir/session.hpp"

namespace {

using namespace mw::redir;

constexpr std::size_t kStreamBytes = 64 * 1024;

std::vector<std::uint8_t> payload(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  std::uint32_t x = 12345;
  for (auto& b : v) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>(0x20 + (x >> 24) % 0x5F);  // printable, like a console
  }
  return v;
}

// About kStreamBytes of SolDataFromHost messages carrying `size` bytes each.
std::vector<std::uint8_t> sol_stream(std::size_t size) {
  const auto data = payload(size);
  std::vector<std::uint8_t> out;
  for (std::uint32_t seq = 1; out.size() < kStreamBytes; ++seq) encode_to(SolDataFromHost{seq, data}, out);
  return out;
}

void BM_Baseline_Memcpy(benchmark::State& state) {
  const auto in = sol_stream(static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint8_t> out(in.size());
  for (auto _ : state) {
    std::memcpy(out.data(), in.data(), in.size());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
}
BENCHMARK(BM_Baseline_Memcpy)->Arg(1024);

// Decoder fed in 4 KiB reads, as a socket delivers them (messages straddle reads).
void BM_SolDecode4K(benchmark::State& state) {
  const auto in = sol_stream(static_cast<std::size_t>(state.range(0)));
  std::vector<Message> out;
  for (auto _ : state) {
    Decoder d(Role::kClient);
    out.clear();
    for (std::size_t pos = 0; pos < in.size(); pos += 4096) {
      const std::size_t n = std::min<std::size_t>(4096, in.size() - pos);
      benchmark::DoNotOptimize(d.feed(std::span<const std::uint8_t>(in).subspan(pos, n), out));
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
}
BENCHMARK(BM_SolDecode4K)->Arg(16)->Arg(256)->Arg(1024);

void BM_SolDecodeWhole(benchmark::State& state) {
  const auto in = sol_stream(static_cast<std::size_t>(state.range(0)));
  std::vector<Message> out;
  for (auto _ : state) {
    Decoder d(Role::kClient);
    out.clear();
    benchmark::DoNotOptimize(d.feed(in, out));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
}
BENCHMARK(BM_SolDecodeWhole)->Arg(1024);

// ClientSession in the running SOL state: decode plus SolData events.
void BM_ClientSessionSolReceive(benchmark::State& state) {
  const auto in = sol_stream(static_cast<std::size_t>(state.range(0)));
  ClientConfig config;
  config.md5_hex = [](std::string_view) { return std::string(32, '0'); };
  config.make_cnonce = [] { return std::string("c"); };
  config.allow_user_password = true;
  for (auto _ : state) {
    state.PauseTiming();
    ClientSession session(config);
    session.start();
    session.feed(encode(StartRedirectionSessionReply{}));
    session.feed(encode(AuthenticateSessionReply{kStatusSuccess, AuthType::kQuery, {1}}));
    session.feed(encode(AuthenticateSessionReply{kStatusSuccess, AuthType::kUserPassword, {}}));
    session.feed(encode(StartSolReply{}));
    state.ResumeTiming();
    for (std::size_t pos = 0; pos < in.size(); pos += 4096) {
      const std::size_t n = std::min<std::size_t>(4096, in.size() - pos);
      benchmark::DoNotOptimize(session.feed(std::span<const std::uint8_t>(in).subspan(pos, n)));
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
}
BENCHMARK(BM_ClientSessionSolReceive)->Arg(1024);

void BM_SolEncode(benchmark::State& state) {
  const auto data = payload(static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint8_t> out;
  std::size_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    for (std::uint32_t seq = 1; out.size() < kStreamBytes; ++seq) encode_to(SolDataToHost{seq, data}, out);
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_SolEncode)->Arg(1024);

}  // namespace

BENCHMARK_MAIN();
