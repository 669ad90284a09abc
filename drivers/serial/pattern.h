// The device map's regular expressions (`pattern`, `confirm_on`, `confirm_off`) on RE2: matching
// takes time linear in the line's length whatever the pattern, so no pattern a map author writes
// can stall the event loop, and no line is too long to try. Named groups: (?<name>...) and
// (?P<name>...). What needs a backtracking matcher (backreferences, lookahead, lookbehind) is
// refused with a message that says so. Bytes are matched as bytes (RE2's Latin-1 mode), as a
// serial line may carry any.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace re2 {
class RE2;
}

namespace hwb::serial {

// Compiled programs beyond this are refused ("the pattern is too large"): a bound on the memory
// one pattern of a map may take.
inline constexpr std::size_t max_pattern_memory = 1 << 20;

// A compiled pattern; `search` finds it anywhere in a frame (anchor with ^ and $ if needed).
// Copies share the compiled program (RE2 is immutable once compiled).
class Pattern {
public:
    // Errors: bad_pattern, with a message that names the construct and, where RE2 gives one, the
    // fragment of the pattern.
    static Result<Pattern> compile(std::string_view pattern);

    // names()[i]: the name of capture group i + 1, "" if it has none.
    const std::vector<std::string>& names() const { return names_; }
    std::size_t group(std::string_view name) const;  // 0 if there is no such group
    // The text of capture group `group` (0: whole match) of the first match, if any.
    bool search(std::string_view text, std::size_t group, std::string_view& out) const;
    bool matches(std::string_view text) const;

private:
    std::shared_ptr<const re2::RE2> re_;
    std::vector<std::string> names_;
};

}  // namespace hwb::serial
