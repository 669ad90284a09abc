// The `automations:` section of the device map (docs/automations.md; keys in docs/device-map.md):
// controllers (thermostat, schedule, follow) and rules (trigger, conditions, actions) that the
// automation front (src/automation) runs. Every switch they make goes through the door.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/source_location.h"

namespace hwb {

// Times of day on some weekdays, in the local time zone of the bridge (the process's TZ).
struct DailyTimes {
    std::vector<int> minutes;       // minutes after local midnight, ascending, no duplicates
    std::uint8_t days = 0x7f;       // bit N: weekday N as in struct tm (0 = Sunday)
    bool operator==(const DailyTimes&) const = default;
};

struct AutomationTrigger {
    enum class Kind : std::uint8_t { above, below, enters, leaves, edge, relay, device, schedule };
    Kind kind = Kind::above;
    std::string channel;            // sensor (above..edge), relay (relay) or device (device) id
    double value = 0;               // above, below
    double low = 0, high = 0;       // enters, leaves: the range [low, high]
    std::chrono::milliseconds hold{0};  // `for:` the condition holds this long before firing
    enum class Edge : std::uint8_t { rising, falling, any };
    Edge edge = Edge::rising;       // edge (sensor true/false), relay (becomes on/off/any)
    bool online = false;            // device: goes online (true) or offline (false)
    DailyTimes at;                  // schedule
    bool operator==(const AutomationTrigger&) const = default;
};

struct AutomationCondition {
    enum class Kind : std::uint8_t { time, above, below, relay, sensor_is };
    Kind kind = Kind::time;
    std::string channel;            // sensor (above, below, sensor_is) or relay (relay)
    double value = 0;
    int from_minute = 0, to_minute = 0;  // time: [from, to) local, across midnight when from > to
    bool on = false;                // relay: on; sensor_is: the boolean sensor is true
    bool operator==(const AutomationCondition&) const = default;
};

struct AutomationAction {
    enum class Kind : std::uint8_t { set, toggle, pulse, text, delay, log, publish };
    Kind kind = Kind::set;
    std::string channel;            // relay (set, toggle, pulse) or text channel (text)
    bool on = false;                // set
    std::chrono::milliseconds duration{0};  // pulse, delay
    std::string text;               // text (the line), log (the message), publish (the payload)
    std::string topic;              // publish: the whole topic (the uplink's prefix already put in front)
    int qos = 0;                    // publish
    bool retain = false;            // publish
    bool operator==(const AutomationAction&) const = default;
};

struct AutomationConfig {
    enum class Type : std::uint8_t { thermostat, schedule, follow, rule };
    std::string id;
    std::string label;
    Type type = Type::rule;
    bool enabled = true;
    std::string sensor;             // thermostat (number), follow (boolean)
    std::string relay;              // thermostat, schedule, follow

    // thermostat
    bool cooling = false;           // mode: cool switches on above the setpoint, heat below
    double setpoint = 0;
    double hysteresis = 0.5;        // on below setpoint - hysteresis, off above setpoint + hysteresis (heat)
    double min_setpoint = -1e9, max_setpoint = 1e9;  // what an operator may set at run time
    // thermostat, follow: a sensor offline, or silent for max_age, drives the relay to `failsafe`
    std::optional<std::chrono::milliseconds> max_age;
    std::optional<bool> failsafe;   // none: the relay's safe_state, else off
    // thermostat, follow: a client's switch pauses the controller this long (0: never pauses)
    std::chrono::milliseconds override_for{std::chrono::minutes(30)};

    // schedule
    DailyTimes at;
    std::chrono::milliseconds duration{0};

    // follow
    bool invert = false;
    std::chrono::milliseconds delay{0};

    // rule
    AutomationTrigger trigger;
    std::vector<AutomationCondition> conditions;
    std::vector<AutomationAction> actions;

    SourceLocation where;           // not part of the behaviour: a reload that only moves it keeps it running

    // Same behaviour (everything but `where`): a reload keeps such an automation running untouched.
    bool same_behaviour(const AutomationConfig& other) const {
        AutomationConfig a = *this, b = other;
        a.where = b.where = {};
        return a.equal(b);
    }

private:
    bool equal(const AutomationConfig& o) const {
        return id == o.id && label == o.label && type == o.type && enabled == o.enabled && sensor == o.sensor &&
               relay == o.relay && cooling == o.cooling && setpoint == o.setpoint && hysteresis == o.hysteresis &&
               min_setpoint == o.min_setpoint && max_setpoint == o.max_setpoint && max_age == o.max_age &&
               failsafe == o.failsafe && override_for == o.override_for && at == o.at && duration == o.duration &&
               invert == o.invert && delay == o.delay && trigger == o.trigger && conditions == o.conditions &&
               actions == o.actions;
    }
};

// What clients see of a running automation (the relay subprotocol's hello and `automation` messages).
struct AutomationStatus {
    std::string id;
    std::string label;
    std::string type;     // thermostat, schedule, follow, rule
    std::string state;    // armed, active, overridden, faulted, disabled
    std::string detail;   // why faulted or overridden; what fired it last
    std::string relay;    // the relay a controller drives; empty for rules
    std::optional<double> setpoint, min_setpoint, max_setpoint;  // thermostats
    std::optional<std::int64_t> last_fired_ms;
    std::optional<std::int64_t> next_fire_ms;  // schedules and `at` triggers: the next edge
    bool operator==(const AutomationStatus&) const = default;
};

inline const char* to_string(AutomationConfig::Type type) {
    switch (type) {
        case AutomationConfig::Type::thermostat: return "thermostat";
        case AutomationConfig::Type::schedule: return "schedule";
        case AutomationConfig::Type::follow: return "follow";
        case AutomationConfig::Type::rule: return "rule";
    }
    return "rule";
}

}  // namespace hwb
