// JSON Schema of the device map. Each OptionSpec becomes one property schema (type, bounds,
// choices, default, help as description); the keys the section readers check by hand (`range`,
// `listen`, origins, ids, relay states) get the equivalent hand-written refinement here.
#include "devicemap/json_schema.h"

#include <cmath>
#include <functional>
#include <stdexcept>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "devicemap/option_reader.h"
#include "devicemap/scalars.h"
#include "devicemap/schema.h"

namespace hwb::devicemap {

namespace {

// Keeps keys in declaration order, so editors list them as the docs do.
using Json = nlohmann::ordered_json;

// The loader reads a scalar's text, so `label: 42` or `line: 17` are strings to it, while an
// editor's YAML parser hands over a number: string keys accept every scalar type.
Json any_scalar_type() { return Json::array({"string", "number", "boolean"}); }

// Durations as parse_duration accepts them; the bounds are in the description (a pattern cannot
// compare values).
constexpr const char* duration_pattern = "^([0-9]+\\.?[0-9]*|\\.[0-9]+)(ms|s|m|h|d)$";

// The same text rules as address.cpp (is_host_name, is_ipv6_literal, parse_port).
constexpr const char* host_pattern = "([A-Za-z0-9][A-Za-z0-9.-]*|\\[[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*\\])";
constexpr const char* port_pattern =
    "([0-9]{1,4}|[0-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";

Json default_value(const OptionValue& value) {
    return std::visit(
        [](const auto& v) -> Json {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
                return format_duration(v);
            } else {
                return v;
            }
        },
        value);
}

Json option_schema(const OptionSpec& spec) {
    Json s = Json::object();
    s["description"] = spec.type == OptionType::duration ? spec.help + "; " + expectation(spec) : spec.help;
    // Whole bounds as integers: `maximum: 10`, not `10.0`, in what editors show.
    auto bound = [](double limit) -> Json {
        if (limit == std::trunc(limit)) return static_cast<std::int64_t>(limit);
        return limit;
    };
    auto add_bounds = [&] {
        if (bounded(spec.min)) s["minimum"] = bound(spec.min);
        if (bounded(spec.max)) s["maximum"] = bound(spec.max);
    };
    switch (spec.type) {
        case OptionType::string: s["type"] = any_scalar_type(); break;
        case OptionType::number:
            s["type"] = "number";
            add_bounds();
            break;
        case OptionType::integer:
            s["type"] = "integer";
            add_bounds();
            break;
        case OptionType::boolean: s["type"] = "boolean"; break;
        case OptionType::duration:
            s["type"] = "string";
            s["pattern"] = duration_pattern;
            break;
        case OptionType::choice: s["enum"] = spec.choices; break;
        case OptionType::string_list:
            s["type"] = "array";
            s["items"] = {{"type", any_scalar_type()}};
            break;
    }
    if (spec.fallback) s["default"] = default_value(*spec.fallback);
    return s;
}

void add_options(Json& object, const std::vector<OptionSpec>& specs) {
    for (const auto& spec : specs) {
        object["properties"][spec.key] = option_schema(spec);
        if (spec.required) object["required"].push_back(spec.key);
    }
}

// An object of `specs` that refuses other keys, as MappingReader::report_unknown_keys does.
Json closed_object(const std::string& description, const std::vector<OptionSpec>& specs) {
    Json object = {{"description", description}, {"type", "object"}};
    add_options(object, specs);
    object["additionalProperties"] = false;
    return object;
}

// Ids: schema::is_identifier. Any scalar whose text qualifies, so `id: 7` is fine too.
void refine_id(Json& object) {
    Json& id = object["properties"]["id"];
    id["type"] = Json::array({"string", "integer", "boolean"});
    id["pattern"] = "^[A-Za-z0-9_-]{1," + std::to_string(schema::max_id_length) + "}$";
}

Json bridge_schema(const std::string& description) {
    Json bridge = closed_object(description, schema::bridge());
    bridge["type"] = Json::array({"object", "null"});  // `bridge:` alone: all defaults
    Json& properties = bridge["properties"];
    properties["listen"]["type"] = "string";
    properties["listen"]["pattern"] = std::string("^") + host_pattern + ":" + port_pattern + "$";
    properties["allowed_origins"]["items"] = {
        {"type", "string"},
        {"pattern", std::string("^https?://") + host_pattern + "(:" + port_pattern + ")?$"},
    };
    properties["allowed_hosts"]["items"] = {
        {"type", "string"},
        {"pattern", R"(^(\*\.)?[A-Za-z0-9._-]{1,253}$|^\[[0-9A-Fa-f:.]+\]$)"},
    };
    // Mappings of their own (tls_section.cpp, limits_section.cpp); file readability is the
    // loader's alone (a schema cannot look at files).
    properties["tls"] = closed_object("serve https and wss on the listen port (docs/security.md, TLS)", schema::tls());
    properties["limits"] = closed_object("rate limits and caps (docs/security.md, Limits)", schema::limits());
    properties["limits"]["type"] = Json::array({"object", "null"});
    return bridge;
}

// auth_section.cpp: secret_file is an absolute path; machine_tokens a list of closed objects.
Json auth_schema(const std::string& description) {
    Json auth = closed_object(description, schema::auth());
    auth["type"] = Json::array({"object", "null"});
    Json& properties = auth["properties"];
    properties["secret_file"]["type"] = "string";
    properties["secret_file"]["pattern"] = "^/";
    properties["passphrase_hash"]["type"] = "string";
    properties["passphrase_hash"]["pattern"] = "^pbkdf2-sha256\\$[0-9]+\\$[A-Za-z0-9+/]+\\$[A-Za-z0-9+/]+$";
    Json token = closed_object("a long-lived machine token, by its SHA-256 only", schema::machine_token());
    token["properties"]["sha256"]["type"] = "string";
    token["properties"]["sha256"]["pattern"] = "^[0-9A-Fa-f]{64}$";
    properties["machine_tokens"] = {{"description", "machine tokens (hwbridge token --machine)"},
                                    {"type", Json::array({"array", "null"})},
                                    {"items", token}};
    return auth;
}

// mqtt_section.cpp: topics without wildcards, the password file an absolute path.
Json mqtt_schema(const std::string& description) {
    Json mqtt = closed_object(description, schema::mqtt());
    mqtt["type"] = Json::array({"object", "null"});
    Json& properties = mqtt["properties"];
    for (const char* topic : {"prefix", "discovery_prefix"}) {
        properties[topic]["type"] = "string";
        properties[topic]["pattern"] = "^[^/#+\\s][^#+\\s]{0,199}$";
    }
    properties["client_id"]["type"] = "string";
    properties["client_id"]["pattern"] = "^[A-Za-z0-9._-]{1,64}$";
    properties["password_file"]["type"] = "string";
    properties["password_file"]["pattern"] = "^/";
    return mqtt;
}

// automation_section.cpp: each entry's keys depend on its `type` (one if/then per type, as the
// devices' on `driver`); times of day, windows and ranges by pattern.
Json automations_schema(const std::string& description) {
    constexpr const char* time_pattern = "^([01]?[0-9]|2[0-3]):[0-5][0-9]$";
    Json times = {{"oneOf", Json::array({{{"type", "string"}, {"pattern", time_pattern}},
                                         {{"type", "array"}, {"minItems", 1}, {"items", {{"type", "string"}, {"pattern", time_pattern}}}}})}};
    Json days = {{"type", "array"},
                 {"items", {{"enum", {"mon", "tue", "wed", "thu", "fri", "sat", "sun", "weekdays", "weekend"}}}}};
    Json range = {{"type", "array"}, {"items", {{"type", "number"}}}, {"minItems", 2}, {"maxItems", 2}};
    Json entry = {{"description", "an automation: thermostat, schedule, follow or rule (docs/automations.md)"},
                  {"type", "object"}};
    add_options(entry, schema::automation());
    refine_id(entry);
    Json trigger = closed_object("what starts the rule: exactly one of above, below, enters, leaves, edge, becomes, goes, at",
                                 schema::trigger());
    trigger["properties"]["at"] = times;
    trigger["properties"]["days"] = days;
    trigger["properties"]["enters"] = range;
    trigger["properties"]["leaves"] = range;
    Json condition = closed_object("one condition: time, sensor with above/below, or relay with is", schema::condition());
    condition["properties"]["time"]["type"] = "string";
    condition["properties"]["time"]["pattern"] =
        "^([01]?[0-9]|2[0-3]):[0-5][0-9]-([01]?[0-9]|2[0-3]):[0-5][0-9]$";
    // `is: true` / `is: false` (a boolean sensor, or a relay's on/off) are YAML booleans too.
    Json& is = condition["properties"]["is"];
    is["enum"].push_back(true);
    is["enum"].push_back(false);
    if (is.contains("type") && is["type"] == "string") is["type"] = Json::array({"string", "boolean"});
    Json action = closed_object("one action: relay with set/toggle/pulse, text with send, delay or log", schema::action());
    const std::vector<std::pair<std::string, std::vector<OptionSpec>>> types = {
        {"thermostat", schema::thermostat()}, {"schedule", schema::schedule()},
        {"follow", schema::follow()}, {"rule", schema::rule()}};
    for (const auto& [name, specs] : types) {
        Json then = {{"properties", Json::object()}};
        for (const auto& spec : schema::automation()) then["properties"][spec.key] = true;
        add_options(then, specs);
        if (name == "schedule") {
            then["properties"]["at"] = times;
            then["properties"]["days"] = days;
        }
        if (name == "rule") {
            then["properties"]["trigger"] = trigger;
            then["properties"]["conditions"] = {{"type", "array"}, {"maxItems", 32}, {"items", condition}};
            then["properties"]["actions"] = {{"type", "array"}, {"minItems", 1}, {"maxItems", 32}, {"items", action}};
        }
        then["additionalProperties"] = false;
        entry["allOf"].push_back({
            {"if", {{"properties", {{"type", {{"const", name}}}}}, {"required", {"type"}}}},
            {"then", then},
        });
    }
    return {{"description", description}, {"type", Json::array({"array", "null"})}, {"items", entry}};
}

// Each device's keys depend on its `driver`: one if/then per driver, whose `then` lists the
// common keys and the driver's device_options and refuses all others. A device with an unknown
// driver fails at `driver` only; its other keys are not judged, as in the loader.
Json device_schema(const DriverRegistry& drivers) {
    Json device = {{"description", "a device: the hardware (or simulation) channels live on"}, {"type", "object"}};
    add_options(device, schema::device());
    refine_id(device);
    const auto names = drivers.names();
    std::string known;
    for (const auto& name : names) {
        const DriverInfo* driver = drivers.find(name);
        known += (known.empty() ? "" : "; ") + name + ": " + driver->description;
        Json then = {{"properties", Json::object()}};
        for (const auto& spec : schema::device()) then["properties"][spec.key] = true;
        add_options(then, driver->device_options);
        then["additionalProperties"] = false;
        device["allOf"].push_back({
            {"if", {{"properties", {{"driver", {{"const", name}}}}}, {"required", {"driver"}}}},
            {"then", then},
        });
    }
    if (!names.empty()) {
        device["properties"]["driver"].erase("type");
        device["properties"]["driver"]["enum"] = names;
        device["properties"]["driver"]["description"] = "the driver: " + known;
    }
    return device;
}

// A title or word shown as is: 1 to 40 characters without control characters (the loader counts
// bytes, so a non-ASCII title may pass here and fail there).
void limit_text(Json& property) {
    property["type"] = "string";
    property["pattern"] = "^[^\\x00-\\x1f\\x7f]*[^\\x00-\\x1f\\x7f \\t][^\\x00-\\x1f\\x7f]*$";
    property["maxLength"] = schema::max_ui_text_length;
}

// A channel names its device, not its driver, so which driver's options apply is decided by a
// reference a schema cannot follow: a channel must fit the options of at least one driver.
Json channel_schema(const std::string& description, const std::vector<std::vector<OptionSpec>>& own,
                    std::vector<OptionSpec> DriverInfo::*driver_options, const DriverRegistry& drivers) {
    Json channel = {{"description", description}, {"type", "object"}};
    add_options(channel, schema::channel());
    for (const auto& specs : own) add_options(channel, specs);
    refine_id(channel);
    // read_ui: `ui:` alone is all defaults; titles and words are short text (check_ui_text).
    Json ui = closed_object("how the page shows the channel: order, group, hidden, compact", schema::channel_ui());
    ui["type"] = Json::array({"object", "null"});
    channel["properties"]["ui"] = ui;
    for (const char* text : {"on_text", "off_text"})
        if (channel["properties"].contains(text)) limit_text(channel["properties"][text]);
    limit_text(channel["properties"]["ui"]["properties"]["group"]);
    const Json common = channel["properties"];
    for (const auto& name : drivers.names()) {
        Json fit = {{"title", "keys of a channel on a '" + name + "' device"}, {"properties", Json::object()}};
        for (auto it = common.begin(); it != common.end(); ++it) fit["properties"][it.key()] = true;
        add_options(fit, drivers.find(name)->*driver_options);
        fit["additionalProperties"] = false;
        channel["anyOf"].push_back(fit);
    }
    if (drivers.names().empty()) channel["additionalProperties"] = false;
    return channel;
}

Json sensor_schema(const DriverRegistry& drivers) {
    Json sensor = channel_schema("a sensor: read-only values", {schema::sensor(), schema::channel_words()},
                                 &DriverInfo::sensor_options, drivers);
    // read_range: [min, max], and only on number sensors (min < max is not expressible).
    Json range = {
        {"description", "expected range [min, max] of a number sensor, min < max"},
        {"type", "array"},
        {"items", {{"type", "number"}}},
        {"minItems", 2},
        {"maxItems", 2},
    };
    sensor["properties"]["range"] = range;
    for (auto& fit : sensor["anyOf"]) fit["properties"]["range"] = true;
    // read_sensor_history: false, true (the section's), or its own tiers.
    Json history = closed_object("how long this sensor's readings are kept: false keeps none; "
                                 "a mapping sets its own tiers (default: the history section's)",
                                 schema::sensor_history());
    history["type"] = Json::array({"object", "boolean", "null"});
    sensor["properties"]["history"] = history;
    for (auto& fit : sensor["anyOf"]) fit["properties"]["history"] = true;
    sensor["if"] = {{"properties", {{"type", {{"const", "boolean"}}}}}, {"required", {"type"}}};
    sensor["then"] = {{"not", {{"required", {"range"}}}}};
    // read_words: the words of a two-state thing, on boolean sensors only.
    sensor["else"] = {{"not", {{"anyOf", Json::array({{{"required", {"device_class"}}},
                                                      {{"required", {"on_text"}}},
                                                      {{"required", {"off_text"}}}})}}}};
    return sensor;
}

Json relay_schema(const DriverRegistry& drivers) {
    Json relay = channel_schema("a relay: an on/off output",
                                {schema::relay(), schema::relay_policy(), schema::channel_access(), schema::channel_words()},
                                &DriverInfo::relay_options, drivers);
    // read_relay_state: on/off may also be written as the YAML booleans true/false.
    for (const auto& spec : schema::relay()) {
        relay["properties"][spec.key]["enum"].push_back(true);
        relay["properties"][spec.key]["enum"].push_back(false);
    }
    return relay;
}

Json list_of(const Json& entry, const std::string& description) {
    return {{"description", description}, {"type", Json::array({"array", "null"})}, {"items", entry}};
}

}  // namespace

std::string json_schema(const DriverRegistry& drivers) {
    Json root = {
        {"$schema", "http://json-schema.org/draft-07/schema#"},
        {"title", "hwbridge device map"},
        {"description", "Devices and channels served by hwbridge; see docs/device-map.md"},
        {"type", "object"},
    };
    const std::map<std::string, std::function<Json(const std::string&)>> sections = {
        {"bridge", [](const std::string& d) { return bridge_schema(d); }},
        {"auth", [](const std::string& d) { return auth_schema(d); }},
        {"mqtt", [](const std::string& d) { return mqtt_schema(d); }},
        {"automations", [](const std::string& d) { return automations_schema(d); }},
        {"history",
         [](const std::string& d) {
             Json history = closed_object(d, schema::history());
             history["type"] = Json::array({"object", "null"});
             history["properties"]["path"]["type"] = "string";
             history["properties"]["path"]["pattern"] = "^/.*[^/]$";
             return history;
         }},
        {"devices",
         [&](const std::string& d) {
             Json list = {{"description", d}, {"type", "array"}, {"minItems", 1}, {"items", device_schema(drivers)}};
             return list;
         }},
        {"sensors", [&](const std::string& d) { return list_of(sensor_schema(drivers), d); }},
        {"relays", [&](const std::string& d) { return list_of(relay_schema(drivers), d); }},
        {"texts",
         [&](const std::string& d) {
             return list_of(channel_schema("a text channel: a line-based console",
                                           {schema::text(), schema::channel_access()},
                                           &DriverInfo::text_options, drivers),
                            d);
         }},
    };
    for (const auto& spec : schema::top_level()) {
        auto section = sections.find(spec.key);
        if (section == sections.end()) throw std::logic_error("json_schema: no schema for section '" + spec.key + "'");
        root["properties"][spec.key] = section->second(spec.help);
        if (spec.required) root["required"].push_back(spec.key);
    }
    root["additionalProperties"] = false;
    return root.dump(2) + "\n";
}

}  // namespace hwb::devicemap
