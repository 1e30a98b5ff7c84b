// Per-operation counters shared by the store backends (queries, errors, cumulative latency).
#include "store/store.hpp"

namespace mw::server::store {

std::string_view op_name(Op op) {
  static constexpr std::array<std::string_view, kOpKinds> kNames = {
      "get", "put", "remove", "list", "count", "add_event", "query_events", "expire_events",
      "add_power", "query_power", "expire_power", "export", "import"};
  const auto i = static_cast<std::size_t>(op);
  return i < kNames.size() ? kNames[i] : "unknown";
}

void StoreCounters::record(Op op, std::chrono::steady_clock::duration took, bool ok) {
  const auto i = static_cast<std::size_t>(op);
  if (i >= slots_.size()) return;
  auto& s = slots_[i];
  s.queries.fetch_add(1, std::memory_order_relaxed);
  if (!ok) s.errors.fetch_add(1, std::memory_order_relaxed);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
  s.total_us.fetch_add(static_cast<std::uint64_t>(us < 0 ? 0 : us), std::memory_order_relaxed);
}

std::vector<OpStats> StoreCounters::snapshot() const {
  std::vector<OpStats> out;
  out.reserve(slots_.size());
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const auto& s = slots_[i];
    out.push_back(OpStats{op_name(static_cast<Op>(i)), s.queries.load(std::memory_order_relaxed),
                          s.errors.load(std::memory_order_relaxed),
                          s.total_us.load(std::memory_order_relaxed)});
  }
  return out;
}

}  // namespace mw::server::store
