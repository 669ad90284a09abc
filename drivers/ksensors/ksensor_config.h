// The map keys of the iio, hwmon and w1 drivers (docs/device-map.md, "iio, hwmon, w1"), their
// cross-key rules, and the settings they turn into.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/driver.h"
#include "ksensors/units.h"

namespace hwb::ksensors {

enum class Kind : std::uint8_t { iio, hwmon, w1 };
const char* to_string(Kind kind);

std::vector<OptionSpec> device_option_specs(Kind kind);
std::vector<OptionSpec> sensor_option_specs(Kind kind);
std::vector<OptionProblem> check_settings(Kind kind, const DeviceConfig& device);

struct ChannelSettings {
    std::string id;
    std::string channel;   // iio: in_temp; hwmon: temp1; w1: the thermometer's address
    std::optional<Conversion> conversion;  // ABI unit -> the map's unit; none: as the kernel gives it
    double scale = 1;      // then value × scale + offset
    double offset = 0;
};

struct DeviceSettings {
    Kind kind = Kind::iio;
    std::string name;      // iio, hwmon
    std::string kernel_label;  // iio
    std::string bus;       // iio, hwmon
    std::chrono::milliseconds interval{1000};
    std::vector<ChannelSettings> channels;
};

// The quantity a channel measures, or none when hwbridge does not know its type.
const Quantity* quantity_of(Kind kind, const std::string& channel);

// Only for a map that passed validation and check_settings.
DeviceSettings parse_settings(Kind kind, const DeviceConfig& device);

}  // namespace hwb::ksensors
