// The schema's tables for a source and its nested keys (schema.h); the top level and the
// other sections are in schema.cpp.
#include <chrono>

#include "config/schema.h"
#include "config/schema_checks.h"
#include "parse/json_template.h"

namespace newsd::config::schema {

using namespace std::chrono_literals;
using namespace checks;

const Table<Source>& source_keys() {
  static const Table<Source> t = {
      text("name", &Source::name)
          .required()
          .check([](const std::string& n, const Fail& fail) {
            if (!n.empty() && !valid_source_name(n))
              fail("use letters, digits, '-', '_' and '.' only (at most 128)");
          })
          .help("unique; letters, digits, `-`, `_`, `.` (at most 128); it is the record's "
                "`source`"),
      text("url", &Source::url)
          .required()
          .check([](const std::string& u, const Fail& fail) {
            if (!u.empty() && !http_url(u)) fail("must be an http:// or https:// URL");
          })
          .help("`http://` or `https://`"),
      text("format", &Source::format)
          .check([](const std::string& f, const Fail& fail) {
            if (!one_of(kFormats, f)) fail("unknown format '" + f + "' (" + joined(kFormats) + ")");
          })
          .help(in_code(kFormats) +
                "; binary content (an image, an archive, NUL bytes) is refused in every format "
                "but a gzip `sitemap` (docs/errors.md, docs/sources.md)"),
      duration("interval", &Source::interval)
          .at_least(1s)
          .help("time between polls (with ±10 % jitter)"),
      optional_section("adapt", &Source::adapt, adapt_keys,
                       "follow the source's publishing rhythm within `min` and `max` (below)"),
      flag("follow", &Source::follow)
          .help("fetch each new entry's link and take the article's full text"),
      text("timezone", &Source::timezone)
          .check([](const std::string& tz, const Fail& fail) {
            if (!valid_timezone(tz)) fail("unknown time zone '" + tz + "'");
          })
          .help("IANA zone for times written without an offset"),
      optional_text("category", &Source::category)
          .shown_as("from the document")
          .help("overrides the record's category (and so the topic); made an ASCII slug as OPML "
                "folders are (`World News` → `world-news`)"),
      optional_text("media", &Source::media)
          .shown_as("from the document")
          .help("overrides the record's media"),
      // Present when any of its keys is: they sit beside the others in the source's mapping.
      shown_as("`items`, `fields`, `detail`",
               row<Source>("items", "", "", "`json_api` mapping, below",
                           [](MapReader& r, Source& s) {
                             if (!r.get("items", false).IsDefined() &&
                                 !r.get("fields", false).IsDefined() &&
                                 !r.get("detail", false).IsDefined())
                               return;
                             JsonApi api;
                             read(r, api, json_api_keys());
                             s.json_api = std::move(api);
                           })),
      text("robots", &Source::robots)
          .check([](const std::string& v, const Fail& fail) {
            if (!one_of(kRobots, v)) fail("expected " + joined(kRobots, " or "));
          })
          .help("`obey`: URLs newsd finds on its own (followed articles, child sitemaps, "
                "detail requests to another host) are checked against robots.txt first; "
                "`ignore`: they are not. The source's own `url` is never checked "
                "(docs/sources.md)"),
      check<Source>("format",
                    [](const Source& s, const Fail& fail) {
                      if (s.format == "json_api" && !s.json_api)
                        fail("json_api sources need 'items' and 'fields'");
                    }),
      count("max_pages", &Source::max_pages)
          .range(1, 1000, "no paging")
          .help("pages read in one poll, the first included, when every entry of the first is "
                "new: older pages come from the feed's RFC 5005 links, a `Link: rel=\"next\"` "
                "header or `paging` (docs/sources.md)"),
      optional_section<Source>("paging", &Source::paging, paging_keys,
                               "older pages by a query parameter: `param` and `first` (below)"),
  };
  return t;
}

const Table<Paging>& paging_keys() {
  static const Table<Paging> t = {
      text("param", &Paging::param)
          .required()
          .check([](const std::string& p, const Fail& fail) {
            if (p.find_first_of("&=#?/ ") != std::string::npos)
              fail("a query parameter name, e.g. pageindex");
          })
          .help("the query parameter that numbers the pages, e.g. `pageindex`"),
      count("first", &Paging::first)
          .range(0, 1'000'000)
          .help("the number of the page the source's `url` shows; the next is one more"),
  };
  return t;
}

const Table<Adapt>& adapt_keys() {
  static const Table<Adapt> t = {
      duration("min", &Adapt::min)
          .at_least(1s)
          .help("the shortest interval it may learn; at most `max`"),
      duration("max", &Adapt::max).at_least(1s).help("the longest interval it may learn"),
      check<Adapt>("min",
                   [](const Adapt& a, const Fail& fail) {
                     if (a.min > a.max) fail("must not exceed adapt.max");
                   }),
  };
  return t;
}

const Table<JsonApi>& json_api_keys() {
  static const Table<JsonApi> t = {
      text("items", &JsonApi::items)
          .check([](const std::string& p, const Fail& fail) {
            if (!json_pointer(p)) fail("expected a JSON pointer such as /record");
          })
          .help("JSON pointer to the array of items, e.g. `/record`; a `json_api` source needs "
                "`items` and `fields`"),
      string_map("fields", &JsonApi::fields)
          .check([](const std::map<std::string, std::string>& fields, const Fail& fail) {
            for (const auto& [k, v] : fields) {
              if (!one_of(kRecordFields, k)) {
                fail("unknown record field '" + k + "'");
              } else if ((k == "url" || k == "origin_url") && parse::is_template(v)) {
                if (auto problem = parse::template_problem(v, fields, k))
                  fail("field '" + k + "': " + *problem);
              } else if (!json_pointer(v)) {
                fail("field '" + k + "' needs a JSON pointer");
              }
            }
          })
          .help("record field → JSON pointer in an item: " + in_code(kRecordFields) +
                ". `url` and `origin_url` may instead be a template (below), for items that "
                "carry only an id: `origin_url: \"http://…/NewsShare.html?infoCode={id}\"`"),
      shown_as("", row<JsonApi>("detail", "", "", "",
                                [](MapReader& r, JsonApi& api) {
                                  MapReader d(r.ctx(), r.get("detail", false),
                                              r.key_path("detail"));
                                  read(d, api, json_api_detail_keys());
                                  d.finish();
                                })),
  };
  return t;
}

const Table<JsonApi>& json_api_detail_keys() {
  static const Table<JsonApi> t = {
      optional_text("url", &JsonApi::detail_url)
          .help("URL template for one request per **new** item, e.g. `…/GetNewsText.do?id={id}`"),
      optional_text("body", &JsonApi::detail_body)
          .help("JSON pointer to the body in the detail response"),
      check<JsonApi>("url",
                     [](const JsonApi& api, const Fail& fail) {
                       if (api.detail_url && !http_url(*api.detail_url)) {
                         fail("must be an http:// or https:// URL template");
                       } else if (api.detail_url) {
                         if (auto problem = parse::template_problem(*api.detail_url, api.fields))
                           fail(*problem);
                       }
                     }),
  };
  return t;
}

}  // namespace newsd::config::schema
