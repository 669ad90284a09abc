// Keys of the `automations:` section (docs/device-map.md, "automations"; docs/automations.md).
// Keys with structure of their own (`at`, `days`, `enters`, `time`) are checked by hand in
// automation_section.cpp and refined in json_schema.cpp.
#include <string>

#include "devicemap/schema.h"

namespace hwb::devicemap::schema {

namespace {

OptionSpec failsafe_spec() {
    return {.key = "failsafe", .type = OptionType::choice,
            .help = "relay state while the sensor is offline or stale: on, off, or safe_state (the relay's, else off)",
            .fallback = std::string("safe_state"), .choices = {"safe_state", "off", "on"}};
}

OptionSpec override_spec() {
    return {.key = "override", .type = OptionType::duration,
            .help = "a client's switch of the relay pauses the controller this long (0s: never)",
            .fallback = std::chrono::milliseconds(30 * 60 * 1000), .min = 0, .max = 7.0 * 24 * 3600 * 1000};
}

}  // namespace

std::vector<OptionSpec> automation() {
    return {
        {.key = "id", .help = "unique name of the automation (audit lines say `automation:<id>`)", .required = true},
        {.key = "type", .type = OptionType::choice, .help = "thermostat, schedule, follow or rule", .required = true,
         .choices = {"thermostat", "schedule", "follow", "rule"}},
        {.key = "label", .help = "shown in logs and pages (default: the id)"},
        {.key = "enabled", .type = OptionType::boolean, .help = "false: declared but not running", .fallback = true},
    };
}

std::vector<OptionSpec> thermostat() {
    return {
        {.key = "sensor", .help = "the number sensor measured", .required = true},
        {.key = "relay", .help = "the relay switched (a heater, a fan, a cooler)", .required = true},
        {.key = "mode", .type = OptionType::choice,
         .help = "heat: on below setpoint - hysteresis, off above setpoint + hysteresis; cool: the reverse",
         .fallback = std::string("heat"), .choices = {"heat", "cool"}},
        {.key = "setpoint", .type = OptionType::number, .help = "the wanted value (changeable at run time)",
         .required = true},
        {.key = "hysteresis", .type = OptionType::number, .help = "half the band around the setpoint where nothing switches",
         .fallback = 0.5, .min = 0, .max = 1e6},
        {.key = "min_setpoint", .type = OptionType::number, .help = "lowest setpoint an operator may set (default: sensor range min)"},
        {.key = "max_setpoint", .type = OptionType::number, .help = "highest setpoint an operator may set (default: sensor range max)"},
        {.key = "max_age", .type = OptionType::duration,
         .help = "a sensor silent this long counts as stale: the relay goes to `failsafe`",
         .fallback = std::chrono::milliseconds(60000), .min = 100, .max = 86400000},
        failsafe_spec(),
        override_spec(),
    };
}

std::vector<OptionSpec> schedule() {
    return {
        {.key = "relay", .help = "the relay switched on at each time", .required = true},
        {.key = "at", .help = "local times of day \"HH:MM\" (one, or a list)", .required = true},
        {.key = "days", .type = OptionType::string_list,
         .help = "weekdays (mon..sun, weekdays, weekend); default every day"},
        {.key = "duration", .type = OptionType::duration, .help = "how long the relay stays on", .required = true,
         .min = 1000, .max = 86400000},
    };
}

std::vector<OptionSpec> follow() {
    return {
        {.key = "sensor", .help = "the boolean sensor followed", .required = true},
        {.key = "relay", .help = "the relay that follows it", .required = true},
        {.key = "invert", .type = OptionType::boolean, .help = "relay on while the sensor is false", .fallback = false},
        {.key = "delay", .type = OptionType::duration, .help = "the sensor must keep its new value this long first",
         .fallback = std::chrono::milliseconds(0), .min = 0, .max = 86400000},
        {.key = "max_age", .type = OptionType::duration,
         .help = "a sensor silent this long counts as stale (default: only offline counts)", .min = 100,
         .max = 86400000},
        failsafe_spec(),
        override_spec(),
    };
}

std::vector<OptionSpec> rule() {
    return {
        {.key = "trigger", .help = "what starts the rule (a mapping; docs/automations.md)", .required = true},
        {.key = "conditions", .help = "what must hold when it fires (a list; all of them)"},
        {.key = "actions", .help = "what it does, in order (a list)", .required = true},
    };
}

std::vector<OptionSpec> trigger() {
    return {
        {.key = "sensor", .help = "the sensor watched (above, below, enters, leaves, edge)"},
        {.key = "above", .type = OptionType::number, .help = "fires when the sensor rises above this"},
        {.key = "below", .type = OptionType::number, .help = "fires when the sensor falls below this"},
        {.key = "enters", .help = "fires when the sensor enters the range [low, high]"},
        {.key = "leaves", .help = "fires when the sensor leaves the range [low, high]"},
        {.key = "edge", .type = OptionType::choice, .help = "a boolean sensor's change: rising, falling or any",
         .choices = {"rising", "falling", "any"}},
        {.key = "for", .type = OptionType::duration, .help = "the condition must hold this long first",
         .fallback = std::chrono::milliseconds(0), .min = 0, .max = 86400000},
        {.key = "relay", .help = "the relay watched (with becomes)"},
        {.key = "becomes", .type = OptionType::choice, .help = "the relay's new state: on, off or any",
         .choices = {"on", "off", "any"}},
        {.key = "device", .help = "the device watched (with goes)"},
        {.key = "goes", .type = OptionType::choice, .help = "online or offline", .choices = {"online", "offline"}},
        {.key = "at", .help = "local times of day \"HH:MM\" (one, or a list)"},
        {.key = "days", .type = OptionType::string_list, .help = "weekdays of `at` (mon..sun, weekdays, weekend)"},
    };
}

std::vector<OptionSpec> condition() {
    return {
        {.key = "time", .help = "local time window \"HH:MM-HH:MM\" (across midnight when the end is earlier)"},
        {.key = "sensor", .help = "a sensor whose current value is compared (with above or below; a boolean one with is)"},
        {.key = "above", .type = OptionType::number, .help = "the sensor's value is above this"},
        {.key = "below", .type = OptionType::number, .help = "the sensor's value is below this"},
        {.key = "relay", .help = "a relay whose state is compared (with is)"},
        {.key = "is", .type = OptionType::choice,
         .help = "the relay's state (on, off) or the boolean sensor's value (true, false)",
         .choices = {"on", "off", "true", "false"}},
    };
}

std::vector<OptionSpec> action() {
    return {
        {.key = "relay", .help = "the relay switched (with set, toggle or pulse)"},
        {.key = "set", .type = OptionType::choice, .help = "switch the relay on or off",
         .choices = {"on", "off", "true", "false"}},
        {.key = "toggle", .type = OptionType::boolean, .help = "true: switch the relay over"},
        {.key = "pulse", .type = OptionType::duration, .help = "on, and off again after this long", .min = 1,
         .max = 86400000},
        {.key = "text", .help = "the text channel written to (with send)"},
        {.key = "send", .help = "the line sent to the text channel"},
        {.key = "delay", .type = OptionType::duration, .help = "wait this long before the next action", .min = 0,
         .max = 86400000},
        {.key = "log", .help = "a message for the log and the audit trail"},
        {.key = "publish",
         .help = "an MQTT topic the uplink publishes to: below its prefix, or from the root when it begins with '/'"},
        {.key = "payload", .help = "what is published (with publish)", .fallback = std::string("")},
        {.key = "retain", .type = OptionType::boolean, .help = "the broker keeps the message (with publish)",
         .fallback = false},
        {.key = "qos", .type = OptionType::integer, .help = "MQTT quality of service (with publish; default: the uplink's qos)",
         .min = 0, .max = 2},
    };
}

}  // namespace hwb::devicemap::schema
