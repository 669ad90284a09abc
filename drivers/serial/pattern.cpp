#include "serial/pattern.h"

#include <cctype>

#include "serial/pattern_safety.h"

namespace hwb::serial {

std::size_t TranslatedPattern::group(const std::string& name) const {
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) return i + 1;
    return 0;
}

Result<TranslatedPattern> translate_pattern(std::string_view p) {
    TranslatedPattern out;
    out.ecmascript.reserve(p.size());
    bool in_class = false;
    for (std::size_t i = 0; i < p.size(); ++i) {
        char c = p[i];
        if (c == '\\') {
            out.ecmascript += c;
            if (i + 1 < p.size()) out.ecmascript += p[++i];
            continue;
        }
        if (in_class) {
            if (c == ']') in_class = false;
            out.ecmascript += c;
            continue;
        }
        if (c == '[') {
            in_class = true;
            out.ecmascript += c;
            if (i + 1 < p.size() && p[i + 1] == '^') out.ecmascript += p[++i];
            if (i + 1 < p.size() && p[i + 1] == ']') out.ecmascript += p[++i];  // `[]a]`: ] is literal
            continue;
        }
        if (c != '(') {
            out.ecmascript += c;
            continue;
        }
        if (i + 1 >= p.size() || p[i + 1] != '?') {  // plain capture group
            out.names.emplace_back();
            out.ecmascript += c;
            continue;
        }
        std::size_t name_at = 0;
        if (p.substr(i, 3) == "(?<" && i + 3 < p.size() && p[i + 3] != '=' && p[i + 3] != '!') name_at = i + 3;
        if (p.substr(i, 4) == "(?P<") name_at = i + 4;
        if (p.substr(i, 4) == "(?<=" || p.substr(i, 4) == "(?<!")
            return Error{"bad_pattern", "lookbehind (?<= or (?<! is not supported"};
        if (name_at == 0) {  // (?: (?= (?!
            out.ecmascript += c;
            continue;
        }
        std::size_t end = p.find('>', name_at);
        if (end == std::string_view::npos) return Error{"bad_pattern", "group name not closed with '>'"};
        std::string name(p.substr(name_at, end - name_at));
        bool valid = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
        for (char n : name) valid = valid && (std::isalnum(static_cast<unsigned char>(n)) || n == '_');
        if (!valid) return Error{"bad_pattern", "invalid group name '" + name + "' (letters, digits, _)"};
        if (out.group(name) != 0) return Error{"bad_pattern", "group name '" + name + "' used twice"};
        out.names.push_back(name);
        out.ecmascript += '(';
        i = end;
    }
    if (in_class) return Error{"bad_pattern", "character class not closed with ']'"};
    return out;
}

Result<Pattern> Pattern::compile(std::string_view text) {
    if (auto risk = backtracking_risk(text)) return Error{"bad_pattern", *risk};
    auto translated = translate_pattern(text);
    if (!translated.ok()) return translated.error();
    Pattern p;
    p.translated_ = std::move(translated).value();
    try {
        p.regex_ = std::regex(p.translated_.ecmascript, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
        return Error{"bad_pattern", std::string("invalid regular expression: ") + e.what()};
    }
    return p;
}

bool Pattern::search(std::string_view text, std::size_t group, std::string_view& out) const {
    if (text.size() > max_pattern_input) return false;
    if (!std::regex_search(text.data(), text.data() + text.size(), match_, regex_)) return false;
    if (group >= match_.size() || !match_[group].matched) return false;
    out = std::string_view(match_[group].first, static_cast<std::size_t>(match_[group].length()));
    return true;
}

bool Pattern::matches(std::string_view text) const {
    if (text.size() > max_pattern_input) return false;
    return std::regex_search(text.data(), text.data() + text.size(), match_, regex_);
}

}  // namespace hwb::serial
