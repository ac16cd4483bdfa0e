#include "status/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <iostream>

#include "config/config.h"

namespace newsd::status {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

// GET `target` from the daemon; throws on any transport error.
std::string get(const std::string& host, const std::string& port, const std::string& target,
                unsigned& status) {
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(10));
  stream.connect(resolver.resolve(host, port));
  http::request<http::empty_body> req(http::verb::get, target, 11);
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "newsd status");
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256u << 20);
  http::read(stream, buffer, parser);
  status = parser.get().result_int();
  return std::move(parser.get().body());
}

std::string text(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_null()) return "-";
  return json::serialize(v);
}

// "2026-12-06T05:00:00Z" -> "05:00:00Z"; the date only when it is not today's.
std::string when(const json::value& v, const std::string& today) {
  if (!v.is_string()) return "-";
  const std::string t(v.as_string());
  return t.rfind(today, 0) == 0 && t.size() > 11 ? t.substr(11) : t;
}

void print_table(const json::array& sources, const std::string& generated_at) {
  const std::string today = generated_at.substr(0, 10);
  std::size_t width = 6;
  for (const auto& s : sources) width = std::max(width, s.at("name").as_string().size());
  std::printf("%-*s  %-11s  %5s  %-9s  %-8s  %-9s  %s\n", int(width), "SOURCE", "STATE", "FAILS",
              "LAST POLL", "OUTCOME", "NEXT POLL", "LAST ERROR");
  for (const auto& v : sources) {
    const json::object& s = v.as_object();
    const json::value& last = s.at("last_poll");
    const std::string state = text(s.at("state"));
    std::string error = state == "ok" ? "" : text(s.at("last_error"));
    if (error == "-") error.clear();
    std::printf("%-*s  %-11s  %5lld  %-9s  %-8s  %-9s  %s\n", int(width),
                text(s.at("name")).c_str(), state.c_str(),
                static_cast<long long>(s.at("consecutive_failures").to_number<double>()),
                last.is_null() ? "-" : when(last.at("started_at"), today).c_str(),
                last.is_null() ? "-" : text(last.at("outcome")).c_str(),
                when(s.at("next_poll_at"), today).c_str(), error.c_str());
  }
}

}  // namespace

std::pair<std::string, std::string> daemon_address(const std::string& listen) {
  const auto colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  const std::string port = colon == std::string::npos ? "" : listen.substr(colon + 1);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  return {host, port};
}

int status_command(const std::string& config_path, bool as_json) {
  config::Config cfg;
  try {
    cfg = config::load_file(config_path, {.require_kafka = false});
  } catch (const config::ConfigErrors& e) {
    std::cerr << e.what() << '\n';
    return kStatusConfig;
  }
  const auto [host, port] = daemon_address(cfg.metrics.listen);
  const std::string where = "http://" + cfg.metrics.listen;
  json::array all;
  json::object first;
  try {
    // Page through: a daemon with more sources than one page holds answers in several.
    for (std::size_t offset = 0;;) {
      unsigned code = 0;
      const std::string body =
          get(host, port, "/api/v1/sources?limit=10000&offset=" + std::to_string(offset), code);
      if (code != 200) {
        std::cerr << "newsd status: " << where << "/api/v1/sources answered HTTP " << code << '\n';
        return kStatusUnreachable;
      }
      json::object doc = json::parse(body).as_object();
      json::array& page = doc.at("sources").as_array();
      offset += page.size();
      for (auto& s : page) all.push_back(std::move(s));
      const auto matched = doc.at("matched").to_number<std::size_t>();
      if (first.empty()) first = std::move(doc);
      if (page.empty() || offset >= matched) break;
    }
  } catch (const std::exception& e) {
    std::cerr << "newsd status: cannot read the status of the daemon at " << where << " ("
              << e.what() << "); is it running with this configuration?\n";
    return kStatusUnreachable;
  }
  std::size_t unhealthy = 0;
  for (const auto& s : all) {
    const auto& state = s.at("state").as_string();
    if (state == "failing" || state == "backing_off") ++unhealthy;
  }
  if (as_json) {
    first["offset"] = 0;
    first["limit"] = all.size();
    first["sources"] = std::move(all);
    std::cout << json::serialize(first) << '\n';
  } else {
    print_table(all, std::string(first.at("generated_at").as_string()));
    std::printf("%zu sources, %zu failing\n", all.size(), unhealthy);
  }
  std::cout.flush();
  return unhealthy > 0 ? kStatusFailing : kStatusOk;
}

}  // namespace newsd::status
