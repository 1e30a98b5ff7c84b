// Static file lookup: only plain names under the root, no "..", no hidden files, no symlink escape.
#include "static_files.hpp"

#include <fstream>
#include <system_error>

namespace mw::server {
namespace fs = std::filesystem;

std::string_view content_type_for(std::string_view ext) {
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".wasm") return "application/wasm";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".ttf") return "font/ttf";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".png") return "image/png";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

StaticFiles::StaticFiles(fs::path root, std::span<const EmbeddedFile> embedded) : root_(std::move(root)) {
  std::error_code ec;
  if (embedded.empty() || embedded.front().path == nullptr || fs::is_directory(root_, ec)) return;
  // Embedded mode: every file is in memory from the start, keyed by its URL path.
  embedded_mode_ = true;
  for (const auto& f : embedded) {
    if (!f.path) continue;
    auto data = std::make_shared<const std::string>(reinterpret_cast<const char*>(f.data), f.size);
    std::uint32_t h = 2166136261u;  // FNV-1a: a content ETag that changes with every build
    for (unsigned char c : *data) h = (h ^ c) * 16777619u;
    cache_[fs::path(f.path)] = Entry{"\"" + std::to_string(f.size) + "-" + std::to_string(h) + "\"", data};
    cache_bytes_ += f.size;
  }
}

std::optional<StaticFiles::Found> StaticFiles::embedded_lookup(const std::string& path, bool accepts_gzip) const {
  std::lock_guard lock(mutex_);
  auto it = cache_.find(fs::path(path));
  if (it == cache_.end()) return std::nullopt;
  Found f;
  f.content_type = std::string(content_type_for(fs::path(path).extension().string()));
  if (accepts_gzip) {
    if (auto gz = cache_.find(fs::path(path + ".gz")); gz != cache_.end()) {
      it = gz;
      f.gzip = true;
    }
  }
  f.path = it->first;
  f.etag = it->second.etag;
  f.size = it->second.data->size();
  return f;
}

std::optional<StaticFiles::Found> StaticFiles::lookup(std::string_view target, bool accepts_gzip) const {
  const auto q = target.find_first_of("?#");
  std::string_view path = target.substr(0, q);
  if (path.empty() || path[0] != '/') return std::nullopt;
  if (path == "/") path = "/index.html";
  // Every segment must be a plain name: no empty, ".", ".." or hidden segments, no backslashes or
  // percent-escapes (the app's files never need them).
  fs::path rel;
  std::size_t start = 1;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    const std::string_view seg = path.substr(start, end - start);
    if (seg.empty() || seg[0] == '.') return std::nullopt;
    if (seg.find_first_of("\\%:\0", 0, 4) != std::string_view::npos) return std::nullopt;
    rel /= std::string(seg);
    start = end + 1;
  }
  if (embedded_mode_) return embedded_lookup("/" + rel.generic_string(), accepts_gzip);
  const std::string key = (accepts_gzip ? "z" : "-") + rel.generic_string();
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    const auto it = found_.find(key);
    if (it != found_.end() && now - it->second.checked < kRecheck) return it->second.found;
  }
  auto found = disk_lookup(rel, accepts_gzip);
  std::lock_guard lock(mutex_);
  if (!found) {
    found_.erase(key);
    return found;
  }
  if (found_.size() >= kMaxRemembered) found_.clear();
  found_[key] = Remembered{*found, now};
  return found;
}

std::optional<StaticFiles::Found> StaticFiles::disk_lookup(const fs::path& rel, bool accepts_gzip) const {
  std::error_code ec;
  const fs::path full = root_ / rel;
  const fs::path canon = fs::weakly_canonical(full, ec);
  const fs::path canon_root = fs::weakly_canonical(root_, ec);
  if (ec) return std::nullopt;
  auto mismatch = std::mismatch(canon_root.begin(), canon_root.end(), canon.begin(), canon.end());
  if (mismatch.first != canon_root.end()) return std::nullopt;
  if (!fs::is_regular_file(canon, ec)) return std::nullopt;

  Found f;
  f.path = canon;
  f.content_type = std::string(content_type_for(canon.extension().string()));
  if (accepts_gzip) {
    fs::path gz = canon;
    gz += ".gz";
    if (fs::is_regular_file(gz, ec) && fs::last_write_time(gz, ec) >= fs::last_write_time(canon, ec)) {
      f.path = gz;
      f.gzip = true;
    }
  }
  f.size = fs::file_size(f.path, ec);
  const auto mtime = fs::last_write_time(f.path, ec).time_since_epoch().count();
  f.etag = "\"" + std::to_string(f.size) + "-" + std::to_string(mtime) + (f.gzip ? "-gz" : "") + "\"";
  return f;
}

std::shared_ptr<const std::string> StaticFiles::cached(const Found& found) const {
  if (embedded_mode_) {
    std::lock_guard lock(mutex_);
    const auto it = cache_.find(found.path);
    return it == cache_.end() ? nullptr : it->second.data;
  }
  if (found.size > kMaxCachedFile) return nullptr;
  {
    std::lock_guard lock(mutex_);
    const auto it = cache_.find(found.path);
    if (it != cache_.end() && it->second.etag == found.etag) return it->second.data;
  }
  std::ifstream in(found.path, std::ios::binary);
  if (!in) return nullptr;
  auto data = std::make_shared<std::string>(found.size, '\0');
  if (!in.read(data->data(), static_cast<std::streamsize>(found.size))) return nullptr;
  std::lock_guard lock(mutex_);
  auto& entry = cache_[found.path];
  if (entry.data) cache_bytes_ -= entry.data->size();
  if (cache_bytes_ + data->size() > kMaxCacheBytes) {
    cache_.erase(found.path);
    return data;  // serve it, but do not keep it: the cache is full
  }
  entry.etag = found.etag;
  entry.data = data;
  cache_bytes_ += data->size();
  return data;
}

}  // namespace mw::server
