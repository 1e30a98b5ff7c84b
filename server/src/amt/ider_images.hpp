// Disk images for Intel AMT IDE-R, from a storage of "My Files" (server/src/files): the files a
// user may pick (.iso for the CD-ROM, .img/.ima for the floppy, as MeshCentral offers) and the
// chosen ones opened read-only for the IDE-R session. Paths are as My Files shows them ("/"
// is the storage's root) and are resolved by the same jailed FileService, so "..", links and odd
// names never reach outside the storage. Disk work: call on ServerContext::file_io.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "mw/ider/messages.hpp"
#include "mw/util/result.hpp"

namespace mw::server::amt {

struct ImageEntry {
  std::string path;  // as My Files shows it
  std::uint64_t size = 0;
  ider::Drive drive = ider::Drive::kCdrom;
};

// The images under `folder` (sorted by path; at most kMaxImages, 8 folders deep, links not
// followed). A missing folder has none.
inline constexpr std::size_t kMaxImages = 1000;
std::vector<ImageEntry> list_images(const std::filesystem::path& folder);

// One image opened for reading; closed with the last reference.
class DiskImage {
 public:
  DiskImage(int fd, std::uint64_t size, std::string path) : fd_(fd), size_(size), path_(std::move(path)) {}
  ~DiskImage();
  DiskImage(const DiskImage&) = delete;
  DiskImage& operator=(const DiskImage&) = delete;
  std::uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Fills `out` from `offset`; false on an I/O error or a short read (the file shrank).
  bool read(std::uint64_t offset, std::span<std::uint8_t> out) const;

 private:
  int fd_;
  std::uint64_t size_;
  std::string path_;
};

// Opens `shown` under `folder` as an image for `drive`: a regular file of whole 512-byte blocks,
// at least one of the drive's blocks. Errors name the path as shown, never the real folder.
Result<std::shared_ptr<DiskImage>> open_image(const std::filesystem::path& folder, const std::string& shown,
                                              ider::Drive drive);

}  // namespace mw::server::amt
