#include "gpio/gpio_config.h"

#include <algorithm>
#include <map>

namespace hwb::gpio {

std::vector<OptionSpec> device_option_specs() {
    return {
        {.key = "chip", .type = OptionType::string,
         .help = "GPIO chip by name (gpiochip0), path (/dev/gpiochip4) or label (pinctrl-rp1)", .required = true},
        {.key = "consumer", .type = OptionType::string,
         .help = "name under which the lines are held, shown to other programs (gpioinfo)",
         .fallback = std::string("hwbridge")},
        {.key = "retry", .type = OptionType::duration,
         .help = "time between attempts to open a missing chip or a busy line", .fallback = std::chrono::milliseconds(5000),
         .min = 100, .max = 3600000},
    };
}

std::vector<OptionSpec> sensor_option_specs() {
    return {
        {.key = "line", .type = OptionType::string, .help = "line offset (17) or line name (GPIO17)", .required = true},
        {.key = "bias", .type = OptionType::choice, .help = "pull resistor of the input",
         .fallback = std::string("as_is"), .choices = {"as_is", "disabled", "pull_up", "pull_down"}},
        {.key = "active_low", .type = OptionType::boolean, .help = "a low level means true (e.g. a button to ground)",
         .fallback = false},
        {.key = "debounce", .type = OptionType::duration,
         .help = "a level must be stable this long before it counts", .fallback = std::chrono::milliseconds(0),
         .min = 0, .max = 10000},
        {.key = "mode", .type = OptionType::choice,
         .help = "state: the line's level as a boolean; count: edges per second (times scale) as a number",
         .fallback = std::string("state"), .choices = {"state", "count"}},
        {.key = "edge", .type = OptionType::choice, .help = "edges counted in mode count",
         .fallback = std::string("rising"), .choices = {"rising", "falling", "both"}},
        {.key = "rate_window", .type = OptionType::duration,
         .help = "mode count: edges are counted over this window, and a rate published after each",
         .fallback = std::chrono::milliseconds(1000), .min = 10, .max = 3600000},
        {.key = "scale", .type = OptionType::number, .help = "mode count: the published value is edges per second times this",
         .fallback = 1.0},
    };
}

std::vector<OptionSpec> relay_option_specs() {
    return {
        {.key = "line", .type = OptionType::string, .help = "line offset (17) or line name (GPIO17)", .required = true},
        {.key = "active_low", .type = OptionType::boolean, .help = "on drives the line low (most relay boards)",
         .fallback = false},
    };
}

LineRef parse_line(const std::string& text) {
    LineRef ref{text, false, 0};
    if (!text.empty() && text.size() <= 6 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        ref.by_offset = true;
        ref.offset = static_cast<unsigned>(std::stoul(text));
    }
    return ref;
}

std::vector<OptionProblem> check_settings(const DeviceConfig& device) {
    std::vector<OptionProblem> problems;
    std::map<std::string, std::string> line_users;  // normalised line -> channel
    auto claim = [&](ChannelKind kind, const std::string& id, const Options& o) {
        LineRef ref = parse_line(o.string("line"));
        if (ref.text.empty()) {
            problems.push_back({kind, id, "line", "'line' must be an offset (17) or a line name (GPIO17)"});
            return;
        }
        std::string key = ref.by_offset ? "#" + std::to_string(ref.offset) : ref.text;
        auto [it, fresh] = line_users.emplace(key, id);
        if (!fresh)
            problems.push_back({kind, id, "line",
                                "line '" + ref.text + "' is already used by channel '" + it->second + "' of device '" +
                                    device.id + "'"});
    };
    for (const auto& s : device.sensors) {
        const auto& o = s.options;
        claim(ChannelKind::sensor, s.info.id, o);
        bool count = o.string("mode") == "count";
        if (count && s.info.type == SensorType::boolean)
            problems.push_back({ChannelKind::sensor, s.info.id, "mode",
                                "a gpio sensor in mode count publishes a rate: it must have type: number, not boolean"});
        if (!count && s.info.type != SensorType::boolean)
            problems.push_back({ChannelKind::sensor, s.info.id, "",
                                "a gpio sensor in mode state is on/off: add 'type: boolean' (or 'mode: count' for a rate)"});
        if (!count)
            for (const char* key : {"edge", "rate_window", "scale"})
                if (o.location(key) != nullptr)
                    problems.push_back({ChannelKind::sensor, s.info.id, key,
                                        std::string("'") + key + "' applies only with 'mode: count'"});
    }
    for (const auto& r : device.relays) claim(ChannelKind::relay, r.info.id, r.options);
    for (const auto& t : device.texts)
        problems.push_back({ChannelKind::text, t.info.id, "", "the gpio driver has no text channels (use serial or sim)"});
    return problems;
}

GpioConfig parse_settings(const DeviceConfig& device) {
    GpioConfig config;
    config.chip = device.options.string("chip");
    config.consumer = device.options.string("consumer");
    config.retry = device.options.duration("retry");
    for (const auto& s : device.sensors) {
        const auto& o = s.options;
        InputConfig in;
        in.id = s.info.id;
        in.line = parse_line(o.string("line"));
        const auto& bias = o.string("bias");
        in.settings.bias = bias == "pull_up"     ? Bias::pull_up
                           : bias == "pull_down" ? Bias::pull_down
                           : bias == "disabled"  ? Bias::disabled
                                                 : Bias::as_is;
        in.settings.active_low = o.boolean("active_low");
        in.settings.debounce = o.duration("debounce");
        in.mode = o.string("mode") == "count" ? InputMode::count : InputMode::state;
        const auto& edge = o.string("edge");
        in.count_rising = edge != "falling";
        in.count_falling = edge != "rising";
        in.rate_window = o.duration("rate_window");
        in.scale = o.number("scale");
        config.inputs.push_back(std::move(in));
    }
    for (const auto& r : device.relays)
        config.outputs.push_back({r.info.id, parse_line(r.options.string("line")), r.options.boolean("active_low"),
                                  r.info.initial_on});
    return config;
}

}  // namespace hwb::gpio
