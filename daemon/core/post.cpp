#include "core/post.h"

#include <openssl/evp.h>

#include <boost/json/serializer.hpp>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string_view>

namespace newsd {

namespace {

// SHA-256 fetched from the provider once: EVP_sha256() made every EVP_DigestInit_ex fetch it
// again (OpenSSL 3's implicit fetch: a lock and a property lookup per post).
const EVP_MD* sha256() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) throw std::runtime_error("SHA-256 is not available in OpenSSL");
  return md;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

std::string content_digest(const std::string& title, const std::string& body_text) {
  // A NUL separates the fields so that ("ab","c") and ("a","bc") differ.
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // One context per thread, reinitialised for every digest instead of allocated.
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> tls_ctx(EVP_MD_CTX_new());
  EVP_MD_CTX* ctx = tls_ctx.get();
  if (ctx == nullptr) throw std::bad_alloc();
  const char sep = '\0';
  const bool ok = EVP_DigestInit_ex2(ctx, sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, title.data(), title.size()) == 1 &&
                  EVP_DigestUpdate(ctx, &sep, 1) == 1 &&
                  EVP_DigestUpdate(ctx, body_text.data(), body_text.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, md, &len) == 1;
  if (!ok) throw std::runtime_error("SHA-256 failed in OpenSSL");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

void seal(Post& post) {
  post.content_sha256 = content_digest(post.title, post.body_text);
}

namespace {

constexpr std::size_t kRfc3339Size = 20;  // YYYY-MM-DDTHH:MM:SSZ

void put2(char* at, unsigned v) {
  at[0] = char('0' + v / 10);
  at[1] = char('0' + v % 10);
}

// Written digit by digit: snprintf, three times per record, was 4 % of publishing. Years
// outside 0..9999 do not fit the fixed form and are left to the caller.
bool put_rfc3339(Timestamp t, char (&b)[kRfc3339Size]) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const int year = int(ymd.year());
  if (year < 0 || year > 9999) return false;
  const auto s = unsigned((t - day).count());  // 0..86399
  put2(b, unsigned(year) / 100);
  put2(b + 2, unsigned(year) % 100);
  b[4] = '-';
  put2(b + 5, unsigned(ymd.month()));
  b[7] = '-';
  put2(b + 8, unsigned(ymd.day()));
  b[10] = 'T';
  put2(b + 11, s / 3600);
  b[13] = ':';
  put2(b + 14, s / 60 % 60);
  b[16] = ':';
  put2(b + 17, s % 60);
  b[19] = 'Z';
  return true;
}

}  // namespace

std::string format_rfc3339(Timestamp t) {
  char b[kRfc3339Size];
  if (put_rfc3339(t, b)) return std::string(b, sizeof b);
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                int(hms.minutes().count()), int(hms.seconds().count()));
  return buf;
}

// Boost.JSON's own escaping, streamed through a small buffer without building a json::value.
void append_json_string(std::string& out, std::string_view s) {
  thread_local boost::json::serializer sr;
  sr.reset(boost::json::string_view(s.data(), s.size()));
  char buf[4096];
  while (!sr.done()) {
    const boost::json::string_view part = sr.read(buf, sizeof buf);
    out.append(part.data(), part.size());
  }
}

namespace {

void append_opt(std::string& out, const std::optional<std::string>& s) {
  if (s)
    append_json_string(out, *s);
  else
    out.append("null");
}

void append_time(std::string& out, const std::optional<Timestamp>& t) {
  char b[kRfc3339Size];
  if (!t) {
    out.append("null");
  } else if (put_rfc3339(*t, b)) {  // digits and punctuation only: nothing to escape
    out.push_back('"');
    out.append(b, sizeof b);
    out.push_back('"');
  } else {
    append_json_string(out, format_rfc3339(*t));
  }
}

}  // namespace

std::string to_json(const Post& p) {
  // Written directly rather than through a boost::json::object: building the object cost a
  // dozen allocations per record on the publishing path. Field order follows DESIGN.md so
  // records read the same everywhere.
  std::size_t size = 320 + p.id.size() + p.source.size() + p.title.size() + p.body_text.size() +
                     p.content_sha256.size();
  for (const auto* s :
       {&p.url, &p.origin_url, &p.category, &p.media, &p.author, &p.summary, &p.body_html, &p.lang})
    if (*s) size += (*s)->size();
  for (const auto& t : p.tags) size += t.size() + 3;
  std::string out;
  out.reserve(size + size / 16);  // room for a few escapes
  out.append("{\"id\":");
  append_json_string(out, p.id);
  out.append(",\"source\":");
  append_json_string(out, p.source);
  out.append(",\"url\":");
  append_opt(out, p.url);
  out.append(",\"origin_url\":");
  append_opt(out, p.origin_url);
  out.append(",\"title\":");
  append_json_string(out, p.title);
  out.append(",\"published_at\":");
  append_time(out, p.published_at);
  out.append(",\"updated_at\":");
  append_time(out, p.updated_at);
  out.append(",\"category\":");
  append_opt(out, p.category);
  out.append(",\"tags\":[");
  for (std::size_t i = 0; i < p.tags.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_json_string(out, p.tags[i]);
  }
  out.append("],\"media\":");
  append_opt(out, p.media);
  out.append(",\"author\":");
  append_opt(out, p.author);
  out.append(",\"summary\":");
  append_opt(out, p.summary);
  out.append(",\"body_text\":");
  append_json_string(out, p.body_text);
  out.append(",\"body_html\":");
  append_opt(out, p.body_html);
  out.append(",\"lang\":");
  append_opt(out, p.lang);
  out.append(",\"fetched_at\":");
  append_time(out, p.fetched_at);
  out.append(",\"content_sha256\":");
  append_json_string(out, p.content_sha256);
  out.push_back('}');
  return out;
}

}  // namespace newsd
