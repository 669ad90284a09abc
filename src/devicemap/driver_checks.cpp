// Runs each driver's cross-key rules (DriverInfo::check, check_against_uplink) and reports their problems at the
// file:line:col of the key they name, so they read like every other device-map error.
#include <exception>

#include "devicemap/sections.h"

namespace hwb::devicemap {

namespace {

// Where the channel `id` of `kind` is in `device`, with its options; nullptr if there is none.
struct ChannelEntry {
    const Options* options;
    const SourceLocation* where;
};

template <class Config>
std::optional<ChannelEntry> find_in(const std::vector<Config>& channels, const std::string& id) {
    for (const auto& channel : channels)
        if (channel.info.id == id) return ChannelEntry{&channel.options, &channel.where};
    return std::nullopt;
}

std::optional<ChannelEntry> find_channel(const DeviceConfig& device, ChannelKind kind, const std::string& id) {
    switch (kind) {
        case ChannelKind::sensor: return find_in(device.sensors, id);
        case ChannelKind::relay: return find_in(device.relays, id);
        case ChannelKind::text: return find_in(device.texts, id);
    }
    return std::nullopt;
}

// The key's value if it was written, else the entry (device or channel) it belongs to.
SourceLocation problem_location(const DeviceConfig& device, const OptionProblem& problem) {
    const Options* options = &device.options;
    const SourceLocation* where = &device.where;
    if (!problem.channel.empty()) {
        if (auto channel = find_channel(device, problem.kind, problem.channel)) {
            options = channel->options;
            where = channel->where;
        }
    }
    if (!problem.key.empty())
        if (const SourceLocation* at = options->location(problem.key)) return *at;
    return *where;
}

}  // namespace

void run_driver_checks(LoadContext& context, const MqttConfig& uplink) {
    for (auto& device : context.devices) {
        if (context.incomplete_devices.count(device.id) != 0) continue;
        const DriverInfo* driver = context.device_drivers[device.id];
        if (driver == nullptr || !driver->take_from_uplink) continue;
        try {
            driver->take_from_uplink(device, uplink);
        } catch (const std::exception& e) {
            context.diagnostics.error(device.where, "driver '" + device.driver + "' failed to read the mqtt section for device '" +
                                                        device.id + "': " + e.what());
        }
    }
    for (const auto& device : context.devices) {
        if (context.incomplete_devices.count(device.id) != 0) continue;
        const DriverInfo* driver = context.device_drivers[device.id];
        if (driver == nullptr || (!driver->check && !driver->check_against_uplink)) continue;
        std::vector<OptionProblem> problems;
        try {
            if (driver->check) problems = driver->check(device);
            if (driver->check_against_uplink)
                for (auto& problem : driver->check_against_uplink(device, uplink)) problems.push_back(std::move(problem));
        } catch (const std::exception& e) {
            // A driver bug, but a map must never crash the loader: report it at the device.
            context.diagnostics.error(device.where, "driver '" + device.driver + "' failed to check device '" +
                                                        device.id + "': " + e.what());
            continue;
        }
        for (const auto& problem : problems) context.diagnostics.error(problem_location(device, problem), problem.message);
    }
}

}  // namespace hwb::devicemap
