// A folder laid out as Linux 6.1's sysfs lays out IIO devices, hwmon chips and 1-Wire slaves (see
// Documentation/ABI/testing/sysfs-bus-iio, Documentation/hwmon/sysfs-interface.rst,
// Documentation/w1/slaves/w1_therm.rst): the devices live under devices/..., and bus/iio/devices,
// class/hwmon and bus/w1/devices hold symbolic links to them, as on a Raspberry Pi. The kernel has
// no simulator for hwmon chips or 1-Wire slaves, so the driver's tests read this instead (the IIO
// path is also tested against the kernel's iio_dummy in the VM, tests/ksensors/vm).
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>

#include "ksensors/sysfs_files.h"

namespace hwb::test {

class FakeSysfs {
public:
    FakeSysfs() {
        char pattern[] = "/tmp/hwb-sysfs-XXXXXX";
        if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
        root = pattern;
    }
    ~FakeSysfs() {
        std::error_code ec;
        std::filesystem::remove_all(root, ec);
    }
    FakeSysfs(const FakeSysfs&) = delete;
    FakeSysfs& operator=(const FakeSysfs&) = delete;

    void write(const std::string& rel, const std::string& content) const {
        std::filesystem::create_directories(std::filesystem::path(root + "/" + rel).parent_path());
        std::ofstream(root + "/" + rel, std::ios::trunc) << content;
    }
    void remove(const std::string& rel) const {
        std::error_code ec;
        std::filesystem::remove_all(root + "/" + rel, ec);
    }
    void link(const std::string& target, const std::string& rel) const {
        std::filesystem::create_directories(std::filesystem::path(root + "/" + rel).parent_path());
        std::filesystem::create_directory_symlink(target, root + "/" + rel);
    }

    // An I2C IIO device (e.g. a BME280 at 1-0076) as iio:deviceN, with its attribute files.
    std::string add_iio(const std::string& node, const std::string& name, const std::string& bus,
                        const std::map<std::string, std::string>& attributes) const {
        std::string dir = "devices/platform/soc/fe804000.i2c/i2c-1/" + bus + "/" + node;
        write(dir + "/name", name + "\n");
        for (const auto& [file, value] : attributes) write(dir + "/" + file, value + "\n");
        link("../../../" + dir, "bus/iio/devices/" + node);
        return dir;
    }
    void remove_iio(const std::string& node, const std::string& bus) const {
        remove("bus/iio/devices/" + node);
        remove("devices/platform/soc/fe804000.i2c/i2c-1/" + bus + "/" + node);
    }

    // A hwmon chip: class/hwmon/hwmonN -> devices/virtual/thermal/thermal_zone0/hwmonN (cpu_thermal).
    std::string add_hwmon(const std::string& node, const std::string& name, const std::string& parent,
                          const std::map<std::string, std::string>& attributes) const {
        std::string dir = "devices/" + parent + "/hwmon/" + node;
        write(dir + "/name", name + "\n");
        for (const auto& [file, value] : attributes) write(dir + "/" + file, value + "\n");
        link("../../" + dir, "class/hwmon/" + node);
        link("../../../" + parent.substr(parent.rfind('/') + 1), dir + "/device");
        return dir;
    }

    // A 1-Wire thermometer on w1_bus_master1 with its w1_slave text.
    std::string add_w1(const std::string& address, const std::string& w1_slave) const {
        std::string dir = "devices/w1_bus_master1/" + address;
        write(dir + "/w1_slave", w1_slave);
        write(dir + "/name", address + "\n");
        link("../../../" + dir, "bus/w1/devices/" + address);
        return dir;
    }
    void unplug_w1(const std::string& address) const {
        remove("bus/w1/devices/" + address);
        remove("devices/w1_bus_master1/" + address);
    }

    std::string root;
};

inline std::shared_ptr<ksensors::SysfsFiles> make_sysfs_of(const FakeSysfs& sys) { return ksensors::make_sysfs(sys.root); }

// w1_slave as the kernel's w1_therm writes it, for a temperature in m°C (bytes of a DS18B20).
inline std::string w1_slave_text(int milli_celsius, bool crc_ok = true) {
    int raw = milli_celsius * 16 / 1000;
    char bytes[64];
    std::snprintf(bytes, sizeof bytes, "%02x %02x 4b 46 7f ff 0c 10 1c", raw & 0xff, (raw >> 8) & 0xff);
    return std::string(bytes) + " : crc=1c " + (crc_ok ? "YES" : "NO") + "\n" + bytes + " t=" +
           std::to_string(milli_celsius) + "\n";
}

// The plain files, except that reading the chosen paths fails with an errno: what a chip that does
// not answer gives (EIO), which no plain file can.
class FaultySysfs final : public ksensors::SysfsFiles {
public:
    explicit FaultySysfs(std::string root) : plain_(ksensors::make_sysfs(std::move(root))) {}
    void fail(const std::string& rel, int error) {
        std::lock_guard lock(mutex_);
        failing_[rel] = error;
    }
    void heal(const std::string& rel) {
        std::lock_guard lock(mutex_);
        failing_.erase(rel);
    }

    const std::string& root() const override { return plain_->root(); }
    Result<std::string> read(const std::string& rel) const override {
        std::unique_lock lock(mutex_);
        if (auto it = failing_.find(rel); it != failing_.end())
            return Error{"io", root() + "/" + rel + ": " + std::strerror(it->second)};
        lock.unlock();
        return plain_->read(rel);
    }
    std::vector<std::string> list(const std::string& rel) const override { return plain_->list(rel); }
    bool exists(const std::string& rel) const override { return plain_->exists(rel); }
    std::string resolve(const std::string& rel) const override { return plain_->resolve(rel); }

private:
    std::shared_ptr<ksensors::SysfsFiles> plain_;
    mutable std::mutex mutex_;  // the test changes failures while the worker thread reads
    std::map<std::string, int> failing_;
};

}  // namespace hwb::test
