// Benchmarks of shared/wsman: parsing an AMT Pull response (100 items) and a Get response into
// values, typed reading, building requests and responses, parsing a request on the device, HTTP
// chunked framing in 4 KiB reads, and a Digest Authorization. Baseline: pugixml parsing the
// same Pull document alone, in the same run (scripts/bench.sh prints the ratios).
#include <benchmark/benchmark.h>

#include <pugixml.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "mw/wsman/amt.hpp"
#include "mw/wsman/digest.hpp"
#include "mw/wsman/envelope.hpp"
#include "mw/wsman/http.hpp"

namespace {

using namespace mw::wsman;

// An AMT-style PullResponse with n CIM_PhysicalMemory-sized items (about 1 KiB each).
std::string pull_document(int n) {
  Request q = make_pull(resource_uri("CIM_PhysicalMemory"), "01000000-0000-0000-0000-000000000000");
  q.message_id = "12";
  Response r = make_reply(q, amt_message_id(12));
  for (int i = 0; i < n; ++i) {
    PhysicalMemory m;
    m.bank_label = "BANK " + std::to_string(i);
    m.capacity = 17179869184ull;
    m.configured_memory_clock_speed = 3200;
    m.manufacturer = "01980000802C";
    m.part_number = "K1CXP8-MIE          ";
    m.serial_number = std::to_string(12605691 + i);
    m.tag = "0421260" + std::to_string(i % 10);
    r.items.push_back(to_instance(m));
  }
  r.end_of_sequence = true;
  return build_response(r).value();
}

std::string get_document() {
  Request q = get_request<GeneralSettings>();
  q.message_id = "7";
  Response r = make_reply(q, amt_message_id(7));
  GeneralSettings gs;
  gs.host_name = "pc-01";
  gs.domain_name = "example.lan";
  gs.digest_realm = "Digest:0123456789ABCDEF0123456789ABCDEF";
  r.instance = to_instance(gs);
  return build_response(r).value();
}

void BM_Baseline_PugixmlParse(benchmark::State& state) {
  const std::string doc = pull_document(100);
  for (auto _ : state) {
    pugi::xml_document d;
    benchmark::DoNotOptimize(d.load_buffer(doc.data(), doc.size(), pugi::parse_default, pugi::encoding_utf8));
    benchmark::DoNotOptimize(d.first_child());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * doc.size()));
}
BENCHMARK(BM_Baseline_PugixmlParse);

// parse_response: pugixml + namespace resolution + copying into Response/Instance values.
void BM_ParsePullResponse(benchmark::State& state) {
  const std::string doc = pull_document(100);
  for (auto _ : state) {
    auto r = parse_response(doc);
    benchmark::DoNotOptimize(r.ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * doc.size()));
}
BENCHMARK(BM_ParsePullResponse);

void BM_ParsePullAndReadItems(benchmark::State& state) {
  const std::string doc = pull_document(100);
  for (auto _ : state) {
    auto r = parse_response(doc);
    auto items = read_items<PhysicalMemory>(r->items);
    benchmark::DoNotOptimize(items.ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * doc.size()));
}
BENCHMARK(BM_ParsePullAndReadItems);

void BM_ParseGetGeneralSettings(benchmark::State& state) {
  const std::string doc = get_document();
  for (auto _ : state) {
    auto r = parse_response(doc);
    auto gs = read_response<GeneralSettings>(*r);
    benchmark::DoNotOptimize(gs.ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * doc.size()));
}
BENCHMARK(BM_ParseGetGeneralSettings);

void BM_BuildPullResponse(benchmark::State& state) {
  Request q = make_pull(resource_uri("CIM_PhysicalMemory"), "ctx");
  q.message_id = "1";
  Response r = make_reply(q, amt_message_id(1));
  for (int i = 0; i < 100; ++i) r.items.push_back(to_instance(PhysicalMemory{}));
  r.end_of_sequence = true;
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto xml = build_response(r);
    bytes += xml->size();
    benchmark::DoNotOptimize(xml->data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_BuildPullResponse);

void BM_BuildRequestPowerStateChange(benchmark::State& state) {
  Request q = request_power_state_change(PowerState::kMasterBusReset);
  q.message_id = "uuid:8e3f6b1c-1b7a-4c1e-9a55-0f1e2d3c4b5a";
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto xml = build_request(q);
    bytes += xml->size();
    benchmark::DoNotOptimize(xml->data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_BuildRequestPowerStateChange);

void BM_DeviceParseRequest(benchmark::State& state) {
  Request q = request_power_state_change(PowerState::kMasterBusReset);
  q.message_id = "8";
  const std::string doc = build_request(q).value();
  for (auto _ : state) {
    auto r = parse_request(doc);
    auto change = read_power_state_change(*r);
    benchmark::DoNotOptimize(change.ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * doc.size()));
}
BENCHMARK(BM_DeviceParseRequest);

// The Pull document as AMT sends it (chunked), parsed in 4 KiB reads.
void BM_HttpChunkedResponse4K(benchmark::State& state) {
  HttpResponseHead head;
  head.framing = BodyFraming::kChunked;
  head.chunk_size = 1460;
  head.headers = {{"Content-Type", "application/soap+xml;charset=UTF-8"}};
  const std::string wire = build_http_response(head, pull_document(100)).value();
  std::vector<HttpMessage> out;
  for (auto _ : state) {
    HttpParser p(HttpRole::kResponse);
    out.clear();
    for (std::size_t pos = 0; pos < wire.size(); pos += 4096)
      benchmark::DoNotOptimize(p.feed(std::string_view(wire).substr(pos, 4096), out));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(BM_HttpChunkedResponse4K);

void BM_DigestAuthorizationMd5(benchmark::State& state) {
  DigestClient client("admin", "P@ssw0rd");
  (void)client.on_challenge(R"(Digest realm="Digest:0123456789ABCDEF0123456789ABCDEF", nonce="4d2f1a7c9e0b3d5f", stale="false", qop="auth")");
  for (auto _ : state) {
    auto h = client.authorization("POST", "/wsman", "0a4f113b");
    benchmark::DoNotOptimize(h->data());
    if (client.nonce_count() > 1000000) client.set_challenge(*client.challenge());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_DigestAuthorizationMd5);

}  // namespace

BENCHMARK_MAIN();
