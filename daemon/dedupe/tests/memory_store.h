// A transactional seen-store in memory for tests, which fails the way SQLite may on a full
// disk: a failing write rolls the open batch back, later writes are durable one by one, and
// flush() reports the loss.
#pragma once

#include <map>
#include <utility>

#include "dedupe/seen_store.h"

namespace newsd::dedupe {

class MemoryStore : public SeenStore {
 public:
  std::optional<SeenEntry> find(const std::string& source, const std::string& id) override {
    ++finds;
    for (auto* m : {&seen_pending, &seen})
      if (auto it = m->find({source, id}); it != m->end()) return it->second;
    return std::nullopt;
  }
  bool commit(const std::string& source, const std::string& id, const SeenEntry& entry,
              Timestamp) override {
    if (++commits == fail_commit) {
      seen_pending.clear();
      polls_pending.clear();
      rolled_back = true;
      return false;
    }
    (rolled_back ? seen : seen_pending)[{source, id}] = entry;
    return true;
  }
  std::size_t prune(Timestamp, std::size_t) override { return 0; }
  std::size_t size() override { return seen.size(); }
  bool has_marks(const std::string& source) override {
    for (auto* m : {&seen_pending, &seen}) {
      const auto it = m->lower_bound({source, ""});
      if (it != m->end() && it->first.first == source) return true;
    }
    return false;
  }
  PollState poll_state(const std::string& source) override {
    for (auto* m : {&polls_pending, &polls})
      if (auto it = m->find(source); it != m->end()) return it->second;
    return {};
  }
  bool save_poll_state(const std::string& source, const PollState& state) override {
    (rolled_back ? polls : polls_pending)[source] = state;
    return true;
  }
  bool batch_intact() override { return !rolled_back; }
  bool flush() override {
    ++flushes;
    if (fail_flush || rolled_back) {
      seen_pending.clear();
      polls_pending.clear();
      rolled_back = false;
      return false;
    }
    for (auto& [k, v] : seen_pending) seen[k] = v;
    for (auto& [k, v] : polls_pending) polls[k] = v;
    seen_pending.clear();
    polls_pending.clear();
    return true;
  }

  int fail_commit = -1;  // the commit() (counted from 1) that fails and rolls back
  bool fail_flush = false;
  int commits = 0, flushes = 0, finds = 0;
  bool rolled_back = false;
  std::map<std::pair<std::string, std::string>, SeenEntry> seen, seen_pending;  // durable, not
  std::map<std::string, PollState> polls, polls_pending;
};

}  // namespace newsd::dedupe
