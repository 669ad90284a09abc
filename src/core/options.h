// Driver-specific settings of a device or channel, declared by the driver as OptionSpecs so the
// device map can validate them (types, ranges, choices, defaults) without knowing the driver.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/source_location.h"

namespace hwb {

enum class OptionType : std::uint8_t {
    string,       // any text
    number,       // floating point, within [min, max]
    integer,      // whole number, within [min, max]
    boolean,      // true / false
    duration,     // "250ms", "10s", "5m", "1h" (a unit is required)
    choice,       // one of `choices`
    string_list,  // a sequence of strings
};

using OptionValue =
    std::variant<bool, double, std::int64_t, std::string, std::chrono::milliseconds, std::vector<std::string>>;

struct OptionSpec {
    std::string key;
    OptionType type = OptionType::string;
    std::string help;  // one line, shown in docs and in --schema
    std::optional<OptionValue> fallback;  // default when the key is absent; none + !required = unset
    bool required = false;
    double min = -std::numeric_limits<double>::infinity();
    double max = std::numeric_limits<double>::infinity();
    std::vector<std::string> choices;
};

// Validated option values with defaults filled in. Asking for a key the driver did not declare,
// or with the wrong type, is a programming error and throws std::logic_error.
class Options {
public:
    void set(const std::string& key, OptionValue value) { values_[key] = std::move(value); }
    // Where the key's value was written in the map (unset for defaults), for late diagnostics.
    void set_location(const std::string& key, SourceLocation where) { where_[key] = std::move(where); }
    const SourceLocation* location(const std::string& key) const {
        auto it = where_.find(key);
        return it == where_.end() ? nullptr : &it->second;
    }
    bool has(const std::string& key) const { return values_.count(key) != 0; }

    bool boolean(const std::string& key) const { return get<bool>(key); }
    double number(const std::string& key) const;  // accepts integer values too
    std::int64_t integer(const std::string& key) const { return get<std::int64_t>(key); }
    const std::string& string(const std::string& key) const { return get<std::string>(key); }
    std::chrono::milliseconds duration(const std::string& key) const { return get<std::chrono::milliseconds>(key); }
    const std::vector<std::string>& strings(const std::string& key) const { return get<std::vector<std::string>>(key); }

    const std::map<std::string, OptionValue>& all() const { return values_; }

private:
    template <class T>
    const T& get(const std::string& key) const;

    std::map<std::string, OptionValue> values_;
    std::map<std::string, SourceLocation> where_;
};

const char* to_string(OptionType type);

}  // namespace hwb
