// The VT/xterm parser: a UTF-8 decoder (ill-formed input becomes U+FFFD, one per maximal
// subpart, as Unicode recommends) feeding the DEC/ANSI state machine. C1 controls are recognised
// as code points U+0080..U+009F, i.e. in their UTF-8 form; a raw 0x9B byte is ill-formed UTF-8.
#include "mw/term/parser.hpp"

#include <algorithm>
#include <cstring>

namespace mw::term {

// [SECTION] Parser

namespace {

constexpr char32_t kReplacement = 0xFFFD;

// UTF-8 lead bytes: the sequence length (0: not a multi-byte lead), the mask of its payload
// bits, the continuation bytes to check in a little-endian 32-bit load, and the smallest code
// point of that length the fast path takes (U+00A0 for two bytes: C1 controls take the
// general path).
constexpr std::array<std::uint8_t, 256> kUtf8Length = [] {
  std::array<std::uint8_t, 256> t{};
  for (int b = 0xC2; b <= 0xDF; ++b) t[b] = 2;
  for (int b = 0xE0; b <= 0xEF; ++b) t[b] = 3;
  for (int b = 0xF0; b <= 0xF4; ++b) t[b] = 4;
  return t;
}();
constexpr std::uint8_t kLeadMask[5] = {0, 0, 0x1F, 0x0F, 0x07};
constexpr std::uint32_t kContinuationMask[5] = {0, 0, 0x0000C000u, 0x00C0C000u, 0xC0C0C000u};
constexpr char32_t kMinimum[5] = {0, 0, 0xA0, 0x800, 0x10000};

inline std::uint32_t le32(std::uint32_t x) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return __builtin_bswap32(x);
#else
  return x;
#endif
}

bool is_c0_execute(char32_t c) { return c < 0x20; }

}  // namespace

void Parser::reset() {
  state_ = State::kGround;
  utf8_need_ = 0;
  seq_ = Sequence{};
  params_.clear();
  osc_.clear();
  osc_overflow_ = false;
  seq_overflow_ = false;
  run_len_ = 0;
}

// Printable ASCII and complete, well-formed UTF-8 sequences of printable characters go straight
// into the print run; anything else (controls, ESC, ill-formed or split UTF-8, C1) is left to
// the general path. Returns where it stopped.
const std::uint8_t* Parser::ground_run(const std::uint8_t* p, const std::uint8_t* end, Handler& h) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHigh = 0x8080808080808080ull;
  char32_t* out = run_.data() + run_len_;
  char32_t* const out_end = run_.data() + run_.size();
  while (p < end) {
    if (out == out_end) {
      run_len_ = run_.size();
      flush_print(h);
      out = run_.data();
    }
    const std::uint8_t b = *p;
    const auto left = static_cast<std::size_t>(end - p);
    if (b >= 0x20 && b < 0x7F) {
      // A run of printable ASCII: eight bytes at a time while all are in 0x20..0x7E, then one.
      const std::uint8_t* const stop = p + std::min(left, static_cast<std::size_t>(out_end - out));
      while (stop - p >= 8) {
        std::uint64_t x;
        std::memcpy(&x, p, 8);
        const std::uint64_t below = (x - kOnes * 0x20) & ~x & kHigh;          // a byte < 0x20
        const std::uint64_t above = ((x + kOnes * (127 - 0x7E)) | x) & kHigh;  // a byte > 0x7E
        if ((below | above) != 0) break;
        for (int k = 0; k < 8; ++k) out[k] = p[k];
        out += 8;
        p += 8;
      }
      while (p < stop && *p >= 0x20 && *p < 0x7F) *out++ = *p++;
      continue;
    }
    // A multi-byte sequence, decoded with few branches (mixed scripts make the length
    // unpredictable): the lead byte gives the length, one mask test checks the continuation
    // bytes, and the range check catches overlong forms, surrogates and C1 controls. Anything
    // unusual, or a sequence near the end of the input, goes to the general path.
    const unsigned len = kUtf8Length[b];
    if (len == 0 || left < 4) break;
    std::uint32_t x;
    std::memcpy(&x, p, 4);
    x = le32(x);
    if (((x & 0xC0C0C000u) ^ 0x80808000u) & kContinuationMask[len]) break;
    const std::uint32_t v = (static_cast<std::uint32_t>(b & kLeadMask[len]) << 18) | (((x >> 8) & 0x3Fu) << 12) |
                            (((x >> 16) & 0x3Fu) << 6) | ((x >> 24) & 0x3Fu);
    const char32_t cp = v >> (6 * (4 - len));
    if (cp < kMinimum[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) break;
    *out++ = cp;
    p += len;
  }
  run_len_ = static_cast<std::size_t>(out - run_.data());
  return p;
}

void Parser::feed(std::span<const std::uint8_t> bytes, Handler& h) {
  const std::uint8_t* p = bytes.data();
  const std::uint8_t* const end = p + bytes.size();
  while (p < end) {
    if (utf8_need_ == 0) {
      if (state_ == State::kGround) {
        p = ground_run(p, end, h);
        if (p == end) break;
        if (*p == 0x1B && p + 1 < end && p[1] == '[') {
          // Fast path: ESC [ from the ground state, as advance() would take it.
          flush_print(h);
          seq_ = Sequence{};
          params_.clear();
          seq_overflow_ = false;
          state_ = State::kCsiEntry;
          p += 2;
          if (p < end && *p >= 0x3C && *p <= 0x3F) {
            seq_.prefix = static_cast<char>(*p++);
            state_ = State::kCsiParam;
          }
          continue;
        }
      } else if (state_ == State::kCsiParam || state_ == State::kCsiEntry) {
        // Fast path: CSI parameter digits and separators, then a final byte.
        const std::uint8_t* const start = p;
        while (p < end) {
          if (*p >= '0' && *p <= '9') {
            std::uint32_t v = params_.current();  // a number may continue from the last chunk
            do {
              v = v * 10 + static_cast<std::uint32_t>(*p++ - '0');
              if (v > Params::kMaxValue) v = Params::kMaxValue;
            } while (p < end && *p >= '0' && *p <= '9');
            params_.set_current(v);
          } else if (*p == ';') {
            params_.separator(false);
            ++p;
          } else {
            break;
          }
        }
        if (p != start) state_ = State::kCsiParam;
        if (p == end) break;
        if (*p >= 0x40 && *p <= 0x7E) {
          seq_.final = static_cast<char>(*p++);
          params_.finish();
          state_ = State::kGround;
          if (!seq_overflow_) h.csi_dispatch(seq_, params_);
          continue;
        }
      }
      const std::uint8_t b = *p++;
      if (b < 0x80) {
        advance(b, h);
      } else if (b >= 0xC2 && b <= 0xDF) {
        utf8_need_ = 1;
        utf8_cp_ = b & 0x1F;
        utf8_lo_ = 0x80;
        utf8_hi_ = 0xBF;
      } else if (b >= 0xE0 && b <= 0xEF) {
        utf8_need_ = 2;
        utf8_cp_ = b & 0x0F;
        utf8_lo_ = b == 0xE0 ? 0xA0 : 0x80;  // no overlong forms
        utf8_hi_ = b == 0xED ? 0x9F : 0xBF;  // no surrogates
      } else if (b >= 0xF0 && b <= 0xF4) {
        utf8_need_ = 3;
        utf8_cp_ = b & 0x07;
        utf8_lo_ = b == 0xF0 ? 0x90 : 0x80;
        utf8_hi_ = b == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
      } else {
        advance(kReplacement, h);  // stray continuation byte, C0/C1 lead, F5..FF
      }
      continue;
    }
    const std::uint8_t b = *p;
    if (b < utf8_lo_ || b > utf8_hi_) {
      // The sequence so far is a maximal subpart: one U+FFFD, then b starts afresh.
      utf8_need_ = 0;
      advance(kReplacement, h);
      continue;
    }
    ++p;
    utf8_cp_ = (utf8_cp_ << 6) | (b & 0x3F);
    utf8_lo_ = 0x80;
    utf8_hi_ = 0xBF;
    if (--utf8_need_ == 0) advance(utf8_cp_, h);
  }
  flush_print(h);
}

void Parser::flush_print(Handler& h) {
  if (run_len_ == 0) return;
  const std::size_t n = run_len_;
  run_len_ = 0;
  h.print(run_.data(), n);
}

void Parser::collect(char32_t c) {
  if (seq_.intermediate_count < seq_.intermediates.size()) {
    seq_.intermediates[seq_.intermediate_count++] = static_cast<char>(c);
  } else {
    seq_overflow_ = true;
  }
}

void Parser::osc_put(char32_t c) {
  if (osc_overflow_) return;
  char buf[4];
  std::size_t n;
  if (c < 0x80) {
    buf[0] = static_cast<char>(c);
    n = 1;
  } else if (c < 0x800) {
    buf[0] = static_cast<char>(0xC0 | (c >> 6));
    buf[1] = static_cast<char>(0x80 | (c & 0x3F));
    n = 2;
  } else if (c < 0x10000) {
    buf[0] = static_cast<char>(0xE0 | (c >> 12));
    buf[1] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    buf[2] = static_cast<char>(0x80 | (c & 0x3F));
    n = 3;
  } else {
    buf[0] = static_cast<char>(0xF0 | (c >> 18));
    buf[1] = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    buf[2] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    buf[3] = static_cast<char>(0x80 | (c & 0x3F));
    n = 4;
  }
  if (osc_.size() + n > limits_.max_osc) {
    osc_overflow_ = true;  // the whole string is dropped; memory stays bounded
    osc_.clear();
    osc_.shrink_to_fit();
    return;
  }
  osc_.append(buf, n);
}

void Parser::osc_end(Handler& h, bool dispatch) {
  if (dispatch && !osc_overflow_) h.osc_dispatch(osc_);
  osc_.clear();
  osc_overflow_ = false;
}

void Parser::transition_to(State s, Handler& h) {
  // Exit actions.
  if (state_ == State::kDcsPassthrough) h.dcs_unhook();
  if (state_ == State::kOscString) osc_end(h, true);
  state_ = s;
  // Entry actions.
  switch (s) {
    case State::kEscape:
    case State::kCsiEntry:
    case State::kDcsEntry:
      seq_ = Sequence{};
      params_.clear();
      seq_overflow_ = false;
      break;
    case State::kOscString:
      osc_.clear();
      osc_overflow_ = false;
      break;
    default:
      break;
  }
}

void Parser::advance(char32_t c, Handler& h) {
  if (state_ == State::kGround && c >= 0x20 && c != 0x7F && (c < 0x80 || c >= 0xA0)) {
    if (run_len_ == run_.size()) flush_print(h);
    run_[run_len_++] = c;
    return;
  }
  flush_print(h);

  // Transitions from anywhere.
  if (c == 0x18 || c == 0x1A) {  // CAN, SUB: abort the sequence (an OSC is not dispatched)
    if (state_ == State::kOscString) {
      osc_end(h, false);
      state_ = State::kGround;
    } else {
      transition_to(State::kGround, h);
    }
    h.execute(c);
    return;
  }
  if (c == 0x1B) {
    transition_to(State::kEscape, h);
    return;
  }
  if (c >= 0x80 && c <= 0x9F) {
    switch (c) {
      case 0x90: transition_to(State::kDcsEntry, h); return;
      case 0x9B: transition_to(State::kCsiEntry, h); return;
      case 0x9D: transition_to(State::kOscString, h); return;
      case 0x98: case 0x9E: case 0x9F: transition_to(State::kSosPmApcString, h); return;
      case 0x9C: transition_to(State::kGround, h); return;  // ST
      default:
        transition_to(State::kGround, h);
        h.execute(c);
        return;
    }
  }

  const bool ascii = c < 0x80;
  switch (state_) {
    case State::kGround:
      if (is_c0_execute(c)) h.execute(c);
      return;  // DEL is ignored

    case State::kEscape:
      if (is_c0_execute(c)) {
        h.execute(c);
      } else if (!ascii) {
        transition_to(State::kGround, h);  // not a sequence after all: print the character
        advance(c, h);
      } else if (c >= 0x20 && c <= 0x2F) {
        collect(c);
        state_ = State::kEscapeIntermediate;
      } else if (c == '[') {
        transition_to(State::kCsiEntry, h);
      } else if (c == ']') {
        transition_to(State::kOscString, h);
      } else if (c == 'P') {
        transition_to(State::kDcsEntry, h);
      } else if (c == 'X' || c == '^' || c == '_') {
        transition_to(State::kSosPmApcString, h);
      } else if (c != 0x7F) {
        seq_.final = static_cast<char>(c);
        state_ = State::kGround;
        h.esc_dispatch(seq_);
      }
      return;

    case State::kEscapeIntermediate:
      if (is_c0_execute(c)) {
        h.execute(c);
      } else if (!ascii) {
        transition_to(State::kGround, h);
        advance(c, h);
      } else if (c <= 0x2F) {
        collect(c);
      } else if (c != 0x7F) {
        seq_.final = static_cast<char>(c);
        state_ = State::kGround;
        if (!seq_overflow_) h.esc_dispatch(seq_);
      }
      return;

    case State::kCsiEntry:
    case State::kCsiParam:
      if (is_c0_execute(c)) {
        h.execute(c);
      } else if (!ascii) {
        state_ = State::kCsiIgnore;
      } else if (c >= '0' && c <= '9') {
        params_.digit(c - '0');
        state_ = State::kCsiParam;
      } else if (c == ';' || c == ':') {
        params_.separator(c == ':');
        state_ = State::kCsiParam;
      } else if (c >= 0x3C && c <= 0x3F) {
        if (state_ == State::kCsiEntry) {
          seq_.prefix = static_cast<char>(c);
          state_ = State::kCsiParam;
        } else {
          state_ = State::kCsiIgnore;
        }
      } else if (c >= 0x20 && c <= 0x2F) {
        collect(c);
        state_ = State::kCsiIntermediate;
      } else if (c != 0x7F) {
        seq_.final = static_cast<char>(c);
        params_.finish();
        state_ = State::kGround;
        if (!seq_overflow_) h.csi_dispatch(seq_, params_);
      }
      return;

    case State::kCsiIntermediate:
      if (is_c0_execute(c)) {
        h.execute(c);
      } else if (!ascii || (c >= 0x30 && c <= 0x3F)) {
        state_ = State::kCsiIgnore;
      } else if (c <= 0x2F) {
        collect(c);
      } else if (c != 0x7F) {
        seq_.final = static_cast<char>(c);
        params_.finish();
        state_ = State::kGround;
        if (!seq_overflow_) h.csi_dispatch(seq_, params_);
      }
      return;

    case State::kCsiIgnore:
      if (is_c0_execute(c)) {
        h.execute(c);
      } else if (c >= 0x40 && c <= 0x7E) {
        state_ = State::kGround;
      }
      return;

    case State::kOscString:
      if (c == 0x07) {  // BEL ends an OSC too (xterm)
        transition_to(State::kGround, h);
      } else if (c >= 0x20) {
        osc_put(c);
      }
      return;

    case State::kDcsEntry:
    case State::kDcsParam:
      if (is_c0_execute(c) || c == 0x7F) {
        // ignored
      } else if (!ascii) {
        state_ = State::kDcsIgnore;
      } else if (c >= '0' && c <= '9') {
        params_.digit(c - '0');
        state_ = State::kDcsParam;
      } else if (c == ';' || c == ':') {
        params_.separator(c == ':');
        state_ = State::kDcsParam;
      } else if (c >= 0x3C && c <= 0x3F) {
        if (state_ == State::kDcsEntry) {
          seq_.prefix = static_cast<char>(c);
          state_ = State::kDcsParam;
        } else {
          state_ = State::kDcsIgnore;
        }
      } else if (c >= 0x20 && c <= 0x2F) {
        collect(c);
        state_ = State::kDcsIntermediate;
      } else {
        seq_.final = static_cast<char>(c);
        params_.finish();
        if (seq_overflow_) {
          state_ = State::kDcsIgnore;
        } else {
          state_ = State::kDcsPassthrough;
          h.dcs_hook(seq_, params_);
        }
      }
      return;

    case State::kDcsIntermediate:
      if (is_c0_execute(c) || c == 0x7F) {
        // ignored
      } else if (!ascii || (c >= 0x30 && c <= 0x3F)) {
        state_ = State::kDcsIgnore;
      } else if (c <= 0x2F) {
        collect(c);
      } else {
        seq_.final = static_cast<char>(c);
        params_.finish();
        if (seq_overflow_) {
          state_ = State::kDcsIgnore;
        } else {
          state_ = State::kDcsPassthrough;
          h.dcs_hook(seq_, params_);
        }
      }
      return;

    case State::kDcsPassthrough:
      if (c != 0x7F) h.dcs_put(c);
      return;

    case State::kDcsIgnore:
    case State::kSosPmApcString:
      return;  // until ST (handled above)
  }
}

}  // namespace mw::term
