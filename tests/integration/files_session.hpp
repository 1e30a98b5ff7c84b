// Test helper: a files session as the browser drives one (docs/agent-protocol.md "Files"), over
// an agent's relay (/meshrelay.ashx?p=5) or the server's own storage (/serverfiles.ashx): the
// relay's opening message, the root, then requests and their answers.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>

#include "https_client.hpp"

namespace mw::test {

class FilesSession {
 public:
  FilesSession(int port, const std::string& target, const ClientOptions& who) : ws_(port, target, who) {
    opening = nlohmann::json::parse(ws_.read(), nullptr, false);
    // Once ready, the agent (or the server) names the folder it serves before anything else.
    if (ready()) root = nlohmann::json::parse(ws_.read(), nullptr, false);
  }
  bool ready() const { return opening.is_object() && opening.value("state", "") == "ready"; }
  nlohmann::json opening, root;

  // Sends a request and returns the next text answer (binary messages go to `binary`).
  nlohmann::json ask(nlohmann::json req) {
    req["id"] = ++id_;
    ws_.send(req.dump());
    return next();
  }
  nlohmann::json next() {
    for (;;) {
      const std::string m = ws_.read();
      if (ws_.last_was_binary()) {
        binary += m;
        continue;
      }
      return nlohmann::json::parse(m, nullptr, false);
    }
  }
  // Uploads `bytes` in 64 KiB messages: the last answer (done or error) and how many progress
  // answers came before it.
  std::pair<nlohmann::json, int> upload(const std::string& path, const std::string& bytes) {
    nlohmann::json ready = ask({{"op", "upload"}, {"path", path}, {"size", bytes.size()}});
    if (ready.value("op", "") != "ready") return {ready, 0};
    for (std::size_t at = 0; at < bytes.size(); at += kChunk) ws_.send_binary(bytes.substr(at, kChunk));
    int progress = 0;
    nlohmann::json a = next();
    for (; a.value("op", "") == "progress"; a = next()) ++progress;
    return {a, progress};
  }
  WssClient& ws() { return ws_; }
  std::string binary;
  static constexpr std::size_t kChunk = 64 * 1024;

 private:
  WssClient ws_;
  int id_ = 0;
};

}  // namespace mw::test
