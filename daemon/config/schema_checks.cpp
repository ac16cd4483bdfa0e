#include "config/schema_checks.h"

#include <arpa/inet.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace newsd::config::schema::checks {

bool valid_source_name(const std::string& n) {
  return !n.empty() && n.size() <= 128 && std::all_of(n.begin(), n.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

bool valid_timezone(const std::string& tz) {
  std::unique_ptr<icu::TimeZone> zone(
      icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(tz)));
  return zone && *zone != icu::TimeZone::getUnknown();
}

bool http_url(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

bool loopback_listen(const std::string& l) {
  const auto colon = l.rfind(':');
  if (colon == std::string::npos || colon + 1 == l.size()) return false;
  const std::string port = l.substr(colon + 1);
  if (!std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }) ||
      port.size() > 5 || std::stoul(port) > 65535)
    return false;
  const std::string host = l.substr(0, colon);
  if (host == "localhost" || host == "[::1]") return true;
  in_addr a{};
  return inet_pton(AF_INET, host.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

bool json_pointer(const std::string& p) {
  return p.empty() || p[0] == '/';
}

const Values kLogLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
const Values kLogFormats = {"auto", "text", "json", "journald"};
const Values kFormats = {"auto",     "rss",    "rdf",  "atom", "jsonfeed",
                         "json_api", "jekyll", "html", "text", "sitemap"};
const Values kDeliveries = {"at_least_once", "exactly_once"};
const Values kBackends = {"sqlite", "kafka"};
const Values kRobots = {"obey", "ignore"};
const Values kRecordFields = {"id",         "title",    "url",       "origin_url", "published_at",
                              "updated_at", "category", "tags",      "media",      "author",
                              "summary",    "body",     "body_html", "lang"};

bool one_of(const Values& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

std::string joined(const Values& values, const std::string& last) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += i + 1 == values.size() ? last : ", ";
    out += values[i];
  }
  return out;
}

std::string in_code(const Values& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "`" : ", `") + v + "`";
  return out;
}

}  // namespace newsd::config::schema::checks
