// The device map's own keys, as OptionSpec tables: the same validator as the drivers' options
// checks them, and docs/device-map.md lists them. Keys with structure of their own (`range`,
// `listen`, `allowed_origins` entries, relay states) get extra checks in the section readers.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/options.h"

namespace hwb::devicemap::schema {

std::vector<OptionSpec> top_level();  // bridge, auth, devices, sensors, relays, texts (names only)
std::vector<OptionSpec> bridge();
std::vector<OptionSpec> tls();     // bridge.tls
std::vector<OptionSpec> limits();  // bridge.limits
std::vector<OptionSpec> device();     // before the driver's device_options
std::vector<OptionSpec> channel();    // id, device, label: common to sensors, relays, texts
std::vector<OptionSpec> sensor();     // after channel()
std::vector<OptionSpec> relay();
std::vector<OptionSpec> relay_policy();  // max_on, min_on, min_off, interlock
std::vector<OptionSpec> text();
// Who may do what (auth_section.cpp): the `auth:` section, one `machine_tokens` entry, and the
// `control:` key of relays and texts.
std::vector<OptionSpec> auth();
std::vector<OptionSpec> machine_token();
std::vector<OptionSpec> channel_access();
// `mqtt:` (schema_mqtt.cpp, mqtt_section.cpp).
std::vector<OptionSpec> mqtt();
// `automations:` (schema_automations.cpp, automation_section.cpp): the common keys, each type's,
// and the entries of a rule's trigger, conditions and actions.
std::vector<OptionSpec> automation();
std::vector<OptionSpec> thermostat();
std::vector<OptionSpec> schedule();
std::vector<OptionSpec> follow();
std::vector<OptionSpec> rule();
std::vector<OptionSpec> trigger();
std::vector<OptionSpec> condition();
std::vector<OptionSpec> action();
// `history:` (schema_history.cpp, history_section.cpp).
std::vector<OptionSpec> history();
// A sensor's own `history:` mapping: raw, minute, hour and spacing, defaulting to the section's.
std::vector<OptionSpec> sensor_history();

// How the page shows a channel (schema_ui.cpp, channel_sections.cpp): the `ui:` block of every
// channel; device_class, on_text and off_text of boolean sensors and relays, and the classes'
// words.
std::vector<OptionSpec> channel_ui();
std::vector<OptionSpec> channel_words();
struct DeviceClass {
    const char* name;
    const char* on_text;
    const char* off_text;
};
const std::vector<DeviceClass>& device_classes();
const DeviceClass* find_device_class(std::string_view name);  // nullptr: not a class
inline constexpr std::size_t max_ui_text_length = 40;         // group titles, on_text, off_text

// Ids of devices and channels: what clients use to address them, so kept URL- and JSON-friendly.
inline constexpr std::size_t max_id_length = 64;
bool is_identifier(std::string_view id);

}  // namespace hwb::devicemap::schema
