// The default build embeds no app files: the server reads them from its web root folder.
#include "embedded_web.hpp"

namespace mw::server {
const EmbeddedFile kEmbeddedWeb[] = {{nullptr, nullptr, 0}};
const std::size_t kEmbeddedWeb_count = 0;
}  // namespace mw::server
