// JSON documents: `json_api` list endpoints (plus their per-item detail responses) and JSON
// Feed 1.0/1.1. Both are parsed with boost::json under a nesting-depth bound; the document
// size is bounded by parse() (and by apply_detail() for detail responses).
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <utility>

#include "core/log.h"
#include "parse/charset.h"
#include "parse/formats.h"
#include "parse/html/text.h"
#include "parse/json_template.h"
#include "parse/slug.h"
#include "parse/text_util.h"
#include "parse/timeparse.h"

namespace newsd::parse {
namespace {

namespace json = boost::json;

// Deeper documents are rejected: list APIs nest a few levels, and boost::json's destructor and
// our walks stay cheap and stack-safe under this bound.
constexpr std::size_t kMaxJsonDepth = 64;
// Detail responses carry one article; anything larger than this is not one.
constexpr std::size_t kMaxDetailBytes = 8u << 20;

Expected<json::value> parse_json(std::string_view text, std::string_view what) {
  json::parse_options opt;
  opt.max_depth = kMaxJsonDepth;
  opt.allow_comments = true;
  opt.allow_trailing_commas = true;
  json::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec, {}, opt);
  if (ec) return make_error(std::string(what) + ": invalid JSON: " + ec.message());
  return v;
}

// The value at an RFC 6901 pointer; "record" is read as "/record" (a common slip in configs).
const json::value* at_pointer(const json::value& root, std::string_view pointer) {
  if (pointer.empty()) return &root;
  std::string p;
  if (!pointer.starts_with('/')) {
    p = "/" + std::string(pointer);
    pointer = p;
  }
  json::error_code ec;
  const json::value* v = root.find_pointer(json::string_view(pointer.data(), pointer.size()), ec);
  return ec ? nullptr : v;
}

const json::value* member(const json::value& v, std::string_view key) {
  const json::object* o = v.if_object();
  if (o == nullptr) return nullptr;
  const auto it = o->find(json::string_view(key.data(), key.size()));
  return it == o->end() ? nullptr : &it->value();
}

std::string number_text(const json::value& v) {
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  const double d = v.get_double();
  if (!std::isfinite(d)) return {};
  char buf[64];
  if (d == std::floor(d) && std::fabs(d) < 1e17) {
    std::snprintf(buf, sizeof buf, "%.0f", d);
  } else {
    std::snprintf(buf, sizeof buf, "%.3f", d);
  }
  return buf;
}

// A scalar as text: strings as they are, numbers in decimal; nullopt for anything else
// (null, bools, arrays, objects) and for blank strings.
std::optional<std::string> scalar_text(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  std::string s;
  if (const json::string* str = v->if_string()) {
    s.assign(str->data(), str->size());
  } else if (v->is_number()) {
    s = number_text(*v);
  } else {
    return std::nullopt;
  }
  if (trim(s).empty()) return std::nullopt;
  return s;
}

// Plain text that may carry entities ("Data &amp; Metrics", "&#8211;"): entities decoded,
// anything that looks like a tag kept literally, whitespace normalized.
std::string plain_text(std::string_view s) {
  if (s.find('&') == std::string_view::npos) return normalize_ws(s);
  std::string escaped;
  escaped.reserve(s.size());
  for (char c : s) {
    if (c == '<') {
      escaped += "&lt;";
    } else {
      escaped.push_back(c);
    }
  }
  return normalize_ws(html_to_text(escaped));
}

// A time value: epoch seconds or milliseconds (numbers or numeric strings, told apart by
// magnitude), RFC 3339, "2022-01-26 20:27:25" in `zone`, Chinese forms — all via parse_time.
std::optional<Timestamp> time_of(const json::value* v, std::string_view zone) {
  const std::optional<std::string> s = scalar_text(v);
  if (!s) return std::nullopt;
  return parse_time(*s, zone);
}

std::vector<std::string> string_list(const json::value* v) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (const json::array* a = v->if_array()) {
    for (const json::value& e : *a) {
      if (auto s = scalar_text(&e)) {
        if (std::string t = plain_text(*s); !t.empty()) out.push_back(std::move(t));
      }
    }
    return out;
  }
  if (auto s = scalar_text(v)) {
    // "a,b" or "a b": a string of tags, split on commas (and their CJK forms) or spaces.
    std::string norm = *s;
    for (std::string_view sep : {"，", "、", ",", ";"}) {
      for (auto pos = norm.find(sep); pos != std::string::npos; pos = norm.find(sep, pos + 1)) {
        norm.replace(pos, sep.size(), " ");
      }
    }
    for (std::string& word : split_ws(norm)) out.push_back(std::move(word));
  }
  return out;
}

// A body that may be HTML: HTML gives body_html and its text, anything else is plain text.
void set_body(Post& post, std::string_view body) {
  if (looks_like_html(body)) {
    std::string html(body);
    // The seed pipeline's detail bodies end in a （文章来源：X） paragraph: it is the outlet.
    std::optional<std::string> media = take_media_paragraph(html);
    if (media && !post.media) post.media = std::move(media);
    post.body_text = html_to_text(html);
    post.body_html = std::move(html);
  } else {
    post.body_text = text_lines(body);
    post.body_html.reset();
  }
}

std::optional<std::string> absolute_url(std::string_view ref,
                                        const std::optional<std::string>& base) {
  const std::string_view r = trim(ref);
  if (r.empty()) return std::nullopt;
  std::string u = base ? resolve_url(*base, r) : std::string(r);
  if (!is_absolute_http(u)) return std::nullopt;
  return u;
}

const json::value* field(const json::value& item, const JsonApiMapping& m, const char* name) {
  const auto it = m.fields.find(name);
  if (it == m.fields.end()) return nullptr;
  if (is_template(it->second)) return nullptr;  // rendered by apply_field_templates
  const json::value* v = at_pointer(item, it->second);
  return v != nullptr && !v->is_null() ? v : nullptr;
}

// Fills the mapped fields of `post` from `item`. With `only_missing`, fields the post already
// has are kept (a detail response completes a list item; it does not overwrite it).
void apply_fields(Post& post, const json::value& item, const JsonApiMapping& m, const Context& ctx,
                  bool only_missing) {
  const auto want = [&](bool has) { return !only_missing || !has; };
  if (want(!post.id.empty())) {
    if (auto id = scalar_text(field(item, m, "id"))) post.id = std::string(trim(*id));
  }
  if (want(!trim(post.title).empty())) {
    if (auto t = scalar_text(field(item, m, "title"))) post.title = plain_text(*t);
  }
  if (want(post.url.has_value())) {
    if (auto u = scalar_text(field(item, m, "url"))) {
      if (auto abs = absolute_url(*u, ctx.url)) post.url = std::move(abs);
    }
  }
  if (want(post.origin_url.has_value())) {
    if (auto u = scalar_text(field(item, m, "origin_url"))) {
      if (auto abs = absolute_url(*u, ctx.url)) post.origin_url = std::move(abs);
    }
  }
  if (want(post.published_at.has_value())) {
    if (auto t = time_of(field(item, m, "published_at"), ctx.timezone)) post.published_at = t;
  }
  if (want(post.updated_at.has_value())) {
    if (auto t = time_of(field(item, m, "updated_at"), ctx.timezone)) post.updated_at = t;
  }
  if (want(post.media.has_value())) {
    if (auto s = scalar_text(field(item, m, "media"))) post.media = plain_text(*s);
  }
  if (want(post.category.has_value())) {
    if (auto s = scalar_text(field(item, m, "category"))) {
      if (std::string slug = slugify(*s); !slug.empty()) post.category = std::move(slug);
    }
  }
  if (want(!post.tags.empty())) {
    if (auto tags = string_list(field(item, m, "tags")); !tags.empty()) post.tags = std::move(tags);
  }
  if (want(post.author.has_value())) {
    if (auto s = scalar_text(field(item, m, "author"))) post.author = plain_text(*s);
  }
  if (want(post.summary.has_value())) {
    if (auto s = scalar_text(field(item, m, "summary"))) {
      std::string t = looks_like_html(*s) ? html_to_text(*s) : text_lines(*s);
      if (!t.empty()) post.summary = std::move(t);
    }
  }
  if (want(post.lang.has_value())) {
    if (auto s = scalar_text(field(item, m, "lang"))) post.lang = std::string(trim(*s));
  }
  if (want(!trim(post.body_text).empty())) {
    if (auto body = scalar_text(field(item, m, "body"))) {
      set_body(post, *body);
    } else if (auto html = scalar_text(field(item, m, "body_html"))) {
      post.body_text = html_to_text(*html);
      post.body_html = std::move(html);
    }
  }
}

// Fields that follow from others: templates may name them.
void derive_fields(Post& post) {
  if (!post.published_at) post.published_at = post.updated_at;
  // The seed pipeline's category is the outlet in pinyin (新华财经 -> xinhuacaijing).
  if (!post.category && post.media) {
    if (std::string slug = slugify(*post.media); !slug.empty()) post.category = std::move(slug);
  }
}

// The rules every json_api post ends with, whether from the list or completed by its detail.
void finish_post(Post& post) {
  derive_fields(post);
  if (trim(post.title).empty()) post.title = derive_title(post.summary, post.body_text, post.url);
  if (post.id.empty() && post.url) post.id = *post.url;
}

// The value a template's {name} stands for: a record field of `post`, else the item's member
// (or the value at a JSON pointer).
std::optional<std::string> template_value(std::string_view name, const Post& post,
                                          const json::value& item) {
  if (!names_record_field(name)) {
    const std::string pointer = name.starts_with('/') ? std::string(name) : "/" + std::string(name);
    return scalar_text(at_pointer(item, pointer));
  }
  if (name == "published_at" || name == "updated_at") {
    const std::optional<Timestamp>& t = name == "updated_at" ? post.updated_at : post.published_at;
    return t ? std::optional(format_rfc3339(*t)) : std::nullopt;
  }
  const std::optional<std::string>& v = name == "url"          ? post.url
                                        : name == "origin_url" ? post.origin_url
                                        : name == "category"   ? post.category
                                        : name == "media"      ? post.media
                                        : name == "author"     ? post.author
                                                               : post.lang;
  const std::string_view text = name == "id"      ? std::string_view(post.id)
                                : name == "title" ? std::string_view(post.title)
                                : v               ? std::string_view(*v)
                                                  : std::string_view();
  const std::string_view t = trim(text);
  return t.empty() ? std::nullopt : std::optional<std::string>(t);
}

// `tmpl` with each {name} URL-encoded; an error when one has no value ("…?id=" is no request).
Expected<std::string> render_template(std::string_view tmpl, const Post& post,
                                      const json::value& item) {
  auto pieces = split_template(tmpl);
  if (!pieces) return pieces.error();
  std::string out;
  for (const TemplatePiece& p : *pieces) {
    if (!p.is_name) {
      out.append(p.text);
    } else if (auto value = template_value(p.text, post, item)) {
      out += url_encode(*value);
    } else {
      return make_error("{" + std::string(p.text) + "} has no value in this item");
    }
  }
  return out;
}

// `url` and `origin_url` mapped as templates, rendered once the other fields are in (url
// first, so that origin_url may name it). One that cannot be rendered leaves its field null.
void apply_field_templates(Post& post, const json::value& item, const JsonApiMapping& m,
                           const Context& ctx, bool only_missing) {
  derive_fields(post);
  for (const std::string_view name : {"url", "origin_url"}) {
    const auto it = m.fields.find(std::string(name));
    if (it == m.fields.end() || !is_template(it->second)) continue;
    std::optional<std::string>& target = name == "url" ? post.url : post.origin_url;
    if (only_missing && target) continue;
    if (auto u = render_template(it->second, post, item)) target = absolute_url(*u, ctx.url);
  }
}

// ---- JSON Feed ----------------------------------------------------------------------------

std::optional<std::string> string_member(const json::value& v, std::string_view key) {
  const json::value* m = member(v, key);
  if (m == nullptr) return std::nullopt;
  if (const json::string* s = m->if_string(); s != nullptr && !trim(*s).empty()) {
    return std::string(s->data(), s->size());
  }
  return std::nullopt;
}

// JSON Feed 1.1 `authors` (array of objects), 1.0 `author` (object): the names, joined.
std::optional<std::string> author_names(const json::value& v) {
  std::string names;
  const auto add = [&](const json::value& a) {
    if (auto n = string_member(a, "name")) {
      const std::string t = plain_text(*n);
      if (t.empty()) return;
      if (!names.empty()) names += ", ";
      names += t;
    }
  };
  if (const json::value* list = member(v, "authors"); list != nullptr && list->is_array()) {
    for (const json::value& a : list->get_array()) add(a);
  }
  if (names.empty()) {
    if (const json::value* a = member(v, "author")) add(*a);
  }
  if (names.empty()) return std::nullopt;
  return names;
}

}  // namespace

Expected<std::vector<Parsed>> parse_json_api(std::string_view text, const Context& ctx) {
  if (ctx.json_api == nullptr) {
    return make_error("json_api: the source has no mapping (items, fields)");
  }
  const JsonApiMapping& m = *ctx.json_api;
  auto doc = parse_json(text, "json_api");
  if (!doc) return doc.error();
  const json::value* items = at_pointer(*doc, m.items);
  if (items == nullptr)
    return make_error("json_api: nothing at the items pointer '" + m.items + "'");
  if (!items->is_array()) {
    return make_error("json_api: the value at '" + m.items + "' is not an array");
  }
  std::vector<Parsed> out;
  std::size_t skipped = 0;
  for (const json::value& item : items->get_array()) {
    if (out.size() >= kMaxEntries) {
      log::get("parse")->warn("json_api document from {} has more than {} items; rest dropped",
                              ctx.source, kMaxEntries);
      break;
    }
    if (!item.is_object()) {
      ++skipped;
      continue;
    }
    Parsed p;
    apply_fields(p.post, item, m, ctx, /*only_missing=*/false);
    apply_field_templates(p.post, item, m, ctx, /*only_missing=*/false);
    finish_post(p.post);
    p.link = p.post.url;
    if (m.detail_url) {
      if (auto url = render_template(*m.detail_url, p.post, item)) {
        p.detail_url = std::move(*url);
      } else {
        p.error = "no detail request: " + url.error().message;
      }
    }
    out.push_back(std::move(p));
  }
  if (skipped > 0) {
    log::get("parse")->debug("json_api document from {}: {} items are not objects", ctx.source,
                             skipped);
  }
  return out;
}

Expected<std::vector<Parsed>> parse_jsonfeed(std::string_view text, const Context& ctx) {
  auto doc = parse_json(text, "jsonfeed");
  if (!doc) return doc.error();
  if (!doc->is_object()) return make_error("jsonfeed: the document is not a JSON object");
  const json::value* items = member(*doc, "items");
  if (items == nullptr || !items->is_array()) return make_error("jsonfeed: no items array");

  // Relative URLs are resolved against the feed's own URL, then its home page, then where the
  // document came from.
  std::optional<std::string> base = ctx.url;
  for (const char* key : {"home_page_url", "feed_url"}) {
    if (auto u = string_member(*doc, key)) {
      if (auto abs = absolute_url(*u, ctx.url)) base = std::move(abs);
    }
  }
  const std::optional<std::string> feed_author = author_names(*doc);
  std::optional<std::string> feed_lang = string_member(*doc, "language");

  std::vector<Parsed> out;
  for (const json::value& item : items->get_array()) {
    if (out.size() >= kMaxEntries) {
      log::get("parse")->warn("jsonfeed from {} has more than {} items; rest dropped", ctx.source,
                              kMaxEntries);
      break;
    }
    if (!item.is_object()) continue;
    Post post;
    if (auto u = string_member(item, "url")) post.url = absolute_url(*u, base);
    if (auto u = string_member(item, "external_url")) post.origin_url = absolute_url(*u, base);
    // JSON Feed 1.0 allowed numeric ids.
    if (auto id = scalar_text(member(item, "id"))) post.id = std::string(trim(*id));
    if (auto t = string_member(item, "title")) post.title = plain_text(*t);
    const std::optional<std::string> html = string_member(item, "content_html");
    const std::optional<std::string> plain = string_member(item, "content_text");
    if (plain) post.body_text = text_lines(*plain);
    if (html) {
      post.body_html = *html;
      if (!plain) post.body_text = html_to_text(*html);
    }
    if (auto s = string_member(item, "summary")) {
      std::string t = looks_like_html(*s) ? html_to_text(*s) : text_lines(*s);
      if (!t.empty()) post.summary = std::move(t);
    }
    post.published_at = time_of(member(item, "date_published"), ctx.timezone);
    post.updated_at = time_of(member(item, "date_modified"), ctx.timezone);
    if (!post.published_at) post.published_at = post.updated_at;
    post.author = author_names(item);
    if (!post.author) post.author = feed_author;
    post.tags = string_list(member(item, "tags"));
    if (auto lang = string_member(item, "language")) {
      post.lang = std::string(trim(*lang));
    } else if (feed_lang) {
      post.lang = std::string(trim(*feed_lang));
    }
    if (trim(post.title).empty()) {
      post.title = derive_title(post.summary, post.body_text, post.url);
    }
    if (post.id.empty() && post.url) post.id = *post.url;
    Parsed p;
    p.link = post.url;
    p.post = std::move(post);
    out.push_back(std::move(p));
  }
  return out;
}

Expected<Post> apply_detail(const Post& post, std::string_view bytes, const JsonApiMapping& mapping,
                            const Context& ctx) {
  if (bytes.size() > kMaxDetailBytes) {
    return make_error("json_api detail of " + std::to_string(bytes.size()) +
                      " bytes exceeds the 8 MiB limit");
  }
  try {
    const std::string text = to_utf8(bytes, ctx.content_type);
    auto doc = parse_json(text, "json_api detail");
    if (!doc) return doc.error();
    std::string pointer;
    if (mapping.detail_body) {
      pointer = *mapping.detail_body;
    } else if (const auto it = mapping.fields.find("body"); it != mapping.fields.end()) {
      pointer = it->second;
    } else {
      return make_error("json_api detail: the source maps no detail body pointer");
    }
    const json::value* body = at_pointer(*doc, pointer);
    if (body == nullptr || !(body->is_string() || body->is_null())) {
      return make_error("json_api detail: no string at the body pointer '" + pointer + "'");
    }
    Post out = post;
    if (const json::string* s = body->if_string()) set_body(out, std::string_view(*s));
    // Other mapped fields fill only what the list item lacked.
    if (doc->is_object()) {
      apply_fields(out, *doc, mapping, ctx, /*only_missing=*/true);
      apply_field_templates(out, *doc, mapping, ctx, /*only_missing=*/true);
    }
    finish_post(out);
    if (out.id.empty()) out.id = post.id;
    seal(out);
    return out;
  } catch (const std::exception& e) {
    log::get("parse")->warn("json_api detail from {} failed: {}", ctx.source, e.what());
    return make_error(std::string("json_api detail failed: ") + e.what());
  } catch (...) {
    return make_error("json_api detail failed: unknown exception");
  }
}

}  // namespace newsd::parse
