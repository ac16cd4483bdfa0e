// Charset conversion: the first byte picks a declared charset, the rest are the document.
// Whatever the bytes, the output must be valid UTF-8. (A U+FEFF may legitimately start the
// output: "FF FE FF FE" is a UTF-16LE BOM followed by a ZERO WIDTH NO-BREAK SPACE.) For a
// declared legacy charset it must also be exactly what one whole-document ICU conversion
// gives (parse/tests/icu_reference.h): charset.cpp decodes through tables of its own and
// hands ICU only stretches of the document.
#include <array>
#include <cstddef>
#include <cstdint>

#include "parse/charset.h"
#include "parse/tests/icu_reference.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace newsd;
  // The ICU converter each declared label is read with (charset.cpp's canonical_label), or
  // nullptr where the reference does not apply.
  static constexpr std::array<const char*, 12> kIcuNames = {
      nullptr,        "GB18030",    "GB18030", "Big5-HKSCS", "windows-31j", "windows-949",
      "windows-1251", "ISO-8859-7", nullptr,   nullptr,      nullptr,       "gb18030"};
  static constexpr std::array<std::string_view, 12> kTypes = {
      "",
      "text/html; charset=GBK",
      "text/xml; charset=gb2312",
      "application/xml; charset=Big5",
      "text/html; charset=Shift_JIS",
      "text/html; charset=EUC-KR",
      "text/html; charset=windows-1251",
      "text/html; charset=ISO-8859-7",
      "text/plain; charset=utf-8",
      "text/plain; charset=UTF-16",
      "text/plain; charset=x-no-such-charset",
      "text/html; charset=\"GB18030\""};
  if (size == 0) return 0;
  const std::string_view type = kTypes[data[0] % kTypes.size()];
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string out = parse::to_utf8(bytes, type);
  fuzz::require(parse::is_valid_utf8(out), "to_utf8 output is not UTF-8");
  const bool bom = bytes.starts_with("\xEF\xBB\xBF") || bytes.starts_with("\xFF\xFE") ||
                   bytes.starts_with("\xFE\xFF");
  if (const char* icu = kIcuNames[data[0] % kTypes.size()]; icu != nullptr && !bom) {
    fuzz::require(out == parse::icu_reference::to_utf8(bytes, icu),
                  "to_utf8 differs from a whole-document ICU conversion");
  }
  (void)parse::charset_from_document(bytes);
  (void)parse::charset_from_content_type(bytes);
  return 0;
}
