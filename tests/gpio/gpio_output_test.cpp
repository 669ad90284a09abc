// GPIO outputs as relays, on the in-memory chip: polarity, glitch-free start-up, read-back.
#include <gtest/gtest.h>

#include "gpio/gpio_rig.h"

namespace hwb::test {
namespace {

const char* relay_board = R"(relays:
  - id: pump
    device: board
    line: GPIO5
    active_low: true
  - id: lamp
    device: board
    line: 6
    initial: on
)";

TEST(GpioOutput, ActiveLowRelayStartsOffWithTheLineHighAndNeverPassesThroughLow) {
    GpioRig rig(relay_board);
    // Relay boards pull their inputs high: that is "off" for an active-low board before we start.
    rig.gpio.drive("gpiochip0", 5, true);
    rig.start();
    EXPECT_EQ(rig.relay("pump").state(), RelayState::off);
    EXPECT_EQ(rig.gpio.history("gpiochip0", 5), (std::vector<bool>{false, true}))
        << "the line went low (relay on) at some point during start-up";
}

TEST(GpioOutput, InitialOnIsDrivenFromTheFirstMomentWithoutAnOffBefore) {
    GpioRig rig(relay_board);
    rig.start();
    EXPECT_EQ(rig.relay("lamp").state(), RelayState::on);
    // One change only: from the idle low level straight to high.
    EXPECT_EQ(rig.gpio.history("gpiochip0", 6), (std::vector<bool>{false, true}));
}

TEST(GpioOutput, SwitchingAnActiveLowRelayDrivesTheLineInverted) {
    GpioRig rig(relay_board);
    rig.start();
    auto on = rig.set("pump", true);
    ASSERT_TRUE(on.ok()) << on.error().message;
    EXPECT_EQ(on.value(), RelayState::on);
    EXPECT_FALSE(rig.gpio.level("gpiochip0", 5));
    EXPECT_EQ(rig.relay("pump").state(), RelayState::on);
    ASSERT_TRUE(rig.set("pump", false).ok());
    EXPECT_TRUE(rig.gpio.level("gpiochip0", 5));
    EXPECT_EQ(rig.relay("pump").state(), RelayState::off);
}

TEST(GpioOutput, ALineThatDoesNotFollowIsAnErrorAndTheReadBackStateIsReported) {
    GpioRig rig(relay_board);
    rig.start();
    rig.gpio.stick("gpiochip0", 6, true);  // the lamp's line is stuck high (on)
    auto off = rig.set("lamp", false);
    ASSERT_FALSE(off.ok());
    EXPECT_EQ(off.error().code, "hardware");
    EXPECT_NE(off.error().message.find("reads back on after being set off"), std::string::npos) << off.error().message;
    EXPECT_EQ(rig.relay("lamp").state(), RelayState::on) << "clients must see what the line really does";
}

TEST(GpioOutput, BusyLineLeavesTheRelayOfflineAndRequestsAreRefused) {
    GpioRig rig(relay_board);
    rig.gpio.hold("gpiochip0", 5, "other-daemon");
    rig.start();
    EXPECT_FALSE(rig.relay("pump").status().online);
    EXPECT_NE(rig.relay("pump").status().reason.find("'other-daemon'"), std::string::npos);
    auto r = rig.set("pump", true);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "offline");
    EXPECT_EQ(rig.gpio.history("gpiochip0", 5), (std::vector<bool>{false})) << "a busy line must not be touched";
    EXPECT_EQ(rig.relay("lamp").state(), RelayState::on) << "the other relay works";
}

TEST(GpioOutput, LinesAreReleasedWhenTheDeviceStops) {
    GpioRig rig(relay_board);
    rig.start();
    EXPECT_EQ(rig.gpio.consumer("gpiochip0", 5), "hwbridge");
    rig.device.reset();
    EXPECT_EQ(rig.gpio.consumer("gpiochip0", 5), "");
}

}  // namespace
}  // namespace hwb::test
