// Conformance with tmux from committed recordings (tests/data/term/NAME-CxR.cap: what a real
// program wrote to its terminal; NAME-CxR.screen: `tmux capture-pane -p -e -N` after tmux 3.3a was
// given the same bytes). Runs natively and in wasm; tests/peers/term records new ones against a
// live tmux and checks these still match it.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "mw/term/width.hpp"
#include "term_helpers.hpp"
#include "tmux_capture.hpp"

namespace {

using mw::term::Terminal;
using mw::term::TerminalOptions;
using mw::term::test::parse_tmux_capture;

std::string read_data(const std::string& name) {
  std::ifstream f(std::string(MW_TEST_DATA) + "/term/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

int width(char32_t cp) { return mw::term::char_width(cp); }

struct Recorded {
  const char* name;
  int cols;
  int rows;
};

class TermConformance : public ::testing::TestWithParam<Recorded> {};

std::string recorded_name(const ::testing::TestParamInfo<Recorded>& info) {
  return std::string(info.param.name) + "_" + std::to_string(info.param.cols) + "x" + std::to_string(info.param.rows);
}

TEST_P(TermConformance, ScreenEqualsTmux) {
  const Recorded r = GetParam();
  const std::string tag = std::string(r.name) + "-" + std::to_string(r.cols) + "x" + std::to_string(r.rows);
  const std::string bytes = read_data(tag + ".cap");
  const std::string screen = read_data(tag + ".screen");
  ASSERT_GT(bytes.size(), 400u) << tag;
  const auto want = parse_tmux_capture(screen, width);
  ASSERT_EQ(want.size(), static_cast<std::size_t>(r.rows));

  TerminalOptions o;
  o.cols = r.cols;
  o.rows = r.rows;
  Terminal whole(o);
  whole.feed(bytes);
  EXPECT_EQ(mw::term::test::compare_screen(want, whole), "") << tag;

  // The same bytes one at a time (every sequence split at every point).
  Terminal bytewise(o);
  for (char c : bytes) bytewise.feed(std::string_view(&c, 1));
  EXPECT_EQ(mw::term::test::compare_screen(want, bytewise), "") << tag << " byte by byte";
}

INSTANTIATE_TEST_SUITE_P(Recordings, TermConformance,
                         ::testing::Values(Recorded{"ls", 80, 24}, Recorded{"vim", 80, 24}, Recorded{"less", 80, 24},
                                           Recorded{"chart", 132, 43}, Recorded{"utf8", 80, 24},
                                           Recorded{"utf8", 132, 43}, Recorded{"whiptail", 80, 24},
                                           Recorded{"dialog", 80, 24}, Recorded{"edges", 80, 24}),
                         recorded_name);

// The reader of tmux's captures: what tmux writes in its own way is read as tmux meant it.
TEST(TmuxCaptureReader, TmuxForms) {
  const auto rows = parse_tmux_capture("a\x1b[1;4:3m\x1b[38;5;9mb\x1b[0m\x1b[39m\x1b[49m\x1b[5:3mc\x0eqx\x0f\n\xE4\xB8\xAD" "e\xCC\x81\n", width);
  ASSERT_EQ(rows.size(), 2u);
  ASSERT_EQ(rows[0].cells.size(), 5u);
  const auto& b = rows[0].cells[1];
  EXPECT_TRUE(b.style.has(mw::term::attr::kBold));
  EXPECT_EQ(b.style.underline(), mw::term::Underline::kCurly);
  EXPECT_EQ(b.style.fg, mw::term::Color::palette(9));
  EXPECT_EQ(rows[0].cells[2].style.flags, mw::term::attr::kOverline);  // "5:3" is tmux's 53
  EXPECT_EQ(rows[0].cells[3].text, U"\u2500");                        // SO: DEC line drawing
  EXPECT_EQ(rows[0].cells[4].text, U"\u2502");
  ASSERT_EQ(rows[1].cells.size(), 3u);
  EXPECT_EQ(rows[1].cells[0].width, 2);
  EXPECT_EQ(rows[1].cells[1].width, 0);
  EXPECT_EQ(rows[1].cells[2].text, U"e\u0301");
}

}  // namespace

namespace {

// Choices where tmux (which Meshwork follows) and xterm differ and a final screen cannot show it
// (docs/term-conformance.md).
TEST(TermTmuxChoices, EveryAlternateScreenEntryClears) {
  mw::term::test::Term t(10, 3);
  t << "main\x1b[?47hALT\x1b[?47l\x1b[?47h";
  EXPECT_EQ(t.screen(), "");  // xterm: 47 shows "ALT" again
  t << "\x1b[?47l\x1b[?1047hX\x1b[?1047l\x1b[?1047h";
  EXPECT_EQ(t.screen(), "");
  t << "\x1b[?1047l";
  EXPECT_EQ(t.screen(), "main");
}

TEST(TermTmuxChoices, OneSavedCursorForBothScreens) {
  mw::term::test::Term t(10, 5);
  t << "\x1b[2;3H\x1b" "7\x1b[?1047h\x1b[4;4H\x1b" "8";
  EXPECT_EQ(t.cursor(), mw::term::test::Pos(1, 2));  // xterm: the alternate screen has its own (home)
  t << "\x1b[5;5H\x1b" "7\x1b[?1047l\x1b[1;1H\x1b" "8";
  EXPECT_EQ(t.cursor(), mw::term::test::Pos(4, 4));  // saved on the alternate screen, restored on the main one
}

}  // namespace
