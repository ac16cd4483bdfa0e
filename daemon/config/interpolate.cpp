// ${...} references in configuration values.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "config/config.h"

namespace newsd::config {

namespace {

// Secrets are small; the bound keeps a mistyped path (a log, a device) from filling memory.
constexpr std::size_t kMaxSecretFile = 64 * 1024;

// Reads a secret file; a single trailing newline (as editors and `echo` leave) is dropped.
std::optional<std::string> read_secret_file(const std::string& path, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<std::string> {
    if (error) *error = "cannot read '" + path + "': " + why;
    return std::nullopt;
  };
  if (path.empty() || path.front() != '/') return fail("the path must be absolute");
  // O_NONBLOCK: a FIFO named by mistake must not hang start-up.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return fail(std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail("not a regular file");
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxSecretFile) {
    ::close(fd);
    return fail("larger than 64 KiB");
  }
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  if (!out.empty() && out.back() == '\n') out.pop_back();
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return out;
}

std::optional<std::string> expand(const std::string& ref, std::string* error) {
  static constexpr std::string_view kFile = "file:";
  static constexpr std::string_view kCredential = "credential:";
  if (ref.starts_with(kFile)) return read_secret_file(ref.substr(kFile.size()), error);
  if (ref.starts_with(kCredential)) {
    const std::string name = ref.substr(kCredential.size());
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
      if (error) *error = "${" + ref + "}: a credential name is a plain file name";
      return std::nullopt;
    }
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (dir == nullptr || *dir == '\0') {
      if (error)
        *error = "${" + ref +
                 "}: $CREDENTIALS_DIRECTORY is not set (the unit needs LoadCredential=" + name +
                 ":...)";
      return std::nullopt;
    }
    return read_secret_file(std::string(dir) + "/" + name, error);
  }
  const char* value = std::getenv(ref.c_str());
  if (value == nullptr) {
    if (error) *error = "environment variable ${" + ref + "} is not set";
    return std::nullopt;
  }
  return std::string(value);
}

}  // namespace

std::optional<std::string> interpolate(const std::string& text, std::string* error) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      const auto close = text.find('}', i + 2);
      if (close == std::string::npos) {
        out.append(text, i, std::string::npos);
        break;
      }
      auto value = expand(text.substr(i + 2, close - i - 2), error);
      if (!value) return std::nullopt;
      out += *value;
      i = close;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace newsd::config
