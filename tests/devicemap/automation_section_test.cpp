// The `automations:` section: each type's keys reach AutomationConfig, references to channels and
// devices are checked (kind included), and mistakes are reported where they are written.
#include <gtest/gtest.h>

#include "test_maps.h"

namespace hwb {
namespace {

using test::error_lines;
using test::load;

const std::string automation_base = R"(devices: [{id: bench, driver: sim}]
sensors:
  - {id: temp, device: bench, range: [-10, 40]}
  - {id: door, device: bench, type: boolean}
relays:
  - {id: heater, device: bench}
  - {id: fan, device: bench}
texts:
  - {id: console, device: bench}
automations:
)";

TEST(DeviceMapAutomations, ControllersReachTheConfig) {
    auto result = load(automation_base + R"(  - {id: heat, type: thermostat, sensor: temp, relay: heater, setpoint: 12, mode: cool, failsafe: on}
  - {id: water, type: schedule, relay: fan, at: ["18:30", "06:00"], days: [weekend, mon], duration: 10m}
  - {id: porch, type: follow, sensor: door, relay: fan, invert: true, delay: 2s, enabled: false}
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const auto& a = result.map->automations;
    ASSERT_EQ(a.size(), 3u);
    EXPECT_EQ(a[0].type, AutomationConfig::Type::thermostat);
    EXPECT_TRUE(a[0].cooling);
    EXPECT_EQ(a[0].setpoint, 12);
    EXPECT_EQ(a[0].hysteresis, 0.5);
    EXPECT_EQ(a[0].min_setpoint, -10);  // the sensor's range
    EXPECT_EQ(a[0].max_setpoint, 40);
    EXPECT_EQ(a[0].failsafe, true);
    EXPECT_EQ(a[0].max_age, std::chrono::milliseconds(60000));
    EXPECT_EQ(a[1].at.minutes, (std::vector<int>{360, 1110}));
    EXPECT_EQ(a[1].at.days, 0x43);  // Sunday, Monday, Saturday
    EXPECT_EQ(a[1].duration, std::chrono::minutes(10));
    EXPECT_TRUE(a[2].invert);
    EXPECT_FALSE(a[2].enabled);
    EXPECT_EQ(a[2].delay, std::chrono::seconds(2));
    EXPECT_EQ(a[2].label, "porch");
}

TEST(DeviceMapAutomations, RuleReachesTheConfig) {
    auto result = load(automation_base + R"(  - id: hot
    type: rule
    trigger: {sensor: temp, enters: [28, 35], for: 1m}
    conditions:
      - {time: "22:00-06:00"}
      - {relay: heater, is: off}
    actions:
      - {relay: fan, set: true}
      - {delay: 5s}
      - {text: console, send: "fan on"}
      - {log: hot}
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const auto& r = result.map->automations.at(0);
    EXPECT_EQ(r.trigger.kind, AutomationTrigger::Kind::enters);
    EXPECT_EQ(r.trigger.low, 28);
    EXPECT_EQ(r.trigger.high, 35);
    EXPECT_EQ(r.trigger.hold, std::chrono::minutes(1));
    ASSERT_EQ(r.conditions.size(), 2u);
    EXPECT_EQ(r.conditions[0].from_minute, 22 * 60);
    EXPECT_EQ(r.conditions[0].to_minute, 6 * 60);
    ASSERT_EQ(r.actions.size(), 4u);
    EXPECT_TRUE(r.actions[0].on);
    EXPECT_EQ(r.actions[1].kind, AutomationAction::Kind::delay);
    EXPECT_EQ(r.actions[2].text, "fan on");
}

TEST(DeviceMapAutomations, MistakesAreReportedWhereTheyAreWritten) {
    auto result = load(automation_base + R"(  - {id: heat, type: thermostat, sensor: tmp, relay: heatr, setpoint: 12, hysterisis: 1}
  - {id: porch, type: follow, sensor: temp, relay: fan}
  - id: r
    type: rule
    trigger: {sensor: door, above: 3, becomes: on}
    actions:
      - {relay: fan, sett: on}
  - {id: s, type: schedule, relay: fan, at: "25:00", days: [tues], duration: 10m}
  - {id: s, type: sched}
  - {id: t, type: thermostat, sensor: temp, relay: fan, setpoint: 99}
  - {id: w, type: rule, trigger: {at: "07:00"}, conditions: [{time: "7-8"}], actions: []}
)");
    EXPECT_EQ(error_lines(result), (std::vector<std::string>{
        "map.yaml:11:42: error: automation 'heat' refers to undefined sensor 'tmp'; did you mean 'temp'?",
        "map.yaml:11:54: error: automation 'heat' refers to undefined relay 'heatr'; did you mean 'heater'?",
        "map.yaml:11:75: error: unknown key 'hysterisis' in automation 'heat'; did you mean 'hysteresis'?",
        "map.yaml:12:39: error: sensor 'temp' is of type number; automation 'porch' needs a boolean sensor",
        "map.yaml:15:39: error: automation 'r' trigger may have only one of above, below, enters, leaves, edge, becomes, goes, at; it has above and becomes",
        "map.yaml:17:9: error: automation 'r' action #1 needs one of set, toggle, pulse, send, delay, log, publish (what it does)",
        "map.yaml:17:22: error: unknown key 'sett' in automation 'r' action #1; did you mean 'set'?",
        "map.yaml:18:45: error: 'at' must be a local time of day \"HH:MM\" (00:00 to 23:59), got '25:00'",
        "map.yaml:18:61: error: 'days' entries must be mon, tue, wed, thu, fri, sat, sun, weekdays or weekend, got 'tues'; did you mean 'tue'?",
        "map.yaml:19:10: error: duplicate automation id 's' (first defined at map.yaml:18:10)",
        "map.yaml:19:19: error: 'type' must be one of thermostat, schedule, follow, rule, got 'sched'",
        "map.yaml:20:67: error: 'setpoint' 99 is outside -10 .. 40 (min_setpoint, max_setpoint or the sensor's range)",
        "map.yaml:21:69: error: 'time' must be a window \"HH:MM-HH:MM\" with two different times, got '7-8'",
        "map.yaml:21:87: error: automation 'w' has no actions; 'actions' must list at least one",
    }));
}

TEST(DeviceMapAutomations, BooleanSensorCondition) {
    auto result = load(automation_base + R"(  - id: hall
    type: rule
    trigger: {relay: fan, becomes: on}
    conditions:
      - {sensor: door, is: false}
      - {sensor: door, is: "on"}
      - {relay: heater, is: "off"}
    actions: [{log: hi}]
)");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const auto& c = result.map->automations.at(0).conditions;
    ASSERT_EQ(c.size(), 3u);
    EXPECT_EQ(c[0].kind, AutomationCondition::Kind::sensor_is);
    EXPECT_EQ(c[0].channel, "door");
    EXPECT_FALSE(c[0].on);
    EXPECT_TRUE(c[1].on);
    EXPECT_EQ(c[2].kind, AutomationCondition::Kind::relay);

    EXPECT_EQ(error_lines(load(automation_base + R"(  - id: hall
    type: rule
    trigger: {relay: fan, becomes: on}
    conditions:
      - {sensor: temp, is: true}
      - {sensor: dor, is: true}
      - {sensor: door, relay: fan, is: true}
      - {time: "07:00-08:00", sensor: door}
      - {sensor: door, is: open}
    actions: [{log: hi}]
)")), (std::vector<std::string>{
        "map.yaml:15:18: error: sensor 'temp' is of type number; automation 'hall' condition #1 needs a boolean sensor",
        "map.yaml:16:18: error: automation 'hall' condition #2 refers to undefined sensor 'dor'; did you mean 'door'?",
        "map.yaml:17:24: error: 'is' in automation 'hall' condition #3 compares one relay or one sensor; it has both",
        "map.yaml:18:31: error: 'sensor' does not apply to a condition with 'time'",
        "map.yaml:19:28: error: 'is' must be one of on, off, true, false, got 'open'",
    }));
}

TEST(DeviceMapAutomations, PublishNeedsTheUplinkAndResolvesItsTopic) {
    const std::string rule = R"(  - id: tell
    type: rule
    trigger: {relay: fan, becomes: on}
    actions:
      - {publish: events/fan, payload: "on"}
      - {publish: /home/fan, retain: true, qos: 0}
)";
    EXPECT_EQ(error_lines(load(automation_base + rule)),
              (std::vector<std::string>{
                  "map.yaml:15:19: error: 'publish' in automation 'tell' action #1 needs the MQTT uplink: the map has no 'mqtt:' section (docs/mqtt.md)",
                  "map.yaml:16:19: error: 'publish' in automation 'tell' action #2 needs the MQTT uplink: the map has no 'mqtt:' section (docs/mqtt.md)",
              }));
    auto result = load("mqtt: {prefix: t/bench, qos: 2}\n" + automation_base + rule);
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    const auto& a = result.map->automations.at(0).actions;
    EXPECT_EQ(a[0].kind, AutomationAction::Kind::publish);
    EXPECT_EQ(a[0].topic, "t/bench/events/fan");
    EXPECT_EQ(a[0].text, "on");
    EXPECT_EQ(a[0].qos, 2) << "the uplink's";
    EXPECT_FALSE(a[0].retain);
    EXPECT_EQ(a[1].topic, "home/fan");
    EXPECT_EQ(a[1].qos, 0);
    EXPECT_TRUE(a[1].retain);

    EXPECT_EQ(error_lines(load("mqtt: {prefix: t/bench}\n" + automation_base + R"(  - id: tell
    type: rule
    trigger: {relay: fan, becomes: on}
    actions:
      - {publish: "events/#"}
      - {publish: relay/fan/set, payload: "ON"}
      - {publish: /t/bench/status}
      - {relay: fan, set: on, payload: x}
)")), (std::vector<std::string>{
        "map.yaml:16:19: error: 'publish' topic 'events/#' must not contain the wildcards '+' or '#'",
        "map.yaml:17:19: error: 'publish' topic 't/bench/relay/fan/set' is one of the uplink's own (t/bench/relay...); choose another level, e.g. t/bench/events/...",
        "map.yaml:18:19: error: 'publish' topic 't/bench/status' is one of the uplink's own (t/bench/status...); choose another level, e.g. t/bench/events/...",
        "map.yaml:19:31: error: 'payload' does not apply to an action with 'set'",
    }));
}

TEST(DeviceMapAutomations, TimeZoneIsAZoneOfTheDatabase) {
    auto result = load("bridge: {time_zone: Europe/Berlin}\n" + automation_base + "  - {id: w, type: schedule, relay: fan, at: \"06:00\", duration: 1m}\n");
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
    EXPECT_EQ(result.map->bridge.time_zone.name(), "Europe/Berlin");
    EXPECT_EQ(load(automation_base + "  []\n").map->bridge.time_zone.name(), "") << "none: the process's";
    EXPECT_EQ(error_lines(load("bridge:\n  time_zone: Europe/Berln\n" + automation_base + "  []\n")),
              (std::vector<std::string>{"map.yaml:2:14: error: 'time_zone' must name a zone of the tz database such as "
                                        "Europe/Berlin or UTC, got 'Europe/Berln'; did you mean 'Europe/Berlin'?"}));
}

}  // namespace
}  // namespace hwb
