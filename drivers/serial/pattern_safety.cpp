#include "serial/pattern_safety.h"

#include <cctype>
#include <cstddef>
#include <limits>
#include <vector>

namespace hwb::serial {

namespace {

constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

struct Quantifier {
    std::size_t min = 1;
    std::size_t max = 1;
    std::size_t length = 0;  // characters it takes in the pattern, lazy '?' included; 0: none
    bool repeats() const { return length > 0 && max > 1; }
    bool varies() const { return length > 0 && min != max; }
};

// The quantifier starting at `at`, if any. A '{' that does not form {n}, {n,} or {n,m} is a
// literal in ECMAScript (as std::regex reads it), so it is none.
Quantifier quantifier_at(std::string_view p, std::size_t at) {
    Quantifier q;
    if (at >= p.size()) return q;
    char c = p[at];
    if (c == '*' || c == '+' || c == '?') {
        q.min = c == '+' ? 1 : 0;
        q.max = c == '?' ? 1 : unbounded;
        q.length = 1;
    } else if (c == '{') {
        std::size_t i = at + 1;
        auto number = [&](std::size_t& into) {
            std::size_t start = i;
            into = 0;
            while (i < p.size() && std::isdigit(static_cast<unsigned char>(p[i])) && i - start < 9)
                into = into * 10 + static_cast<std::size_t>(p[i++] - '0');
            return i > start;
        };
        if (!number(q.min)) return {};
        q.max = q.min;
        if (i < p.size() && p[i] == ',') {
            ++i;
            if (!number(q.max)) q.max = unbounded;
        }
        if (i >= p.size() || p[i] != '}') return {};
        q.length = i + 1 - at;
    } else {
        return q;
    }
    if (at + q.length < p.size() && p[at + q.length] == '?') ++q.length;  // lazy: same risk
    return q;
}

struct Group {
    std::size_t open = 0;          // position of '('
    std::size_t body = 0;          // first character of the body, after (?: (?<name> ...
    std::vector<std::size_t> bars;  // positions of its top-level '|'
    bool varies = false;           // its body holds a quantifier of varying count
};

bool prefix_of(std::string_view a, std::string_view b) { return b.substr(0, a.size()) == a; }

std::string explain(std::string_view p, const Group& g, std::size_t end, const std::string& what) {
    return "nested repetition: '" + std::string(p.substr(g.open, end - g.open)) + "' at character " +
           std::to_string(g.open + 1) + " is " + what +
           "; std::regex backtracks exponentially on such a pattern when a line does not match, which can stall "
           "the bridge. Write it without the outer repetition (e.g. '([-0-9.]+)' instead of '([0-9]+\\.?)+')";
}

}  // namespace

std::optional<std::string> backtracking_risk(std::string_view p) {
    std::vector<Group> open;
    Group top;  // the whole pattern
    auto current = [&]() -> Group& { return open.empty() ? top : open.back(); };
    for (std::size_t i = 0; i < p.size(); ++i) {
        char c = p[i];
        std::size_t atom_end = i + 1;
        if (c == '\\') {
            atom_end = i + 2;
        } else if (c == '[') {
            std::size_t j = i + 1;
            if (j < p.size() && p[j] == '^') ++j;
            if (j < p.size() && p[j] == ']') ++j;  // `[]a]`: ] is literal
            while (j < p.size() && p[j] != ']') j += p[j] == '\\' ? 2 : 1;
            atom_end = j + 1;
        } else if (c == '(') {
            Group g;
            g.open = i;
            std::size_t j = i + 1;
            if (j < p.size() && p[j] == '?') {
                if (p.substr(j, 2) == "?<" || p.substr(j, 3) == "?P<") {
                    std::size_t close = p.find('>', j);
                    bool look_behind = p.substr(j, 3) == "?<=" || p.substr(j, 3) == "?<!";
                    j = look_behind || close == std::string_view::npos ? j + 3 : close + 1;
                } else {
                    j += 2;  // ?: ?= ?!
                }
            }
            g.body = j;
            open.push_back(g);
            i = j - 1;
            continue;
        } else if (c == '|') {
            current().bars.push_back(i);
            continue;
        } else if (c == ')') {
            if (open.empty()) continue;  // unbalanced: std::regex reports it
            Group g = open.back();
            open.pop_back();
            Quantifier q = quantifier_at(p, i + 1);
            std::size_t end = i + 1 + q.length;
            if (q.repeats() && g.varies)
                return explain(p, g, end, "a repeated group whose body itself repeats a varying number of times");
            if (q.repeats() && !g.bars.empty()) {
                std::vector<std::string_view> branches;
                std::size_t from = g.body;
                for (std::size_t bar : g.bars) {
                    branches.push_back(p.substr(from, bar - from));
                    from = bar + 1;
                }
                branches.push_back(p.substr(from, i - from));
                for (std::size_t a = 0; a < branches.size(); ++a)
                    for (std::size_t b = 0; b < branches.size(); ++b)
                        if (a != b && prefix_of(branches[a], branches[b]))
                            return explain(p, g, end,
                                           "a repeated group whose alternatives '" + std::string(branches[a]) +
                                               "' and '" + std::string(branches[b]) + "' can match the same text");
            }
            current().varies = current().varies || g.varies || q.varies();
            i = end - 1;
            continue;
        }
        Quantifier q = quantifier_at(p, atom_end);
        if (q.varies()) current().varies = true;
        i = atom_end + q.length - 1;
    }
    return std::nullopt;
}

}  // namespace hwb::serial
