#include "config/opml.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <pugixml.hpp>
#include <set>
#include <sstream>

#include "core/ascii.h"
#include "core/transliterator.h"

namespace newsd::config {
namespace {

// Offsets in the parsed buffer -> 1-based line and column; lines end in LF, CRLF or CR.
class Lines {
 public:
  explicit Lines(std::string_view text) {
    starts_.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')))
        starts_.push_back(i + 1);
    }
  }
  Location at(const std::string& file, std::ptrdiff_t offset) const {
    if (offset < 0) return {file, 0, 0};
    const auto it = std::upper_bound(starts_.begin(), starts_.end(), std::size_t(offset));
    const auto line = static_cast<int>(it - starts_.begin());
    return {file, line, static_cast<int>(std::size_t(offset) - *(it - 1)) + 1};
  }

 private:
  std::vector<std::size_t> starts_;
};

// The declared encoding, lower-cased, from an XML declaration at the start; empty if none.
std::string declared_encoding(std::string_view text) {
  if (!text.starts_with("<?xml")) return {};
  const std::string_view decl = text.substr(0, text.find("?>"));
  const auto at = decl.find("encoding");
  if (at == std::string_view::npos) return {};
  const auto quote = decl.find_first_of("\"'", at);
  if (quote == std::string_view::npos) return {};
  const auto end = decl.find(decl[quote], quote + 1);
  if (end == std::string_view::npos) return {};
  std::string enc(decl.substr(quote + 1, end - quote - 1));
  for (char& c : enc) c = ascii::to_lower(c);
  return enc;
}

// The document as UTF-8: a BOM is dropped; Latin-1 (and windows-1252, read as Latin-1) is
// converted here rather than by pugixml, so offsets, and so line numbers, are the buffer's.
std::string to_utf8(std::string_view bytes) {
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
  const std::string enc = declared_encoding(bytes);
  if (enc != "iso-8859-1" && enc != "latin1" && enc != "latin-1" && enc != "windows-1252" &&
      enc != "cp1252" && enc != "iso-8859-15")
    return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out += ch;
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

// An attribute by name, ignoring case (exports write xmlUrl, xmlurl, XMLURL).
pugi::xml_attribute attribute(pugi::xml_node n, std::string_view name) {
  for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
    if (ascii::iequals(a.name(), name)) return a;
  }
  return {};
}

std::string trimmed(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1));
}

std::string label(pugi::xml_node outline) {
  std::string text = trimmed(attribute(outline, "text").value());
  return text.empty() ? trimmed(attribute(outline, "title").value()) : text;
}

bool is_http(std::string_view url) {
  return url.starts_with("http://") || url.starts_with("https://");
}

std::string encode_url(std::string_view url) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : url) {
    const auto c = static_cast<unsigned char>(ch);
    // Octets RFC 3986 does not allow in a URI; `{` also keeps `${` from reading as a
    // reference to the environment when the YAML is loaded.
    if (c >= 0x80 || c <= 0x20 || c == 0x7F ||
        std::string_view("\"<>\\^`{|}").find(ch) != std::string_view::npos) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += ch;
    }
  }
  return out;
}

std::string host_of(std::string_view url) {
  url.remove_prefix(url.find("://") + 3);
  return std::string(url.substr(0, url.find_first_of("/?#:")));
}

std::string format_of(pugi::xml_node outline) {
  std::string type = trimmed(attribute(outline, "type").value());
  for (char& c : type) c = ascii::to_lower(c);
  if (type == "atom" || type == "rdf" || type == "jsonfeed") return type;
  if (type == "json") return "jsonfeed";
  return "auto";
}

// The last segment of the first path in a `category` attribute ("/Tech/News,/x" -> "News").
std::string category_attribute(pugi::xml_node outline) {
  std::string_view v = attribute(outline, "category").value();
  v = v.substr(0, v.find(','));
  while (!v.empty() && (v.back() == '/' || v.back() == ' ')) v.remove_suffix(1);
  const auto slash = v.rfind('/');
  return trimmed(slash == std::string_view::npos ? v : v.substr(slash + 1));
}

// Where an element starts: its '<' (pugixml gives the offset of its name).
Location element_at(const Lines& lines, const std::string& file, pugi::xml_node n) {
  const std::ptrdiff_t name = n.offset_debug();
  return lines.at(file, name > 0 ? name - 1 : name);
}

struct Walk {
  const std::string& file;
  const Lines& lines;
  OpmlImport out;
  std::set<std::string> names;
  std::set<std::string> urls;

  Location where(pugi::xml_node n) const { return element_at(lines, file, n); }

  void skip(pugi::xml_node n, const std::string& why) {
    out.skipped.push_back({where(n), "outline '" + label(n) + "'", why});
  }

  std::string unique_name(std::string base) {
    if (base.empty()) base = "feed";
    std::string name = base;
    for (int k = 2; !names.insert(name).second; ++k) name = base + "-" + std::to_string(k);
    return name;
  }

  void outline(pugi::xml_node n, const std::string& folder) {
    const pugi::xml_attribute xml_url = attribute(n, "xmlUrl");
    if (!xml_url) {
      const std::string type = trimmed(attribute(n, "type").value());
      if (ascii::iequals(type, "link") || ascii::iequals(type, "include")) {
        skip(n, "an included list (type=\"" + type + "\"): import that file on its own");
        return;
      }
      // A folder: its name is the category of what it holds.
      const std::string name = label(n);
      children(n, name.empty() ? folder : name);
      return;
    }
    const std::string url = encode_url(trimmed(xml_url.value()));
    if (ascii::iequals(trimmed(attribute(n, "type").value()), "source")) {
      skip(n, "a subscription list (type=\"source\"): import that file on its own");
    } else if (!is_http(url)) {
      skip(n, "xmlUrl '" + url + "' is not an http:// or https:// URL");
    } else if (!urls.insert(url).second) {
      skip(n, "xmlUrl " + url + " is already imported");
    } else {
      Source s;
      std::string base = ascii_slug(label(n));
      s.name = unique_name(base.empty() ? ascii_slug(host_of(url)) : base);
      s.url = url;
      s.format = format_of(n);
      std::string category = ascii_slug(folder.empty() ? category_attribute(n) : folder);
      if (!category.empty()) s.category = std::move(category);
      s.where = where(n);
      out.sources.push_back(std::move(s));
    }
    children(n, folder);  // some exports nest feeds under feeds
  }

  void children(pugi::xml_node n, const std::string& folder) {
    for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
      if (c.type() == pugi::node_element && ascii::iequals(c.name(), "outline")) outline(c, folder);
    }
  }
};

// Outlines nest; a hostile file may nest them deeper than the stack allows.
constexpr int kMaxDepth = 256;

int depth(pugi::xml_node n) {
  int deepest = 0;
  std::vector<std::pair<pugi::xml_node, int>> stack{{n, 0}};
  while (!stack.empty()) {
    auto [node, d] = stack.back();
    stack.pop_back();
    deepest = std::max(deepest, d);
    for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling())
      if (c.type() == pugi::node_element) stack.emplace_back(c, d + 1);
  }
  return deepest;
}

// pugixml keeps an undeclared entity reference (`&eacute;`, from HTML) as text where XML
// calls it a fatal error; so does the entity an internal DTD declares, which pugixml does not
// expand. Either is reported here. Returns the offset of the first, or npos.
std::size_t undeclared_entity(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 4, "<!--") == 0) {
      i = text.find("-->", i);
    } else if (text.compare(i, 9, "<![CDATA[") == 0) {
      i = text.find("]]>", i);
    } else if (text[i] == '&') {
      const std::size_t semi = text.find(';', i);
      if (semi == std::string_view::npos || semi - i > 40) continue;  // pugixml's error, if any
      const std::string_view name = text.substr(i + 1, semi - i - 1);
      if (name.empty() || name[0] == '#' || name == "amp" || name == "lt" || name == "gt" ||
          name == "quot" || name == "apos")
        continue;
      if (std::all_of(name.begin(), name.end(), [](char c) {
            return ascii::is_alnum(c) || c == '_' || c == '-' || c == '.' || c == ':' ||
                   static_cast<unsigned char>(c) >= 0x80;
          }))
        return i;
    }
    if (i == std::string_view::npos) break;
  }
  return std::string_view::npos;
}

[[noreturn]] void fail(const Location& where, const std::string& message) {
  throw ConfigErrors({{where, "opml", message}});
}

}  // namespace

std::string ascii_slug(std::string_view text, std::size_t max) {
  // One per process (core/transliterator.h); without ICU's rules ASCII still makes a slug.
  static const Transliterator latin_ascii("Any-Latin; Latin-ASCII");
  const std::string latin = latin_ascii.apply(text);
  std::string out;
  for (const char c : latin) {
    if (ascii::is_alnum(c)) {
      if (out.size() >= max) break;
      out += ascii::to_lower(c);
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

OpmlImport load_opml_string(std::string_view bytes, const std::string& name) {
  const std::string text = to_utf8(bytes);
  const Lines lines(text);
  pugi::xml_document doc;
  // Entity declarations are not expanded by pugixml (no billion laughs, no external files);
  // an undeclared entity such as &nbsp; is a well-formedness error, as in any XML reader.
  const pugi::xml_parse_result res =
      doc.load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!res) {
    fail(lines.at(name, res.offset),
         std::string("not well-formed XML: ") + res.description() + " (an OPML file is XML)");
  }
  if (const std::size_t at = undeclared_entity(text); at != std::string::npos) {
    const std::string_view ref = std::string_view(text).substr(at, text.find(';', at) - at + 1);
    fail(lines.at(name, static_cast<std::ptrdiff_t>(at)),
         "not well-formed XML: entity " + std::string(ref) +
             " is not one of XML's five, and DTDs are not read (write the character or "
             "&#NNN;)");
  }
  const pugi::xml_node root = doc.document_element();
  if (!ascii::iequals(root.name(), "opml"))
    fail(element_at(lines, name, root),
         "not an OPML document (root element <" + std::string(root.name()) + ">)");
  const pugi::xml_node body = root.child("body");
  if (!body) fail(element_at(lines, name, root), "<opml> has no <body>: no subscriptions");
  if (depth(body) > kMaxDepth)
    fail(element_at(lines, name, body),
         "outlines nest deeper than " + std::to_string(kMaxDepth) + " levels");
  Walk walk{name, lines, {}, {}, {}};
  walk.children(body, "");
  return std::move(walk.out);
}

OpmlImport load_opml_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail({path, 0, 0}, "cannot read file");
  std::ostringstream buf;
  buf << in.rdbuf();
  return load_opml_string(buf.str(), path);
}

std::string sources_to_yaml(const std::vector<Source>& sources) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "sources" << YAML::Value;
  if (sources.empty()) out << YAML::Flow;
  out << YAML::BeginSeq;
  for (const Source& s : sources) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << s.name;
    out << YAML::Key << "url" << YAML::Value << s.url;
    if (s.format != "auto") out << YAML::Key << "format" << YAML::Value << s.format;
    if (s.category) out << YAML::Key << "category" << YAML::Value << *s.category;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace newsd::config
