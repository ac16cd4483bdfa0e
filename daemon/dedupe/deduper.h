// The dedupe decision: is a post new, a changed version of one already published, or seen?
// One verdict, with both of its rules in one place:
//  - a post whose content is known is seen when the store holds the same content digest;
//  - a feed entry whose content needs another request (a link to follow, a detail to fetch)
//    is seen once stored (detail APIs) or while its updated time has not moved (followed
//    links): re-fetching every article on each poll would be impolite.
//
// Thread-safety: not thread-safe; the event loop's thread only (it reads the store).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dedupe/seen_store.h"

namespace newsd::dedupe {

enum class Verdict {
  fresh,    // not seen: publish it (or fetch what completes it)
  changed,  // seen with other content: publish the new version (or fetch it)
  seen,     // nothing to do
};

// What is known of a post when it is judged.
struct Sighting {
  // Its content's digest; null while its content is still to be fetched.
  const std::string* content_sha256 = nullptr;
  std::optional<Timestamp> updated_at;
  // Only for posts whose content is still to be fetched: fetched again when their updated
  // time moves (followed links), or never once seen (detail requests).
  bool refetch_when_updated = true;
};

// The verdict on `post`, given what the store holds for its id.
Verdict judge(const std::optional<SeenEntry>& stored, const Sighting& post);

// Looks posts up in the store and judges them.
class Deduper {
 public:
  explicit Deduper(SeenStore& store) : store_(store) {}
  // The verdicts on `posts` (ids[i] is the id of posts[i]), from one store query.
  std::vector<Verdict> judge(const std::string& source, const std::vector<std::string>& ids,
                             const std::vector<Sighting>& posts);
  Verdict judge(const std::string& source, const std::string& id, const Sighting& post);
  // Whether the store holds any mark of `source` (SeenStore::has_marks).
  bool knows(const std::string& source) { return store_.has_marks(source); }

 private:
  SeenStore& store_;
};

}  // namespace newsd::dedupe
