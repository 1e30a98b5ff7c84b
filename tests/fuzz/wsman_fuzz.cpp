// Fuzz target: shared/wsman parsers must never crash, throw or grow without bound on any input.
// Byte 0 picks the surface: 0 SOAP envelopes (responses and requests, the typed readers, the
// enumeration machine; whatever parses must build and parse again to a fixed point), 1 HTTP
// framing (byte 1 is the read size, both roles), 2 authentication headers (challenges and
// credentials, formatted back and re-parsed, then checked by the device), 3 AMT log records,
// 4 the client conversation (byte 1 is the read size: a device's answers to requests in flight).
// Seeds in tests/fuzz/corpus/wsman start with that byte.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mw/wsman/amt.hpp"
#include "mw/wsman/amt_logs.hpp"
#include "mw/wsman/client.hpp"
#include "mw/wsman/digest.hpp"
#include "mw/wsman/envelope.hpp"
#include "mw/wsman/http.hpp"

namespace {

using namespace mw::wsman;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

template <typename T>
void read_all(const Response& r) {
  (void)read_response<T>(r);
  (void)read_items<T>(r.items);
  if (r.instance) (void)from_instance<T>(*r.instance);
}

void fuzz_envelope(std::string_view text) {
  Limits limits;
  limits.max_envelope_bytes = 256 * 1024;
  // What we write declares namespaces more often than the input may have: read it back roomier.
  Limits roomy;
  roomy.max_envelope_bytes = 64 * 1024 * 1024;
  roomy.max_nodes = 10 * 1000 * 1000;
  roomy.max_depth = 128;
  if (auto r = parse_response(text, limits); r.ok()) {
    read_all<GeneralSettings>(*r);
    read_all<SoftwareIdentity>(*r);
    read_all<ComputerSystemPackage>(*r);
    read_all<Chassis>(*r);
    read_all<Card>(*r);
    read_all<BiosElement>(*r);
    read_all<Processor>(*r);
    read_all<PhysicalMemory>(*r);
    read_all<AssociatedPowerManagementService>(*r);
    read_all<RedirectionService>(*r);
    read_all<KvmRedirectionSap>(*r);
    read_all<KvmRedirectionSettingData>(*r);
    read_all<BootCapabilities>(*r);
    read_all<BootSettingData>(*r);
    read_all<EthernetPortSettings>(*r);
    if (r->instance) (void)read_return_value(*r, last_segment(r->instance->class_name));
    (void)read_audit_log_page(*r);
    (void)read_message_log_page(*r);
    (void)read_iteration_identifier(*r);
    Enumeration en("http://x/C", Enumeration::Options{std::nullopt, 50, 5});
    for (int i = 0; i < 3 && !en.done(); ++i) (void)en.on_response(*r);
    (void)en.release();
    // Whatever was read builds again, and building what that reads back is a fixed point.
    if (auto xml = build_response(*r); xml.ok()) {
      auto again = parse_response(*xml, roomy);
      check(again.ok());
      auto xml2 = build_response(*again);
      check(xml2.ok() && *xml2 == *xml);
    }
  }
  if (auto q = parse_request(text, limits); q.ok()) {
    (void)q->operation();
    (void)read_power_state_change(*q);
    (void)read_change_boot_order(*q);
    (void)read_set_boot_config_role(*q);
    (void)read_get_records(*q);
    (void)read_u32_argument(*q, "RequestedState");
    Response reply = make_reply(*q, amt_message_id(1));
    if (q->instance) reply.instance = method_output(*q, 0);
    (void)build_response(reply);
    if (auto xml = build_request(*q); xml.ok()) {
      auto again = parse_request(*xml, roomy);
      check(again.ok());
      auto xml2 = build_request(*again);
      check(xml2.ok() && *xml2 == *xml);
    }
  } else {
    (void)fault_for(q.error());
  }
}

void fuzz_http(std::span<const std::uint8_t> data) {
  if (data.empty()) return;
  const std::size_t step = std::size_t{data[0]} + 1;
  data = data.subspan(1);
  HttpLimits limits;
  limits.max_body = 64 * 1024;
  for (HttpRole role : {HttpRole::kResponse, HttpRole::kRequest}) {
    HttpParser p(role, limits);
    std::vector<HttpMessage> out;
    bool failed = false;
    for (std::size_t i = 0; i < data.size() && !failed; i += step) {
      auto r = p.feed(data.subspan(i, std::min(step, data.size() - i)), out);
      failed = !r.ok();
      for (const HttpMessage& m : out) check(m.body.size() <= limits.max_body);
      // A message completed once stays complete: what a device would answer parses back.
      for (const HttpMessage& m : out) {
        (void)m.keep_alive();
        if (role != HttpRole::kRequest) continue;
        HttpResponseHead head;
        head.framing = m.body.size() % 2 ? BodyFraming::kChunked : BodyFraming::kContentLength;
        head.chunk_size = 1 + m.body.size() % 7;
        auto wire = build_http_response(head, m.body);
        check(wire.ok());
        HttpParser back(HttpRole::kResponse, limits);
        std::vector<HttpMessage> got;
        check(back.feed(*wire, got).ok() && got.size() == 1 && got[0].body == m.body);
      }
      out.clear();
    }
    if (!failed) (void)p.finish(out);
  }
}

void fuzz_auth(std::string_view text) {
  (void)parse_auth_challenges(text);
  if (auto c = parse_digest_challenge(text); c.ok()) {
    if (auto www = format_digest_challenge(*c); www.ok()) {
      auto again = parse_digest_challenge(*www);
      check(again.ok() && again->realm == c->realm && again->nonce == c->nonce && again->qop == c->qop);
    }
    DigestClient client("admin", "P@ssw0rd");
    client.set_challenge(*c);
    if (auto h = client.authorization("POST", "/wsman", "0a4f113b"); h.ok()) {
      auto creds = parse_digest_credentials(*h);
      check(creds.ok());
      const DigestExpectation e{c->realm, c->nonce, c->opaque, "POST", "/wsman", ""};
      check(verify_digest(*creds, "admin", "P@ssw0rd", e) == DigestVerdict::kOk);
    }
  }
  if (auto creds = parse_digest_credentials(text); creds.ok()) {
    const DigestExpectation e{creds->realm, creds->nonce, "", "POST", creds->uri, ""};
    (void)verify_digest(*creds, creds->username, "pw", e);
    (void)nonce_count_value(creds->nc);
    if (auto h = format_digest_credentials(*creds); h.ok()) {
      auto again = parse_digest_credentials(*h);
      check(again.ok() && *again == *creds);
    }
  }
}

void fuzz_records(std::span<const std::uint8_t> data) {
  if (auto a = decode_audit_record(data); a.ok()) {
    auto bytes = encode_audit_record(*a);
    check(bytes.ok());
    auto back = decode_audit_record(*bytes);
    check(back.ok() && *back == *a);
  }
  if (auto e = decode_event_record(data); e.ok()) {
    auto back = decode_event_record(encode_event_record(*e));
    check(back.ok() && *back == *e);
  }
}

void fuzz_client(std::span<const std::uint8_t> data) {
  if (data.empty()) return;
  const std::size_t step = std::size_t{data[0]} + 1;
  data = data.subspan(1);
  Client::Options o{"uuid:16992", "admin", "P@ssw0rd-1", "", {}};
  o.limits.max_body = 64 * 1024;
  Client c(o, [](std::size_t n) { return std::string(2 * n, 'a'); });
  int requests = 0;
  check(c.send(get_request<GeneralSettings>()));
  ++requests;
  for (std::size_t i = 0; i < data.size(); i += step) {
    (void)c.take_output();
    auto r = c.feed(data.subspan(i, std::min(step, data.size() - i)));
    if (r) {
      check(!c.busy());  // a result ends the request in flight
      if (c.closed() || requests >= 8) break;
      // A device whose challenge cannot be answered (an unknown qop) makes every send fail.
      if (!c.send(request_power_state_change(PowerState::kOffSoft))) break;
      check(c.busy());
      ++requests;
    }
  }
  auto end = c.end_of_stream();
  check(!c.busy());
  if (end) check(!end->ok() || end->ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  const std::string_view text(reinterpret_cast<const char*>(rest.data()), rest.size());
  switch (data[0] % 5) {
    case 0: fuzz_envelope(text); break;
    case 1: fuzz_http(rest); break;
    case 2: fuzz_auth(text); break;
    case 3: fuzz_records(rest); break;
    default: fuzz_client(rest); break;
  }
  return 0;
}
