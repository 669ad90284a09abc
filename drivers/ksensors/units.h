// What a kernel sensor file measures, the unit the kernel's ABI gives it in, and the units hwbridge
// converts it to. Sources: Documentation/ABI/testing/sysfs-bus-iio (IIO),
// Documentation/hwmon/sysfs-interface.rst (hwmon), Documentation/w1/slaves/w1_therm.rst (1-Wire),
// as of Linux 6.1.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hwb::ksensors {

// value in `unit` = value in the ABI's unit × factor + offset
struct Conversion {
    std::string unit;
    double factor = 1;
    double offset = 0;
};

struct Quantity {
    std::string name;       // "temperature"
    std::string abi_unit;   // "m°C"
    std::vector<Conversion> units;  // the first is the one docs suggest
};

// IIO channel type (the part after "in_" up to its index: "temp", "voltage", "humidityrelative").
const Quantity* iio_quantity(const std::string& type);
// hwmon attribute prefix ("temp", "in", "fan", "power", ...).
const Quantity* hwmon_quantity(const std::string& type);
// 1-Wire thermometers: milli-degrees Celsius.
const Quantity& w1_temperature();

// The conversion to `unit` (aliases such as "C" for "°C" accepted), or none when the quantity has
// no such unit.
std::optional<Conversion> find_conversion(const Quantity& q, const std::string& unit);
// "°C, °F, K, m°C" for messages.
std::string unit_list(const Quantity& q);

// "in_voltage0-voltage1" -> "voltage"; "in_temp" -> "temp"; "in_accel_x" -> "accel"; "" when the
// name is not an IIO input channel.
std::string iio_channel_type(const std::string& channel);
// "temp1" / "temp1_input" -> "temp"; "power1_average" -> "power".
std::string hwmon_channel_type(const std::string& channel);

}  // namespace hwb::ksensors
