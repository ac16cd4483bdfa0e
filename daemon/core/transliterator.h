// ICU transliteration behind one lock: building a transliterator loads rule tables (tens of
// milliseconds for Han-Latin), so a process keeps one per rule set, and ICU transliterators
// are not documented as safe for concurrent use, so calls are serialized.
#pragma once

#include <unicode/uversion.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

U_NAMESPACE_BEGIN
class Transliterator;
U_NAMESPACE_END

namespace newsd {

class Transliterator {
 public:
  // `id` is an ICU compound ID such as "Any-Latin; Latin-ASCII".
  explicit Transliterator(const char* id);
  ~Transliterator();
  Transliterator(const Transliterator&) = delete;
  Transliterator& operator=(const Transliterator&) = delete;

  // Transliterated UTF-8, or the input unchanged when ICU could not build the rules.
  std::string apply(std::string_view text) const;
  // ICU's error name when the rules could not be built, else nullptr.
  const char* error() const { return error_; }

 private:
  mutable std::mutex mutex_;
  std::unique_ptr<icu::Transliterator> impl_;
  const char* error_ = nullptr;
};

}  // namespace newsd
