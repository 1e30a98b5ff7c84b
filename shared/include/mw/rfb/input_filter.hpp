// The viewer-to-server half of an RFB session for a viewer whose input is limited (a relay between
// a browser and an RFB server that cannot limit a viewer itself, such as Intel AMT KVM): passes the
// handshake, SetPixelFormat, SetEncodings and FramebufferUpdateRequest unchanged and ends the
// session on anything it cannot frame (an unknown message type or security type). What happens to
// input depends on the mode:
//  - kViewOnly ("view only" right, 256): KeyEvent, PointerEvent and ClientCutText are dropped;
//  - kLimitedInput ("limited input" right, 4096, MeshCentral's DESKLIMITEDINPUT): the pointer
//    passes; keys pass only when limited_input_key() allows them (letters, digits, Enter,
//    Backspace: no modifiers, function keys or Ctrl-Alt-Del); ClientCutText is dropped (a pasted
//    text would type anything).
// A long cut text is skipped as it arrives, never buffered. Sans-I/O: bytes in, bytes to forward
// out; partial messages wait in a bounded buffer.
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

// Keys a "limited input" viewer may press (X keysyms, RFC 6143 7.5.4): the keys MeshCentral lets
// through for that right (its scan codes 2-11, 16-25, 30-38, 44-50, Enter and Backspace), i.e.
// the digits, the letters (either case: the keysym carries the case), Return, keypad Enter and
// BackSpace.
bool limited_input_key(std::uint32_t keysym);

class InputFilter {
 public:
  enum class Mode { kViewOnly, kLimitedInput };
  explicit InputFilter(Mode mode = Mode::kViewOnly) : mode_(mode) {}

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

  Mode mode_;
  State state_ = State::kVersion;
  bool v33_ = false;
  std::vector<std::uint8_t> server_head_;  // the server's first 16 bytes
  std::vector<std::uint8_t> pending_;      // viewer bytes not yet framed
  std::uint64_t skip_ = 0;                 // bytes of a dropped cut text still to come
  bool extended_clipboard_ = false;        // the viewer asked for the Extended Clipboard
  Dropped dropped_;
};

}  // namespace mw::rfb
