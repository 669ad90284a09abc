// Helpers for device-map tests: a registry with the sim driver and a `probe` driver that declares
// one option of every type, and loading from inline YAML.
#pragma once

#include <string>
#include <vector>

#include "core/driver.h"
#include "devicemap/loader.h"

namespace hwb::test {

// "sim" (the real one) plus "probe", whose options cover every OptionType and whose check()
// has one rule per kind of problem location (see test_maps.cpp).
DriverRegistry test_drivers();

// Loads `yaml` as "map.yaml". A leading newline is dropped, so a raw string can start on the line
// after R"( and line 1 of the map is the first line you see.
LoadResult load(const std::string& yaml);

// Each error as printed: "map.yaml:3:5: error: ...".
std::vector<std::string> error_lines(const LoadResult& result);

}  // namespace hwb::test
