// File sessions (file_service.hpp).
#include "mw/native/file_service.hpp"

#include "mw/util/units.hpp"

#include <sys/stat.h>

#include <chrono>

namespace mw::native {

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

// Fields read without exceptions: a request of the wrong shape gets an error answer.
std::string text_field(const Json& j, const char* key) {
  const auto it = j.is_object() ? j.find(key) : j.end();
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool flag_field(const Json& j, const char* key) {
  const auto it = j.is_object() ? j.find(key) : j.end();
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

std::uint64_t number_field(const Json& j, const char* key) {
  const auto it = j.is_object() ? j.find(key) : j.end();
  return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

// Size of a regular file (0 when it is anything else or missing).
std::uint64_t file_bytes(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(p, ec))) return 0;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

}  // namespace

FileService::FileService(fs::path root) : FileService(Options{std::move(root), false, 0}) {}

FileService::FileService(Options o) : root_(o.root.lexically_normal()), jailed_(o.jailed), quota_(o.quota) {
  std::error_code ec;
  canonical_root_ = fs::weakly_canonical(root_, ec);
  if (ec) canonical_root_ = root_;
  if (root_.string().size() > 1 && root_.string().back() == '/') root_ = root_.parent_path();
  if (canonical_root_.string().size() > 1 && canonical_root_.string().back() == '/') canonical_root_ = canonical_root_.parent_path();
}

std::string FileService::served() const {
  return jailed_ ? std::string("this storage") : "the folder this agent serves (" + root_.string() + ")";
}

std::string FileService::shown(const fs::path& real) const {
  if (!jailed_) return real.string();
  if (real == root_) return "/";
  return "/" + real.lexically_relative(root_).string();
}

mw::Result<fs::path> FileService::resolve(const std::string& requested) const {
  if (requested.empty() || requested.size() > 4096) return make_error("bad-path", "no path, or a path longer than 4096 bytes");
  if (requested.find('\0') != std::string::npos) return make_error("bad-path", "a path with a NUL byte");
  if (requested.front() != '/') return make_error("bad-path", "paths are absolute (start with /)");
  fs::path p = fs::path(requested).lexically_normal();  // an absolute path: ".." stops at "/"
  if (p.string().size() > 1 && p.string().back() == '/') p = p.parent_path();
  if (jailed_) p = p == "/" ? root_ : root_ / p.relative_path();
  if (!within(p, root_) && p != root_) return make_error("outside", requested + " is outside " + served());
  // Symbolic links must not lead out either.
  std::error_code ec;
  const fs::path real = fs::weakly_canonical(p, ec);
  if (ec) return make_error("bad-path", requested + ": " + ec.message());
  if (!within(real, canonical_root_) && real != canonical_root_) {
    return make_error("outside", requested + " leads outside " + served());
  }
  return p;
}

std::uint64_t FileService::usage() const {
  std::uint64_t total = 0;
  std::size_t seen = 0;
  std::error_code ec;
  fs::recursive_directory_iterator it(root_, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator() && seen < kMaxUsageEntries; it.increment(ec), ++seen) {
    std::error_code e2;
    const auto st = it->symlink_status(e2);
    if (!e2 && fs::is_regular_file(st)) {
      const auto n = it->file_size(e2);
      if (!e2) total += n;
    }
  }
  return total;
}

void FileService::add_usage(Json& answer) const {
  if (quota_ == 0) return;
  answer["used"] = usage();
  answer["quota"] = quota_;
}

Json FileService::greeting() const {
  Json j{{"op", "root"}, {"path", shown(root_)}};
  add_usage(j);
  return j;
}

Json FileService::error(const Json& id, const std::string& reason) const {
  return {{"op", "error"}, {"id", id}, {"reason", reason}};
}

Json FileService::handle(const Json& req) {
  const Json id = req.is_object() && req.contains("id") ? req["id"] : Json();
  if (!req.is_object()) return error(id, "requests are JSON objects");
  const std::string op = text_field(req, "op");
  auto path = resolve(text_field(req, "path"));
  if (!path) return error(id, path.error().message);
  const std::string name = shown(*path);
  std::error_code ec;
  if (op == "ls") {
    Json entries = Json::array();
    fs::directory_iterator it(*path, fs::directory_options::skip_permission_denied, ec);
    if (ec) return error(id, "cannot list " + name + ": " + ec.message());
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
    const bool truncated = entries.size() >= kMaxListing;
    Json answer{{"op", "ls"}, {"id", id}, {"path", name}, {"entries", std::move(entries)}, {"truncated", truncated}};
    add_usage(answer);
    return answer;
  }
  if (op == "mkdir") {
    if (!fs::create_directory(*path, ec) || ec) return error(id, "cannot create " + name + (ec ? ": " + ec.message() : ": it exists"));
    return {{"op", "ok"}, {"id", id}};
  }
  if (op == "rm") {
    if (*path == root_) return error(id, "the served folder itself cannot be removed");
    const bool recursive = flag_field(req, "recursive");
    if (!fs::exists(fs::symlink_status(*path, ec))) return error(id, name + " does not exist");
    if (recursive) fs::remove_all(*path, ec);
    else fs::remove(*path, ec);
    if (ec) return error(id, "cannot remove " + name + ": " + ec.message());
    return {{"op", "ok"}, {"id", id}};
  }
  if (op == "rename") {
    auto to = resolve(text_field(req, "to"));
    if (!to) return error(id, to.error().message);
    if (*path == root_) return error(id, "the served folder itself cannot be renamed");
    if (fs::exists(fs::symlink_status(*to, ec))) return error(id, shown(*to) + " exists already");
    fs::rename(*path, *to, ec);
    if (ec) return error(id, "cannot rename " + name + ": " + ec.message());
    return {{"op", "ok"}, {"id", id}};
  }
  return error(id, "unknown operation \"" + op.substr(0, 40) + "\"");
}

FileService::Step FileService::on_text(std::string_view text) {
  Step step;
  const auto req = Json::parse(text, nullptr, false);
  const Json id = req.is_object() && req.contains("id") ? req["id"] : Json();
  const std::string op = text_field(req, "op");
  if (!req.is_object()) {
    step.replies.push_back(error(id, "requests are JSON objects"));
  } else if (op == "download") {
    auto d = open_download(text_field(req, "path"), number_field(req, "offset"));
    if (!d) {
      step.replies.push_back(error(id, d.error().message));
    } else {
      step.replies.push_back({{"op", "download"}, {"id", id}, {"size", d->size}, {"offset", d->offset}});
      step.download = std::move(d.value());
      step.id = id;
    }
  } else if (op == "upload" && !(req.contains("size") && req["size"].is_number_unsigned())) {
    step.replies.push_back(error(id, "an upload names its size in bytes"));
  } else if (op == "upload") {
    const std::uint64_t size = number_field(req, "size");
    auto offset = begin_upload(id, text_field(req, "path"), size, flag_field(req, "resume"));
    if (!offset) {
      step.replies.push_back(error(id, offset.error().message));
    } else {
      step.replies.push_back({{"op", "ready"}, {"id", id}, {"offset", *offset}});
      // Nothing to send (empty, or resumed complete): done at once.
      if (*offset == size) {
        if (auto done = write_chunk({})) step.replies.push_back(std::move(*done));
      }
    }
  } else {
    step.replies.push_back(handle(req));
  }
  return step;
}

Json FileService::download_end(const Json& id, const Download& d, bool complete) {
  if (complete) return {{"op", "done"}, {"id", id}, {"size", d.size}};
  return {{"op", "error"}, {"id", id}, {"reason", "the file changed while it was read"}};
}

mw::Result<FileService::Download> FileService::open_download(const std::string& requested, std::uint64_t offset) {
  auto path = resolve(requested);
  if (!path) return path.error();
  const std::string name = shown(*path);
  std::error_code ec;
  if (!fs::is_regular_file(*path, ec)) return make_error("not-file", name + " is not a file");
  Download d;
  d.size = fs::file_size(*path, ec);
  if (ec) return make_error("io", name + ": " + ec.message());
  if (offset > d.size) return make_error("bad-offset", "offset beyond the end of " + name);
  d.in.open(*path, std::ios::binary);
  if (!d.in) return make_error("io", "cannot open " + name);
  d.in.seekg(static_cast<std::streamoff>(offset));
  d.offset = offset;
  return d;
}

mw::Result<std::uint64_t> FileService::begin_upload(Json id, const std::string& requested, std::uint64_t size, bool resume) {
  abandon_upload();
  auto path = resolve(requested);
  if (!path) return path.error();
  const std::string name = shown(*path);
  std::error_code ec;
  if (fs::is_directory(*path, ec)) return make_error("is-dir", name + " is a folder");
  if (*path == root_) return make_error("is-dir", name + " is the served folder");
  Upload u;
  u.target = *path;
  u.part = path->string() + ".mwpart";
  u.size = size;
  u.id = std::move(id);
  std::uint64_t have = 0;
  if (resume && fs::is_regular_file(u.part, ec)) have = std::min<std::uint64_t>(fs::file_size(u.part, ec), size);
  if (ec) have = 0;
  if (quota_ > 0) {
    // After the upload, the file replaces the target and the part file is gone.
    const std::uint64_t used = usage();
    const std::uint64_t freed = file_bytes(u.target) + file_bytes(u.part);
    const std::uint64_t base = used > freed ? used - freed : 0;
    if (base + size > quota_) {
      const std::uint64_t free = quota_ > base ? quota_ - base : 0;
      return make_error("quota", "Not enough space: " + name + " needs " + mw::util::human_bytes(size) + ", and " + mw::util::human_bytes(free) +
                                     " of " + mw::util::human_bytes(quota_) + " is free.");
    }
  }
  if (have > 0) {
    fs::resize_file(u.part, have, ec);  // anything past `size` is not ours
    u.out.open(u.part, std::ios::binary | std::ios::app);
  } else {
    u.out.open(u.part, std::ios::binary | std::ios::trunc);
  }
  if (!u.out) return make_error("io", "cannot write " + shown(u.part));
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
    const std::string part = shown(u.part);
    abandon_upload();
    return error(id, "cannot write " + part + " (disk full?)");
  }
  u.written += data.size();
  if (u.written == u.size) {
    u.out.close();
    std::error_code ec;
    fs::rename(u.part, u.target, ec);
    const Json id = u.id;
    const auto size = u.size;
    const std::string target = shown(u.target);
    upload_.reset();
    if (ec) return error(id, "cannot rename the upload to " + target + ": " + ec.message());
    Json done{{"op", "done"}, {"id", id}, {"size", size}};
    add_usage(done);
    return done;
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

}  // namespace mw::native
