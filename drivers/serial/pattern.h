// Regular expressions with named groups, `T=(?<temp>[-0-9.]+)`, on top of std::regex (ECMAScript),
// which has no named groups: the names are taken out and mapped to group numbers.
#pragma once

#include <cstddef>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace hwb::serial {

struct TranslatedPattern {
    std::string ecmascript;           // the pattern with (?<name> turned into (
    std::vector<std::string> names;   // names[i]: name of capture group i+1, "" if unnamed
    std::size_t group(const std::string& name) const;  // 0 if there is no such group
};

// Accepts (?<name>...) and (?P<name>...); rejects lookbehind, which ECMAScript lacks.
Result<TranslatedPattern> translate_pattern(std::string_view pattern);

// libstdc++'s std::regex matches by recursion, one level per character or so: on a frame of
// ~30 kB (16 kB under AddressSanitizer) `value: (.*)` overflows an 8 MB stack. Patterns are
// therefore only tried on frames up to this length; longer ones do not match.
inline constexpr std::size_t max_pattern_input = 4096;

// A compiled pattern; `search` finds it anywhere in a frame (anchor with ^ and $ if needed).
// Text longer than max_pattern_input never matches.
class Pattern {
public:
    static Result<Pattern> compile(std::string_view pattern);
    const TranslatedPattern& translated() const { return translated_; }
    // The text of capture group `group` (0: whole match) of the first match, if any.
    bool search(std::string_view text, std::size_t group, std::string_view& out) const;
    bool matches(std::string_view text) const;

private:
    TranslatedPattern translated_;
    std::regex regex_;
    mutable std::cmatch match_;  // reused so a search does not allocate
};

}  // namespace hwb::serial
