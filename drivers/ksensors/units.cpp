#include "ksensors/units.h"

#include <cctype>
#include <map>

namespace hwb::ksensors {
namespace {

Quantity temperature() {
    return {"temperature", "m°C", {{"°C", 0.001, 0}, {"°F", 0.0018, 32}, {"K", 0.001, 273.15}, {"m°C", 1, 0}}};
}
Quantity millivolts() { return {"voltage", "mV", {{"V", 0.001, 0}, {"mV", 1, 0}, {"µV", 1000, 0}}}; }
Quantity milliamperes() { return {"current", "mA", {{"A", 0.001, 0}, {"mA", 1, 0}, {"µA", 1000, 0}}}; }
Quantity millipercent() { return {"relative humidity", "m%", {{"%", 0.001, 0}, {"m%", 1, 0}}}; }

const std::map<std::string, Quantity>& iio_table() {
    static const std::map<std::string, Quantity> table = {
        {"temp", temperature()},
        {"voltage", millivolts()},
        {"current", milliamperes()},
        {"humidityrelative", millipercent()},
        {"pressure", {"pressure", "kPa", {{"hPa", 10, 0}, {"Pa", 1000, 0}, {"kPa", 1, 0}, {"mbar", 10, 0}, {"bar", 0.01, 0}}}},
        {"power", {"power", "mW", {{"W", 0.001, 0}, {"mW", 1, 0}}}},
        {"illuminance", {"illuminance", "lx", {{"lx", 1, 0}}}},
        {"resistance", {"resistance", "Ω", {{"Ω", 1, 0}, {"kΩ", 0.001, 0}}}},
        {"distance", {"distance", "m", {{"m", 1, 0}, {"cm", 100, 0}, {"mm", 1000, 0}}}},
        {"accel", {"acceleration", "m/s²", {{"m/s²", 1, 0}}}},
        {"steps", {"steps", "steps", {{"steps", 1, 0}}}},
    };
    return table;
}

const std::map<std::string, Quantity>& hwmon_table() {
    static const std::map<std::string, Quantity> table = {
        {"temp", temperature()},
        {"in", millivolts()},
        {"curr", milliamperes()},
        {"humidity", millipercent()},
        {"fan", {"fan speed", "RPM", {{"RPM", 1, 0}}}},
        {"power", {"power", "µW", {{"W", 1e-6, 0}, {"mW", 1e-3, 0}, {"µW", 1, 0}}}},
        {"energy", {"energy", "µJ", {{"J", 1e-6, 0}, {"Wh", 1.0 / 3.6e9, 0}, {"kWh", 1.0 / 3.6e12, 0}, {"µJ", 1, 0}}}},
        {"freq", {"frequency", "Hz", {{"Hz", 1, 0}}}},
    };
    return table;
}

// Spellings people type for the same unit.
std::string canonical_unit(const std::string& unit) {
    static const std::map<std::string, std::string> aliases = {
        {"C", "°C"}, {"degC", "°C"}, {"℃", "°C"}, {"F", "°F"}, {"degF", "°F"}, {"℉", "°F"},
        {"uV", "µV"}, {"μV", "µV"}, {"uA", "µA"}, {"μA", "µA"}, {"uW", "µW"}, {"μW", "µW"}, {"uJ", "µJ"},
        {"μJ", "µJ"}, {"%RH", "%"}, {"lux", "lx"}, {"ohm", "Ω"}, {"Ohm", "Ω"}, {"kohm", "kΩ"},
        {"rpm", "RPM"}, {"mC", "m°C"}, {"m/s^2", "m/s²"},
    };
    auto it = aliases.find(unit);
    return it == aliases.end() ? unit : it->second;
}

std::string strip_index(const std::string& s) {
    std::size_t end = s.size();
    while (end > 0 && std::isdigit(static_cast<unsigned char>(s[end - 1]))) --end;
    return s.substr(0, end);
}

}  // namespace

const Quantity* iio_quantity(const std::string& type) {
    auto it = iio_table().find(type);
    return it == iio_table().end() ? nullptr : &it->second;
}

const Quantity* hwmon_quantity(const std::string& type) {
    auto it = hwmon_table().find(type);
    return it == hwmon_table().end() ? nullptr : &it->second;
}

const Quantity& w1_temperature() {
    static const Quantity q = temperature();
    return q;
}

std::optional<Conversion> find_conversion(const Quantity& q, const std::string& unit) {
    std::string want = canonical_unit(unit);
    for (const auto& c : q.units)
        if (c.unit == want) return c;
    return std::nullopt;
}

std::string unit_list(const Quantity& q) {
    std::string out;
    for (const auto& c : q.units) out += (out.empty() ? "" : ", ") + c.unit;
    return out;
}

std::string iio_channel_type(const std::string& channel) {
    if (channel.rfind("in_", 0) != 0 || channel.size() <= 3) return "";
    std::string rest = channel.substr(3);
    // A differential channel names two: in_voltage0-voltage1.
    rest = rest.substr(0, rest.find('-'));
    // A modified channel names its axis or kind after an underscore: in_accel_x, in_intensity_ir.
    rest = rest.substr(0, rest.find('_'));
    return strip_index(rest);
}

std::string hwmon_channel_type(const std::string& channel) {
    std::string head = channel.substr(0, channel.find('_'));
    return strip_index(head);
}

}  // namespace hwb::ksensors
