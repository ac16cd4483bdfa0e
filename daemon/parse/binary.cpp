#include "parse/binary.h"

#include <array>
#include <cstring>
#include <utility>

#include "core/ascii.h"
#include "parse/text_util.h"

namespace newsd::parse {
namespace {

using namespace std::string_view_literals;

// Signatures at offset 0 (file(1)'s magic for the usual suspects behind a wrong URL).
constexpr std::array<std::pair<std::string_view, std::string_view>, 17> kMagic = {{
    {"\x00\x00\x01\x00"sv, "ICO image"},
    {"\x00\x00\x02\x00"sv, "CUR image"},
    {"\x89PNG\r\n\x1a\n"sv, "PNG image"},
    {"GIF87a"sv, "GIF image"},
    {"GIF89a"sv, "GIF image"},
    {"\xFF\xD8\xFF"sv, "JPEG image"},
    {"II*\x00"sv, "TIFF image"},
    {"MM\x00*"sv, "TIFF image"},
    {"PK\x03\x04"sv, "ZIP archive"},
    {"PK\x05\x06"sv, "ZIP archive"},
    {"\x1F\x8B"sv, "gzip archive"},
    {"\xFD"
     "7zXZ\x00"sv,
     "xz archive"},
    {"7z\xBC\xAF\x27\x1C"sv, "7-Zip archive"},
    {"Rar!\x1A\x07"sv, "RAR archive"},
    {"%PDF-"sv, "PDF document"},
    {"\x00\x00\x00\x0CjP  "sv, "JPEG 2000 image"},
    {"wOFF"sv, "WOFF font"},
}};

}  // namespace

std::optional<std::string> binary_signature(std::string_view bytes, std::string_view content_type) {
  const std::string mime = ascii::lowered(trim(content_type.substr(0, content_type.find(';'))));
  for (const std::string_view kind : {"image/"sv, "audio/"sv, "video/"sv, "font/"sv}) {
    if (mime.starts_with(kind)) return mime + " response";
  }
  for (const auto& [magic, what] : kMagic) {
    if (bytes.starts_with(magic)) return std::string(what);
  }
  if (bytes.size() >= 12 && bytes.starts_with("RIFF") && bytes.substr(8, 4) == "WEBP") {
    return "WebP image";
  }
  return std::nullopt;
}

bool has_nul_bytes(std::string_view text) {
  const std::string_view head = text.substr(0, 8 * 1024);
  return std::memchr(head.data(), '\0', head.size()) != nullptr;
}

}  // namespace newsd::parse
