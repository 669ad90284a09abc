// Small text helpers shared by the layers (ASCII only: names, headers, keys; never user prose).
#pragma once

#include <string>
#include <string_view>

namespace hwb {

// "Content-Type" -> "content-type"; bytes outside A-Z are left as they are.
std::string ascii_lower(std::string_view text);

}  // namespace hwb
