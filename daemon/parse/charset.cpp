#include "parse/charset.h"

#include <uchardet.h>

#include <memory>
#include <optional>
#include <type_traits>

#include "core/ascii.h"
#include "core/log.h"
#include "parse/charset_convert.h"
#include "parse/text_util.h"

namespace newsd::parse {
namespace {

constexpr std::size_t kDeclarationWindow = 16 * 1024;

// Labels browsers treat as supersets (WHATWG Encoding): decode with the superset so that
// real-world bytes labelled with the narrower name still decode.
std::string canonical_label(std::string_view label) {
  std::string l = ascii::lowered(trim(label));  // returned as it is at the end
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
  const std::string lower = ascii::lowered(content_type);
  const auto pos = lower.find("charset");
  if (pos == std::string::npos) return {};
  return attribute_value(content_type, pos + 7);
}

std::string charset_from_document(std::string_view bytes) {
  // Browsers look at the first 1 KiB; real pages put long <head> scripts before the meta, so
  // a larger window is read.
  const std::string_view head = bytes.substr(0, kDeclarationWindow);
  if (const auto decl = ascii::find_lower(head.substr(0, 7 + 5), "<?xml");
      decl != std::string::npos) {
    const auto end = head.find("?>", decl);
    const auto enc = ascii::find_lower(head, "encoding", decl);
    if (enc != std::string::npos && (end == std::string::npos || enc < end)) {
      return std::string(attribute_value(head, enc + 8));
    }
  }
  // <meta charset="x"> or <meta http-equiv="Content-Type" content="text/html; charset=x">.
  for (auto meta = ascii::find_lower(head, "<meta"); meta != std::string::npos;
       meta = ascii::find_lower(head, "<meta", meta + 5)) {
    const auto end = head.find('>', meta);
    if (end == std::string::npos) break;
    const auto cs = ascii::find_lower(head.substr(0, end), "charset", meta);
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
    if (auto out = convert_charset(bytes.substr(2), cs, false)) return *out;
  }
  // Validated only when the answer matters: a document in its declared legacy charset that
  // converts cleanly never needs it (a pass over the whole document).
  std::optional<bool> valid;
  const auto valid_utf8 = [&] {
    if (!valid) valid = is_valid_utf8(bytes);
    return *valid;
  };
  std::string declared = charset_from_content_type(content_type);
  if (declared.empty()) declared = charset_from_document(bytes);
  if (!declared.empty()) {
    const std::string label = canonical_label(declared);
    if (is_utf8_label(label)) return valid_utf8() ? std::string(bytes) : sanitize_utf8(bytes);
    // UTF-16 declared in an ASCII-compatible document is a lie: the document was readable.
    if (!label.starts_with("utf-16") && !label.starts_with("utf-32")) {
      if (auto strict = convert_charset(bytes, label, true)) return *strict;
      if (valid_utf8()) return std::string(bytes);
      if (auto lenient = convert_charset(bytes, label, false)) return *lenient;
    }
    log::get("parse")->debug("declared charset '{}' unusable; detecting", declared);
  }
  if (valid_utf8()) return std::string(bytes);
  const std::string detected = detect_charset(bytes);
  if (!detected.empty()) {
    if (auto out = convert_charset(bytes, canonical_label(detected), false)) return *out;
  }
  return sanitize_utf8(bytes);
}

}  // namespace newsd::parse
