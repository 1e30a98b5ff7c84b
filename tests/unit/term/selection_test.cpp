// Selection text, word/line selection and search over scrollback and screen.
#include <gtest/gtest.h>

#include "mw/term/selection.hpp"
#include "term_helpers.hpp"

namespace {

using namespace mw::term;
using mw::term::test::Term;

TEST(TermSelection, StreamSelectionJoinsSoftWraps) {
  Term t(10, 4);
  t << "hello world, this\r\nnext   \r\nlast";
  // "hello worl" / "d, this" (wrapped) / "next" / "last"
  const Selection all{screen_pos(t.t, 0, 0), screen_pos(t.t, 3, 9)};
  EXPECT_EQ(selected_text(t.t, all), "hello world, this\nnext\nlast");
  const Selection part{screen_pos(t.t, 1, 3), screen_pos(t.t, 0, 6)};  // either order
  EXPECT_EQ(selected_text(t.t, part), "world, t");
  EXPECT_TRUE(is_selected(part, screen_pos(t.t, 0, 9)));
  EXPECT_FALSE(is_selected(part, screen_pos(t.t, 0, 5)));
  EXPECT_FALSE(is_selected(part, screen_pos(t.t, 1, 4)));
}

TEST(TermSelection, BlockAndLineModes) {
  Term t(10, 3);
  t << "abcdef\r\nghijkl\r\nmnopqr";
  const Selection block{screen_pos(t.t, 0, 1), screen_pos(t.t, 2, 3), SelectionMode::kBlock};
  EXPECT_EQ(selected_text(t.t, block), "bcd\nhij\nnop");
  EXPECT_TRUE(is_selected(block, screen_pos(t.t, 1, 2)));
  EXPECT_FALSE(is_selected(block, screen_pos(t.t, 1, 4)));
  const Selection lines{screen_pos(t.t, 0, 4), screen_pos(t.t, 1, 1), SelectionMode::kLine};
  EXPECT_EQ(selected_text(t.t, lines), "abcdef\nghijkl");
}

TEST(TermSelection, WideCharactersAndClusters) {
  Term t(10, 2);
  t << "a\u4E2D\u6587e\u0301z";
  const Selection s{screen_pos(t.t, 0, 2), screen_pos(t.t, 0, 5)};  // starts on a second half
  EXPECT_EQ(selected_text(t.t, s), "\u4E2D\u6587e\u0301");
}

TEST(TermSelection, IncludesScrollbackAndSurvivesScrolling) {
  Term t(10, 2, 100);
  t << "first\r\nsecond\r\nthird\r\nfourth";
  const TextPos start{t.t.lines_dropped() + 0, 0};
  const TextPos end = screen_pos(t.t, 1, 9);
  EXPECT_EQ(selected_text(t.t, Selection{start, end}), "first\nsecond\nthird\nfourth");
  t << "\r\nfifth";  // positions are absolute: the same text after more output
  EXPECT_EQ(selected_text(t.t, Selection{start, end}), "first\nsecond\nthird\nfourth");
  Term small(10, 2, 1);
  small << "a\r\nb\r\nc\r\nd";
  EXPECT_EQ(small.t.lines_dropped(), 1u);
  // A selection starting in a line that is gone begins at the oldest line left.
  EXPECT_EQ(selected_text(small.t, Selection{TextPos{0, 0}, screen_pos(small.t, 1, 0)}), "b\nc\nd");
  EXPECT_EQ(selected_text(small.t, Selection{TextPos{0, 0}, TextPos{0, 5}}), "");
}

TEST(TermSelection, WordAndLineAt) {
  Term t(10, 3);
  t << "foo bar(baz)quxquux";  // "foo bar(ba" / "z)quxquux"
  auto text = [&](const Selection& s) { return selected_text(t.t, s); };
  EXPECT_EQ(text(word_at(t.t, screen_pos(t.t, 0, 1))), "foo");
  EXPECT_EQ(text(word_at(t.t, screen_pos(t.t, 0, 9))), "baz");  // across the soft wrap
  EXPECT_EQ(text(word_at(t.t, screen_pos(t.t, 1, 5))), "quxquux");
  EXPECT_EQ(text(word_at(t.t, screen_pos(t.t, 0, 3))), "");  // the blank itself
  EXPECT_EQ(text(word_at(t.t, screen_pos(t.t, 0, 5), U" ")), "bar(baz)quxquux");
  EXPECT_EQ(text(line_at(t.t, screen_pos(t.t, 1, 0))), "foo bar(baz)quxquux");
}

TEST(TermSearch, FindsAcrossWrapsAndScrollback) {
  Term t(8, 3, 100);
  t << "Error one\r\nok\r\nerror two\r\nfine\r\nlast ERROR";
  const auto all = find_all(t.t, "error");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(selected_text(t.t, Selection{all[0].first, all[0].last}), "Error");
  EXPECT_EQ(selected_text(t.t, Selection{all[2].first, all[2].last}), "ERROR");
  SearchOptions exact;
  exact.case_sensitive = true;
  EXPECT_EQ(find_all(t.t, "error", exact).size(), 1u);
  EXPECT_EQ(find_all(t.t, "one ok").size(), 0u);  // a hard newline is not a space
  const auto wrapped = find_all(t.t, "r one");    // "Error on" / "e" wraps
  ASSERT_EQ(wrapped.size(), 1u);
  EXPECT_EQ(wrapped[0].last.line, wrapped[0].first.line + 1);
  EXPECT_EQ(find_all(t.t, "").size(), 0u);
  SearchOptions few;
  few.max_matches = 2;
  EXPECT_EQ(find_all(t.t, "e", few).size(), 2u);
}

TEST(TermSearch, WideAndCombining) {
  Term t(10, 2);
  t << "x\u4E2D\u6587 cafe\u0301";
  const auto m = find_all(t.t, "\u6587 caf");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].first.col, 3);
  EXPECT_EQ(find_all(t.t, "cafe\u0301").size(), 1u);
  EXPECT_EQ(find_all(t.t, "\xFF").size(), 0u);
}

TEST(TermSearch, FindNextWrapsAround) {
  Term t(20, 3);
  t << "ab ab\r\nab";
  const TextPos origin = screen_pos(t.t, 0, 0);
  auto next = find_next(t.t, "ab", origin, true);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->first, screen_pos(t.t, 0, 3));
  next = find_next(t.t, "ab", screen_pos(t.t, 1, 0), true);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->first, origin);  // wrapped to the first
  auto prev = find_next(t.t, "ab", origin, false);
  ASSERT_TRUE(prev);
  EXPECT_EQ(prev->first, screen_pos(t.t, 1, 0));  // wrapped to the last
  EXPECT_FALSE(find_next(t.t, "zz", origin, true));
}

}  // namespace
