// Patterns std::regex cannot run safely. libstdc++'s std::regex is a backtracking matcher: a
// repeated group whose body can itself match in several ways, `(x+)+`, `(a*)*`, `(\d+\.?)+`,
// `(a|ab)*`, tries exponentially many ways to split a line that does not match (the fuzzer found
// one: docs/security.md). A noisy or hostile device line would then stall the event loop, and with
// it every relay. Such patterns are refused when the map is loaded.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hwb::serial {

// Why `pattern` (as written in the map, named groups allowed) risks exponential backtracking, or
// nullopt. Refused: a group that may match more than once (`*`, `+`, `{n}` with n > 1, `{n,}`,
// `{n,m}` with m > 1) whose body contains a quantifier of varying count (`*`, `+`, `?`, `{n,}`,
// `{n,m}` with n < m): even a fixed count is polynomial of that degree on a 4 kB line; and such a
// group whose alternatives are equal or one is a prefix of another. Deliberately simple: a few
// harmless patterns are refused too (write the repetition out instead).
std::optional<std::string> backtracking_risk(std::string_view pattern);

}  // namespace hwb::serial
