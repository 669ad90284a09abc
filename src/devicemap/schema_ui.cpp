// How the page shows a channel: the `ui:` block of every channel, and the words of boolean
// sensors and relays (`device_class`, `on_text`, `off_text`). Display only: the loader passes
// them to clients in hello, no driver sees them (docs/device-map.md, "How the page shows a channel").
#include "devicemap/schema.h"

namespace hwb::devicemap::schema {

const std::vector<DeviceClass>& device_classes() {
    // On first, as the hardware reports it: a door sensor that reads on is open.
    static const std::vector<DeviceClass> classes = {
        {"door", "Open", "Closed"},      {"window", "Open", "Closed"},   {"valve", "Open", "Closed"},
        {"lock", "Unlocked", "Locked"},  {"moisture", "Wet", "Dry"},     {"motion", "Motion", "Clear"},
        {"running", "Running", "Stopped"}, {"power", "On", "Off"},       {"light", "On", "Off"},
        {"heat", "Heating", "Off"},
    };
    return classes;
}

const DeviceClass* find_device_class(std::string_view name) {
    for (const auto& c : device_classes())
        if (name == c.name) return &c;
    return nullptr;
}

std::vector<OptionSpec> channel_ui() {
    return {
        {.key = "order", .type = OptionType::integer,
         .help = "position on the page: lower first, equal orders in map order (default 0)",
         .fallback = std::int64_t{0}, .min = -9999, .max = 9999},
        {.key = "group", .help = "title of the page section the channel is shown in (default: none)"},
        {.key = "hidden", .type = OptionType::boolean,
         .help = "not shown on the page's dashboard; clients can still use it", .fallback = false},
        {.key = "compact", .type = OptionType::boolean,
         .help = "shown as a one-line row even in the card view", .fallback = false},
    };
}

std::vector<OptionSpec> channel_words() {
    std::vector<std::string> names;
    for (const auto& c : device_classes()) names.emplace_back(c.name);
    return {
        {.key = "device_class", .type = OptionType::choice,
         .help = "what it is, for the page's words and icon (door: Open/Closed, moisture: Wet/Dry, ...)",
         .choices = names},
        {.key = "on_text", .help = "word for on (default: the device class's, else On)"},
        {.key = "off_text", .help = "word for off (default: the device class's, else Off)"},
    };
}

}  // namespace hwb::devicemap::schema
