// Drivers: one folder each under drivers/, registered by the name used in the map's `driver:` key.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/channels.h"
#include "core/device_map.h"
#include "core/event_loop.h"
#include "core/options.h"

namespace hwb {

// What a device counts about its hardware, for GET /metrics (docs/metrics.md): each driver fills
// in what it knows; what it leaves empty is not exported. Read on the loop thread at a scrape.
struct DeviceCounters {
    // Times the device came back after it had been online and was lost (a serial port reopened).
    std::optional<std::uint64_t> reconnects;
    // Input or I/O the device could not use, by kind: a short snake_case word that becomes the
    // metric's `kind` label ("overlong_frame"); running totals since the device was opened.
    std::vector<std::pair<std::string_view, std::uint64_t>> errors;
    // Other running totals of the driver's own (Modbus requests), each a family of its own with
    // one sample per device: `name` and `help` are string literals.
    struct Total {
        const char* name;  // e.g. "hwbridge_modbus_requests_total"
        const char* help;
        std::uint64_t value = 0;
    };
    std::vector<Total> totals;
};

// A running device. Created from its DeviceConfig; binds itself to its channels in start().
// A device whose hardware is missing must not fail start(): it marks its channels offline and
// retries on its own timers.
class Device {
public:
    virtual ~Device() = default;
    virtual void start() = 0;
    // One line for the start-up summary, e.g. "simulated" or "/dev/ttyUSB0 at 115200 8N1".
    virtual std::string describe() const = 0;
    // Per-device counters (GET /metrics); a driver that counts nothing keeps the default.
    virtual DeviceCounters device_counters() const { return {}; }
};

// Channels a device found at run time rather than in the map (the mqtt driver importing another
// hwbridge by name, from its retained metadata). Complete configs, as the loader would make them.
struct FoundChannels {
    std::vector<SensorConfig> sensors;
    std::vector<RelayConfig> relays;
    std::vector<TextConfig> texts;
};

struct DeviceContext {
    EventLoop& loop;
    Channels& channels;
    // A device reports the channels it found (all of them, each time they change); the bridge
    // reloads its map with them added to the device (which is then reopened). Called from the
    // device's own callbacks: the receiver must not destroy the device before returning. Unset
    // where nothing can take them (tests, --check): they are then ignored.
    std::function<void(const std::string& device_id, FoundChannels found)> found_channels;
};

// A rule across keys broken in a device or channel entry (e.g. two ways to parse one value given
// at once). The loader reports it at the key's location, or the entry's when `key` is empty.
struct OptionProblem {
    ChannelKind kind = ChannelKind::sensor;  // ignored when `channel` is empty
    std::string channel;                     // empty: the device entry itself
    std::string key;
    std::string message;
};

struct DriverInfo {
    std::string name;         // the `driver:` value in the map
    std::string description;  // one line for --help / docs
    std::vector<OptionSpec> device_options;
    std::vector<OptionSpec> sensor_options;
    std::vector<OptionSpec> relay_options;
    std::vector<OptionSpec> text_options;
    // Optional: rules across keys, checked by the loader after each key's own validation.
    // Must not touch hardware (it runs for --check).
    std::function<std::vector<OptionProblem>(const DeviceConfig&)> check;
    // Optional: rules against the bridge's own MQTT uplink (the map's `mqtt:`, `enabled` false
    // without one), e.g. no topic of the device under the uplink's prefix. Run like `check`.
    std::function<std::vector<OptionProblem>(const DeviceConfig&, const MqttConfig& uplink)> check_against_uplink;
    // Optional, before the checks: the device takes settings from the map's `mqtt:` section (the
    // mqtt driver's `broker: uplink`), filling only options the map did not write.
    std::function<void(DeviceConfig&, const MqttConfig& uplink)> take_from_uplink;
    std::function<std::unique_ptr<Device>(const DeviceConfig&, DeviceContext&)> create;
    // Optional: the other hwbridge whose channels the device carries (ChannelInfo::origin); empty
    // for a device of its own.
    std::function<std::string(const DeviceConfig&)> origin;
};

// Passed down from main; no global registry.
class DriverRegistry {
public:
    void add(DriverInfo info);
    const DriverInfo* find(const std::string& name) const;
    std::vector<std::string> names() const;

private:
    std::map<std::string, DriverInfo> drivers_;
};

}  // namespace hwb
