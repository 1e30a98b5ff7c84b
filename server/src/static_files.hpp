// Serves the browser app's files (index.html, app.js, app.wasm, fonts) from a folder: safe path
// mapping, content types, ETag/If-None-Match, pre-compressed .gz variants for gzip clients.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "net.hpp"

namespace mw::server {

class StaticFiles {
 public:
  explicit StaticFiles(std::filesystem::path root) : root_(std::move(root)) {}

  struct Found {
    std::filesystem::path path;  // file to send (maybe the .gz variant)
    std::string content_type;
    std::string etag;
    bool gzip = false;
    std::uint64_t size = 0;
  };

  // Maps a request target ("/", "/app.js?v=1") to a file; nullopt when absent or unsafe.
  std::optional<Found> lookup(std::string_view target, bool accepts_gzip) const;
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

std::string_view content_type_for(std::string_view extension);

}  // namespace mw::server
