// Incremental APF decoder for either direction: feed bytes as they arrive (any chunking) and get
// whole messages, or an error value on hostile input. APF has no length field per message, so
// each type is parsed to learn its size; a partial message is kept until it is complete.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mw/apf/messages.hpp"
#include "mw/util/result.hpp"

namespace mw::apf {

// Caps on length fields. A message announcing more is an error ("apf-too-long") as soon as its
// length field arrives, so the decoder never holds more than one capped message.
struct Limits {
  std::size_t max_string = 2048;     // names, addresses, user name, password (MeshCentral: 2048)
  std::size_t max_data = 1u << 20;   // CHANNEL_DATA payload and udp-send-to data
  std::size_t max_json = 1u << 20;   // JSON_CONTROL text
};

// What follows a REQUEST_SUCCESS byte: the bound port (reply to tcpip-forward) or nothing.
enum class ReplyForm : std::uint8_t { kBare, kWithPort };

class Decoder {
 public:
  explicit Decoder(Limits limits = {});

  // REQUEST_SUCCESS has no length, so its form depends on the request it answers. Queue one
  // form per GLOBAL_REQUEST sent with want_reply; replies come in order and each
  // REQUEST_SUCCESS / REQUEST_FAILURE takes one. With none queued, kWithPort is assumed.
  void expect_reply(ReplyForm form) { replies_.push_back(form); }

  // Decodes at most one message from the front of `input` and advances `input` past the bytes
  // used. Returns nullopt when `input` is used up without completing a message (the partial
  // message is kept). Errors are sticky: every later call returns the same error.
  // ChannelData payloads view `input` or this decoder's buffer: valid until the next call.
  Result<std::optional<Message>> next(std::span<const std::uint8_t>& input);

  // Every message `bytes` completes. Same view rule as next(): valid until the next call.
  Result<std::vector<Message>> feed(std::span<const std::uint8_t> bytes);
  // Same, appending to `out` (messages decoded before an error stay there); returns the count.
  Result<std::size_t> feed(std::span<const std::uint8_t> bytes, std::vector<Message>& out);

  // At end of stream: "apf-truncated" when a message was cut off.
  std::optional<Error> finish() const;

  std::size_t buffered() const { return pending_.size(); }  // bytes of the partial message
  std::uint64_t offset() const { return offset_; }          // stream bytes consumed so far
  bool failed() const { return error_.has_value(); }
  // The largest message these limits allow: a bound on buffered().
  std::size_t max_message() const;

 private:
  Result<std::optional<Message>> fail(Error error);

  Limits limits_;
  std::vector<ReplyForm> replies_;  // a few at most; a deque would hold 512 bytes from the start
  std::vector<std::uint8_t> pending_;    // a message still missing bytes
  std::vector<std::uint8_t> assembled_;  // the last message completed from pending_ (views)
  std::size_t need_ = 0;                 // pending_ cannot parse before it has this many bytes
  ReplyForm pending_reply_ = ReplyForm::kWithPort;  // the form pending_ started with
  bool skip_pad_ = false;                // one 0x00 after USERAUTH_FAILURE is ignored
  std::optional<Error> error_;
  std::uint64_t offset_ = 0;
};

}  // namespace mw::apf
