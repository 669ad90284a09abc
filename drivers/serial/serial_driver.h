// The `serial` driver: sensors, relays and text consoles over serial ports (USB adapters, UARTs,
// pseudo-terminals), surviving unplugs. Keys: docs/device-map.md, section "serial".
#pragma once

#include "core/driver.h"

namespace hwb {

// Registers the driver under the name "serial".
void register_serial_driver(DriverRegistry& registry);

// `hwbridge --list-ports`: every serial port with its USB ids, as map keys.
std::string serial_port_list();

}  // namespace hwb
