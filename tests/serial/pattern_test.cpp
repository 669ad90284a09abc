// The map's patterns on RE2: both spellings of named groups, patterns that made a backtracking
// matcher take exponential time now match in linear time (accepted, and a long line is tried
// whole), and what RE2 cannot express is refused with a reason, also by `hwbridge --check` at the
// pattern's line.
#include <gtest/gtest.h>

#include <string>

#include "serial/pattern.h"
#include "support/daemon.h"

namespace hwb::serial {
namespace {

TEST(Pattern, NamedGroupsInBothSpellingsAndNoGroupInsideAClassOrAfterAnEscape) {
    auto p = Pattern::compile(R"(T=(?<temp>[-0-9.]+) (x)(?:y) H=(?P<hum>\d+) [(?<]\(?<no>)");
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p.value().group("temp"), 1u);
    EXPECT_EQ(p.value().group("hum"), 3u);
    EXPECT_EQ(p.value().group("no"), 0u);
    ASSERT_EQ(p.value().names().size(), 3u);
    EXPECT_EQ(p.value().names()[1], "");
    std::string_view out;
    ASSERT_TRUE(p.value().search("T=21.5 xy H=40 <(<no>", 3, out));
    EXPECT_EQ(out, "40");
}

TEST(Pattern, WhatNeedsBacktrackingIsRefusedWithTheReasonAndThePlace) {
    struct Case {
        const char* pattern;
        const char* says;
    };
    for (const Case& c : {Case{"T=(?<=a)b", "lookbehind '(?<=' at character 3 is not supported"},
                          Case{"(?<!x)DONE", "lookbehind '(?<!' at character 1"},
                          Case{"^ON(?=\\r)", "lookahead '(?=' at character 4"},
                          Case{"x(?!y)", "lookahead '(?!' at character 2"},
                          Case{"^(\\d+),\\1$", "backreference '\\1' at character 8"}}) {
        auto compiled = Pattern::compile(c.pattern);
        ASSERT_FALSE(compiled.ok()) << c.pattern;
        EXPECT_EQ(compiled.error().code, "bad_pattern");
        EXPECT_NE(compiled.error().message.find(c.says), std::string::npos) << compiled.error().message;
        EXPECT_NE(compiled.error().message.find("RE2, in time linear in the line"), std::string::npos)
            << compiled.error().message;
    }
    // (?<1bad> and (?P<1bad>: RE2 2024 (Debian 13) would take these names, 2022 (Debian 12) not.
    for (const char* bad : {"(unclosed", "(?<1bad>x)", "(?P<1bad>x)", "(?<>x)", "(?<t x)", "(?P<t>a)(?P<t>b)", "a{1001}", "[z-a]"}) {
        auto compiled = Pattern::compile(bad);
        ASSERT_FALSE(compiled.ok()) << bad;
        EXPECT_EQ(compiled.error().code, "bad_pattern");
        EXPECT_FALSE(compiled.error().message.empty());
    }
}

// A backtracking matcher needs time exponential in the line for these (2.5 s for 25 bytes of the
// second, more than 30 s for 150 of the third): this test would not finish. On RE2 each line is
// read once.
TEST(Pattern, PatternsThatMadeBacktrackingExplodeMatchLongLinesInOnePass) {
    std::string oks;
    while (oks.size() < 100000) oks += "OK OK";
    struct Case {
        const char* pattern;
        std::string miss;  // almost matches, and does not
        const char* hit;
    };
    for (const Case& c : {Case{"(x+)+y", std::string(100000, 'x'), "xxxy"},
                          Case{"(a|[ab])+c", std::string(100000, 'a'), "abac"},
                          Case{".*.*.*.*x", std::string(100000, 'a'), "aax"},
                          Case{"^V=(\\d+\\.?)+$", "V=" + std::string(100000, '1') + "!", "V=12.5"},
                          Case{"(a|a)*b", std::string(100000, 'a'), "aab"},
                          Case{"(OK|OK )*DONE", oks, "OK OK DONE"}}) {
        auto compiled = Pattern::compile(c.pattern);
        ASSERT_TRUE(compiled.ok()) << c.pattern << ": " << compiled.error().message;
        EXPECT_FALSE(compiled.value().matches(c.miss)) << c.pattern;
        EXPECT_TRUE(compiled.value().matches(c.hit)) << c.pattern;
    }
    auto nested = Pattern::compile("^V=(?<v>(\\d+\\.?)+)$");
    ASSERT_TRUE(nested.ok());
    std::string_view out;
    ASSERT_TRUE(nested.value().search("V=12.5", 1, out));
    EXPECT_EQ(out, "12.5");
}

// No length limit: a long frame is searched whole (the framer bounds frames, max_frame).
TEST(Pattern, LongFramesAreSearchedWhole) {
    auto p = Pattern::compile("value: (.*)");
    ASSERT_TRUE(p.ok());
    const std::string line = "value: " + std::string(200000, 'x');
    std::string_view out;
    ASSERT_TRUE(p.value().search(line, 1, out));
    EXPECT_EQ(out.size(), 200000u);
    EXPECT_TRUE(p.value().matches(line));
}

// Bytes are bytes: a line that is not UTF-8 matches like any other.
TEST(Pattern, BytesThatAreNotUtf8Match) {
    auto p = Pattern::compile("T=(?<t>[0-9.]+).C");
    ASSERT_TRUE(p.ok());
    std::string_view out;
    ASSERT_TRUE(p.value().search("T=21.5\xb0" "C", 1, out));
    EXPECT_EQ(out, "21.5");
}

TEST(Pattern, CheckRefusesWhatRe2CannotDoAtThePatternsLineAndAcceptsNestedRepetition) {
    test::TempFile map(".yaml", R"(devices:
  - id: board
    driver: serial
    port: /dev/ttyUSB0
sensors:
  - id: ok
    device: board
    pattern: 'T=([-0-9.]+)C'
  - id: nested
    device: board
    pattern: '^V=(\d+\.?)+$'
  - id: twice
    device: board
    pattern: '^(\d+),\1$'
relays:
  - id: lamp
    device: board
    on_command: "1"
    off_command: "0"
    confirm_on: '(OK|OK )*DONE'
    confirm_off: '(?<!NOT )OFF'
)");
    auto result = test::run_hwbridge({"--check", map.path()});
    EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
    const std::string all = result.out + result.err;
    EXPECT_NE(all.find(map.path() + ":14:"), std::string::npos) << all;
    EXPECT_NE(all.find("backreference '\\1'"), std::string::npos) << all;
    EXPECT_NE(all.find(map.path() + ":21:"), std::string::npos) << all;
    EXPECT_NE(all.find("lookbehind '(?<!'"), std::string::npos) << all;
    // Accepted: the typical pattern, and the nested repetitions std::regex could not run safely.
    for (int line : {8, 11, 20}) EXPECT_EQ(all.find(map.path() + ":" + std::to_string(line) + ":"), std::string::npos) << all;
}

}  // namespace
}  // namespace hwb::serial
