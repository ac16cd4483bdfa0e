#include "parse/html/gumbo_tree.h"

#include <algorithm>
#include <cstdlib>
#include <functional>

namespace newsd::parse {
namespace {

constexpr std::size_t kAlign = alignof(std::max_align_t);  // as malloc
constexpr std::size_t kFirstBlock = std::size_t{256} << 10;
constexpr std::size_t kMaxBlock = std::size_t{16} << 20;

}  // namespace

GumboOptions GumboArena::options() {
  GumboOptions o = kGumboDefaultOptions;
  o.allocator = &GumboArena::allocate;
  o.deallocator = &GumboArena::deallocate;
  o.userdata = this;
  o.max_errors = 0;
  return o;
}

std::vector<GumboArena::Block>& GumboArena::spare() {
  static thread_local std::vector<Block> blocks;
  return blocks;
}

GumboArena::~GumboArena() {
  std::vector<Block>& kept = spare();
  std::size_t bytes = 0;
  for (const Block& b : kept) bytes += b.size;
  for (Block& b : blocks_) {
    if (bytes + b.size > kSpareBytes) break;  // blocks_ grow: the rest are larger still
    bytes += b.size;
    kept.push_back(std::move(b));
  }
}

void* GumboArena::allocate(void* self, std::size_t size) {
  return static_cast<GumboArena*>(self)->allocate(size);
}

void GumboArena::deallocate(void* self, void* ptr) {
  // Arena memory goes with the arena; only what overflowed is freed one by one.
  if (ptr != nullptr && !static_cast<GumboArena*>(self)->owns(ptr)) std::free(ptr);
}

void* GumboArena::allocate(std::size_t size) {
  size = (std::max<std::size_t>(size, 1) + kAlign - 1) & ~(kAlign - 1);
  if (blocks_.empty() || used_ + size > blocks_.back().size) {
    // Blocks double (so that few are searched in owns()), up to kMaxBlock.
    const std::size_t next = std::max(
        size, blocks_.empty() ? kFirstBlock : std::min(blocks_.back().size * 2, kMaxBlock));
    if (total_ + next > budget_) {
      overflowed_ = true;
      void* p = std::malloc(size);
      if (p == nullptr) std::abort();  // gumbo cannot recover either (it never checks)
      return p;
    }
    std::vector<Block>& kept = spare();
    const auto fits =
        std::find_if(kept.begin(), kept.end(), [&](const Block& b) { return b.size >= next; });
    if (fits != kept.end()) {
      blocks_.push_back(std::move(*fits));
      kept.erase(fits);
    } else {
      blocks_.push_back(Block{std::make_unique_for_overwrite<std::byte[]>(next), next});
    }
    total_ += blocks_.back().size;
    used_ = 0;
  }
  void* p = blocks_.back().bytes.get() + used_;
  used_ += size;
  return p;
}

bool GumboArena::owns(const void* ptr) const {
  for (const Block& b : blocks_) {
    // std::less gives a total order over unrelated pointers.
    const std::byte* begin = b.bytes.get();
    if (!std::less<>()(static_cast<const void*>(ptr), static_cast<const void*>(begin)) &&
        std::less<>()(static_cast<const void*>(ptr), static_cast<const void*>(begin + b.size))) {
      return true;
    }
  }
  return false;
}

GumboTree::GumboTree(std::string_view html)
    : options_(arena_.options()),
      output_(gumbo_parse_with_options(&options_, html.data(), html.size())) {}

GumboTree::~GumboTree() {
  if (output_ != nullptr && arena_.overflowed()) gumbo_destroy_output(&options_, output_);
}

}  // namespace newsd::parse
