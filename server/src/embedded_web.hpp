// Files of the browser app compiled into the executable (release builds: a single binary). When
// the web root folder does not exist, StaticFiles serves these instead.
#pragma once

#include <cstddef>

namespace mw::server {

struct EmbeddedFile {
  const char* path;  // "/index.html"
  const unsigned char* data;
  std::size_t size;
};

// The app embedded into this build; kEmbeddedWebCount is 0 unless built with MW_EMBED_WEB_DIR.
extern const EmbeddedFile kEmbeddedWeb[];
extern const std::size_t kEmbeddedWeb_count;

}  // namespace mw::server
