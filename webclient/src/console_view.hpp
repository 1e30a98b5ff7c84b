// An agent's console (MeshCentral's "Console" tab; URL viewmode 15): a transcript of commands and
// the agent's answers, and a command line with history (Up/Down). Commands go over the control
// channel as {"action":"msg","type":"console","nodeid","value"} and come back the same way
// (App routes them here by node id); the agent answers only about itself (agent/src/console.hpp).
// Platform-free.
#pragma once

#include <array>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "window_pin.hpp"

struct ImFont;

namespace mw::web {

class ConsoleView {
 public:
  using Send = std::function<void(const std::string& nodeid, const std::string& command)>;
  ConsoleView(std::string nodeid, std::string device_name, Send send);

  // An answer (or a refusal) from the server for this device.
  void on_output(std::string_view text);
  // Draws the window (the transcript in `mono` when given: the agent aligns its answers in
  // columns); false once the user closed it.
  bool draw(ImFont* mono, ItemRects* buttons = nullptr);

  const std::string& nodeid() const { return nodeid_; }
  // The whole transcript, lines joined with \n (for tests).
  std::string text() const;
  unsigned revision() const { return revision_; }
  bool waiting() const { return waiting_ > 0; }
  void pin(std::optional<WindowPin> p) { pin_ = p; }
  void raise() { raise_ = true; }

  static constexpr std::size_t kMaxLines = 5000;  // older lines scroll away
  static constexpr std::size_t kMaxHistory = 100;

 private:
  void add_lines(std::string_view text, bool command);
  void submit();
  static int on_input_event(struct ImGuiInputTextCallbackData* data);

  struct Line {
    std::string text;
    bool command = false;  // what the user typed (drawn highlighted)
  };
  std::string nodeid_, name_;
  Send send_;
  std::deque<Line> lines_;
  std::array<char, 1024> input_{};
  std::vector<std::string> history_;
  int history_pos_ = -1;  // -1: a new line, else an index into history_
  int waiting_ = 0;       // commands sent, answers not back yet
  bool open_ = true, raise_ = true, scroll_ = false, refocus_ = true;
  unsigned revision_ = 0;
  std::optional<WindowPin> pin_;
};

}  // namespace mw::web
