#include "parse/charset.h"

#include <uchardet.h>
#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>
#include <unicode/ustring.h>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "core/log.h"
#include "parse/text_util.h"

namespace newsd::parse {
namespace {

constexpr std::size_t kDeclarationWindow = 16 * 1024;

// Labels browsers treat as supersets (WHATWG Encoding): decode with the superset so that
// real-world bytes labelled with the narrower name still decode.
std::string canonical_label(std::string_view label) {
  const std::string l = ascii_lower(trim(label));
  if (l == "gb2312" || l == "gbk" || l == "x-gbk" || l == "gb_2312-80" || l == "csgb2312" ||
      l == "chinese" || l == "euc-cn") {
    return "GB18030";
  }
  if (l == "iso-8859-1" || l == "latin1" || l == "l1" || l == "us-ascii" || l == "ascii" ||
      l == "iso8859-1" || l == "iso_8859-1" || l == "cp1252") {
    return "windows-1252";
  }
  if (l == "big5" || l == "big5-hkscs" || l == "x-x-big5" || l == "cn-big5") return "Big5-HKSCS";
  if (l == "shift_jis" || l == "shift-jis" || l == "sjis" || l == "x-sjis" || l == "ms_kanji" ||
      l == "csshiftjis" || l == "ms932" || l == "windows-31j" || l == "cp932") {
    return "windows-31j";
  }
  if (l == "euc-kr" || l == "ks_c_5601-1987" || l == "ks_c_5601-1989" || l == "ksc5601" ||
      l == "ksc_5601" || l == "korean" || l == "cseuckr" || l == "windows-949" || l == "cp949" ||
      l == "uhc") {
    return "windows-949";
  }
  // WHATWG: these ISO labels are read as their Windows supersets.
  if (l == "iso-8859-9" || l == "iso8859-9" || l == "latin5") return "windows-1254";
  if (l == "iso-8859-11" || l == "tis-620") return "windows-874";
  if (l == "utf8") return "utf-8";
  return l;
}

bool is_utf8_label(std::string_view l) {
  return l == "utf-8" || l == "unicode-1-1-utf-8";
}

// To-Unicode callback: every illegal, irregular or unassigned sequence becomes one U+FFFD
// (ICU's default would give U+001A for single-byte charsets).
void to_u_replacement(const void*, UConverterToUnicodeArgs* args, const char*, int32_t,
                      UConverterCallbackReason reason, UErrorCode* err) {
  if (reason > UCNV_IRREGULAR) return;
  *err = U_ZERO_ERROR;
  const UChar replacement = 0xFFFD;
  ucnv_cbToUWriteUChars(args, &replacement, 1, 0, err);
}

struct ConverterCloser {
  void operator()(UConverter* c) const { ucnv_close(c); }
};
using ConverterPtr = std::unique_ptr<UConverter, ConverterCloser>;

// A converter for `charset`, reset, from a small per-thread cache: opening one per document
// (ICU's name lookup and allocation) cost as much as converting a small feed. nullptr for a
// charset ICU does not know.
UConverter* cached_converter(const std::string& charset) {
  thread_local std::vector<std::pair<std::string, ConverterPtr>> cache;
  for (auto& [name, conv] : cache) {
    if (name == charset) {
      ucnv_reset(conv.get());
      return conv.get();
    }
  }
  UErrorCode status = U_ZERO_ERROR;
  ConverterPtr conv(ucnv_open(charset.c_str(), &status));
  if (U_FAILURE(status) || !conv) return nullptr;
  if (cache.size() >= 8) cache.erase(cache.begin());
  cache.emplace_back(charset, std::move(conv));
  return cache.back().second.get();
}

// Converts with ICU. With `strict`, nullopt when any byte sequence is invalid or unmapped;
// otherwise such sequences become U+FFFD. nullopt as well for a charset ICU does not know.
std::optional<std::string> convert(std::string_view bytes, const std::string& charset,
                                   bool strict) {
  UErrorCode status = U_ZERO_ERROR;
  UConverter* conv = cached_converter(charset);
  if (conv == nullptr) return std::nullopt;
  if (strict) {
    ucnv_setToUCallBack(conv, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
  } else {
    ucnv_setToUCallBack(conv, to_u_replacement, nullptr, nullptr, nullptr, &status);
  }
  if (U_FAILURE(status)) return std::nullopt;
  std::u16string utf16;
  utf16.resize(bytes.size() * 2 + 16);  // UTF-16 never needs more than 2 units per byte
  const char* src = bytes.data();
  const char* src_end = bytes.data() + bytes.size();
  UChar* dst = utf16.data();
  ucnv_toUnicode(conv, &dst, utf16.data() + utf16.size(), &src, src_end, nullptr, true, &status);
  if (U_FAILURE(status)) return std::nullopt;
  utf16.resize(static_cast<std::size_t>(dst - utf16.data()));
  // UTF-16 -> UTF-8 with ICU's plain string function: a second converter object cost more
  // than the conversion itself.
  std::string out;
  out.resize(utf16.size() * 3 + 16);
  int32_t length = 0;
  u_strToUTF8WithSub(out.data(), static_cast<int32_t>(out.size()), &length, utf16.data(),
                     static_cast<int32_t>(utf16.size()), 0xFFFD, nullptr, &status);
  if (U_FAILURE(status)) return std::nullopt;
  out.resize(static_cast<std::size_t>(length));
  return out;
}

std::string detect_charset(std::string_view bytes) {
  std::unique_ptr<std::remove_pointer_t<uchardet_t>, void (*)(uchardet_t)> ud(uchardet_new(),
                                                                              uchardet_delete);
  if (!ud) return {};
  // A prefix is plenty for detection and bounds the cost.
  const std::string_view sample = bytes.substr(0, 256 * 1024);
  if (uchardet_handle_data(ud.get(), sample.data(), sample.size()) != 0) return {};
  uchardet_data_end(ud.get());
  const char* name = uchardet_get_charset(ud.get());
  return name != nullptr ? std::string(name) : std::string{};
}

// Value of `attr="..."` / `attr='...'` / `attr=value`; `pos` is just after the name.
std::string attribute_value(std::string_view s, std::size_t pos) {
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
  if (pos >= s.size() || s[pos] != '=') return {};
  ++pos;
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
  if (pos >= s.size()) return {};
  const char q = s[pos];
  std::size_t end;
  if (q == '"' || q == '\'') {
    ++pos;
    end = s.find(q, pos);
  } else {
    end = s.find_first_of(" \t\r\n;\"'/>", pos);
    if (end == std::string_view::npos) end = s.size();
  }
  if (end == std::string_view::npos) return {};
  return std::string(trim(s.substr(pos, end - pos)));
}

}  // namespace

std::string charset_from_content_type(std::string_view content_type) {
  const std::string lower = ascii_lower(content_type);
  const auto pos = lower.find("charset");
  if (pos == std::string::npos) return {};
  return attribute_value(content_type, pos + 7);
}

std::string charset_from_document(std::string_view bytes) {
  // Browsers look at the first 1 KiB; real pages put long <head> scripts before the meta, so
  // a larger window is read.
  const std::string_view head = bytes.substr(0, kDeclarationWindow);
  if (const auto decl = find_icase(head.substr(0, 7 + 5), "<?xml"); decl != std::string::npos) {
    const auto end = head.find("?>", decl);
    const auto enc = find_icase(head, "encoding", decl);
    if (enc != std::string::npos && (end == std::string::npos || enc < end)) {
      return std::string(attribute_value(head, enc + 8));
    }
  }
  // <meta charset="x"> or <meta http-equiv="Content-Type" content="text/html; charset=x">.
  for (auto meta = find_icase(head, "<meta"); meta != std::string::npos;
       meta = find_icase(head, "<meta", meta + 5)) {
    const auto end = head.find('>', meta);
    if (end == std::string::npos) break;
    const auto cs = find_icase(head.substr(0, end), "charset", meta);
    if (cs == std::string::npos) continue;
    std::string v = attribute_value(head, cs + 7);
    if (!v.empty()) return v;
  }
  return {};
}

std::string to_utf8(std::string_view bytes, std::string_view content_type) {
  // A byte order mark is the strongest declaration there is.
  if (bytes.starts_with("\xEF\xBB\xBF")) {
    bytes.remove_prefix(3);
    return is_valid_utf8(bytes) ? std::string(bytes) : sanitize_utf8(bytes);
  }
  if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) {
    const std::string cs = bytes.starts_with("\xFF\xFE") ? "UTF-16LE" : "UTF-16BE";
    if (auto out = convert(bytes.substr(2), cs, false)) return *out;
  }
  const bool valid_utf8 = is_valid_utf8(bytes);
  std::string declared = charset_from_content_type(content_type);
  if (declared.empty()) declared = charset_from_document(bytes);
  if (!declared.empty()) {
    const std::string label = canonical_label(declared);
    if (is_utf8_label(label)) return valid_utf8 ? std::string(bytes) : sanitize_utf8(bytes);
    // UTF-16 declared in an ASCII-compatible document is a lie: the document was readable.
    if (!label.starts_with("utf-16") && !label.starts_with("utf-32")) {
      if (auto strict = convert(bytes, label, true)) return *strict;
      if (valid_utf8) return std::string(bytes);
      if (auto lenient = convert(bytes, label, false)) return *lenient;
    }
    log::get("parse")->debug("declared charset '{}' unusable; detecting", declared);
  }
  if (valid_utf8) return std::string(bytes);
  const std::string detected = detect_charset(bytes);
  if (!detected.empty()) {
    if (auto out = convert(bytes, canonical_label(detected), false)) return *out;
  }
  return sanitize_utf8(bytes);
}

}  // namespace newsd::parse
