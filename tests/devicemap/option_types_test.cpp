// Driver options of every OptionType, validated through a real map: the `probe` test driver
// declares one of each, the sim driver supplies the realistic cases.
#include <gtest/gtest.h>

#include "test_maps.h"

namespace hwb {
namespace {

using namespace std::chrono_literals;
using test::error_lines;
using test::load;
using Lines = std::vector<std::string>;

// A map whose only device is a probe with `options` (one "key: value" per line, indented 4).
LoadResult load_probe(const std::string& options) {
    return load("devices:\n  - id: p\n    driver: probe\n    port: /dev/ttyUSB0\n" + options);
}

// The map's device options, or fails the test with the errors.
Options probe_options(const std::string& options) {
    auto result = load_probe(options);
    EXPECT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    return result.ok() ? result.map->devices.at(0).options : Options{};
}

TEST(DeviceMapOptions, DurationsTakeMillisecondsSecondsMinutesHours) {
    EXPECT_EQ(probe_options("    timeout: 250ms\n").duration("timeout"), 250ms);
    EXPECT_EQ(probe_options("    timeout: 10s\n").duration("timeout"), 10s);
    EXPECT_EQ(probe_options("    timeout: 1.5s\n").duration("timeout"), 1500ms);
    EXPECT_EQ(probe_options("    timeout: 0.25m\n").duration("timeout"), 15s);
    EXPECT_EQ(probe_options("    timeout: 1m\n").duration("timeout"), 60s);
    EXPECT_EQ(probe_options("").duration("timeout"), 1s);  // fallback
    auto sim = load(R"(
devices:
  - id: bench
    driver: sim
sensors:
  - id: t
    device: bench
    period: 1h
)");
    ASSERT_TRUE(sim.ok()) << ::testing::PrintToString(error_lines(sim));
    EXPECT_EQ(sim.map->devices[0].sensors[0].options.duration("period"), 1h);
}

TEST(DeviceMapOptions, BareNumberDurationAsksForAUnit) {
    EXPECT_EQ(error_lines(load_probe("    timeout: 500\n")),
              Lines{"map.yaml:5:14: error: 'timeout' needs a unit, e.g. 500ms or 10s, got '500'"});
}

TEST(DeviceMapOptions, MalformedOrOutOfRangeDurationsAreRejected) {
    const std::string expected = " (e.g. 250ms, 10s, 1.5s, 5m, 1h)";
    EXPECT_EQ(error_lines(load_probe("    timeout: 5ms\n")),
              Lines{"map.yaml:5:14: error: 'timeout' must be a duration between 10ms and 1m" + expected +
                    ", got '5ms'"});
    EXPECT_EQ(error_lines(load_probe("    timeout: 2m\n")),
              Lines{"map.yaml:5:14: error: 'timeout' must be a duration between 10ms and 1m" + expected +
                    ", got '2m'"});
    for (const char* bad : {"10 s", "10sec", "-5s", "1e3ms", "0.5ms", "s", "ms10"}) {
        auto result = load_probe(std::string("    timeout: ") + bad + "\n");
        ASSERT_EQ(result.errors.size(), 1u) << bad;
        EXPECT_EQ(result.errors[0].message,
                  "'timeout' must be a duration between 10ms and 1m" + expected + ", got '" + bad + "'");
    }
}

TEST(DeviceMapOptions, IntegerRejectsFractionsAndOutOfRange) {
    EXPECT_EQ(probe_options("    retries: 9\n").integer("retries"), 9);
    EXPECT_EQ(probe_options("    retries: +2\n").integer("retries"), 2);
    EXPECT_EQ(error_lines(load_probe("    retries: 1.5\n")),
              Lines{"map.yaml:5:14: error: 'retries' must be an integer between 0 and 9, got '1.5'"});
    EXPECT_EQ(error_lines(load_probe("    retries: 10\n")),
              Lines{"map.yaml:5:14: error: 'retries' must be an integer between 0 and 9, got '10'"});
    EXPECT_EQ(error_lines(load_probe("    retries: 99999999999999999999\n")),
              Lines{"map.yaml:5:14: error: 'retries' must be an integer between 0 and 9, got "
                    "'99999999999999999999'"});
}

TEST(DeviceMapOptions, NumberAcceptsIntegersAndFractions) {
    EXPECT_EQ(probe_options("    gain: 1\n").number("gain"), 1.0);
    EXPECT_EQ(probe_options("    gain: -0.25\n").number("gain"), -0.25);
    EXPECT_EQ(probe_options("    gain: 5e-1\n").number("gain"), 0.5);
    EXPECT_FALSE(probe_options("").has("gain"));  // no fallback: not set
    EXPECT_EQ(error_lines(load_probe("    gain: 1.01\n")),
              Lines{"map.yaml:5:11: error: 'gain' must be a number between -1 and 1, got '1.01'"});
    EXPECT_EQ(error_lines(load_probe("    gain: .nan\n")),
              Lines{"map.yaml:5:11: error: 'gain' must be a number between -1 and 1, got '.nan'"});
}

TEST(DeviceMapOptions, NumberWithOnlyALowerBoundSaysAtLeast) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
sensors:
  - id: t
    device: bench
    noise: -1
)");
    EXPECT_EQ(error_lines(result), Lines{"map.yaml:7:12: error: 'noise' must be a number of at least 0, got '-1'"});
}

TEST(DeviceMapOptions, ChoiceListsTheChoicesAndSuggests) {
    EXPECT_EQ(probe_options("    parity: odd\n").string("parity"), "odd");
    EXPECT_EQ(error_lines(load_probe("    parity: evn\n")),
              Lines{"map.yaml:5:13: error: 'parity' must be one of none, even, odd, got 'evn'; did you mean 'even'?"});
    EXPECT_EQ(error_lines(load_probe("    parity: mark\n")),
              Lines{"map.yaml:5:13: error: 'parity' must be one of none, even, odd, got 'mark'"});
}

TEST(DeviceMapOptions, BooleanIsTrueOrFalse) {
    EXPECT_TRUE(probe_options("    verbose: true\n").boolean("verbose"));
    EXPECT_FALSE(probe_options("").boolean("verbose"));
    EXPECT_EQ(error_lines(load_probe("    verbose: yes\n")),
              Lines{"map.yaml:5:14: error: 'verbose' must be true or false, got 'yes'"});
}

TEST(DeviceMapOptions, StringListTakesASequenceOfStrings) {
    EXPECT_EQ(probe_options("    tags: [a, b]\n").strings("tags"), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(error_lines(load_probe("    tags: a\n")),
              Lines{"map.yaml:5:11: error: 'tags' must be a list of strings, got 'a'"});
    EXPECT_EQ(error_lines(load_probe("    tags: [a, [b]]\n")),
              Lines{"map.yaml:5:15: error: each entry of 'tags' must be a string, got a list"});
}

TEST(DeviceMapOptions, MissingRequiredDriverOptionPointsAtTheDevice) {
    auto result = load(R"(
devices:
  - id: p
    driver: probe
)");
    EXPECT_EQ(error_lines(result), Lines{"map.yaml:2:5: error: device 'p' is missing required key 'port' (a string)"});
}

}  // namespace
}  // namespace hwb
