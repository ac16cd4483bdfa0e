#include "parse/html/prepass.h"

#include <array>
#include <cstddef>
#include <cstring>
#include <vector>

#include "core/ascii.h"
#include "parse/html/names.h"
#include "parse/html/tags.h"
#include "parse/html/tokenizer.h"

namespace newsd::parse {
namespace {

using html::npos;

using ascii::is_alpha;
using ascii::is_html_space;
using html::Attribute;

// `raw` lowered ASCII-wise (as the tokenizer lowers names) equals `name` (lower case).
constexpr bool name_is(std::string_view raw, std::string_view name) {
  return ascii::equals_lower(raw, name);
}

template <std::size_t N>
bool name_in(std::string_view raw, const std::array<std::string_view, N>& names) {
  for (std::string_view n : names) {
    if (name_is(raw, n)) return true;
  }
  return false;
}

// Attributes the page reader reads on any element (furniture, hidden, microdata), and those the
// HTML5 tree builder looks at (font color/face/size leave foreign content, annotation-xml
// encoding makes an integration point). Names as the tokenizer lowers them.
constexpr std::array<std::string_view, 11> kKeptEverywhere = {
    "class",   "id",    "hidden", "aria-hidden", "style",   "itemprop",
    "content", "color", "face",   "size",        "encoding"};

// Attributes the page reader reads on some elements only (by tag name, whatever the namespace, as
// the page reader matches tags), and input type (the tree builder's "hidden" input in tables).
struct KeptOn {
  std::string_view tag;
  std::string_view attribute;
};
constexpr std::array<KeptOn, 15> kKeptOn = {{{"script", "type"},
                                             {"input", "type"},
                                             {"link", "rel"},
                                             {"link", "href"},
                                             {"meta", "property"},
                                             {"meta", "name"},
                                             {"html", "lang"},
                                             {"img", "src"},
                                             {"img", "alt"},
                                             {"time", "datetime"},
                                             {"td", "colspan"},
                                             {"td", "rowspan"},
                                             {"th", "colspan"},
                                             {"th", "rowspan"},
                                             {"a", "href"}}};

// Elements the tree builder compares attribute by attribute (the "Noah's Ark" clause of the
// list of active formatting elements), and isindex, whose attributes become content: their
// tags are copied as written. Not <a>: a new <a> first takes any open one out of the list,
// so the list never holds two <a> to compare (after its last marker, where the clause
// looks).
constexpr std::array<std::string_view, 14> kVerbatimTags = {
    "b", "big",   "code",   "em",     "font", "i", "nobr",
    "s", "small", "strike", "strong", "tt",   "u", "isindex"};

// Start tags that end foreign content (or may: font), and svg/math nested in foreign
// content: not modelled.
constexpr std::array<std::string_view, 47> kForeignExits = {
    "b",   "big",  "blockquote", "body",  "br",      "center", "code",   "dd",   "div", "dl",
    "dt",  "em",   "embed",      "h1",    "h2",      "h3",     "h4",     "h5",   "h6",  "head",
    "hr",  "i",    "img",        "li",    "listing", "menu",   "meta",   "nobr", "ol",  "p",
    "pre", "ruby", "s",          "small", "span",    "strong", "strike", "sub",  "sup", "table",
    "tt",  "u",    "ul",         "var",   "font",    "svg",    "math"};
// Inside these the tree builder applies HTML rules to start tags and text again (for
// annotation-xml, depending on its encoding). Modelled only while they hold text alone.
constexpr std::array<std::string_view, 8> kIntegrationPoints = {
    "foreignobject", "desc", "title", "mi", "mo", "mn", "ms", "mtext"};
// Not modelled at all in foreign content: a foreign script's body is markup.
constexpr std::array<std::string_view, 2> kForeignUnmodelled = {"annotation-xml", "script"};

struct Tag : html::TagToken {
  bool too_many_attributes = false;
  std::size_t attribute_count = 0;
  std::array<Attribute, 32> attributes;
};

// The tag whose name starts at s[i] (after "<" or "</"), keeping its first 32 attributes;
// false when the input ends first (the tokenizer then drops the tag).
bool read_tag(std::string_view s, std::size_t i, Tag& tag) {
  tag.too_many_attributes = false;
  tag.attribute_count = 0;
  return html::read_tag(s, i, tag, [&tag](const Attribute& a) {
    if (tag.attribute_count < tag.attributes.size()) {
      tag.attributes[tag.attribute_count++] = a;
    } else {
      tag.too_many_attributes = true;
    }
  });
}

bool is_plain_name(std::string_view name) {
  for (const char c : name) {
    if (!(is_alpha(c) || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ':' || c == '.')) {
      return false;
    }
  }
  return true;
}

// The value of the first `type` attribute, as written (quotes included), or empty.
std::string_view type_value(const Tag& tag) {
  for (std::size_t k = 0; k < tag.attribute_count; ++k) {
    const Attribute& a = tag.attributes[k];
    if (!name_is(a.name, "type")) continue;
    return a.raw.substr(a.name.size());
  }
  return {};
}

// An attribute name repeated (or one with NUL, which the tokenizer makes U+FFFD, so that
// it may repeat another). gumbo (0.10.1, with max_errors 0 as the page reader parses) then
// prepends a repeated name without a value to the next attribute's name: `<p b b style=x>`
// has an attribute "bstyle". Such tags are not rewritten, and the names they really have
// are not guessed.
bool has_repeated_names(const Tag& tag) {
  for (std::size_t k = 0; k < tag.attribute_count; ++k) {
    const std::string_view name = tag.attributes[k].name;
    if (name.find('\0') != npos) return true;
    for (std::size_t j = 0; j < k; ++j) {
      if (ascii::iequals(name, tag.attributes[j].name)) return true;
    }
  }
  return false;
}

// A script whose body the page reader may read: JSON-LD, or a type we cannot read for sure
// (character references, NUL, repeated attribute names).
bool keeps_script_body(const Tag& tag) {
  if (tag.too_many_attributes || has_repeated_names(tag)) return true;
  const std::string_view v = type_value(tag);
  if (v.find('&') != npos || v.find('\0') != npos) return true;
  for (std::size_t k = 0; k + 4 <= v.size(); ++k) {
    if (name_is(v.substr(k, 4), "json")) return true;
  }
  return false;
}

class Shrinker {
 public:
  explicit Shrinker(std::string_view s) : s_(s) { out_.reserve(s.size() / 2); }

  std::string run() {
    const std::size_t n = s_.size();
    std::size_t i = 0;
    while (i < n) {
      const void* lt = std::memchr(s_.data() + i, '<', n - i);
      if (lt == nullptr) {
        cut_space_runs(i, n);
        break;
      }
      const std::size_t text = i;
      i = static_cast<std::size_t>(static_cast<const char*>(lt) - s_.data());
      cut_space_runs(text, i);
      if (i + 1 >= n) break;
      const char c = s_[i + 1];
      std::size_t next = npos;
      if (is_alpha(c)) {
        next = start_tag(i);
      } else if (c == '/') {
        next = end_tag(i);
      } else if (c == '!') {
        next = markup_declaration(i);
      } else if (c == '?') {
        next = bogus_comment(i, i + 2);
      } else {
        next = i + 1;  // a literal '<'
      }
      if (next == npos) break;  // give up: the rest as it is
      i = next;
    }
    copy_to(n);
    return std::move(out_);
  }

 private:
  void copy_to(std::size_t pos) {
    if (pos > from_) out_.append(s_.substr(from_, pos - from_));
    from_ = pos;
  }
  // Replaces s_[begin, end) by `with`.
  void replace(std::size_t begin, std::size_t end, std::string_view with) {
    copy_to(begin);
    out_.append(with);
    from_ = end;
  }

  bool in_foreign() const { return !foreign_.empty(); }

  // The text s_[begin, end), in the data state: each whitespace run cut to its first
  // character (collapse_spaces()). Whitespace-only runs stay whitespace-only, so the tree
  // builder's choices (ignored, inserted, foster-parented) stay the same.
  void cut_space_runs(std::size_t begin, std::size_t end) {
    if (keep_spaces_) return;
    std::size_t j = begin;
    while (j + 1 < end) {
      if (!is_html_space(s_[j]) || !is_html_space(s_[j + 1])) {
        ++j;
        continue;
      }
      std::size_t k = j + 2;
      while (k < end && is_html_space(s_[k])) ++k;
      replace(j + 1, k, {});
      j = k;
    }
  }

  // The start tag at s_[lt] ('<' + letter). Returns where scanning resumes, npos to give up.
  std::size_t start_tag(std::size_t lt) {
    if (!read_tag(s_, lt + 1, tag_)) return npos;
    const std::string_view name = tag_.name;
    if (in_foreign()) {
      if (in_integration_point_) return npos;  // an HTML start tag there: not modelled
      if (name_in(name, kForeignExits) || name_in(name, kForeignUnmodelled)) return npos;
      // gumbo takes a foreign element's name from its tag's text, up to C isspace() or
      // '/': plain names only, so that it is the name the tokenizer saw.
      if (!is_plain_name(name)) return npos;
      if (!tag_.self_closing) {
        if (foreign_.size() >= kMaxForeignDepth) return npos;
        foreign_.emplace_back(name);
        // Text and comments inside it change nothing for the tokenizer; its end tag is
        // handled by the foreign-content rules (below) like any other.
        in_integration_point_ = name_in(name, kIntegrationPoints);
      }
      filter_attributes(lt);
      return tag_.end;
    }
    if (in_select_) {
      // Inside <select> the tree builder ignores most start tags, raw-text ones included,
      // so the tokenizer state would need its insertion mode: only options are modelled.
      if (!name_is(name, "option") && !name_is(name, "optgroup")) return npos;
      filter_attributes(lt);
      return tag_.end;
    }
    if (name_is(name, "script")) {
      const std::size_t body = tag_.end;
      const std::size_t close = html::script_end(s_, body);
      if (close == npos) return npos;
      const bool keep_body = keeps_script_body(tag_);
      filter_attributes(lt);
      if (!keep_body) replace(body, close, {});
      return after_end_tag(close);
    }
    if (name_is(name, "style")) {
      const std::size_t body = tag_.end;
      const std::size_t close = html::raw_text_end(s_, body, "style");
      if (close == npos) return npos;
      filter_attributes(lt);
      replace(body, close, {});
      return after_end_tag(close);
    }
    for (std::string_view raw : {"title", "textarea", "xmp", "iframe", "noembed", "noframes"}) {
      // RCDATA and RAWTEXT elements the page reader may read: bodies kept, only skipped over; the
      // start tag filtered as any other (an <iframe>'s src and data-* are long and unread).
      if (name_is(name, raw)) {
        const std::size_t close = html::raw_text_end(s_, tag_.end, raw);
        if (close == npos) return npos;
        filter_attributes(lt);
        return after_end_tag(close);
      }
    }
    if (name_is(name, "plaintext") || name_is(name, "frameset")) return npos;
    // Their text keeps its lines; which text is still inside them after misnested markup is
    // the tree builder's business, so spaces are kept for the rest of the page.
    if (name_is(name, "pre") || name_is(name, "listing")) keep_spaces_ = true;
    if (name_is(name, "select")) in_select_ = true;
    if ((name_is(name, "svg") || name_is(name, "math")) && !tag_.self_closing) {
      foreign_.emplace_back(name);
    }
    filter_attributes(lt);
    return tag_.end;
  }

  // The end tag at s_[lt] ("</" + letter), already known to close the current raw text
  // element: scanning resumes after it.
  std::size_t after_end_tag(std::size_t lt) {
    if (!read_tag(s_, lt + 2, tag_)) return npos;
    return tag_.end;
  }

  std::size_t end_tag(std::size_t lt) {
    if (lt + 2 >= s_.size()) return npos;
    const char c = s_[lt + 2];
    // "</>" emits no token, and gumbo then starts the next token's original text at it;
    // gumbo matches foreign end tags by original text, so what follows is not modelled.
    if (c == '>') return npos;
    if (!is_alpha(c)) return bogus_comment(lt, lt + 2);
    if (!read_tag(s_, lt + 2, tag_)) return npos;
    if (in_foreign()) {
      // Only the end tag of the current node is modelled (it pops just that node), and only
      // written plainly: gumbo compares the text between "</" and ">" with the node's name.
      if (tag_.end != lt + 3 + tag_.name.size()) return npos;
      if (!ascii::iequals(tag_.name, foreign_.back())) return npos;
      foreign_.pop_back();
      in_integration_point_ = false;
    } else if (in_select_) {
      if (name_is(tag_.name, "select")) {
        in_select_ = false;
      } else if (!name_is(tag_.name, "option") && !name_is(tag_.name, "optgroup")) {
        return npos;
      }
    }
    return tag_.end;
  }

  // "<!": a comment, a DOCTYPE, CDATA, or a bogus comment.
  std::size_t markup_declaration(std::size_t lt) {
    const std::string_view rest = s_.substr(lt);
    if (rest.starts_with("<!--")) {
      // Comment states: "-->" ends it, also right after "<!--" ("<!-->", "<!--->"). "--!>"
      // also ends a comment: not modelled.
      const html::Comment comment = html::read_comment(s_, lt);
      if (comment.end == npos || comment.bang) return npos;
      const std::size_t end = comment.end;
      if (end - lt > 7) replace(lt, end, "<!---->");
      return end;
    }
    if (in_foreign() && rest.starts_with("<![CDATA[")) return npos;
    // DOCTYPE (a '>' ends it even inside a quoted identifier) or a bogus comment.
    return bogus_comment(lt, lt + 2);
  }

  // A bogus comment (or DOCTYPE) runs to the first '>'.
  std::size_t bogus_comment(std::size_t, std::size_t from) {
    const std::size_t gt = s_.find('>', from);
    return gt == npos ? npos : gt + 1;
  }

  // Rewrites the start tag just read (at s_[lt]) without the attributes nobody reads, and
  // class and id values without the names that tell the page reader nothing (telling_names()).
  void filter_attributes(std::size_t lt) {
    if (tag_.attribute_count == 0 || tag_.too_many_attributes) return;
    if (name_in(tag_.name, kVerbatimTags) || has_repeated_names(tag_)) return;
    // A second <html> or <body> adds the attributes the first one lacks: a class cut away
    // there would let a later one in.
    const bool cut_names = !name_is(tag_.name, "html") && !name_is(tag_.name, "body");
    bool changed = false;
    tag_text_.assign(1, '<');
    tag_text_.append(tag_.name);
    for (std::size_t k = 0; k < tag_.attribute_count; ++k) {
      const Attribute& a = tag_.attributes[k];
      if (!is_kept(a.name)) {
        changed = true;
        continue;
      }
      if (cut_names && (name_is(a.name, "class") || name_is(a.name, "id")) && telling_names(a)) {
        changed = true;
        continue;
      }
      tag_text_.push_back(' ');
      tag_text_.append(a.raw);
    }
    if (!changed) return;
    // The space keeps a '/' out of an unquoted value before it.
    tag_text_.append(tag_.self_closing ? " />" : ">");
    copy_to(lt);
    out_.append(tag_text_);
    from_ = tag_.end;
  }

  // A class or id attribute with only the names in its value that name_signal() finds
  // something in, appended to tag_text_ (nothing at all when there are none); false, with
  // nothing appended, when the value stays as written: every name in it tells something, or
  // character references or NUL in it would make its names others than written.
  bool telling_names(const Attribute& a) {
    const std::string_view v = a.value;
    if (a.quote == 0 || v.find('&') != npos || v.find('\0') != npos) return false;
    const std::size_t mark = tag_text_.size();
    bool dropped = false;
    bool first = true;
    std::size_t i = 0;
    while (i < v.size()) {
      if (is_html_space(v[i])) {
        ++i;
        continue;
      }
      std::size_t end = i;
      while (end < v.size() && !is_html_space(v[end])) ++end;
      const std::string_view name = v.substr(i, end - i);
      i = end;
      if (!name_signal(name).any()) {
        dropped = true;
        continue;
      }
      if (first) {
        tag_text_.push_back(' ');
        tag_text_.append(a.name);
        tag_text_.push_back('=');
        tag_text_.push_back(a.quote);
        first = false;
      } else {
        tag_text_.push_back(' ');
      }
      tag_text_.append(name);
    }
    if (!dropped) {
      tag_text_.resize(mark);
      return false;
    }
    if (!first) tag_text_.push_back(a.quote);
    return true;
  }

  // In foreign content gumbo drops the prefix of xlink:href, xml:lang, ... (so the page reader
  // would read xlink:href as href): prefixed names are kept everywhere. <image> is
  // renamed <img> by the tree builder.
  bool is_kept(std::string_view name) const {
    if (name_in(name, kKeptEverywhere) || name.find(':') != npos) return true;
    for (const KeptOn& k : kKeptOn) {
      if (name_is(name, k.attribute) && name_is(tag_.name, k.tag)) return true;
    }
    return name_is(tag_.name, "image") && (name_is(name, "src") || name_is(name, "alt"));
  }

  static constexpr std::size_t kMaxForeignDepth = 256;

  std::string_view s_;
  std::string out_;
  std::size_t from_ = 0;  // s_[from_, ...) is not yet in out_
  Tag tag_;
  std::string tag_text_;  // a rewritten start tag
  bool in_select_ = false;
  bool keep_spaces_ = false;               // a <pre> or <listing> has started
  bool in_integration_point_ = false;      // the current node is one (kIntegrationPoints)
  std::vector<std::string_view> foreign_;  // open SVG/MathML elements, names as written
};

}  // namespace

std::string shrink_html(std::string_view html) {
  return Shrinker(html).run();
}

std::string collapse_spaces(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_html_space(text[i]) && i > 0 && is_html_space(text[i - 1])) continue;
    out.push_back(text[i]);
  }
  return out;
}

bool is_preformatted(const GumboNode* node) {
  return node->type == GUMBO_NODE_ELEMENT &&
         node->v.element.tag_namespace == GUMBO_NAMESPACE_HTML &&
         html::has(node->v.element.tag, html::kPreformatted);
}

}  // namespace newsd::parse
