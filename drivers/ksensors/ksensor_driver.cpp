#include "ksensors/ksensor_driver.h"

#include <cctype>
#include <cstdio>
#include <sstream>

#include "ksensors/hwmon.h"
#include "ksensors/iio.h"
#include "ksensors/ksensor_config.h"
#include "ksensors/ksensor_device.h"
#include "ksensors/w1.h"

namespace hwb {
namespace {

using ksensors::Kind;

void add(DriverRegistry& registry, Kind kind, std::string description, std::shared_ptr<ksensors::SysfsFiles> files) {
    registry.add(DriverInfo{
        .name = ksensors::to_string(kind),
        .description = std::move(description),
        .device_options = ksensors::device_option_specs(kind),
        .sensor_options = ksensors::sensor_option_specs(kind),
        .relay_options = {},
        .text_options = {},
        .check = [kind](const DeviceConfig& d) { return ksensors::check_settings(kind, d); },
        .create = [kind, files](const DeviceConfig& config, DeviceContext& context) {
            return ksensors::create_device(kind, config, context, files);
        },
    });
}

std::string value_text(const Result<double>& v) {
    if (!v.ok()) return "(" + v.error().message + ")";
    char buf[48];
    std::snprintf(buf, sizeof buf, "%g", v.value());
    return buf;
}

// A map id from a kernel name: bme280 -> bme280, cpu_thermal -> cpu_thermal, 28-0316a2794bff -> t_0316a2794bff.
std::string id_from(const std::string& s) {
    std::string out;
    for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
    return out;
}

std::string unit_hint(const ksensors::Quantity* q) {
    if (q == nullptr) return "";
    return q->units.front().unit;
}

}  // namespace

void register_kernel_sensor_drivers(DriverRegistry& registry, const std::string& sysfs_root) {
    register_kernel_sensor_drivers(registry, ksensors::make_sysfs(sysfs_root));
}

void register_kernel_sensor_drivers(DriverRegistry& registry, std::shared_ptr<ksensors::SysfsFiles> files) {
    add(registry, Kind::iio, "Industrial I/O sensors the kernel drives (BME280, ADS1115...) by device name", files);
    add(registry, Kind::hwmon, "hardware monitoring chips the kernel drives (cpu_thermal, lm75...) by chip name", files);
    add(registry, Kind::w1, "1-Wire thermometers (DS18B20) through the kernel's w1_therm, CRC checked", files);
}

std::string kernel_sensor_list(const std::string& sysfs_root) {
    auto files = ksensors::make_sysfs(sysfs_root);
    std::ostringstream s;
    auto iio = ksensors::list_iio_devices(*files);
    s << "IIO devices (driver: iio)" << (iio.empty() ? ": none" : "") << "\n";
    for (const auto& d : iio) {
        s << "  " << d.node << " name '" << d.name << "'" << (d.label.empty() ? "" : " label '" + d.label + "'")
          << (d.bus.empty() ? "" : " at " + d.bus) << "\n";
        auto channels = ksensors::iio_channels(*files, d.dir);
        for (const auto& c : channels) {
            const auto* q = ksensors::iio_quantity(ksensors::iio_channel_type(c));
            s << "    " << c << " = " << value_text(ksensors::read_iio_channel(*files, d.dir, c))
              << (q ? " " + q->abi_unit : "") << "\n";
        }
        s << "  map:\n    devices:\n      - id: " << id_from(d.name) << "\n        driver: iio\n        name: " << d.name
          << "\n";
        if (!d.label.empty()) s << "        kernel_label: \"" << d.label << "\"\n";
        if (!d.bus.empty()) s << "        bus: \"" << d.bus << "\"\n";
        s << "    sensors:\n";
        for (const auto& c : channels) {
            const auto* q = ksensors::iio_quantity(ksensors::iio_channel_type(c));
            s << "      - { id: " << id_from(d.name) << "_" << id_from(c.substr(3)) << ", device: " << id_from(d.name)
              << ", channel: " << c;
            if (q) s << ", unit: \"" << unit_hint(q) << "\"";
            s << " }\n";
        }
    }
    auto chips = ksensors::list_hwmon_chips(*files);
    s << "hwmon chips (driver: hwmon)" << (chips.empty() ? ": none" : "") << "\n";
    for (const auto& c : chips) {
        s << "  " << c.node << " name '" << c.name << "'" << (c.bus.empty() ? "" : " at " + c.bus) << "\n";
        auto inputs = ksensors::hwmon_inputs(*files, c.dir);
        for (const auto& in : inputs) {
            const auto* q = ksensors::hwmon_quantity(ksensors::hwmon_channel_type(in));
            s << "    " << in << " = " << value_text(ksensors::read_hwmon_channel(*files, c.dir, in))
              << (q ? " " + q->abi_unit : "") << "\n";
        }
        s << "  map:\n    devices:\n      - { id: " << id_from(c.name) << ", driver: hwmon, name: " << c.name << " }\n";
        s << "    sensors:\n";
        for (const auto& in : inputs) {
            const auto* q = ksensors::hwmon_quantity(ksensors::hwmon_channel_type(in));
            s << "      - { id: " << id_from(c.name) << "_" << in << ", device: " << id_from(c.name) << ", channel: " << in;
            if (q) s << ", unit: \"" << unit_hint(q) << "\"";
            s << " }\n";
        }
    }
    auto thermometers = ksensors::list_w1_thermometers(*files);
    s << "1-Wire thermometers (driver: w1)" << (thermometers.empty() ? ": none" : "") << "\n";
    if (!thermometers.empty()) {
        // Not read here: each read is a conversion of up to 750 ms.
        for (const auto& t : thermometers) s << "  " << t << "\n";
        s << "  map:\n    devices:\n      - { id: onewire, driver: w1 }\n    sensors:\n";
        for (const auto& t : thermometers)
            s << "      - { id: t_" << id_from(t.substr(3)) << ", device: onewire, address: " << t << ", unit: \"°C\" }\n";
    }
    return s.str();
}

}  // namespace hwb
