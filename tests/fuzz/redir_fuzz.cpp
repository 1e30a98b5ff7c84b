// Fuzz target: the redirection decoder (both roles) and both session state machines must never
// crash, throw or grow without bound on any input, and every decoded message must encode and
// decode back to itself. Input: byte 0 picks the session type, byte 1 the read size, then the
// stream (seeds in tests/fuzz/corpus/redir: a console's and an AMT's side of real sessions).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mw/redir/decoder.hpp"
#include "mw/redir/messages.hpp"
#include "mw/redir/session.hpp"
#include "mw/util/hex.hpp"
#include "mw/util/md5.hpp"

namespace {

using namespace mw::redir;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

std::string md5_hex(std::string_view s) { return mw::util::hex_encode(mw::util::md5(s)); }

void round_trip(Role role, SessionType type, const Message& m) {
  if (std::holds_alternative<RawData>(m)) return;
  Decoder d(role);
  d.set_session_type(type);
  auto r = d.feed(encode(m));
  check(r.ok() && r->size() == 1 && r->front() == m && d.buffered() == 0);
}

template <class Feed>
void chunked(std::span<const std::uint8_t> data, std::size_t chunk, Feed feed) {
  while (!data.empty()) {
    const std::size_t n = std::min(chunk, data.size());
    feed(data.first(n));
    data = data.subspan(n);
  }
}

void fuzz_decoder(Role role, SessionType type, std::span<const std::uint8_t> data, std::size_t chunk) {
  Decoder d(role);
  d.set_session_type(type);
  SessionType seen = type;
  bool failed = false;
  chunked(data, chunk, [&](std::span<const std::uint8_t> part) {
    if (failed) return;
    std::vector<Message> out;
    auto r = d.feed(part, out);
    check(d.buffered() <= 10 + kMaxSolPayload);
    for (const auto& m : out) {
      if (const auto* s = std::get_if<StartRedirectionSession>(&m)) seen = s->type;
      round_trip(role, seen, m);
    }
    if (!r.ok()) {
      check(!r.error().code.empty());
      failed = true;
    }
  });
  (void)d.finish();
}

void fuzz_client(SessionType type, std::span<const std::uint8_t> data, std::size_t chunk) {
  ClientConfig config;
  config.type = type;
  config.password = "secret";
  config.md5_hex = md5_hex;
  config.make_cnonce = [] { return std::string("0123456789abcdef"); };
  config.allow_user_password = (chunk & 1) != 0;
  config.max_sol_chunk = 7;
  ClientSession s(config);
  s.start();
  std::uint64_t now = 0;
  chunked(data, chunk, [&](std::span<const std::uint8_t> part) {
    s.feed(part);
    s.tick(now += 1500);
    s.send_sol_data(part);
    s.send_raw(part);
  });
  s.close();
  s.end_of_stream();
}

void fuzz_device(std::span<const std::uint8_t> data, std::size_t chunk) {
  DeviceConfig config;
  config.password = "secret";
  config.md5_hex = md5_hex;
  config.make_nonce = [] { return std::string("fedcba9876543210"); };
  DeviceSession s(config);
  std::uint64_t now = 0;
  chunked(data, chunk, [&](std::span<const std::uint8_t> part) {
    s.feed(part);
    s.tick(now += 2500);
    s.send_sol_data(part);
    s.send_sol_controls(part[0], part[0]);
    s.send_raw(part);
  });
  s.end_of_stream();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static constexpr SessionType kTypes[] = {SessionType::kSol, SessionType::kKvm, SessionType::kIder};
  const SessionType type = kTypes[data[0] % 3];
  const std::size_t chunk = std::size_t{data[1]} + 1;
  const std::span<const std::uint8_t> stream(data + 2, size - 2);
  fuzz_decoder(Role::kClient, type, stream, chunk);
  fuzz_decoder(Role::kDevice, type, stream, chunk);
  fuzz_client(type, stream, chunk);
  fuzz_device(stream, chunk);
  return 0;
}
