// File sessions of the agent (files.hpp).
#include "files.hpp"

#include <sys/stat.h>

#include <chrono>

namespace mw::agent {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

bool within(const fs::path& p, const fs::path& root) {
  if (root == "/") return p.is_absolute();
  const auto rel = p.lexically_relative(root);
  return !rel.empty() && *rel.begin() != "..";
}

std::int64_t mtime_ms(const fs::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return 0;
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

std::string text_field(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

FileService::FileService(fs::path root) : root_(root.lexically_normal()) {
  std::error_code ec;
  canonical_root_ = fs::weakly_canonical(root_, ec);
  if (ec) canonical_root_ = root_;
  if (root_.string().size() > 1 && root_.string().back() == '/') root_ = root_.parent_path();
  if (canonical_root_.string().size() > 1 && canonical_root_.string().back() == '/') canonical_root_ = canonical_root_.parent_path();
}

mw::Result<fs::path> FileService::resolve(const std::string& requested) const {
  if (requested.empty() || requested.size() > 4096) return make_error("bad-path", "no path, or a path longer than 4096 bytes");
  if (requested.find('\0') != std::string::npos) return make_error("bad-path", "a path with a NUL byte");
  if (requested.front() != '/') return make_error("bad-path", "paths are absolute (start with /)");
  fs::path p = fs::path(requested).lexically_normal();
  if (p.string().size() > 1 && p.string().back() == '/') p = p.parent_path();
  if (!within(p, root_) && p != root_) return make_error("outside", requested + " is outside the folder this agent serves (" + root_.string() + ")");
  // Symbolic links must not lead out either.
  std::error_code ec;
  const fs::path real = fs::weakly_canonical(p, ec);
  if (ec) return make_error("bad-path", requested + ": " + ec.message());
  if (!within(real, canonical_root_) && real != canonical_root_) {
    return make_error("outside", requested + " leads outside the folder this agent serves (" + root_.string() + ")");
  }
  return p;
}

Json FileService::error(const Json& id, const std::string& reason) const {
  return {{"op", "error"}, {"id", id}, {"reason", reason}};
}

Json FileService::handle(const Json& req) {
  const Json id = req.contains("id") ? req["id"] : Json();
  const std::string op = text_field(req, "op");
  auto path = resolve(text_field(req, "path"));
  if (!path) return error(id, path.error().message);
  std::error_code ec;
  if (op == "ls") {
    Json entries = Json::array();
    fs::directory_iterator it(*path, fs::directory_options::skip_permission_denied, ec);
    if (ec) return error(id, "cannot list " + path->string() + ": " + ec.message());
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (entries.size() >= kMaxListing) break;
      const auto& e = *it;
      const auto st = e.symlink_status(ec);
      const char* type = fs::is_symlink(st) ? "link" : fs::is_directory(st) ? "dir" : "file";
      std::uint64_t size = 0;
      if (fs::is_regular_file(st)) size = e.file_size(ec);
      entries.push_back({{"name", e.path().filename().string()},
                         {"type", type},
                         {"size", size},
                         {"mtime", mtime_ms(e.path())},
                         {"mode", static_cast<unsigned>(st.permissions()) & 07777}});
    }
    return {{"op", "ls"}, {"id", id}, {"path", path->string()}, {"entries", std::move(entries)},
            {"truncated", entries.size() >= kMaxListing}};
  }
  if (op == "mkdir") {
    if (!fs::create_directory(*path, ec) || ec) return error(id, "cannot create " + path->string() + (ec ? ": " + ec.message() : ": it exists"));
    return {{"op", "ok"}, {"id", id}};
  }
  if (op == "rm") {
    if (*path == root_) return error(id, "the served folder itself cannot be removed");
    const auto r = req.find("recursive");
    const bool recursive = r != req.end() && r->is_boolean() && r->get<bool>();
    if (!fs::exists(fs::symlink_status(*path, ec))) return error(id, path->string() + " does not exist");
    if (recursive) fs::remove_all(*path, ec);
    else fs::remove(*path, ec);
    if (ec) return error(id, "cannot remove " + path->string() + ": " + ec.message());
    return {{"op", "ok"}, {"id", id}};
  }
  if (op == "rename") {
    auto to = resolve(text_field(req, "to"));
    if (!to) return error(id, to.error().message);
    if (*path == root_) return error(id, "the served folder itself cannot be renamed");
    if (fs::exists(fs::symlink_status(*to, ec))) return error(id, to->string() + " exists already");
    fs::rename(*path, *to, ec);
    if (ec) return error(id, "cannot rename " + path->string() + ": " + ec.message());
    return {{"op", "ok"}, {"id", id}};
  }
  return error(id, "unknown operation \"" + op.substr(0, 40) + "\"");
}

mw::Result<FileService::Download> FileService::open_download(const std::string& requested, std::uint64_t offset) {
  auto path = resolve(requested);
  if (!path) return path.error();
  std::error_code ec;
  if (!fs::is_regular_file(*path, ec)) return make_error("not-file", path->string() + " is not a file");
  Download d;
  d.size = fs::file_size(*path, ec);
  if (ec) return make_error("io", path->string() + ": " + ec.message());
  if (offset > d.size) return make_error("bad-offset", "offset beyond the end of " + path->string());
  d.in.open(*path, std::ios::binary);
  if (!d.in) return make_error("io", "cannot open " + path->string());
  d.in.seekg(static_cast<std::streamoff>(offset));
  d.offset = offset;
  return d;
}

mw::Result<std::uint64_t> FileService::begin_upload(Json id, const std::string& requested, std::uint64_t size, bool resume) {
  abandon_upload();
  auto path = resolve(requested);
  if (!path) return path.error();
  std::error_code ec;
  if (fs::is_directory(*path, ec)) return make_error("is-dir", path->string() + " is a folder");
  Upload u;
  u.target = *path;
  u.part = path->string() + ".mwpart";
  u.size = size;
  u.id = std::move(id);
  std::uint64_t have = 0;
  if (resume && fs::is_regular_file(u.part, ec)) have = std::min<std::uint64_t>(fs::file_size(u.part, ec), size);
  if (ec) have = 0;
  if (have > 0) {
    fs::resize_file(u.part, have, ec);  // anything past `size` is not ours
    u.out.open(u.part, std::ios::binary | std::ios::app);
  } else {
    u.out.open(u.part, std::ios::binary | std::ios::trunc);
  }
  if (!u.out) return make_error("io", "cannot write " + u.part.string());
  u.written = u.acked = have;
  upload_ = std::move(u);
  return have;  // when it is already `size` (or 0 of 0), write_chunk({}) finishes the upload
}

std::optional<Json> FileService::write_chunk(std::span<const std::uint8_t> data) {
  if (!upload_) return std::nullopt;
  auto& u = *upload_;
  if (data.size() > u.size - u.written) {
    const Json id = u.id;
    abandon_upload();
    return error(id, "more bytes than the upload announced");
  }
  u.out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!u.out) {
    const Json id = u.id;
    abandon_upload();
    return error(id, "cannot write " + u.part.string() + " (disk full?)");
  }
  u.written += data.size();
  if (u.written == u.size) {
    u.out.close();
    std::error_code ec;
    fs::rename(u.part, u.target, ec);
    const Json id = u.id;
    const auto size = u.size;
    const auto target = u.target;
    upload_.reset();
    if (ec) return error(id, "cannot rename the upload to " + target.string() + ": " + ec.message());
    return Json{{"op", "done"}, {"id", id}, {"size", size}};
  }
  if (u.written - u.acked >= kAckEvery) {
    u.acked = u.written;
    return Json{{"op", "progress"}, {"id", u.id}, {"bytes", u.written}};
  }
  return std::nullopt;
}

void FileService::abandon_upload() {
  if (!upload_) return;
  upload_->out.close();
  upload_.reset();
}

}  // namespace mw::agent
