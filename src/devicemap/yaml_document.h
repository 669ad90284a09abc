// Parses the map's YAML text into one document, turning every yaml-cpp failure into a diagnostic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "devicemap/bounds.h"
#include "devicemap/diagnostics.h"

namespace hwb::devicemap {

// The root node of the single document in `yaml`, or nullopt after reporting why there is none
// (invalid YAML, no document). A second document is reported but the first is still returned,
// so its own errors are found too.
std::optional<YAML::Node> parse_single_document(const std::string& yaml, Diagnostics& diagnostics);

}  // namespace hwb::devicemap
