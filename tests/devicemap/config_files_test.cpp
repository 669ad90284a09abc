// Every example map shipped in config/ must load cleanly with the real drivers, so the examples
// never rot. Register the same drivers as src/app/main.cpp (add each new driver's
// register_*_driver call when its folder lands). Loading only validates: no port is opened.
#include <gtest/gtest.h>

#include <filesystem>

#include "devicemap/loader.h"
#include "ksensors/ksensor_driver.h"
#include "mqttdev/mqtt_driver.h"
#include "serial/serial_driver.h"
#include "sim/sim_driver.h"
#include "support/daemon.h"
#ifdef HWB_TEST_HAVE_GPIO_DRIVER
#include "gpio/gpio_driver.h"
#endif

namespace hwb {
namespace {

namespace fs = std::filesystem;


TEST(ShippedDeviceMaps, EveryConfigMapLoadsWithoutErrors) {
    // HWB_SOURCE_DIR (CTest sets it), else the compiled-in source folder.
    const fs::path config_dir = fs::path(test::source_dir()) / "config";

    DriverRegistry drivers;
    register_sim_driver(drivers);
    register_serial_driver(drivers);
    register_kernel_sensor_drivers(drivers);  // reads sysfs only when a device starts
    register_mqtt_driver(drivers);  // loading connects to no broker
#ifdef HWB_TEST_HAVE_GPIO_DRIVER
    register_gpio_driver(drivers);  // libgpiod backend; loading a map opens no chip
#endif

    std::vector<fs::path> maps;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(config_dir, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".yaml") maps.push_back(entry.path());
    // No maps at all means the examples are missing (or the path is wrong): not a pass.
    ASSERT_FALSE(maps.empty()) << "no *.yaml in " << config_dir << (ec ? ": " + ec.message() : "");

    for (const auto& path : maps) {
        auto result = load_device_map_file(path.string(), drivers);
        std::string errors;
        for (const auto& error : result.errors) errors += error.str() + "\n";
        EXPECT_TRUE(result.ok()) << errors;
        if (result.ok()) {
            EXPECT_FALSE(result.map->devices.empty()) << path;
        }
    }
}

}  // namespace
}  // namespace hwb
