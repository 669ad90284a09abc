// The relay policy keys (max_on, min_on, min_off, interlock) reach RelayInfo, and bad values
// are reported where they are written.
#include <gtest/gtest.h>

#include "test_maps.h"

namespace hwb {
namespace {

using test::error_lines;
using test::load;

TEST(DeviceMapRelayPolicies, PolicyKeysReachTheRelay) {
    auto result = load(R"(
devices: [{id: bench, driver: sim}]
relays:
  - id: forward
    device: bench
    max_on: 10m
    min_on: 2s
    min_off: 1.5s
    interlock: motor
  - id: lamp
    device: bench
  - id: reverse
    device: bench
    interlock: motor
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const auto& relays = result.map->devices[0].relays;
    EXPECT_EQ(relays[0].info.max_on_ms, 600000);
    EXPECT_EQ(relays[0].info.min_on_ms, 2000);
    EXPECT_EQ(relays[0].info.min_off_ms, 1500);
    EXPECT_EQ(relays[0].info.interlock, "motor");
    EXPECT_EQ(relays[1].info.max_on_ms, 0);
    EXPECT_TRUE(relays[1].info.interlock.empty());
}

TEST(DeviceMapRelayPolicies, DurationWithoutUnitAndMisspeltKeyAreReported) {
    auto result = load(R"(
devices: [{id: bench, driver: sim}]
relays:
  - id: heater
    device: bench
    max_on: 600
    mn_off: 3s
)");
    ASSERT_FALSE(result.ok());
    auto lines = error_lines(result);
    ASSERT_EQ(lines.size(), 2u) << ::testing::PrintToString(lines);
    EXPECT_EQ(lines[0].rfind("map.yaml:5:13: error: 'max_on' needs a unit", 0), 0u) << lines[0];
    EXPECT_EQ(lines[1].rfind("map.yaml:6:5: error: unknown key 'mn_off'", 0), 0u) << lines[1];
    EXPECT_NE(lines[1].find("did you mean 'min_off'?"), std::string::npos) << lines[1];
}

TEST(DeviceMapRelayPolicies, InterlockGroupWithOneRelayIsReportedAsLikelyMisspelt) {
    auto result = load(R"(
devices: [{id: bench, driver: sim}]
relays:
  - {id: forward, device: bench, interlock: motor}
  - {id: reverse, device: bench, interlock: motr}
  - {id: up, device: bench, interlock: lift}
  - {id: down, device: bench, interlock: lift}
)");
    ASSERT_FALSE(result.ok());
    auto lines = error_lines(result);
    ASSERT_EQ(lines.size(), 2u) << ::testing::PrintToString(lines);
    EXPECT_EQ(lines[0].rfind("map.yaml:3:45: error: interlock group 'motor' has only relay 'forward'", 0), 0u)
        << lines[0];
    EXPECT_EQ(lines[1].rfind("map.yaml:4:45: error: interlock group 'motr' has only relay 'reverse'", 0), 0u)
        << lines[1];
    EXPECT_NE(lines[1].find("did you mean 'motor'?"), std::string::npos) << lines[1];
}

}  // namespace
}  // namespace hwb
