// Where a value sits in a JSON payload, for the mqtt driver's `value_path` and `state_path`
// (docs/device-map.md, "mqtt"): keys separated by dots, array positions in brackets:
// `temperature`, `sensor.temp`, `channels[2].value`. Keys are letters, digits, `_` and `-`.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace hwb::mqttdev {

using JsonPath = std::vector<std::variant<std::string, std::size_t>>;

// The path, or the reason it cannot be one (error set, nullopt returned).
std::optional<JsonPath> parse_json_path(const std::string& text, std::string& error);
// The value at `path` in `document`, nullptr when it is not there.
const nlohmann::json* follow_json_path(const nlohmann::json& document, const JsonPath& path);

}  // namespace hwb::mqttdev
