#include "core/transliterator.h"

#include <unicode/translit.h>
#include <unicode/unistr.h>

namespace newsd {

Transliterator::Transliterator(const char* id) {
  UErrorCode status = U_ZERO_ERROR;
  impl_.reset(icu::Transliterator::createInstance(id, UTRANS_FORWARD, status));
  if (U_FAILURE(status)) {
    impl_.reset();
    error_ = u_errorName(status);
  }
}

Transliterator::~Transliterator() = default;

std::string Transliterator::apply(std::string_view text) const {
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), text.size()));
  {
    std::lock_guard lock(mutex_);
    if (!impl_) return std::string(text);
    impl_->transliterate(u);
  }
  std::string out;
  u.toUTF8String(out);
  return out;
}

}  // namespace newsd
