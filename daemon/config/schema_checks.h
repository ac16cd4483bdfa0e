// The checks and value lists that the schema's tables share (schema.cpp: the top level and
// its sections; schema_source.cpp: a source and its nested keys). Internal to config/.
#pragma once

#include <string>
#include <vector>

namespace newsd::config::schema::checks {

bool valid_source_name(const std::string& n);
bool valid_timezone(const std::string& tz);
bool http_url(const std::string& url);
// "127.0.0.1:9465", "[::1]:9465", "localhost:9465".
bool loopback_listen(const std::string& l);
bool json_pointer(const std::string& p);

// Values a key may take: its check and its help text read the same list.
using Values = std::vector<std::string>;

extern const Values kLogLevels;
extern const Values kLogFormats;
extern const Values kFormats;
extern const Values kDeliveries;
extern const Values kBackends;
extern const Values kRobots;
extern const Values kRecordFields;

bool one_of(const Values& values, const std::string& v);
// "a, b, c", or with `last` before the last value: "a, b or c".
std::string joined(const Values& values, const std::string& last = ", ");
// "`a`, `b`, `c`"
std::string in_code(const Values& values);

}  // namespace newsd::config::schema::checks
