// Conformance of shared/term with tmux: real programs (ls --color -lR, vim, top -b, less, htop,
// whiptail, dialog, colour charts, UTF-8 text) run in a pseudo-terminal of a fixed size and
// TERM; their output bytes are fed to a private tmux server (`cat` in a raw-mode pane) and to
// a Terminal, and `tmux capture-pane -p -e -N` must show the same text and attributes in every
// cell. `mwcodec term-replay --sgr` is checked against `capture-pane -p -e` on the same bytes,
// and the recordings committed under tests/data/term/ against their committed tmux screens.
// Where tmux is not what a terminal shows, see docs/term-conformance.md.
//
// MW_TERM_WRITE_DATA=DIR makes the Recordings test also write the small recordings the unit
// tests replay (DIR/NAME-CxR.cap and .screen); copy them to tests/data/term/ to refresh them.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <cwchar>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "../../unit/term/tmux_capture.hpp"
#include "../process.hpp"
#include "mw/term/terminal.hpp"
#include "mw/term/width.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using mw::term::test::CapturedRow;

// [SECTION] Processes

// The environment every program gets: a fixed terminal type and a UTF-8 locale, nothing from
// the user's configuration.
std::vector<std::string> child_env(const fs::path& home) {
  std::vector<std::string> env = {
      "TERM=xterm-256color", "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "HOME=" + home.string(), "SHELL=/bin/sh",
      "LESSHISTFILE=-",      "TZ=UTC",
      "LS_COLORS=rs=0:di=01;34:ln=01;36:pi=40;33:so=01;35:or=40;31;01:ex=01;32:*.txt=38;5;208:"
      "*.png=38;2;255;0;128:*.tar=01;31:*.c=04;33",
  };
  const char* path = std::getenv("PATH");
  env.push_back(std::string("PATH=") + (path ? path : "/usr/bin:/bin"));
  return env;
}

using mw::test::peer::exec_or_exit;
using mw::test::peer::run;
using mw::test::peer::RunResult;

// What is typed into the program: after `delay_ms` of reading its output, `keys`.
struct Step {
  int delay_ms;
  std::string keys;
};

struct Recording {
  std::string bytes;
  bool exited = false;  // the program ended by itself (else it was killed after the last step)
};

// Runs `argv` in a new pseudo-terminal of cols x rows and records everything it writes, typing
// `steps`; `settle_ms` after the last step the program is killed if it is still running.
Recording record(const std::vector<std::string>& argv, const std::vector<std::string>& env, int cols, int rows,
                 const std::vector<Step>& steps, int settle_ms) {
  Recording rec;
  winsize ws{};
  ws.ws_col = static_cast<unsigned short>(cols);
  ws.ws_row = static_cast<unsigned short>(rows);
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, &ws);
  if (pid < 0) return rec;
  if (pid == 0) exec_or_exit(argv, env);
  fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
  char buf[65536];
  auto pump = [&](int ms) {  // reads for `ms`; false once the program has closed its side
    const auto until = Clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
      if (left <= 0) return true;
      pollfd p{master, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      const ssize_t n = read(master, buf, sizeof buf);
      if (n > 0) {
        rec.bytes.append(buf, static_cast<std::size_t>(n));
      } else if (n < 0 && errno == EAGAIN) {
        continue;
      } else {
        return false;  // EIO: the slave side is closed
      }
    }
  };
  bool alive = true;
  for (const Step& s : steps) {
    if (!(alive = pump(s.delay_ms))) break;
    if (write(master, s.keys.data(), s.keys.size()) < 0) break;
  }
  if (alive) alive = pump(settle_ms);
  int status = 0;
  // Once its side of the terminal is closed the program is ending: give it a moment to be reaped.
  for (int i = 0; i < (alive ? 1 : 250) && !rec.exited; ++i) {
    rec.exited = waitpid(pid, &status, WNOHANG) == pid;
    if (!rec.exited && !alive) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!rec.exited) {
    kill(-pid, SIGKILL);  // the session forkpty made: the program and its children
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  close(master);
  return rec;
}

// [SECTION] tmux

// A private tmux server (its own socket name) showing one recording; killed on destruction.
class TmuxPane {
 public:
  TmuxPane(const fs::path& home, const fs::path& capture, int cols, int rows) : env_(child_env(home)) {
    static std::atomic<int> counter{0};
    socket_ = "mwterm-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    const std::string sentinel = "mw-done-" + socket_;
    // The pane's terminal is made raw so that tmux gets the recorded bytes unchanged (no ONLCR);
    // a title set after them tells when tmux has read them all (it handles pane output in order).
    const std::string cmd = "stty raw -echo; cat '" + capture.string() + "'; printf '\\030\\033]2;" + sentinel +
                            "\\007'; exec sleep 600";
    const RunResult start = run({"tmux", "-L", socket_, "-f", "/dev/null", "new-session", "-d", "-x",
                                 std::to_string(cols), "-y", std::to_string(rows), "-s", "mw", cmd},
                                env_, std::chrono::seconds(20));
    started_ = start.status == 0;
    if (!started_) return;
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      if (tmux({"display-message", "-p", "-t", "mw", "#{pane_title}"}) == sentinel + "\n") {
        ready_ = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    size_ = tmux({"display-message", "-p", "-t", "mw", "#{pane_width}x#{pane_height}"});
  }
  ~TmuxPane() { run({"tmux", "-L", socket_, "kill-server"}, env_, std::chrono::seconds(10)); }
  TmuxPane(const TmuxPane&) = delete;
  TmuxPane& operator=(const TmuxPane&) = delete;

  bool ready() const { return started_ && ready_; }
  const std::string& size() const { return size_; }
  std::string tmux(std::vector<std::string> args) const {
    args.insert(args.begin(), {"tmux", "-L", socket_});
    return run(args, env_, std::chrono::seconds(10)).out;
  }
  // capture-pane -p -e (and -N: trailing spaces kept, so every cell tmux holds is reported).
  std::string capture(bool keep_trailing) const {
    std::vector<std::string> a = {"capture-pane", "-p", "-e", "-t", "mw"};
    if (keep_trailing) a.push_back("-N");
    return tmux(a);
  }

 private:
  std::vector<std::string> env_;
  std::string socket_;
  std::string size_;
  bool started_ = false;
  bool ready_ = false;
};

// tmux measures characters with the C library's wcwidth() in a UTF-8 locale.
int libc_width(char32_t cp) {
  static const bool locale = std::setlocale(LC_CTYPE, "C.UTF-8") != nullptr;
  (void)locale;
  return wcwidth(static_cast<wchar_t>(cp));
}

int our_width(char32_t cp) { return mw::term::char_width(cp); }

// Two captures show the same cells (beyond the shorter one's end, only blanks).
std::string compare_captures(const std::vector<CapturedRow>& want, const std::vector<CapturedRow>& have) {
  if (want.size() != have.size()) return "rows: " + std::to_string(want.size()) + " vs " + std::to_string(have.size());
  std::string report;
  for (std::size_t r = 0; r < want.size() && report.size() < 2000; ++r) {
    const auto& a = want[r].cells;
    const auto& b = have[r].cells;
    for (std::size_t c = 0; c < std::max(a.size(), b.size()); ++c) {
      bool ok;
      if (c < a.size() && c < b.size()) {
        ok = mw::term::test::same_cell(a[c], b[c]);
      } else {
        const auto& x = c < a.size() ? a[c] : b[c];
        ok = x.text == U" " && x.width == 1;
      }
      if (!ok) {
        report += "row " + std::to_string(r) + " col " + std::to_string(c) + ": tmux " +
                  (c < a.size() ? mw::term::test::detail::describe(a[c]) : "-") + ", mwcodec " +
                  (c < b.size() ? mw::term::test::detail::describe(b[c]) : "-") + "\n";
        break;
      }
    }
  }
  return report;
}

// [SECTION] Fixtures

using mw::test::peer::read_file;
using mw::test::peer::TempDir;
using mw::test::peer::write_file;

// A C file long enough to page and scroll through, with syntax for vim to colour.
std::string c_source() {
  std::string s = "/* conformance fixture: a C file to edit and scroll */\n#include <stdio.h>\n\n";
  for (int i = 0; i < 120; ++i) {
    s += "static int function_" + std::to_string(i) + "(int value) {\n";
    s += "  /* comment " + std::to_string(i) + " */\n";
    s += "  return value * " + std::to_string(i) + " + \"text\"[0]; // trailing\n}\n\n";
  }
  s += "int main(void) {\n  printf(\"%d\\n\", function_7(6));\n  return 0;\n}\n";
  return s;
}

// Coloured text for less -R: SGR runs of several kinds and long lines that wrap.
std::string coloured_text() {
  std::string s;
  for (int i = 0; i < 200; ++i) {
    s += "\x1b[1;3" + std::to_string(i % 8) + "mline " + std::to_string(i) + "\x1b[0m: ";
    s += "\x1b[38;5;" + std::to_string((i * 7) % 256) + "mpalette\x1b[39m ";
    s += "\x1b[4munder\x1b[24m \x1b[7mreverse\x1b[27m plain";
    if (i % 9 == 0) s += std::string(100, '=') + " pattern";
    s += '\n';
  }
  return s;
}

// 256-colour and truecolour charts, and every SGR attribute tmux keeps.
std::string colour_chart() {
  std::string s;
  for (int c = 0; c < 16; ++c) s += "\x1b[48;5;" + std::to_string(c) + "m " + std::to_string(c % 10) + " ";
  s += "\x1b[0m\n";
  for (int row = 0; row < 6; ++row) {
    for (int c = 16 + row * 36; c < 16 + (row + 1) * 36; ++c) {
      s += "\x1b[38;5;" + std::to_string(c) + "m#\x1b[48;5;" + std::to_string(c) + "m \x1b[49m";
    }
    s += "\x1b[0m\n";
  }
  for (int c = 232; c < 256; ++c) s += "\x1b[48;5;" + std::to_string(c) + "m  ";
  s += "\x1b[0m\n";
  for (int line = 0; line < 4; ++line) {
    for (int x = 0; x < 64; ++x) {
      const int v = x * 4;
      s += "\x1b[38;2;" + std::to_string(v) + ";" + std::to_string(255 - v) + ";" + std::to_string(line * 80) +
           "m\x1b[48;2;" + std::to_string(255 - v) + ";" + std::to_string(line * 60) + ";" + std::to_string(v) +
           "m\xE2\x96\x80";
    }
    s += "\x1b[0m\n";
  }
  s += "\x1b[1mbold\x1b[22m \x1b[2mfaint\x1b[22m \x1b[3mitalic\x1b[23m \x1b[4munder\x1b[24m "
       "\x1b[4:2mdouble\x1b[4:3mcurly\x1b[4:4mdotted\x1b[4:5mdashed\x1b[24m \x1b[21mdbl21\x1b[24m "
       "\x1b[5mblink\x1b[25m \x1b[7mreverse\x1b[27m \x1b[8mhidden\x1b[28m \x1b[9mstrike\x1b[29m "
       "\x1b[53mover\x1b[55m \x1b[4;58;5;196mred-line\x1b[59m \x1b[4;58:2::0:200:0mgreen\x1b[0m\n";
  s += "\x1b[31;42mred-on-green\x1b[39m \x1b[91;104mbright\x1b[0m \x1b[38:5:33mcolon\x1b[0m "
       "\x1b[38:2::1:2:3mrgb-colon\x1b[0m \x1b[1;4;7;38;5;10;48;2;9;8;7mall\x1b[m end\n";
  s += "\x1b[44m blue background erased to the end\x1b[K\x1b[0m\n";
  s += "\x1b(0lqqqqk\x1b(B box \x1b(0x\x1b(B \x0e`afgjklmnopqrstuvwxyz{|}~\x0f ascii\n";
  return s;
}

// UTF-8: CJK, combining marks, emoji, and lines long enough that a wide character meets the
// right margin at an odd column.
std::string utf8_text() {
  std::string s;
  s += "Latin: caf\xC3\xA9 na\xC3\xAFve \xC3\x85ngstr\xC3\xB6m stra\xC3\x9F" "e\n";
  s += "Combining: e\xCC\x81 a\xCC\x80\xCC\x81 o\xCC\x88\xCC\xB2 n\xCC\x83 x\xCD\xA3\xCD\xA4 (decomposed)\n";
  s += "CJK: \xE4\xB8\xAD\xE6\x96\x87\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4 "
       "\xEF\xBC\xA1\xEF\xBC\xA2 (fullwidth)\n";
  s += "Emoji: \xF0\x9F\x98\x80 \xF0\x9F\x9A\x80 \xF0\x9F\x8E\x89 \xE2\x8C\x9A \xE2\x9C\x85 end\n";
  s += "Greek \xCE\xB1\xCE\xB2\xCE\xB3 Cyrillic \xD0\xB4\xD0\xB0 Hebrew \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D Box "
       "\xE2\x94\x8C\xE2\x94\x80\xE2\x94\x90\n";
  for (int shift = 0; shift < 3; ++shift) {
    s += std::string(static_cast<std::size_t>(shift), '.');
    for (int i = 0; i < 90; ++i) s += "\xE6\xBC\xA2";  // 漢, 180 columns: wraps at 80 and 132
    s += "|\n";
  }
  for (int i = 0; i < 70; ++i) s += "\xF0\x9F\x98\x83";  // 😃 x 70 = 140 columns
  s += "\n\x1b[1;31m\xE7\xBA\xA2\xE8\x89\xB2\x1b[0m \x1b[4m\xE4\xB8\x8B\xE7\xBA\xBF\x1b[0m "
       "\x1b[7mA\xE5\x8F\x8D\xE8\xBD\xAC\x1b[0m\n";
  s += "overwrite: \xE4\xB8\xAD\xE6\x96\x87\x1b[3Dx \xE6\x97\xA5\xE6\x9C\xAC\x1b[2Dy\n";
  return s;
}

// The cases where tmux and xterm part ways (docs/term-conformance.md), each on its own rows of a
// 24-line screen, so that what Meshwork does there is checked against tmux itself. No '\n':
// the pty would add a CR to it (VT, 0x0B, is the same motion without that).
std::string edge_cases() {
  std::string s = "\x1b[H\x1b[2J";
  s += "\x1b[5;20r\x1b[?6h\x1b[6;10rO|origin home\x1b[?6l\x1b[r";                  // 1: DECSTBM homes absolutely
  s += "\x1b[2;1H\x1b[999CZ\x1b[KQ";                                            // 2-3: EL 0, wrap pending
  s += "\x1b[4;1Habc\x1b[3b \xE4\xB8\xAD\x1b[3b|REP";                            // 4: REP of ASCII only
  s += "\x1b[5;1H\x1b[999CZ\x1b[2DC|CUB";                                       // 5-6: CUB from a pending wrap
  s += "\x1b[7;1H\x1b[999CZ\x0bW|VT";                                           // 7-9: VT keeps the pending wrap
  s += "\x1b[11;1Hnext-line\x1b[10;1H\x1b[999CZ\x1b[4hI\x1b[4l";                // 10-11: IRM, wrap pending
  s += "\x1b[12;1H\x1b[999CZwrapped\b\b\b\b\b\b\b\bB|BS";                  // 12-13: BS over a soft wrap
  s += "\x1b[14;5H\xCC\x81|mark on a blank";                                      // 14: combining mark, no base
  s += "\x1b[15;1H\x1b[?7l\x1b[999CAB\x1b[?7h|no wrap";                          // 15-16: DECAWM off
  s += "\x1b[17;1H\x1b[999C\b\xE4\xB8\xAD\x1b[?7l\xE4\xB8\xAD\x1b[?7h";       // 17: wide, no room, no wrap
  s += "\x1b[18;1H\x1b[999CZ\x1b[?7lX\x1b[?7h|";                                // 18-19: DECAWM reset, pending
  s += "\x1b[20;1H\x1b[4;0rR|bottom 0\x1b[r";                                    // 20: DECSTBM with bottom 0
  s += "\x1b[22;1HIL-below\x1b[3;10r\x1b[22;5H\x1b[Lc\x1b[r";                    // 22-23: IL outside the region
  s += "\x1b[24;1Hsaved\x1b" "7\x1b[?1049h\x1b[10;10Halt\x1b[?1049l\x1b" "8S";      // 24: DECSC and 1049
  return s;
}

// A small tree with the file types ls colours.
void make_tree(const fs::path& root) {
  fs::create_directories(root / "src" / "deep" / "deeper");
  fs::create_directories(root / "docs");
  fs::create_directories(root / "\xE6\x96\x87\xE6\xA1\xA3");  // 文档
  for (int i = 0; i < 12; ++i) write_file(root / "src" / ("file" + std::to_string(i) + ".c"), "int x;\n");
  for (int i = 0; i < 8; ++i) write_file(root / "docs" / ("note" + std::to_string(i) + ".txt"), "note\n");
  write_file(root / "docs" / "image.png", "png");
  write_file(root / "docs" / "archive.tar", "tar");
  write_file(root / "\xE6\x96\x87\xE6\xA1\xA3" / "\xE8\xAF\xB4\xE6\x98\x8E.txt", "x");
  write_file(root / "src" / "deep" / "deeper" / "bottom.txt", "x");
  write_file(root / "run.sh", "#!/bin/sh\n");
  fs::permissions(root / "run.sh", fs::perms::owner_all);
  fs::create_symlink("docs", root / "link-to-docs");
  fs::create_symlink("missing", root / "broken-link");
  mkfifo((root / "pipe").c_str(), 0644);
  // Fixed times, so that the output is the same on every run.
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const timespec t[2] = {{1700000000, 0}, {1700000000, 0}};
    utimensat(AT_FDCWD, e.path().c_str(), t, AT_SYMLINK_NOFOLLOW);
  }
  const timespec t[2] = {{1700000000, 0}, {1700000000, 0}};
  utimensat(AT_FDCWD, root.c_str(), t, 0);
}

// [SECTION] Cases

struct Case {
  std::string name;
  std::vector<std::string> argv;  // "@DIR" is replaced by the fixture folder
  std::vector<Step> steps;
  int settle_ms;
  bool commit;  // small and machine-independent: also written by MW_TERM_WRITE_DATA
};

const std::string kDown = "\x1b[B";

std::vector<Case> cases() {
  return {
      {"ls", {"ls", "--color=always", "-lR", "--time-style=long-iso", "tree"}, {}, 3000, true},
      {"vim",
       {"vim", "--clean", "-n", "-c", "syntax on", "@DIR/edit.c"},
       {{1500, ":set number cursorline\r"},
        {300, "40G"},
        {300, "oinserted line with \xE4\xB8\xAD\xE6\x96\x87 and caf\xC3\xA9\x1b"},
        {300, "\x06"},                      // ^F: a page down
        {300, "\x05\x05\x05"},              // ^E: scroll three lines
        {300, "/function_9\r"},
        {300, "dd"},
        {300, "\x02"},                      // ^B: a page up
        {300, "5J"},
        {300, ":split\r"},
        {300, "\x17j"}},                    // ^W j
       1500,
       true},
      {"top", {"top", "-b", "-n", "1"}, {}, 5000, false},
      {"less",
       {"less", "-R", "@DIR/coloured.txt"},
       {{800, " "}, {300, " "}, {300, "b"}, {300, "/pattern\r"}, {300, "n"}, {300, "G"}, {300, "5k"}},
       1000,
       true},
      {"htop", {"htop", "-d", "100"}, {}, 2500, false},
      {"chart", {"cat", "@DIR/chart.txt"}, {}, 2000, true},
      {"utf8", {"cat", "@DIR/utf8.txt"}, {}, 2000, true},
      {"edges", {"cat", "@DIR/edges.txt"}, {}, 2000, true},
      {"whiptail",
       {"whiptail", "--title", "Meshwork", "--checklist", "Choose components", "16", "60", "6", "a", "Agent", "ON", "b",
        "Server", "OFF", "c", "Web client \xE4\xB8\xAD\xE6\x96\x87", "ON", "d", "AMT", "OFF", "e", "Relay", "OFF", "f",
        "Files", "OFF", "g", "Terminal", "ON"},
       {{1000, kDown}, {300, " "}, {300, kDown + kDown}},
       1000,
       true},
      {"dialog",
       {"dialog", "--title", "Meshwork", "--menu", "Pick one", "15", "50", "5", "1", "one", "2", "two", "3", "three",
        "4", "four", "5", "five", "6", "six"},
       {{1000, kDown}, {300, kDown}},
       1000,
       true},
  };
}

class TmuxConformance : public ::testing::TestWithParam<std::tuple<int, std::pair<int, int>>> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    const fs::path& d = dir_->path;
    ASSERT_FALSE(d.empty());
    make_tree(d / "tree");
    write_file(d / "edit.c", c_source());
    write_file(d / "coloured.txt", coloured_text());
    write_file(d / "chart.txt", colour_chart());
    write_file(d / "utf8.txt", utf8_text());
    write_file(d / "edges.txt", edge_cases());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static TempDir* dir_;
};
TempDir* TmuxConformance::dir_ = nullptr;

TEST_P(TmuxConformance, ScreenEqualsTmux) {
  const Case c = cases()[static_cast<std::size_t>(std::get<0>(GetParam()))];
  const auto [cols, rows] = std::get<1>(GetParam());
  ASSERT_NE(dir_, nullptr);
  const fs::path& dir = dir_->path;
  std::vector<std::string> argv = c.argv;
  for (auto& a : argv) {
    if (a.rfind("@DIR", 0) == 0) a = dir.string() + a.substr(4);
  }
  // ls lists a relative path, so that the output does not depend on the temporary folder's name.
  const fs::path cwd = fs::current_path();
  fs::current_path(dir);
  const Recording rec = record(argv, child_env(dir), cols, rows, c.steps, c.settle_ms);
  fs::current_path(cwd);
  ASSERT_GT(rec.bytes.size(), 200u) << c.name << " wrote almost nothing (is it installed?): " << rec.bytes;
  if (c.steps.empty() && c.name != "htop") {
    EXPECT_TRUE(rec.exited) << c.name << " did not finish";
  }

  const std::string tag = c.name + "-" + std::to_string(cols) + "x" + std::to_string(rows);
  const fs::path capture = dir / (tag + ".cap");
  write_file(capture, rec.bytes);

  TmuxPane pane(dir, capture, cols, rows);
  ASSERT_TRUE(pane.ready()) << "tmux did not show " << tag;
  ASSERT_EQ(pane.size(), std::to_string(cols) + "x" + std::to_string(rows) + "\n");
  const std::string full = pane.capture(true);
  const std::string trimmed = pane.capture(false);

  // The Terminal, fed the same bytes in one go and in uneven pieces.
  mw::term::TerminalOptions o;
  o.cols = cols;
  o.rows = rows;
  mw::term::Terminal term(o);
  term.feed(rec.bytes);
  const auto want = mw::term::test::parse_tmux_capture(full, libc_width);
  EXPECT_EQ(mw::term::test::compare_screen(want, term), "") << tag << " (" << rec.bytes.size() << " bytes)";
  mw::term::Terminal pieces(o);
  for (std::size_t i = 0, n = 1; i < rec.bytes.size(); i += n, n = n * 7 % 61 + 1) {
    pieces.feed(std::string_view(rec.bytes).substr(i, n));
  }
  EXPECT_EQ(mw::term::test::compare_screen(want, pieces), "") << tag << " fed in pieces";

  // mwcodec term-replay --sgr against capture-pane -p -e.
  const RunResult replay = run({MW_MWCODEC, "term-replay", capture.string(), "--cols", std::to_string(cols), "--rows",
                                std::to_string(rows), "--sgr"},
                               child_env(dir), std::chrono::seconds(20));
  ASSERT_EQ(replay.status, 0);
  EXPECT_EQ(compare_captures(mw::term::test::parse_tmux_capture(trimmed, libc_width),
                             mw::term::test::parse_tmux_capture(replay.out, our_width)),
            "")
      << tag << "\n--- tmux\n" << trimmed << "--- mwcodec\n" << replay.out;

  if (const char* out = std::getenv("MW_TERM_WRITE_DATA"); out && c.commit) {
    write_file(fs::path(out) / (tag + ".cap"), rec.bytes);
    write_file(fs::path(out) / (tag + ".screen"), full);
  }
}

std::string case_name(const ::testing::TestParamInfo<TmuxConformance::ParamType>& info) {
  const auto [cols, rows] = std::get<1>(info.param);
  return cases()[static_cast<std::size_t>(std::get<0>(info.param))].name + "_" + std::to_string(cols) + "x" +
         std::to_string(rows);
}

INSTANTIATE_TEST_SUITE_P(Programs, TmuxConformance,
                         ::testing::Combine(::testing::Range(0, static_cast<int>(cases().size())),
                                            ::testing::Values(std::make_pair(80, 24), std::make_pair(132, 43))),
                         case_name);

// The recordings the unit tests replay (native and wasm) still give the committed screens in
// today's tmux.
TEST(TmuxCommitted, RecordingsGiveCommittedScreens) {
  const fs::path data = fs::path(MW_TEST_DATA) / "term";
  const TempDir tmp;
  ASSERT_FALSE(tmp.path.empty());
  const fs::path& home = tmp.path;
  int checked = 0;
  for (const auto& e : fs::directory_iterator(data)) {
    if (e.path().extension() != ".cap") continue;
    const std::string tag = e.path().stem().string();
    const std::size_t dash = tag.rfind('-');
    const std::size_t x = tag.rfind('x');
    ASSERT_TRUE(dash != std::string::npos && x != std::string::npos && x > dash) << tag;
    const int cols = std::stoi(tag.substr(dash + 1, x - dash - 1));
    const int rows = std::stoi(tag.substr(x + 1));
    TmuxPane pane(home, e.path(), cols, rows);
    ASSERT_TRUE(pane.ready()) << tag;
    fs::path screen = e.path();
    screen.replace_extension(".screen");
    EXPECT_EQ(pane.capture(true), read_file(screen)) << tag;
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

}  // namespace
