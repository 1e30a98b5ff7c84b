// Internal XML helpers of shared/wsman: bounded pugixml loading, namespace resolution by walking
// the in-scope xmlns declarations, text access, and a validating tree writer.
#include "xml.hpp"

#include <string>

namespace mw::wsman::xml {
namespace {

constexpr std::string_view kNsXml = "http://www.w3.org/XML/1998/namespace";

bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Counts nodes and checks depth without recursion (pugixml's walker is iterative).
class Counter : public pugi::xml_tree_walker {
 public:
  explicit Counter(const Limits& limits) : limits_(limits) {}
  bool for_each(pugi::xml_node& node) override {
    ++nodes_;
    for (auto a = node.first_attribute(); a; a = a.next_attribute()) ++nodes_;
    if (nodes_ > limits_.max_nodes) {
      error_ = "more than " + std::to_string(limits_.max_nodes) + " XML nodes";
      return false;
    }
    if (static_cast<std::size_t>(depth()) >= limits_.max_depth) {
      error_ = "XML nested deeper than " + std::to_string(limits_.max_depth);
      return false;
    }
    return true;
  }
  const std::string& error() const { return error_; }

 private:
  const Limits& limits_;
  std::size_t nodes_ = 0;
  std::string error_;
};

struct StringWriter : pugi::xml_writer {
  std::string out;
  void write(const void* data, std::size_t size) override {
    out.append(static_cast<const char*>(data), size);
  }
};

bool name_start(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
}
bool name_char(unsigned char c) {
  return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

}  // namespace

std::string_view resolve_prefix(pugi::xml_node scope, std::string_view prefix) {
  if (prefix == "xml") return kNsXml;
  for (pugi::xml_node n = scope; n && n.type() == pugi::node_element; n = n.parent()) {
    for (auto a = n.first_attribute(); a; a = a.next_attribute()) {
      const std::string_view name = view(a.name());
      if (name.size() < 5 || name.substr(0, 5) != "xmlns") continue;
      if (prefix.empty() ? name.size() == 5
                         : (name.size() == 6 + prefix.size() && name[5] == ':' && name.substr(6) == prefix))
        return view(a.value());
    }
  }
  return {};
}

std::string_view attribute_ns(pugi::xml_node owner, pugi::xml_attribute a) {
  const std::string_view p = prefix_part(view(a.name()));
  return p.empty() ? std::string_view() : resolve_prefix(owner, p);
}

pugi::xml_node child(pugi::xml_node parent, std::string_view ns, std::string_view local) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling())
    if (is(c, ns, local)) return c;
  return {};
}

pugi::xml_node first_element(pugi::xml_node parent) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element) return c;
  return {};
}

bool has_element_children(pugi::xml_node n) { return static_cast<bool>(first_element(n)); }

std::string text(pugi::xml_node n) {
  pugi::xml_node c = n.first_child();
  // The usual case: one text node.
  if (c && !c.next_sibling() && (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata))
    return std::string(view(c.value()));
  std::string out;
  for (; c; c = c.next_sibling())
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += view(c.value());
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_xml_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_xml_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string trimmed_text(pugi::xml_node n) { return std::string(trim(text(n))); }

std::optional<Error> load(pugi::xml_document& doc, std::string_view input, const Limits& limits) {
  if (input.size() > limits.max_envelope_bytes)
    return make_error("wsman-too-large", "envelope of " + std::to_string(input.size()) +
                                             " bytes exceeds " + std::to_string(limits.max_envelope_bytes));
  const pugi::xml_parse_result r =
      doc.load_buffer(input.data(), input.size(), pugi::parse_default | pugi::parse_ws_pcdata_single,
                     pugi::encoding_utf8);
  if (!r) {
    return make_error("wsman-xml", std::string("XML: ") + r.description() + " at byte " +
                                       std::to_string(r.offset));
  }
  Counter counter(limits);
  if (!doc.traverse(counter)) return make_error("wsman-too-large", counter.error());
  return std::nullopt;
}

bool valid_ncname(std::string_view name) {
  if (name.empty() || !name_start(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!name_char(static_cast<unsigned char>(c))) return false;
  return true;
}

bool valid_text(std::string_view value) {
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
  }
  return true;
}

Writer::Writer() {
  pugi::xml_node decl = doc_.append_child(pugi::node_declaration);
  decl.append_attribute("version").set_value("1.0");
  decl.append_attribute("encoding").set_value("UTF-8");
}

pugi::xml_node Writer::element(pugi::xml_node parent, std::string_view prefix, std::string_view local) {
  if (!valid_ncname(local)) {
    fail("wsman-bad-name", "'" + std::string(local.substr(0, 64)) + "' is not an XML name");
    return parent.append_child("invalid");
  }
  std::string qname;
  qname.reserve(prefix.size() + 1 + local.size());
  if (!prefix.empty()) qname.append(prefix).push_back(':');
  qname.append(local);
  pugi::xml_node n = parent.append_child(pugi::node_element);
  n.set_name(qname.c_str());
  return n;
}

pugi::xml_node Writer::element(pugi::xml_node parent, std::string_view prefix, std::string_view local,
                               std::string_view value) {
  pugi::xml_node n = element(parent, prefix, local);
  set_text(n, value);
  return n;
}

void Writer::set_text(pugi::xml_node n, std::string_view value) {
  if (value.empty()) return;
  if (!valid_text(value)) {
    fail("wsman-bad-char", "a value holds a control character XML cannot carry");
    return;
  }
  n.text().set(value.data(), value.size());
}

void Writer::attribute(pugi::xml_node n, std::string_view name, std::string_view value) {
  if (!valid_text(value)) {
    fail("wsman-bad-char", "an attribute holds a control character XML cannot carry");
    return;
  }
  n.append_attribute(std::string(name).c_str()).set_value(value.data(), value.size());
}

void Writer::fail(std::string code, std::string message) {
  if (!error_) error_ = make_error(std::move(code), std::move(message));
}

Result<std::string> Writer::finish() {
  if (error_) return *error_;
  StringWriter w;
  doc_.save(w, "", pugi::format_indent, pugi::encoding_utf8);
  return std::move(w.out);
}

}  // namespace mw::wsman::xml
