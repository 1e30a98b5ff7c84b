#include "amt/ider_images.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "mw/native/file_service.hpp"

namespace mw::server::amt {

namespace fs = std::filesystem;

namespace {

std::string lower_extension(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e;
}

}  // namespace

std::vector<ImageEntry> list_images(const fs::path& folder) {
  std::vector<ImageEntry> out;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return out;
  const std::string root = folder.lexically_normal().string();
  fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end && out.size() < kMaxImages; it.increment(ec)) {
    if (it.depth() >= 8) it.disable_recursion_pending();
    const auto& entry = *it;
    std::error_code e2;
    if (!entry.is_regular_file(e2) || entry.is_symlink(e2)) continue;
    const std::string ext = lower_extension(entry.path());
    ider::Drive drive;
    if (ext == ".iso") drive = ider::Drive::kCdrom;
    else if (ext == ".img" || ext == ".ima") drive = ider::Drive::kFloppy;
    else continue;
    const std::uint64_t size = entry.file_size(e2);
    if (e2 || size < ider::block_size(drive) || size % 512 != 0) continue;
    std::string rel = entry.path().lexically_normal().string().substr(root.size());
    if (rel.empty() || rel[0] != '/') rel = "/" + rel;
    out.push_back({rel, size, drive});
  }
  std::sort(out.begin(), out.end(), [](const ImageEntry& a, const ImageEntry& b) { return a.path < b.path; });
  return out;
}

DiskImage::~DiskImage() {
  if (fd_ >= 0) ::close(fd_);
}

bool DiskImage::read(std::uint64_t offset, std::span<std::uint8_t> out) const {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

Result<std::shared_ptr<DiskImage>> open_image(const fs::path& folder, const std::string& shown, ider::Drive drive) {
  const std::string what = drive == ider::Drive::kCdrom ? "CD-ROM image" : "floppy image";
  native::FileService::Options o;
  o.root = folder;
  o.jailed = true;
  native::FileService files(o);
  auto real = files.resolve(shown);
  if (!real) return make_error("ider-image", "The " + what + " " + shown + " is not in the files on the server.");
  const int fd = ::open(real->c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    const bool missing = errno == ENOENT || errno == ELOOP || errno == ENOTDIR;  // ELOOP: a link (O_NOFOLLOW)
    return make_error("ider-image", "The " + what + " " + shown + (missing ? " is not in the files on the server." : " cannot be opened."));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error("ider-image", "The " + what + " " + shown + " is not a file.");
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < ider::block_size(drive) || size % 512 != 0) {
    ::close(fd);
    return make_error("ider-image", "The " + what + " " + shown + " is not a disk image (its size is not whole 512-byte blocks).");
  }
  return std::make_shared<DiskImage>(fd, size, shown);
}

}  // namespace mw::server::amt
