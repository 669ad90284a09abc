// How messages name a list entry before it has been validated: "sensor 'temperature'" when the
// entry has a usable id, else "sensor #3" (1-based position in its list).
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

namespace hwb::devicemap {

std::string entry_name(const YAML::Node& entry, const std::string& noun, std::size_t index);

}  // namespace hwb::devicemap
