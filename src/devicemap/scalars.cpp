#include "devicemap/scalars.h"

#include <charconv>
#include <cmath>
#include <system_error>

namespace hwb::devicemap {

namespace {

// std::from_chars rejects a leading '+', which YAML allows.
std::string_view strip_plus(std::string_view text) {
    if (text.size() > 1 && text.front() == '+' && text[1] != '-') text.remove_prefix(1);
    return text;
}

}  // namespace

std::optional<std::int64_t> parse_integer(std::string_view text) {
    text = strip_plus(text);
    if (text.empty()) return std::nullopt;
    std::int64_t value = 0;
    int base = 10;
    // YAML 1.2 core hex ("0x0156"): register tables in vendors' manuals are written so.
    if (text.size() > 2 && text[0] == '0' && text[1] == 'x') {
        text.remove_prefix(2);
        if (text.front() == '-' || text.front() == '+') return std::nullopt;
        base = 16;
    }
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<double> parse_number(std::string_view text) {
    text = strip_plus(text);
    if (text.empty()) return std::nullopt;
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
    return value;
}

std::optional<bool> parse_boolean(std::string_view text) {
    if (text == "true") return true;
    if (text == "false") return false;
    return std::nullopt;
}

DurationParse parse_duration(std::string_view text) {
    struct Unit {
        std::string_view suffix;
        double ms;
    };
    // "ms" before "m" and "s", so "250ms" is not read as 250 minutes.
    constexpr Unit units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    for (const auto& unit : units) {
        if (text.size() <= unit.suffix.size() || !text.ends_with(unit.suffix)) continue;
        std::string_view digits = text.substr(0, text.size() - unit.suffix.size());
        // Only plain decimals: "1.5s", not "1e3ms" or "-5s".
        if (digits.find_first_not_of("0123456789.") != std::string_view::npos) return {};
        auto number = parse_number(digits);
        if (!number) return {};
        const double ms = *number * unit.ms;
        if (ms > 1e15 || std::abs(ms - std::round(ms)) > 1e-6) return {};
        return {std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms))), false};
    }
    return {std::nullopt, parse_number(text).has_value()};
}

std::string format_number(double value) {
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    if (ec != std::errc()) return "?";
    return std::string(buffer, end);
}

std::string format_duration(std::chrono::milliseconds value) {
    const auto ms = value.count();
    if (ms != 0 && ms % 3600000 == 0) return std::to_string(ms / 3600000) + "h";
    if (ms != 0 && ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
    if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

}  // namespace hwb::devicemap
