// A canonical dump of gumbo's tree of a document, for tests that hold the HTML pre-pass
// (html/prepass.h) to "gumbo builds the same tree, as far as the page reader reads it": every node
// in order with its type, tag, namespace and text; the attributes the page reader reads; comments
// without their text; script bodies only when their type names JSON, style bodies not at
// all (the pre-pass removes both). Shared by the unit test and the html fuzzer.
#pragma once

#include <gumbo.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "parse/html/names.h"
#include "parse/html/prepass.h"

namespace newsd::parse::testing {

inline void dump_gumbo_node(const GumboNode* root, std::string& out) {
  // What the page reader reads: on every element, and on some tags (matched by tag, whatever the
  // namespace, as the page reader does).
  // class and id only as far as the page reader reads them: what name_signal() finds in them.
  static constexpr std::array<const char*, 5> kReadEverywhere = {"hidden", "aria-hidden", "style",
                                                                 "itemprop", "content"};
  const auto read_on = [](GumboTag tag) -> std::vector<const char*> {
    switch (tag) {
      case GUMBO_TAG_SCRIPT:
        return {"type"};
      case GUMBO_TAG_LINK:
        return {"rel", "href"};
      case GUMBO_TAG_META:
        return {"property", "name"};
      case GUMBO_TAG_HTML:
        return {"lang", "xml:lang"};
      case GUMBO_TAG_IMG:
        return {"src", "alt"};
      case GUMBO_TAG_TIME:
        return {"datetime"};
      case GUMBO_TAG_TD:
      case GUMBO_TAG_TH:
        return {"colspan", "rowspan"};
      case GUMBO_TAG_A:
        return {"href"};
      default:
        return {};
    }
  };
  struct Frame {
    const GumboNode* node;
    int depth;
    int preformatted;  // preformatted elements among the node's ancestors
  };
  std::vector<Frame> stack{{root, 0, 0}};
  while (!stack.empty()) {
    const auto [n, depth, preformatted] = stack.back();
    stack.pop_back();
    out.append(static_cast<std::size_t>(depth), ' ');
    const GumboVector* kids = nullptr;
    bool skip_text = false;
    switch (n->type) {
      case GUMBO_NODE_DOCUMENT: {
        const GumboDocument& d = n->v.document;
        out += "#document ";
        out += d.has_doctype ? "doctype " : "no-doctype ";
        out += d.name;
        out += '|';
        out += d.public_identifier;
        out += '|';
        out += d.system_identifier;
        out += " quirks=" + std::to_string(d.doc_type_quirks_mode);
        kids = &d.children;
        break;
      }
      case GUMBO_NODE_ELEMENT:
      case GUMBO_NODE_TEMPLATE: {
        const GumboElement& e = n->v.element;
        out += n->type == GUMBO_NODE_TEMPLATE ? "<template " : "<";
        if (e.tag == GUMBO_TAG_UNKNOWN) {
          // The name from the tag as written (gumbo starts original_tag early after "</>").
          std::string_view raw(e.original_tag.data, e.original_tag.length);
          while (raw.starts_with("</>")) raw.remove_prefix(3);
          if (raw.starts_with('<')) raw.remove_prefix(1);
          std::string name;
          for (const char c : raw) {
            if (c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == '/' ||
                c == '>') {
              break;
            }
            name.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
          }
          out += "?" + name;
        } else {
          out += gumbo_normalized_tagname(e.tag);
        }
        out += " ns=" + std::to_string(e.tag_namespace);
        std::vector<const char*> names(kReadEverywhere.begin(), kReadEverywhere.end());
        for (const char* a : read_on(e.tag)) names.push_back(a);
        for (const char* a : names) {
          if (const GumboAttribute* attr = gumbo_get_attribute(&e.attributes, a)) {
            out += ' ';
            out += a;
            out += "=\"";
            out += attr->value;
            out += '"';
          }
        }
        {
          NameSignal sig;
          for (const char* name : {"class", "id"}) {
            if (const GumboAttribute* attr = gumbo_get_attribute(&e.attributes, name)) {
              sig |= name_signal(attr->value);
            }
          }
          if (sig.any()) {
            out += " names=";
            out += sig.negative ? "-" : "";
            out += sig.positive ? "+" : "";
            out += sig.keep ? "k" : "";
          }
        }
        out += '>';
        if (e.tag_namespace == GUMBO_NAMESPACE_HTML) {
          if (e.tag == GUMBO_TAG_STYLE) skip_text = true;
          if (e.tag == GUMBO_TAG_SCRIPT) {
            const GumboAttribute* type = gumbo_get_attribute(&e.attributes, "type");
            std::string t = type != nullptr ? type->value : "";
            for (char& c : t) {
              if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            }
            skip_text = t.find("json") == std::string::npos;
          }
        }
        kids = &e.children;
        break;
      }
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_CDATA:
      case GUMBO_NODE_WHITESPACE:
        out += n->type == GUMBO_NODE_TEXT    ? "text \""
               : n->type == GUMBO_NODE_CDATA ? "cdata \""
                                             : "ws \"";
        // Outside preformatted elements the page reader reads text with its whitespace runs cut
        // (collapse_spaces()), as the pre-pass may have cut them.
        out += preformatted > 0 ? std::string(n->v.text.text) : collapse_spaces(n->v.text.text);
        out += '"';
        break;
      case GUMBO_NODE_COMMENT:
        out += "comment";
        break;
    }
    out += '\n';
    if (kids == nullptr) continue;
    for (unsigned k = kids->length; k > 0; --k) {
      const auto* c = static_cast<const GumboNode*>(kids->data[k - 1]);
      if (skip_text && c->type != GUMBO_NODE_ELEMENT) continue;
      stack.push_back({c, depth + 1, preformatted + (is_preformatted(n) ? 1 : 0)});
    }
  }
}

inline std::string gumbo_tree(std::string_view html) {
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 0;
  std::unique_ptr<GumboOutput, void (*)(GumboOutput*)> output(
      gumbo_parse_with_options(&options, html.data(), html.size()),
      [](GumboOutput* o) { gumbo_destroy_output(&kGumboDefaultOptions, o); });
  std::string out;
  dump_gumbo_node(output->document, out);
  return out;
}

}  // namespace newsd::parse::testing
