// Clipboard text in RFB, both ways and for both ends (the viewer in shared/rfb's Client, the
// agent's RFB server): the classic cut text messages carry Latin-1 with LF line ends (RFC 6143
// §7.5.6, §7.6.4); the Extended Clipboard pseudo-encoding (0xC0A1E5CE, community RFB
// specification "rfbproto", as TigerVNC and libvncserver 0.9.14 implement it) carries UTF-8.
//
// Extended messages are ClientCutText (6) / ServerCutText (3) whose signed length is negative:
// abs(length) bytes follow, a u32 of flags (formats in bits 0-15: text, rtf, html, dib, files;
// actions in bits 24-28: caps, request, peek, notify, provide) and the action's data:
//  - caps: one u32 per format flag set, the largest size of that format the sender takes
//    unsolicited;
//  - provide: one zlib stream holding, per format flag set, a u32 size and that many bytes; text is
//    UTF-8 with CRLF line ends and a terminating NUL;
//  - request, peek, notify: nothing more.
// After SetEncodings with the pseudo-encoding, the server sends its caps and the viewer answers
// with its own; text then moves as provide (unsolicited when the receiver's caps allow its size)
// or notify followed by request and provide.
//
// libvncserver inflates a provide with inflate() expecting Z_OK to the end, so a stream closed
// with Z_FINISH makes it drop the viewer: provide_text() ends its stream with Z_SYNC_FLUSH, as
// TigerVNC does, and parse() accepts both.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mw/util/result.hpp"

namespace mw::rfb::clipboard {

namespace flag {
constexpr std::uint32_t kText = 1u << 0;
constexpr std::uint32_t kRtf = 1u << 1;
constexpr std::uint32_t kHtml = 1u << 2;
constexpr std::uint32_t kDib = 1u << 3;
constexpr std::uint32_t kFiles = 1u << 4;
constexpr std::uint32_t kFormats = 0xFFFFu;
constexpr std::uint32_t kCaps = 1u << 24;
constexpr std::uint32_t kRequest = 1u << 25;
constexpr std::uint32_t kPeek = 1u << 26;
constexpr std::uint32_t kNotify = 1u << 27;
constexpr std::uint32_t kProvide = 1u << 28;
constexpr std::uint32_t kActions = kCaps | kRequest | kPeek | kNotify | kProvide;
}  // namespace flag

// The two message types that carry clipboard text.
constexpr std::uint8_t kServerCutText = 3;
constexpr std::uint8_t kClientCutText = 6;

// An extended message (the payload after the negative length).
struct Message {
  std::uint32_t flags = 0;
  // caps: the largest size per format, in the order of the format bits set in `flags`.
  std::vector<std::uint32_t> max_sizes;
  // provide: the text (UTF-8, LF line ends, no NUL) when the text format is provided.
  std::optional<std::string> text;

  bool is(std::uint32_t action) const { return (flags & action) != 0; }
  // caps: the largest text the sender takes unsolicited (0 when it takes no text).
  std::uint32_t max_text() const;
};

// Parses a payload; `max_text` bounds the inflated text (and so the memory a provide may use).
// Anything malformed (short caps, a corrupt or truncated stream, text beyond the bound) is an
// error: the session should end.
Result<Message> parse(std::span<const std::uint8_t> payload, std::size_t max_text);

// Whole messages (type byte, padding, negative length, payload) of `type` (kClientCutText or
// kServerCutText).
std::vector<std::uint8_t> caps(std::uint8_t type, std::uint32_t flags, std::uint32_t max_text);
std::vector<std::uint8_t> action(std::uint8_t type, std::uint32_t flags);  // request, peek, notify
std::vector<std::uint8_t> provide_text(std::uint8_t type, std::string_view utf8);

// Classic cut text (Latin-1, LF): to and from UTF-8. Characters beyond Latin-1 become '?', and
// malformed UTF-8 sequences one '?' each; CR LF becomes LF.
std::string to_latin1(std::string_view utf8);
std::string from_latin1(std::string_view latin1);
// Line ends: LF to CRLF (lone LF only) for the extended format, CRLF to LF for everything else.
std::string to_crlf(std::string_view lf);
std::string to_lf(std::string_view crlf);
// The longest prefix of `utf8` of at most `max` bytes that does not split a character.
std::string_view truncate_utf8(std::string_view utf8, std::size_t max);
// The longest such prefix whose extended form (CRLF line ends and the NUL) takes at most
// `max_wire` bytes.
std::string_view fit_extended(std::string_view utf8, std::size_t max_wire);

}  // namespace mw::rfb::clipboard
