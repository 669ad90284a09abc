// Drivers: one folder each under drivers/, registered by the name used in the map's `driver:` key.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/channels.h"
#include "core/device_map.h"
#include "core/event_loop.h"
#include "core/options.h"

namespace hwb {

// A running device. Created from its DeviceConfig; binds itself to its channels in start().
// A device whose hardware is missing must not fail start(): it marks its channels offline and
// retries on its own timers.
class Device {
public:
    virtual ~Device() = default;
    virtual void start() = 0;
    // One line for the start-up summary, e.g. "simulated" or "/dev/ttyUSB0 at 115200 8N1".
    virtual std::string describe() const = 0;
};

struct DeviceContext {
    EventLoop& loop;
    Channels& channels;
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
    std::function<std::unique_ptr<Device>(const DeviceConfig&, DeviceContext&)> create;
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
