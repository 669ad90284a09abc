// How the page shows a channel: the `ui:` block (order, group, hidden, compact) of every channel
// and the words of boolean sensors and relays (device_class, on_text, off_text) reach the infos,
// bad values are reported where they are written, and --schema documents every key.
#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "devicemap/json_schema.h"
#include "test_maps.h"

namespace hwb {
namespace {

using test::error_lines;
using test::load;

TEST(DeviceMapUi, UiBlockAndWordsReachTheChannels) {
    auto result = load(R"(
devices: [{id: bench, driver: sim}]
sensors:
  - id: door
    device: bench
    type: boolean
    device_class: door
    ui: {order: -5, group: Garden, compact: true}
  - id: leak
    device: bench
    type: boolean
    device_class: moisture
    on_text: Leaking
  - id: temperature
    device: bench
relays:
  - id: pump
    device: bench
    device_class: running
    ui:
      order: 1
      group: Garden
      hidden: true
  - id: lamp
    device: bench
    on_text: Lit
    off_text: Dark
texts:
  - id: console
    device: bench
    ui: {group: Service}
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const auto& device = result.map->devices[0];
    const auto& door = device.sensors[0].info;
    EXPECT_EQ(door.ui.order, -5);
    EXPECT_EQ(door.ui.group, "Garden");
    EXPECT_TRUE(door.ui.compact);
    EXPECT_FALSE(door.ui.hidden);
    EXPECT_EQ(door.words.device_class, "door");
    EXPECT_EQ(door.words.on_text, "Open");
    EXPECT_EQ(door.words.off_text, "Closed");
    // An explicit word wins over the class; the other comes from the class.
    const auto& leak = device.sensors[1].info;
    EXPECT_EQ(leak.words.on_text, "Leaking");
    EXPECT_EQ(leak.words.off_text, "Dry");
    // Nothing written: defaults, no words (the page says On/Off).
    const auto& temperature = device.sensors[2].info;
    EXPECT_EQ(temperature.ui, ChannelUi{});
    EXPECT_EQ(temperature.words, ChannelWords{});
    const auto& pump = device.relays[0].info;
    EXPECT_EQ(pump.ui.order, 1);
    EXPECT_TRUE(pump.ui.hidden);
    EXPECT_EQ(pump.words.on_text, "Running");
    EXPECT_EQ(pump.words.off_text, "Stopped");
    const auto& lamp = device.relays[1].info;
    EXPECT_EQ(lamp.words.device_class, "");
    EXPECT_EQ(lamp.words.on_text, "Lit");
    EXPECT_EQ(lamp.words.off_text, "Dark");
    EXPECT_EQ(device.texts[0].info.ui.group, "Service");
}

TEST(DeviceMapUi, MistakesAreReportedWhereTheyAreWrittenWithSuggestions) {
    auto result = load(R"(
devices: [{id: bench, driver: sim}]
sensors:
  - id: temperature
    device: bench
    device_class: door
    ui:
      ordr: 3
      hidden: maybe
  - id: door
    device: bench
    type: boolean
    device_class: dor
relays:
  - id: pump
    device: bench
    ui: [order, 1]
  - id: fan
    device: bench
    on_text: ""
    ui: {order: 10000, group: "Forty-one characters is one too many, yes"}
)");
    ASSERT_FALSE(result.ok());
    auto lines = error_lines(result);
    ASSERT_EQ(lines.size(), 8u) << ::testing::PrintToString(lines);
    auto expect = [&](std::size_t i, const std::string& start, const std::string& part = "") {
        EXPECT_EQ(lines[i].rfind(start, 0), 0u) << lines[i];
        if (!part.empty()) {
            EXPECT_NE(lines[i].find(part), std::string::npos) << lines[i];
        }
    };
    expect(0, "map.yaml:5:5: error: 'device_class' applies only to sensors of type boolean");
    expect(1, "map.yaml:7:7: error: unknown key 'ordr' in 'ui' of sensor 'temperature'", "did you mean 'order'?");
    expect(2, "map.yaml:8:15: error: 'hidden' must be", "maybe");
    expect(3, "map.yaml:12:19: error: 'device_class' must be one of", "did you mean 'door'?");
    expect(4, "map.yaml:16:9: error: 'ui' of relay 'pump' must be a mapping of order, group, hidden, compact; got a list");
    expect(5, "map.yaml:19:14: error: 'on_text' must be 1 to 40 bytes of text without control characters");
    expect(6, "map.yaml:20:17: error: 'order' must be an integer between -9999 and 9999", "10000");
    expect(7, "map.yaml:20:31: error: 'group' must be 1 to 40 bytes of text");
}

TEST(DeviceMapUi, UnknownWordKeyOnATextIsUnknown) {
    auto result = load(R"(
devices: [{id: bench, driver: sim}]
texts:
  - id: console
    device: bench
    off_txt: Closed
)");
    ASSERT_FALSE(result.ok());
    auto lines = error_lines(result);
    ASSERT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
    EXPECT_EQ(lines[0].rfind("map.yaml:5:5: error: unknown key 'off_txt' in text 'console'", 0), 0u) << lines[0];
}

TEST(DeviceMapUi, SchemaDocumentsEveryUiKeyAndTheDeviceClasses) {
    auto root = nlohmann::json::parse(devicemap::json_schema(test::test_drivers()));
    for (const char* section : {"sensors", "relays", "texts"}) {
        const auto& ui = root["properties"][section]["items"]["properties"]["ui"];
        ASSERT_TRUE(ui.is_object()) << section;
        EXPECT_EQ(ui["additionalProperties"], false);
        for (const char* key : {"order", "group", "hidden", "compact"}) {
            ASSERT_TRUE(ui["properties"].contains(key)) << section << " " << key;
            EXPECT_FALSE(ui["properties"][key]["description"].get<std::string>().empty()) << key;
        }
        EXPECT_EQ(ui["properties"]["order"]["type"], "integer");
        EXPECT_EQ(ui["properties"]["hidden"]["type"], "boolean");
        EXPECT_EQ(ui["properties"]["group"]["maxLength"], 40);
    }
    for (const char* section : {"sensors", "relays"}) {
        const auto& p = root["properties"][section]["items"]["properties"];
        auto classes = p["device_class"]["enum"];
        for (const char* name : {"door", "window", "moisture", "motion", "power", "running", "lock", "light", "heat", "valve"}) {
            EXPECT_NE(std::find(classes.begin(), classes.end(), name), classes.end()) << name;
        }
        EXPECT_FALSE(p["on_text"]["description"].get<std::string>().empty());
        EXPECT_FALSE(p["off_text"]["description"].get<std::string>().empty());
    }
    EXPECT_FALSE(root["properties"]["texts"]["items"]["properties"].contains("device_class"));
}

}  // namespace
}  // namespace hwb
