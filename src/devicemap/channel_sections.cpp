// The channel sections `sensors:`, `relays:` and `texts:`. Each channel names its device; its
// extra keys are checked against that device's driver (sensor_options, relay_options, ...).
#include <algorithm>
#include <tuple>

#include "devicemap/bounds.h"
#include "devicemap/entry_name.h"
#include "devicemap/mapping_reader.h"
#include "devicemap/option_reader.h"
#include "devicemap/scalars.h"
#include "devicemap/schema.h"
#include "devicemap/sections.h"
#include "devicemap/suggest.h"

namespace hwb::devicemap {

namespace {

// What every channel has, read before its kind-specific keys.
struct ChannelHead {
    std::string id;
    std::string label;
    SourceLocation where;
    DeviceConfig* device = nullptr;     // nullptr: undefined device (reported)
    const DriverInfo* driver = nullptr; // nullptr: unknown driver or device
};

DeviceConfig* find_device(LoadContext& context, const std::string& id) {
    auto it = std::find_if(context.devices.begin(), context.devices.end(),
                           [&](const DeviceConfig& d) { return d.id == id; });
    return it == context.devices.end() ? nullptr : &*it;
}

void check_channel_id(const std::string& id, const YAML::Mark& at, LoadContext& context) {
    Diagnostics& diagnostics = context.diagnostics;
    if (!schema::is_identifier(id)) {
        diagnostics.error(at, "'id' must be 1 to 64 letters, digits, '_' or '-', got '" + id + "'");
        return;
    }
    if (auto first = context.channel_ids.find(id); first != context.channel_ids.end()) {
        diagnostics.error(at, "duplicate channel id '" + id + "' (first defined at " + first->second.str() + ")");
        return;
    }
    context.channel_ids.emplace(id, diagnostics.location(at));
}

ChannelHead read_head(MappingReader& reader, LoadContext& context) {
    ChannelHead head;
    head.where = context.diagnostics.location(reader.mark());
    Options common = reader.read_all(schema::channel());
    if (common.has("id")) {
        head.id = common.string("id");
        check_channel_id(head.id, reader.find("id")->value_mark(), context);
    }
    head.label = common.has("label") ? common.string("label") : head.id;
    if (common.has("device")) {
        const std::string& device_id = common.string("device");
        head.device = find_device(context, device_id);
        if (head.device == nullptr) {
            std::vector<std::string> known;
            for (const auto& d : context.devices) known.push_back(d.id);
            context.diagnostics.error(reader.find("device")->value_mark(),
                                      reader.what() + " refers to undefined device '" + device_id + "'" +
                                          did_you_mean(device_id, known));
        } else {
            head.driver = context.device_drivers[device_id];
        }
    }
    return head;
}

// The driver's options for this channel kind, or accept anything when the driver is unknown
// (that error was reported at the device or the `device:` key already).
Options read_driver_options(MappingReader& reader, const ChannelHead& head,
                            std::vector<OptionSpec> DriverInfo::*kind_options) {
    if (head.driver == nullptr) {
        reader.accept_all_keys();
        return {};
    }
    return reader.read_all(head.driver->*kind_options);
}

// `range: [min, max]`: two numbers with min < max.
void read_range(MappingReader& reader, SensorInfo& info) {
    const auto* entry = reader.find("range");
    if (entry == nullptr) return;
    const YAML::Node& value = entry->value;
    Diagnostics& diagnostics = reader.diagnostics();
    std::optional<double> low, high;
    if (value.IsSequence() && value.size() == 2 && value[0].IsScalar() && value[1].IsScalar()) {
        low = parse_number(value[0].Scalar());
        high = parse_number(value[1].Scalar());
    }
    if (!low || !high) {
        diagnostics.error(entry->value_mark(), "'range' must be [min, max] with two numbers, got " + describe(value));
        return;
    }
    if (!(*low < *high)) {
        diagnostics.error(entry->value_mark(), "'range' must have min < max, got [" + value[0].Scalar() + ", " +
                                                   value[1].Scalar() + "]");
        return;
    }
    if (info.type != SensorType::number) {
        diagnostics.error(entry->key_node.Mark(), "'range' applies only to sensors of type number");
        return;
    }
    info.min = low;
    info.max = high;
}

// A group title or an on/off word: shown as is, so short, not blank, no control characters.
void check_ui_text(const MappingReader::Entry& entry, const std::string& text, Diagnostics& diagnostics) {
    bool blank = text.find_first_not_of(" \t") == std::string::npos;
    bool control = std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
    if (blank || control || text.size() > schema::max_ui_text_length)
        diagnostics.error(entry.value_mark(), "'" + entry.key + "' must be 1 to " + std::to_string(schema::max_ui_text_length) +
                                                  " bytes of text without control characters, got '" + excerpt(text) + "'");
}

// `ui:` of any channel: where and how the page shows it. `ui:` alone means all defaults.
ChannelUi read_ui(MappingReader& reader, Diagnostics& diagnostics) {
    ChannelUi ui;
    const auto* entry = reader.find("ui");
    if (entry == nullptr || entry->value.IsNull()) return ui;
    if (!entry->value.IsMap()) {
        diagnostics.error(entry->value_mark(), "'ui' of " + reader.what() +
                                                   " must be a mapping of order, group, hidden, compact; got " +
                                                   describe(entry->value));
        return ui;
    }
    MappingReader own(entry->value, "'ui' of " + reader.what(), diagnostics);
    Options o = own.read_all(schema::channel_ui());
    if (o.has("order")) ui.order = o.integer("order");
    if (o.has("hidden")) ui.hidden = o.boolean("hidden");
    if (o.has("compact")) ui.compact = o.boolean("compact");
    if (o.has("group")) {
        ui.group = o.string("group");
        check_ui_text(*own.find("group"), ui.group, diagnostics);
    }
    own.report_unknown_keys();
    return ui;
}

// device_class, on_text, off_text: words for a two-state thing, so only for boolean sensors and
// relays (`applies`); the class fills in the words the map does not give.
ChannelWords read_words(MappingReader& reader, bool applies, Diagnostics& diagnostics) {
    ChannelWords words;
    if (!applies) {
        for (const char* key : {"device_class", "on_text", "off_text"})
            if (const auto* entry = reader.find(key))
                diagnostics.error(entry->key_node.Mark(), "'" + std::string(key) + "' applies only to sensors of type boolean");
        return words;
    }
    Options o = reader.read_all(schema::channel_words());
    const schema::DeviceClass* known = nullptr;
    if (o.has("device_class")) {
        words.device_class = o.string("device_class");
        known = schema::find_device_class(words.device_class);
    }
    for (auto [key, text, fallback] : {std::tuple{"on_text", &words.on_text, known ? known->on_text : ""},
                                       std::tuple{"off_text", &words.off_text, known ? known->off_text : ""}}) {
        if (o.has(key)) {
            *text = o.string(key);
            check_ui_text(*reader.find(key), *text, diagnostics);
        } else {
            *text = fallback;
        }
    }
    return words;
}

// Relay states may be written on/off or as YAML booleans true/false (YAML 1.1 readers treat
// on/off as booleans, so people use both); we read the scalar text and accept either spelling.
std::optional<std::string> read_relay_state(MappingReader& reader, const OptionSpec& spec) {
    const auto* entry = reader.find(spec.key);
    if (entry == nullptr) return spec.fallback ? std::optional(std::get<std::string>(*spec.fallback)) : std::nullopt;
    if (entry->value.IsScalar()) {
        if (entry->value.Scalar() == "true") return std::string("on");
        if (entry->value.Scalar() == "false") return std::string("off");
    }
    auto value = read_option(entry->value, entry->value_mark(), spec, reader.diagnostics());
    if (!value) return std::nullopt;
    return std::get<std::string>(*value);
}

// A sensor's `history:`: false (keep nothing of it), or its own raw/minute/hour/spacing. Absent or
// `true`: the history section's settings.
std::optional<ChannelHistory> read_sensor_history(MappingReader& reader, Diagnostics& diagnostics) {
    const auto* entry = reader.find("history");
    if (entry == nullptr || entry->value.IsNull()) return std::nullopt;
    if (entry->value.IsScalar() && (entry->value.Scalar() == "false" || entry->value.Scalar() == "true")) {
        if (entry->value.Scalar() == "true") return std::nullopt;
        ChannelHistory none;
        none.keep = false;
        return none;
    }
    if (!entry->value.IsMap()) {
        diagnostics.error(entry->value_mark(), "'history' of " + reader.what() +
                                                   " must be false or a mapping of raw, minute, hour, spacing; got " +
                                                   describe(entry->value));
        return std::nullopt;
    }
    MappingReader own(entry->value, "'history' of " + reader.what(), diagnostics);
    Options o = own.read_all(schema::sensor_history());
    ChannelHistory history;
    if (o.has("raw")) history.raw = o.duration("raw");
    if (o.has("minute")) history.minute = o.duration("minute");
    if (o.has("hour")) history.hour = o.duration("hour");
    if (o.has("spacing")) history.spacing = o.duration("spacing");
    own.report_unknown_keys();
    return history;
}

// Returns the device the sensor was added to (nullptr: none).
DeviceConfig* read_sensor(MappingReader& reader, LoadContext& context) {
    ChannelHead head = read_head(reader, context);
    SensorConfig sensor;
    sensor.where = head.where;
    sensor.info.id = head.id;
    sensor.info.label = head.label;
    Options own = reader.read_all(schema::sensor());
    if (own.has("unit")) sensor.info.unit = own.string("unit");
    if (own.has("type") && own.string("type") == "boolean") sensor.info.type = SensorType::boolean;
    sensor.info.precision = own.has("precision") ? static_cast<int>(own.integer("precision"))
                            : sensor.info.type == SensorType::boolean ? 0
                                                                      : 2;
    read_range(reader, sensor.info);
    sensor.info.words = read_words(reader, sensor.info.type == SensorType::boolean, context.diagnostics);
    sensor.info.ui = read_ui(reader, context.diagnostics);
    if (auto history = read_sensor_history(reader, context.diagnostics); history && !head.id.empty())
        context.sensor_history[head.id] = *history;
    sensor.options = read_driver_options(reader, head, &DriverInfo::sensor_options);
    reader.report_unknown_keys();
    if (head.device == nullptr) return nullptr;
    sensor.info.device = head.device->id;
    sensor.info.device_label = head.device->label;
    head.device->sensors.push_back(std::move(sensor));
    return head.device;
}

// Returns the device the relay was added to (nullptr: none).
DeviceConfig* read_relay(MappingReader& reader, LoadContext& context) {
    ChannelHead head = read_head(reader, context);
    RelayConfig relay;
    relay.where = head.where;
    relay.info.id = head.id;
    relay.info.label = head.label;
    const auto specs = schema::relay();  // safe_state, initial
    auto safe_state = read_relay_state(reader, specs[0]);
    auto initial = read_relay_state(reader, specs[1]);
    if (safe_state && *safe_state != "none") relay.info.safe_state = *safe_state == "on";
    // Without an explicit initial state, start in the safe state: the state the hardware should
    // be in whenever nobody asked for anything else.
    relay.info.initial_on = initial ? *initial == "on" : relay.info.safe_state.value_or(false);
    Options policy = reader.read_all(schema::relay_policy());
    auto ms = [&](const char* key) { return policy.has(key) ? policy.duration(key).count() : std::int64_t{0}; };
    relay.info.max_on_ms = ms("max_on");
    relay.info.min_on_ms = ms("min_on");
    relay.info.min_off_ms = ms("min_off");
    if (policy.has("interlock")) {
        relay.info.interlock = policy.string("interlock");
        if (const SourceLocation* where = policy.location("interlock"))
            context.interlock_groups[relay.info.interlock].emplace_back(relay.info.id, *where);
    }
    read_channel_access(reader, head.id, context);
    relay.info.words = read_words(reader, true, context.diagnostics);
    relay.info.ui = read_ui(reader, context.diagnostics);
    relay.options = read_driver_options(reader, head, &DriverInfo::relay_options);
    reader.report_unknown_keys();
    if (head.device == nullptr) return nullptr;
    relay.info.device = head.device->id;
    relay.info.device_label = head.device->label;
    head.device->relays.push_back(std::move(relay));
    return head.device;
}

// Returns the device the text was added to (nullptr: none).
DeviceConfig* read_text(MappingReader& reader, LoadContext& context) {
    ChannelHead head = read_head(reader, context);
    TextConfig text;
    text.where = head.where;
    text.info.id = head.id;
    text.info.label = head.label;
    Options own = reader.read_all(schema::text());
    if (own.has("history_lines")) text.info.history_lines = static_cast<std::size_t>(own.integer("history_lines"));
    if (own.has("max_line_bytes")) text.info.max_line_bytes = static_cast<std::size_t>(own.integer("max_line_bytes"));
    read_channel_access(reader, head.id, context);
    text.info.ui = read_ui(reader, context.diagnostics);
    text.options = read_driver_options(reader, head, &DriverInfo::text_options);
    reader.report_unknown_keys();
    if (head.device == nullptr) return nullptr;
    text.info.device = head.device->id;
    text.info.device_label = head.device->label;
    head.device->texts.push_back(std::move(text));
    return head.device;
}

template <class ReadOne>
void read_channels(const YAML::Node& section, const std::string& name, const std::string& noun,
                   LoadContext& context, ReadOne read_one) {
    for (const auto& entry : list_entries(section, section.Mark(), name, noun, context.diagnostics)) {
        const std::size_t errors_before = context.diagnostics.count();
        MappingReader reader(entry.node, entry_name(entry.node, noun, entry.index), context.diagnostics);
        DeviceConfig* device = read_one(reader, context);
        if (device != nullptr && context.diagnostics.count() != errors_before)
            context.incomplete_devices.insert(device->id);
    }
}

}  // namespace

void read_sensors(const YAML::Node& section, LoadContext& context) {
    read_channels(section, "sensors", "sensor", context, read_sensor);
}

void read_relays(const YAML::Node& section, LoadContext& context) {
    read_channels(section, "relays", "relay", context, read_relay);
}

void read_texts(const YAML::Node& section, LoadContext& context) {
    read_channels(section, "texts", "text", context, read_text);
}

void check_interlock_groups(LoadContext& context) {
    std::vector<std::string> names;
    for (const auto& [group, members] : context.interlock_groups) names.push_back(group);
    for (const auto& [group, members] : context.interlock_groups) {
        if (members.size() != 1) continue;
        std::vector<std::string> others;
        for (const auto& name : names)
            if (name != group) others.push_back(name);
        context.diagnostics.error(members[0].second,
                                  "interlock group '" + group + "' has only relay '" + members[0].first +
                                      "'; a group needs two relays or more to keep apart" +
                                      did_you_mean(group, others));
    }
}

}  // namespace hwb::devicemap
