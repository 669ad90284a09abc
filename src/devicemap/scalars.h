// Parsers for the text of YAML scalars. We read the scalar text ourselves instead of yaml-cpp's
// as<T>(), which accepts "yes"/"on" as booleans and wraps integers silently.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hwb::devicemap {

// Decimal integer with optional sign: "42", "-3", "+7", or YAML 1.2 hex "0x10". Not "1.5", "1e3".
std::optional<std::int64_t> parse_integer(std::string_view text);

// Finite decimal number: "3", "-0.5", "1e3". Not "inf", "nan", ".5x".
std::optional<double> parse_number(std::string_view text);

// YAML 1.2 core booleans only: "true" / "false".
std::optional<bool> parse_boolean(std::string_view text);

// A number with a unit: "250ms", "10s", "1.5s", "5m", "1h", rounded to whole milliseconds only if
// exact. Fails on a bare number (no unit), a negative value, or a fraction of a millisecond.
struct DurationParse {
    std::optional<std::chrono::milliseconds> value;
    bool missing_unit = false;  // the text was a plain number: the message should ask for a unit
};
DurationParse parse_duration(std::string_view text);

// Short forms for messages: 2.5 -> "2.5", 4294967295 -> "4294967295", 86400000ms -> "24h".
std::string format_number(double value);
std::string format_duration(std::chrono::milliseconds value);

}  // namespace hwb::devicemap
