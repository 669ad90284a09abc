// `automations:` (docs/device-map.md, "automations"; docs/automations.md): a list of controllers
// and rules. Each entry's keys depend on its `type`; a rule's trigger, conditions and actions are
// mappings of their own. Every channel and device named must exist and be of the right kind
// (a thermostat needs a number sensor, a follow a boolean one), with did-you-mean otherwise.
#include <algorithm>
#include <cstdio>

#include "devicemap/entry_name.h"
#include "devicemap/mapping_reader.h"
#include "devicemap/option_reader.h"
#include "devicemap/scalars.h"
#include "devicemap/schema.h"
#include "devicemap/sections.h"
#include "devicemap/suggest.h"

namespace hwb::devicemap {

namespace {

// Lists are bounded like every other part of a map: a rule with 10,000 actions is a mistake.
constexpr std::size_t automation_max_times = 48;
constexpr std::size_t automation_max_entries = 32;  // conditions, actions of one rule

enum class Wanted { number_sensor, boolean_sensor, any_sensor, relay, text, device };

const SensorConfig* find_sensor(const LoadContext& context, const std::string& id) {
    for (const auto& d : context.devices)
        for (const auto& s : d.sensors)
            if (s.info.id == id) return &s;
    return nullptr;
}

// Checks that `id` names a channel (or device) of the wanted kind; reports at `at` otherwise.
void check_reference(const std::string& id, Wanted wanted, const YAML::Mark& at, const std::string& what,
                     LoadContext& context) {
    std::vector<std::string> known;
    bool found = false;
    std::string problem;
    for (const auto& d : context.devices) {
        if (wanted == Wanted::device) {
            known.push_back(d.id);
            found = found || d.id == id;
            continue;
        }
        if (wanted == Wanted::relay) {
            for (const auto& r : d.relays) {
                known.push_back(r.info.id);
                found = found || r.info.id == id;
            }
        } else if (wanted == Wanted::text) {
            for (const auto& t : d.texts) {
                known.push_back(t.info.id);
                found = found || t.info.id == id;
            }
        } else {
            for (const auto& s : d.sensors) {
                bool fits = wanted == Wanted::any_sensor ||
                            (wanted == Wanted::number_sensor) == (s.info.type == SensorType::number);
                if (s.info.id == id && !fits)
                    problem = "sensor '" + id + "' is of type " +
                              (s.info.type == SensorType::boolean ? "boolean" : "number") + "; " + what + " needs a " +
                              (wanted == Wanted::number_sensor ? "number" : "boolean") + " sensor";
                if (!fits) continue;
                known.push_back(s.info.id);
                found = found || s.info.id == id;
            }
        }
    }
    if (!problem.empty()) {
        context.diagnostics.error(at, problem);
        return;
    }
    if (found) return;
    const char* noun = wanted == Wanted::device  ? "device"
                       : wanted == Wanted::relay ? "relay"
                       : wanted == Wanted::text  ? "text channel"
                                                 : "sensor";
    context.diagnostics.error(at, what + " refers to undefined " + noun + " '" + id + "'" + did_you_mean(id, known));
}

// "06:30" -> 390. Hours 0..23, minutes 0..59, one or two digits of hour.
std::optional<int> parse_time_of_day(const std::string& text) {
    int h = 0, m = 0;
    char tail = 0;
    if (text.size() < 4 || text.size() > 5) return std::nullopt;
    if (std::sscanf(text.c_str(), "%2d:%2d%c", &h, &m, &tail) != 2) return std::nullopt;
    if (text[text.size() - 3] != ':') return std::nullopt;
    if (h < 0 || h > 23 || m < 0 || m > 59) return std::nullopt;
    return h * 60 + m;
}

// `at:` "HH:MM" or a list of them, into `out` (sorted, duplicates reported).
void read_times(const MappingReader::Entry& entry, DailyTimes& out, Diagnostics& diagnostics) {
    std::vector<std::pair<std::string, YAML::Mark>> items;
    if (entry.value.IsScalar()) {
        items.emplace_back(entry.value.Scalar(), entry.value.Mark());
    } else if (entry.value.IsSequence() && entry.value.size() > 0) {
        for (const auto& item : entry.value) {
            if (!item.IsScalar()) {
                diagnostics.error(item.IsNull() ? entry.value_mark() : item.Mark(),
                                  "each entry of 'at' must be a time of day \"HH:MM\", got " + describe(item));
                continue;
            }
            items.emplace_back(item.Scalar(), item.Mark());
        }
    } else {
        diagnostics.error(entry.value_mark(), "'at' must be a time of day \"HH:MM\" or a list of them, got " +
                                                  describe(entry.value));
        return;
    }
    if (items.size() > automation_max_times) {
        diagnostics.error(entry.value_mark(), "'at' lists " + std::to_string(items.size()) + " times; at most " +
                                                  std::to_string(automation_max_times));
        return;
    }
    for (const auto& [text, mark] : items) {
        auto minute = parse_time_of_day(text);
        if (!minute) {
            diagnostics.error(mark, "'at' must be a local time of day \"HH:MM\" (00:00 to 23:59), got '" + text + "'");
            continue;
        }
        if (std::find(out.minutes.begin(), out.minutes.end(), *minute) != out.minutes.end()) {
            diagnostics.error(mark, "'at' names " + text + " twice");
            continue;
        }
        out.minutes.push_back(*minute);
    }
    std::sort(out.minutes.begin(), out.minutes.end());
}

// `days:` [mon, tue, ...], weekdays, weekend.
void read_days(const MappingReader::Entry* entry, const Options& o, DailyTimes& out, Diagnostics& diagnostics) {
    if (entry == nullptr || !o.has("days")) return;
    static const std::vector<std::string> names = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", "weekdays", "weekend"};
    std::uint8_t days = 0;
    std::size_t index = 0;
    for (const auto& name : o.strings("days")) {
        YAML::Mark at = entry->value.IsSequence() ? entry->value[index].Mark() : entry->value_mark();
        ++index;
        auto it = std::find(names.begin(), names.end(), name);
        if (it == names.end()) {
            diagnostics.error(at, "'days' entries must be mon, tue, wed, thu, fri, sat, sun, weekdays or weekend, got '" +
                                      name + "'" + did_you_mean(name, names));
            continue;
        }
        auto n = static_cast<int>(it - names.begin());
        if (n < 7) days = static_cast<std::uint8_t>(days | (1u << n));
        else if (name == "weekdays") days |= 0x3e;
        else days |= 0x41;
    }
    if (days == 0 && o.strings("days").empty())
        diagnostics.error(entry->value_mark(), "'days' must name at least one day (leave it out for every day)");
    if (days != 0) out.days = days;
}

// `enters:` / `leaves:` [low, high].
std::optional<std::pair<double, double>> read_range_pair(const MappingReader::Entry& entry, Diagnostics& diagnostics) {
    auto bad = [&] {
        diagnostics.error(entry.value_mark(), "'" + entry.key + "' must be a range [low, high] of two numbers, low < high, got " +
                                                  describe(entry.value));
        return std::nullopt;
    };
    if (!entry.value.IsSequence() || entry.value.size() != 2) return bad();
    if (!entry.value[0].IsScalar() || !entry.value[1].IsScalar()) return bad();
    auto low = parse_number(entry.value[0].Scalar());
    auto high = parse_number(entry.value[1].Scalar());
    if (!low || !high || !(*low < *high)) return bad();
    return std::pair{*low, *high};
}

// Exactly one of `keys` is present: its name, else an error at the mapping.
std::optional<std::string> one_of(MappingReader& reader, const std::vector<std::string>& keys, const std::string& what) {
    std::vector<std::string> present;
    for (const auto& key : keys)
        if (reader.find(key) != nullptr) present.push_back(key);
    if (present.size() == 1) return present.front();
    std::string list = join(keys, ", ");
    if (present.empty()) {
        reader.diagnostics().error(reader.mark(), reader.what() + " needs one of " + list + " (" + what + ")");
    } else {
        reader.diagnostics().error(reader.find(present[1])->key_node.Mark(),
                                   reader.what() + " may have only one of " + list + "; it has " + join(present, " and "));
    }
    return std::nullopt;
}

// The named key must be there beside `key` (e.g. `above` needs `sensor`).
bool needs(MappingReader& reader, const Options& o, const char* key, const char* with) {
    if (o.has(with)) return true;
    reader.diagnostics().error(reader.find(key)->key_node.Mark(),
                               "'" + std::string(key) + "' in " + reader.what() + " needs '" + with + "'");
    return false;
}

// read_all for the plain keys of `specs`; the structured ones (lists, mappings) are only marked
// known here and read by hand, a missing required one reported.
Options read_plain(MappingReader& reader, const std::vector<OptionSpec>& specs) {
    static const std::vector<std::string> structured = {"at", "trigger", "conditions", "actions", "enters", "leaves"};
    std::vector<OptionSpec> plain;
    for (const auto& spec : specs) {
        if (std::find(structured.begin(), structured.end(), spec.key) == structured.end()) {
            plain.push_back(spec);
        } else if (reader.find(spec.key) == nullptr && spec.required) {
            reader.missing(spec.key, spec.help);
        }
    }
    return reader.read_all(plain);
}

AutomationTrigger read_trigger(const MappingReader::Entry& entry, const std::string& owner, LoadContext& context) {
    AutomationTrigger t;
    auto opened = open_section(entry.value, owner + " trigger", "of trigger keys (sensor and above, at, ...)",
                               context.diagnostics, false);
    if (!opened) return t;
    MappingReader& reader = *opened;
    Options o = read_plain(reader, schema::trigger());
    auto what = [&](const char* key) { return reader.find(key)->value_mark(); };
    auto kind = one_of(reader, {"above", "below", "enters", "leaves", "edge", "becomes", "goes", "at"},
                       "what makes it fire");
    if (o.has("for")) t.hold = o.duration("for");
    if (kind) {
        const std::string& k = *kind;
        if (k == "above" || k == "below" || k == "enters" || k == "leaves" || k == "edge") {
            if (needs(reader, o, k.c_str(), "sensor")) {
                t.channel = o.string("sensor");
                check_reference(t.channel, k == "edge" ? Wanted::boolean_sensor : Wanted::number_sensor, what("sensor"),
                                owner + " trigger", context);
            }
            if (k == "above") t.kind = AutomationTrigger::Kind::above, t.value = o.has("above") ? o.number("above") : 0;
            if (k == "below") t.kind = AutomationTrigger::Kind::below, t.value = o.has("below") ? o.number("below") : 0;
            if (k == "enters" || k == "leaves") {
                t.kind = k == "enters" ? AutomationTrigger::Kind::enters : AutomationTrigger::Kind::leaves;
                if (auto range = read_range_pair(*reader.find(k), context.diagnostics)) {
                    t.low = range->first;
                    t.high = range->second;
                }
            }
            if (k == "edge") {
                t.kind = AutomationTrigger::Kind::edge;
                if (o.has("edge"))
                    t.edge = o.string("edge") == "rising"    ? AutomationTrigger::Edge::rising
                             : o.string("edge") == "falling" ? AutomationTrigger::Edge::falling
                                                             : AutomationTrigger::Edge::any;
            }
        } else if (k == "becomes") {
            t.kind = AutomationTrigger::Kind::relay;
            if (needs(reader, o, "becomes", "relay")) {
                t.channel = o.string("relay");
                check_reference(t.channel, Wanted::relay, what("relay"), owner + " trigger", context);
            }
            if (o.has("becomes"))
                t.edge = o.string("becomes") == "on"    ? AutomationTrigger::Edge::rising
                         : o.string("becomes") == "off" ? AutomationTrigger::Edge::falling
                                                        : AutomationTrigger::Edge::any;
        } else if (k == "goes") {
            t.kind = AutomationTrigger::Kind::device;
            if (needs(reader, o, "goes", "device")) {
                t.channel = o.string("device");
                check_reference(t.channel, Wanted::device, what("device"), owner + " trigger", context);
            }
            t.online = o.has("goes") && o.string("goes") == "online";
        } else if (k == "at") {
            t.kind = AutomationTrigger::Kind::schedule;
            read_times(*reader.find("at"), t.at, context.diagnostics);
            read_days(reader.find("days"), o, t.at, context.diagnostics);
        }
        // Keys that belong to another kind of trigger: said plainly rather than ignored.
        const bool sensor_kind = k == "above" || k == "below" || k == "enters" || k == "leaves" || k == "edge";
        for (const char* key : {"sensor", "relay", "device", "days", "for"}) {
            if (!reader.find(key)) continue;
            std::string s = key;
            bool fits = (s == "sensor" && sensor_kind) || (s == "relay" && k == "becomes") ||
                        (s == "device" && k == "goes") || (s == "days" && k == "at") || (s == "for" && sensor_kind);
            if (!fits)
                context.diagnostics.error(reader.find(key)->key_node.Mark(),
                                          "'" + s + "' does not apply to a trigger with '" + k + "'");
        }
    }
    reader.report_unknown_keys();
    return t;
}

std::vector<AutomationCondition> read_conditions(const MappingReader::Entry& entry, const std::string& owner,
                                                 LoadContext& context) {
    std::vector<AutomationCondition> out;
    auto entries = list_entries(entry.value, entry.value_mark(), "conditions", "condition", context.diagnostics);
    if (entries.size() > automation_max_entries) {
        context.diagnostics.error(entry.value_mark(), "'conditions' lists " + std::to_string(entries.size()) +
                                                          " entries; at most " + std::to_string(automation_max_entries));
        return out;
    }
    for (const auto& e : entries) {
        MappingReader reader(e.node, owner + " condition #" + std::to_string(e.index + 1), context.diagnostics);
        Options o = read_plain(reader, schema::condition());
        AutomationCondition c;
        auto kind = one_of(reader, {"time", "above", "below", "is"}, "what must hold");
        if (kind == std::string("time")) {
            c.kind = AutomationCondition::Kind::time;
            const std::string text = o.has("time") ? o.string("time") : std::string();
            auto dash = text.find('-');
            int from = -1, to = -1;
            if (dash != std::string::npos) {
                from = parse_time_of_day(text.substr(0, dash)).value_or(-1);
                to = parse_time_of_day(text.substr(dash + 1)).value_or(-1);
            }
            if (!o.has("time")) {
                // reported by the option reader
            } else if (from < 0 || to < 0 || from == to)
                context.diagnostics.error(reader.find("time")->value_mark(),
                                          "'time' must be a window \"HH:MM-HH:MM\" with two different times, got '" + text + "'");
            else
                c.from_minute = from, c.to_minute = to;
        } else if (kind == std::string("above") || kind == std::string("below")) {
            c.kind = *kind == "above" ? AutomationCondition::Kind::above : AutomationCondition::Kind::below;
            c.value = o.has(*kind) ? o.number(*kind) : 0;
            if (needs(reader, o, kind->c_str(), "sensor")) {
                c.channel = o.string("sensor");
                check_reference(c.channel, Wanted::number_sensor, reader.find("sensor")->value_mark(), reader.what(), context);
            }
        } else if (kind == std::string("is")) {
            // A relay's state (on/off), or a boolean sensor's value (true/false; on/off read alike).
            const std::string is = o.has("is") ? o.string("is") : std::string();
            c.on = is == "on" || is == "true";
            if (reader.find("sensor") != nullptr && reader.find("relay") != nullptr) {
                context.diagnostics.error(reader.find("relay")->key_node.Mark(),
                                          "'is' in " + reader.what() + " compares one relay or one sensor; it has both");
            } else if (o.has("sensor")) {
                c.kind = AutomationCondition::Kind::sensor_is;
                c.channel = o.string("sensor");
                check_reference(c.channel, Wanted::boolean_sensor, reader.find("sensor")->value_mark(), reader.what(), context);
            } else {
                c.kind = AutomationCondition::Kind::relay;
                if (needs(reader, o, "is", "relay")) {
                    c.channel = o.string("relay");
                    check_reference(c.channel, Wanted::relay, reader.find("relay")->value_mark(), reader.what(), context);
                }
            }
        }
        // Keys that belong to another kind of condition: said plainly rather than ignored.
        if (kind) {
            for (const char* key : {"sensor", "relay"}) {
                const bool fits = std::string(key) == "sensor" ? *kind != "time" : *kind == "is";
                if (reader.find(key) != nullptr && !fits)
                    context.diagnostics.error(reader.find(key)->key_node.Mark(),
                                              "'" + std::string(key) + "' does not apply to a condition with '" + *kind + "'");
            }
        }
        reader.report_unknown_keys();
        out.push_back(std::move(c));
    }
    return out;
}

// `publish: TOPIC`: below the uplink's prefix, or from the root when it begins with '/'. The
// uplink's own topics (channels, commands, status, metadata) are not an automation's to write:
// a rule publishing a relay command there would act under the uplink's name, not its own.
void read_publish(MappingReader& reader, const Options& o, const MqttConfig& mqtt, AutomationAction& a,
                  LoadContext& context) {
    const auto at = reader.find("publish")->value_mark();
    if (!mqtt.enabled) {
        context.diagnostics.error(at, "'publish' in " + reader.what() +
                                          " needs the MQTT uplink: the map has no 'mqtt:' section (docs/mqtt.md)");
        return;
    }
    if (!o.has("publish")) return;  // a wrong type, reported
    const std::string written = o.string("publish");
    const bool absolute = !written.empty() && written.front() == '/';
    const std::string topic = absolute ? written.substr(1) : written;
    if (auto problem = mqtt_topic_problem(topic); !problem.empty()) {
        context.diagnostics.error(at, "'publish' topic '" + written + "' " + problem);
        return;
    }
    a.topic = absolute ? topic : mqtt.prefix + "/" + topic;
    if (a.topic.rfind(mqtt.prefix + "/", 0) == 0) {
        const std::string below = a.topic.substr(mqtt.prefix.size() + 1);
        const std::string level = below.substr(0, below.find('/'));
        for (const char* own : {"sensor", "relay", "text", "status", "meta"})
            if (level == own)
                context.diagnostics.error(at, "'publish' topic '" + a.topic + "' is one of the uplink's own (" +
                                                  mqtt.prefix + "/" + own + "...); choose another level, e.g. " +
                                                  mqtt.prefix + "/events/...");
    }
    a.text = o.has("payload") ? o.string("payload") : std::string();
    if (a.text.size() > 4096) context.diagnostics.error(reader.find("payload")->value_mark(), "'payload' must be at most 4096 bytes");
    a.retain = o.has("retain") && o.boolean("retain");
    a.qos = o.has("qos") ? static_cast<int>(o.integer("qos")) : mqtt.qos;
}

std::vector<AutomationAction> read_actions(const MappingReader::Entry& entry, const std::string& owner,
                                           const MqttConfig& mqtt, LoadContext& context) {
    std::vector<AutomationAction> out;
    auto entries = list_entries(entry.value, entry.value_mark(), "actions", "action", context.diagnostics);
    if (entries.empty() && (entry.value.IsNull() || entry.value.IsSequence()))
        context.diagnostics.error(entry.value_mark(), owner + " has no actions; 'actions' must list at least one");
    if (entries.size() > automation_max_entries) {
        context.diagnostics.error(entry.value_mark(), "'actions' lists " + std::to_string(entries.size()) +
                                                          " entries; at most " + std::to_string(automation_max_entries));
        return out;
    }
    for (const auto& e : entries) {
        MappingReader reader(e.node, owner + " action #" + std::to_string(e.index + 1), context.diagnostics);
        Options o = read_plain(reader, schema::action());
        AutomationAction a;
        auto kind = one_of(reader, {"set", "toggle", "pulse", "send", "delay", "log", "publish"}, "what it does");
        if (kind) {
            const std::string& k = *kind;
            if (k == "set" || k == "toggle" || k == "pulse") {
                a.kind = k == "set" ? AutomationAction::Kind::set
                         : k == "toggle" ? AutomationAction::Kind::toggle
                                         : AutomationAction::Kind::pulse;
                if (o.has("set")) a.on = o.string("set") == "on" || o.string("set") == "true";
                if (o.has("pulse")) a.duration = o.duration("pulse");
                if (k == "toggle" && o.has("toggle") && !o.boolean("toggle"))
                    context.diagnostics.error(reader.find("toggle")->value_mark(), "'toggle' must be true (leave the action out instead)");
                if (needs(reader, o, k.c_str(), "relay")) {
                    a.channel = o.string("relay");
                    check_reference(a.channel, Wanted::relay, reader.find("relay")->value_mark(), reader.what(), context);
                }
            } else if (k == "send") {
                a.kind = AutomationAction::Kind::text;
                if (o.has("send")) a.text = o.string("send");
                if (a.text.find_first_of("\r\n") != std::string::npos || a.text.size() > 4096)
                    context.diagnostics.error(reader.find("send")->value_mark(), "'send' must be one line of at most 4096 bytes");
                if (needs(reader, o, "send", "text")) {
                    a.channel = o.string("text");
                    check_reference(a.channel, Wanted::text, reader.find("text")->value_mark(), reader.what(), context);
                }
            } else if (k == "delay") {
                a.kind = AutomationAction::Kind::delay;
                if (o.has("delay")) a.duration = o.duration("delay");
            } else if (k == "publish") {
                a.kind = AutomationAction::Kind::publish;
                read_publish(reader, o, mqtt, a, context);
            } else {
                a.kind = AutomationAction::Kind::log;
                if (o.has("log")) a.text = o.string("log");
                if (a.text.size() > 1000)
                    context.diagnostics.error(reader.find("log")->value_mark(), "'log' must be at most 1000 characters");
            }
            for (const char* key : {"relay", "text", "payload", "retain", "qos"}) {
                if (!reader.find(key)) continue;
                const std::string s = key;
                const bool fits = s == "relay"  ? k == "set" || k == "toggle" || k == "pulse"
                                  : s == "text" ? k == "send"
                                                : k == "publish";
                if (!fits)
                    context.diagnostics.error(reader.find(key)->key_node.Mark(),
                                              "'" + std::string(key) + "' does not apply to an action with '" + k + "'");
            }
        }
        reader.report_unknown_keys();
        out.push_back(std::move(a));
    }
    return out;
}

std::optional<bool> failsafe_of(const Options& o) {
    if (!o.has("failsafe") || o.string("failsafe") == "safe_state") return std::nullopt;
    return o.string("failsafe") == "on";
}

void read_automation(MappingReader& reader, AutomationConfig& a, const MqttConfig& mqtt, LoadContext& context) {
    Options head = reader.read_all(schema::automation());
    if (head.has("label")) a.label = head.string("label");
    if (a.label.empty()) a.label = a.id;
    if (head.has("enabled")) a.enabled = head.boolean("enabled");
    if (!head.has("type")) {
        reader.accept_all_keys();  // `type` is reported missing; its keys cannot be judged
        return;
    }
    const std::string& type = head.string("type");
    const std::string owner = reader.what();
    auto at = [&](const char* key) { return reader.find(key)->value_mark(); };
    if (type == "thermostat") {
        a.type = AutomationConfig::Type::thermostat;
        Options o = read_plain(reader, schema::thermostat());
        if (o.has("sensor")) {
            a.sensor = o.string("sensor");
            check_reference(a.sensor, Wanted::number_sensor, at("sensor"), owner, context);
        }
        a.cooling = o.has("mode") && o.string("mode") == "cool";
        if (o.has("setpoint")) a.setpoint = o.number("setpoint");
        if (o.has("hysteresis")) a.hysteresis = o.number("hysteresis");
        // The operator's range defaults to the sensor's declared range.
        if (const SensorConfig* sensor = find_sensor(context, a.sensor)) {
            if (sensor->info.min) a.min_setpoint = *sensor->info.min;
            if (sensor->info.max) a.max_setpoint = *sensor->info.max;
        }
        if (o.has("min_setpoint")) a.min_setpoint = o.number("min_setpoint");
        if (o.has("max_setpoint")) a.max_setpoint = o.number("max_setpoint");
        if (a.min_setpoint > a.max_setpoint)
            context.diagnostics.error(reader.mark(), owner + ": min_setpoint is above max_setpoint");
        else if (o.has("setpoint") && (a.setpoint < a.min_setpoint || a.setpoint > a.max_setpoint))
            context.diagnostics.error(at("setpoint"), "'setpoint' " + format_number(a.setpoint) + " is outside " +
                                                          format_number(a.min_setpoint) + " .. " +
                                                          format_number(a.max_setpoint) + " (min_setpoint, max_setpoint or the sensor's range)");
        if (o.has("max_age")) a.max_age = o.duration("max_age");
        a.failsafe = failsafe_of(o);
        if (o.has("override")) a.override_for = o.duration("override");
    } else if (type == "schedule") {
        a.type = AutomationConfig::Type::schedule;
        Options o = read_plain(reader, schema::schedule());
        if (const auto* times = reader.find("at")) read_times(*times, a.at, context.diagnostics);
        read_days(reader.find("days"), o, a.at, context.diagnostics);
        if (o.has("duration")) a.duration = o.duration("duration");
    } else if (type == "follow") {
        a.type = AutomationConfig::Type::follow;
        Options o = read_plain(reader, schema::follow());
        if (o.has("sensor")) {
            a.sensor = o.string("sensor");
            check_reference(a.sensor, Wanted::boolean_sensor, at("sensor"), owner, context);
        }
        if (o.has("invert")) a.invert = o.boolean("invert");
        if (o.has("delay")) a.delay = o.duration("delay");
        if (o.has("max_age")) if (o.has("max_age")) a.max_age = o.duration("max_age");
        a.failsafe = failsafe_of(o);
        if (o.has("override")) a.override_for = o.duration("override");
    } else {
        a.type = AutomationConfig::Type::rule;
        read_plain(reader, schema::rule());
        if (const auto* trigger = reader.find("trigger")) a.trigger = read_trigger(*trigger, owner, context);
        if (const auto* conditions = reader.find("conditions"))
            a.conditions = read_conditions(*conditions, owner, context);
        if (const auto* actions = reader.find("actions")) a.actions = read_actions(*actions, owner, mqtt, context);
    }
    if (a.type != AutomationConfig::Type::rule) {
        if (const auto* relay = reader.find("relay"); relay && relay->value.IsScalar()) {
            a.relay = relay->value.Scalar();
            check_reference(a.relay, Wanted::relay, relay->value_mark(), owner, context);
        }
    }
}

}  // namespace

std::vector<AutomationConfig> read_automations(const YAML::Node& section, const MqttConfig& mqtt, LoadContext& context) {
    std::vector<AutomationConfig> out;
    std::map<std::string, SourceLocation> ids;
    for (const auto& entry : list_entries(section, section.Mark(), "automations", "automation", context.diagnostics)) {
        MappingReader reader(entry.node, entry_name(entry.node, "automation", entry.index), context.diagnostics);
        AutomationConfig a;
        a.where = context.diagnostics.location(entry.node.Mark());
        bool ok_id = false;
        if (const auto* id = reader.find("id"); id && id->value.IsScalar()) {
            a.id = id->value.Scalar();
            if (!schema::is_identifier(a.id)) {
                context.diagnostics.error(id->value_mark(), "'id' must be 1 to 64 letters, digits, '_' or '-', got '" + a.id + "'");
            } else if (auto first = ids.find(a.id); first != ids.end()) {
                context.diagnostics.error(id->value_mark(), "duplicate automation id '" + a.id + "' (first defined at " +
                                                                first->second.str() + ")");
            } else {
                ids.emplace(a.id, context.diagnostics.location(id->value_mark()));
                ok_id = true;
            }
        }
        read_automation(reader, a, mqtt, context);
        reader.report_unknown_keys();
        if (ok_id) out.push_back(std::move(a));
    }
    return out;
}

}  // namespace hwb::devicemap
