// Remote terminal view (terminal_view.hpp).
#include "terminal_view.hpp"

#include <imgui.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "mw/term/input.hpp"
#include "text.hpp"

namespace mw::web {

namespace {

// xterm's 16 colours, then the 6×6×6 cube and the grey ramp.
ImU32 palette(std::uint8_t i) {
  static const ImU32 base[16] = {
      IM_COL32(0, 0, 0, 255),       IM_COL32(205, 49, 49, 255),   IM_COL32(13, 188, 121, 255), IM_COL32(229, 229, 16, 255),
      IM_COL32(36, 114, 200, 255),  IM_COL32(188, 63, 188, 255),  IM_COL32(17, 168, 205, 255), IM_COL32(229, 229, 229, 255),
      IM_COL32(102, 102, 102, 255), IM_COL32(241, 76, 76, 255),   IM_COL32(35, 209, 139, 255), IM_COL32(245, 245, 67, 255),
      IM_COL32(59, 142, 234, 255),  IM_COL32(214, 112, 214, 255), IM_COL32(41, 184, 219, 255), IM_COL32(255, 255, 255, 255)};
  if (i < 16) return base[i];
  if (i < 232) {
    const int v = i - 16;
    auto c = [](int x) { return x == 0 ? 0 : 55 + x * 40; };
    return IM_COL32(c(v / 36), c((v / 6) % 6), c(v % 6), 255);
  }
  const int g = 8 + (i - 232) * 10;
  return IM_COL32(g, g, g, 255);
}

// The first code point of a cell's UTF-8 text (0 when it is not valid UTF-8).
char32_t first_codepoint(std::string_view s) {
  if (s.empty()) return 0;
  const auto b = static_cast<unsigned char>(s[0]);
  const std::size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || len > s.size()) return 0;
  char32_t cp = len == 1 ? b : b & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) cp = cp << 6 | (static_cast<unsigned char>(s[k]) & 0x3F);
  return cp;
}

const ImU32 kDefaultFg = IM_COL32(220, 223, 228, 255);
const ImU32 kDefaultBg = IM_COL32(16, 18, 22, 255);
const ImU32 kSelection = IM_COL32(80, 140, 230, 110);

ImU32 colour(term::Color c, ImU32 fallback) {
  switch (c.kind()) {
    case term::Color::Kind::kPalette: return palette(c.index());
    case term::Color::Kind::kRgb: return IM_COL32(c.r(), c.g(), c.b(), 255);
    default: return fallback;
  }
}

}  // namespace

TerminalView::TerminalView(std::string nodeid, std::string device_name, TerminalKind kind, Sender sender)
    : nodeid_(std::move(nodeid)), name_(std::move(device_name)), kind_(kind), sender_(std::move(sender)) {
  term_.resize(cols_, rows_);
  // Answers to the host's queries (cursor position, device attributes) go back as typed input.
  term_.set_output([this](std::string_view bytes) { send_input(bytes); });
}

std::string TerminalView::relay_path() const {
  const std::string id = url_encode(nodeid_);
  if (kind_ == TerminalKind::kSerialOverLan) return "/amtrelay.ashx?p=sol&nodeid=" + id;
  return "/meshrelay.ashx?p=1&cols=" + std::to_string(cols_) + "&rows=" + std::to_string(rows_) + "&nodeid=" + id;
}

void TerminalView::on_message(bool binary, std::string_view data) {
  if (binary) {  // screen content: the App draws a frame for it (content_revision), no state change
    term_.feed(data);
    return;
  }
  ++revision_;
  const auto j = nlohmann::json::parse(data, nullptr, false);
  if (!j.is_object()) return;
  // Fields read without exceptions: a message of the wrong shape is ignored, never fatal.
  const std::string state = json_text(j, "state");
  const std::string action = json_text(j, "action");
  if ((action == "meshrelay" || action == "amtrelay") && state == "ready") {
    state_ = State::kReady;
    status_ = "Connected";
    send_size();  // the window may have been fitted while the relay was opening
  } else if (state == "closed") {
    const std::string reason = json_text(j, "reason");
    on_closed(reason.empty() ? "Closed." : reason);
  } else if (json_text(j, "ctrl") == "error") {
    const std::string reason = json_text(j, "reason");
    status_ = reason.empty() ? "The agent could not open a terminal." : reason;
  }
}

void TerminalView::on_closed(std::string reason) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  status_ = reason.empty() ? "Closed." : std::move(reason);
  ++revision_;
}

void TerminalView::send_input(std::string_view bytes) {
  if (state_ != State::kReady || bytes.empty() || !sender_.binary) return;
  sender_.binary(bytes);
}

std::string TerminalView::screen_text() const {
  // What the view shows: the screen, or the history it is scrolled back to.
  const std::size_t total = term_.total_lines();
  const std::size_t visible = std::min<std::size_t>(static_cast<std::size_t>(term_.rows()), total);
  const std::size_t first = total - visible - std::min(scroll_, total - visible);
  std::string out;
  for (std::size_t k = 0; k < visible; ++k) out += term_.line_text(first + k) + "\n";
  return out;
}

void TerminalView::fit(float width, float height, float cell_w, float cell_h) {
  const int cols = std::clamp(static_cast<int>(width / cell_w), 20, 500);
  const int rows = std::clamp(static_cast<int>(height / cell_h), 5, 300);
  if (cols == cols_ && rows == rows_) return;
  cols_ = cols;
  rows_ = rows;
  term_.resize(cols, rows);
  ++revision_;
  send_size();
}

std::string TerminalView::selection_text() const {
  Mark lo = sel_from_, hi = sel_to_;
  if (hi < lo) std::swap(lo, hi);
  std::string out;
  const std::uint64_t dropped = term_.lines_dropped();
  for (std::uint64_t abs = std::max<std::uint64_t>(lo.line, dropped); abs <= hi.line; ++abs) {
    const std::size_t index = static_cast<std::size_t>(abs - dropped);
    if (index >= term_.total_lines()) break;
    const term::Line& line = term_.line(index);
    const int from = abs == lo.line ? lo.col : 0, to = abs == hi.line ? hi.col : term_.cols();
    std::string text;
    for (int c = from; c < to; ++c) {
      const term::Cell cell = line.at(static_cast<std::size_t>(c));
      if (cell.wide_spacer()) continue;
      const std::size_t before = text.size();
      term_.append_cell_utf8(cell, text);
      if (text.size() == before) text += ' ';
    }
    text.erase(text.find_last_not_of(' ') + 1);  // trailing blanks are not text
    out += text;
    if (abs != hi.line && !line.wrapped) out += '\n';
  }
  return out;
}

void TerminalView::paste(std::string_view text) {
  if (state_ != State::kReady || text.empty()) return;
  scroll_ = 0;
  send_input(term::encode_paste(text, term_.modes()));
}

void TerminalView::send_size() {
  // An agent's PTY follows the window; a serial console has no size to tell.
  if (kind_ == TerminalKind::kAgent && state_ == State::kReady && sender_.text) {
    sender_.text(nlohmann::json{{"ctrl", "resize"}, {"cols", cols_}, {"rows", rows_}}.dump());
  }
}

void TerminalView::type(const std::vector<InputEvent>& input) {
  const auto& modes = term_.modes();
  for (const auto& e : input) {
    switch (e.kind) {
      case InputEvent::Kind::kChar:
        if (e.ch >= 0x20 && e.ch != 0x7F) send_input(term::encode_char(e.ch, e.mods & (term::mod::kAlt | term::mod::kMeta)));
        break;
      case InputEvent::Kind::kKey:
        send_input(term::encode_key(e.key, e.mods, modes));
        break;
      case InputEvent::Kind::kCtrlLetter:
        send_input(term::encode_char(e.ch, e.mods));
        break;
    }
  }
}

namespace {
std::string lower_ascii(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
// Cells before byte `offset` of a line's UTF-8 text (one per code point).
int cells_before(const std::string& text, std::size_t offset) {
  int n = 0;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) n += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
  return n;
}
}  // namespace

void TerminalView::find(int step) {
  const std::string q = lower_ascii(find_query_);
  const Mark current = match_ >= 0 && static_cast<std::size_t>(match_) < matches_.size() ? matches_[static_cast<std::size_t>(match_)] : Mark{};
  const bool had = match_ >= 0;
  matches_.clear();
  match_ = -1;
  if (q.empty()) return;
  const std::size_t total = term_.total_lines();
  const std::uint64_t dropped = term_.lines_dropped();
  match_len_ = static_cast<std::size_t>(cells_before(q, q.size()));
  for (std::size_t i = total; i-- > 0;) {  // newest line first
    const std::string text = lower_ascii(term_.line_text(i));
    std::vector<Mark> in_line;
    for (std::size_t at = text.find(q); at != std::string::npos; at = text.find(q, at + 1)) {
      in_line.push_back({dropped + i, cells_before(text, at)});
    }
    matches_.insert(matches_.end(), in_line.rbegin(), in_line.rend());
    if (matches_.size() >= 10000) break;
  }
  if (matches_.empty()) return;
  // From the current match (if it still exists), one step older or newer; else the newest.
  int index = 0;
  if (had) {
    const auto it = std::find(matches_.begin(), matches_.end(), current);
    if (it != matches_.end()) index = static_cast<int>(it - matches_.begin()) - step;
  }
  match_ = std::clamp(index, 0, static_cast<int>(matches_.size()) - 1);
  // Scroll so the match is in view (centred when it was not).
  const std::size_t line = static_cast<std::size_t>(matches_[static_cast<std::size_t>(match_)].line - dropped);
  const std::size_t visible = std::min<std::size_t>(static_cast<std::size_t>(term_.rows()), total);
  const std::size_t first_now = total - visible - std::min(scroll_, total - visible);
  if (line < first_now || line >= first_now + visible) {
    const std::size_t first = std::min(line > visible / 2 ? line - visible / 2 : 0, total - visible);
    scroll_ = total - visible - first;
  }
  ++revision_;
}

void TerminalView::draw_find_bar(ItemRects* buttons) {
  const float em = ImGui::GetFontSize();
  const float bar_w = em * 20;
  ImGui::SameLine(std::max(ImGui::GetCursorPosX(), ImGui::GetWindowContentRegionMax().x - bar_w));
  ImGui::SetNextItemWidth(em * 9);
  const bool enter = ImGui::InputTextWithHint("##find", "Find", find_buf_.data(), find_buf_.size(), ImGuiInputTextFlags_EnterReturnsTrue);
  find_active_ = ImGui::IsItemActive();
  if (buttons) record_item(*buttons, "term-find:" + name_);
  if (find_query_ != find_buf_.data()) {
    find_query_ = find_buf_.data();
    match_ = -1;
    find(0);
  } else if (enter) {
    find(-1);  // Enter: the next older match, as a search back through history
  }
  ImGui::SameLine();
  ImGui::BeginDisabled(matches_.empty());
  if (ImGui::ArrowButton("##older", ImGuiDir_Up)) find(-1);
  if (buttons) record_item(*buttons, "term-find-older:" + name_);
  ImGui::SameLine();
  if (ImGui::ArrowButton("##newer", ImGuiDir_Down)) find(+1);
  if (buttons) record_item(*buttons, "term-find-newer:" + name_);
  ImGui::EndDisabled();
  if (!find_query_.empty()) {
    ImGui::SameLine();
    if (matches_.empty()) {
      ImGui::TextColored(ImVec4(0.62f, 0.66f, 0.72f, 1), "none");
    } else {
      ImGui::TextColored(ImVec4(0.62f, 0.66f, 0.72f, 1), "%d/%zu", match_ + 1, matches_.size());
    }
  }
}

bool TerminalView::draw(ImFont* mono, const std::vector<InputEvent>& input, ItemRects* buttons, GlyphNeeds* glyphs) {
  const std::string title = (kind_ == TerminalKind::kAgent ? "Terminal: " : "Serial-over-LAN: ") + name_ + "###term" + nodeid_;
  const float em = ImGui::GetFontSize();
  ImGui::SetNextWindowSize(ImVec2(em * 46, em * 28), ImGuiCond_FirstUseEver);
  const ImGuiWindowFlags pinned = apply_pin(pin_);
  if (!ImGui::Begin(title.c_str(), pin_ ? nullptr : &open_, ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoScrollbar | pinned)) {
    ImGui::End();
    return open_;
  }
  ImGui::TextColored(state_ == State::kReady ? ImVec4(0.30f, 0.78f, 0.45f, 1) : ImVec4(0.95f, 0.70f, 0.25f, 1), "%s",
                     status_.c_str());
  draw_find_bar(buttons);
  if (mono) ImGui::PushFont(mono);
  const float cell_h = ImGui::GetTextLineHeight();
  const float cell_w = ImGui::CalcTextSize("M").x;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  fit(avail.x, avail.y, cell_w, cell_h);
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("##screen", ImVec2(cell_w * cols_, cell_h * rows_));
  screen_rect_ = {origin.x, origin.y, cell_w * cols_, cell_h * rows_};
  if (ImGui::IsItemClicked()) ImGui::SetKeyboardFocusHere(-1);
  focused_ = ImGui::IsWindowFocused();
  // Which lines show: the screen, or (scrolled back with the wheel) lines of the scrollback.
  const std::size_t total = term_.total_lines();
  const int visible = std::min(term_.rows(), static_cast<int>(total));
  const std::size_t max_scroll = total - static_cast<std::size_t>(visible);
  if (ImGui::IsItemHovered() && ImGui::GetIO().MouseWheel != 0.0f) {
    const long long next = static_cast<long long>(scroll_) + static_cast<long long>(ImGui::GetIO().MouseWheel * 3.0f);
    scroll_ = static_cast<std::size_t>(std::clamp<long long>(next, 0, static_cast<long long>(max_scroll)));
    ++revision_;
  }
  scroll_ = std::min(scroll_, max_scroll);
  const std::size_t first_line = total - static_cast<std::size_t>(visible) - scroll_;
  // Selection with the mouse, in absolute line numbers (they survive new output); copied on release.
  const auto cell_at = [&](ImVec2 m) {
    const int row = std::clamp(static_cast<int>((m.y - origin.y) / cell_h), 0, visible - 1);
    const int col = std::clamp(static_cast<int>((m.x - origin.x) / cell_w + 0.5f), 0, term_.cols());
    return Mark{term_.lines_dropped() + first_line + static_cast<std::size_t>(row), col};
  };
  if (ImGui::IsItemActivated()) {
    sel_from_ = sel_to_ = cell_at(ImGui::GetIO().MousePos);
    selecting_ = true;
  } else if (selecting_ && ImGui::IsItemActive()) {
    sel_to_ = cell_at(ImGui::GetIO().MousePos);
  } else if (selecting_) {
    selecting_ = false;
    if (!(sel_from_ == sel_to_)) {
      copied_ = selection_text();
      if (!copied_.empty() && sender_.copy) sender_.copy(copied_);
      ++revision_;
    }
  }
  Mark lo = sel_from_, hi = sel_to_;
  if (hi < lo) std::swap(lo, hi);
  const bool has_selection = !(lo == hi);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(origin, ImVec2(origin.x + cell_w * cols_, origin.y + cell_h * rows_), kDefaultBg);
  // One background rectangle per run of cells with the same style, and its text in one call,
  // except characters whose glyph is not one cell wide (East Asian wide characters, glyphs the
  // atlas took from another font): each of those is drawn alone, centred on its cells (two for a
  // wide one), so the characters after it stay on the grid.
  const ImFont* font = ImGui::GetFont();
  std::string run, one;
  for (int r = 0; r < visible; ++r) {
    const term::Line& line = term_.line(first_line + static_cast<std::size_t>(r));
    const std::uint64_t abs = term_.lines_dropped() + first_line + static_cast<std::size_t>(r);
    const float y = origin.y + r * cell_h;
    int c = 0;
    while (c < term_.cols()) {
      const term::Style style = line.at(static_cast<std::size_t>(c)).style;
      int end = c;
      while (end < term_.cols()) {
        const term::Cell cell = line.at(static_cast<std::size_t>(end));
        if (!(cell.style == style) && !cell.wide_spacer()) break;
        ++end;
      }
      ImU32 fg = colour(style.fg, kDefaultFg), bg = colour(style.bg, kDefaultBg);
      if (style.has(term::attr::kInverse)) std::swap(fg, bg);
      const float x0 = origin.x + c * cell_w, x1 = origin.x + end * cell_w;
      if (bg != kDefaultBg) dl->AddRectFilled(ImVec2(x0, y), ImVec2(x1, y + cell_h), bg);
      run.clear();
      int run_col = c;
      const auto flush = [&] {
        if (run.find_first_not_of(' ') != std::string::npos) {
          dl->AddText(ImVec2(origin.x + run_col * cell_w, y), fg, run.data(), run.data() + run.size());
        }
        run.clear();
      };
      for (int k = c; k < end; ++k) {
        const term::Cell cell = line.at(static_cast<std::size_t>(k));
        if (cell.wide_spacer()) continue;
        one.clear();
        term_.append_cell_utf8(cell, one);
        if (one.empty()) one = " ";
        const auto lead = static_cast<unsigned char>(one[0]);
        bool alone = false;
        if (lead >= 0x80) {
          if (glyphs) glyphs->scan(one);
          const char32_t cp = first_codepoint(one);
          alone = cell.wide() || std::abs(font->GetCharAdvance(static_cast<ImWchar>(cp <= 0xFFFF ? cp : 0xFFFD)) - cell_w) > 0.5f;
        }
        if (!alone) {
          if (run.empty()) run_col = k;
          run += one;
          continue;
        }
        flush();
        const float room = cell.wide() ? 2 * cell_w : cell_w;
        const float w = ImGui::CalcTextSize(one.data(), one.data() + one.size()).x;
        dl->AddText(ImVec2(std::round(origin.x + k * cell_w + (room - w) * 0.5f), y), fg, one.data(), one.data() + one.size());
      }
      flush();
      if (style.underline() != term::Underline::kNone) dl->AddLine(ImVec2(x0, y + cell_h - 1), ImVec2(x1, y + cell_h - 1), fg);
      c = end;
    }
    for (std::size_t m = 0; m < matches_.size(); ++m) {  // find matches (few per screen; the list is newest first)
      const Mark& k = matches_[m];
      if (k.line < abs) break;
      if (k.line != abs) continue;
      const float x0 = origin.x + k.col * cell_w, x1 = x0 + static_cast<float>(match_len_) * cell_w;
      dl->AddRectFilled(ImVec2(x0, y), ImVec2(x1, y + cell_h), IM_COL32(230, 190, 60, 90));
      if (static_cast<int>(m) == match_) dl->AddRect(ImVec2(x0, y), ImVec2(x1, y + cell_h), IM_COL32(255, 210, 70, 255));
    }
    if (has_selection && abs >= lo.line && abs <= hi.line) {  // the selection, over the text
      const int from = abs == lo.line ? lo.col : 0, to = abs == hi.line ? hi.col : term_.cols();
      if (to > from) dl->AddRectFilled(ImVec2(origin.x + from * cell_w, y), ImVec2(origin.x + to * cell_w, y + cell_h), kSelection);
    }
  }
  if (scroll_ > 0) {  // where the view is in the history
    char note[48];
    std::snprintf(note, sizeof note, " \xE2\x86\x91 %zu lines back ", scroll_);
    const ImVec2 size = ImGui::CalcTextSize(note);
    const ImVec2 at(origin.x + cell_w * cols_ - size.x, origin.y);
    dl->AddRectFilled(at, ImVec2(at.x + size.x, at.y + size.y), IM_COL32(60, 90, 140, 230));
    dl->AddText(at, IM_COL32(255, 255, 255, 255), note);
  }
  if (state_ == State::kReady && term_.modes().cursor_visible && scroll_ == 0) {
    const float x = origin.x + term_.cursor_col() * cell_w, y = origin.y + term_.cursor_row() * cell_h;
    dl->AddRect(ImVec2(x, y), ImVec2(x + cell_w, y + cell_h), IM_COL32(220, 223, 228, focused_ ? 255 : 120));
  }
  if (mono) ImGui::PopFont();
  if (focused_ && !find_active_ && state_ == State::kReady && !input.empty()) {
    scroll_ = 0;  // typing shows the prompt again
    type(input);
  }
  ImGui::End();
  return open_;
}

}  // namespace mw::web
