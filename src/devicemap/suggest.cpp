#include "devicemap/suggest.h"

#include <algorithm>

#include "core/text.h"

namespace hwb::devicemap {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Optimal string alignment distance; three rows suffice.
    const std::size_t n = b.size();
    std::vector<std::size_t> before(n + 1), previous(n + 1), current(n + 1);
    for (std::size_t j = 0; j <= n; ++j) previous[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (std::size_t j = 1; j <= n; ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                current[j] = std::min(current[j], before[j - 2] + 1);
        }
        before.swap(previous);
        previous.swap(current);
    }
    return previous[n];
}

std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates) {
    const std::string lower = ascii_lower(word);
    // About one typo per four letters ("bnch" finds "bench"), and never more edits than half of
    // the shorter word, so "none" does not suggest "on".
    const std::size_t limit = std::min<std::size_t>(3, 1 + lower.size() / 4);
    std::optional<std::string> best;
    std::size_t best_distance = limit + 1;
    for (const auto& candidate : candidates) {
        if (candidate == word) continue;
        // More letters apart than edits allowed: no match, and no O(n*m) table for a 100 KB word.
        const std::size_t apart = lower.size() > candidate.size() ? lower.size() - candidate.size() : candidate.size() - lower.size();
        if (apart > limit) continue;
        const std::size_t d = edit_distance(lower, ascii_lower(candidate));
        if (2 * d > std::min(lower.size(), candidate.size())) continue;
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    if (auto match = closest_match(word, candidates)) return "; did you mean '" + *match + "'?";
    return {};
}


}  // namespace hwb::devicemap
