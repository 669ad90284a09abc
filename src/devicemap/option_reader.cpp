#include "devicemap/option_reader.h"

#include <cmath>
#include <vector>


#include "devicemap/scalars.h"
#include "devicemap/suggest.h"

namespace hwb::devicemap {

bool bounded(double limit) { return std::isfinite(limit) && std::abs(limit) < 1e15; }

namespace {

using std::chrono::milliseconds;

// "between 0 and 10", "of at least 0", "" for an unbounded spec.
template <class Format>
std::string bounds(const OptionSpec& spec, Format format) {
    if (bounded(spec.min) && bounded(spec.max)) return " between " + format(spec.min) + " and " + format(spec.max);
    if (bounded(spec.min)) return " of at least " + format(spec.min);
    if (bounded(spec.max)) return " of at most " + format(spec.max);
    return {};
}

std::string duration_text(double ms) { return format_duration(milliseconds(static_cast<std::int64_t>(ms))); }

bool in_bounds(const OptionSpec& spec, double value) { return value >= spec.min && value <= spec.max; }

std::string quoted(const std::string& key) { return "'" + key + "'"; }

class Reader {
public:
    Reader(const YAML::Node& value, const YAML::Mark& at, const OptionSpec& spec, Diagnostics& diagnostics)
        : value_(value), at_(at), spec_(spec), diagnostics_(diagnostics) {}

    std::optional<OptionValue> read() {
        if (value_.IsNull()) return fail(quoted(spec_.key) + " needs a value: " + expectation(spec_));
        switch (spec_.type) {
            case OptionType::string: return scalar_then([](const std::string& s) { return OptionValue(s); });
            case OptionType::number: return number();
            case OptionType::integer: return integer();
            case OptionType::boolean: return boolean();
            case OptionType::duration: return duration();
            case OptionType::choice: return choice();
            case OptionType::string_list: return string_list();
        }
        return std::nullopt;
    }

private:
    std::optional<OptionValue> fail(std::string message) {
        diagnostics_.error(at_, std::move(message));
        return std::nullopt;
    }
    std::optional<OptionValue> expected() {
        return fail(quoted(spec_.key) + " must be " + expectation(spec_) + ", got " + describe(value_));
    }

    template <class Convert>
    std::optional<OptionValue> scalar_then(Convert convert) {
        if (!value_.IsScalar()) return expected();
        return convert(value_.Scalar());
    }

    std::optional<OptionValue> number() {
        if (!value_.IsScalar()) return expected();
        auto v = parse_number(value_.Scalar());
        if (!v || !in_bounds(spec_, *v)) return expected();
        return *v;
    }

    std::optional<OptionValue> integer() {
        if (!value_.IsScalar()) return expected();
        auto v = parse_integer(value_.Scalar());
        if (!v || !in_bounds(spec_, static_cast<double>(*v))) return expected();
        return *v;
    }

    std::optional<OptionValue> boolean() {
        if (!value_.IsScalar()) return expected();
        auto v = parse_boolean(value_.Scalar());
        if (!v) return expected();
        return *v;
    }

    std::optional<OptionValue> duration() {
        if (!value_.IsScalar()) return expected();
        auto parsed = parse_duration(value_.Scalar());
        if (parsed.missing_unit)
            return fail(quoted(spec_.key) + " needs a unit, e.g. 500ms or 10s, got " + describe(value_));
        if (!parsed.value || !in_bounds(spec_, static_cast<double>(parsed.value->count()))) return expected();
        return *parsed.value;
    }

    std::optional<OptionValue> choice() {
        if (!value_.IsScalar()) return expected();
        const std::string& text = value_.Scalar();
        for (const auto& c : spec_.choices)
            if (c == text) return text;
        return fail(quoted(spec_.key) + " must be " + expectation(spec_) + ", got " + describe(value_) +
                    did_you_mean(text, spec_.choices));
    }

    std::optional<OptionValue> string_list() {
        if (!value_.IsSequence()) return expected();
        std::vector<std::string> out;
        bool ok = true;
        for (const auto& item : value_) {
            if (!item.IsScalar()) {
                // The item's own position, so the user finds the bad entry in a long list.
                diagnostics_.error(item.IsNull() ? at_ : item.Mark(),
                                   "each entry of " + quoted(spec_.key) + " must be a string, got " + describe(item));
                ok = false;
                continue;
            }
            out.push_back(item.Scalar());
        }
        if (!ok) return std::nullopt;
        return out;
    }

    const YAML::Node& value_;
    YAML::Mark at_;
    const OptionSpec& spec_;
    Diagnostics& diagnostics_;
};

}  // namespace

std::optional<OptionValue> read_option(const YAML::Node& value, const YAML::Mark& at, const OptionSpec& spec,
                                       Diagnostics& diagnostics) {
    return Reader(value, at, spec, diagnostics).read();
}

std::string describe(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) return "nothing";
    if (node.IsSequence()) return "a list";
    if (node.IsMap()) return "a mapping";
    return "'" + excerpt(node.Scalar()) + "'";
}

std::string expectation(const OptionSpec& spec) {
    switch (spec.type) {
        case OptionType::string: return "a string";
        case OptionType::number: return "a number" + bounds(spec, format_number);
        case OptionType::integer: return "an integer" + bounds(spec, format_number);
        case OptionType::boolean: return "true or false";
        case OptionType::duration:
            return "a duration" + bounds(spec, duration_text) + " (e.g. 250ms, 10s, 1.5s, 5m, 1h)";
        case OptionType::choice: return "one of " + join(spec.choices);
        case OptionType::string_list: return "a list of strings";
    }
    return "?";
}

}  // namespace hwb::devicemap
