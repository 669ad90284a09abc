#include "serial/serial_driver.h"

#include "serial/port_finder.h"
#include "serial/serial_config.h"
#include "serial/serial_device.h"

namespace hwb {

void register_serial_driver(DriverRegistry& registry) {
    registry.add(DriverInfo{
        .name = "serial",
        .description = "sensors, relays and text consoles over serial ports (termios; USB match via libserialport)",
        .device_options = serial::device_option_specs(),
        .sensor_options = serial::sensor_option_specs(),
        .relay_options = serial::relay_option_specs(),
        .text_options = serial::text_option_specs(),
        .check = serial::check_settings,
        .create = serial::create_serial_device,
    });
}

std::string serial_port_list() { return serial::format_port_list(serial::list_ports()); }

}  // namespace hwb
