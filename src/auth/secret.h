// The signing secret: a file with 64 hex digits (32 random bytes) and a newline, readable by the
// service only. It lives outside the device map because the map can be read by any viewer
// (GET /api/map); docs/security.md, "Authentication".
#pragma once

#include <string>

#include "core/auth_config.h"
#include "core/result.h"

namespace hwb::auth {

inline constexpr std::size_t min_secret_chars = 32;

// Creates `path` with a new secret, mode 0600 (0640 if `group_readable`), refusing to replace an
// existing file (a new secret invalidates every token signed with the old one).
Status create_secret_file(const std::string& path, bool group_readable = false);

// The secret's text without surrounding whitespace. Errors (code `secret`) say what is wrong
// with the file: missing, unreadable, too short, readable by everyone.
Result<std::string> read_secret_file(const std::string& path);

// The secret of a map's auth section: "" without a secret_file, else read_secret_file's result
// with the map location of `secret_file` in front of its message ("FILE:LINE:COL: ...").
Result<std::string> read_configured_secret(const AuthConfig& auth);

}  // namespace hwb::auth
