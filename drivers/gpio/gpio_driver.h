// The `gpio` driver: GPIO inputs as sensors (levels, or edge rates) and outputs as relays, through
// libgpiod (v1 or v2, chosen at build time). Keys: docs/device-map.md, section "gpio".
#pragma once

#include <memory>
#include <string>

#include "core/driver.h"
#include "gpio/gpio_backend.h"

namespace hwb {

// Registers the driver under `name` ("gpio" in hwbridge; tests register "gpio-memory" over an
// in-memory chip). Without a backend, the libgpiod one of this build.
void register_gpio_driver(DriverRegistry& registry, std::shared_ptr<gpio::Backend> backend = nullptr,
                          const std::string& name = "gpio");

// `hwbridge --list-gpio`: every chip with its lines, names and consumers. Returns false (with the
// reason in `out`) when the chips cannot be read.
bool gpio_chip_list(gpio::Backend& backend, std::string& out);
bool gpio_chip_list(std::string& out);

}  // namespace hwb
