// Byte strings in the device map (`on_command: "R1 ON\r\n"`) and bytes from devices shown as text.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace hwb::serial {

// Turns the escapes \r \n \t \0 \\ \e and \xHH into bytes; any other backslash is an error.
Result<std::string> unescape(std::string_view text);

// Makes device bytes safe to show as a text line: valid UTF-8 passes unchanged; every byte that is
// not part of valid UTF-8, and control characters other than tab, become \xHH (so nothing is dropped
// silently). Appends to `out` (no allocation when it has room).
void append_printable(std::string_view bytes, std::string& out);
std::string printable(std::string_view bytes);

}  // namespace hwb::serial
