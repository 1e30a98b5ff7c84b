// Fuzz target: the APF decoder and both sessions must never crash, throw or over-buffer on any
// input. Checked as well: decoding is the same whole and in chunks, every decoded message
// re-encodes and decodes back to itself, and whatever a session sends is valid APF.
// Input: byte 0 picks chunk sizes, reply forms and owner choices; the rest is the stream.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mw/apf/decoder.hpp"
#include "mw/apf/device_session.hpp"
#include "mw/apf/messages.hpp"
#include "mw/apf/mps_session.hpp"

namespace {

using namespace mw::apf;
using Bytes = std::vector<std::uint8_t>;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Rng {  // small deterministic generator seeded from the input
  std::uint32_t x;
  std::uint32_t next() {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
  }
};

Limits fuzz_limits() {
  Limits l;
  l.max_data = 1u << 16;  // keep memory small; the defaults are exercised by the unit tests
  l.max_json = 1u << 16;
  return l;
}

struct Decoded {
  std::vector<Bytes> messages;  // re-encoded at once: payload views die with the next call
  std::string error;
  bool operator==(const Decoded&) const = default;
};

Decoded decode(std::span<const std::uint8_t> input, std::uint8_t mode, bool chunked) {
  Decoder d(fuzz_limits());
  for (int i = 0; i < 4; ++i) d.expect_reply((mode >> i) & 1 ? ReplyForm::kBare : ReplyForm::kWithPort);
  Decoded out;
  Rng rng{0x9E3779B9u ^ mode};
  while (!input.empty()) {
    const std::size_t n = chunked ? std::min<std::size_t>(input.size(), 1 + rng.next() % 64) : input.size();
    std::span<const std::uint8_t> chunk = input.first(n);
    input = input.subspan(n);
    for (;;) {
      auto r = d.next(chunk);
      if (!r.ok()) {
        out.error = r.error().code;
        return out;
      }
      if (!r.value()) break;
      const Message& m = *r.value();
      out.messages.push_back(encode(m));
      // Round trip: the encoding decodes, alone and completely, to an equal message.
      Decoder again(fuzz_limits());
      if (const auto* s = std::get_if<RequestSuccess>(&m)) {
        again.expect_reply(s->port ? ReplyForm::kWithPort : ReplyForm::kBare);
      }
      auto back = again.feed(out.messages.back());
      check(back.ok() && back.value().size() == 1 && back.value().front() == m && again.buffered() == 0);
    }
    check(chunk.empty());
    check(d.buffered() <= d.max_message());
  }
  if (auto e = d.finish()) out.error = e->code;
  return out;
}

// Decodes what a session sent; it must always be valid APF.
void check_output(Decoder& checker, const Bytes& sent) {
  auto r = checker.feed(sent);
  check(r.ok());
}

void run_mps(std::span<const std::uint8_t> input, std::uint8_t mode) {
  MpsConfig config;
  config.session.limits = fuzz_limits();
  config.accept_device_channels = mode & 0x10;
  config.max_auth_attempts = 2;
  MpsSession mps(config);
  // Replies to GLOBAL_REQUESTs are framed by the request: learn them from the input itself.
  Decoder input_view(fuzz_limits());
  Decoder checker(fuzz_limits());
  Rng rng{0x1234567u ^ mode};
  std::uint64_t now = 0;
  const Bytes data(3000, 0x55);
  while (!input.empty() && !mps.finished()) {
    const std::size_t n = std::min<std::size_t>(input.size(), 1 + rng.next() % 48);
    std::span<const std::uint8_t> chunk = input.first(n);
    input = input.subspan(n);
    for (std::span<const std::uint8_t> look = chunk;;) {
      auto r = input_view.next(look);
      if (!r.ok() || !r.value()) break;
      if (const auto* g = std::get_if<GlobalRequest>(&*r.value()); g && g->want_reply) {
        checker.expect_reply(g->name == kCancelTcpipForward ? ReplyForm::kBare : ReplyForm::kWithPort);
      }
    }
    mps.feed(chunk);
    for (int round = 0; round < 4; ++round) {
      Output out = mps.take_output();
      check_output(checker, out.send);
      if (out.events.empty()) break;
      for (const auto& e : out.events) {
        if (std::holds_alternative<AuthRequested>(e)) {
          if (mode & 0x20) mps.reject_auth(); else mps.accept_auth();
        } else if (const auto* o = std::get_if<ChannelOpenRequested>(&e)) {
          mps.accept_channel(o->channel);
        } else if (const auto* d = std::get_if<ChannelReceived>(&e)) {
          mps.consume(d->channel, d->data.size());
        } else if (const auto* f = std::get_if<ForwardAdded>(&e)) {
          if (auto id = mps.open_channel(f->port)) mps.send_data(*id, data);
        } else if (const auto* op = std::get_if<ChannelOpened>(&e)) {
          if (rng.next() % 4 == 0) mps.close_channel(op->channel);
        }
      }
    }
    now += rng.next() % 40000;
    mps.tick(now);
    if (rng.next() % 16 == 0) mps.request_keepalive_options(30, 0);
  }
  mps.end_of_stream();
  check_output(checker, mps.take_output().send);
}

void run_device(std::span<const std::uint8_t> input, std::uint8_t mode) {
  DeviceConfig config;
  config.session.limits = fuzz_limits();
  config.username = "user";
  config.password = "pass";
  config.ports = {16992, 16993};
  DeviceSession dev(config);
  dev.start();
  Decoder checker(fuzz_limits());  // a device never sends REQUEST_SUCCESS
  check_output(checker, dev.take_output().send);
  Rng rng{0xABCDEFu ^ mode};
  std::uint64_t now = 0;
  const Bytes data(5000, 0x66);
  while (!input.empty() && !dev.finished()) {
    const std::size_t n = std::min<std::size_t>(input.size(), 1 + rng.next() % 48);
    dev.feed(input.first(n));
    input = input.subspan(n);
    for (int round = 0; round < 4; ++round) {
      Output out = dev.take_output();
      check_output(checker, out.send);
      if (out.events.empty()) break;
      for (const auto& e : out.events) {
        if (const auto* o = std::get_if<ChannelOpenRequested>(&e)) {
          if (mode & 0x40) dev.reject_channel(o->channel); else dev.accept_channel(o->channel);
        } else if (const auto* d = std::get_if<ChannelReceived>(&e)) {
          if (rng.next() % 2) dev.consume(d->channel, d->data.size());
          dev.send_data(d->channel, data);
          if (rng.next() % 8 == 0) dev.close_channel(d->channel);
        } else if (std::holds_alternative<Ready>(e)) {
          if (mode & 0x80) dev.cancel_forward(16993);
          dev.open_channel("mps", 80);
        }
      }
    }
    now += rng.next() % 40000;
    dev.tick(now);
  }
  dev.end_of_stream();
  check_output(checker, dev.take_output().send);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const std::span<const std::uint8_t> input(data + 1, size - 1);
  const Decoded whole = decode(input, mode, false);
  const Decoded chunked = decode(input, mode, true);
  check(whole == chunked);
  run_mps(input, mode);
  run_device(input, mode);
  return 0;
}
