// MeshCentral's command-line tool meshctrl.js (npm package "meshcentral") run with Node against a
// test server, and a line splitter for what it prints.
#pragma once

#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <array>
#include <string>
#include <vector>

namespace mw::test {

inline const std::string kMeshctrl = std::string(MW_SOURCE_DIR) + "/node_modules/meshcentral/meshctrl.js";

inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs meshctrl with `args` (bounded to 60 s); returns its output (stdout and stderr).
inline std::string meshctrl(int port, const std::vector<std::string>& args, const std::string& user = "admin",
                     const std::string& pass = "Admin-pass1") {
  std::string cmd = "timeout 60 node " + quote(kMeshctrl);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " --url wss://127.0.0.1:" + std::to_string(port) + " --loginuser " + quote(user) + " --loginpass " + quote(pass) + " 2>&1";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return "popen failed";
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(p);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 124) << "meshctrl timed out: " << cmd;
  return out;
}

// Lines of text without the trailing newline and carriage returns.
inline std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == '\r') continue;
    if (c == '\n') { out.push_back(cur); cur.clear(); } else { cur += c; }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

}  // namespace mw::test
