#include "ksensors/ksensor_config.h"

#include <cctype>

#include "ksensors/hwmon.h"
#include "ksensors/w1.h"

namespace hwb::ksensors {
namespace {

using std::chrono::milliseconds;

// Names that stay inside the device's folder: letters, digits, '_' and '-' (in_voltage0-voltage1).
bool plain_attribute_name(const std::string& s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
    return true;
}

bool bus_name(const std::string& s) {
    if (s.empty() || s.size() > 64 || s == "." || s == "..") return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' && c != ':') return false;
    return true;
}

OptionSpec interval_spec(Kind kind) {
    if (kind == Kind::w1)
        // A DS18B20 converts for up to 750 ms at 12 bits, and the read waits for it.
        return {.key = "interval", .type = OptionType::duration,
                .help = "time between readings of the thermometers (each read waits for a conversion of up to 750 ms)",
                .fallback = milliseconds(5000), .min = 1000, .max = 3600000};
    return {.key = "interval", .type = OptionType::duration,
            .help = "time between readings of the channels; a missing device is looked for again at this pace",
            .fallback = milliseconds(1000), .min = 10, .max = 3600000};
}

}  // namespace

const char* to_string(Kind kind) {
    switch (kind) {
        case Kind::iio: return "iio";
        case Kind::hwmon: return "hwmon";
        case Kind::w1: return "w1";
    }
    return "?";
}

std::vector<OptionSpec> device_option_specs(Kind kind) {
    std::vector<OptionSpec> specs;
    if (kind == Kind::iio) {
        specs.push_back({.key = "name", .type = OptionType::string,
                         .help = "the IIO device's name attribute (bme280, ads1115); never its iio:deviceN index",
                         .required = true});
        specs.push_back({.key = "kernel_label", .type = OptionType::string,
                         .help = "optional: the device's label attribute (from the device tree) must be this"});
        specs.push_back({.key = "bus", .type = OptionType::string,
                         .help = "optional: a folder on the device's sysfs path, e.g. 1-0076 (I2C bus 1, address 0x76)"});
    } else if (kind == Kind::hwmon) {
        specs.push_back({.key = "name", .type = OptionType::string,
                         .help = "the hwmon chip's name attribute (cpu_thermal, rpi_volt, lm75); never its hwmonN index",
                         .required = true});
        specs.push_back({.key = "bus", .type = OptionType::string,
                         .help = "optional: a folder on the chip's device path, e.g. 1-0048"});
    }
    specs.push_back(interval_spec(kind));
    return specs;
}

std::vector<OptionSpec> sensor_option_specs(Kind kind) {
    std::vector<OptionSpec> specs;
    if (kind == Kind::iio)
        specs.push_back({.key = "channel", .type = OptionType::string,
                         .help = "IIO channel: in_temp, in_humidityrelative, in_pressure, in_voltage0, in_voltage0-voltage1",
                         .required = true});
    else if (kind == Kind::hwmon)
        specs.push_back({.key = "channel", .type = OptionType::string,
                         .help = "hwmon input: temp1, in0, fan1, curr1, power1 (reads <channel>_input), or a file such as power1_average",
                         .required = true});
    else
        specs.push_back({.key = "address", .type = OptionType::string,
                         .help = "the thermometer's 1-Wire id as the kernel names it: 28-0316a2794bff", .required = true});
    specs.push_back({.key = "scale", .type = OptionType::number,
                     .help = "optional: the value (in the sensor's unit) is multiplied by this..."});
    specs.push_back({.key = "offset", .type = OptionType::number, .help = "optional: ...and this is added"});
    return specs;
}

const Quantity* quantity_of(Kind kind, const std::string& channel) {
    switch (kind) {
        case Kind::iio: return iio_quantity(iio_channel_type(channel));
        case Kind::hwmon: return hwmon_quantity(hwmon_channel_type(channel));
        case Kind::w1: return &w1_temperature();
    }
    return nullptr;
}

std::vector<OptionProblem> check_settings(Kind kind, const DeviceConfig& device) {
    std::vector<OptionProblem> problems;
    const char* driver = to_string(kind);
    for (const char* key : {"name", "kernel_label"}) {
        if (!device.options.has(key)) continue;
        const auto& v = device.options.string(key);
        if (v.empty() || v.size() > 128 || v.find_first_of("/\n") != std::string::npos)
            problems.push_back({ChannelKind::sensor, "", key, std::string("'") + key + "' must be a name as sysfs shows it, without '/'"});
    }
    if (device.options.has("bus") && !bus_name(device.options.string("bus")))
        problems.push_back({ChannelKind::sensor, "", "bus",
                            "'bus' must be one folder name of the device's path (1-0076, spi0.0), without '/'"});
    for (const auto& s : device.sensors) {
        const auto& o = s.options;
        std::string key = kind == Kind::w1 ? "address" : "channel";
        std::string channel = o.string(key);
        if (kind == Kind::iio && (!plain_attribute_name(channel) || iio_channel_type(channel).empty())) {
            problems.push_back({ChannelKind::sensor, s.info.id, key,
                                "'" + channel + "' is not an IIO input channel (in_temp, in_voltage0, in_pressure...; "
                                "hwbridge --list-sensors shows what the kernel offers)"});
            continue;
        }
        if (kind == Kind::hwmon && (!plain_attribute_name(channel) || hwmon_channel_type(channel).empty())) {
            problems.push_back({ChannelKind::sensor, s.info.id, key,
                                "'" + channel + "' is not a hwmon input (temp1, in0, fan1...; hwbridge --list-sensors shows them)"});
            continue;
        }
        if (kind == Kind::w1) {
            if (!valid_w1_address(channel)) {
                problems.push_back({ChannelKind::sensor, s.info.id, key,
                                    "'" + channel + "' is not a 1-Wire id as the kernel writes it: family, '-', 12 lower-case "
                                    "hex digits (28-0316a2794bff)"});
                continue;
            }
            if (!w1_thermometer_family(channel)) {
                problems.push_back({ChannelKind::sensor, s.info.id, key,
                                    "family " + channel.substr(0, 2) + " is not a thermometer the kernel's w1_therm reads "
                                    "(10, 22, 28, 3b, 42)"});
                continue;
            }
        }
        if (s.info.type == SensorType::boolean)
            problems.push_back({ChannelKind::sensor, s.info.id, "type", std::string("a ") + driver + " sensor is a number"});
        const Quantity* q = quantity_of(kind, channel);
        bool own_math = o.has("scale") || o.has("offset");
        if (q != nullptr && !own_math) {
            if (s.info.unit.empty())
                problems.push_back({ChannelKind::sensor, s.info.id, "",
                                    "say which unit to publish " + q->name + " in: 'unit:' one of " + unit_list(*q) +
                                        " (the kernel gives " + q->abi_unit + ")"});
            else if (!find_conversion(*q, s.info.unit))
                problems.push_back({ChannelKind::sensor, s.info.id, "unit",
                                    "hwbridge does not convert " + q->name + " to '" + s.info.unit + "': use one of " +
                                        unit_list(*q) + ", or give scale/offset to map the kernel's " + q->abi_unit +
                                        " yourself"});
        }
    }
    for (const auto& r : device.relays)
        problems.push_back({ChannelKind::relay, r.info.id, "", std::string("the ") + driver + " driver has only sensors"});
    for (const auto& t : device.texts)
        problems.push_back({ChannelKind::text, t.info.id, "", std::string("the ") + driver + " driver has only sensors"});
    return problems;
}

DeviceSettings parse_settings(Kind kind, const DeviceConfig& device) {
    DeviceSettings d;
    d.kind = kind;
    const auto& o = device.options;
    if (o.has("name")) d.name = o.string("name");
    if (o.has("kernel_label")) d.kernel_label = o.string("kernel_label");
    if (o.has("bus")) d.bus = o.string("bus");
    d.interval = o.duration("interval");
    for (const auto& s : device.sensors) {
        ChannelSettings c;
        c.id = s.info.id;
        c.channel = s.options.string(kind == Kind::w1 ? "address" : "channel");
        if (const Quantity* q = quantity_of(kind, c.channel); q && !s.info.unit.empty())
            c.conversion = find_conversion(*q, s.info.unit);
        if (s.options.has("scale")) c.scale = s.options.number("scale");
        if (s.options.has("offset")) c.offset = s.options.number("offset");
        d.channels.push_back(std::move(c));
    }
    return d;
}

}  // namespace hwb::ksensors
