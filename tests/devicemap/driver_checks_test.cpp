// Drivers' rules across keys (DriverInfo::check) and the option locations they rely on.
#include <gtest/gtest.h>

#include "test_maps.h"

namespace hwb {
namespace {

using test::error_lines;
using test::load;
using Lines = std::vector<std::string>;

TEST(DeviceMapDriverChecks, WrittenOptionsRememberWhereTheyWereWrittenAndDefaultsDoNot) {
    auto result = load(R"(
devices:
  - id: p
    driver: probe
    port: /dev/ttyUSB0
    retries: 5
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const Options& options = result.map->devices.at(0).options;
    ASSERT_NE(options.location("retries"), nullptr);
    EXPECT_EQ(options.location("retries")->str(), "map.yaml:5:14");
    EXPECT_EQ(options.location("port")->str(), "map.yaml:4:11");
    EXPECT_TRUE(options.has("parity"));               // the fallback is set...
    EXPECT_EQ(options.location("parity"), nullptr);   // ...but was not written
}

TEST(DeviceMapDriverChecks, ProblemsPointAtTheKeyTheyName) {
    auto result = load(R"(
devices:
  - id: p
    driver: probe
    port: /dev/ttyUSB0
    parity: odd
    gain: 0.5
sensors:
  - id: level
    device: p
    scale: 0
)");
    EXPECT_EQ(error_lines(result), (Lines{"map.yaml:6:11: error: 'gain' cannot be combined with 'parity: odd'",
                                          "map.yaml:10:12: error: 'scale' must not be 0"}));
}

TEST(DeviceMapDriverChecks, ProblemWithoutKeyPointsAtTheEntry) {
    auto result = load(R"(
devices:
  - id: p
    driver: probe
    port: /dev/ttyUSB0
    tags: []
)");
    EXPECT_EQ(error_lines(result), Lines{"map.yaml:2:5: error: an empty 'tags' list is not allowed"});
}

TEST(DeviceMapDriverChecks, CheckIsSkippedForADeviceWithErrorsButOthersAreStillChecked) {
    // `bad` has a wrong value, so its Options are incomplete and its check must not run (it would
    // ask for a key that is not set); `good` is still checked.
    auto result = load(R"(
devices:
  - id: bad
    driver: probe
    port: /dev/ttyUSB0
    parity: odd
    gain: 0.5
    retries: many
  - id: good
    driver: probe
    port: /dev/ttyUSB1
    tags: []
)");
    EXPECT_EQ(error_lines(result),
              (Lines{"map.yaml:7:14: error: 'retries' must be an integer between 0 and 9, got 'many'",
                     "map.yaml:8:5: error: an empty 'tags' list is not allowed"}));
}

TEST(DeviceMapDriverChecks, ThrowingCheckIsReportedNotPropagated) {
    auto result = load(R"(
devices:
  - id: p
    driver: probe
    port: throw
)");
    EXPECT_EQ(error_lines(result),
              Lines{"map.yaml:2:5: error: driver 'probe' failed to check device 'p': probe exploded"});
}

}  // namespace
}  // namespace hwb
