#include "status/admin_token.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace newsd::status {

std::string read_token(const std::string& token_file) {
  if (token_file.empty()) return {};
  std::string path = token_file;
  if (path.front() != '/') {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (dir == nullptr || *dir == '\0')
      throw std::runtime_error("admin.token_file '" + token_file +
                               "' names a systemd credential, but $CREDENTIALS_DIRECTORY is not "
                               "set (LoadCredential= in the unit)");
    path = std::string(dir) + "/" + token_file;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf()))
    throw std::runtime_error("cannot read the admin token from " + path);
  std::string token = text.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) throw std::runtime_error("the admin token file " + path + " is empty");
  return token;
}

}  // namespace newsd::status
