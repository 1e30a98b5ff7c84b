// Serves the browser app's files (index.html, app.js, app.wasm, fonts) from a folder: safe path
// mapping, content types, ETag/If-None-Match, pre-compressed .gz variants for gzip clients.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "embedded_web.hpp"
#include "net.hpp"

namespace mw::server {

class StaticFiles {
 public:
  // Serves `root`; when that folder does not exist and `embedded` has files, serves those.
  explicit StaticFiles(std::filesystem::path root, std::span<const EmbeddedFile> embedded = {});
  bool serving_embedded() const { return embedded_mode_; }

  struct Found {
    std::filesystem::path path;  // file to send (maybe the .gz variant)
    std::string content_type;
    std::string etag;
    bool gzip = false;
    std::uint64_t size = 0;
  };

  // Maps a request target ("/", "/app.js?v=1") to a file; nullopt when absent or unsafe. A file
  // found on disk is remembered for kRecheck (nginx's open_file_cache_valid): a file replaced in
  // the web root is served within that time, and a busy server does not resolve and stat the
  // same path a dozen system calls at a time for every request.
  std::optional<Found> lookup(std::string_view target, bool accepts_gzip) const;
  const std::filesystem::path& root() const { return root_; }

  // The file's bytes from an in-memory cache (read once, re-read when its size or time changes),
  // or nullptr for files too large to cache: those are streamed from disk instead.
  std::shared_ptr<const std::string> cached(const Found& found) const;

  std::uint64_t cache_bytes() const {
    std::lock_guard lock(mutex_);
    return cache_bytes_;
  }

  static constexpr std::chrono::milliseconds kRecheck{1000};
  static constexpr std::size_t kMaxRemembered = 1024;  // found paths; only files that exist count
  static constexpr std::uint64_t kMaxCachedFile = 16 * 1024 * 1024;
  static constexpr std::uint64_t kMaxCacheBytes = 128 * 1024 * 1024;

 private:
  struct Entry {
    std::string etag;
    std::shared_ptr<const std::string> data;
  };
  std::optional<Found> embedded_lookup(const std::string& path, bool accepts_gzip) const;
  std::optional<Found> disk_lookup(const std::filesystem::path& rel, bool accepts_gzip) const;

  struct Remembered {
    Found found;
    std::chrono::steady_clock::time_point checked;
  };

  std::filesystem::path root_;
  bool embedded_mode_ = false;
  mutable std::mutex mutex_;
  mutable std::map<std::filesystem::path, Entry> cache_;
  mutable std::uint64_t cache_bytes_ = 0;
  mutable std::map<std::string, Remembered, std::less<>> found_;  // key: gzip flag + relative path
};

// A response body that shares an immutable buffer (a cached file) instead of copying it, and
// hands it to the stream in one piece.
struct SharedBufferBody {
  using value_type = std::shared_ptr<const std::string>;
  static std::uint64_t size(const value_type& v) { return v ? v->size() : 0; }
  class writer {
   public:
    using const_buffers_type = boost::asio::const_buffer;
    template <bool isRequest, class Fields>
    writer(const http::header<isRequest, Fields>&, const value_type& v) : v_(v) {}
    void init(beast::error_code& ec) { ec = {}; }
    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      ec = {};
      if (done_ || !v_ || v_->empty()) return boost::none;
      done_ = true;
      return {{const_buffers_type(v_->data(), v_->size()), false}};
    }

   private:
    const value_type& v_;
    bool done_ = false;
  };
};

std::string_view content_type_for(std::string_view extension);

}  // namespace mw::server
