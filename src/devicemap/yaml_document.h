// Parses the map's YAML text into one document, turning every yaml-cpp failure into a diagnostic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "devicemap/diagnostics.h"

namespace hwb::devicemap {

// The most a map may weigh with its aliases expanded (scalar bytes plus 16 per node; an alias
// counts as everything its anchor names). The map API takes drafts of up to 1 MiB; a map is
// hand-written text, and one that expands beyond this is an attack on the bridge's memory.
inline constexpr std::uint64_t max_expanded_bytes = 4 * 1024 * 1024;
// The most nodes (scalars, lists, mappings; an alias is not one) a map may have. yaml-cpp needs
// about 600 bytes per node: 1 MiB of `k1: 1` lines took the daemon to 135 MB and its loop 1.2 s.
// The largest shipped map has a few hundred; a map of 500 channels with 15 keys each, 15,000.
inline constexpr std::uint64_t max_nodes = 20000;

// The root node of the single document in `yaml`, or nullopt after reporting why there is none
// (invalid YAML, no document). A second document is reported but the first is still returned,
// so its own errors are found too.
std::optional<YAML::Node> parse_single_document(const std::string& yaml, Diagnostics& diagnostics);

}  // namespace hwb::devicemap
