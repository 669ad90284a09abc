// The kernel's hardware monitoring chips in sysfs (Documentation/hwmon/sysfs-interface.rst, Linux
// 6.1): /sys/class/hwmon/hwmonN/{name,temp1_input,in0_input,fan1_input,...}; values in the ABI's
// units (m°C, mV, mA, RPM, µW, µJ, m%).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ksensors/sysfs_files.h"

namespace hwb::ksensors {

// A chip is chosen by its `name` (cpu_thermal, rpi_volt, lm75), never by the hwmonN index.
struct HwmonSelector {
    std::string name;
    std::string bus;  // optional: a folder on the chip's device path, e.g. 1-0048
};

struct HwmonChip {
    std::string dir;   // class/hwmon/hwmon0
    std::string node;  // hwmon0
    std::string name;
    std::string bus;   // the parent device's folder (1-0048, thermal_zone0...), may be empty
};

std::vector<HwmonChip> list_hwmon_chips(const SysfsFiles& files);
Result<HwmonChip> find_hwmon_chip(const SysfsFiles& files, const HwmonSelector& selector);
// The chip's *_input files as channel names (temp1, in0, fan1...).
std::vector<std::string> hwmon_inputs(const SysfsFiles& files, const std::string& dir);
// The file a map's `channel` names: temp1 -> temp1_input; power1_average stays as it is.
std::string hwmon_file(const std::string& channel);
Result<double> read_hwmon_channel(const SysfsFiles& files, const std::string& dir, const std::string& channel);

std::unique_ptr<Source> make_hwmon_source(std::shared_ptr<SysfsFiles> files, HwmonSelector selector,
                                          std::vector<std::string> channels);

}  // namespace hwb::ksensors
