// What reading one device map may cost, whatever the map (issue 18, item 2; docs/security.md,
// "Validating a hostile map"). Public: the map API's answer, the fuzz target and the tests rely
// on these bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hwb::devicemap {

// The most a map may weigh with its aliases expanded (scalar bytes plus 16 per node; an alias
// counts as everything its anchor names). The map API takes drafts of up to 1 MiB; a map is
// hand-written text, and one that expands beyond this is an attack on the bridge's memory.
inline constexpr std::uint64_t max_expanded_bytes = 4 * 1024 * 1024;
// The most nodes (scalars, lists, mappings; an alias is not one) a map may have. yaml-cpp needs
// about 600 bytes per node: 1 MiB of `k1: 1` lines took the daemon to 135 MB and its loop 1.2 s.
// The shipped maps have 101 to 184; a map of 500 channels with 15 keys each, about 15,500.
inline constexpr std::uint64_t max_nodes = 20000;

// The errors of one load: a hostile draft's errors must not make the answer (or the memory
// behind it) larger than a fixed budget.
inline constexpr std::size_t max_reported_errors = 100;  // then one line says how many more
inline constexpr std::size_t max_message_bytes = 300;    // longer messages are cut
inline constexpr std::size_t max_quoted_bytes = 40;      // of a scalar quoted in a message
// All listed messages together, counted as JSON writes them at most (a control byte as \u00XX, a
// non-ASCII byte as the U+FFFD it may become) plus 40 bytes each for line, column and
// punctuation: the map API's validate answer stays below this (plus one message).
inline constexpr std::size_t max_answer_bytes = 32 * 1024;

// `text` as messages quote it: whole when short, else its first max_quoted_bytes bytes (cut at a
// UTF-8 character boundary) and how long it was; control bytes as \xNN.
std::string excerpt(std::string_view text);

}  // namespace hwb::devicemap
