// The `mqtt:` section: values reach MqttConfig with their defaults, mistakes are reported where
// they are written (with did-you-mean for misspelt keys).
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "mqttdev/mqtt_driver.h"
#include "sim/sim_driver.h"
#include "test_maps.h"

namespace hwb {
namespace {

using test::error_lines;
using test::load;

const std::string mqtt_base = "bridge: {name: Green House 2}\ndevices: [{id: bench, driver: sim}]\n";

TEST(DeviceMapMqtt, AbsentMeansNoUplink) {
    auto result = load(mqtt_base);
    ASSERT_TRUE(result.ok());
    EXPECT_FALSE(result.map->mqtt.enabled);
}

TEST(DeviceMapMqtt, AloneMeansALocalBrokerWithDefaultsFromTheBridgeName) {
    auto result = load(mqtt_base + "mqtt:\n");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const MqttConfig& m = result.map->mqtt;
    EXPECT_TRUE(m.enabled);
    EXPECT_EQ(m.host, "127.0.0.1");
    EXPECT_EQ(m.port, 1883);
    EXPECT_EQ(m.node_id, "green_house_2");
    EXPECT_EQ(m.client_id, "hwbridge-green_house_2");
    EXPECT_EQ(m.prefix, "hwbridge/green_house_2");
    EXPECT_TRUE(m.discovery);
    EXPECT_EQ(m.discovery_prefix, "homeassistant");
    EXPECT_EQ(m.qos, 1);
    EXPECT_EQ(m.readings_qos, 0);
    EXPECT_EQ(m.keepalive_s, 30);
    EXPECT_EQ(m.role, Role::operator_);
    EXPECT_EQ(m.protocol, 5);
    EXPECT_FALSE(m.json_readings);
    EXPECT_TRUE(m.ca.empty());
    EXPECT_EQ(m.max_command_age_ms, 30000);
}

TEST(DeviceMapMqtt, KeysReachTheConfig) {
    auto result = load(mqtt_base + R"(mqtt:
  host: broker.lan
  port: 8883
  client_id: gh2
  username: bridge
  password_file: /etc/hwbridge/mqtt-password
  prefix: site/gh2
  discovery: false
  discovery_prefix: ha
  qos: 2
  readings_qos: 1
  keepalive: 1m
  role: viewer
  max_payload: 512
  protocol: 3.1.1
  readings: json
  max_command_age: 5s
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const MqttConfig& m = result.map->mqtt;
    EXPECT_EQ(m.host, "broker.lan");
    EXPECT_EQ(m.port, 8883);
    EXPECT_EQ(m.client_id, "gh2");
    EXPECT_EQ(m.username, "bridge");
    EXPECT_EQ(m.password_file, "/etc/hwbridge/mqtt-password");
    EXPECT_EQ(m.prefix, "site/gh2");
    EXPECT_FALSE(m.discovery);
    EXPECT_EQ(m.discovery_prefix, "ha");
    EXPECT_EQ(m.qos, 2);
    EXPECT_EQ(m.readings_qos, 1);
    EXPECT_EQ(m.keepalive_s, 60);
    EXPECT_EQ(m.role, Role::viewer);
    EXPECT_EQ(m.max_payload, 512u);
    EXPECT_EQ(m.protocol, 4);
    EXPECT_TRUE(m.json_readings);
    EXPECT_EQ(m.max_command_age_ms, 5000);
}

TEST(DeviceMapMqtt, TlsFilesMustBeReadableAndACertificateComesWithItsKeyAndACa) {
    struct Pem {
        std::string dir = [] {
            char pattern[] = "/tmp/hwb-mqtt-ca-XXXXXX";
            return std::string(::mkdtemp(pattern));
        }();
        std::string file = dir + "/ca.pem";
        Pem() { std::ofstream(file) << "x"; }
        ~Pem() { std::filesystem::remove_all(dir); }
        const std::string& path() const { return file; }
    } ca;
    auto ok = load(mqtt_base + "mqtt:\n  port: 8883\n  ca: " + ca.path() + "\n");
    ASSERT_TRUE(ok.ok()) << ::testing::PrintToString(error_lines(ok));
    EXPECT_EQ(ok.map->mqtt.ca, ca.path());

    auto missing = load(mqtt_base + "mqtt:\n  ca: /nonexistent/ca.pem\n");
    ASSERT_FALSE(missing.ok());
    auto lines = error_lines(missing);
    ASSERT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
    EXPECT_NE(lines[0].find(":4:7: error: cannot read 'ca' file /nonexistent/ca.pem: no such file"), std::string::npos)
        << lines[0];

    auto lonely = load(mqtt_base + "mqtt:\n  ca: " + ca.path() + "\n  cert: " + ca.path() + "\n");
    ASSERT_FALSE(lonely.ok());
    lines = error_lines(lonely);
    ASSERT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
    EXPECT_NE(lines[0].find(":5:9: error: 'cert' and 'key' in 'mqtt' go together"), std::string::npos) << lines[0];

    auto no_ca = load(mqtt_base + "mqtt:\n  cert: " + ca.path() + "\n  key: " + ca.path() + "\n");
    ASSERT_FALSE(no_ca.ok());
    lines = error_lines(no_ca);
    ASSERT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
    EXPECT_NE(lines[0].find("a client certificate needs 'ca'"), std::string::npos) << lines[0];
}

TEST(DeviceMapMqtt, AnUnknownProtocolOrReadingFormatIsNamedWithTheChoices) {
    auto result = load(mqtt_base + "mqtt:\n  protocol: 3\n  readings: jsn\n");
    ASSERT_FALSE(result.ok());
    auto lines = error_lines(result);
    ASSERT_EQ(lines.size(), 2u) << ::testing::PrintToString(lines);
    EXPECT_NE(lines[0].find(":4:13:"), std::string::npos) << lines[0];
    EXPECT_NE(lines[1].find("did you mean 'json'"), std::string::npos) << lines[1];
}

TEST(DeviceMapMqtt, MistakesAreReportedWhereTheyAreWritten) {
    auto result = load(mqtt_base + R"(mqtt:
  prefx: a/b
  port: 70000
  prefix: a/#
  discovery_prefix: /ha
  client_id: "two words"
  password_file: relative/path
  qos: 3
  role: root
)");
    ASSERT_FALSE(result.ok());
    auto lines = error_lines(result);
    auto has = [&](const std::string& part) {
        for (const auto& line : lines)
            if (line.find(part) != std::string::npos) return true;
        return false;
    };
    EXPECT_TRUE(has(":4:3: error:")) << ::testing::PrintToString(lines);  // prefx
    EXPECT_TRUE(has("did you mean 'prefix'")) << ::testing::PrintToString(lines);
    EXPECT_TRUE(has(":5:")) << ::testing::PrintToString(lines);   // port
    EXPECT_TRUE(has(":6:11: error: 'prefix' must not contain the wildcards")) << ::testing::PrintToString(lines);
    EXPECT_TRUE(has(":7:21: error: 'discovery_prefix' must not begin or end with '/'")) << ::testing::PrintToString(lines);
    EXPECT_TRUE(has(":8:14: error: 'client_id'")) << ::testing::PrintToString(lines);
    EXPECT_TRUE(has(":9:18: error: 'password_file' must be an absolute path")) << ::testing::PrintToString(lines);
    EXPECT_TRUE(has(":10:")) << ::testing::PrintToString(lines);  // qos
    EXPECT_TRUE(has(":11:")) << ::testing::PrintToString(lines);  // role
}

TEST(DeviceMapMqtt, APasswordNeedsAUser) {
    auto result = load(mqtt_base + "mqtt:\n  password_file: /etc/x\n");
    ASSERT_FALSE(result.ok());
    auto lines = error_lines(result);
    ASSERT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
    EXPECT_NE(lines[0].find("'password_file' needs 'username'"), std::string::npos) << lines[0];
}

TEST(DeviceMapMqtt, ASectionThatIsNotAMappingIsAnErrorAtIt) {
    auto result = load(mqtt_base + "mqtt: [broker]\n");
    ASSERT_FALSE(result.ok());
    auto lines = error_lines(result);
    ASSERT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
    EXPECT_NE(lines[0].find(":3:7: error: 'mqtt' must be a mapping of broker settings"), std::string::npos) << lines[0];
}

// A map with the mqtt driver, as the daemon registers it.
std::vector<std::string> mqtt_driver_errors(const std::string& yaml) {
    DriverRegistry drivers;
    register_sim_driver(drivers);
    register_mqtt_driver(drivers);
    return error_lines(load_device_map_string(yaml.substr(1), "map.yaml", drivers));
}

TEST(DeviceMapMqtt, AnMqttDeviceTakesTheSectionsBrokerWithBrokerUplink) {
    DriverRegistry drivers;
    register_sim_driver(drivers);
    register_mqtt_driver(drivers);
    auto result = load_device_map_string(R"(devices:
  - {id: shelly, driver: mqtt, broker: uplink}
  - {id: other, driver: mqtt, host: broker2.lan}
mqtt:
  host: broker.lan
  port: 8883
  username: bridge
  password_file: /etc/hwbridge/mqtt-password
  ca: /etc/hwbridge/ca.pem
  keepalive: 1m
  protocol: 3.1.1
)",
                                         "map.yaml", drivers, LoadOptions{.probe_files = false});
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const Options& shared = result.map->devices[0].options;
    EXPECT_EQ(shared.string("host"), "broker.lan");
    EXPECT_EQ(shared.integer("port"), 8883);
    EXPECT_EQ(shared.string("username"), "bridge");
    EXPECT_EQ(shared.string("password_file"), "/etc/hwbridge/mqtt-password");
    EXPECT_EQ(shared.string("ca"), "/etc/hwbridge/ca.pem");
    EXPECT_FALSE(shared.has("cert"));
    EXPECT_EQ(shared.duration("keepalive"), std::chrono::milliseconds(60000));
    EXPECT_EQ(shared.string("protocol"), "3.1.1");
    const Options& own = result.map->devices[1].options;  // broker: own, the default
    EXPECT_EQ(own.string("host"), "broker2.lan");
    EXPECT_EQ(own.integer("port"), 1883);
    EXPECT_FALSE(own.has("username"));
}

TEST(DeviceMapMqtt, BrokerUplinkNeedsTheSectionAndNoBrokerKeysOfItsOwn) {
    auto lines = mqtt_driver_errors(R"(
devices: [{id: dev, driver: mqtt, broker: uplink}]
)");
    ASSERT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
    EXPECT_NE(lines[0].find("map.yaml:1:43: error: 'broker: uplink' takes the broker of the map's mqtt: section, and "
                            "this map has none"),
              std::string::npos)
        << lines[0];
    lines = mqtt_driver_errors(R"(
devices:
  - id: dev
    driver: mqtt
    broker: uplink
    port: 1884
mqtt:
)");
    ASSERT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
    EXPECT_NE(lines[0].find("map.yaml:5:11: error: 'port' comes from the mqtt: section with 'broker: uplink'"),
              std::string::npos)
        << lines[0];
    lines = mqtt_driver_errors(R"(
devices: [{id: dev, driver: mqtt, broker: uplnk}]
)");
    ASSERT_FALSE(lines.empty());
    EXPECT_NE(lines[0].find("did you mean 'uplink'"), std::string::npos) << lines[0];
}

TEST(DeviceMapMqtt, AnMqttDeviceMustNotCommandTheBridgesOwnUplink) {
    // The default prefix (hwbridge/ and the bridge's name as a topic level): a relay commanded
    // there would be commanded by this bridge's uplink, a text sent there too.
    auto lines = mqtt_driver_errors(R"(
bridge: {name: Green House 2}
devices: [{id: dev, driver: mqtt}]
relays:
  - id: lamp
    device: dev
    command_topic: hwbridge/green_house_2/relay/lamp/set
    state_topic: shelly/lamp/state
texts:
  - id: console
    device: dev
    command_topic: hwbridge/green_house_2
mqtt:
)");
    ASSERT_EQ(lines.size(), 2u) << ::testing::PrintToString(lines);
    EXPECT_EQ(lines[0],
              "map.yaml:6:20: error: 'command_topic' hwbridge/green_house_2/relay/lamp/set lies under this bridge's own "
              "uplink prefix 'hwbridge/green_house_2' (mqtt.prefix): the uplink takes commands and publishes states "
              "there, so the bridge would command or confirm itself");
    EXPECT_NE(lines[1].find("map.yaml:11:20: error: 'command_topic' hwbridge/green_house_2 lies under"), std::string::npos)
        << lines[1];

    // A prefix of its own; a state topic under it, and a bridge import of itself.
    lines = mqtt_driver_errors(R"(
bridge: {name: Green House 2}
devices:
  - {id: dev, driver: mqtt}
  - {id: self, driver: mqtt, bridge: Other, bridge_prefix: site/gh2}
relays:
  - id: lamp
    device: dev
    command_topic: shelly/lamp/set
    state_topic: site/gh2/relay/pump/state
mqtt:
  prefix: site/gh2
)");
    ASSERT_EQ(lines.size(), 2u) << ::testing::PrintToString(lines);
    EXPECT_NE(lines[0].find("map.yaml:4:60: error: the imported bridge's prefix site/gh2 lies under"), std::string::npos)
        << lines[0];
    EXPECT_NE(lines[0].find("(a bridge cannot import itself)"), std::string::npos) << lines[0];
    EXPECT_NE(lines[1].find("map.yaml:9:18: error: 'state_topic' site/gh2/relay/pump/state lies under this bridge's "
                            "own uplink prefix 'site/gh2'"),
              std::string::npos)
        << lines[1];

    // The same topics are fine without an uplink, and beside one: a topic that only starts with
    // the prefix's letters is not under it.
    EXPECT_TRUE(mqtt_driver_errors(R"(
bridge: {name: Green House 2}
devices: [{id: dev, driver: mqtt}]
relays:
  - {id: lamp, device: dev, command_topic: hwbridge/green_house_2/relay/lamp/set, state_topic: s/lamp}
)").empty());
    EXPECT_TRUE(mqtt_driver_errors(R"(
bridge: {name: Green House 2}
devices: [{id: dev, driver: mqtt}]
relays:
  - {id: lamp, device: dev, command_topic: hwbridge/green_house_20/relay/lamp/set, state_topic: s/lamp}
mqtt:
)").empty());
}

}  // namespace
}  // namespace hwb
