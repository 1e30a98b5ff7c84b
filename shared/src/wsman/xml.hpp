// Internal XML helpers of shared/wsman on top of pugixml: bounded loading, namespace resolution
// (pugixml keeps prefixes only, so names are resolved through the in-scope xmlns declarations),
// text access, and a small writer that validates names and values before they reach the tree.
#pragma once

#include <pugixml.hpp>

#include <string>
#include <string_view>

#include "mw/util/result.hpp"
#include "mw/wsman/envelope.hpp"

namespace mw::wsman::xml {

inline std::string_view view(const pugi::char_t* s) { return s ? std::string_view(s) : std::string_view(); }

// "p:Local" -> "Local"; "Local" -> "Local".
inline std::string_view local_part(std::string_view qname) {
  const auto colon = qname.find(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}
inline std::string_view prefix_part(std::string_view qname) {
  const auto colon = qname.find(':');
  return colon == std::string_view::npos ? std::string_view() : qname.substr(0, colon);
}
inline std::string_view local_name(pugi::xml_node n) { return local_part(view(n.name())); }

// The namespace bound to `prefix` where `scope` is (empty prefix: the default namespace).
std::string_view resolve_prefix(pugi::xml_node scope, std::string_view prefix);
// The namespace of an element, and of an attribute of `owner` (unprefixed attributes have none).
inline std::string_view ns_of(pugi::xml_node n) { return resolve_prefix(n, prefix_part(view(n.name()))); }
std::string_view attribute_ns(pugi::xml_node owner, pugi::xml_attribute a);

inline bool is(pugi::xml_node n, std::string_view ns, std::string_view local) {
  return n.type() == pugi::node_element && local_name(n) == local && ns_of(n) == ns;
}
// First element child with that namespace and local name (null node when none).
pugi::xml_node child(pugi::xml_node parent, std::string_view ns, std::string_view local);
pugi::xml_node first_element(pugi::xml_node parent);
bool has_element_children(pugi::xml_node n);

// Concatenated character data (text and CDATA) directly inside the element.
std::string text(pugi::xml_node n);
// Same, without leading/trailing XML whitespace (for URIs, IDs and numbers).
std::string trimmed_text(pugi::xml_node n);
std::string_view trim(std::string_view s);

// Parses with size, node-count and depth caps. Errors: "wsman-too-large", "wsman-xml".
std::optional<Error> load(pugi::xml_document& doc, std::string_view text, const Limits& limits);

// [SECTION] Writing

bool valid_ncname(std::string_view name);
// XML 1.0 cannot carry C0 controls other than tab, LF and CR, even escaped.
bool valid_text(std::string_view value);

// Builds a tree; the first invalid name or value is remembered and reported by finish().
class Writer {
 public:
  Writer();
  pugi::xml_node root() { return doc_; }
  // Appends <prefix:local>; local is validated, prefix is ours (trusted).
  pugi::xml_node element(pugi::xml_node parent, std::string_view prefix, std::string_view local);
  pugi::xml_node element(pugi::xml_node parent, std::string_view prefix, std::string_view local,
                         std::string_view text);
  void set_text(pugi::xml_node n, std::string_view text);
  void attribute(pugi::xml_node n, std::string_view name, std::string_view value);
  // Serialises: one element per line, empty elements as "<x />" (what MeshCentral's parser needs).
  Result<std::string> finish();
  void fail(std::string code, std::string message);

 private:
  pugi::xml_document doc_;
  std::optional<Error> error_;
};

}  // namespace mw::wsman::xml
