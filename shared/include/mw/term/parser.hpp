// VT/xterm escape-sequence parser: UTF-8 decoding, then the DEC/ANSI state machine (after Paul
// Williams' diagram), calling a Handler for each printable run, control, and complete sequence.
// Sans-I/O and incremental: any chunking of the input gives the same calls. Bounded: parameter
// count, parameter values, intermediates and string lengths are capped; overlong sequences are
// dropped, never buffered without limit.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace mw::term {

// Parameters of a CSI or DCS sequence. Each entry is a number (0 when empty) and whether it was
// introduced by ':' (a sub-parameter of the entry before it, as in SGR 38:2::r:g:b or 4:3).
class Params {
 public:
  static constexpr std::size_t kMax = 32;        // entries beyond this are dropped
  static constexpr std::uint16_t kMaxValue = 65535;  // values saturate here

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Entry i, or `fallback` when it is missing or 0 (the ECMA-48 default rule).
  unsigned get(std::size_t i, unsigned fallback = 0) const {
    return i < size_ && values_[i] != 0 ? values_[i] : fallback;
  }
  unsigned raw(std::size_t i) const { return i < size_ ? values_[i] : 0; }
  bool is_sub(std::size_t i) const { return i < size_ && sub_[i]; }
  // Whether entry i is missing or was given without digits ("CSI ;5H": entry 0 is empty).
  bool is_empty(std::size_t i) const { return i >= size_ || ((empty_ >> i) & 1u) != 0; }
  // Number of sub-parameters following entry i (0 for a plain ';'-separated entry).
  std::size_t subs_after(std::size_t i) const {
    std::size_t n = 0;
    while (i + 1 + n < size_ && sub_[i + 1 + n]) ++n;
    return n;
  }

  // For the parser and tests.
  void clear() {
    size_ = 0;
    empty_ = 0;
    pending_ = false;
    digits_ = false;
  }
  // Inline: the parser calls these for every parameter byte.
  void push(unsigned value, bool sub, bool empty = false) {
    if (size_ >= kMax) return;  // bounded: extra entries are dropped
    values_[size_] = static_cast<std::uint16_t>(value < kMaxValue ? value : kMaxValue);
    sub_[size_] = sub;
    if (empty) empty_ |= 1u << size_;
    ++size_;
  }
  void digit(unsigned d) {
    current_ = current_ * 10 + d;
    if (current_ > kMaxValue) current_ = kMaxValue;
    pending_ = true;
    digits_ = true;
  }
  // A run of digits read by the caller: the value so far continues as `value` (saturated).
  std::uint32_t current() const { return current_; }
  void set_current(std::uint32_t value) {
    current_ = value;
    pending_ = true;
    digits_ = true;
  }
  void separator(bool colon) {
    push(current_, current_sub_, !digits_);
    current_ = 0;
    current_sub_ = colon;
    pending_ = true;
    digits_ = false;
  }
  void finish() {
    if (pending_) push(current_, current_sub_, !digits_);
    current_ = 0;
    current_sub_ = false;
    pending_ = false;
    digits_ = false;
  }

 private:
  std::array<std::uint16_t, kMax> values_{};
  std::array<bool, kMax> sub_{};
  std::size_t size_ = 0;
  std::uint32_t empty_ = 0;  // bit i: entry i had no digits
  static_assert(kMax <= 32);
  std::uint32_t current_ = 0;
  bool digits_ = false;  // the current entry has digits
  bool current_sub_ = false;
  bool pending_ = false;  // digits or a separator seen since the last entry was pushed
};

// What a complete CSI / ESC / DCS sequence looked like: a private marker ('<' '=' '>' '?' right
// after CSI, else 0), up to two intermediates (0x20..0x2F) and the final byte.
struct Sequence {
  char prefix = 0;
  std::array<char, 2> intermediates{};
  std::uint8_t intermediate_count = 0;
  char final = 0;
  std::string_view intermediate() const { return {intermediates.data(), intermediate_count}; }
};

// The parser's callbacks. print() receives runs of printable code points (never controls);
// execute() receives C0 controls and C1 controls (0x80..0x9F, from their UTF-8 form).
class Handler {
 public:
  virtual ~Handler() = default;
  virtual void print(const char32_t* cps, std::size_t n) = 0;
  virtual void execute(char32_t control) = 0;
  virtual void esc_dispatch(const Sequence& seq) = 0;
  virtual void csi_dispatch(const Sequence& seq, const Params& params) = 0;
  // OSC payload (everything between OSC and ST/BEL), UTF-8. Not called for overlong strings.
  virtual void osc_dispatch(std::string_view data) = 0;
  // DCS: hook with the header, put() for each payload code point, unhook at the end.
  virtual void dcs_hook(const Sequence& seq, const Params& params) {
    (void)seq;
    (void)params;
  }
  virtual void dcs_put(char32_t c) { (void)c; }
  virtual void dcs_unhook() {}
};

struct ParserLimits {
  std::size_t max_osc = 8192;  // bytes of one OSC string; longer strings are dropped whole
};

class Parser {
 public:
  enum class State : std::uint8_t {
    kGround,
    kEscape,
    kEscapeIntermediate,
    kCsiEntry,
    kCsiParam,
    kCsiIntermediate,
    kCsiIgnore,
    kOscString,
    kDcsEntry,
    kDcsParam,
    kDcsIntermediate,
    kDcsPassthrough,
    kDcsIgnore,
    kSosPmApcString,
  };

  explicit Parser(ParserLimits limits = {}) : limits_(limits) {}

  // Parses bytes, calling `h`. A UTF-8 sequence or escape sequence may span calls.
  void feed(std::span<const std::uint8_t> bytes, Handler& h);
  void feed(std::string_view bytes, Handler& h) {
    feed(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), h);
  }
  // Back to the ground state, dropping any partial sequence.
  void reset();
  State state() const { return state_; }

 private:
  void advance(char32_t c, Handler& h);
  const std::uint8_t* ground_run(const std::uint8_t* p, const std::uint8_t* end, Handler& h);
  void flush_print(Handler& h);
  void transition_to(State s, Handler& h);
  void collect(char32_t c);
  void osc_put(char32_t c);
  void osc_end(Handler& h, bool dispatch);

  ParserLimits limits_;
  State state_ = State::kGround;
  // UTF-8 decoder.
  std::uint32_t utf8_cp_ = 0;
  std::uint8_t utf8_need_ = 0;   // continuation bytes still expected
  std::uint8_t utf8_lo_ = 0x80;  // allowed range of the next continuation byte
  std::uint8_t utf8_hi_ = 0xBF;
  // Sequence being parsed.
  Sequence seq_;
  Params params_;
  bool seq_overflow_ = false;  // too many intermediates: the sequence is parsed but not dispatched
  std::string osc_;
  bool osc_overflow_ = false;
  // Printable run waiting for print().
  std::array<char32_t, 1024> run_{};
  std::size_t run_len_ = 0;
};

}  // namespace mw::term
