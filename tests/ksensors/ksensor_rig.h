// A device map with iio/hwmon/w1 devices over a folder laid out like sysfs, run by the real drivers
// on an FdLoop: timers move when the test says, and the worker threads' results arrive through
// their eventfds as in the daemon.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/channels.h"
#include "devicemap/loader.h"
#include "gpio/fd_loop.h"
#include "ksensors/ksensor_driver.h"

namespace hwb::test {

class KsRig : private ChannelObserver {
public:
    KsRig(const std::string& yaml, std::shared_ptr<ksensors::SysfsFiles> files) {
        DriverRegistry registry;
        register_kernel_sensor_drivers(registry, std::move(files));
        auto loaded = load_device_map_string(yaml, "rig.yaml", registry);
        for (const auto& e : loaded.errors) ADD_FAILURE() << e.str();
        if (!loaded.ok()) return;
        map = std::move(*loaded.map);
        channels = std::make_unique<Channels>(map, loop);
        channels->add_observer(this);
        DeviceContext context{loop, *channels};
        for (const auto& d : map.devices) devices.push_back(registry.find(d.driver)->create(d, context));
    }
    ~KsRig() override {
        devices.clear();
        if (channels) channels->remove_observer(this);
    }

    void start() {
        for (auto& d : devices) d->start();
    }

    // Lets the loop take the workers' results until `done` holds; false after 10 s of real time.
    bool wait_for(const std::function<bool()>& done) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            if (loop.poll_fds() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return true;
    }
    // Waits for the next reading of `id` (true) or its going offline.
    bool wait_reading(const std::string& id) {
        std::size_t before = readings(id).size();
        return wait_for([&] { return readings(id).size() > before; });
    }
    // Moves the clock one interval on: the devices start their next round.
    void next_round(std::chrono::milliseconds interval = std::chrono::milliseconds(1000)) { loop.advance(interval); }

    Sensor& sensor(const std::string& id) { return *channels->sensor(id); }
    bool online(const std::string& id) { return sensor(id).status().online; }
    const std::string& reason(const std::string& id) { return sensor(id).status().reason; }
    std::vector<double> readings(const std::string& id) const {
        auto it = readings_.find(id);
        return it == readings_.end() ? std::vector<double>{} : it->second;
    }
    double last(const std::string& id) const {
        auto r = readings(id);
        return r.empty() ? -1e300 : r.back();
    }
    // Waits until a worker hands a round's results to the loop (rigs with one device: its round).
    bool wait_round() {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (loop.poll_fds() == 0) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return true;
    }

    FdLoop loop;
    DeviceMap map;
    std::unique_ptr<Channels> channels;
    std::vector<std::unique_ptr<Device>> devices;

private:
    void on_reading(const Sensor& s) override { readings_[s.id()].push_back(s.last()->value); }
    std::map<std::string, std::vector<double>> readings_;
};

}  // namespace hwb::test
