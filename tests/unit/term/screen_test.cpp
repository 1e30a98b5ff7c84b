// The screen model, vttest-style: cursor motion, wrap and pending wrap, scroll regions, origin
// mode, tabs, insert/delete/erase, scrollback, alternate screen, saved cursor, character sets.
// Where xterm and tmux differ, these follow tmux (the reference terminal); see
// docs/protocols/terminal.md.
#include <gtest/gtest.h>

#include "term_helpers.hpp"

namespace {

using mw::term::test::Pos;
using mw::term::test::Term;

TEST(TermScreen, PrintsAndMovesWithControls) {
  Term t(20, 5);
  t << "hello\r\nworld";
  EXPECT_EQ(t.screen(), "hello\nworld");
  EXPECT_EQ(t.cursor(), Pos(1, 5));
  t << "\x08\x08X";
  EXPECT_EQ(t.row(1), "worXd");
  t << "\n!";  // LF alone keeps the column
  EXPECT_EQ(t.row(2), "    !");
}

TEST(TermScreen, AutowrapSetsPendingWrapThenWraps) {
  Term t(10, 4);
  t << "0123456789";
  EXPECT_EQ(t.cursor(), Pos(0, 9));
  EXPECT_TRUE(t.t.cursor_pending_wrap());
  EXPECT_FALSE(t.t.screen_line(0).wrapped);
  t << "A";
  EXPECT_EQ(t.screen(), "0123456789\nA");
  EXPECT_TRUE(t.t.screen_line(0).wrapped);
  EXPECT_EQ(t.cursor(), Pos(1, 1));
}

TEST(TermScreen, PendingWrapRules) {
  {
    Term t(10, 4);  // CR cancels it
    t << "0123456789\rX";
    EXPECT_EQ(t.screen(), "X123456789");
  }
  {
    Term t(10, 4);  // LF keeps it: the next character still wraps (tmux)
    t << "0123456789\nX";
    EXPECT_EQ(t.screen(), "0123456789\n\nX");
  }
  {
    Term t(10, 4);  // BS goes back to the last column itself
    t << "0123456789\x08X";
    EXPECT_EQ(t.screen(), "012345678X");
  }
  {
    Term t(10, 4);  // CUB counts from one past the last column
    t << "0123456789\x1b[2DX";
    EXPECT_EQ(t.screen(), "01234567X9");
  }
  {
    Term t(10, 4);  // EL from past the end erases nothing; the wrap stays pending
    t << "0123456789\x1b[KX";
    EXPECT_EQ(t.screen(), "0123456789\nX");
  }
  {
    Term t(10, 4);  // DECRC restores to the last column, not past it
    t << "0123456789\x1b" "7\x1b" "8X";
    EXPECT_EQ(t.screen(), "012345678X");
  }
}

TEST(TermScreen, AutowrapOff) {
  Term t(10, 4);
  t << "\x1b[?7l" "0123456789ABC";
  EXPECT_EQ(t.screen(), "012345678C");
  EXPECT_EQ(t.cursor(), Pos(0, 9));
  Term u(10, 4);
  u << "0123456789\x1b[?7lX";  // a pending wrap with wrapping off: dropped (tmux)
  EXPECT_EQ(u.screen(), "0123456789");
  u << "\x1b[?7hY";
  EXPECT_EQ(u.screen(), "0123456789\nY");
}

TEST(TermScreen, CursorMovementClamps) {
  Term t(20, 10);
  t << "\x1b[5;5H";
  EXPECT_EQ(t.cursor(), Pos(4, 4));
  t << "\x1b[2A";
  EXPECT_EQ(t.cursor(), Pos(2, 4));
  t << "\x1b[99A";
  EXPECT_EQ(t.cursor(), Pos(0, 4));
  t << "\x1b[3B";
  EXPECT_EQ(t.cursor(), Pos(3, 4));
  t << "\x1b[99B";
  EXPECT_EQ(t.cursor(), Pos(9, 4));
  t << "\x1b[3C";
  EXPECT_EQ(t.cursor(), Pos(9, 7));
  t << "\x1b[99C";
  EXPECT_EQ(t.cursor(), Pos(9, 19));
  t << "\x1b[4D";
  EXPECT_EQ(t.cursor(), Pos(9, 15));
  t << "\x1b[99D";
  EXPECT_EQ(t.cursor(), Pos(9, 0));
  t << "\x1b[7G";
  EXPECT_EQ(t.cursor(), Pos(9, 6));
  t << "\x1b[3d";
  EXPECT_EQ(t.cursor(), Pos(2, 6));
  t << "\x1b[2E";
  EXPECT_EQ(t.cursor(), Pos(4, 0));
  t << "\x1b[5G\x1b[3F";
  EXPECT_EQ(t.cursor(), Pos(1, 0));
  t << "\x1b[0;0H";
  EXPECT_EQ(t.cursor(), Pos(0, 0));
  t << "\x1b[7;12f";
  EXPECT_EQ(t.cursor(), Pos(6, 11));
  t << "\x1b[99;99H";
  EXPECT_EQ(t.cursor(), Pos(9, 19));
  t << "\x1b[H";
  EXPECT_EQ(t.cursor(), Pos(0, 0));
  t << "\x1b[5`";
  EXPECT_EQ(t.cursor(), Pos(0, 4));
}

TEST(TermScreen, ScrollRegionWithIndexAndReverseIndex) {
  Term t(10, 6);
  t << "0\r\n1\r\n2\r\n3\r\n4\r\n5";
  t << "\x1b[2;4r";  // rows 1..3
  EXPECT_EQ(t.cursor(), Pos(0, 0));  // DECSTBM homes the cursor
  t << "\x1b[4;1H\n";               // LF at the bottom margin scrolls the region only
  EXPECT_EQ(t.screen(), "0\n2\n3\n\n4\n5");
  EXPECT_EQ(t.cursor(), Pos(3, 0));
  t << "\x1b[2;1H\x1bM";            // RI at the top margin scrolls down
  EXPECT_EQ(t.screen(), "0\n\n2\n3\n4\n5");
  t << "\x1b[6;1H\n\n";             // below the region LF stops at the last row
  EXPECT_EQ(t.cursor(), Pos(5, 0));
  EXPECT_EQ(t.screen(), "0\n\n2\n3\n4\n5");
  EXPECT_EQ(t.t.scrollback_size(), 0u);  // region scrolls never reach the scrollback
  t << "\x1b[1;1H\x1b[99A\x1bM";      // RI at the top row outside the region: nothing
  EXPECT_EQ(t.screen(), "0\n\n2\n3\n4\n5");
}

TEST(TermScreen, CursorUpDownStopAtMargins) {
  Term t(10, 10);
  t << "\x1b[3;6r\x1b[5;1H\x1b[9A";
  EXPECT_EQ(t.cursor(), Pos(2, 0));
  t << "\x1b[9B";
  EXPECT_EQ(t.cursor(), Pos(5, 0));
  t << "\x1b[8;1H\x1b[9A";  // from below the region it stops at the top margin too
  EXPECT_EQ(t.cursor(), Pos(2, 0));
  t << "\x1b[1;1H\x1b[1A";
  EXPECT_EQ(t.cursor(), Pos(0, 0));
}

TEST(TermScreen, OriginMode) {
  Term t(10, 10);
  t << "\x1b[3;6r\x1b[?6h";
  EXPECT_EQ(t.cursor(), Pos(2, 0));  // DECOM homes to the region
  t << "\x1b[2;3H";
  EXPECT_EQ(t.cursor(), Pos(3, 2));
  t << "\x1b[99;1H";
  EXPECT_EQ(t.cursor(), Pos(5, 0));  // confined to the region
  t << "\x1b[6n";
  EXPECT_EQ(t.take_replies(), "\x1b[4;1R");  // reported relative to the region
  t << "\x1b[?6l";
  EXPECT_EQ(t.cursor(), Pos(0, 0));
  t << "\x1b[6n";
  EXPECT_EQ(t.take_replies(), "\x1b[1;1R");
}

TEST(TermScreen, TabStops) {
  Term t(40, 3);
  t << "\tA\tB";
  EXPECT_EQ(t.row(0), "        A       B");
  t << "\r\x1b[3g\x1b[5G\x1bH\r\tY";  // clear all, set one at column 4
  EXPECT_EQ(t.row(0), "    Y   A       B");
  t << "\tZ";  // no further stop: the last column
  EXPECT_EQ(t.cursor(), Pos(0, 39));
  t << "\r\n\x1b[3g\x1b[11G\x1bH\x1b[21G\x1bH\r\x1b[2IQ";  // CHT 2
  EXPECT_EQ(t.cursor(), Pos(1, 21));
  t << "\x1b[ZR";  // CBT back to 20
  EXPECT_EQ(t.row(1), "                    R");
  t << "\x1b[21G\x1b[g\r\x1b[2I";  // TBC 0 at 20: CHT 2 now stops at the last column
  EXPECT_EQ(t.cursor(), Pos(1, 39));
  t << "\x1b[99Z";
  EXPECT_EQ(t.cursor(), Pos(1, 0));
}

TEST(TermScreen, InsertAndDeleteCharacters) {
  Term t(10, 3);
  t << "abcdefghij\r\x1b[3C\x1b[2@";
  EXPECT_EQ(t.row(0), "abc  defgh");
  t << "\x1b[3P";
  EXPECT_EQ(t.row(0), "abcefgh");
  t << "\x1b[99P";
  EXPECT_EQ(t.row(0), "abc");
  t << "\r\x1b[99@";
  EXPECT_EQ(t.row(0), "");
}

TEST(TermScreen, InsertMode) {
  Term t(10, 3);
  t << "abcdef\r\x1b[4hXY\x1b[4lZ";
  EXPECT_EQ(t.row(0), "XYZbcdef");
  Term u(10, 3);
  u << "0123456789\r\x1b[4hab";  // characters pushed off the end are lost
  EXPECT_EQ(u.row(0), "ab01234567");
}

TEST(TermScreen, EraseCharactersAndLine) {
  Term t(10, 3);
  t << "abcdefghij\r\x1b[2C\x1b[3X";
  EXPECT_EQ(t.row(0), "ab   fghij");
  EXPECT_EQ(t.cursor(), Pos(0, 2));
  t << "\x1b[6G\x1b[1K";
  EXPECT_EQ(t.row(0), "      ghij");
  t << "\x1b[8G\x1b[K";
  EXPECT_EQ(t.row(0), "      g");
  t << "\x1b[2K";
  EXPECT_EQ(t.row(0), "");
}

TEST(TermScreen, EraseDisplay) {
  auto filled = [] {
    auto t = std::make_unique<Term>(5, 4);
    *t << "aaaaa\r\nbbbbb\r\nccccc\r\nddddd\x1b[2;3H";
    return t;
  };
  auto t = filled();
  *t << "\x1b[J";
  EXPECT_EQ(t->screen(), "aaaaa\nbb");
  t = filled();
  *t << "\x1b[1J";
  EXPECT_EQ(t->screen(), "\n   bb\nccccc\nddddd");
  t = filled();
  *t << "\x1b[2J";
  EXPECT_EQ(t->screen(), "");
  EXPECT_EQ(t->cursor(), Pos(1, 2));  // ED does not move the cursor
}

TEST(TermScreen, InsertAndDeleteLines) {
  Term t(5, 6);
  t << "0\r\n1\r\n2\r\n3\r\n4\r\n5\x1b[2;5r\x1b[3;1H\x1b[2L";
  EXPECT_EQ(t.screen(), "0\n1\n\n\n2\n5");  // lines pushed past the bottom margin are lost
  t << "\x1b[2M";
  EXPECT_EQ(t.screen(), "0\n1\n2\n\n\n5");
  // Outside the region they act down to the bottom of the screen (tmux).
  Term u(5, 4);
  u << "0\r\n1\r\n2\r\n3\x1b[2;3r\x1b[4;1H\x1b[L";
  EXPECT_EQ(u.screen(), "0\n1\n2");
}

TEST(TermScreen, BackspaceReturnsOverASoftWrap) {
  Term t(5, 4);
  t << "abcdefg\r\x08";  // at the start of the continuation line: back to the end of the first
  EXPECT_EQ(t.cursor(), Pos(0, 4));
  t << "\x1b[2;1H\x1b[L\x08";  // an inserted line breaks the continuation: BS stays put
  EXPECT_EQ(t.cursor(), Pos(1, 0));
  EXPECT_FALSE(t.t.screen_line(0).wrapped);
}

TEST(TermScreen, ScrollUpAndDown) {
  Term t(5, 4);
  t << "0\r\n1\r\n2\r\n3\x1b[2S";
  EXPECT_EQ(t.screen(), "2\n3");
  EXPECT_EQ(t.t.scrollback_size(), 2u);  // SU of the whole screen feeds the scrollback
  t << "\x1b[3T";
  EXPECT_EQ(t.screen(), "\n\n\n2");
  t << "\x1b[2;3r\x1b[S";
  EXPECT_EQ(t.screen(), "\n\n\n2");
  EXPECT_EQ(t.t.scrollback_size(), 2u);
}

TEST(TermScreen, ScrollbackKeepsLinesUpToTheCap) {
  Term t(10, 3, 5);
  for (int i = 0; i < 20; ++i) t << std::to_string(i) + "\r\n";
  EXPECT_EQ(t.t.scrollback_size(), 5u);
  EXPECT_EQ(t.t.lines_dropped(), 13u);
  EXPECT_EQ(t.t.line_text(0), "13");
  EXPECT_EQ(t.t.line_text(4), "17");
  EXPECT_EQ(t.t.line_text(5), "18");  // then the screen
  EXPECT_EQ(t.t.total_lines(), 8u);
  t << "\x1b[3J";
  EXPECT_EQ(t.t.scrollback_size(), 0u);
  EXPECT_EQ(t.t.lines_dropped(), 18u);
  Term none(10, 2, 0);
  none << "a\r\nb\r\nc\r\n";
  EXPECT_EQ(none.t.scrollback_size(), 0u);
  EXPECT_EQ(none.screen(), "c");
}

TEST(TermScreen, ScrollbackKeepsWrapFlagAndColours) {
  Term t(4, 2);
  t << "abcdef\r\n\x1b[41mxy\x1b[K\x1b[m\r\n\r\n";
  ASSERT_EQ(t.t.scrollback_size(), 3u);
  EXPECT_TRUE(t.t.line(0).wrapped);
  EXPECT_EQ(t.t.line_text(0), "abcd");
  EXPECT_EQ(t.t.line_text(1), "ef");
  EXPECT_EQ(t.t.line(2).at(3).style.bg, mw::term::Color::palette(1));  // erased cells kept their colour
}

TEST(TermScreen, AlternateScreen1049) {
  Term t(10, 4);
  t << "main\r\nline\x1b[?1049h";
  EXPECT_TRUE(t.t.modes().alt_screen);
  EXPECT_EQ(t.screen(), "");
  EXPECT_EQ(t.cursor(), Pos(1, 4));
  t << "\x1b[Halt\r\n1\r\n2\r\n3\r\n4\r\n5";
  EXPECT_EQ(t.t.scrollback_size(), 0u);  // the alternate screen has no scrollback
  t << "\x1b[?1049l";
  EXPECT_FALSE(t.t.modes().alt_screen);
  EXPECT_EQ(t.screen(), "main\nline");
  EXPECT_EQ(t.cursor(), Pos(1, 4));
  t << "\x1b[?1049h";
  EXPECT_EQ(t.screen(), "");  // cleared on entry
}

TEST(TermScreen, AlternateScreen47And1047) {
  Term t(10, 4);
  t << "main\x1b[?47hALT\x1b[?47l";
  EXPECT_EQ(t.screen(), "main");
  EXPECT_EQ(t.cursor(), Pos(0, 7));  // no cursor restore
  t << "\x1b[?1047hX\x1b[?1047l";
  EXPECT_EQ(t.screen(), "main");
}

TEST(TermScreen, SaveAndRestoreCursor) {
  Term t(20, 5);
  t << "\x1b[2;3H\x1b[1;31m\x1b(0\x1b" "7\x1b[H\x1b[m\x1b(Bq\x1b" "8q";
  EXPECT_EQ(t.cursor(), Pos(1, 3));
  const auto& c = t.cell(1, 2);
  EXPECT_EQ(c.cp, U'\u2500');  // the charset came back with the cursor
  EXPECT_TRUE(c.style.has(mw::term::attr::kBold));
  EXPECT_EQ(c.style.fg, mw::term::Color::palette(1));
  EXPECT_EQ(t.cell(0, 0).cp, U'q');
  t << "\x1b[5;5H\x1b[s\x1b[H\x1b[u";
  EXPECT_EQ(t.cursor(), Pos(4, 4));
  Term fresh(20, 5);
  fresh << "\x1b[3;3H\x1b" "8";  // nothing saved: home
  EXPECT_EQ(fresh.cursor(), Pos(0, 0));
}

TEST(TermScreen, DecSpecialGraphicsAndShifts) {
  Term t(20, 3);
  t << "\x1b(0lqk\x1b(B lqk";
  EXPECT_EQ(t.row(0), "\u250C\u2500\u2510 lqk");
  t << "\r\n\x1b)0a\x0ex\x0f" "x";  // G1 through SO/SI
  EXPECT_EQ(t.row(1), "a\u2502x");
  t << "\r\n\x1b(A#";
  EXPECT_EQ(t.row(2), "\u00A3");
}

TEST(TermScreen, ScreenAlignmentPattern) {
  Term t(4, 3);
  t << "\x1b[2;3r\x1b[3;3H\x1b#8";
  EXPECT_EQ(t.screen(), "EEEE\nEEEE\nEEEE");
  EXPECT_EQ(t.cursor(), Pos(0, 0));
  t << "\x1b[3;1H\n";  // margins were reset: the whole screen scrolls
  EXPECT_EQ(t.t.scrollback_size(), 1u);
}

TEST(TermScreen, RepeatPrecedingCharacter) {
  Term t(10, 2);
  t << "ab\x1b[3b";
  EXPECT_EQ(t.row(0), "abbbb");
  t << "\x1b[99b";  // never past the end of the line
  EXPECT_EQ(t.row(0), "abbbbbbbbb");
  EXPECT_EQ(t.cursor(), Pos(0, 9));
  t << "\r\n\x1b[5b";  // a control in between: nothing to repeat
  EXPECT_EQ(t.row(1), "");
}

TEST(TermScreen, NewlineMode) {
  Term t(10, 3);
  t << "\x1b[20hab\ncd";
  EXPECT_EQ(t.screen(), "ab\ncd");
  EXPECT_TRUE(t.t.modes().newline);
}

TEST(TermScreen, FullReset) {
  Term t(10, 3);
  t << "\x1b[1;31mabc\x1b[?1049h\x1b[2;3r\x1b[?6h\x1b]2;x\x07\x1b" "c";
  EXPECT_EQ(t.screen(), "");
  EXPECT_EQ(t.cursor(), Pos(0, 0));
  EXPECT_FALSE(t.t.modes().alt_screen);
  EXPECT_FALSE(t.t.modes().origin);
  EXPECT_EQ(t.t.title(), "");
  t << "x\r\n\r\n\r\n";
  EXPECT_EQ(t.t.line(0).cells[0].style, mw::term::Style{});  // pen reset, region reset
  EXPECT_EQ(t.t.scrollback_size(), 1u);
}

TEST(TermScreen, SoftReset) {
  Term t(10, 3);
  t << "\x1b[4h\x1b[?6h\x1b[?25l\x1b[1m\x1b[!p";
  EXPECT_FALSE(t.t.modes().insert);
  EXPECT_FALSE(t.t.modes().origin);
  EXPECT_TRUE(t.t.modes().cursor_visible);
  t << "x";
  EXPECT_FALSE(t.cell(0, 0).style.has(mw::term::attr::kBold));
}

TEST(TermScreen, BellCounts) {
  Term t;
  t << "\x07\x07" "a\x07";
  EXPECT_EQ(t.t.bell_count(), 3u);
  t << "\x1b]2;t\x07";  // a BEL ending an OSC is not a bell
  EXPECT_EQ(t.t.bell_count(), 3u);
}

}  // namespace
