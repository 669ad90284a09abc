// The gpio keys in a device map: what --check accepts and refuses, before any hardware is opened.
#include <gtest/gtest.h>

#include "devicemap/loader.h"
#include "gpio/gpio_driver.h"
#include "support/daemon.h"

namespace hwb::test {
namespace {

std::string errors_of(const std::string& channels) {
    DriverRegistry registry;
    register_gpio_driver(registry);
    auto loaded = load_device_map_string("devices:\n  - id: pi\n    driver: gpio\n    chip: gpiochip0\n" + channels,
                                         "map.yaml", registry);
    std::string out;
    for (const auto& e : loaded.errors) out += e.str() + "\n";
    return out;
}

TEST(GpioConfig, ButtonsAndRelaysWithEveryKeyAreValid) {
    EXPECT_EQ(errors_of(R"(sensors:
  - id: button
    device: pi
    type: boolean
    line: GPIO17
    bias: pull_up
    active_low: true
    debounce: 30ms
  - id: flow
    device: pi
    unit: l/min
    line: 27
    mode: count
    edge: both
    rate_window: 2s
    scale: 7.5
relays:
  - id: pump
    device: pi
    line: GPIO5
    active_low: true
    initial: off
)"),
              "");
}

TEST(GpioConfig, StateSensorMustBeBooleanAndCountSensorMustBeANumber) {
    auto errors = errors_of(R"(sensors:
  - id: button
    device: pi
    line: 17
  - id: flow
    device: pi
    type: boolean
    line: 18
    mode: count
)");
    EXPECT_NE(errors.find("map.yaml:6:5: error:"), std::string::npos) << errors;
    EXPECT_NE(errors.find("add 'type: boolean'"), std::string::npos) << errors;
    EXPECT_NE(errors.find("must have type: number"), std::string::npos) << errors;
}

TEST(GpioConfig, CountKeysWithoutCountModeAreRefusedAtTheKey) {
    auto errors = errors_of(R"(sensors:
  - id: button
    device: pi
    type: boolean
    line: 17
    scale: 2
)");
    EXPECT_NE(errors.find("map.yaml:10:12: error: 'scale' applies only with 'mode: count'"), std::string::npos) << errors;
}

TEST(GpioConfig, OneLineCannotServeTwoChannels) {
    auto errors = errors_of(R"(sensors:
  - id: button
    device: pi
    type: boolean
    line: GPIO17
relays:
  - id: pump
    device: pi
    line: GPIO17
)");
    EXPECT_NE(errors.find("line 'GPIO17' is already used by channel 'button'"), std::string::npos) << errors;
}

TEST(GpioConfig, MissingLineChipAndBadBiasAreReported) {
    DriverRegistry registry;
    register_gpio_driver(registry);
    auto loaded = load_device_map_string(R"(devices:
  - id: pi
    driver: gpio
sensors:
  - id: b
    device: pi
    type: boolean
    bias: pullup
)",
                                         "map.yaml", registry);
    std::string out;
    for (const auto& e : loaded.errors) out += e.str() + "\n";
    EXPECT_NE(out.find("chip"), std::string::npos) << out;
    EXPECT_NE(out.find("line"), std::string::npos) << out;
    EXPECT_NE(out.find("pull_up"), std::string::npos) << out;
}

TEST(GpioConfig, RaspberryPiExampleMapPassesCheckWithoutHardware) {
    auto r = run_hwbridge({"--check", source_dir() + "/config/raspberry-pi.yaml"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("ok (1 devices, 6 channels)"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace hwb::test
