#include "schedule/paging.h"

#include <algorithm>

#include "core/ascii.h"
#include "parse/text_util.h"

namespace newsd::schedule::paging {

namespace {

constexpr std::string_view kSpace = " \t";

std::string_view trimmed(std::string_view s) {
  const auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

// Whether the space-separated relation types of `rel` include "next".
bool has_next(std::string_view rel) {
  while (!rel.empty()) {
    const auto b = rel.find_first_not_of(kSpace);
    if (b == std::string_view::npos) break;
    rel.remove_prefix(b);
    const auto e = std::min(rel.find_first_of(kSpace), rel.size());
    if (ascii::equals_lower(rel.substr(0, e), "next")) return true;
    rel.remove_prefix(e);
  }
  return false;
}

}  // namespace

std::optional<std::string> next_in_link_header(std::string_view value, std::string_view base) {
  std::size_t i = 0;
  while (i < value.size()) {
    const auto open = value.find('<', i);
    if (open == std::string_view::npos) break;
    const auto close = value.find('>', open);
    if (close == std::string_view::npos) break;
    const std::string_view target = trimmed(value.substr(open + 1, close - open - 1));
    // The link's parameters: up to a comma outside a quoted string.
    bool next = false;
    i = close + 1;
    while (i < value.size() && value[i] != ',') {
      if (value[i] != ';') {
        ++i;
        continue;
      }
      ++i;
      const auto eq = value.find_first_of("=;,", i);
      const std::string_view name =
          trimmed(value.substr(i, eq == std::string_view::npos ? std::string_view::npos : eq - i));
      if (eq == std::string_view::npos || value[eq] != '=') {
        i = eq == std::string_view::npos ? value.size() : eq;
        continue;
      }
      i = eq + 1;
      while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
      std::string param;
      if (i < value.size() && value[i] == '"') {
        for (++i; i < value.size() && value[i] != '"'; ++i) {
          if (value[i] == '\\' && i + 1 < value.size()) ++i;
          param += value[i];
        }
        if (i < value.size()) ++i;  // the closing quote
      } else {
        const auto end = std::min(value.find_first_of(";,", i), value.size());
        param = trimmed(value.substr(i, end - i));
        i = end;
      }
      if (ascii::equals_lower(name, "rel") && has_next(param)) next = true;
    }
    if (next && !target.empty()) return parse::resolve_url(base, target);
  }
  return std::nullopt;
}

std::string with_query_param(std::string_view url, std::string_view param, std::string_view value) {
  const auto hash = url.find('#');
  const std::string_view fragment = hash == std::string_view::npos ? "" : url.substr(hash);
  const std::string_view rest = url.substr(0, hash);
  const auto q = rest.find('?');
  std::string out(rest.substr(0, q));
  const std::string pair = std::string(param) + "=" + std::string(value);
  bool replaced = false;
  char sep = '?';
  if (q != std::string_view::npos) {
    std::string_view query = rest.substr(q + 1);
    while (true) {
      const auto amp = query.find('&');
      const std::string_view part = query.substr(0, amp);
      const std::string_view name = part.substr(0, part.find('='));
      out += sep;
      sep = '&';
      if (name == param && !replaced) {
        out += pair;
        replaced = true;
      } else {
        out += part;
      }
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  if (!replaced) {
    if (q == std::string_view::npos)
      out += '?';
    else if (out.back() != '?')
      out += '&';
    out += pair;
  }
  out += fragment;
  return out;
}

std::optional<std::string> next_url(const config::Source& cfg, std::size_t number,
                                    const std::optional<std::string>& document_next,
                                    std::string_view link_header, std::string_view response_url) {
  if (cfg.paging)
    return with_query_param(cfg.url, cfg.paging->param, std::to_string(cfg.paging->first + number));
  if (document_next) return document_next;
  return next_in_link_header(link_header, response_url);
}

std::string gap_why(std::size_t read, std::size_t pages, const std::string& because) {
  return "all " + std::to_string(read) + " entries of " +
         (pages == 1 ? std::string("the first page") : std::to_string(pages) + " pages") +
         " were new and " + because + "; posts older than them may be missed";
}

Decision decide(const Page& page, std::size_t max_pages,
                const std::function<bool()>& polled_before) {
  const auto gap = [&](const std::string& because) {
    return Decision{Step::gap, {}, gap_why(page.read, page.number, because)};
  };
  // An empty page is the end of the list; a known entry means the poll caught up.
  if (page.entries == 0 || page.known > 0) return {};
  if (page.number == 1 && !polled_before()) return {};  // a first poll catches nothing up
  if (page.fresh == 0)
    return gap("page " + std::to_string(page.number) + " repeated entries of earlier pages");
  if (page.number >= max_pages)
    return gap(max_pages == 1 ? "paging is off (max_pages: 1)"
                              : "max_pages (" + std::to_string(max_pages) + ") is reached");
  if (!page.next) {
    // Past the first page, a page that names no older one is the end of the archive.
    if (page.number > 1) return {};
    return gap("the source offers no older page");
  }
  return {Step::next, *page.next, {}};
}

}  // namespace newsd::schedule::paging
