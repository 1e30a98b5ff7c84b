// Benchmarks of shared/apf: CHANNEL_DATA decode (header parse + payload view) and encode on
// 16 KiB payloads, chunked decode as from TCP segments, and a session receiving data; memcpy of
// the same 16 KiB is the in-run baseline (scripts/bench.sh prints the ratio).
#include <benchmark/benchmark.h>

#include <cstring>
#include <span>
#include <vector>

#include "mw/apf/decoder.hpp"
#include "mw/apf/messages.hpp"
#include "mw/apf/mps_session.hpp"

namespace {

constexpr std::size_t kPayload = 16384;

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
  const auto in = sample(kPayload);
  std::vector<std::uint8_t> out(in.size());
  for (auto _ : state) {
    std::memcpy(out.data(), in.data(), in.size());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
}
BENCHMARK(BM_Baseline_Memcpy);

// One whole CHANNEL_DATA per call: parse the header, hand out a view of the payload.
void BM_DecodeChannelData16K(benchmark::State& state) {
  const auto payload = sample(kPayload);
  const auto wire = mw::apf::encode(mw::apf::ChannelData{4, payload});
  mw::apf::Decoder decoder;
  std::size_t total = 0;
  for (auto _ : state) {
    std::span<const std::uint8_t> in(wire);
    auto r = decoder.next(in);
    if (!r.ok() || !r.value()) {
      state.SkipWithError("decode failed");
      break;
    }
    const auto& m = std::get<mw::apf::ChannelData>(*r.value());
    total += m.data.size();
    benchmark::DoNotOptimize(m.data.data());
  }
  benchmark::DoNotOptimize(total);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPayload));
}
BENCHMARK(BM_DecodeChannelData16K);

// The same through feed(): the message vector is reused, as a connection loop would.
void BM_DecodeChannelData16KFeed(benchmark::State& state) {
  const auto payload = sample(kPayload);
  const auto wire = mw::apf::encode(mw::apf::ChannelData{4, payload});
  mw::apf::Decoder decoder;
  std::vector<mw::apf::Message> out;
  out.reserve(4);
  for (auto _ : state) {
    out.clear();
    auto r = decoder.feed(wire, out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPayload));
}
BENCHMARK(BM_DecodeChannelData16KFeed);

// Arriving in 1460-byte TCP segments: every message straddles reads and is assembled (one copy).
void BM_DecodeChannelData16KChunked1460(benchmark::State& state) {
  const auto payload = sample(kPayload);
  const auto wire = mw::apf::encode(mw::apf::ChannelData{4, payload});
  mw::apf::Decoder decoder;
  std::vector<mw::apf::Message> out;
  out.reserve(4);
  for (auto _ : state) {
    std::span<const std::uint8_t> rest(wire);
    while (!rest.empty()) {
      const std::size_t n = std::min<std::size_t>(rest.size(), 1460);
      out.clear();
      auto r = decoder.feed(rest.first(n), out);
      benchmark::DoNotOptimize(r);
      rest = rest.subspan(n);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPayload));
}
BENCHMARK(BM_DecodeChannelData16KChunked1460);

void BM_EncodeChannelData16K(benchmark::State& state) {
  const auto payload = sample(kPayload);
  std::vector<std::uint8_t> out;
  out.reserve(kPayload + 64);
  for (auto _ : state) {
    out.clear();
    mw::apf::encode_to(mw::apf::ChannelData{4, payload}, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPayload));
}
BENCHMARK(BM_EncodeChannelData16K);

// An MPS session receiving 16 KiB CHANNEL_DATA on an open channel: decode, window accounting,
// the event (one copy of the payload), consume() and its WINDOW_ADJUSTs.
void BM_MpsSessionReceive16K(benchmark::State& state) {
  using namespace mw::apf;
  MpsSession mps;
  std::vector<std::uint8_t> setup;
  for (const Message& m : {Message{ProtocolVersion{}},
                           Message{UserAuthRequest{"u", std::string(kServicePfwd), "password", "p", false, ""}}}) {
    encode_to(m, setup);
  }
  mps.feed(setup);
  mps.accept_auth();
  setup.clear();
  for (const Message& m : {Message{ServiceRequest{std::string(kServicePfwd)}},
                           Message{GlobalRequest{std::string(kTcpipForward), true, "", 16992, "", 0, {}}}}) {
    encode_to(m, setup);
  }
  mps.feed(setup);
  const auto id = mps.open_channel(16992);
  mps.feed(encode(ChannelOpenConfirmation{*id, 1, 1u << 20, kNoMaxPacket}));
  (void)mps.take_output();
  const auto payload = sample(kPayload);
  const auto wire = encode(ChannelData{*id, payload});
  for (auto _ : state) {
    mps.feed(wire);
    Output out = mps.take_output();
    for (const auto& e : out.events) {
      if (const auto* d = std::get_if<ChannelReceived>(&e)) mps.consume(d->channel, d->data.size());
    }
    benchmark::DoNotOptimize(out.send.data());
  }
  if (mps.finished()) state.SkipWithError("session failed");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPayload));
}
BENCHMARK(BM_MpsSessionReceive16K);

}  // namespace

BENCHMARK_MAIN();
