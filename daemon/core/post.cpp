#include "core/post.h"

#include <openssl/evp.h>

#include <boost/json.hpp>
#include <cstdio>
#include <memory>
#include <stdexcept>

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

std::string format_rfc3339(Timestamp t) {
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

namespace {

boost::json::value opt(const std::optional<std::string>& s) {
  if (s) return boost::json::string(*s);
  return nullptr;
}

boost::json::value opt_time(const std::optional<Timestamp>& t) {
  if (t) return boost::json::string(format_rfc3339(*t));
  return nullptr;
}

}  // namespace

std::string to_json(const Post& p) {
  boost::json::array tags;
  for (const auto& t : p.tags) tags.emplace_back(t);
  // Field order follows DESIGN.md so records read the same everywhere.
  boost::json::object o;
  o.reserve(17);
  o["id"] = p.id;
  o["source"] = p.source;
  o["url"] = opt(p.url);
  o["origin_url"] = opt(p.origin_url);
  o["title"] = p.title;
  o["published_at"] = opt_time(p.published_at);
  o["updated_at"] = opt_time(p.updated_at);
  o["category"] = opt(p.category);
  o["tags"] = std::move(tags);
  o["media"] = opt(p.media);
  o["author"] = opt(p.author);
  o["summary"] = opt(p.summary);
  o["body_text"] = p.body_text;
  o["body_html"] = opt(p.body_html);
  o["lang"] = opt(p.lang);
  o["fetched_at"] = format_rfc3339(p.fetched_at);
  o["content_sha256"] = p.content_sha256;
  return boost::json::serialize(o);
}

}  // namespace newsd
