// StaticFiles: serving from an embedded table (mw_embed output, as in a release build) when the
// web root does not exist, with the same path rules, gzip variants and ETags as from disk.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "static_files.hpp"

namespace mw::server {
extern const EmbeddedFile kSampleWeb[];
extern const std::size_t kSampleWeb_count;
}  // namespace mw::server

namespace {

using mw::server::StaticFiles;

StaticFiles embedded() {
  return StaticFiles("/nonexistent/web-root",
                     std::span<const mw::server::EmbeddedFile>(mw::server::kSampleWeb, mw::server::kSampleWeb_count));
}

TEST(StaticFilesEmbedded, ServesTheEmbeddedTableWhenTheFolderIsAbsent) {
  const StaticFiles files = embedded();
  ASSERT_TRUE(files.serving_embedded());
  ASSERT_EQ(mw::server::kSampleWeb_count, 4u);
  const auto index = files.lookup("/", false);
  ASSERT_TRUE(index.has_value());
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(*files.cached(*index), "<!doctype html><title>embedded</title>\n");
  const auto font = files.lookup("/fonts/a.ttf?x=1", false);
  ASSERT_TRUE(font.has_value());
  EXPECT_EQ(*files.cached(*font), "font");
  EXPECT_FALSE(files.lookup("/missing.js", false).has_value());
  EXPECT_FALSE(files.lookup("/../index.html", false).has_value());
  EXPECT_FALSE(files.lookup("/fonts/../index.html", false).has_value());
}

TEST(StaticFilesEmbedded, GzipVariantAndStableEtags) {
  const StaticFiles files = embedded();
  const auto plain = files.lookup("/app.js", false);
  const auto gz = files.lookup("/app.js", true);
  ASSERT_TRUE(plain && gz);
  EXPECT_FALSE(plain->gzip);
  EXPECT_TRUE(gz->gzip);
  EXPECT_EQ(gz->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(*files.cached(*gz), "GZ-BYTES");
  EXPECT_NE(plain->etag, gz->etag);
  EXPECT_EQ(embedded().lookup("/app.js", false)->etag, plain->etag);
}

TEST(StaticFilesEmbedded, AnExistingFolderWinsOverTheTable) {
  const StaticFiles files(std::string(MW_SOURCE_DIR) + "/tests/data/embed-sample",
                          std::span<const mw::server::EmbeddedFile>(mw::server::kSampleWeb, 1));
  EXPECT_FALSE(files.serving_embedded());
  EXPECT_TRUE(files.lookup("/index.html", false).has_value());
}

TEST(StaticFilesDisk, AReplacedOrRemovedFileIsSeenAfterTheRecheckInterval) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("mw-static-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "styles");
  auto write = [&](const std::string& text) {
    std::ofstream(root / "styles" / "a.css", std::ios::binary | std::ios::trunc) << text;
  };
  write("first");
  const StaticFiles files(root);
  const auto first = files.lookup("/styles/a.css", false);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*files.cached(*first), "first");
  // Within the interval the remembered answer stands (no system calls for it)...
  write("second, longer");
  const auto soon = files.lookup("/styles/a.css?v=2", false);
  ASSERT_TRUE(soon.has_value());
  EXPECT_EQ(soon->etag, first->etag);
  // ...after it the new file is found, with a new ETag and its own bytes.
  std::this_thread::sleep_for(StaticFiles::kRecheck + std::chrono::milliseconds(100));
  const auto later = files.lookup("/styles/a.css", false);
  ASSERT_TRUE(later.has_value());
  EXPECT_NE(later->etag, first->etag);
  EXPECT_EQ(*files.cached(*later), "second, longer");
  // A removed file is gone after the interval too; unknown paths are never remembered.
  fs::remove(root / "styles" / "a.css");
  std::this_thread::sleep_for(StaticFiles::kRecheck + std::chrono::milliseconds(100));
  EXPECT_FALSE(files.lookup("/styles/a.css", false).has_value());
  EXPECT_FALSE(files.lookup("/styles/missing.css", false).has_value());
  fs::remove_all(root);
}

}  // namespace
