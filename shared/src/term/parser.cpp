// The VT/xterm parser: a UTF-8 decoder (ill-formed input becomes U+FFFD, one per maximal
// subpart, as Unicode recommends) feeding the DEC/ANSI state machine. C1 controls are recognised
// as code points U+0080..U+009F, i.e. in their UTF-8 form; a raw 0x9B byte is ill-formed UTF-8.
#include "mw/term/parser.hpp"

#include <algorithm>

namespace mw::term {

// [SECTION] Params

void Params::push(unsigned value, bool sub, bool empty) {
  if (size_ >= kMax) return;  // bounded: extra entries are dropped
  values_[size_] = static_cast<std::uint16_t>(std::min<unsigned>(value, kMaxValue));
  sub_[size_] = sub;
  if (empty) empty_ |= 1u << size_;
  ++size_;
}

void Params::digit(unsigned d) {
  current_ = std::min<std::uint32_t>(current_ * 10 + d, kMaxValue);
  pending_ = true;
  digits_ = true;
}

void Params::separator(bool colon) {
  push(current_, current_sub_, !digits_);
  current_ = 0;
  current_sub_ = colon;
  pending_ = true;
  digits_ = false;
}

void Params::finish() {
  if (pending_) push(current_, current_sub_, !digits_);
  current_ = 0;
  current_sub_ = false;
  pending_ = false;
  digits_ = false;
}

// [SECTION] Parser

namespace {

constexpr char32_t kReplacement = 0xFFFD;

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

void Parser::feed(std::span<const std::uint8_t> bytes, Handler& h) {
  const std::uint8_t* p = bytes.data();
  const std::uint8_t* const end = p + bytes.size();
  while (p < end) {
    if (utf8_need_ == 0) {
      // Fast path: printable ASCII in the ground state goes straight into the print run.
      if (state_ == State::kGround) {
        while (p < end && *p >= 0x20 && *p < 0x7F) {
          if (run_len_ == run_.size()) flush_print(h);
          run_[run_len_++] = *p++;
        }
        if (p == end) break;
      } else if (state_ == State::kCsiParam) {
        // Fast path: CSI parameter digits and separators.
        while (p < end && ((*p >= '0' && *p <= '9') || *p == ';')) {
          if (*p == ';') {
            params_.separator(false);
          } else {
            params_.digit(*p - '0');
          }
          ++p;
        }
        if (p == end) break;
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
