// "Did you mean ...?" for misspelt keys, ids, drivers and choices.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/text.h"  // join

namespace hwb::devicemap {

// Edit distance counting insertions, deletions, substitutions and swaps of neighbours
// ("lable" -> "label" is 1), the typos people make in YAML keys.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a plausible typo.
std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates);

// "; did you mean 'x'?" or "" when nothing is close: appended to error messages.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace hwb::devicemap
