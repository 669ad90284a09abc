// The `devices:` section: each device names its driver, whose device_options it must satisfy.
#include "devicemap/entry_name.h"
#include "devicemap/mapping_reader.h"
#include "devicemap/schema.h"
#include "devicemap/sections.h"
#include "devicemap/suggest.h"

namespace hwb::devicemap {

namespace {

// The driver named by the device, or nullptr after reporting that it is unknown.
const DriverInfo* find_driver(const MappingReader::Entry& entry, const std::string& name, const std::string& what,
                              LoadContext& context) {
    if (const DriverInfo* driver = context.drivers.find(name)) return driver;
    const auto known = context.drivers.names();
    context.diagnostics.error(entry.value_mark(), what + " uses unknown driver '" + name + "' (known drivers: " +
                                                      (known.empty() ? "none" : join(known)) + ")" +
                                                      did_you_mean(name, known));
    return nullptr;
}

void read_device(const YAML::Node& node, std::size_t index, LoadContext& context) {
    Diagnostics& diagnostics = context.diagnostics;
    const std::size_t errors_before = diagnostics.count();
    MappingReader reader(node, entry_name(node, "device", index), diagnostics);
    Options common = reader.read_all(schema::device());

    DeviceConfig device;
    device.where = diagnostics.location(reader.mark());
    bool usable_id = false;
    if (common.has("id")) {
        device.id = common.string("id");
        const auto* entry = reader.find("id");
        if (!schema::is_identifier(device.id)) {
            diagnostics.error(entry->value_mark(), "'id' must be 1 to 64 letters, digits, '_' or '-', got '" +
                                                       device.id + "'");
        } else if (auto first = context.device_ids.find(device.id); first != context.device_ids.end()) {
            diagnostics.error(entry->value_mark(), "duplicate device id '" + device.id + "' (first defined at " +
                                                       first->second.str() + ")");
        } else {
            context.device_ids.emplace(device.id, diagnostics.location(entry->value_mark()));
            usable_id = true;
        }
    }
    device.label = common.has("label") ? common.string("label") : device.id;

    const DriverInfo* driver = nullptr;
    if (common.has("driver")) {
        device.driver = common.string("driver");
        driver = find_driver(*reader.find("driver"), device.driver, reader.what(), context);
    }
    if (driver != nullptr) {
        device.options = reader.read_all(driver->device_options);
    } else {
        // Without a driver we cannot tell its options from typos; the driver error says enough.
        reader.accept_all_keys();
    }
    reader.report_unknown_keys();

    if (!usable_id) return;
    // Kept even with errors in it, so its channels are checked too instead of each reporting an
    // undefined device.
    context.device_drivers[device.id] = driver;
    if (diagnostics.count() != errors_before) context.incomplete_devices.insert(device.id);
    context.devices.push_back(std::move(device));
}

}  // namespace

void read_devices(const YAML::Node& section, LoadContext& context) {
    for (const auto& entry : list_entries(section, section.Mark(), "devices", "device", context.diagnostics))
        read_device(entry.node, entry.index, context);
}

}  // namespace hwb::devicemap
