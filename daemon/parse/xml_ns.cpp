#include "parse/xml_ns.h"

namespace newsd::parse::xml {
namespace {

bool is(NsResolver& scope, pugi::xml_node n, NsSet ns, std::string_view local) {
  if (n.type() != pugi::node_element || local_name(n) != local) return false;
  const std::string_view uri = scope.uri(n);
  return std::find(ns.begin(), ns.end(), uri) != ns.end();
}

}  // namespace

std::string_view NsResolver::uri(pugi::xml_node n) {
  const std::string_view name = n.name();
  const auto colon = name.find(':');
  // "xmlns" or "xmlns:<prefix>"; prefixes longer than the buffer are looked up as written.
  char attr[64] = "xmlns";
  std::size_t len = 5;
  if (colon != std::string_view::npos) {
    if (colon + 7 > sizeof attr) return {};
    attr[len++] = ':';
    name.copy(attr + len, colon);
    len += colon;
  }
  attr[len] = '\0';
  const std::string_view prefix =
      colon == std::string_view::npos ? std::string_view{} : name.substr(0, colon);
  if (n.first_attribute()) {
    if (const pugi::xml_attribute a = n.attribute(attr)) return a.value();
  }
  const pugi::xml_node parent = n.parent();
  if (parent != parent_) {
    parent_ = parent;
    cache_.clear();
  }
  for (const auto& [pre, uri] : cache_) {
    if (pre == prefix) return uri;
  }
  const std::string_view uri = lookup(parent, attr, colon != std::string_view::npos, prefix);
  cache_.emplace_back(prefix, uri);
  return uri;
}

std::string_view NsResolver::lookup(pugi::xml_node from, const char* attr, bool prefixed,
                                    std::string_view prefix) {
  for (pugi::xml_node p = from; p; p = p.parent()) {
    if (const pugi::xml_attribute a = p.attribute(attr)) return a.value();
  }
  if (!prefixed) return {};
  for (const auto& [pre, uri] : kConventionalPrefixes) {
    if (pre == prefix) return uri;
  }
  return {};
}

pugi::xml_node child(NsResolver& scope, pugi::xml_node parent, NsSet ns, std::string_view local) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (is(scope, c, ns, local)) return c;
  }
  return {};
}

std::vector<pugi::xml_node> children(NsResolver& scope, pugi::xml_node parent, NsSet ns,
                                     std::string_view local) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (is(scope, c, ns, local)) out.push_back(c);
  }
  return out;
}

}  // namespace newsd::parse::xml
