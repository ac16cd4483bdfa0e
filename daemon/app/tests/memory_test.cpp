#include "app/memory.h"

#include <gtest/gtest.h>
#ifdef NEWSD_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

namespace newsd::app {
namespace {

long resident_bytes() {
  std::ifstream f("/proc/self/statm");
  long size = 0, resident = 0;
  f >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

#ifdef NEWSD_JEMALLOC
// Pages freed but not yet returned to the system, over all arenas.
std::size_t dirty_pages() {
  std::uint64_t epoch = 1;
  std::size_t len = sizeof epoch;
  mallctl("epoch", &epoch, &len, &epoch, len);  // refreshes the statistics
  std::size_t pages = 0;
  len = sizeof pages;
  if (mallctl("stats.arenas.4096.pdirty", &pages, &len, nullptr, 0) != 0) return 0;
  return pages;
}
#endif

TEST(Memory, NamesTheAllocatorInUse) {
#ifdef NEWSD_JEMALLOC
  // The version comes from the linked jemalloc itself, so this also shows it is the one in use.
  EXPECT_EQ(allocator_name().rfind("jemalloc ", 0), 0u) << allocator_name();
#else
  EXPECT_EQ(allocator_name(), "glibc malloc");
#endif
}

// A burst of small allocations, freed while a later one stays (so glibc cannot simply lower
// the top of its heap): release_free_memory() must hand the pages back at once.
TEST(Memory, HandsPagesFreedByABurstBack) {
  tune_allocator();
  const long before = resident_bytes();
  std::unique_ptr<char[]> pin;
  {
    std::vector<std::unique_ptr<char[]>> burst;
    for (int i = 0; i < 64 * 1024; ++i) {
      burst.emplace_back(new char[1000]);
      std::memset(burst.back().get(), 1, 1000);
    }
    pin.reset(new char[64]);
    EXPECT_GT(resident_bytes(), before + 50'000'000);
  }
#ifdef NEWSD_JEMALLOC
  // jemalloc keeps freed pages "dirty" for up to dirty_decay_ms before it returns them.
  EXPECT_GT(dirty_pages(), 1000u);
#endif
  release_free_memory();
  EXPECT_LT(resident_bytes(), before + 16'000'000);
#ifdef NEWSD_JEMALLOC
  EXPECT_EQ(dirty_pages(), 0u);
#endif
}

}  // namespace
}  // namespace newsd::app
