// Catch-up paging (docs/sources.md): when every entry of a poll's first page is new, more may
// have been published than the page shows, and older pages are read until one shows an entry
// already seen. This module says where the next page is and whether to read it; Poll fetches
// and judges the pages.
//
// Pure functions: no state, any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace newsd::schedule::paging {

// The target of the first link whose relation types include "next" in a Link field value
// (RFC 8288; several fields joined by ", "), resolved against `base`; nullopt when none.
std::optional<std::string> next_in_link_header(std::string_view value, std::string_view base);

// `url` with its query parameter `param` set to `value`: replaced where present, else added.
std::string with_query_param(std::string_view url, std::string_view param, std::string_view value);

// Where the page after page `number` (1-based) of `cfg`'s source is: by the configured page
// parameter when there is one (the operator said how), else the document's RFC 5005 link,
// else the response's Link header (resolved against `response_url`).
std::optional<std::string> next_url(const config::Source& cfg, std::size_t number,
                                    const std::optional<std::string>& document_next,
                                    std::string_view link_header, std::string_view response_url);

// What a page showed, for the decision on the next.
struct Page {
  std::size_t number = 1;           // 1-based
  std::size_t entries = 0;          // in the document
  std::size_t fresh = 0;            // not already read from an earlier page of this poll
  std::size_t known = 0;            // of the fresh ones, in the store (seen or changed)
  std::size_t read = 0;             // entries of every page so far, this one included
  std::optional<std::string> next;  // next_url()
};

enum class Step {
  done,  // caught up, or nothing to catch up: send what was read
  next,  // read `url` too
  gap,   // send what was read; posts older than it may be missing (`why`)
};

struct Decision {
  Step step = Step::done;
  std::string url;  // next
  std::string why;  // gap: for the log, with how many posts may be missing
};

// What a gap's log says: how many entries of how many pages were read, all new, and why no
// older page was read.
std::string gap_why(std::size_t read, std::size_t pages, const std::string& because);

// The stop rule. `polled_before` is asked only when the first page is all new.
Decision decide(const Page& page, std::size_t max_pages,
                const std::function<bool()>& polled_before);

}  // namespace newsd::schedule::paging
