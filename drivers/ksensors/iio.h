// The kernel's Industrial I/O devices in sysfs (Documentation/ABI/testing/sysfs-bus-iio, Linux 6.1):
// /sys/bus/iio/devices/iio:deviceN/{name,label,in_<channel>_{input,raw,offset,scale}}.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ksensors/sysfs_files.h"

namespace hwb::ksensors {

// How the map chooses a device: never by its iio:deviceN index, which changes between boots.
struct IioSelector {
    std::string name;   // the `name` attribute (the chip: bme280, ads1115, iio_dummy's configfs name)
    std::string label;  // optional: the `label` attribute (from the device tree), must match too
    std::string bus;    // optional: a folder on the device's path, e.g. 1-0076 (I2C bus 1, address 0x76)
};

struct IioDevice {
    std::string dir;    // relative to the root: bus/iio/devices/iio:device0
    std::string node;   // iio:device0
    std::string name;
    std::string label;
    std::string bus;    // the parent folder of the device on its resolved path (1-0076, spi0.0, iio_sim...)
};

std::vector<IioDevice> list_iio_devices(const SysfsFiles& files);
// Exactly one device matching; error "missing" when none, "ambiguous" when several (listing them).
Result<IioDevice> find_iio_device(const SysfsFiles& files, const IioSelector& selector);
// Input channel names of a device (in_temp, in_voltage0, in_voltage1-voltage2...): those with an
// _input or _raw file.
std::vector<std::string> iio_channels(const SysfsFiles& files, const std::string& dir);
// A channel's value in the ABI's unit: _input when present, else (_raw + _offset) × _scale, where
// _offset and _scale may be the channel's own or shared by its type (in_voltage_scale).
Result<double> read_iio_channel(const SysfsFiles& files, const std::string& dir, const std::string& channel);

std::unique_ptr<Source> make_iio_source(std::shared_ptr<SysfsFiles> files, IioSelector selector,
                                        std::vector<std::string> channels);

}  // namespace hwb::ksensors
