// GPIO inputs as sensors, on the in-memory chip: levels, polarity, bias, debounce, edge rates.
#include <gtest/gtest.h>

#include "gpio/gpio_rig.h"

namespace hwb::test {
namespace {

using namespace std::chrono_literals;

const char* button_map = R"(sensors:
  - id: button
    device: board
    type: boolean
    line: GPIO17
    bias: pull_up
    active_low: true
)";

TEST(GpioInput, ButtonToGroundWithPullUpReadsReleasedAtStartAndPressedWhenLow) {
    GpioRig rig(button_map);
    rig.start();
    // Nothing drives the line: the pull-up holds it high, which active-low reads as "not pressed".
    EXPECT_TRUE(rig.gpio.level("gpiochip0", 7));
    ASSERT_TRUE(rig.sensor("button").last());
    EXPECT_EQ(rig.sensor("button").last()->value, 0);
    EXPECT_EQ(rig.gpio.consumer("gpiochip0", 7), "hwbridge");

    rig.drive(7, false);  // pressed: shorted to ground
    EXPECT_EQ(rig.sensor("button").last()->value, 1);
    rig.drive(7, true);
    EXPECT_EQ(rig.readings("button"), (std::vector<double>{0, 1, 0}));
}

TEST(GpioInput, ActiveHighInputFollowsTheLevelAndPullDownHoldsItLow) {
    GpioRig rig(R"(sensors:
  - id: door
    device: board
    type: boolean
    line: 5
    bias: pull_down
)");
    rig.start();
    EXPECT_FALSE(rig.gpio.level("gpiochip0", 5));
    EXPECT_EQ(rig.sensor("door").last()->value, 0);
    rig.drive(5, true);
    EXPECT_EQ(rig.sensor("door").last()->value, 1);
}

TEST(GpioInput, EdgesArriveInOrderEvenWhenSeveralWaitAtOnce) {
    GpioRig rig(button_map);
    rig.start();
    // Press, release, press before the loop looks: all three edges are published, in order.
    rig.gpio.drive("gpiochip0", 7, false);
    rig.gpio.drive("gpiochip0", 7, true);
    rig.gpio.drive("gpiochip0", 7, false);
    rig.loop.poll_fds();
    EXPECT_EQ(rig.readings("button"), (std::vector<double>{0, 1, 0, 1}));
}

TEST(GpioInput, DebounceIgnoresBounceAndPublishesTheLevelThatHolds) {
    GpioRig rig(std::string(button_map) + "    debounce: 20ms\n");
    rig.start();
    // A bouncy press: low, high, low within a few ms, then stable low.
    rig.drive(7, false);
    rig.loop.advance(2ms);
    rig.drive(7, true);
    rig.loop.advance(3ms);
    rig.drive(7, false);
    rig.loop.advance(19ms);
    EXPECT_EQ(rig.readings("button"), (std::vector<double>{0})) << "published before the level held for 20 ms";
    rig.loop.advance(2ms);
    EXPECT_EQ(rig.readings("button"), (std::vector<double>{0, 1}));
    // A glitch shorter than the debounce time that returns to the same level publishes nothing.
    rig.drive(7, true);
    rig.loop.advance(5ms);
    rig.drive(7, false);
    rig.loop.advance(50ms);
    EXPECT_EQ(rig.readings("button"), (std::vector<double>{0, 1}));
}

TEST(GpioInput, CountModePublishesEdgesPerSecondTimesScale) {
    GpioRig rig(R"(sensors:
  - id: flow
    device: board
    unit: l/min
    line: GPIO4
    mode: count
    rate_window: 1s
    scale: 0.5
)");
    rig.start();
    EXPECT_FALSE(rig.sensor("flow").last()) << "no rate before the first window ends";
    for (int i = 0; i < 10; ++i) {  // 10 pulses in the first second
        rig.drive(4, true);
        rig.loop.advance(40ms);
        rig.drive(4, false);
        rig.loop.advance(40ms);
    }
    rig.loop.advance(1000ms - 800ms);
    ASSERT_TRUE(rig.sensor("flow").last());
    EXPECT_DOUBLE_EQ(rig.sensor("flow").last()->value, 10 * 0.5);
    rig.loop.advance(1s);  // no pulses: the rate falls to zero
    EXPECT_DOUBLE_EQ(rig.sensor("flow").last()->value, 0);
}

TEST(GpioInput, CountModeWithDebounceDropsContactBounce) {
    GpioRig rig(R"(sensors:
  - id: wind
    device: board
    line: GPIO4
    mode: count
    edge: falling
    debounce: 5ms
    rate_window: 500ms
)");
    rig.start();
    // A reed contact: each closing (falling edge) bounces twice within a millisecond.
    std::uint64_t t = 1'000'000'000;
    for (int pulse = 0; pulse < 4; ++pulse) {
        for (int bounce = 0; bounce < 3; ++bounce) {
            rig.gpio.drive("gpiochip0", 4, true, t);
            t += 100'000;
            rig.gpio.drive("gpiochip0", 4, false, t);
            t += 100'000;
        }
        t += 50'000'000;
    }
    rig.loop.poll_fds();
    rig.loop.advance(500ms);
    ASSERT_TRUE(rig.sensor("wind").last());
    EXPECT_DOUBLE_EQ(rig.sensor("wind").last()->value, 4 / 0.5);
}

TEST(GpioInput, LineHeldByAnotherProgramIsOfflineWithItsNameAndConsumerThenRetried) {
    GpioRig rig(button_map);
    rig.gpio.hold("gpiochip0", 7, "gpiomon");
    rig.start();
    const auto& status = rig.sensor("button").status();
    EXPECT_FALSE(status.online);
    EXPECT_NE(status.reason.find("GPIO17"), std::string::npos) << status.reason;
    EXPECT_NE(status.reason.find("busy"), std::string::npos) << status.reason;
    EXPECT_NE(status.reason.find("'gpiomon'"), std::string::npos) << status.reason;
    rig.gpio.hold("gpiochip0", 7, "");
    rig.loop.advance(5s);
    EXPECT_TRUE(rig.sensor("button").status().online);
    EXPECT_EQ(rig.sensor("button").last()->value, 0);
}

TEST(GpioInput, UnknownLineNameOrMissingChipKeepsTheChannelOfflineWithAReason) {
    GpioRig rig(R"(sensors:
  - id: a
    device: board
    type: boolean
    line: GPIO99
)");
    rig.start();
    EXPECT_FALSE(rig.sensor("a").status().online);
    EXPECT_NE(rig.sensor("a").status().reason.find("no line named 'GPIO99'"), std::string::npos)
        << rig.sensor("a").status().reason;

    GpioRig other(R"(sensors:
  - id: b
    device: board
    type: boolean
    line: 3
)",
                  "pinctrl-rp1");
    other.start();
    EXPECT_FALSE(other.sensor("b").status().online);
    EXPECT_NE(other.sensor("b").status().reason.find("pinctrl-rp1"), std::string::npos) << other.sensor("b").status().reason;
}

TEST(GpioInput, ChipFoundByLabelOrPath) {
    for (std::string chip : {"pinctrl-bcm2711", "/dev/gpiochip0"}) {
        GpioRig rig(R"(sensors:
  - id: b
    device: board
    type: boolean
    line: 6
)",
                    chip);
        rig.start();
        EXPECT_TRUE(rig.sensor("b").status().online) << chip << ": " << rig.sensor("b").status().reason;
        EXPECT_NE(rig.device->describe().find("gpiochip0 'pinctrl-bcm2711'"), std::string::npos) << rig.device->describe();
    }
}

}  // namespace
}  // namespace hwb::test
