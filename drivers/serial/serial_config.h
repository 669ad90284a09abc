// The serial driver's keys in the device map (docs/device-map.md, "serial"), their specs, and the
// typed settings built from them. Building the settings is also the cross-key check run by
// --check, so the two can never disagree.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/driver.h"
#include "serial/extract.h"
#include "serial/filters.h"
#include "serial/port.h"
#include "serial/port_finder.h"

namespace hwb::serial {

std::vector<OptionSpec> device_option_specs();
std::vector<OptionSpec> sensor_option_specs();
std::vector<OptionSpec> relay_option_specs();
std::vector<OptionSpec> text_option_specs();

struct PortSettings {
    std::optional<std::string> path;   // `port:`
    std::optional<UsbMatch> usb;       // `usb_vendor:` ...
    LineSettings line;
    bool fixed_frames = false;
    std::string delimiter = "\n";
    std::size_t frame_length = 0;
    std::size_t max_frame = 1024;
    Millis reconnect_min{500};
    Millis reconnect_max{30000};
    Millis settle{0};                  // after each open: input dropped, output held this long
    std::string name() const;  // for messages: the path or the USB match
};

// What happens to a value outside the sensor's `range` (`out_of_range:`).
enum class OutOfRange : std::uint8_t { drop, clamp, publish };

struct SensorSettings {
    std::string id;
    ExtractSpec extract;
    FilterSpec filter;
    std::optional<double> min;  // the sensor's `range`
    std::optional<double> max;
    OutOfRange out_of_range = OutOfRange::drop;
};

struct RelaySettings {
    std::string id;
    std::string on_command;              // bytes, escapes resolved
    std::string off_command;
    std::optional<std::string> confirm_on;   // patterns
    std::optional<std::string> confirm_off;
    Millis confirm_timeout{1000};
    std::optional<std::string> query_command;
    int query_attempts = 3;  // unanswered queries before the state counts as lost
};

struct TextSettings {
    std::string id;
    std::string line_ending = "\n";
};

struct SerialSettings {
    PortSettings port;
    std::vector<SensorSettings> sensors;
    std::vector<RelaySettings> relays;
    std::vector<TextSettings> texts;
};

struct ParsedSettings {
    SerialSettings settings;
    std::vector<OptionProblem> problems;  // empty: valid
};

ParsedSettings parse_settings(const DeviceConfig& config);
// DriverInfo::check
std::vector<OptionProblem> check_settings(const DeviceConfig& config);

}  // namespace hwb::serial
