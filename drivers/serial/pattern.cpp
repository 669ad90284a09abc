#include "serial/pattern.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>

namespace hwb::serial {

namespace {

bool name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }

std::string unsupported(const char* what, std::string_view construct, std::size_t at, const char* lacks) {
    return std::string(what) + " '" + std::string(construct) + "' at character " + std::to_string(at + 1) +
           " is not supported: hwbridge matches with RE2, in time linear in the line, which has no " + lacks;
}

// RE2 of Debian 12 knows (?P<name>; (?<name> (the spelling of .NET, PCRE and ECMAScript) is turned
// into it. What only a backtracking matcher can do is refused here, with its place in the pattern.
// Escapes and character classes are copied as they are.
Result<std::string> prepare(std::string_view p) {
    std::string out;
    out.reserve(p.size() + 8);
    bool in_class = false;
    for (std::size_t i = 0; i < p.size(); ++i) {
        const char c = p[i];
        if (c == '\\') {
            if (!in_class && i + 1 < p.size() && p[i + 1] >= '1' && p[i + 1] <= '9')
                return Error{"bad_pattern", unsupported("backreference", p.substr(i, 2), i, "backreferences")};
            out += c;
            if (i + 1 < p.size()) out += p[++i];
            continue;
        }
        if (in_class) {
            if (c == ']') in_class = false;
            out += c;
            continue;
        }
        if (c == '[') {
            in_class = true;
            out += c;
            if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
            if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];  // `[]a]`: ] is literal
            continue;
        }
        if (c == '(' && (p.substr(i, 3) == "(?=" || p.substr(i, 3) == "(?!"))
            return Error{"bad_pattern", unsupported("lookahead", p.substr(i, 3), i, "lookaround")};
        if (c == '(' && (p.substr(i, 4) == "(?<=" || p.substr(i, 4) == "(?<!"))
            return Error{"bad_pattern", unsupported("lookbehind", p.substr(i, 4), i, "lookaround")};
        if (c == '(' && (p.substr(i, 3) == "(?<" || p.substr(i, 4) == "(?P<")) {
            // The group's name is checked here: RE2 of Debian 13 (2024) takes (?<name> itself and
            // names that start with a digit, Debian 12's did not; a map must mean the same on both.
            const std::size_t name_at = i + (p[i + 2] == 'P' ? 4 : 3);
            const std::size_t end = p.find('>', name_at);
            const std::string_view name = p.substr(name_at, end == std::string_view::npos ? end : end - name_at);
            const bool valid = end != std::string_view::npos && !name.empty() && name_start(name.front()) &&
                               std::all_of(name.begin(), name.end(), [](char n) { return name_start(n) || (n >= '0' && n <= '9'); });
            if (!valid)
                return Error{"bad_pattern", "invalid group name in '" + std::string(p.substr(i, end == std::string_view::npos ? end : end + 1 - i)) +
                                                "' at character " + std::to_string(i + 1) +
                                                " (a name starts with a letter or _, then letters, digits, _)"};
            out += "(?P<";
            out += name;
            out += '>';
            i = end;
            continue;
        }
        out += c;
    }
    return out;
}

// What RE2 refuses, said in the map author's terms.
std::string explain(const re2::RE2& re) {
    const std::string& arg = re.error_arg();
    switch (re.error_code()) {
        case re2::RE2::ErrorBadPerlOp:
            return "unknown group syntax '" + arg + "' (groups: (...), (?:...), (?<name>...), (?P<name>...))";
        case re2::RE2::ErrorBadEscape:
            return "invalid escape '" + arg + "'";
        case re2::RE2::ErrorBadNamedCapture:
            return "invalid or repeated group name in '" + arg + "' (letters, digits, _)";
        case re2::RE2::ErrorPatternTooLarge:
            return "the pattern is too large (its compiled form exceeds " + std::to_string(max_pattern_memory / 1024) +
                   " KiB)";
        case re2::RE2::ErrorRepeatSize:
            return "repetition count too large in '" + arg + "' (at most 1000)";
        default:
            return "invalid regular expression: " + re.error() + (arg.empty() ? "" : " ('" + arg + "')");
    }
}

}  // namespace

Result<Pattern> Pattern::compile(std::string_view text) {
    re2::RE2::Options options;
    options.set_encoding(re2::RE2::Options::EncodingLatin1);
    options.set_log_errors(false);  // the error is returned, located, to the map's author
    options.set_max_mem(static_cast<std::int64_t>(max_pattern_memory));
    auto rewritten = prepare(text);
    if (!rewritten.ok()) return rewritten.error();
    const std::string& program = rewritten.value();
    auto re = std::make_shared<const re2::RE2>(re2::StringPiece(program.data(), program.size()), options);
    if (!re->ok()) return Error{"bad_pattern", explain(*re)};
    Pattern p;
    p.names_.assign(static_cast<std::size_t>(re->NumberOfCapturingGroups()), std::string());
    for (const auto& [index, name] : re->CapturingGroupNames()) {
        // RE2 of Debian 12 takes a name twice; `field` could not say which group it means.
        if (p.group(name) != 0) return Error{"bad_pattern", "group name '" + name + "' used twice"};
        p.names_[static_cast<std::size_t>(index) - 1] = name;
    }
    p.re_ = std::move(re);
    return p;
}

std::size_t Pattern::group(std::string_view name) const {
    for (std::size_t i = 0; i < names_.size(); ++i)
        if (!name.empty() && names_[i] == name) return i + 1;
    return 0;
}

bool Pattern::search(std::string_view text, std::size_t group, std::string_view& out) const {
    if (group > names_.size()) return false;
    // Groups up to the one asked for; more than a few only in unusual maps.
    constexpr std::size_t on_stack = 16;
    std::array<re2::StringPiece, on_stack> small;
    std::vector<re2::StringPiece> large;
    re2::StringPiece* groups = small.data();
    if (group + 1 > on_stack) {
        large.resize(group + 1);
        groups = large.data();
    }
    const re2::StringPiece input(text.data(), text.size());
    if (!re_->Match(input, 0, input.size(), re2::RE2::UNANCHORED, groups, static_cast<int>(group + 1))) return false;
    if (groups[group].data() == nullptr) return false;  // the group took no part in the match
    out = std::string_view(groups[group].data(), groups[group].size());
    return true;
}

bool Pattern::matches(std::string_view text) const {
    const re2::StringPiece input(text.data(), text.size());
    return re_->Match(input, 0, input.size(), re2::RE2::UNANCHORED, nullptr, 0);
}

}  // namespace hwb::serial
