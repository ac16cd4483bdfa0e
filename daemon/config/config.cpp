#include "config/config.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "core/topic_name.h"
#include "parse/json_template.h"

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

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
  if (text == "0") return std::chrono::milliseconds(0);  // zero needs no unit
  double value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr == begin || value < 0) return std::nullopt;
  const std::string unit(ptr, end);
  double ms = 0;
  if (unit == "ms")
    ms = value;
  else if (unit == "s")
    ms = value * 1e3;
  else if (unit == "m")
    ms = value * 60e3;
  else if (unit == "h")
    ms = value * 3600e3;
  else if (unit == "d")
    ms = value * 86400e3;
  else
    return std::nullopt;
  if (ms > 1e15) return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(ms));
}

std::optional<std::size_t> parse_size(const std::string& text) {
  double value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr == begin || value < 0) return std::nullopt;
  static const std::pair<const char*, double> kUnits[] = {
      {"", 1},     {"B", 1},        {"KB", 1e3},        {"MB", 1e6},
      {"GB", 1e9}, {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}};
  const std::string unit(ptr, end);
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) {
      const double bytes = value * factor;
      if (bytes > 1e15) return std::nullopt;
      return static_cast<std::size_t>(bytes);
    }
  }
  return std::nullopt;
}

namespace {

// Secrets are small; the bound keeps a mistyped path (a log, a device) from filling memory.
constexpr std::size_t kMaxSecretFile = 64 * 1024;

// Reads a secret file; a single trailing newline (as editors and `echo` leave) is dropped.
std::optional<std::string> read_secret_file(const std::string& path, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<std::string> {
    if (error) *error = "cannot read '" + path + "': " + why;
    return std::nullopt;
  };
  if (path.empty() || path.front() != '/') return fail("the path must be absolute");
  // O_NONBLOCK: a FIFO named by mistake must not hang start-up.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return fail(std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail("not a regular file");
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxSecretFile) {
    ::close(fd);
    return fail("larger than 64 KiB");
  }
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  if (!out.empty() && out.back() == '\n') out.pop_back();
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return out;
}

std::optional<std::string> expand(const std::string& ref, std::string* error) {
  static constexpr std::string_view kFile = "file:";
  static constexpr std::string_view kCredential = "credential:";
  if (ref.starts_with(kFile)) return read_secret_file(ref.substr(kFile.size()), error);
  if (ref.starts_with(kCredential)) {
    const std::string name = ref.substr(kCredential.size());
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
      if (error) *error = "${" + ref + "}: a credential name is a plain file name";
      return std::nullopt;
    }
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (dir == nullptr || *dir == '\0') {
      if (error)
        *error = "${" + ref +
                 "}: $CREDENTIALS_DIRECTORY is not set (the unit needs LoadCredential=" + name +
                 ":...)";
      return std::nullopt;
    }
    return read_secret_file(std::string(dir) + "/" + name, error);
  }
  const char* value = std::getenv(ref.c_str());
  if (value == nullptr) {
    if (error) *error = "environment variable ${" + ref + "} is not set";
    return std::nullopt;
  }
  return std::string(value);
}

}  // namespace

std::optional<std::string> interpolate(const std::string& text, std::string* error) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      const auto close = text.find('}', i + 2);
      if (close == std::string::npos) {
        out.append(text, i, std::string::npos);
        break;
      }
      auto value = expand(text.substr(i + 2, close - i - 2), error);
      if (!value) return std::nullopt;
      out += *value;
      i = close;
    } else {
      out += text[i];
    }
  }
  return out;
}

namespace {

// Collects problems for one file while keys are read.
struct Ctx {
  std::string file;
  std::vector<Problem>& problems;
  int line_offset = 0;  // of the text being read within the file (one item of a split list)

  Location at(const YAML::Mark& m) const {
    if (m.is_null()) return {file, 0, 0};
    return {file, m.line + line_offset + 1, m.column + 1};
  }
  void fail(const YAML::Node& node, const std::string& key, std::string message) {
    problems.push_back({at(node.Mark()), key, std::move(message)});
  }
  void fail(const YAML::Mark& mark, const std::string& key, std::string message) {
    problems.push_back({at(mark), key, std::move(message)});
  }
};

// Reads the keys of one YAML mapping. Every key must be declared through one of the typed
// readers below; finish() reports the undeclared ones as unknown.
class MapReader {
 public:
  MapReader(Ctx& ctx, const YAML::Node& node, std::string path)
      : ctx_(ctx), node_(node), path_(std::move(path)) {
    if (!node_.IsDefined()) {
      valid_ = false;  // a missing section was reported by whoever required it
    } else if (!node_.IsMap()) {
      ctx_.fail(node_, path_.empty() ? "(top level)" : path_, "expected a mapping");
      valid_ = false;
    }
  }

  std::string key_path(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }

  // The value node of `key`, or an undefined node. Marks the key as declared.
  YAML::Node get(const std::string& key, bool required) {
    declared_.insert(key);
    if (!valid_) return YAML::Node(YAML::NodeType::Undefined);
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      if (it->first.Scalar() == key) return it->second;
    }
    if (required) ctx_.fail(node_, key_path(key), "required key is missing");
    return YAML::Node(YAML::NodeType::Undefined);
  }

  // A scalar string with ${...} interpolation; nullopt when absent or invalid.
  std::optional<std::string> scalar(const std::string& key, bool required = false) {
    const YAML::Node v = get(key, required);
    if (!v.IsDefined()) return std::nullopt;
    if (!v.IsScalar()) {
      ctx_.fail(v, key_path(key), "expected a single value");
      return std::nullopt;
    }
    std::string error;
    auto text = interpolate(v.Scalar(), &error);
    if (!text) {
      ctx_.fail(v, key_path(key), error);
      return std::nullopt;
    }
    return text;
  }

  void string(const std::string& key, std::string& out, bool required = false) {
    if (auto s = scalar(key, required)) {
      if (s->empty() && required) {
        fail(key, "must not be empty");
        return;
      }
      out = *s;
    }
  }

  void optional_string(const std::string& key, std::optional<std::string>& out) {
    if (auto s = scalar(key)) out = *s;
  }

  void boolean(const std::string& key, bool& out) {
    if (auto s = scalar(key)) {
      if (*s == "true" || *s == "yes" || *s == "on")
        out = true;
      else if (*s == "false" || *s == "no" || *s == "off")
        out = false;
      else
        fail(key, "expected true or false, got '" + *s + "'");
    }
  }

  void duration(const std::string& key, std::chrono::milliseconds& out,
                std::chrono::milliseconds min) {
    if (auto s = scalar(key)) {
      auto d = parse_duration(*s);
      if (!d)
        fail(key, "expected a duration such as 500ms, 30s, 5m, 2h or 1d, got '" + *s + "'");
      else if (*d < min)
        fail(key, "must be at least " + std::to_string(min.count()) + "ms");
      else
        out = *d;
    }
  }

  void size(const std::string& key, std::size_t& out) {
    if (auto s = scalar(key)) {
      auto n = parse_size(*s);
      if (!n || *n == 0)
        fail(key, "expected a size such as 512KiB or 8MiB, got '" + *s + "'");
      else
        out = *n;
    }
  }

  void string_map(const std::string& key, std::map<std::string, std::string>& out) {
    const YAML::Node v = get(key, false);
    if (!v.IsDefined() || v.IsNull()) return;
    if (!v.IsMap()) {
      ctx_.fail(v, key_path(key), "expected a mapping");
      return;
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string k = it->first.Scalar();
      if (!it->second.IsScalar()) {
        ctx_.fail(it->second, key_path(key) + "." + k, "expected a single value");
        continue;
      }
      std::string error;
      auto text = interpolate(it->second.Scalar(), &error);
      if (!text) {
        ctx_.fail(it->second, key_path(key) + "." + k, error);
        continue;
      }
      out[k] = *text;
    }
  }

  void fail(const std::string& key, std::string message) {
    const YAML::Node v = node_[key];
    ctx_.fail(v.IsDefined() ? v.Mark() : node_.Mark(), key_path(key), std::move(message));
  }

  void finish() {
    if (!valid_) return;
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      const std::string k = it->first.Scalar();
      if (!declared_.count(k)) ctx_.fail(it->first, key_path(k), "unknown key");
    }
  }

  Ctx& ctx() { return ctx_; }

 private:
  Ctx& ctx_;
  YAML::Node node_;
  std::string path_;
  std::set<std::string> declared_;
  bool valid_ = true;
};

const std::set<std::string> kFormats = {"auto",     "rss",    "rdf",  "atom", "jsonfeed",
                                        "json_api", "jekyll", "html", "text"};

bool valid_source_name(const std::string& n) {
  return !n.empty() && n.size() <= 128 && std::all_of(n.begin(), n.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

bool valid_timezone(const std::string& tz) {
  std::unique_ptr<icu::TimeZone> zone(
      icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(tz)));
  return zone && *zone != icu::TimeZone::getUnknown();
}

bool http_url(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

bool json_pointer(const std::string& p) {
  return p.empty() || p[0] == '/';
}

void read_json_api(MapReader& s, Source& out) {
  const bool has = s.get("items", false).IsDefined() || s.get("fields", false).IsDefined() ||
                   s.get("detail", false).IsDefined();
  if (!has) return;
  JsonApi api;
  if (auto items = s.scalar("items")) {
    if (!json_pointer(*items)) s.fail("items", "expected a JSON pointer such as /record");
    api.items = *items;
  }
  s.string_map("fields", api.fields);
  static const std::set<std::string> kFields = {
      "id",   "title", "url",    "origin_url", "published_at", "updated_at", "category",
      "tags", "media", "author", "summary",    "body",         "body_html",  "lang"};
  for (const auto& [k, v] : api.fields) {
    if (!kFields.count(k))
      s.fail("fields", "unknown record field '" + k + "'");
    else if ((k == "url" || k == "origin_url") && parse::is_template(v)) {
      if (auto problem = parse::template_problem(v, api.fields, k))
        s.fail("fields", "field '" + k + "': " + *problem);
    } else if (!json_pointer(v))
      s.fail("fields", "field '" + k + "' needs a JSON pointer");
  }
  const YAML::Node detail = s.get("detail", false);
  if (detail.IsDefined()) {
    MapReader d(s.ctx(), detail, s.key_path("detail"));
    d.optional_string("url", api.detail_url);
    d.optional_string("body", api.detail_body);
    if (api.detail_url && !http_url(*api.detail_url)) {
      d.fail("url", "must be an http:// or https:// URL template");
    } else if (api.detail_url) {
      if (auto problem = parse::template_problem(*api.detail_url, api.fields))
        d.fail("url", *problem);
    }
    d.finish();
  }
  out.json_api = std::move(api);
}

Source read_source(Ctx& ctx, const YAML::Node& node, const std::string& path) {
  Source s;
  s.where = ctx.at(node.Mark());
  MapReader r(ctx, node, path);
  r.string("name", s.name, true);
  if (!s.name.empty() && !valid_source_name(s.name))
    r.fail("name", "use letters, digits, '-', '_' and '.' only (at most 128)");
  r.string("url", s.url, true);
  if (!s.url.empty() && !http_url(s.url)) r.fail("url", "must be an http:// or https:// URL");
  r.string("format", s.format);
  if (!kFormats.count(s.format))
    r.fail("format", "unknown format '" + s.format +
                         "' (auto, rss, rdf, atom, jsonfeed, json_api, jekyll, html, text)");
  r.duration("interval", s.interval, std::chrono::seconds(1));
  const YAML::Node adapt = r.get("adapt", false);
  if (adapt.IsDefined() && !adapt.IsNull()) {
    Adapt a;
    MapReader ar(r.ctx(), adapt, r.key_path("adapt"));
    ar.duration("min", a.min, std::chrono::seconds(1));
    ar.duration("max", a.max, std::chrono::seconds(1));
    if (a.min > a.max) ar.fail("min", "must not exceed adapt.max");
    ar.finish();
    s.adapt = a;
  }
  r.boolean("follow", s.follow);
  r.string("timezone", s.timezone);
  if (!valid_timezone(s.timezone)) r.fail("timezone", "unknown time zone '" + s.timezone + "'");
  r.optional_string("category", s.category);
  r.optional_string("media", s.media);
  read_json_api(r, s);
  if (s.format == "json_api" && !s.json_api)
    r.fail("format", "json_api sources need 'items' and 'fields'");
  r.finish();
  return s;
}

YAML::Node parse_yaml(Ctx& ctx, const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    ctx.fail(e.mark, "(syntax)", e.msg);
    return YAML::Node(YAML::NodeType::Undefined);
  }
}

// A digest of YAML nodes in document order: kind, position, tag and value. yaml-cpp reads
// some text differently depending on what follows it (a plain scalar on the line after
// `key:` is that key's value when the document goes on with `: x`, a key of its own when
// the item is read alone), so matching item lines are not enough: the split is kept only
// when the trees it built digest to what the event parser saw in the whole document.
class NodeDigest {
 public:
  void open(char kind, const YAML::Mark& m, int line_offset, const std::string& tag) {
    mark(kind, m, line_offset);
    text(tag);
  }
  void close(char kind) { byte(static_cast<unsigned char>(kind)); }
  void null(const YAML::Mark& m, int line_offset) { mark('~', m, line_offset); }
  void scalar(const YAML::Mark& m, int line_offset, const std::string& tag,
              const std::string& value) {
    mark('s', m, line_offset);
    text(tag);
    text(value);
  }
  // The list being split, in place of its contents.
  void placeholder() { byte('L'); }

  // A node of a tree built from text that starts `line_offset` lines into the file.
  void tree(const YAML::Node& n, int line_offset) {
    switch (n.Type()) {
      case YAML::NodeType::Null:
        null(n.Mark(), line_offset);
        break;
      case YAML::NodeType::Scalar:
        scalar(n.Mark(), line_offset, n.Tag(), n.Scalar());
        break;
      case YAML::NodeType::Sequence:
        open('[', n.Mark(), line_offset, n.Tag());
        for (const auto& item : n) tree(item, line_offset);
        close(']');
        break;
      case YAML::NodeType::Map:
        open('{', n.Mark(), line_offset, n.Tag());
        for (auto it = n.begin(); it != n.end(); ++it) {
          tree(it->first, line_offset);
          tree(it->second, line_offset);
        }
        close('}');
        break;
      case YAML::NodeType::Undefined:
        byte('?');
        break;
    }
  }

  // A document whose `sources:` list was replaced: that list's value stands in for the list.
  void document_without_list(const YAML::Node& root) {
    if (!root.IsMap()) return tree(root, 0);
    open('{', root.Mark(), 0, root.Tag());
    for (auto it = root.begin(); it != root.end(); ++it) {
      tree(it->first, 0);
      if (it->first.IsScalar() && it->first.Scalar() == "sources")
        placeholder();
      else
        tree(it->second, 0);
    }
    close('}');
  }

  bool operator==(const NodeDigest&) const = default;

 private:
  // FNV-1a: the digest only has to tell yaml-cpp's two readings apart, not resist anyone.
  void byte(unsigned char b) { h_ = (h_ ^ b) * 0x100000001b3ULL; }
  void number(long v) {
    for (int i = 0; i < 8; ++i)
      byte(static_cast<unsigned char>(static_cast<unsigned long>(v) >> (8 * i)));
  }
  void mark(char kind, const YAML::Mark& m, int line_offset) {
    byte(static_cast<unsigned char>(kind));
    number(m.line + line_offset);
    number(m.column);
  }
  void text(const std::string& s) {
    number(static_cast<long>(s.size()));
    for (const char c : s) byte(static_cast<unsigned char>(c));
  }

  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

// A large configuration is mostly its list of sources, and yaml-cpp holds about 30 bytes of
// tree per byte of YAML (30 MB for 10,000 sources: the daemon's memory peak). When the list
// is a plain block sequence, its items are cut apart at their "-" lines and read one at a
// time. Whatever looks unusual (anchors or aliases across items, tabs, flow style, an item
// that does not parse alone) makes the caller read the whole document instead, so the split
// never changes what a configuration means or which errors it gets.
struct SplitList {
  std::string text;  // the document with the list's lines emptied: same line numbers, no items
  // Consecutive items, read as one small sequence: parsing each item alone would cost
  // yaml-cpp's set-up per item (3 s for 10,000 sources instead of 0.8).
  struct Group {
    std::string text;  // the items' lines as they are: same columns
    int line;          // 0-based line of the first item's "-" in the file
    std::size_t size;  // items
  };
  std::vector<Group> groups;
  NodeDigest items, rest;  // what the whole document holds inside the list, and around it
};

// Where yaml-cpp itself finds the list's items, from its event parser (which builds no
// tree): the split below is used only when the whole document parses, carries no anchor
// or alias, the parser's items are the ones cut from the lines, and the digests of what is
// inside the list (`items`) and of the rest of the document (`rest`) match what the split
// reading builds.
class ListLocator final : public YAML::EventHandler {
 public:
  explicit ListLocator(bool top_level_list) : top_level_list_(top_level_list) {}

  std::vector<int> item_lines;  // 0-based line where each item's node starts
  int after_line = -1;          // line of the node after the list in the root map, if any
  bool found = false, anchors = false, twice = false;
  NodeDigest items, rest;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t a) override {
    digest().null(m, 0);
    node(m, a, false, false);
  }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override {
    anchors = true;
    node(m, 0, false, false);
  }
  void OnScalar(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a,
                const std::string& value) override {
    const bool key = stack_.size() == 1 && stack_.back().map && stack_.back().expect_key;
    digest().scalar(m, 0, tag, value);
    node(m, a, false, false);
    if (key && value == "sources") {
      if (sources_key_) twice = true;
      sources_key_ = true;
      value_is_target_ = true;
    }
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a,
                       YAML::EmitterStyle::value) override {
    node(m, a, true, false);
    if (stack_.back().target) {
      rest.placeholder();
      ++inside_;
    } else {
      digest().open('[', m, 0, tag);
    }
  }
  void OnSequenceEnd() override {
    if (stack_.back().target)
      --inside_;
    else
      digest().close(']');
    close();
  }
  void OnMapStart(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a,
                  YAML::EmitterStyle::value) override {
    digest().open('{', m, 0, tag);
    node(m, a, true, true);
  }
  void OnMapEnd() override {
    digest().close('}');
    close();
  }
  void OnAnchor(const YAML::Mark&, const std::string&) override { anchors = true; }

 private:
  struct Open {
    bool map, expect_key = true, target = false;
  };

  NodeDigest& digest() { return inside_ > 0 ? items : rest; }

  void node(const YAML::Mark& m, YAML::anchor_t anchor, bool container, bool map) {
    if (anchor != 0) anchors = true;
    const bool target_value = value_is_target_ && stack_.size() == 1 && !stack_.back().expect_key;
    if (!stack_.empty() && stack_.back().target) item_lines.push_back(m.line);
    if (found && after_line < 0 && stack_.size() == 1 && stack_.back().map && !target_value &&
        stack_.back().expect_key)
      after_line = m.line;  // the first key after the list
    if (target_value) value_is_target_ = false;
    if (container) {
      Open o{map};
      if (!map && ((top_level_list_ && stack_.empty()) || target_value)) {
        o.target = true;
        found = true;
      }
      stack_.push_back(o);
    } else {
      done();
    }
  }
  void close() {
    stack_.pop_back();
    done();
  }
  // A node of the innermost open container is complete.
  void done() {
    if (!stack_.empty() && stack_.back().map) stack_.back().expect_key = !stack_.back().expect_key;
  }

  bool top_level_list_;
  bool sources_key_ = false, value_is_target_ = false;
  int inside_ = 0;  // open target lists: at most one, as the key may not come twice
  std::vector<Open> stack_;
};

std::optional<SplitList> split_list(const std::string& text, bool top_level_list) {
  struct Line {
    std::size_t begin, end;  // without the newline
    int indent;              // -1: blank or comment only
  };
  std::vector<Line> lines;
  for (std::size_t at = 0; at <= text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::size_t i = at;
    while (i < end && text[i] == ' ') ++i;
    if (i < end && text[i] == '\t') return std::nullopt;
    const bool empty = i == end || text[i] == '#' || (text[i] == '\r' && i + 1 == end);
    lines.push_back({at, end, empty ? -1 : static_cast<int>(i - at)});
    if (end == text.size()) break;
    at = end + 1;
  }
  const auto starts_item = [&](const Line& l) {
    const std::size_t dash = l.begin + static_cast<std::size_t>(l.indent);
    if (text[dash] != '-') return false;
    return dash + 1 == l.end || text[dash + 1] == ' ' || text[dash + 1] == '\r';
  };
  std::size_t first = 0;  // first line of the list's region
  if (!top_level_list) {
    std::size_t key = lines.size();
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].indent != 0) continue;
      std::string_view l(text.data() + lines[i].begin, lines[i].end - lines[i].begin);
      if (l.substr(0, 8) != "sources:") continue;
      l.remove_prefix(8);
      while (!l.empty() && (l.front() == ' ' || l.front() == '\r')) l.remove_prefix(1);
      if (!l.empty() && l.front() != '#') return std::nullopt;  // "sources: []", an anchor...
      if (key != lines.size()) return std::nullopt;             // twice: leave it to yaml-cpp
      key = i;
    }
    if (key == lines.size()) return std::nullopt;
    first = key + 1;
  }
  std::size_t i = first;
  while (i < lines.size() && lines[i].indent < 0) ++i;
  if (i == lines.size() || !starts_item(lines[i])) return std::nullopt;
  const int indent = lines[i].indent;
  if (top_level_list && indent != 0) return std::nullopt;
  SplitList out;
  std::vector<std::size_t> starts{i};  // the line of each item's "-"
  for (++i; i < lines.size(); ++i) {
    const Line& l = lines[i];
    if (l.indent < 0 || l.indent > indent) continue;
    if (l.indent < indent || !starts_item(l)) break;
    starts.push_back(i);
  }
  // The list must end where the document does or at the next top-level key; anything else
  // is malformed, and yaml-cpp should be the one to say how.
  if (i < lines.size() && (top_level_list || lines[i].indent != 0 || starts_item(lines[i])))
    return std::nullopt;
  // Trailing blank and comment lines stay with the last item: what looks like a comment may
  // be the end of a quoted scalar that yaml-cpp lets run on to the end of the document.
  const std::size_t region_end = i;
  ListLocator where(top_level_list);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    parser.HandleNextDocument(where);
  } catch (const YAML::Exception&) {
    return std::nullopt;  // not valid YAML: the whole-document reader reports it
  }
  if (!where.found || where.anchors || where.twice || where.item_lines.size() != starts.size())
    return std::nullopt;
  for (std::size_t j = 0; j < starts.size(); ++j) {
    const auto line = static_cast<std::size_t>(where.item_lines[j]);
    const std::size_t next = j + 1 < starts.size() ? starts[j + 1] : region_end;
    if (line < starts[j] || line >= next) return std::nullopt;
  }
  if (where.after_line >= 0 ? static_cast<std::size_t>(where.after_line) != i : i != lines.size())
    return std::nullopt;
  out.items = where.items;
  out.rest = where.rest;
  constexpr std::size_t kGroup = 128;
  for (std::size_t g = 0; g < starts.size(); g += kGroup) {
    const std::size_t n = std::min(kGroup, starts.size() - g);
    const std::size_t from = lines[starts[g]].begin;
    const std::size_t end_line = g + n < starts.size() ? starts[g + n] : region_end;
    const std::size_t to = end_line < lines.size() ? lines[end_line].begin : text.size();
    out.groups.push_back({text.substr(from, to - from), static_cast<int>(starts[g]), n});
  }
  // The list's lines become empty and the key's value an explicit empty list: an empty
  // value would let yaml-cpp take whatever follows (say, a line starting with ':') as it.
  if (top_level_list) {
    out.text.append(region_end, '\n');
  } else {
    out.text.append(text, 0, lines[first - 1].begin);
    out.text += "sources: []\n";
    out.text.append(region_end - first, '\n');
  }
  if (region_end < lines.size()) out.text.append(text, lines[region_end].begin);
  return out;
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

// `read_in_items`, when given, is set when the `sources:` list was read item by item.
Config load(const std::string& text, const std::string& name, bool split,
            bool* read_in_items = nullptr, LoadOptions options = {}) {
  std::vector<Problem> problems;
  Ctx ctx{name, problems};
  Config cfg;
  std::optional<SplitList> list = split ? split_list(text, false) : std::nullopt;
  YAML::Node root;
  if (list) {
    auto parsed = try_parse(list->text);
    if (!parsed || !same_rest(*list, *parsed, false))
      return load(text, name, false, nullptr, options);
    root = std::move(*parsed);
  } else {
    root = parse_yaml(ctx, text);
  }
  if (root.IsDefined()) {
    MapReader r(ctx, root, "");
    r.string("state_dir", cfg.state_dir);
    r.string("log_level", cfg.log_level);
    r.string("log_format", cfg.log_format);
    if (cfg.log_format != "auto" && cfg.log_format != "text" && cfg.log_format != "json" &&
        cfg.log_format != "journald")
      r.fail("log_format", "expected auto, text, json or journald");
    static const std::set<std::string> kLevels = {"trace", "debug",    "info", "warn",
                                                  "error", "critical", "off"};
    if (!kLevels.count(cfg.log_level))
      r.fail("log_level", "expected one of trace, debug, info, warn, error, critical, off");
    std::chrono::milliseconds retention = cfg.retention;
    r.duration("retention", retention, std::chrono::hours(1));
    cfg.retention = std::chrono::duration_cast<std::chrono::hours>(retention);
    if (auto n = r.scalar("parse_threads")) {
      std::size_t v = 0;
      auto [p, ec] = std::from_chars(n->data(), n->data() + n->size(), v);
      if (ec != std::errc() || p != n->data() + n->size() || v > 64)
        r.fail("parse_threads", "expected a whole number from 0 (one per core) to 64");
      else
        cfg.parse_threads = v;
    }

    if (YAML::Node m = r.get("metrics", false); m.IsDefined()) {
      MapReader mr(ctx, m, "metrics");
      mr.string("listen", cfg.metrics.listen);
      mr.boolean("per_source_labels", cfg.metrics.per_source_labels);
      if (cfg.metrics.listen.rfind(':') == std::string::npos)
        mr.fail("listen", "expected HOST:PORT, e.g. 127.0.0.1:9464");
      mr.finish();
    }
    {
      MapReader kr(ctx, r.get("kafka", options.require_kafka), "kafka");
      kr.string("brokers", cfg.kafka.brokers, true);
      kr.string("topic", cfg.kafka.topic);
      kr.string("dead_letter_topic", cfg.kafka.dead_letter_topic);
      if (const std::string& t = cfg.kafka.dead_letter_topic; !t.empty() && !legal_topic_name(t))
        kr.fail("dead_letter_topic", "expected a Kafka topic name: up to 249 of A-Z a-z 0-9 . _ -");
      kr.string_map("properties", cfg.kafka.properties);
      if (auto n = kr.scalar("max_in_flight")) {
        std::size_t v = 0;
        auto [p, ec] = std::from_chars(n->data(), n->data() + n->size(), v);
        if (ec != std::errc() || p != n->data() + n->size() || v == 0 || v > 10'000'000)
          kr.fail("max_in_flight", "expected a whole number from 1 to 10000000");
        else
          cfg.kafka.max_in_flight = v;
      }
      for (const char* forced : {"enable.idempotence", "acks"}) {
        auto it = cfg.kafka.properties.find(forced);
        if (it == cfg.kafka.properties.end()) continue;
        const bool ok = std::string(forced) == "acks" ? (it->second == "all" || it->second == "-1")
                                                      : it->second == "true";
        if (!ok)
          kr.fail("properties",
                  std::string(forced) + " must stay at its default: newsd never loses a post");
      }
      kr.finish();
    }
    if (YAML::Node h = r.get("http", false); h.IsDefined()) {
      MapReader hr(ctx, h, "http");
      hr.string("user_agent", cfg.http.user_agent);
      hr.duration("connect_timeout", cfg.http.connect_timeout, std::chrono::milliseconds(100));
      hr.duration("timeout", cfg.http.timeout, std::chrono::milliseconds(100));
      hr.size("max_body", cfg.http.max_body);
      hr.string("proxy", cfg.http.proxy);
      if (!cfg.http.proxy.empty() && cfg.http.proxy.find("://") == std::string::npos)
        hr.fail("proxy", "expected a proxy URL such as http://proxy.example:3128");
      hr.duration("host_spacing", cfg.http.host_spacing, std::chrono::milliseconds(0));
      hr.duration("max_interval", cfg.http.max_interval, std::chrono::seconds(1));
      hr.duration("max_backoff", cfg.http.max_backoff, std::chrono::seconds(1));
      hr.finish();
    }
    read_sources(ctx, r.get("sources", false), "sources", cfg.sources);
    if (list && !read_split_sources(ctx, *list, "sources", cfg.sources))
      return load(text, name, false, nullptr, options);
    if (list && read_in_items) *read_in_items = true;

    if (YAML::Node files = r.get("source_files", false); files.IsDefined()) {
      if (!files.IsSequence()) {
        ctx.fail(files, "source_files", "expected a list of file patterns");
      } else {
        for (const auto& pattern : files) {
          glob_t g{};
          const int rc = glob(pattern.Scalar().c_str(), 0, nullptr, &g);
          if (rc == 0) {
            for (std::size_t i = 0; i < g.gl_pathc; ++i)
              load_source_file(problems, g.gl_pathv[i], cfg.sources, split);
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
