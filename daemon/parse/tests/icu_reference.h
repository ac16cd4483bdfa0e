// to_utf8() (parse/charset.h) for a declared charset, computed the slow, obvious way: ICU
// converts the whole document in one call through UTF-16. charset.cpp's byte tables, pair
// tables and ASCII-run splitting must give exactly this; the unit test and the charset fuzz
// target compare against it. (Byte order marks and detection are not modelled.)
#pragma once

#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>
#include <unicode/ustring.h>

#include <optional>
#include <string>
#include <string_view>

#include "parse/text_util.h"

namespace newsd::parse::icu_reference {

inline void replacement(const void*, UConverterToUnicodeArgs* args, const char*, int32_t,
                        UConverterCallbackReason reason, UErrorCode* err) {
  if (reason > UCNV_IRREGULAR) return;
  *err = U_ZERO_ERROR;
  const UChar fffd = 0xFFFD;
  ucnv_cbToUWriteUChars(args, &fffd, 1, 0, err);
}

inline std::optional<std::string> convert(std::string_view bytes, const char* charset,
                                          bool strict) {
  UErrorCode status = U_ZERO_ERROR;
  UConverter* conv = ucnv_open(charset, &status);
  if (U_FAILURE(status)) return std::nullopt;
  if (strict) {
    ucnv_setToUCallBack(conv, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
  } else {
    ucnv_setToUCallBack(conv, replacement, nullptr, nullptr, nullptr, &status);
  }
  std::u16string u(bytes.size() * 2 + 16, u'\0');
  const int32_t n = ucnv_toUChars(conv, u.data(), static_cast<int32_t>(u.size()), bytes.data(),
                                  static_cast<int32_t>(bytes.size()), &status);
  ucnv_close(conv);
  if (U_FAILURE(status)) return std::nullopt;
  u.resize(static_cast<std::size_t>(n));
  std::string out(u.size() * 3 + 16, '\0');
  int32_t len = 0;
  u_strToUTF8WithSub(out.data(), static_cast<int32_t>(out.size()), &len, u.data(),
                     static_cast<int32_t>(u.size()), 0xFFFD, nullptr, &status);
  out.resize(static_cast<std::size_t>(len));
  return out;
}

inline std::string to_utf8(std::string_view bytes, const char* charset) {
  if (auto strict = convert(bytes, charset, true)) return *strict;
  if (is_valid_utf8(bytes)) return std::string(bytes);
  return *convert(bytes, charset, false);
}

}  // namespace newsd::parse::icu_reference
