// The terminal beyond the grid: SGR, wide characters and combining marks, answers (DSR, DA,
// DECRQM), modes, OSC titles and hyperlinks, chunking independence and hostile input.
#include <gtest/gtest.h>

#include <random>

#include "term_helpers.hpp"

namespace {

using mw::term::Cell;
using mw::term::Color;
using mw::term::Style;
using mw::term::Underline;
using mw::term::test::Pos;
using mw::term::test::Term;
namespace attr = mw::term::attr;

Style style_after(std::string_view sgr) {
  Term t(10, 2);
  t << sgr << "x";
  return t.cell(0, 0).style;
}

TEST(TermSgr, Attributes) {
  const Style s = style_after("\x1b[1;2;3;5;7;8;9;53m");
  EXPECT_TRUE(s.has(attr::kBold));
  EXPECT_TRUE(s.has(attr::kFaint));
  EXPECT_TRUE(s.has(attr::kItalic));
  EXPECT_TRUE(s.has(attr::kBlink));
  EXPECT_TRUE(s.has(attr::kInverse));
  EXPECT_TRUE(s.has(attr::kInvisible));
  EXPECT_TRUE(s.has(attr::kStrike));
  EXPECT_TRUE(s.has(attr::kOverline));
  EXPECT_EQ(style_after("\x1b[1;2;3;5;7;8;9;53;22;23;25;27;28;29;55m"), Style{});
  EXPECT_EQ(style_after("\x1b[1;31;44m\x1b[m"), Style{});
  EXPECT_EQ(style_after("\x1b[1;31;44m\x1b[0m"), Style{});
  EXPECT_EQ(style_after("\x1b[1;31;44;0m"), Style{});
}

TEST(TermSgr, UnderlineStyles) {
  EXPECT_EQ(style_after("\x1b[4m").underline(), Underline::kSingle);
  EXPECT_EQ(style_after("\x1b[21m").underline(), Underline::kDouble);
  EXPECT_EQ(style_after("\x1b[4:0m").underline(), Underline::kNone);
  EXPECT_EQ(style_after("\x1b[4:2m").underline(), Underline::kDouble);
  EXPECT_EQ(style_after("\x1b[4:3m").underline(), Underline::kCurly);
  EXPECT_EQ(style_after("\x1b[4:4m").underline(), Underline::kDotted);
  EXPECT_EQ(style_after("\x1b[4:5m").underline(), Underline::kDashed);
  EXPECT_EQ(style_after("\x1b[4:3;24m").underline(), Underline::kNone);
  EXPECT_EQ(style_after("\x1b[4:9m").underline(), Underline::kNone);  // unknown style ignored
  const Style s = style_after("\x1b[4:3;1m");  // the sub-parameter does not eat the next code
  EXPECT_TRUE(s.has(attr::kBold));
  EXPECT_EQ(s.underline(), Underline::kCurly);
}

TEST(TermSgr, SixteenColours) {
  EXPECT_EQ(style_after("\x1b[31m").fg, Color::palette(1));
  EXPECT_EQ(style_after("\x1b[47m").bg, Color::palette(7));
  EXPECT_EQ(style_after("\x1b[97m").fg, Color::palette(15));
  EXPECT_EQ(style_after("\x1b[100m").bg, Color::palette(8));
  EXPECT_EQ(style_after("\x1b[31;39m").fg, Color{});
  EXPECT_EQ(style_after("\x1b[41;49m").bg, Color{});
}

TEST(TermSgr, ExtendedColoursBothForms) {
  EXPECT_EQ(style_after("\x1b[38;5;196m").fg, Color::palette(196));
  EXPECT_EQ(style_after("\x1b[48;5;21m").bg, Color::palette(21));
  EXPECT_EQ(style_after("\x1b[38;2;1;2;3m").fg, Color::rgb(1, 2, 3));
  EXPECT_EQ(style_after("\x1b[48;2;255;128;0m").bg, Color::rgb(255, 128, 0));
  EXPECT_EQ(style_after("\x1b[38:5:196m").fg, Color::palette(196));
  EXPECT_EQ(style_after("\x1b[38:2::10:20:30m").fg, Color::rgb(10, 20, 30));   // empty colour space
  EXPECT_EQ(style_after("\x1b[38:2:0:10:20:30m").fg, Color::rgb(10, 20, 30));  // explicit one
  EXPECT_EQ(style_after("\x1b[38:2:10:20:30m").fg, Color::rgb(10, 20, 30));    // none at all
  EXPECT_EQ(style_after("\x1b[58:2::1:2:3m").underline_color, Color::rgb(1, 2, 3));
  EXPECT_EQ(style_after("\x1b[58;5;3;59m").underline_color, Color{});
  // What follows an extended colour is read as more SGR codes.
  const Style s = style_after("\x1b[38;2;1;2;3;1;48;5;4;3m");
  EXPECT_EQ(s.fg, Color::rgb(1, 2, 3));
  EXPECT_EQ(s.bg, Color::palette(4));
  EXPECT_TRUE(s.has(attr::kBold));
  EXPECT_TRUE(s.has(attr::kItalic));
  const Style c = style_after("\x1b[38:5:1;4m");
  EXPECT_EQ(c.fg, Color::palette(1));
  EXPECT_EQ(c.underline(), Underline::kSingle);
}

TEST(TermSgr, InvalidColoursAreIgnored) {
  EXPECT_EQ(style_after("\x1b[38;5;256m").fg, Color{});
  EXPECT_EQ(style_after("\x1b[38;2;1;2;300m").fg, Color{});
  EXPECT_EQ(style_after("\x1b[38;5m").fg, Color{});
  EXPECT_EQ(style_after("\x1b[38;2;1;2m").fg, Color{});
  EXPECT_EQ(style_after("\x1b[38;9;1m").fg, Color{});
  EXPECT_EQ(style_after("\x1b[38:2:1m").fg, Color{});
}

TEST(TermSgr, ErasedCellsTakeTheBackground) {
  Term t(6, 3);
  t << "abcdef\r\n\x1b[44m\x1b[K\x1b[m";
  EXPECT_EQ(t.cell(1, 3).style.bg, Color::palette(4));
  EXPECT_EQ(t.cell(1, 3).cp, 0u);
  t << "\r\n\x1b[41;1;4mx\x1b[2J";
  const Style s = t.cell(0, 0).style;  // ED: background only, no other attributes
  EXPECT_EQ(s.bg, Color::palette(1));
  EXPECT_FALSE(s.has(attr::kBold));
  EXPECT_EQ(s.underline(), Underline::kNone);
}

TEST(TermWide, DoubleWidthCharactersTakeTwoCells) {
  Term t(10, 3);
  t << "a\u4E2D\u6587b";
  EXPECT_EQ(t.row(0), "a\u4E2D\u6587b");
  EXPECT_TRUE(t.cell(0, 1).wide());
  EXPECT_TRUE(t.cell(0, 2).wide_spacer());
  EXPECT_EQ(t.cell(0, 2).cp, 0u);
  EXPECT_TRUE(t.cell(0, 3).wide());
  EXPECT_EQ(t.cell(0, 5).cp, U'b');
  EXPECT_EQ(t.cursor(), Pos(0, 6));
  t << "\r\n\U0001F600!";
  EXPECT_TRUE(t.cell(1, 0).wide());
  EXPECT_EQ(t.cursor(), Pos(1, 3));
}

TEST(TermWide, WideCharacterAtTheLastColumnWraps) {
  Term t(5, 3);
  t << "abcd\u4E2D";
  EXPECT_EQ(t.screen(), "abcd\n\u4E2D");
  EXPECT_TRUE(t.t.screen_line(0).wrapped);
  EXPECT_EQ(t.cursor(), Pos(1, 2));
  Term u(5, 3);
  u << "\x1b[?7l" "abcd\u4E2D";  // no room and no wrap: dropped
  EXPECT_EQ(u.screen(), "abcd");
  Term v(4, 2);
  v << "ab\u4E2D";  // exactly fills the line: pending wrap
  EXPECT_EQ(v.cursor(), Pos(0, 3));
  EXPECT_TRUE(v.t.cursor_pending_wrap());
}

TEST(TermWide, OverwritingHalfBlanksTheOtherHalf) {
  Term t(10, 3);
  t << "\u4E2D\u6587\r\x1b[1Cx";  // on the second half of the first
  EXPECT_EQ(t.row(0), " x\u6587");
  EXPECT_FALSE(t.cell(0, 0).wide());
  t << "\r\n\u4E2D\u6587\rx";  // on the first half
  EXPECT_EQ(t.row(1), "x \u6587");
  EXPECT_FALSE(t.cell(1, 1).wide_spacer());
  t << "\r\na\u4E2D\u6587\r\x1b[2C\u6587";  // a wide over the halves of two others
  EXPECT_EQ(t.row(2), "a \u6587");
  EXPECT_EQ(t.cell(2, 3).cp, 0u);
  EXPECT_FALSE(t.cell(2, 4).wide_spacer());
}

TEST(TermWide, EditingAcrossWideCharacters) {
  Term t(6, 4);
  t << "a\u4E2Dbc\r\x1b[2C\x1b[X";  // ECH on the second half
  EXPECT_EQ(t.row(0), "a  bc");
  t << "\r\na\u4E2Dbc\r\x1b[2C\x1b[P";  // DCH on the second half
  EXPECT_EQ(t.row(1), "a bc");
  t << "\r\na\u4E2Dbc\r\x1b[2C\x1b[@";  // ICH on the second half
  EXPECT_EQ(t.row(2), "a   bc");
  t << "\r\nabcd\u4E2D\r\x1b[@";  // pushed half off the end
  EXPECT_EQ(t.row(3), " abcd");
  EXPECT_FALSE(t.cell(3, 5).wide());
}

TEST(TermWide, CombiningMarksJoinThePreviousCell) {
  Term t(10, 3);
  t << "e\u0301x";
  EXPECT_EQ(t.row(0), "e\u0301x");
  EXPECT_TRUE(t.cell(0, 0).is_cluster());
  EXPECT_EQ(t.t.cell_text(t.cell(0, 0)), U"e\u0301");
  EXPECT_EQ(t.cursor(), Pos(0, 2));
  t << "\r\n\u4E2D\u0301";  // after a wide character: joins its first cell
  EXPECT_EQ(t.t.cell_text(t.cell(1, 0)), U"\u4E2D\u0301");
  t << "\r\n\u0301";  // at the start of a line: nothing to join, dropped
  EXPECT_EQ(t.row(2), "");
  Term u(3, 2);
  u << "abc\u0302";  // with a wrap pending it joins the last cell
  EXPECT_EQ(u.t.cell_text(u.cell(0, 2)), U"c\u0302");
  EXPECT_EQ(u.screen(), "abc\u0302");
  Term z(10, 2);
  z << "\U0001F468\u200D\U0001F469";  // ZWJ sequence: the ZWJ joins, the second emoji is its own
  EXPECT_EQ(z.t.cell_text(z.cell(0, 0)), U"\U0001F468\u200D");
  EXPECT_EQ(z.cursor(), Pos(0, 4));
}

TEST(TermWide, ClustersAreBounded) {
  mw::term::TerminalOptions o;
  o.cols = 20;
  o.rows = 2;
  o.max_clusters = 8;
  o.max_cluster_length = 4;
  o.scrollback_lines = 0;
  mw::term::Terminal t(o);
  t.feed("a\u0301\u0302\u0303\u0304\u0305\u0306");  // capped at 4 code points
  EXPECT_EQ(t.cell_text(t.cell(0, 0)), U"a\u0301\u0302\u0303");
  // Many distinct clusters: once the table is full old ones are collected when no cell uses them.
  for (int i = 0; i < 200; ++i) {
    std::string s = "\r\x1b[K";
    for (int k = 0; k < 4; ++k) {
      s += static_cast<char>('a' + (i + k) % 26);
      s += "\u0301";
    }
    t.feed(s);
  }
  for (int k = 0; k < 4; ++k) EXPECT_TRUE(t.cell(0, k).is_cluster()) << k;
  EXPECT_EQ(t.cell_text(t.cell(0, 3)), std::u32string({static_cast<char32_t>('a' + (199 + 3) % 26), 0x301}));
}

TEST(TermReplies, StatusCursorAndDeviceAttributes) {
  Term t(20, 5);
  t << "\x1b[5n";
  EXPECT_EQ(t.take_replies(), "\x1b[0n");
  t << "\x1b[3;7H\x1b[6n";
  EXPECT_EQ(t.take_replies(), "\x1b[3;7R");
  t << "\x1b[?6n";
  EXPECT_EQ(t.take_replies(), "\x1b[?3;7;1R");
  t << "\x1b[c";
  EXPECT_EQ(t.take_replies(), "\x1b[?62;22c");
  t << "\x1b[0c";
  EXPECT_EQ(t.take_replies(), "\x1b[?62;22c");
  t << "\x1b[>c";
  EXPECT_EQ(t.take_replies(), "\x1b[>1;10;0c");
  t << "\x1b[18t";
  EXPECT_EQ(t.take_replies(), "\x1b[8;5;20t");
  t << "\x1b[?2004h\x1b[?2004$p\x1b[?1$p\x1b[?9999$p\x1b[4$p";
  EXPECT_EQ(t.take_replies(), "\x1b[?2004;1$y\x1b[?1;2$y\x1b[?9999;0$y\x1b[4;2$y");
  t << "\x1b[1c\x1b[7n";  // unknown requests get no answer
  EXPECT_EQ(t.take_replies(), "");
}

TEST(TermModes, DecPrivateModes) {
  Term t;
  using mw::term::MouseEncoding;
  using mw::term::MouseTracking;
  const auto& m = t.t.modes();
  t << "\x1b[?1h\x1b[?25l\x1b[?2004h\x1b[?1004h\x1b=";
  EXPECT_TRUE(m.cursor_keys_app);
  EXPECT_FALSE(m.cursor_visible);
  EXPECT_TRUE(m.bracketed_paste);
  EXPECT_TRUE(m.focus_events);
  EXPECT_TRUE(m.keypad_app);
  t << "\x1b[?1l\x1b[?25h\x1b[?2004l\x1b>";
  EXPECT_FALSE(m.cursor_keys_app);
  EXPECT_TRUE(m.cursor_visible);
  EXPECT_FALSE(m.bracketed_paste);
  EXPECT_FALSE(m.keypad_app);
  t << "\x1b[?1000h";
  EXPECT_EQ(m.mouse, MouseTracking::kNormal);
  t << "\x1b[?1002h";
  EXPECT_EQ(m.mouse, MouseTracking::kButton);
  t << "\x1b[?1000l";  // resetting a mode that is not the current one changes nothing
  EXPECT_EQ(m.mouse, MouseTracking::kButton);
  t << "\x1b[?1003h\x1b[?1006h";
  EXPECT_EQ(m.mouse, MouseTracking::kAny);
  EXPECT_EQ(m.mouse_encoding, MouseEncoding::kSgr);
  t << "\x1b[?1003;1006l";  // several modes in one sequence
  EXPECT_EQ(m.mouse, MouseTracking::kOff);
  EXPECT_EQ(m.mouse_encoding, MouseEncoding::kDefault);
  t << "\x1b[?9h\x1b[?1005h";
  EXPECT_EQ(m.mouse, MouseTracking::kX10);
  EXPECT_EQ(m.mouse_encoding, MouseEncoding::kUtf8);
  t << "\x1b[?1015h";
  EXPECT_EQ(m.mouse_encoding, MouseEncoding::kUrxvt);
  t << "\x1b[5 q";
  EXPECT_EQ(m.cursor_shape, mw::term::CursorShape::kBar);
  EXPECT_TRUE(m.cursor_blink);
  t << "\x1b[2 q";
  EXPECT_EQ(m.cursor_shape, mw::term::CursorShape::kBlock);
  EXPECT_FALSE(m.cursor_blink);
  t << "\x1b[?5h";
  EXPECT_TRUE(m.reverse_video);
}

TEST(TermOsc, WindowTitle) {
  Term t;
  t << "\x1b]0;first\x07";
  EXPECT_EQ(t.t.title(), "first");
  t << "\x1b]2;caf\xC3\xA9 \xE4\xB8\xAD\x1b\\";
  EXPECT_EQ(t.t.title(), "caf\xC3\xA9 \xE4\xB8\xAD");
  t << "\x1b]1;icon\x07";  // icon name only: the title stays
  EXPECT_EQ(t.t.title(), "caf\xC3\xA9 \xE4\xB8\xAD");
  t << "\x1b]2;" + std::string(100000, 'x') + "\x07";  // overlong: dropped
  EXPECT_EQ(t.t.title(), "caf\xC3\xA9 \xE4\xB8\xAD");
}

TEST(TermOsc, Hyperlinks) {
  Term t(40, 3);
  t << "a\x1b]8;;https://example.com/\x1b\\link\x1b]8;;\x1b\\b";
  EXPECT_EQ(t.cell(0, 0).style.link, 0);
  const auto id = t.cell(0, 1).style.link;
  EXPECT_NE(id, 0);
  EXPECT_EQ(t.t.link_uri(id), "https://example.com/");
  EXPECT_EQ(t.cell(0, 4).style.link, id);
  EXPECT_EQ(t.cell(0, 5).style.link, 0);
  t << "\x1b]8;id=x:foo=bar;https://example.com/\x07" "c\x1b]8;;\x07";  // different id: another link
  EXPECT_NE(t.cell(0, 6).style.link, id);
  EXPECT_EQ(t.t.link_uri(t.cell(0, 6).style.link), "https://example.com/");
  t << "\x1b]8;;https://example.com/\x07" "d\x1b[m" "e";  // SGR 0 does not end a link
  EXPECT_EQ(t.cell(0, 7).style.link, id);
  EXPECT_EQ(t.cell(0, 8).style.link, id);
  EXPECT_EQ(t.t.link_uri(0), "");
  EXPECT_EQ(t.t.link_uri(999), "");
}

TEST(TermOsc, HyperlinkTableIsBoundedAndRecycled) {
  mw::term::TerminalOptions o;
  o.cols = 10;
  o.rows = 2;
  o.max_links = 4;
  o.scrollback_lines = 0;
  mw::term::Terminal t(o);
  for (int i = 0; i < 100; ++i) {
    t.feed("\r\x1b[K\x1b]8;;https://h/" + std::to_string(i) + "\x07L\x1b]8;;\x07");
    ASSERT_NE(t.cell(0, 0).style.link, 0) << i;
    EXPECT_EQ(t.link_uri(t.cell(0, 0).style.link), "https://h/" + std::to_string(i));
  }
}

// A long input touching most features; every chunking must give the same terminal.
std::string kitchen_sink() {
  std::string s;
  for (int i = 0; i < 30; ++i) {
    s += "line " + std::to_string(i) + " \x1b[1;3" + std::to_string(i % 8) + "mcolour\x1b[m \u4E2D\u6587 e\u0301 \U0001F600";
    s += "\x1b]8;;http://x/" + std::to_string(i % 3) + "\x1b\\link\x1b]8;;\x1b\\\r\n";
    if (i % 7 == 0) s += "\x1b[2;10r\x1b[5;1H\x1b[2L\x1b[3M\x1b[r";
    if (i % 5 == 0) s += "\x1b(0lqqk\x1b(B\x1b[4h ins \x1b[4l\x1b[10G\x1b[3@\x1b[2P\x1b[4X";
    if (i % 11 == 0) s += "\x1b[?1049h alt \x1b[H\x1b[2J\x1b[?1049l";
    if (i % 4 == 0) s += "\x1b[38:2::1:2:3;48;5;200m\x1b[4:3mwavy\x1b[0m\x1b]2;title " + std::to_string(i) + "\x07";
    s += std::string(i % 13, 'w') + "\t|\x1b[6n\x1b[c";
  }
  s += "\xE2\x82" "broken\xFF\xC0\x80";
  return s;
}

void expect_same(const mw::term::Terminal& a, const mw::term::Terminal& b) {
  ASSERT_EQ(a.total_lines(), b.total_lines());
  for (std::size_t i = 0; i < a.total_lines(); ++i) {
    ASSERT_EQ(a.line(i).cells, b.line(i).cells) << "line " << i;
    ASSERT_EQ(a.line(i).wrapped, b.line(i).wrapped) << "line " << i;
    ASSERT_EQ(a.line_text(i), b.line_text(i)) << "line " << i;
  }
  EXPECT_EQ(a.cursor_row(), b.cursor_row());
  EXPECT_EQ(a.cursor_col(), b.cursor_col());
  EXPECT_EQ(a.title(), b.title());
}

TEST(TermChunking, OneByteAtATimeEqualsAllAtOnce) {
  const std::string input = kitchen_sink();
  Term whole(40, 12);
  whole << input;
  Term bytes(40, 12);
  for (char c : input) bytes << std::string_view(&c, 1);
  expect_same(whole.t, bytes.t);
  EXPECT_EQ(whole.replies, bytes.replies);
  std::mt19937 rng(7);
  Term random(40, 12);
  for (std::size_t i = 0; i < input.size();) {
    const std::size_t n = std::min<std::size_t>(input.size() - i, 1 + rng() % 17);
    random << std::string_view(input).substr(i, n);
    i += n;
  }
  expect_same(whole.t, random.t);
}

TEST(TermHostile, RandomBytesStayBounded) {
  std::mt19937 rng(1234);
  mw::term::TerminalOptions o;
  o.cols = 30;
  o.rows = 10;
  o.scrollback_lines = 50;
  mw::term::Terminal t(o);
  std::string junk;
  for (int round = 0; round < 200; ++round) {
    junk.clear();
    for (int i = 0; i < 500; ++i) {
      const auto r = rng();
      // Bias towards the bytes that drive the state machine.
      static const char kHot[] = "\x1b[];?:0123456789mHJKLMP@\x07\x9b\x9c\xc2\x90\r\n\x08\t";
      junk += (r & 3) ? kHot[(r >> 8) % (sizeof kHot - 1)] : static_cast<char>(r >> 16);
    }
    t.feed(junk);
  }
  EXPECT_LE(t.scrollback_size(), 50u);
  EXPECT_GE(t.cursor_row(), 0);
  EXPECT_LT(t.cursor_row(), 10);
  EXPECT_GE(t.cursor_col(), 0);
  EXPECT_LT(t.cursor_col(), 30);
  for (int r = 0; r < t.rows(); ++r) EXPECT_EQ(t.screen_line(r).cells.size(), 30u);
}

TEST(TermHostile, HugeParametersAreClamped) {
  Term t(10, 5);
  t << "\x1b[99999999;99999999H";
  EXPECT_EQ(t.cursor(), Pos(4, 9));
  t << "\x1b[65535@\x1b[65535L\x1b[65535M\x1b[65535S\x1b[65535T\x1b[65535X\x1b[65535P";
  t << "x\x1b[65535b\x1b[65535I\x1b[65535Z\x1b[65535;65535r";
  EXPECT_EQ(t.t.rows(), 5);
}

}  // namespace
