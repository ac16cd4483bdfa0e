// The process's allocator: jemalloc when the build links it (NEWSD_JEMALLOC, the default),
// glibc's malloc otherwise (sanitizer builds, or -DNEWSD_JEMALLOC=OFF).
#pragma once

#include <string>

namespace newsd::app {

// Settings that must be in place before the first threads start.
void tune_allocator();

// Hands pages freed by a burst of work (start-up's config tree, a publishing peak) back to
// the system, so that the resident size follows what is in use.
void release_free_memory();

// "jemalloc 5.3.0-0-g..." or "glibc malloc", for the start-up log.
std::string allocator_name();

}  // namespace newsd::app
