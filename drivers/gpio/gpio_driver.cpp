#include "gpio/gpio_driver.h"

#include <sstream>

#include "gpio/gpio_config.h"
#include "gpio/gpio_device.h"

namespace hwb {

void register_gpio_driver(DriverRegistry& registry, std::shared_ptr<gpio::Backend> backend, const std::string& name) {
    std::shared_ptr<gpio::Backend> shared = backend ? std::move(backend) : std::shared_ptr<gpio::Backend>(gpio::make_system_backend());
    registry.add(DriverInfo{
        .name = name,
        .description = "GPIO inputs as sensors and outputs as relays (" + shared->describe() + ")",
        .device_options = gpio::device_option_specs(),
        .sensor_options = gpio::sensor_option_specs(),
        .relay_options = gpio::relay_option_specs(),
        .text_options = {},
        .check = gpio::check_settings,
        .create = [shared](const DeviceConfig& config, DeviceContext& context) {
            return gpio::create_gpio_device(config, context, shared);
        },
    });
}

bool gpio_chip_list(gpio::Backend& backend, std::string& out) {
    auto chips = backend.list();
    if (!chips.ok()) {
        out = chips.error().message + "\n";
        return false;
    }
    std::ostringstream s;
    if (chips.value().empty()) s << "no GPIO chips found (" << backend.describe() << ")\n";
    for (const auto& chip : chips.value()) {
        // By label only: chip numbers change between kernels (the Pi 5's header chip was gpiochip4, then
        // gpiochip0, and some kernels number from 10), labels do not.
        s << chip.name << " [" << chip.label << "] " << chip.path << ", " << chip.lines.size() << " lines  (map: chip: "
          << chip.label << ")\n";
        for (const auto& line : chip.lines) {
            s << "  line " << line.offset << ": " << (line.name.empty() ? "unnamed" : line.name);
            s << (line.output ? "  output" : "  input");
            if (line.active_low) s << "  active-low";
            if (line.used) s << "  used by " << (line.consumer.empty() ? "the kernel" : "'" + line.consumer + "'");
            s << "\n";
        }
    }
    out = s.str();
    return true;
}

bool gpio_chip_list(std::string& out) {
    auto backend = gpio::make_system_backend();
    return gpio_chip_list(*backend, out);
}

}  // namespace hwb
