#include "dedupe/deduper.h"

namespace newsd::dedupe {

Verdict judge(const std::optional<SeenEntry>& stored, const Sighting& post) {
  if (!stored) return Verdict::fresh;
  if (post.content_sha256)
    return stored->content_sha256 == *post.content_sha256 ? Verdict::seen : Verdict::changed;
  if (!post.refetch_when_updated || stored->updated_at == post.updated_at) return Verdict::seen;
  return Verdict::changed;
}

std::vector<Verdict> Deduper::judge(const std::string& source, const std::vector<std::string>& ids,
                                    const std::vector<Sighting>& posts) {
  const auto stored = store_.find_many(source, ids);
  std::vector<Verdict> out;
  out.reserve(posts.size());
  for (std::size_t i = 0; i < posts.size(); ++i) out.push_back(dedupe::judge(stored[i], posts[i]));
  return out;
}

Verdict Deduper::judge(const std::string& source, const std::string& id, const Sighting& post) {
  return dedupe::judge(store_.find(source, id), post);
}

}  // namespace newsd::dedupe
