// Entry points: parse the YAML, walk the top-level mapping, hand each section to its reader, and
// produce a DeviceMap only when nothing was wrong anywhere.
#include "devicemap/loader.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include <yaml-cpp/yaml.h>

#include "devicemap/diagnostics.h"
#include "devicemap/mapping_reader.h"
#include "devicemap/option_reader.h"
#include "devicemap/schema.h"
#include "devicemap/sections.h"
#include "devicemap/yaml_document.h"

namespace hwb {

namespace {

using devicemap::Diagnostics;
using devicemap::LoadContext;
using devicemap::MappingReader;

void read_map(const YAML::Node& root, LoadContext& context, DeviceMap& map) {
    Diagnostics& diagnostics = context.diagnostics;
    if (!root.IsMap()) {
        diagnostics.error(root.Mark(), "the device map must be a mapping with a 'devices' list, got " +
                                           devicemap::describe(root));
        return;
    }
    MappingReader reader(root, "the device map", diagnostics);
    for (const auto& spec : devicemap::schema::top_level()) reader.find(spec.key);  // all others are unknown

    if (const auto* bridge = reader.find("bridge")) map.bridge = devicemap::read_bridge(bridge->value, context);
    if (const auto* auth = reader.find("auth")) map.auth = devicemap::read_auth(auth->value, context);

    const auto* devices = reader.find("devices");
    if (devices == nullptr) {
        reader.missing("devices", "a list of devices, each with an 'id' and a 'driver'");
    } else if (devices->value.IsNull() || (devices->value.IsSequence() && devices->value.size() == 0)) {
        diagnostics.error(devices->value_mark(), "'devices' must list at least one device");
    } else {
        devicemap::read_devices(devices->value, context);
    }
    // Channels after devices: they refer to devices by id. context.devices does not grow from here
    // on, so the channel readers may keep pointers into it.
    if (const auto* sensors = reader.find("sensors")) devicemap::read_sensors(sensors->value, context);
    if (const auto* relays = reader.find("relays")) devicemap::read_relays(relays->value, context);
    if (const auto* texts = reader.find("texts")) devicemap::read_texts(texts->value, context);
    if (const auto* mqtt = reader.find("mqtt")) map.mqtt = devicemap::read_mqtt(mqtt->value, map.bridge.name, context);
    if (const auto* automations = reader.find("automations"))
        map.automations = devicemap::read_automations(automations->value, map.mqtt, context);
    if (const auto* history = reader.find("history")) map.history = devicemap::read_history(history->value, context);
    map.history.channels = std::move(context.sensor_history);
    reader.report_unknown_keys();
    devicemap::check_interlock_groups(context);
    devicemap::run_driver_checks(context, map.mqtt);
    devicemap::check_auth(root, map.bridge, map.auth, context);
}

}  // namespace

LoadResult load_device_map_string(const std::string& yaml, const std::string& file_name,
                                  const DriverRegistry& drivers, const LoadOptions& options) {
    Diagnostics diagnostics(file_name);
    LoadContext context{.diagnostics = diagnostics, .drivers = drivers, .probe_files = options.probe_files};
    DeviceMap map;
    map.path = file_name;
    try {
        if (auto root = devicemap::parse_single_document(yaml, diagnostics)) read_map(*root, context, map);
    } catch (const YAML::Exception& e) {
        // Should not happen (we check types before converting), but bad input must never escape
        // as an exception.
        diagnostics.error(e.mark, "cannot read the device map: " + e.msg);
    }

    LoadResult result;
    if (diagnostics.empty()) {
        map.devices = std::move(context.devices);
        result.map = std::move(map);
    }
    result.error_count = diagnostics.count();
    result.errors = diagnostics.take_sorted();
    return result;
}

LoadResult load_device_map_file(const std::string& path, const DriverRegistry& drivers) {
    auto unreadable = [&](int error) {
        LoadResult result;
        result.errors.push_back(Diagnostic{SourceLocation{path, 0, 0}, std::string("cannot read: ") + std::strerror(error)});
        result.error_count = 1;
        return result;
    };
    // A directory opens fine as a stream and then reads as empty; say what it is instead.
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return unreadable(EISDIR);
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) return unreadable(errno != 0 ? errno : ENOENT);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return unreadable(errno != 0 ? errno : EIO);
    return load_device_map_string(text, path, drivers);
}

}  // namespace hwb
