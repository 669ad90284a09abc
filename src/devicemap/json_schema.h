// The device map as a JSON Schema (draft-07), for editors: completion, hover help and validation
// of YAML maps (e.g. VS Code's YAML extension). Generated from the declarations the loader checks
// against (schema.h and each registered driver's OptionSpecs), so it cannot drift from them.
// Some loader rules cannot be said in a schema (references between entries, unique ids, the
// drivers' cross-key checks); docs/device-map.md lists them, tests/devicemap/json_schema_test.py
// keeps that list honest.
#pragma once

#include <string>

#include "core/driver.h"

namespace hwb::devicemap {

// The schema as indented JSON text, ending with a newline.
std::string json_schema(const DriverRegistry& drivers);

}  // namespace hwb::devicemap
