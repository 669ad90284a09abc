// Readers for the sections of a device map. Each reads one part of the YAML, reports every problem
// it finds to the Diagnostics and returns what it could read; the loader assembles the result.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/device_map.h"
#include "core/driver.h"
#include "devicemap/diagnostics.h"

namespace hwb::devicemap {

// State shared by the section readers of one load (ids seen so far, for cross-entry checks).
struct LoadContext {
    Diagnostics& diagnostics;
    const DriverRegistry& drivers;
    bool probe_files = true;  // LoadOptions::probe_files
    std::vector<DeviceConfig> devices;              // in map order, duplicates left out
    std::map<std::string, const DriverInfo*> device_drivers;  // device id -> driver (nullptr: unknown)
    std::map<std::string, SourceLocation> device_ids;   // id -> where it was first defined
    std::map<std::string, SourceLocation> channel_ids;  // across sensors, relays and texts
    // Devices with an error in their own entry or one of their channels: their Options may lack
    // keys, so the driver's cross-key check must not see them.
    std::set<std::string> incomplete_devices;
    // interlock group -> its relays (id, where the group is named), in map order
    std::map<std::string, std::vector<std::pair<std::string, SourceLocation>>> interlock_groups;
    // Relays and texts with a `control:` other than operator (auth_section.cpp).
    std::map<std::string, Role> control;
    // Channel ids named by machine tokens, checked once all channels are known.
    std::vector<std::pair<std::string, SourceLocation>> token_channel_refs;
    // Sensors with their own `history:` key (channel_sections.cpp), for map.history.channels.
    std::map<std::string, ChannelHistory> sensor_history;
};

// `bridge:` (absent or empty: all defaults).
BridgeConfig read_bridge(const YAML::Node& section, LoadContext& context);

// `bridge.tls` and `bridge.limits` (tls_section.cpp, limits_section.cpp); `section` is the value.
TlsConfig read_tls(const YAML::Node& section, LoadContext& context);
LimitsConfig read_limits(const YAML::Node& section, LoadContext& context);
// `auth:` (absent: no authentication). Channel references are checked by check_auth.
AuthConfig read_auth(const YAML::Node& section, LoadContext& context);
// `control:` of one relay or text channel into context.control.
class MappingReader;
void read_channel_access(MappingReader& reader, const std::string& channel_id, LoadContext& context);
// After all sections: machine token channels exist and are relays or texts; a map that listens
// beyond loopback has authentication or says allow_anonymous (at `listen`, else the file).
void check_auth(const YAML::Node& root, const BridgeConfig& bridge, AuthConfig& auth, LoadContext& context);

// A file named in the map: relative paths are taken from the map's folder (tls_section.cpp).
std::string map_relative_path(const std::string& path, const std::string& map_file);
// Empty when `path` is a readable regular file, else why not.
std::string readable_file_problem(const std::string& path);

// `mqtt:` (mqtt_section.cpp); `bridge_name` gives the defaults of client_id and prefix.
MqttConfig read_mqtt(const YAML::Node& section, const std::string& bridge_name, LoadContext& context);

// `automations:` (automation_section.cpp), after all channels: they refer to sensors, relays,
// texts and devices by id.
// `mqtt` is the map's uplink (not enabled: none), for the `publish` action.
std::vector<AutomationConfig> read_automations(const YAML::Node& section, const MqttConfig& mqtt, LoadContext& context);
// Empty when `topic` can be a published topic name (or a prefix of them), else why not.
std::string mqtt_topic_problem(const std::string& topic);
// `history:` (history_section.cpp).
HistoryConfig read_history(const YAML::Node& section, LoadContext& context);

// `devices:`, one DeviceConfig per entry into context.devices.
void read_devices(const YAML::Node& section, LoadContext& context);

// `sensors:`, `relays:`, `texts:`: each channel is appended to its device in context.devices.
void read_sensors(const YAML::Node& section, LoadContext& context);
void read_relays(const YAML::Node& section, LoadContext& context);
void read_texts(const YAML::Node& section, LoadContext& context);

// Interlock groups with a single relay: the group protects nothing, so its name is most likely
// misspelt in one of the relays meant to share it.
void check_interlock_groups(LoadContext& context);

// Each complete device's DriverInfo::check (rules across keys) and check_against_uplink (with
// `uplink`, the map's `mqtt:`), their problems reported at the key they name. Runs after all
// sections, when every device has its channels.
void run_driver_checks(LoadContext& context, const MqttConfig& uplink);

// The entries of a list section, each checked to be a mapping; `noun` is "device", "sensor"...
// Reports a section that is not a list (null counts as an empty list).
struct ListEntry {
    YAML::Node node;
    std::size_t index;  // position in the list, for "sensor #3"
};
std::vector<ListEntry> list_entries(const YAML::Node& section, const YAML::Mark& at, const std::string& name,
                                     const std::string& noun, Diagnostics& diagnostics);

}  // namespace hwb::devicemap
