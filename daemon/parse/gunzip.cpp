#include "parse/gunzip.h"

#include <zlib.h>

#include <climits>

namespace newsd::parse {

bool is_gzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

Expected<std::string> gunzip(std::string_view bytes, std::size_t limit) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return make_error("gzip: cannot start zlib");
  struct End {
    z_stream& z;
    ~End() { inflateEnd(&z); }
  } end{z};
  std::string out;
  char buf[64 * 1024];
  // zlib counts in uInt: feed very large inputs in pieces.
  std::string_view rest = bytes;
  const auto feed = [&] {
    const std::size_t n = std::min<std::size_t>(rest.size(), UINT_MAX);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(rest.data()));
    z.avail_in = static_cast<uInt>(n);
    rest.remove_prefix(n);
  };
  feed();
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    const int rc = inflate(&z, Z_NO_FLUSH);
    const std::size_t produced = sizeof buf - z.avail_out;
    if (out.size() + produced > limit) {
      return make_error("gzip: more than " + std::to_string(limit) + " bytes uncompressed");
    }
    out.append(buf, produced);
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0 && !rest.empty()) feed();
      if (z.avail_in == 0) return out;
      // Another member follows (gzip files may be concatenated); anything else after a
      // whole member (servers pad with zeros) is ignored.
      if (!is_gzip(std::string_view(reinterpret_cast<const char*>(z.next_in), z.avail_in)))
        return out;
      if (inflateReset(&z) != Z_OK) return make_error("gzip: cannot restart zlib");
      continue;
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0) {
      if (rest.empty()) return make_error("gzip: the stream is truncated");
      feed();
      continue;
    }
    if (rc != Z_OK) {
      return make_error(std::string("gzip: ") + (z.msg ? z.msg : "corrupt data"));
    }
    if (z.avail_in == 0 && !rest.empty()) feed();
  }
}

}  // namespace newsd::parse
