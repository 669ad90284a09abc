// What a valid map turns into: defaults filled, channels attached to their devices in map order.
#include <gtest/gtest.h>

#include "test_maps.h"

namespace hwb {
namespace {

using namespace std::chrono_literals;
using test::error_lines;
using test::load;

TEST(DeviceMapDefaults, MinimalMapGetsBridgeDefaults) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const DeviceMap& map = *result.map;
    EXPECT_EQ(map.path, "map.yaml");
    EXPECT_EQ(map.bridge.name, "hwbridge");
    EXPECT_EQ(map.bridge.listen_host, "127.0.0.1");
    EXPECT_EQ(map.bridge.listen_port, 8080);
    EXPECT_TRUE(map.bridge.allowed_origins.empty());
    EXPECT_EQ(map.bridge.max_message_bytes, 65536u);
    EXPECT_EQ(map.bridge.log_level, LogLevel::info);
    EXPECT_EQ(map.bridge.ping_interval, 20s);
    EXPECT_EQ(map.bridge.ping_timeout, 10s);
    ASSERT_EQ(map.devices.size(), 1u);
    EXPECT_EQ(map.devices[0].id, "bench");
    EXPECT_EQ(map.devices[0].driver, "sim");
    EXPECT_EQ(map.devices[0].label, "bench");
    EXPECT_EQ(map.devices[0].options.integer("seed"), 1);  // the sim driver's fallback
    EXPECT_EQ(map.devices[0].where.line, 2);
    EXPECT_EQ(map.devices[0].where.column, 5);
}

TEST(DeviceMapDefaults, BridgeSettingsAreRead) {
    auto result = load(R"(
bridge:
  name: Demo bench
  listen: "[::1]:9000"
  allowed_origins: [http://pi.local:8080, https://example.org]
  max_message_bytes: 1024
  log_level: debug
devices:
  - id: bench
    driver: sim
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const BridgeConfig& bridge = result.map->bridge;
    EXPECT_EQ(bridge.name, "Demo bench");
    EXPECT_EQ(bridge.listen_host, "::1");
    EXPECT_EQ(bridge.listen_port, 9000);
    EXPECT_EQ(bridge.allowed_origins, (std::vector<std::string>{"http://pi.local:8080", "https://example.org"}));
    EXPECT_EQ(bridge.max_message_bytes, 1024u);
    EXPECT_EQ(bridge.log_level, LogLevel::debug);
}

TEST(DeviceMapDefaults, KeepaliveIsInWholeSecondsRoundedUp) {
    auto result = load(R"(
bridge:
  ping_interval: 1500ms
  ping_timeout: 2s
devices:
  - id: bench
    driver: sim
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    EXPECT_EQ(result.map->bridge.ping_interval, 2s);
    EXPECT_EQ(result.map->bridge.ping_timeout, 2s);

    auto too_short = load(R"(
bridge:
  ping_timeout: 500ms
devices:
  - id: bench
    driver: sim
)");
    EXPECT_FALSE(too_short.ok());
}

TEST(DeviceMapDefaults, ChannelDefaultsAreFilled) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
sensors:
  - id: temperature
    device: bench
  - id: door
    device: bench
    type: boolean
relays:
  - id: pump
    device: bench
texts:
  - id: console
    device: bench
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const DeviceConfig& bench = result.map->devices.at(0);
    ASSERT_EQ(bench.sensors.size(), 2u);
    const SensorInfo& temperature = bench.sensors[0].info;
    EXPECT_EQ(temperature.label, "temperature");
    EXPECT_EQ(temperature.device, "bench");
    EXPECT_EQ(temperature.unit, "");
    EXPECT_EQ(temperature.type, SensorType::number);
    EXPECT_EQ(temperature.precision, 2);
    EXPECT_FALSE(temperature.min.has_value());
    EXPECT_FALSE(temperature.max.has_value());
    EXPECT_EQ(bench.sensors[1].info.type, SensorType::boolean);
    EXPECT_EQ(bench.sensors[1].info.precision, 0);

    ASSERT_EQ(bench.relays.size(), 1u);
    EXPECT_EQ(bench.relays[0].info.label, "pump");
    EXPECT_FALSE(bench.relays[0].info.safe_state.has_value());
    EXPECT_FALSE(bench.relays[0].info.initial_on);

    ASSERT_EQ(bench.texts.size(), 1u);
    EXPECT_EQ(bench.texts[0].info.history_lines, 200u);
    EXPECT_EQ(bench.texts[0].info.max_line_bytes, 4096u);
    EXPECT_EQ(bench.texts[0].where.line, 14);
}

TEST(DeviceMapDefaults, DriverOptionFallbacksAreSetAndOptionalOnesAreNot) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
sensors:
  - id: temperature
    device: bench
relays:
  - id: pump
    device: bench
texts:
  - id: console
    device: bench
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const DeviceConfig& bench = result.map->devices.at(0);
    const Options& sensor = bench.sensors.at(0).options;
    EXPECT_EQ(sensor.string("signal"), "sine");
    EXPECT_EQ(sensor.duration("period"), 60s);
    EXPECT_EQ(sensor.number("noise"), 0.0);
    EXPECT_EQ(sensor.number("rate"), 1.0);
    EXPECT_FALSE(sensor.has("low"));  // no fallback: the driver decides
    EXPECT_FALSE(sensor.has("high"));
    EXPECT_EQ(bench.relays.at(0).options.duration("latency"), 20ms);
    EXPECT_EQ(bench.relays.at(0).options.integer("fail_every"), 0);
    EXPECT_EQ(bench.texts.at(0).options.string("mode"), "echo");
    EXPECT_EQ(bench.texts.at(0).options.duration("interval"), 5s);
}

TEST(DeviceMapDefaults, ChannelsGoToTheirDeviceInMapOrder) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
  - id: garden
    driver: sim
    label: Garden
sensors:
  - id: humidity
    device: garden
  - id: temperature
    device: bench
    label: Temperature
    unit: "°C"
    range: [-10, 40]
    precision: 1
  - id: soil
    device: garden
relays:
  - id: valve
    device: garden
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const auto& devices = result.map->devices;
    ASSERT_EQ(devices.size(), 2u);
    EXPECT_EQ(devices[1].label, "Garden");
    ASSERT_EQ(devices[0].sensors.size(), 1u);
    const SensorInfo& temperature = devices[0].sensors[0].info;
    EXPECT_EQ(temperature.label, "Temperature");
    EXPECT_EQ(temperature.unit, "°C");
    EXPECT_EQ(temperature.min, -10.0);
    EXPECT_EQ(temperature.max, 40.0);
    EXPECT_EQ(temperature.precision, 1);
    ASSERT_EQ(devices[1].sensors.size(), 2u);
    EXPECT_EQ(devices[1].sensors[0].info.id, "humidity");
    EXPECT_EQ(devices[1].sensors[1].info.id, "soil");
    ASSERT_EQ(devices[1].relays.size(), 1u);
    EXPECT_EQ(devices[1].relays[0].info.device, "garden");
}

TEST(DeviceMapDefaults, RelayStatesAcceptOnOffAndBooleanSpellings) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
relays:
  - id: pump
    device: bench
    safe_state: off
  - id: heater
    device: bench
    safe_state: false
    initial: true
  - id: fan
    device: bench
    safe_state: on
  - id: light
    device: bench
    safe_state: none
    initial: on
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const auto& relays = result.map->devices.at(0).relays;
    ASSERT_EQ(relays.size(), 4u);
    EXPECT_EQ(relays[0].info.safe_state, false);
    EXPECT_FALSE(relays[0].info.initial_on);
    EXPECT_EQ(relays[1].info.safe_state, false);
    EXPECT_TRUE(relays[1].info.initial_on);
    EXPECT_EQ(relays[2].info.safe_state, true);
    EXPECT_TRUE(relays[2].info.initial_on);  // no `initial`: starts in its safe state
    EXPECT_FALSE(relays[3].info.safe_state.has_value());
    EXPECT_TRUE(relays[3].info.initial_on);
}

TEST(DeviceMapDefaults, InitialCannotBeNone) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
relays:
  - id: pump
    device: bench
    initial: none
)");
    EXPECT_EQ(error_lines(result),
              std::vector<std::string>{"map.yaml:7:14: error: 'initial' must be one of on, off, got 'none'"});
}

TEST(DeviceMapDefaults, TextLimitsAreRead) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
texts:
  - id: console
    device: bench
    label: Echo console
    history_lines: 0
    max_line_bytes: 65536
    mode: status
    interval: 1s
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const TextConfig& text = result.map->devices.at(0).texts.at(0);
    EXPECT_EQ(text.info.label, "Echo console");
    EXPECT_EQ(text.info.history_lines, 0u);
    EXPECT_EQ(text.info.max_line_bytes, 65536u);
    EXPECT_EQ(text.options.string("mode"), "status");
    EXPECT_EQ(text.options.duration("interval"), 1s);
}

TEST(DeviceMapDefaults, EmptyChannelSectionsMeanNoChannels) {
    auto result = load(R"(
devices:
  - id: bench
    driver: sim
sensors:
relays: []
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    EXPECT_TRUE(result.map->devices.at(0).sensors.empty());
}

}  // namespace
}  // namespace hwb
