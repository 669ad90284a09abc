// Patterns with nested repetition are refused (std::regex backtracks exponentially on them), both
// by the pattern check itself and by `hwbridge --check`, at the pattern's line and column; the
// patterns people write for serial lines stay accepted.
#include <gtest/gtest.h>

#include <string>

#include "serial/pattern.h"
#include "serial/pattern_safety.h"
#include "support/daemon.h"

namespace hwb::serial {
namespace {

TEST(PatternSafety, NestedRepetitionIsRefusedWithTheReason) {
    for (const char* p : {"(x+)+y", "(a*)*", "(a|a)*", "(a|ab)*c", "^T=(\\d+\\.?)+$", "(?:\\s*\\w+)*;",
                          "(?<v>[0-9]+)*", "((ab)*c)+", "(a{1,3}){2}", "(a?)+", "(x+)+?", "(x+){2,}", "(on|)+"}) {
        auto risk = backtracking_risk(p);
        ASSERT_TRUE(risk.has_value()) << p;
        EXPECT_NE(risk->find("nested repetition"), std::string::npos) << *risk;
        EXPECT_NE(risk->find("backtracks exponentially"), std::string::npos) << *risk;
        auto compiled = Pattern::compile(p);
        ASSERT_FALSE(compiled.ok()) << p;
        EXPECT_EQ(compiled.error().code, "bad_pattern");
    }
}

TEST(PatternSafety, TheMessageQuotesTheGroupAndWhereItStarts) {
    auto risk = backtracking_risk("T=(?<t>[0-9]+\\.?)+C");
    ASSERT_TRUE(risk.has_value());
    EXPECT_NE(risk->find("'(?<t>[0-9]+\\.?)+' at character 3"), std::string::npos) << *risk;
}

TEST(PatternSafety, TypicalPatternsAreAccepted) {
    for (const char* p : {"T=([-0-9.]+)C", "(\\d+),(\\d+)", "T=(?<temp>-?[0-9.]+)", "^OK R1 ON$", "DOOR=(?<state>\\w+)",
                          "(ab)+", "(?:on|off)*", "([0-9]{2})+", "(a+)?", "(x+)", "[(+)]+", "\\(a+\\)+", "(\\d+)\\s+(\\d+)",
                          "^(?<h>\\d{1,2}):(?<m>\\d{2})$", "a{2,}b", "(abc){3}"}) {
        EXPECT_FALSE(backtracking_risk(p).has_value()) << p << ": " << backtracking_risk(p).value_or("");
        EXPECT_TRUE(Pattern::compile(p).ok()) << p;
    }
}

TEST(PatternSafety, CheckRefusesTheMapAtThePatternsLine) {
    test::TempFile map(".yaml", R"(devices:
  - id: board
    driver: serial
    port: /dev/ttyUSB0
sensors:
  - id: ok
    device: board
    pattern: 'T=([-0-9.]+)C'
  - id: bad
    device: board
    pattern: '^V=(\d+\.?)+$'
relays:
  - id: lamp
    device: board
    on_command: "1"
    off_command: "0"
    confirm_on: '^OK$'
    confirm_off: '(OK|OK )*DONE'
)");
    auto result = test::run_hwbridge({"--check", map.path()});
    EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
    std::string all = result.out + result.err;
    EXPECT_NE(all.find(map.path() + ":11:"), std::string::npos) << all;
    EXPECT_NE(all.find("nested repetition: '(\\d+\\.?)+'"), std::string::npos) << all;
    EXPECT_NE(all.find(map.path() + ":18:"), std::string::npos) << all;
    EXPECT_NE(all.find("alternatives 'OK' and 'OK '"), std::string::npos) << all;
    EXPECT_EQ(all.find(map.path() + ":8:"), std::string::npos) << all;  // the typical pattern is fine
}

}  // namespace
}  // namespace hwb::serial
