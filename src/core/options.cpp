#include "core/options.h"

#include <stdexcept>

namespace hwb {

template <class T>
const T& Options::get(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) throw std::logic_error("option '" + key + "' is not set");
    const T* value = std::get_if<T>(&it->second);
    if (value == nullptr) throw std::logic_error("option '" + key + "' has another type");
    return *value;
}

double Options::number(const std::string& key) const {
    auto it = values_.find(key);
    if (it != values_.end()) {
        if (const auto* i = std::get_if<std::int64_t>(&it->second)) return static_cast<double>(*i);
    }
    return get<double>(key);
}

template const bool& Options::get<bool>(const std::string&) const;
template const std::int64_t& Options::get<std::int64_t>(const std::string&) const;
template const std::string& Options::get<std::string>(const std::string&) const;
template const std::chrono::milliseconds& Options::get<std::chrono::milliseconds>(const std::string&) const;
template const std::vector<std::string>& Options::get<std::vector<std::string>>(const std::string&) const;

const char* to_string(OptionType type) {
    switch (type) {
        case OptionType::string: return "string";
        case OptionType::number: return "number";
        case OptionType::integer: return "integer";
        case OptionType::boolean: return "boolean";
        case OptionType::duration: return "duration";
        case OptionType::choice: return "choice";
        case OptionType::string_list: return "list of strings";
    }
    return "?";
}

}  // namespace hwb
