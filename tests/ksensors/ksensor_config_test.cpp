// The iio, hwmon and w1 map keys: what is refused, where, and with which hint; and
// `--list-sensors`, whose map entries load as printed.
#include <gtest/gtest.h>

#include <sstream>

#include "devicemap/loader.h"
#include "ksensors/fake_sysfs.h"
#include "ksensors/ksensor_driver.h"
#include "support/daemon.h"

namespace hwb::test {
namespace {

std::vector<std::string> errors_of(const std::string& yaml) {
    DriverRegistry registry;
    register_kernel_sensor_drivers(registry, "/nonexistent");
    auto loaded = load_device_map_string(yaml, "map.yaml", registry);
    std::vector<std::string> out;
    for (const auto& e : loaded.errors) out.push_back(e.str());
    return out;
}

bool has(const std::vector<std::string>& errors, const std::string& text) {
    for (const auto& e : errors)
        if (e.find(text) != std::string::npos) return true;
    return false;
}

TEST(KernelSensorsMap, UnitTheKernelsQuantityCannotBeConvertedToIsRefusedWithTheChoices) {
    auto errors = errors_of(R"(devices:
  - { id: env, driver: iio, name: bme280 }
sensors:
  - id: t
    device: env
    channel: in_temp
    unit: "°K"
)");
    ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
    EXPECT_TRUE(has(errors, "map.yaml:4:5: error:")) << errors[0];  // `unit` is the map's own key: the entry
    EXPECT_TRUE(has(errors, "use one of °C, °F, K, m°C")) << errors[0];
}

TEST(KernelSensorsMap, SensorWithoutUnitMustSayWhichItWants) {
    auto errors = errors_of(R"(devices:
  - { id: soc, driver: hwmon, name: cpu_thermal }
sensors:
  - { id: cpu, device: soc, channel: temp1 }
)");
    ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
    EXPECT_TRUE(has(errors, "say which unit to publish temperature in")) << errors[0];
}

TEST(KernelSensorsMap, OwnScaleMakesAnyUnitAllowed) {
    auto errors = errors_of(R"(devices:
  - { id: adc, driver: iio, name: ads1115 }
sensors:
  - { id: knob, device: adc, channel: in_voltage0, unit: "%", scale: 0.0303 }
)");
    EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
}

TEST(KernelSensorsMap, BadChannelsAddressesAndChannelKindsAreRefusedWhereWritten) {
    auto errors = errors_of(R"(devices:
  - { id: adc, driver: iio, name: ads1115, bus: ../../etc }
  - { id: ow, driver: w1 }
  - { id: slow, driver: w1, interval: 500ms }
  - { id: soc, driver: hwmon, name: cpu_thermal }
sensors:
  - { id: a, device: adc, channel: "../../../etc/passwd", unit: V }
  - { id: b, device: ow, address: 28-0316A2794BFF, unit: °C }
  - { id: c, device: ow, address: 2d-0316a2794bff, unit: °C }
  - { id: d, device: soc, channel: temp1, unit: °C, type: boolean }
relays:
  - { id: r, device: soc }
)");
    EXPECT_TRUE(has(errors, "map.yaml:2:49: error: 'bus' must be one folder name")) << ::testing::PrintToString(errors);
    EXPECT_TRUE(has(errors, "map.yaml:4:39: error: 'interval' must be a duration between 1s and 1h"))
        << ::testing::PrintToString(errors);  // a DS18B20 converts for up to 750 ms
    EXPECT_TRUE(has(errors, "is not an IIO input channel")) << ::testing::PrintToString(errors);
    EXPECT_TRUE(has(errors, "map.yaml:8:35: error: '28-0316A2794BFF' is not a 1-Wire id")) << ::testing::PrintToString(errors);
    EXPECT_TRUE(has(errors, "family 2d is not a thermometer")) << ::testing::PrintToString(errors);
    EXPECT_TRUE(has(errors, "a hwmon sensor is a number")) << ::testing::PrintToString(errors);
    EXPECT_TRUE(has(errors, "the hwmon driver has only sensors")) << ::testing::PrintToString(errors);
}

// What `--list-sensors` prints as map entries is a map that loads.
TEST(KernelSensorsList, ListsWhatTheKernelOffersWithEntriesThatLoad) {
    FakeSysfs sys;
    sys.add_iio("iio:device0", "bme280", "1-0076",
                {{"in_temp_input", "23125"}, {"in_pressure_input", "101.3"}, {"in_humidityrelative_input", "40000"}});
    sys.add_iio("iio:device1", "ads1115", "1-0048", {{"in_voltage0_raw", "100"}, {"in_voltage0_scale", "0.125"}});
    sys.add_hwmon("hwmon0", "cpu_thermal", "virtual/thermal/thermal_zone0", {{"temp1_input", "48686"}});
    sys.add_w1("28-0316a2794bff", w1_slave_text(20000));
    auto run = run_hwbridge({"--sysfs-root", sys.root, "--list-sensors"});
    ASSERT_EQ(run.exit_code, 0) << run.out;
    const std::string& out = run.out;
    EXPECT_NE(out.find("iio:device0 name 'bme280' at 1-0076"), std::string::npos) << out;
    EXPECT_NE(out.find("in_temp = 23125 m°C"), std::string::npos) << out;
    EXPECT_NE(out.find("in_voltage0 = 12.5 mV"), std::string::npos) << out;
    EXPECT_NE(out.find("hwmon0 name 'cpu_thermal' at thermal_zone0"), std::string::npos) << out;
    EXPECT_NE(out.find("temp1 = 48686 m°C"), std::string::npos) << out;
    EXPECT_NE(out.find("28-0316a2794bff"), std::string::npos) << out;

    // Each "map:" block, its indentation removed, is a map on its own.
    std::istringstream lines(out);
    std::string line, block;
    std::vector<std::string> blocks;
    bool in_map = false;
    while (std::getline(lines, line)) {
        if (line == "  map:") {
            if (in_map) blocks.push_back(block);
            in_map = true;
            block.clear();
            continue;
        }
        if (in_map && line.rfind("    ", 0) == 0) {
            block += line.substr(4) + "\n";
            continue;
        }
        if (in_map) blocks.push_back(block);
        in_map = false;
    }
    if (in_map) blocks.push_back(block);
    ASSERT_EQ(blocks.size(), 4u) << out;
    for (const auto& b : blocks) {
        auto errors = errors_of(b);
        EXPECT_TRUE(errors.empty()) << b << ::testing::PrintToString(errors);
    }
}

}  // namespace
}  // namespace hwb::test
