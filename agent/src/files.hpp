// The agent's file sessions (relay protocol 5), without the socket: requests as JSON objects in,
// answers out; transfers as open files the caller streams. Every path is absolute, normalised and
// checked against the session's root (FilesRoot, default "/") before and after resolving symbolic
// links, so "..", links and odd bytes never reach outside it. The wire format is in
// docs/agent-protocol.md ("Files").
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "mw/util/result.hpp"

namespace mw::agent {

class FileService {
 public:
  static constexpr std::size_t kChunk = 64 * 1024;      // download chunk (one relay message)
  static constexpr std::uint64_t kAckEvery = 1u << 20;  // upload progress acknowledgement interval
  static constexpr std::size_t kMaxListing = 20000;     // entries per folder listing

  explicit FileService(std::filesystem::path root);
  // The served folder, as the settings name it (normalised): where a browser starts.
  const std::filesystem::path& root() const { return root_; }

  // A path inside the root, or an error ("outside"...). Exposed for tests.
  mw::Result<std::filesystem::path> resolve(const std::string& requested) const;

  // ls, mkdir, rm, rename: the answer to send ({"op":...,"id":...}).
  nlohmann::json handle(const nlohmann::json& request);

  // [SECTION] Download: open at `offset`; then read() chunks until 0.
  struct Download {
    std::ifstream in;
    std::uint64_t size = 0, offset = 0;
  };
  mw::Result<Download> open_download(const std::string& path, std::uint64_t offset);

  // [SECTION] Upload to <path>.mwpart, renamed over <path> when `size` bytes have arrived.
  // With resume, bytes already in the .mwpart file are kept and the answer's offset says how many.
  // `id` is the request's, repeated in the progress and done answers.
  mw::Result<std::uint64_t> begin_upload(nlohmann::json id, const std::string& path, std::uint64_t size, bool resume);
  bool uploading() const { return upload_.has_value(); }
  // Writes a chunk. Answers: {"op":"progress"} every kAckEvery bytes, {"op":"done"} at the end,
  // {"op":"error"} when the chunk does not fit or cannot be written (the upload is then over).
  std::optional<nlohmann::json> write_chunk(std::span<const std::uint8_t> data);
  // Abandons an upload (the relay closed); the .mwpart file stays for a later resume.
  void abandon_upload();

 private:
  struct Upload {
    std::filesystem::path target, part;
    std::ofstream out;
    std::uint64_t size = 0, written = 0, acked = 0;
    nlohmann::json id;
  };
  nlohmann::json error(const nlohmann::json& id, const std::string& reason) const;
  std::filesystem::path root_, canonical_root_;
  std::optional<Upload> upload_;
};

}  // namespace mw::agent
