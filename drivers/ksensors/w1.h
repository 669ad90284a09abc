// 1-Wire thermometers through the kernel's w1_therm driver (Documentation/w1/slaves/w1_therm.rst,
// Linux 6.1): /sys/bus/w1/devices/28-xxxxxxxxxxxx/w1_slave. Reading w1_slave starts a conversion and
// returns after it (up to 750 ms at 12 bits), with the scratchpad and the kernel's CRC verdict:
//   72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
//   72 01 4b 46 7f ff 0e 10 57 t=23125
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ksensors/sysfs_files.h"

namespace hwb::ksensors {

// "28-0316a2794bff": a family code and 48-bit serial as the kernel names the slave folder.
bool valid_w1_address(const std::string& address);
// Families w1_therm serves: DS18S20 (10), DS1822 (22), DS18B20 (28), DS1825 (3b), DS28EA00 (42).
bool w1_thermometer_family(const std::string& address);

// The temperature in m°C from w1_slave's text: error "crc" when the kernel says NO, "parse" when the
// text has another shape, "power_on" for the 85 °C a DS18B20 reports before its first conversion,
// "zeros" for an all-zero scratchpad (a shorted data line passes the CRC so).
Result<double> parse_w1_slave(const std::string& text);

// 1-Wire thermometers on the bus, by address.
std::vector<std::string> list_w1_thermometers(const SysfsFiles& files);
// One thermometer's value in m°C: w1_slave, else the `temperature` file (CRC checked by the kernel).
Result<double> read_w1_thermometer(const SysfsFiles& files, const std::string& address);

std::unique_ptr<Source> make_w1_source(std::shared_ptr<SysfsFiles> files, std::vector<std::string> addresses);

}  // namespace hwb::ksensors
