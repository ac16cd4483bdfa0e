// HTML -> plain text for body_text and summaries.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

struct GumboInternalNode;  // gumbo's GumboNode

namespace newsd::parse {

// The readable text of an HTML fragment or document: entities decoded, no tags, no
// script/style/template/head content; block elements (p, div, br, li, h1-h6, ...) become
// paragraph breaks; whitespace inside a paragraph collapses to one space; paragraphs are
// trimmed, empty ones dropped, and joined by a single '\n'; the result is NFC. Any bytes
// are accepted.
std::string html_to_text(std::string_view html);

// Gumbo's tree construction costs O(tags x open-element depth), so a hostile document of
// 10^5 nested elements would take minutes. Deeper documents than this get a linear tag
// stripper instead of gumbo (and article pages an error).
inline constexpr std::size_t kMaxHtmlDepth = 512;
// An upper bound of the element nesting depth, without parsing (linear).
std::size_t html_depth_estimate(std::string_view html);

// The two ways html_to_text() goes, apart so that tests can hold them to the same answers:
// one pass over a simple fragment (fast_text.cpp; nullopt when the fragment needs a full
// HTML5 parse), and gumbo's tree. Both take valid UTF-8 no deeper than kMaxHtmlDepth.
std::optional<std::string> simple_html_to_text(std::string_view html);
std::string gumbo_html_to_text(std::string_view html);

// The same extraction for one node of a document gumbo has already parsed.
std::string gumbo_node_text(const GumboInternalNode* node);

// True when `s` looks like it carries HTML markup or entities worth decoding.
bool looks_like_html(std::string_view s);

}  // namespace newsd::parse
