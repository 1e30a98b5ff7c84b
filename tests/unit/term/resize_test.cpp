// Resize: rows leave for and come back from the scrollback, soft-wrapped lines reflow to the new
// width (history included), the cursor stays on its text, the alternate screen is cut/padded.
#include <gtest/gtest.h>

#include "term_helpers.hpp"

namespace {

using mw::term::test::Pos;
using mw::term::test::Term;

TEST(TermResize, ShrinkingDropsBlankRowsBelowTheCursorFirst) {
  Term t(10, 5);
  t << "a\r\nb";
  t.t.resize(10, 3);
  EXPECT_EQ(t.screen(), "a\nb");
  EXPECT_EQ(t.t.scrollback_size(), 0u);
  EXPECT_EQ(t.cursor(), Pos(1, 1));
  EXPECT_EQ(t.t.rows(), 3);
}

TEST(TermResize, ShrinkingPushesTopRowsToScrollbackAndGrowingPullsThemBack) {
  Term t(10, 5);
  t << "1\r\n2\r\n3\r\n4\r\n5";
  t.t.resize(10, 3);
  EXPECT_EQ(t.screen(), "3\n4\n5");
  EXPECT_EQ(t.t.scrollback_size(), 2u);
  EXPECT_EQ(t.t.line_text(0), "1");
  EXPECT_EQ(t.cursor(), Pos(2, 1));
  t.t.resize(10, 6);
  EXPECT_EQ(t.screen(), "1\n2\n3\n4\n5");
  EXPECT_EQ(t.t.scrollback_size(), 0u);
  EXPECT_EQ(t.cursor(), Pos(4, 1));
  t << "\r\n6";
  EXPECT_EQ(t.row(5), "6");
}

TEST(TermResize, NarrowingReflowsWrappedText) {
  Term t(10, 3);
  t << "abcdefghij12345";
  EXPECT_EQ(t.screen(), "abcdefghij\n12345");
  t.t.resize(5, 3);
  EXPECT_EQ(t.screen(), "abcde\nfghij\n12345");
  EXPECT_TRUE(t.t.screen_line(0).wrapped);
  EXPECT_TRUE(t.t.screen_line(1).wrapped);
  EXPECT_FALSE(t.t.screen_line(2).wrapped);
  EXPECT_EQ(t.cursor(), Pos(2, 4));  // just past the text: a pending wrap
  EXPECT_TRUE(t.t.cursor_pending_wrap());
  t << "X";
  EXPECT_EQ(t.row(2), "X");  // it scrolled: the new row is the last one
  EXPECT_EQ(t.t.line_text(0), "abcde");
}

TEST(TermResize, WideningJoinsWrappedText) {
  Term t(5, 4);
  t << "abcdefghij";
  EXPECT_EQ(t.screen(), "abcde\nfghij");
  EXPECT_TRUE(t.t.cursor_pending_wrap());
  t.t.resize(10, 4);
  EXPECT_EQ(t.screen(), "abcdefghij");
  EXPECT_EQ(t.cursor(), Pos(0, 9));
  EXPECT_TRUE(t.t.cursor_pending_wrap());
  t.t.resize(20, 4);
  EXPECT_EQ(t.cursor(), Pos(0, 10));
  EXPECT_FALSE(t.t.cursor_pending_wrap());
  t << "!";
  EXPECT_EQ(t.screen(), "abcdefghij!");
}

TEST(TermResize, CursorStaysOnItsCharacter) {
  Term t(10, 3);
  t << "abcdefghijklmno\x1b[1;4H";  // on 'd'
  t.t.resize(4, 5);
  EXPECT_EQ(t.screen(), "abcd\nefgh\nijkl\nmno");
  EXPECT_EQ(t.cursor(), Pos(0, 3));
  t << "\x1b[2;2H";  // on 'f'
  t.t.resize(7, 5);
  EXPECT_EQ(t.screen(), "abcdefg\nhijklmn\no");
  EXPECT_EQ(t.cursor(), Pos(0, 5));
}

TEST(TermResize, ScrollbackReflowsToo) {
  Term t(6, 2);
  t << "abcdefghijkl\r\nxy\r\nz";
  ASSERT_EQ(t.t.scrollback_size(), 2u);
  EXPECT_EQ(t.t.line_text(0), "abcdef");
  t.t.resize(12, 2);
  EXPECT_EQ(t.t.scrollback_size(), 1u);
  EXPECT_EQ(t.t.line_text(0), "abcdefghijkl");
  EXPECT_EQ(t.screen(), "xy\nz");
  t.t.resize(4, 2);
  EXPECT_EQ(t.t.line_text(0), "abcd");
  EXPECT_EQ(t.t.line_text(1), "efgh");
  EXPECT_EQ(t.t.line_text(2), "ijkl");
  EXPECT_EQ(t.screen(), "xy\nz");
}

TEST(TermResize, WideCharactersMoveWhole) {
  Term t(4, 3);
  t << "ab\u4E2D";
  t.t.resize(3, 3);
  EXPECT_EQ(t.screen(), "ab\n\u4E2D");
  EXPECT_TRUE(t.cell(1, 0).wide());
  EXPECT_TRUE(t.cell(1, 1).wide_spacer());
  t.t.resize(4, 3);  // the empty cell left at the wrap is not text: the line joins back
  EXPECT_EQ(t.screen(), "ab\u4E2D");
}

TEST(TermResize, HardNewlinesStaySeparate) {
  Term t(10, 4);
  t << "one\r\ntwo\r\nthree";
  t.t.resize(3, 4);
  EXPECT_EQ(t.screen(), "one\ntwo\nthr\nee");
  EXPECT_EQ(t.t.scrollback_size(), 0u);
  t.t.resize(10, 4);
  EXPECT_EQ(t.screen(), "one\ntwo\nthree");
}

TEST(TermResize, AlternateScreenIsCutNotReflowed) {
  Term t(10, 3);
  t << "primary line\x1b[?1049h\x1b[H" "0123456789";
  t.t.resize(5, 3);
  EXPECT_EQ(t.row(0), "01234");
  EXPECT_EQ(t.t.scrollback_size(), 0u);
  t << "\x1b[?1049l";
  EXPECT_EQ(t.screen(), "prima\nry li\nne");
  EXPECT_EQ(t.cursor(), Pos(2, 2));
}

TEST(TermResize, ClampsAndKeepsWorking) {
  Term t(10, 3);
  t << "\x1b[2;3r\x1b[5;5Habc";
  t.t.resize(0, 0);
  EXPECT_EQ(t.t.cols(), 1);
  EXPECT_EQ(t.t.rows(), 1);
  t << "xyz\r\n\x1b[5;5H\x1b[L\x1b[P";
  t.t.resize(100000, 100000);
  EXPECT_EQ(t.t.cols(), mw::term::TerminalOptions::kMaxCols);
  EXPECT_EQ(t.t.rows(), mw::term::TerminalOptions::kMaxRows);
  t.t.resize(20, 5);
  t << "\x1b[5;20Hend";
  EXPECT_EQ(t.t.rows(), 5);
}

TEST(TermResize, TabStopsExtend) {
  Term t(10, 2);
  t.t.resize(30, 2);
  t << "\t\t\tX";
  EXPECT_EQ(t.cursor(), Pos(0, 25));
}

}  // namespace
