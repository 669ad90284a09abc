#include "mqttdev/json_path.h"

#include <cctype>

#include <nlohmann/json.hpp>

namespace hwb::mqttdev {

std::optional<JsonPath> parse_json_path(const std::string& text, std::string& error) {
    JsonPath path;
    if (text.empty() || text.size() > 200) {
        error = "must be 1 to 200 characters";
        return std::nullopt;
    }
    std::size_t i = 0;
    bool need_key = true;  // at the start and after a dot
    while (i < text.size()) {
        char c = text[i];
        if (c == '[') {
            std::size_t close = text.find(']', i);
            if (need_key && !path.empty()) {
                error = "a '.' must be followed by a key, at character " + std::to_string(i + 1);
                return std::nullopt;
            }
            if (close == std::string::npos || close == i + 1 || close - i > 7) {
                error = "'[' must hold an array position such as [0], at character " + std::to_string(i + 1);
                return std::nullopt;
            }
            std::size_t index = 0;
            for (std::size_t k = i + 1; k < close; ++k) {
                if (!std::isdigit(static_cast<unsigned char>(text[k]))) {
                    error = "'[' must hold an array position such as [0], at character " + std::to_string(i + 1);
                    return std::nullopt;
                }
                index = index * 10 + static_cast<std::size_t>(text[k] - '0');
            }
            path.emplace_back(index);
            i = close + 1;
            need_key = false;
            if (i < text.size() && text[i] != '.' && text[i] != '[') {
                error = "expected '.' or '[' at character " + std::to_string(i + 1);
                return std::nullopt;
            }
            if (i < text.size() && text[i] == '.') {
                ++i;
                need_key = true;
                if (i == text.size()) {
                    error = "must not end with '.'";
                    return std::nullopt;
                }
            }
            continue;
        }
        std::size_t start = i;
        while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_' || text[i] == '-')) ++i;
        if (i == start) {
            error = "expected a key (letters, digits, '_', '-') at character " + std::to_string(i + 1);
            return std::nullopt;
        }
        path.emplace_back(text.substr(start, i - start));
        need_key = false;
        if (i < text.size()) {
            if (text[i] == '.') {
                ++i;
                need_key = true;
                if (i == text.size()) {
                    error = "must not end with '.'";
                    return std::nullopt;
                }
            } else if (text[i] != '[') {
                error = "expected '.' or '[' at character " + std::to_string(i + 1);
                return std::nullopt;
            }
        }
    }
    return path;
}

const nlohmann::json* follow_json_path(const nlohmann::json& document, const JsonPath& path) {
    const nlohmann::json* at = &document;
    for (const auto& step : path) {
        if (const auto* key = std::get_if<std::string>(&step)) {
            if (!at->is_object()) return nullptr;
            auto it = at->find(*key);
            if (it == at->end()) return nullptr;
            at = &*it;
        } else {
            std::size_t index = std::get<std::size_t>(step);
            if (!at->is_array() || index >= at->size()) return nullptr;
            at = &(*at)[index];
        }
    }
    return at;
}

}  // namespace hwb::mqttdev
