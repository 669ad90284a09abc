#include "test_maps.h"

#include <stdexcept>

#include "sim/sim_driver.h"

namespace hwb::test {

namespace {

// Rules across keys, like a real driver's: one per kind of OptionProblem location.
std::vector<OptionProblem> check_probe(const DeviceConfig& device) {
    const Options& o = device.options;
    if (o.string("port") == "throw") throw std::runtime_error("probe exploded");
    std::vector<OptionProblem> problems;
    if (o.has("gain") && o.string("parity") == "odd")
        problems.push_back({.key = "gain", .message = "'gain' cannot be combined with 'parity: odd'"});
    if (o.has("tags") && o.strings("tags").empty())
        problems.push_back({.key = "", .message = "an empty 'tags' list is not allowed"});
    for (const auto& sensor : device.sensors)
        if (sensor.options.number("scale") == 0)
            problems.push_back({ChannelKind::sensor, sensor.info.id, "scale", "'scale' must not be 0"});
    return problems;
}

}  // namespace

DriverRegistry test_drivers() {
    DriverRegistry registry;
    register_sim_driver(registry);
    using std::chrono::milliseconds;
    registry.add(DriverInfo{
        .name = "probe",
        .description = "options of every type, for tests",
        .device_options =
            {
                {.key = "port", .type = OptionType::string, .required = true},
                {.key = "verbose", .type = OptionType::boolean, .fallback = false},
                {.key = "tags", .type = OptionType::string_list},
                {.key = "timeout", .type = OptionType::duration, .fallback = milliseconds(1000), .min = 10,
                 .max = 60000},
                {.key = "gain", .type = OptionType::number, .min = -1, .max = 1},
                {.key = "retries", .type = OptionType::integer, .fallback = std::int64_t{3}, .min = 0, .max = 9},
                {.key = "parity", .type = OptionType::choice, .fallback = std::string("none"),
                 .choices = {"none", "even", "odd"}},
            },
        .sensor_options = {{.key = "scale", .type = OptionType::number, .fallback = 1.0}},
        .relay_options = {},
        .text_options = {},
        .check = check_probe,
        .create = [](const DeviceConfig&, DeviceContext&) -> std::unique_ptr<Device> { return nullptr; },
    });
    return registry;
}

LoadResult load(const std::string& yaml) {
    const std::string text = !yaml.empty() && yaml.front() == '\n' ? yaml.substr(1) : yaml;
    return load_device_map_string(text, "map.yaml", test_drivers());
}

std::vector<std::string> error_lines(const LoadResult& result) {
    std::vector<std::string> lines;
    for (const auto& error : result.errors) lines.push_back(error.str());
    return lines;
}

}  // namespace hwb::test
