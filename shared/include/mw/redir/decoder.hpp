// Incremental decoder of the redirection byte stream, for either end: feed it bytes as they
// arrive (any chunking) and it gives whole messages, or an error value on hostile input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mw/redir/messages.hpp"
#include "mw/util/result.hpp"

namespace mw::redir {

// Which stream is decoded: kClient reads what AMT sends (0x11, 0x14, 0x21, ...), kDevice reads
// what a console sends (0x10, 0x13, 0x20, ...). Messages of the other direction are errors.
enum class Role { kClient, kDevice };

// Caps on the length fields; a message announcing more is an error ("redir-too-long"), so the
// decoder never holds more than one message's worth of bytes.
struct Limits {
  std::size_t max_auth_data = 4096;           // AuthenticateSession(Reply) data, bytes
  std::size_t max_sol_data = kMaxSolPayload;  // one SOL data message, bytes
};

class Decoder {
 public:
  explicit Decoder(Role role, Limits limits = {});

  // Client role: the session type asked for, which decides what 0x41 means (KVM: the 8-byte
  // reply before RFB; IDER: the first IDE-R message). The device role learns it from 0x10.
  void set_session_type(SessionType type) { type_ = type; }

  // Decodes as many whole messages as `bytes` completes and keeps a partial one for the next
  // call. After a KVM hand-over (or the first IDE-R byte) every byte comes back as RawData.
  // After a refused StartRedirectionSessionReply the rest of the stream is ignored.
  // Errors are sticky: every later call returns the same error.
  Result<std::vector<Message>> feed(std::span<const std::uint8_t> bytes);
  // Same, appending to `out`; returns how many messages were appended.
  Result<std::size_t> feed(std::span<const std::uint8_t> bytes, std::vector<Message>& out);

  // At end of stream: "redir-truncated" when a message was cut off.
  std::optional<Error> finish() const;

  bool raw() const { return mode_ == Mode::kRaw; }
  std::size_t buffered() const { return pending_.size(); }
  std::uint64_t offset() const { return offset_; }  // stream bytes consumed so far

 private:
  enum class Mode { kFramed, kRaw, kIgnore, kFailed };
  // Bytes the message at the start of `buf` needs in total (may exceed buf.size()), 0 with
  // error_ set when the header is invalid.
  std::size_t needed(std::span<const std::uint8_t> buf);
  void parse(std::span<const std::uint8_t> msg, std::vector<Message>& out);
  Error fail(std::string code, std::string message);

  Role role_;
  Limits limits_;
  SessionType type_ = SessionType::kSol;
  Mode mode_ = Mode::kFramed;
  std::vector<std::uint8_t> pending_;
  std::optional<Error> error_;
  std::uint64_t offset_ = 0;
};

}  // namespace mw::redir
