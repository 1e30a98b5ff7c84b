// TlsChannel (tls_channel.hpp).
#include "amt/tls_channel.hpp"

#include <algorithm>
#include <utility>

#include "amt/tcp_link.hpp"
#include "log.hpp"

namespace mw::server::amt {

namespace {
constexpr std::size_t kReadChunk = 16 * 1024;  // plaintext handed to the user per call
}

TlsChannel::TlsChannel(std::shared_ptr<ChannelUser> user, Raw raw, std::string pin, Seen seen, std::string what)
    : user_(std::move(user)),
      raw_(std::move(raw)),
      pin_(std::move(pin)),
      seen_(std::move(seen)),
      what_(std::move(what)),
      pipe_(amt_client_tls().native_handle(), mw::native::TlsPipe::Role::kClient) {
  std::transform(pin_.begin(), pin_.end(), pin_.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
}

void TlsChannel::on_open(bool ok, std::uint32_t channel) {
  if (!ok) {
    closed_ = told_ = true;
    return user_->on_open(false, 0);
  }
  channel_ = channel;
  raw_open_ = true;
  pipe_.start();
  if (pipe_.failed()) return fail(pipe_.error());
  flush();
}

void TlsChannel::on_data(std::span<const std::uint8_t> data) {
  if (closed_) return raw_.consume(channel_, data.size());
  fed_ += data.size();
  pipe_.feed(data);
  if (pipe_.failed()) return fail(pipe_.error());
  flush();
  if (!opened_) {
    if (!pipe_.open()) return credit();  // more of the handshake to come
    handshake_done();
    if (!opened_) return;
  }
  deliver();
}

void TlsChannel::handshake_done() {
  const auto der = pipe_.peer_certificate();
  if (der.empty()) return fail("TLS: no certificate");
  std::string sha384;
  switch (check_pin(pin_, der, sha384)) {
    case PinVerdict::kPinned:
      if (seen_) seen_(sha384, true);
      break;
    case PinVerdict::kRefused:
      logger("mps")->warn("{}: the TLS certificate (SHA-384 {}) is not the one pinned for the device; channel refused", what_,
                          sha384);
      if (seen_) seen_(sha384, false);
      return fail("TLS certificate does not match the pinned one");
    case PinVerdict::kMatches:
      break;
  }
  opened_ = true;
  logger("mps")->debug("{}: {} inside the CIRA channel", what_, pipe_.protocol());
  user_->on_open(true, channel_);
}

void TlsChannel::deliver() {
  if (delivering_) {
    again_ = true;  // a callback of the user's consumed or sent: the outer loop goes on
    return;
  }
  delivering_ = true;
  do {
    again_ = false;
    while (!closed_ && opened_ && unconsumed_ < kMaxUnconsumed) {
      std::vector<std::uint8_t> chunk;
      const std::size_t n = pipe_.read(chunk, std::min(kReadChunk, kMaxUnconsumed - unconsumed_));
      if (pipe_.failed()) {
        delivering_ = false;
        return fail(pipe_.error());
      }
      credit();
      if (n == 0) break;
      unconsumed_ += n;
      user_->on_data(chunk);
    }
  } while (again_ && !closed_);
  delivering_ = false;
  flush();  // answers OpenSSL made while reading (TLS 1.3 key updates)
  if (!closed_ && pipe_.peer_closed()) close();
}

void TlsChannel::credit() {
  if (closed_) return;
  const std::size_t done = fed_ - pipe_.ciphertext_buffered();
  if (done > credited_) {
    raw_.consume(channel_, done - credited_);
    credited_ = done;
  }
}

void TlsChannel::on_drained() {
  if (!told_) user_->on_drained();
}

void TlsChannel::on_closed() {
  closed_ = true;
  raw_open_ = false;
  tell_closed();
}

// The user hears once that the channel is gone: closed, or refused when it never opened.
void TlsChannel::tell_closed() {
  if (told_) return;
  told_ = true;
  if (opened_) {
    user_->on_closed();
  } else {
    user_->on_open(false, 0);
  }
}

void TlsChannel::send(std::span<const std::uint8_t> plaintext) {
  if (closed_ || !opened_) return;
  pipe_.write(plaintext);
  if (pipe_.failed()) return fail(pipe_.error());
  flush();
}

void TlsChannel::consume(std::size_t bytes) {
  unconsumed_ -= std::min(bytes, unconsumed_);
  if (!closed_ && opened_) deliver();
}

void TlsChannel::close() {
  if (closed_) return;
  closed_ = true;
  pipe_.close();
  flush();
  if (raw_open_) raw_.close(channel_);
}

void TlsChannel::flush() {
  if (!raw_open_) return;
  auto bytes = pipe_.take_output();
  if (!bytes.empty()) raw_.send(channel_, std::move(bytes));
}

void TlsChannel::fail(const std::string& why) {
  if (closed_) return;
  logger("mps")->info("{}: {}", what_, why);
  flush();  // the alert, if OpenSSL made one
  closed_ = true;
  if (raw_open_) raw_.close(channel_);
  tell_closed();
}

}  // namespace mw::server::amt
