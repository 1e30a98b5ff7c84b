// Selection and search over a Terminal's scrollback and screen: the text of a selection (as
// copy would give it), word and line selection for double and triple clicks, and finding text.
// Positions name lines absolutely (Terminal::lines_dropped() + index), so they stay valid while
// output scrolls; positions whose line has left the scrollback are skipped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mw/term/terminal.hpp"

namespace mw::term {

struct TextPos {
  std::uint64_t line = 0;  // lines_dropped() + index in Terminal::line()
  int col = 0;
  bool operator==(const TextPos&) const = default;
  bool operator<(const TextPos& o) const { return line < o.line || (line == o.line && col < o.col); }
};

// The absolute position of a visible cell.
TextPos screen_pos(const Terminal& term, int row, int col);

enum class SelectionMode : std::uint8_t {
  kNormal,  // a stream of text from one cell to another
  kBlock,   // a rectangle
  kLine,    // whole lines
};

struct Selection {
  TextPos anchor;  // where the drag started
  TextPos head;    // where it is now (either order)
  SelectionMode mode = SelectionMode::kNormal;
};

// Whether the cell at `pos` is inside the selection (for drawing it).
bool is_selected(const Selection& sel, TextPos pos);

// The selected text as UTF-8. Soft-wrapped lines join without a newline; other lines end with
// one between them; trailing blanks of each line are dropped.
std::string selected_text(const Terminal& term, const Selection& sel);

// The word under `pos` (double click): the run of cells around it that are not blanks or one of
// `separators`, across soft wraps. A blank under `pos` selects just that cell.
Selection word_at(const Terminal& term, TextPos pos, std::u32string_view separators = U" \t\"'`()[]{}<>,;|");
// The whole logical line under `pos` (triple click), across soft wraps.
Selection line_at(const Terminal& term, TextPos pos);

struct SearchOptions {
  bool case_sensitive = false;   // case folding is ASCII-only
  std::size_t max_matches = 10000;
};

struct Match {
  TextPos first;  // first cell
  TextPos last;   // last cell (inclusive)
  bool operator==(const Match&) const = default;
};

// Every occurrence of `needle` (UTF-8) in the scrollback and screen, oldest first, matching
// across soft wraps; at most options.max_matches. An empty needle finds nothing.
std::vector<Match> find_all(const Terminal& term, std::string_view needle, SearchOptions options = {});
// The first match starting after `from` (forward) or before it (backward), wrapping around.
std::optional<Match> find_next(const Terminal& term, std::string_view needle, TextPos from, bool forward,
                               SearchOptions options = {});

}  // namespace mw::term
