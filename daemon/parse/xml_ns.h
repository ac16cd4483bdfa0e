// Element lookup by namespace for pugixml, which has none: names are matched on their local
// part and the namespace URI their prefix is bound to (xmlns attributes in scope, else the
// prefix's conventional URI). Used by the XML feed readers (feed_xml.cpp, atom.cpp, rss.cpp).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <pugixml.hpp>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace newsd::parse::xml {

inline constexpr std::array<std::string_view, 3> kAtomNs = {"http://www.w3.org/2005/Atom",
                                                            "http://purl.org/atom/ns#", ""};
inline constexpr std::array<std::string_view, 4> kRssNs = {"", "http://purl.org/rss/1.0/",
                                                           "http://my.netscape.com/rdf/simple/0.9/",
                                                           "http://backend.userland.com/rss2"};
inline constexpr std::array<std::string_view, 1> kDcNs = {"http://purl.org/dc/elements/1.1/"};
inline constexpr std::array<std::string_view, 1> kContentNs = {
    "http://purl.org/rss/1.0/modules/content/"};
inline constexpr std::array<std::string_view, 1> kDcTermsNs = {"http://purl.org/dc/terms/"};
inline constexpr std::array<std::string_view, 1> kSyNs = {
    "http://purl.org/rss/1.0/modules/syndication/"};
inline constexpr std::array<std::string_view, 1> kAtom10Ns = {"http://www.w3.org/2005/Atom"};

// Prefixes that feeds use without declaring them (pugixml does not mind): read with their
// conventional meaning rather than dropping the element.
inline constexpr std::array<std::pair<std::string_view, std::string_view>, 6>
    kConventionalPrefixes = {{
        {"dc", kDcNs[0]},
        {"content", kContentNs[0]},
        {"dcterms", kDcTermsNs[0]},
        {"sy", kSyNs[0]},
        {"atom", kAtom10Ns[0]},
        {"rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"},
    }};

using NsSet = std::span<const std::string_view>;

inline std::string_view local_name(pugi::xml_node n) {
  const std::string_view name = n.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// The namespace URI bound to the node's prefix in scope; for an unbound prefix its
// conventional URI (kConventionalPrefixes) or "". The answers for a parent's scope are kept
// while its children are looked at: an item's dozen children share one lookup per prefix
// instead of each walking up to the root, attribute by attribute.
class NsResolver {
 public:
  std::string_view uri(pugi::xml_node n);

 private:
  static std::string_view lookup(pugi::xml_node from, const char* attr, bool prefixed,
                                 std::string_view prefix);

  pugi::xml_node parent_;
  std::vector<std::pair<std::string_view, std::string_view>> cache_;  // prefix -> URI
};

// The first child element of `parent` named `local` in one of the namespaces `ns`: null if
// none.
pugi::xml_node child(NsResolver& scope, pugi::xml_node parent, NsSet ns, std::string_view local);
// Every such child element of `parent`, in document order.
std::vector<pugi::xml_node> children(NsResolver& scope, pugi::xml_node parent, NsSet ns,
                                     std::string_view local);

// A child element a parser reads: its namespaces and local name; `repeated` ones are all
// kept, the others only the first.
struct ChildSpec {
  NsSet ns;
  std::string_view local;
  bool repeated = false;
};

template <std::size_t N>
struct ChildNodes {
  std::array<pugi::xml_node, N> first{};
  std::array<std::vector<pugi::xml_node>, N> all{};  // for repeated specs, in document order
};

// The children of `parent` matching `specs`, in one pass: the same nodes as child() /
// children() per spec, without walking the children (and their namespaces) once per field.
template <std::size_t N>
ChildNodes<N> collect_children(NsResolver& scope, pugi::xml_node parent,
                               const std::array<ChildSpec, N>& specs) {
  ChildNodes<N> out;
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const std::string_view local = local_name(c);
    std::optional<std::string_view> uri;  // resolved once, when some spec wants the name
    for (std::size_t i = 0; i < N; ++i) {
      const ChildSpec& spec = specs[i];
      if (spec.local != local || (!spec.repeated && out.first[i])) continue;
      if (!uri) uri = scope.uri(c);
      if (std::find(spec.ns.begin(), spec.ns.end(), *uri) == spec.ns.end()) continue;
      if (spec.repeated) {
        out.all[i].push_back(c);
      } else {
        out.first[i] = c;
      }
    }
  }
  return out;
}

}  // namespace newsd::parse::xml
