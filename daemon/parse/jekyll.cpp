// Jekyll posts: YAML front matter + an HTML (or markdown) body, as the seed pipeline writes
// them. See DESIGN.md "Parsing rules" for the seed-format conventions handled here.
#include <string>
#include <utility>

#include "core/ascii.h"
#include "parse/formats.h"
#include "parse/front_matter.h"
#include "parse/html/text.h"
#include "parse/slug.h"
#include "parse/text_util.h"
#include "parse/timeparse.h"

namespace newsd::parse {
namespace {

std::string_view rtrim_ascii(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<std::string> scalar(const FrontMatter& map, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    const FrontMatterValue* v = find_entry(map, key);
    if (v && v->kind == FrontMatterValue::Kind::scalar && !trim(v->scalar).empty()) {
      return v->scalar;
    }
  }
  return std::nullopt;
}

// A YAML scalar or list as strings. Jekyll splits a scalar `categories`/`tags` on spaces.
std::vector<std::string> string_list(const FrontMatter& map,
                                     std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    const FrontMatterValue* v = find_entry(map, key);
    if (!v) continue;
    std::vector<std::string> out;
    if (v->kind == FrontMatterValue::Kind::scalar) {
      out = split_ws(v->scalar);
    } else if (v->kind == FrontMatterValue::Kind::sequence) {
      for (const auto& item : v->items) {
        if (!item) continue;
        std::string s = normalize_ws(*item);
        if (!s.empty()) out.push_back(std::move(s));
      }
    }
    if (!out.empty()) return out;
  }
  return {};
}

// "[返回新华财经新闻](//…)｜[返回首页](//…)": a line made only of markdown links back to the
// site (link text starting with 返回) and separators.
bool is_navigation_line(std::string_view line) {
  std::size_t links = 0;
  std::size_t i = 0;
  while (i < line.size()) {
    const std::string_view rest = line.substr(i);
    if (rest[0] == ' ' || rest[0] == '\t' || rest[0] == '|' || rest[0] == '/' || rest[0] == '-') {
      ++i;
      continue;
    }
    if (rest.starts_with("｜") || rest.starts_with("·") || rest.starts_with("\xE3\x80\x80")) {
      i += rest.starts_with("·") ? 2 : 3;
      continue;
    }
    if (rest[0] != '[') return false;
    const auto close = rest.find("](");
    if (close == std::string_view::npos) return false;
    const std::string_view text = trim(rest.substr(1, close - 1));
    if (!text.starts_with("返回")) return false;
    const auto paren = rest.find(')', close + 2);
    if (paren == std::string_view::npos) return false;
    ++links;
    i += paren + 1;
  }
  return links > 0;
}

// "<>" (or "< >") alone on a line: the seed pipeline's share line when it had no link.
bool is_empty_autolink(std::string_view line) {
  return line.size() >= 2 && line.front() == '<' && line.back() == '>' &&
         trim(line.substr(1, line.size() - 2)).empty();
}

// "<http://…>" alone on a line: the original share link.
std::optional<std::string> autolink(std::string_view line) {
  if (line.size() < 10 || line.front() != '<' || line.back() != '>') return std::nullopt;
  const std::string_view inner = line.substr(1, line.size() - 2);
  if (!is_absolute_http(inner)) return std::nullopt;
  if (inner.find_first_of(" \t<>\"") != std::string_view::npos) return std::nullopt;
  return std::string(inner);
}

// "（文章来源：新华财经）" -> "新华财经"; also ASCII parentheses/colon and no parentheses.
std::optional<std::string> media_from_text(std::string_view text) {
  std::string_view t = trim(text);
  if (t.starts_with("（"))
    t.remove_prefix(3);
  else if (t.starts_with("("))
    t.remove_prefix(1);
  t = trim(t);
  if (!t.starts_with("文章来源")) return std::nullopt;
  t.remove_prefix(std::string_view("文章来源").size());
  t = trim(t);
  if (t.starts_with("："))
    t.remove_prefix(3);
  else if (t.starts_with(":"))
    t.remove_prefix(1);
  else
    return std::nullopt;
  if (t.ends_with("）"))
    t.remove_suffix(3);
  else if (t.ends_with(")"))
    t.remove_suffix(1);
  t = trim(t);
  if (t.empty()) return std::nullopt;
  return std::string(t);
}

// Start of the last "<p>" / "<p attr…>" open tag in `html` (any case), or npos.
std::size_t last_paragraph_open(std::string_view html) {
  for (std::size_t pos = html.rfind('<'); pos != std::string_view::npos;
       pos = pos == 0 ? std::string_view::npos : html.rfind('<', pos - 1)) {
    if (pos + 1 >= html.size() || (html[pos + 1] != 'p' && html[pos + 1] != 'P')) continue;
    const char next = pos + 2 < html.size() ? html[pos + 2] : '\0';
    if (next == '>' || next == ' ' || next == '\t' || next == '\n' || next == '/') return pos;
  }
  return std::string_view::npos;
}

// Removes the trailing media paragraph from `html` and returns the outlet it names: the
// `<p class="em_media">` paragraph, or any last paragraph reading （文章来源：X）.
std::optional<std::string> take_media(std::string& html) {
  const std::string_view trimmed = rtrim_ascii(html);
  if (trimmed.size() >= 4 && ascii::equals_lower(trimmed.substr(trimmed.size() - 4), "</p>")) {
    const std::size_t open = last_paragraph_open(trimmed);
    if (open == std::string::npos) return std::nullopt;
    const std::size_t open_end = trimmed.find('>', open);
    const std::size_t close = trimmed.size() - 4;
    if (open_end == std::string::npos || open_end >= close) return std::nullopt;
    const std::string tag = ascii::lowered(trimmed.substr(open, open_end - open));
    const std::string text =
        html_to_text(std::string_view(trimmed).substr(open_end + 1, close - open_end - 1));
    std::optional<std::string> media = media_from_text(text);
    if (!media && tag.find("em_media") != std::string_view::npos && !trim(text).empty()) {
      media = normalize_ws(text);
    }
    if (media) html.resize(rtrim_ascii(std::string_view(html).substr(0, open)).size());
    return media;
  }
  // A markdown body: the last line itself.
  const std::size_t nl = trimmed.rfind('\n');
  const std::size_t start = nl == std::string_view::npos ? 0 : nl + 1;
  std::optional<std::string> media = media_from_text(html_to_text(trimmed.substr(start)));
  if (media) html.resize(rtrim_ascii(std::string_view(html).substr(0, start)).size());
  return media;
}

bool has_block_html(std::string_view body) {
  static constexpr std::string_view kTags[] = {
      "<p>", "<p ", "<div", "<br", "<h1",    "<h2",         "<h3",      "<h4",      "<h5",
      "<h6", "<ul", "<ol",  "<li", "<table", "<blockquote", "<section", "<article", "<pre"};
  for (std::size_t lt = body.find('<'); lt != std::string_view::npos; lt = body.find('<', lt + 1)) {
    for (std::string_view tag : kTags) {
      if (ascii::starts_with_lower(body.substr(lt), tag)) return true;
    }
  }
  return false;
}

std::optional<std::string> info_code(std::string_view url) {
  const auto q = url.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = url.substr(q + 1);
  if (const auto hash = query.find('#'); hash != std::string_view::npos)
    query = query.substr(0, hash);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (ascii::starts_with_lower(pair, "infocode=") && pair.size() > 9)
      return std::string(pair.substr(9));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> take_media_paragraph(std::string& html) {
  return take_media(html);
}

Expected<std::vector<Parsed>> parse_jekyll(std::string_view input, const Context& ctx) {
  std::string doc(strip_bom(input));
  // CRLF -> LF once, so every later step sees one line ending.
  std::erase(doc, '\r');
  const std::vector<std::string_view> lines = split_lines(doc);
  std::size_t first = 0;
  while (first < lines.size() && trim(lines[first]).empty()) ++first;
  if (first == lines.size() || rtrim_ascii(lines[first]) != "---") {
    return make_error("jekyll: no YAML front matter (no '---' line at the start)");
  }
  std::size_t close = first + 1;
  while (close < lines.size() && rtrim_ascii(lines[close]) != "---" &&
         rtrim_ascii(lines[close]) != "...") {
    ++close;
  }
  if (close == lines.size()) return make_error("jekyll: front matter is not closed by '---'");

  std::string front;
  for (std::size_t k = first + 1; k < close; ++k) {
    front.append(lines[k]);
    front.push_back('\n');
  }
  Expected<FrontMatter> read = read_front_matter(front, first + 2);
  if (!read) return make_error("jekyll: " + read.error().message);
  const FrontMatter& fm = *read;

  // Body lines: a leading "> …" blockquote is the summary; trailing navigation links and the
  // "<http…>" share line (or "<>", no link) are not part of the article.
  std::size_t b = close + 1;
  std::size_t e = lines.size();
  while (b < e && trim(lines[b]).empty()) ++b;
  std::vector<std::string> quote;
  while (b < e && trim(lines[b]).starts_with('>')) {
    std::string_view q = trim(lines[b]);
    q.remove_prefix(1);
    if (std::string t = html_to_text(q); !t.empty()) quote.push_back(std::move(t));
    ++b;
  }
  std::optional<std::string> origin;
  for (;;) {
    while (e > b && trim(lines[e - 1]).empty()) --e;
    if (e == b) break;
    const std::string_view last = trim(lines[e - 1]);
    if (is_navigation_line(last) || is_empty_autolink(last)) {
      --e;
      continue;
    }
    if (auto link = autolink(last); link && !origin) {
      origin = std::move(link);
      --e;
      continue;
    }
    break;
  }
  std::string html;
  for (std::size_t k = b; k < e; ++k) {
    if (k > b) html.push_back('\n');
    html.append(lines[k]);
  }
  std::optional<std::string> media = take_media(html);

  Post post;
  if (!quote.empty()) {
    std::string s;
    for (const auto& q : quote) {
      if (!s.empty()) s.push_back('\n');
      s += q;
    }
    post.summary = std::move(s);
  } else if (auto s = scalar(fm, {"summary", "description", "excerpt"})) {
    post.summary = html_to_text(*s);
  }
  if (has_block_html(html)) {
    post.body_text = html_to_text(html);
    post.body_html = html;
  } else {
    for (std::string_view line : split_lines(html)) {
      std::string t = html_to_text(line);
      if (t.empty()) continue;
      if (!post.body_text.empty()) post.body_text.push_back('\n');
      post.body_text += t;
    }
  }
  post.media = std::move(media);
  post.origin_url = origin;

  if (auto u = scalar(fm, {"url", "permalink"}); u && is_absolute_http(trim(*u))) {
    post.url = std::string(trim(*u));
  } else if (ctx.url) {
    post.url = ctx.url;
  }
  if (auto id = scalar(fm, {"id"})) {
    post.id = std::string(trim(*id));
  } else if (auto code = origin ? info_code(*origin) : std::nullopt) {
    post.id = *code;
  } else {
    post.id = fallback_id(ctx);
  }

  if (auto d = scalar(fm, {"date"})) post.published_at = parse_time(*d, ctx.timezone);
  if (auto u = scalar(fm, {"updated", "last_modified_at", "modified"})) {
    post.updated_at = parse_time(*u, ctx.timezone);
  }
  if (!post.published_at) post.published_at = post.updated_at;

  if (const auto cats = string_list(fm, {"categories", "category"}); !cats.empty()) {
    if (std::string slug = slugify(cats.front()); !slug.empty()) post.category = std::move(slug);
  }
  post.tags = string_list(fm, {"tags", "tag"});
  if (const FrontMatterValue* a = find_entry(fm, "author")) {
    if (a->kind == FrontMatterValue::Kind::scalar && !trim(a->scalar).empty()) {
      post.author = normalize_ws(a->scalar);
    } else if (a->kind == FrontMatterValue::Kind::map) {
      if (auto name = scalar(a->map, {"name"})) post.author = normalize_ws(*name);
    }
  }
  if (auto lang = scalar(fm, {"lang", "language"})) post.lang = std::string(trim(*lang));

  if (auto t = scalar(fm, {"title"})) post.title = normalize_ws(*t);
  if (post.title.empty()) post.title = derive_title(post.summary, post.body_text, post.url);

  std::vector<Parsed> out;
  out.push_back(Parsed{std::move(post), std::nullopt, std::nullopt});
  return out;
}

}  // namespace newsd::parse
