// Fuzzes the device-map loader with arbitrary YAML text, with the daemon's own drivers registered
// so their option schemas and cross-key checks run too. The loader must never throw, crash or hang,
// and must produce either a map or at least one located error, never both.
#include <cstddef>
#include <cstdint>
#include <string>

#include "devicemap/loader.h"
#include "gpio/gpio_driver.h"
#include "serial/serial_driver.h"
#include "sim/sim_driver.h"

namespace {

const hwb::DriverRegistry& drivers() {
    static const hwb::DriverRegistry registry = [] {
        hwb::DriverRegistry r;
        hwb::register_sim_driver(r);
        hwb::register_serial_driver(r);
        hwb::register_gpio_driver(r);
        return r;
    }();
    return registry;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string yaml(reinterpret_cast<const char*>(data), size);
    const hwb::LoadResult result = hwb::load_device_map_string(yaml, "fuzz.yaml", drivers());
    if (result.ok() == !result.errors.empty()) __builtin_trap();
    for (const auto& error : result.errors) {
        if (error.message.empty() || error.str().empty()) __builtin_trap();
    }
    if (result.ok() && result.map->devices.empty()) __builtin_trap();  // a map needs at least one device
    return 0;
}
