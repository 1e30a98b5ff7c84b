// File sessions without the socket: the agent's (relay protocol 5, FilesRoot) and the server's
// "My Files" storage (/serverfiles.ashx). Requests as JSON text in, answers out; transfers as open
// files the caller streams. The wire format is in docs/agent-protocol.md ("Files").
//
// Every path is normalised and checked against the session's root before and after resolving
// symbolic links, so "..", links and odd bytes never reach outside it. Two ways of naming paths:
//   - the agent shows real absolute paths inside its root (FilesRoot, default "/");
//   - a jailed service (the server's storage) shows "/" for its root and never reveals the real
//     folder, in answers or in error messages.
// A quota (bytes, 0 for none) bounds what the root may hold: an upload that would pass it is
// refused before a byte is written, and listings report the space used.
//
// One caller drives a service at a time (the session's strand); the quota is checked against
// the disk at each upload, so two sessions of one storage uploading at once may pass it by at
// most one upload.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mw/util/result.hpp"

namespace mw::native {

class FileService {
 public:
  static constexpr std::size_t kChunk = 64 * 1024;      // download chunk (one relay message)
  static constexpr std::uint64_t kAckEvery = 1u << 20;  // upload progress acknowledgement interval
  static constexpr std::size_t kMaxListing = 20000;     // entries per folder listing
  static constexpr std::size_t kMaxUsageEntries = 200000;  // entries counted for the quota

  struct Options {
    std::filesystem::path root;
    bool jailed = false;      // paths are shown from "/" (the root), never the real folder
    std::uint64_t quota = 0;  // bytes the root may hold; 0: no limit
  };

  explicit FileService(std::filesystem::path root);  // the agent's: real paths, no quota
  explicit FileService(Options options);

  // The first message of a session: where a browser starts (and the space used, with a quota).
  nlohmann::json greeting() const;

  // A path inside the root, or an error ("outside"...). Exposed for tests.
  mw::Result<std::filesystem::path> resolve(const std::string& requested) const;
  // How a real path inside the root is shown to the browser.
  std::string shown(const std::filesystem::path& real) const;
  // Bytes of the regular files under the root (links not followed).
  std::uint64_t usage() const;

  // [SECTION] Download: open at `offset`; then read() chunks until 0.
  struct Download {
    std::ifstream in;
    std::uint64_t size = 0, offset = 0;
  };
  mw::Result<Download> open_download(const std::string& path, std::uint64_t offset);

  // [SECTION] The protocol, for a session's loop. A text request gives the answers to send, in
  // order; a download also gives the open file, whose bytes [offset, size) the loop sends as
  // binary messages of at most kChunk before download_end's answer.
  struct Step {
    std::vector<nlohmann::json> replies;
    std::optional<Download> download;
    nlohmann::json id;  // the download's request id
  };
  Step on_text(std::string_view request);
  // An upload's binary chunk: an answer when one is due (progress, done, error).
  std::optional<nlohmann::json> on_binary(std::span<const std::uint8_t> data) { return write_chunk(data); }
  // After a download's loop: "done" when every byte was sent, else an error (the file shrank).
  static nlohmann::json download_end(const nlohmann::json& id, const Download& d, bool complete);

  // ls, mkdir, rm, rename: the answer to send ({"op":...,"id":...}).
  nlohmann::json handle(const nlohmann::json& request);

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
  void add_usage(nlohmann::json& answer) const;  // "used" and "quota" when there is a quota
  std::string served() const;  // how messages name the root
  std::filesystem::path root_, canonical_root_;
  bool jailed_ = false;
  std::uint64_t quota_ = 0;
  std::optional<Upload> upload_;
};

}  // namespace mw::native
