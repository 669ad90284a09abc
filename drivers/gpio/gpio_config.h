// The gpio driver's map keys (docs/device-map.md, section "gpio"), their cross-key rules, and the
// settings they turn into.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/driver.h"
#include "gpio/gpio_backend.h"

namespace hwb::gpio {

std::vector<OptionSpec> device_option_specs();
std::vector<OptionSpec> sensor_option_specs();
std::vector<OptionSpec> relay_option_specs();
std::vector<OptionProblem> check_settings(const DeviceConfig& device);

// `line: 17` is an offset, `line: GPIO17` a name.
struct LineRef {
    std::string text;
    bool by_offset = false;
    unsigned offset = 0;
};
LineRef parse_line(const std::string& text);

enum class InputMode : std::uint8_t { state, count };

struct InputConfig {
    std::string id;
    LineRef line;
    InputSettings settings;
    InputMode mode = InputMode::state;
    bool count_rising = true;
    bool count_falling = false;
    std::chrono::milliseconds rate_window{1000};
    double scale = 1;
};

struct OutputConfig {
    std::string id;
    LineRef line;
    bool active_low = false;
    bool initial_on = false;
};

struct GpioConfig {
    std::string chip;
    std::string consumer;
    std::chrono::milliseconds retry{5000};
    std::vector<InputConfig> inputs;
    std::vector<OutputConfig> outputs;
};

// Only for a map that passed validation and check_settings.
GpioConfig parse_settings(const DeviceConfig& device);

}  // namespace hwb::gpio
