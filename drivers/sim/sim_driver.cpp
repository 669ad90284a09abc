#include "sim/sim_driver.h"

#include <memory>

namespace hwb {

namespace {

std::vector<OptionSpec> device_options() {
    return {
        {.key = "seed", .type = OptionType::integer, .help = "seed of the noise generator (same seed, same noise)",
         .fallback = std::int64_t{1}, .min = 0, .max = 4294967295.0},
    };
}

std::vector<OptionSpec> sensor_options() {
    return {
        {.key = "signal", .type = OptionType::choice, .help = "waveform of the simulated value",
         .fallback = std::string("sine"), .choices = {"sine", "triangle", "square", "random_walk", "constant", "toggle"}},
        {.key = "period", .type = OptionType::duration, .help = "period of the waveform (toggle: time between changes)",
         .fallback = std::chrono::milliseconds(60000), .min = 1, .max = 86400000},
        {.key = "low", .type = OptionType::number, .help = "lowest value of the waveform (default: range min, or 0)"},
        {.key = "high", .type = OptionType::number, .help = "highest value of the waveform (default: range max, or 1)"},
        {.key = "noise", .type = OptionType::number, .help = "amplitude of uniform noise added to each reading",
         .fallback = 0.0, .min = 0},
        {.key = "rate", .type = OptionType::number, .help = "readings per second", .fallback = 1.0, .min = 0.01,
         .max = 10000},
    };
}

std::vector<OptionSpec> relay_options() {
    return {
        {.key = "latency", .type = OptionType::duration, .help = "simulated switching time before the state is confirmed",
         .fallback = std::chrono::milliseconds(20), .min = 0, .max = 10000},
        {.key = "fail_every", .type = OptionType::integer,
         .help = "every Nth write fails with a hardware error and leaves the state unchanged (0: never)",
         .fallback = std::int64_t{0}, .min = 0, .max = 1000000},
    };
}

std::vector<OptionSpec> text_options() {
    return {
        {.key = "mode", .type = OptionType::choice,
         .help = "echo: answers every line with `reply_prefix` + the line; status: prints a status line every `interval`",
         .fallback = std::string("echo"), .choices = {"echo", "status"}},
        {.key = "reply_prefix", .type = OptionType::string, .help = "prefix of echoed lines", .fallback = std::string("")},
        {.key = "interval", .type = OptionType::duration, .help = "time between status lines",
         .fallback = std::chrono::milliseconds(5000), .min = 10, .max = 86400000},
    };
}

}  // namespace

std::unique_ptr<Device> create_sim_device(const DeviceConfig& config, DeviceContext& context);

void register_sim_driver(DriverRegistry& registry) {
    registry.add(DriverInfo{
        .name = "sim",
        .description = "simulated sensors, relays and text channels; no hardware needed",
        .device_options = device_options(),
        .sensor_options = sensor_options(),
        .relay_options = relay_options(),
        .text_options = text_options(),
        .create = create_sim_device,
    });
}

}  // namespace hwb
