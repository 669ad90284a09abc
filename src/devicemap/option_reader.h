// Validates one YAML value against an OptionSpec (type, range, choices) and converts it to an
// OptionValue. Used for the drivers' options and for the map's own keys, so both get the same
// checks and the same messages.
#pragma once

#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "core/options.h"
#include "devicemap/diagnostics.h"

namespace hwb::devicemap {

// Reports a problem at `at` (the value's position) and returns nullopt when the value is invalid.
std::optional<OptionValue> read_option(const YAML::Node& value, const YAML::Mark& at, const OptionSpec& spec,
                                       Diagnostics& diagnostics);

// How a node looks in a message: "'abc'", "a list", "a mapping", "nothing".
std::string describe(const YAML::Node& node);

// A spec's min or max is a real bound: some drivers spell "no limit" as ±1e300 instead of
// infinity, and neither belongs in a message or in the JSON Schema.
bool bounded(double limit);

// What a spec accepts, for messages and docs: "an integer between 0 and 10", "one of a, b".
std::string expectation(const OptionSpec& spec);

}  // namespace hwb::devicemap
