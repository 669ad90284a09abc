// A device map on in-memory GPIO chips, run by the real gpio driver on an FdLoop: the test drives
// inputs and reads outputs like the world outside the chip, and sees what clients would see.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/channels.h"
#include "devicemap/loader.h"
#include "gpio/fd_loop.h"
#include "gpio/gpio_driver.h"
#include "gpio/memory_chip.h"

namespace hwb::test {

// The chip every rig has: 8 lines, some named like a Raspberry Pi header.
inline void add_header_chip(gpio::MemoryGpio& gpio) {
    gpio.add_chip("gpiochip0", "pinctrl-bcm2711", 8, {"ID_SDA", "ID_SCL", "", "", "GPIO4", "GPIO5", "GPIO6", "GPIO17"});
}

inline DriverRegistry memory_registry(gpio::MemoryGpio& gpio) {
    DriverRegistry registry;
    register_gpio_driver(registry, gpio.backend(), "gpio-memory");
    return registry;
}

class GpioRig : private ChannelObserver {
public:
    explicit GpioRig(const std::string& channels_yaml, const std::string& chip = "gpiochip0") {
        add_header_chip(gpio);
        auto registry = memory_registry(gpio);
        std::string yaml = "devices:\n  - id: board\n    driver: gpio-memory\n    chip: \"" + chip + "\"\n" +
                           channels_yaml;
        auto loaded = load_device_map_string(yaml, "rig.yaml", registry);
        for (const auto& e : loaded.errors) ADD_FAILURE() << e.str();
        if (!loaded.ok()) return;
        map = std::move(*loaded.map);
        channels = std::make_unique<Channels>(map, loop);
        channels->add_observer(this);
        DeviceContext context{loop, *channels};
        device = registry.find("gpio-memory")->create(map.devices[0], context);
    }
    ~GpioRig() override {
        device.reset();
        if (channels) channels->remove_observer(this);
    }

    void start() { device->start(); }
    Sensor& sensor(const std::string& id) { return *channels->sensor(id); }
    Relay& relay(const std::string& id) { return *channels->relay(id); }

    // Drives an input and lets the loop take the edge.
    void drive(unsigned offset, bool high) {
        gpio.drive("gpiochip0", offset, high);
        loop.poll_fds();
    }

    // Switches a relay and returns the reply.
    Result<RelayState> set(const std::string& id, bool on) {
        std::optional<Result<RelayState>> reply;
        relay(id).set(on, Cause::by_client("test"), [&](Result<RelayState> r) { reply.emplace(std::move(r)); });
        loop.advance(std::chrono::milliseconds(0));
        if (!reply) return Error{"test", "no reply"};
        return *reply;
    }

    std::vector<double> readings(const std::string& id) const {
        auto it = readings_.find(id);
        return it == readings_.end() ? std::vector<double>{} : it->second;
    }

    gpio::MemoryGpio gpio;
    FdLoop loop;
    DeviceMap map;
    std::unique_ptr<Channels> channels;
    std::unique_ptr<Device> device;

private:
    void on_reading(const Sensor& s) override { readings_[s.id()].push_back(s.last()->value); }
    std::map<std::string, std::vector<double>> readings_;
};

}  // namespace hwb::test
