#include "config/config.h"

#include <glob.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "config/internal.h"
#include "config/map_reader.h"
#include "config/opml.h"
#include "config/schema.h"
#include "config/yaml_split.h"

namespace newsd::config {

std::string Problem::to_string() const {
  std::ostringstream out;
  out << where.file << ':' << where.line << ':' << where.column << ": " << key << ": " << message;
  return out.str();
}

namespace {
std::string join(const std::vector<Problem>& problems) {
  std::string s;
  for (const auto& p : problems) {
    if (!s.empty()) s += '\n';
    s += p.to_string();
  }
  return s;
}
}  // namespace

ConfigErrors::ConfigErrors(std::vector<Problem> problems)
    : std::runtime_error(join(problems)), problems_(std::move(problems)) {}
namespace {

YAML::Node parse_yaml(Ctx& ctx, const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    ctx.fail(e.mark, "(syntax)", e.msg);
    return YAML::Node(YAML::NodeType::Undefined);
  }
}

Source read_source(Ctx& ctx, const YAML::Node& node, const std::string& path) {
  Source s;
  s.where = ctx.at(node.Mark());
  MapReader r(ctx, node, path);
  schema::read(r, s, schema::source_keys());
  // The record schema wants a slug in `category` (the topic is made from it too): a
  // hand-written one is made one here, as OPML folders are.
  if (s.category && !s.category->empty()) {
    std::string slug = ascii_slug(*s.category);
    if (slug.empty())
      r.fail("category", "'" + *s.category + "' leaves nothing for a slug ([a-z0-9-])");
    else
      s.category = std::move(slug);
  }
  r.finish();
  return s;
}

void read_sources(Ctx& ctx, const YAML::Node& list, const std::string& key,
                  std::vector<Source>& out) {
  if (!list.IsDefined() || list.IsNull()) return;
  if (!list.IsSequence()) {
    ctx.fail(list, key, "expected a list of sources");
    return;
  }
  // Growing by doubling held two copies of a 10,000-source list at once, on top of the YAML
  // tree, at the memory peak of a large config's load.
  out.reserve(out.size() + list.size());
  for (std::size_t i = 0; i < list.size(); ++i)
    out.push_back(read_source(ctx, list[i], key + "[" + std::to_string(i) + "]"));
}

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Whether the document around the list reads as it does in the whole document. A bare list
// has nothing around it.
bool same_rest(const SplitList& split, const YAML::Node& root, bool may_be_bare) {
  if (may_be_bare && (!root.IsDefined() || root.IsNull())) return true;
  NodeDigest rest;
  rest.document_without_list(root);
  return rest == split.rest;
}

// The items of a split list, a group at a time, each group converted before the next is
// parsed. False when a group does not parse alone: the caller then reads the whole document.
bool read_split_sources(Ctx& ctx, const SplitList& split, const std::string& key,
                        std::vector<Source>& out) {
  std::size_t items = 0;
  for (const auto& group : split.groups) items += group.size;
  out.reserve(out.size() + items);
  std::size_t index = 0;
  NodeDigest seen;
  for (const auto& group : split.groups) {
    YAML::Node list;
    try {
      list = YAML::Load(group.text);
    } catch (const YAML::Exception&) {
      return false;
    }
    if (!list.IsSequence() || list.size() != group.size) return false;
    for (const auto& item : list) seen.tree(item, group.line);
    Ctx c{ctx.file, ctx.problems, group.line};
    for (std::size_t i = 0; i < group.size; ++i, ++index)
      out.push_back(read_source(c, list[i], key + "[" + std::to_string(index) + "]"));
  }
  return seen == split.items;
}

// The document `text` parses as, or nullopt when it does not (the caller then reads it
// again whole, for yaml-cpp's own account of the error).
std::optional<YAML::Node> try_parse(const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
}

// Sources from one file of `source_files`: either a list, or a mapping with `sources:`.
void load_source_file(std::vector<Problem>& problems, const std::string& path,
                      std::vector<Source>& out, bool split) {
  Ctx ctx{path, problems};
  auto text = read_text(path);
  if (!text) {
    problems.push_back({{path, 0, 0}, "source_files", "cannot read file"});
    return;
  }
  if (split) {
    // Either a bare list or a mapping with `sources:`; read in items when that is safe.
    std::optional<SplitList> list = split_list(*text, true);
    if (!list) list = split_list(*text, false);
    if (list) {
      std::vector<Problem> p;
      std::vector<Source> sources;
      Ctx c{path, p};
      if (auto root = try_parse(list->text); root && same_rest(*list, *root, true) &&
                                             read_split_sources(c, *list, "sources", sources)) {
        if (root->IsDefined() && !root->IsNull()) {
          MapReader r(c, *root, "");
          r.get("sources", true);
          r.finish();
        }
        problems.insert(problems.end(), p.begin(), p.end());
        out.insert(out.end(), std::make_move_iterator(sources.begin()),
                   std::make_move_iterator(sources.end()));
        return;
      }
    }
  }
  YAML::Node root = parse_yaml(ctx, *text);
  if (!root.IsDefined() || root.IsNull()) return;
  if (root.IsSequence()) {
    read_sources(ctx, root, "sources", out);
    return;
  }
  MapReader r(ctx, root, "");
  read_sources(ctx, r.get("sources", true), "sources", out);
  r.finish();
}

bool is_opml(const std::string& path) {
  if (path.size() < 5) return false;
  std::string ext = path.substr(path.size() - 5);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".opml";
}

// Sources from an OPML file of `source_files`: each outline's name, url, format (unless
// auto) and category, over the `defaults` of the including item (checked already). Problems
// of the OPML file name it; outlines that are not feeds are skipped, as import-opml does.
void load_opml_source_file(std::vector<Problem>& problems, const std::string& path,
                           const YAML::Node& defaults, std::vector<Source>& out) {
  OpmlImport imported;
  try {
    imported = load_opml_file(path);
  } catch (const ConfigErrors& e) {
    problems.insert(problems.end(), e.problems().begin(), e.problems().end());
    return;
  }
  out.reserve(out.size() + imported.sources.size());
  for (std::size_t i = 0; i < imported.sources.size(); ++i) {
    const Source& o = imported.sources[i];
    YAML::Node node = defaults.IsMap() ? YAML::Clone(defaults) : YAML::Node(YAML::NodeType::Map);
    node["name"] = o.name;
    node["url"] = o.url;
    if (o.format != "auto" || !node["format"]) node["format"] = o.format;
    if (o.category) node["category"] = *o.category;
    // Whatever is wrong here comes from the outline: report it there.
    std::vector<Problem> p;
    Ctx c{path, p};
    Source s = read_source(c, node, "outline[" + std::to_string(i) + "]");
    for (auto& problem : p) problem.where = o.where;
    problems.insert(problems.end(), p.begin(), p.end());
    s.where = o.where;
    out.push_back(std::move(s));
  }
}

// An item of `source_files`: a glob, or `{path: GLOB, defaults: {...}}`. The defaults are
// checked once, as a source of their own, so their problems are reported at their lines in
// the YAML and not once per outline.
struct SourceFiles {
  std::string pattern;
  YAML::Node defaults;
  bool ok = true;
};

SourceFiles read_source_files_item(Ctx& ctx, const YAML::Node& item, const std::string& key) {
  SourceFiles f;
  if (item.IsScalar()) {
    f.pattern = item.Scalar();
    return f;
  }
  if (!item.IsMap()) {
    ctx.fail(item, key, "expected a file pattern or {path: PATTERN, defaults: {...}}");
    f.ok = false;
    return f;
  }
  MapReader r(ctx, item, key);
  f.ok = r.scalar("path", true).has_value();
  if (f.ok) f.pattern = item["path"].Scalar();
  f.defaults = r.get("defaults", false);
  r.finish();
  if (!f.defaults.IsDefined() || f.defaults.IsNull()) return f;
  if (!f.defaults.IsMap()) {
    ctx.fail(f.defaults, key + ".defaults", "expected a mapping of source keys");
    f.ok = false;
    return f;
  }
  const std::size_t before = ctx.problems.size();
  for (const char* own : {"name", "url"}) {
    if (f.defaults[own])
      ctx.fail(f.defaults[own], key + ".defaults." + own, "comes from each OPML outline");
  }
  // Read as a source whose name and url are waived: they come from the outlines.
  Ctx c{ctx.file, ctx.problems, ctx.line_offset};
  c.waived = {key + ".defaults.name", key + ".defaults.url"};
  read_source(c, f.defaults, key + ".defaults");
  if (ctx.problems.size() != before) f.ok = false;
  return f;
}

// `read_in_items`, when given, is set when the `sources:` list was read item by item.
Config load(const std::string& text, const std::string& name, bool split,
            bool* read_in_items = nullptr, LoadOptions options = {}) {
  std::vector<Problem> problems;
  Ctx ctx{name, problems};
  if (!options.require_kafka) ctx.waived.emplace_back("kafka");
  Config cfg;
  std::optional<SplitList> list = split ? split_list(text, false) : std::nullopt;
  YAML::Node root;
  if (list) {
    auto parsed = try_parse(list->text);
    if (!parsed || !same_rest(*list, *parsed, false))
      return load(text, name, false, nullptr, options);
    root = *parsed;  // YAML::Node assigns by reference: nothing to move
  } else {
    root = parse_yaml(ctx, text);
  }
  if (root.IsDefined()) {
    MapReader r(ctx, root, "");
    schema::read(r, cfg, schema::top_level_keys());
    read_sources(ctx, r.get("sources", false), "sources", cfg.sources);
    if (list && !read_split_sources(ctx, *list, "sources", cfg.sources))
      return load(text, name, false, nullptr, options);
    if (list && read_in_items) *read_in_items = true;

    if (YAML::Node files = r.get("source_files", false); files.IsDefined()) {
      if (!files.IsSequence()) {
        ctx.fail(files, "source_files", "expected a list of file patterns");
      } else {
        for (std::size_t n = 0; n < files.size(); ++n) {
          const YAML::Node pattern = files[n];
          const std::string key = "source_files[" + std::to_string(n) + "]";
          const SourceFiles item = read_source_files_item(ctx, pattern, key);
          if (!item.ok) continue;
          glob_t g{};
          const int rc = glob(item.pattern.c_str(), 0, nullptr, &g);
          if (rc == 0) {
            for (std::size_t i = 0; i < g.gl_pathc; ++i) {
              if (is_opml(g.gl_pathv[i]))
                load_opml_source_file(problems, g.gl_pathv[i], item.defaults, cfg.sources);
              else if (item.defaults.IsDefined() && !item.defaults.IsNull())
                ctx.fail(pattern, key,
                         std::string("defaults apply to .opml files only: ") + g.gl_pathv[i]);
              else
                load_source_file(problems, g.gl_pathv[i], cfg.sources, split);
            }
          } else if (rc != GLOB_NOMATCH) {
            ctx.fail(pattern, "source_files", "cannot expand pattern");
          }
          globfree(&g);
        }
      }
    }
    r.finish();
  }

  std::set<std::string> names;
  for (const auto& s : cfg.sources) {
    if (!s.name.empty() && !names.insert(s.name).second)
      problems.push_back({s.where, "sources", "duplicate source name '" + s.name + "'"});
  }
  if (!problems.empty()) throw ConfigErrors(std::move(problems));
  return cfg;
}

}  // namespace

Config load_string(const std::string& yaml, const std::string& name) {
  return load(yaml, name, true);
}

Config load_file(const std::string& path, LoadOptions options) {
  auto text = read_text(path);
  if (!text) throw ConfigErrors({{{path, 0, 0}, "(file)", "cannot read file"}});
  return load(*text, path, true, nullptr, options);
}

namespace detail {
Config load_whole(const std::string& yaml, const std::string& name) {
  return load(yaml, name, false);
}

bool reads_list_in_items(const std::string& yaml) {
  bool in_items = false;
  try {
    load(yaml, "", true, &in_items);
  } catch (const std::exception&) {
    // A document with problems is read the same way: the flag is set before they are thrown.
  }
  return in_items;
}
}  // namespace detail

}  // namespace newsd::config
