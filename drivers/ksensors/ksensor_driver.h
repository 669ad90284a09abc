// The drivers for sensors the Linux kernel already drives: `iio` (Industrial I/O: BME280, ADS1115),
// `hwmon` (hardware monitoring: cpu_thermal, lm75) and `w1` (1-Wire thermometers: DS18B20).
// Keys: docs/device-map.md, section "iio, hwmon, w1"; guide: docs/kernel-sensors.md.
#pragma once

#include <memory>
#include <string>

#include "core/driver.h"
#include "ksensors/sysfs_files.h"

namespace hwb {

// Registers iio, hwmon and w1, reading sysfs below `sysfs_root` (/sys; tests give a folder laid out
// like it).
void register_kernel_sensor_drivers(DriverRegistry& registry, const std::string& sysfs_root = "/sys");

// The same over any files behind the SysfsFiles interface (tests inject the errors a plain file
// cannot give, such as EIO).
void register_kernel_sensor_drivers(DriverRegistry& registry, std::shared_ptr<ksensors::SysfsFiles> files);

// `hwbridge --list-sensors`: the IIO devices with their channels, the hwmon chips with their
// inputs and the 1-Wire thermometers below `sysfs_root`, each with a map entry to paste.
std::string kernel_sensor_list(const std::string& sysfs_root = "/sys");

}  // namespace hwb
