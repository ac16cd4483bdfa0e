// The admin listener's bearer token (config `admin.token_file`).
#pragma once

#include <string>

namespace newsd::status {

// The token `token_file` names: an absolute path, or a systemd credential's name read from
// $CREDENTIALS_DIRECTORY; its content with trailing whitespace dropped. "" for no file.
// Throws std::runtime_error naming the file when it cannot be read or holds no token.
std::string read_token(const std::string& token_file);

}  // namespace newsd::status
