// StaticFiles: serving from an embedded table (mw_embed output, as in a release build) when the
// web root does not exist, with the same path rules, gzip variants and ETags as from disk.
#include <gtest/gtest.h>

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

}  // namespace
