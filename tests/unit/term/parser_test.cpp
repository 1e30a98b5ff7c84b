// The VT parser on its own: UTF-8 decoding and replacement, each state of the DEC/ANSI machine,
// sub-parameters, limits, and that any chunking gives the same calls.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mw/term/parser.hpp"
#include "mw/term/width.hpp"

namespace {

using mw::term::Params;
using mw::term::Parser;
using mw::term::Sequence;

std::string utf8(char32_t c) {
  std::string s;
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
  return s;
}

// Records every call as one line of text, printable runs merged.
class Recorder : public mw::term::Handler {
 public:
  std::vector<std::string> calls;
  std::string text;  // printed code points, as UTF-8

  void print(const char32_t* cps, std::size_t n) override {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += utf8(cps[i]);
    text += s;
    if (!calls.empty() && calls.back().rfind("print:", 0) == 0) {
      calls.back() += s;
    } else {
      calls.push_back("print:" + s);
    }
  }
  void execute(char32_t c) override { calls.push_back("exec:" + std::to_string(c)); }
  void esc_dispatch(const Sequence& seq) override {
    calls.push_back("esc:" + std::string(seq.intermediate()) + seq.final);
  }
  void csi_dispatch(const Sequence& seq, const Params& p) override {
    calls.push_back("csi:" + describe(seq, p));
  }
  void osc_dispatch(std::string_view data) override { calls.push_back("osc:" + std::string(data)); }
  void dcs_hook(const Sequence& seq, const Params& p) override { calls.push_back("hook:" + describe(seq, p)); }
  void dcs_put(char32_t c) override {
    if (!calls.empty() && calls.back().rfind("put:", 0) == 0) {
      calls.back() += utf8(c);
    } else {
      calls.push_back("put:" + utf8(c));
    }
  }
  void dcs_unhook() override { calls.push_back("unhook"); }

  static std::string describe(const Sequence& seq, const Params& p) {
    std::string s;
    if (seq.prefix) s += seq.prefix;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (i) s += p.is_sub(i) ? ":" : ";";
      s += std::to_string(p.raw(i));
    }
    s += "|";
    s += seq.intermediate();
    s += seq.final;
    return s;
  }
};

std::vector<std::string> parse(std::string_view in) {
  Parser parser;
  Recorder r;
  parser.feed(in, r);
  return r.calls;
}

std::string printed(std::string_view in) {
  Parser parser;
  Recorder r;
  parser.feed(in, r);
  return r.text;
}

using Calls = std::vector<std::string>;

TEST(TermParser, PrintableRunsAndControls) {
  EXPECT_EQ(parse("ab\r\ncd"), (Calls{"print:ab", "exec:13", "exec:10", "print:cd"}));
  EXPECT_EQ(parse("a\x7f" "b"), (Calls{"print:ab"}));  // DEL ignored
  EXPECT_EQ(parse("\x07\x08\x09"), (Calls{"exec:7", "exec:8", "exec:9"}));
}

TEST(TermParser, Utf8Decoding) {
  EXPECT_EQ(printed("\xC3\xA9"), "\xC3\xA9");
  EXPECT_EQ(printed("\xE2\x82\xAC"), "\xE2\x82\xAC");
  EXPECT_EQ(printed("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");
}

TEST(TermParser, Utf8InvalidBecomesReplacementPerMaximalSubpart) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(printed("\x80"), fffd);                       // stray continuation
  EXPECT_EQ(printed("\xC0\xAF"), fffd + fffd);            // overlong lead, then stray continuation
  EXPECT_EQ(printed("\xE0\x80\xAF"), fffd + fffd + fffd);  // E0 80 is not a valid prefix
  EXPECT_EQ(printed("\xED\xA0\x80"), fffd + fffd + fffd);  // surrogate
  EXPECT_EQ(printed("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // above U+10FFFF
  EXPECT_EQ(printed("\xE2\x82" "A"), fffd + "A");          // truncated, then ASCII
  EXPECT_EQ(printed("\xF0\x9F\x98"), "");                  // incomplete at the end: still pending
  EXPECT_EQ(printed("\xFF\xFE"), fffd + fffd);
  // An escape sequence interrupts a partial character.
  EXPECT_EQ(parse("\xE2\x82\x1b[m"), (Calls{"print:" + fffd, "csi:|m"}));
}

TEST(TermParser, CsiParamsAndDefaults) {
  EXPECT_EQ(parse("\x1b[H"), (Calls{"csi:|H"}));
  EXPECT_EQ(parse("\x1b[1;2H"), (Calls{"csi:1;2|H"}));
  EXPECT_EQ(parse("\x1b[;5H"), (Calls{"csi:0;5|H"}));
  EXPECT_EQ(parse("\x1b[5;H"), (Calls{"csi:5;0|H"}));
  EXPECT_EQ(parse("\x1b[?1049h"), (Calls{"csi:?1049|h"}));
  EXPECT_EQ(parse("\x1b[>c"), (Calls{"csi:>|c"}));
  EXPECT_EQ(parse("\x1b[2 q"), (Calls{"csi:2| q"}));
  EXPECT_EQ(parse("\x1b[!p"), (Calls{"csi:|!p"}));
}

TEST(TermParser, CsiSubParameters) {
  EXPECT_EQ(parse("\x1b[38:2::10:20:30m"), (Calls{"csi:38:2:0:10:20:30|m"}));
  EXPECT_EQ(parse("\x1b[4:3;1m"), (Calls{"csi:4:3;1|m"}));
  Parser parser;
  struct Check : mw::term::Handler {
    void print(const char32_t*, std::size_t) override {}
    void execute(char32_t) override {}
    void esc_dispatch(const Sequence&) override {}
    void osc_dispatch(std::string_view) override {}
    void csi_dispatch(const Sequence&, const Params& p) override {
      EXPECT_EQ(p.subs_after(0), 5u);
      EXPECT_EQ(p.subs_after(6), 0u);
      EXPECT_EQ(p.get(6), 1u);
      EXPECT_EQ(p.get(7, 9), 9u);
      called = true;
    }
    bool called = false;
  } check;
  parser.feed("\x1b[38:2:0:1:2:3;1m", check);
  EXPECT_TRUE(check.called);
}

TEST(TermParser, ControlsInsideCsiAreExecuted) {
  EXPECT_EQ(parse("\x1b[1\r;2H"), (Calls{"exec:13", "csi:1;2|H"}));
}

TEST(TermParser, CanAndSubAbortSequences) {
  EXPECT_EQ(parse("\x1b[1;2\x18H"), (Calls{"exec:24", "print:H"}));
  EXPECT_EQ(parse("\x1b]0;title\x1a" "x"), (Calls{"exec:26", "print:x"}));
}

TEST(TermParser, BadCsiIsIgnoredUntilFinal) {
  EXPECT_EQ(parse("\x1b[1?2hX"), (Calls{"print:X"}));     // private marker after a digit
  EXPECT_EQ(parse("\x1b[1 2hX"), (Calls{"print:X"}));     // parameter after an intermediate
  EXPECT_EQ(parse("\x1b[1$$$pX"), (Calls{"print:X"}));     // three intermediates: dropped
}

TEST(TermParser, EscSequences) {
  EXPECT_EQ(parse("\x1b" "7\x1b" "8"), (Calls{"esc:7", "esc:8"}));
  EXPECT_EQ(parse("\x1b(0\x1b)B"), (Calls{"esc:(0", "esc:)B"}));
  EXPECT_EQ(parse("\x1b#8"), (Calls{"esc:#8"}));
  EXPECT_EQ(parse("\x1b\x1b[m"), (Calls{"csi:|m"}));  // a second ESC restarts
}

TEST(TermParser, OscTerminators) {
  EXPECT_EQ(parse("\x1b]0;hi\x07"), (Calls{"osc:0;hi"}));
  EXPECT_EQ(parse("\x1b]2;hi\x1b\\"), (Calls{"osc:2;hi", "esc:\\"}));
  EXPECT_EQ(parse("\xC2\x9D" "2;c1\xC2\x9C"), (Calls{"osc:2;c1"}));  // 8-bit OSC/ST in UTF-8
  EXPECT_EQ(parse("\x1b]2;caf\xC3\xA9\x07"), (Calls{"osc:2;caf\xC3\xA9"}));
  EXPECT_EQ(parse("\x1b]2;a\nb\x07"), (Calls{"osc:2;ab"}));  // C0 ignored inside
}

TEST(TermParser, OscOverlongIsDropped) {
  mw::term::ParserLimits limits;
  limits.max_osc = 16;
  Parser parser(limits);
  Recorder r;
  parser.feed("\x1b]2;" + std::string(100, 'x') + "\x07" "ok\x1b]2;short\x07", r);
  EXPECT_EQ(r.calls, (Calls{"print:ok", "osc:2;short"}));
}

TEST(TermParser, DcsPassthroughAndIgnore) {
  EXPECT_EQ(parse("\x1bP1$qm\x1b\\"), (Calls{"hook:1|$q", "put:m", "unhook", "esc:\\"}));
  EXPECT_EQ(parse("\x1bP1:2;3x\x1b\\Z"), (Calls{"hook:1:2;3|x", "unhook", "esc:\\", "print:Z"}));
  EXPECT_EQ(parse("\x1bP1?qdata\x1b\\Z"), (Calls{"esc:\\", "print:Z"}));  // dcs ignore
}

TEST(TermParser, SosPmApcAreSwallowed) {
  EXPECT_EQ(parse("\x1b_apc payload\x1b\\A"), (Calls{"esc:\\", "print:A"}));
  EXPECT_EQ(parse("\x1b^pm\x1b\\B"), (Calls{"esc:\\", "print:B"}));
  EXPECT_EQ(parse("\x1bXsos\x1b\\C"), (Calls{"esc:\\", "print:C"}));
}

TEST(TermParser, C1ControlsFromUtf8) {
  EXPECT_EQ(parse("\xC2\x9B" "5A"), (Calls{"csi:5|A"}));
  EXPECT_EQ(parse("\xC2\x85"), (Calls{"exec:133"}));  // NEL
  EXPECT_EQ(parse("\x9B" "5A"), (Calls{"print:\xEF\xBF\xBD" "5A"}));  // raw 0x9B is not UTF-8
}

TEST(TermParser, ParamLimits) {
  std::string many = "\x1b[";
  for (int i = 0; i < 100; ++i) many += "1;";
  many += "m";
  Parser parser;
  struct Count : mw::term::Handler {
    void print(const char32_t*, std::size_t) override {}
    void execute(char32_t) override {}
    void esc_dispatch(const Sequence&) override {}
    void osc_dispatch(std::string_view) override {}
    void csi_dispatch(const Sequence&, const Params& p) override { size = p.size(); }
    std::size_t size = 0;
  } count;
  parser.feed(many, count);
  EXPECT_EQ(count.size, Params::kMax);
  EXPECT_EQ(parse("\x1b[99999999999999999999A"), (Calls{"csi:65535|A"}));
}

TEST(TermParser, ChunkingDoesNotMatter) {
  const std::string input =
      "hi \xE2\x82\xAC \x1b[1;31mred\x1b[0m\r\n\x1b]2;t\xC3\xA9tle\x07\x1bP1$qm\x1b\\\xF0\x9F\x98\x80"
      "\x1b[38:2::1:2:3m\x1b(0qq\x1b(B\xC2\x9B" "2J\xE2\x82" "x\x1b_x\x1b\\";
  Parser whole;
  Recorder a;
  whole.feed(input, a);
  for (std::size_t step = 1; step <= 7; ++step) {
    Parser parser;
    Recorder b;
    for (std::size_t i = 0; i < input.size(); i += step) parser.feed(std::string_view(input).substr(i, step), b);
    EXPECT_EQ(a.calls, b.calls) << "step " << step;
    EXPECT_EQ(a.text, b.text);
  }
}

TEST(TermWidth, TableValues) {
  using mw::term::char_width;
  EXPECT_EQ(char_width(U'a'), 1);
  EXPECT_EQ(char_width(0x0301), 0);   // combining acute
  EXPECT_EQ(char_width(0x200D), 0);   // ZWJ (Cf)
  EXPECT_EQ(char_width(0x00AD), 1);   // soft hyphen
  EXPECT_EQ(char_width(0x4E2D), 2);   // CJK
  EXPECT_EQ(char_width(0x3400), 2);
  EXPECT_EQ(char_width(0xFF21), 2);   // fullwidth A
  EXPECT_EQ(char_width(0xFF61), 1);   // halfwidth katakana
  EXPECT_EQ(char_width(0x1F600), 2);  // emoji presentation
  EXPECT_EQ(char_width(0x2764), 1);   // text-presentation heart
  EXPECT_EQ(char_width(0x1160), 0);   // Hangul medial vowel
  EXPECT_EQ(char_width(0xAC00), 2);   // Hangul syllable
  EXPECT_EQ(char_width(0x302A), 0);   // Mn and W: zero wins
  EXPECT_EQ(char_width(0x2FFFD), 2);  // unassigned in CJK block: W by default
  EXPECT_EQ(char_width(0xE000), 1);   // private use
  EXPECT_EQ(char_width(0x0007), 0);
  EXPECT_EQ(mw::term::unicode_version(), "15.0.0");
}

}  // namespace
