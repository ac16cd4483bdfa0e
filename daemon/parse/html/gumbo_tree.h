// Every gumbo parse of the project goes through GumboTree, in a GumboArena: memory for one
// parse, handed out from a few large blocks and released at once.
//
// gumbo allocates every node, name, attribute and text buffer separately (30,000 and more
// malloc/free pairs for a news page), and gumbo_destroy_output() walks the whole tree again
// to free them. With an arena, deallocation is a no-op and the tree is dropped with the
// arena, without that walk. gumbo allocates in total up to ~30x its input (measured on
// hostile tag soup; 5-8x on news pages), so the arena stops at a budget and hands out
// plain malloc memory beyond it; only then does the tree still need gumbo_destroy_output().
//
// Not thread-safe; one arena per parse, outliving the GumboOutput that uses it.
#pragma once

#include <gumbo.h>

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace newsd::parse {

class GumboArena {
 public:
  explicit GumboArena(std::size_t budget = kDefaultBudget) : budget_(budget) {}
  // Keeps up to kSpareBytes of its blocks for the thread's next arena: fresh blocks cost
  // page faults (3 % of an article parse, measured).
  ~GumboArena();
  GumboArena(const GumboArena&) = delete;
  GumboArena& operator=(const GumboArena&) = delete;

  // gumbo's defaults with this arena as allocator; max_errors 0 (errors are not read).
  GumboOptions options();

  // Whether anything was allocated outside the arena (then gumbo_destroy_output() must
  // run to free it).
  bool overflowed() const { return overflowed_; }

  static constexpr std::size_t kDefaultBudget = std::size_t{64} << 20;
  static constexpr std::size_t kSpareBytes = std::size_t{4} << 20;  // per thread

 private:
  static void* allocate(void* self, std::size_t size);
  static void deallocate(void* self, void* ptr);
  void* allocate(std::size_t size);
  bool owns(const void* ptr) const;

  struct Block {
    std::unique_ptr<std::byte[]> bytes;
    std::size_t size;
  };
  static std::vector<Block>& spare();  // this thread's kept blocks
  std::vector<Block> blocks_;
  std::size_t used_ = 0;   // in the last block
  std::size_t total_ = 0;  // of all blocks
  std::size_t budget_;
  bool overflowed_ = false;
};

// gumbo's tree of a document, in its own arena. `html` must outlive it (nodes point into it).
class GumboTree {
 public:
  explicit GumboTree(std::string_view html);
  ~GumboTree();
  GumboTree(const GumboTree&) = delete;
  GumboTree& operator=(const GumboTree&) = delete;

  // nullptr when gumbo could not parse.
  const GumboOutput* output() const { return output_; }

 private:
  GumboArena arena_;
  GumboOptions options_;
  GumboOutput* output_;
};

}  // namespace newsd::parse
