// The viewer-to-server half of an RFB session for a viewer who may only watch (a relay between a
// browser and an RFB server that has no "view only" of its own, such as Intel AMT KVM): passes the
// handshake, SetPixelFormat, SetEncodings and FramebufferUpdateRequest unchanged, drops KeyEvent,
// PointerEvent and ClientCutText (a long cut text is skipped as it arrives, never buffered), and
// ends the session on anything it cannot frame (an unknown message type or security type).
// Sans-I/O: bytes in, bytes to forward out; partial messages wait in a bounded buffer.
//
// RFB 3.3 lets the server choose the security type, so the filter also sees the first bytes the
// server sends (its version and, for 3.3, the type): server_bytes().
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mw/util/result.hpp"

namespace mw::rfb {

class ViewOnlyFilter {
 public:
  // Largest message kept while incomplete: SetEncodings with kMaxEncodings encodings.
  static constexpr std::size_t kMaxEncodings = 1024;
  // Viewer bytes kept unframed at most (more is an error).
  static constexpr std::size_t kMaxPending = 64 * 1024;

  // Bytes the server sent (only the first 16 matter).
  void server_bytes(std::span<const std::uint8_t> data);
  // Bytes the viewer sent: what may reach the server is appended to `out`. An error means the
  // session must end (nothing more should be forwarded).
  Result<std::size_t> feed(std::span<const std::uint8_t> data, std::vector<std::uint8_t>& out);

  struct Dropped {
    std::uint64_t keys = 0, pointer = 0, cut_texts = 0;
  };
  const Dropped& dropped() const { return dropped_; }

 private:
  enum class State { kVersion, kSecurityChoice, kWaitServerType, kVncResponse, kClientInit, kMessages, kFailed };
  // One step on the front of `pending_`: bytes used (0: needs more), or an error.
  Result<std::size_t> step(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out);

  State state_ = State::kVersion;
  bool v33_ = false;
  std::vector<std::uint8_t> server_head_;  // the server's first 16 bytes
  std::vector<std::uint8_t> pending_;      // viewer bytes not yet framed
  std::uint64_t skip_ = 0;                 // bytes of a dropped cut text still to come
  bool extended_clipboard_ = false;        // the viewer asked for the Extended Clipboard
  Dropped dropped_;
};

}  // namespace mw::rfb
