// The iio driver against the kernel's own IIO core and its iio_dummy driver, inside the qemu VM
// (tests/ksensors/run-vm-tests.sh; CONFIG_IIO_SIMPLE_DUMMY in tests/gpio/vm/kernel-options.txt).
// Devices are made and removed through configfs as a hot-plugged chip would appear and go:
// mkdir /sys/kernel/config/iio/devices/dummy/NAME gives an iio:deviceN named NAME with
//   in_voltage0_raw 73, in_voltage0_offset 7, in_voltage0_scale 0.001333  (own offset and scale)
//   in_voltage1-voltage2_raw 33, in_voltage-voltage_scale 0.000001344     (scale shared by type)
//   in_steps_input 47 (processed, writable)                               (Linux 6.1, iio_simple_dummy.c)
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "ksensors/ksensor_rig.h"
#include "ksensors/sysfs_files.h"
#include "support/daemon.h"

namespace hwb::test {
namespace {

const std::string dummies = "/sys/kernel/config/iio/devices/dummy";

class IioDummy {
public:
    explicit IioDummy(std::string name) : path_(dummies + "/" + std::move(name)) { create(); }
    ~IioDummy() { remove(); }
    void create() { created_ = ::mkdir(path_.c_str(), 0755) == 0; }
    void remove() {
        if (created_) ::rmdir(path_.c_str());
        created_ = false;
    }
    bool created() const { return created_; }

private:
    std::string path_;
    bool created_ = false;
};

// The iio:deviceN folder of the device named `name`, found the way a user would.
std::string node_of(const std::string& name) {
    auto files = ksensors::make_sysfs("/sys");
    for (const auto& n : files->list("bus/iio/devices"))
        if (ksensors::read_attribute(*files, "bus/iio/devices/" + n + "/name") == name) return "/sys/bus/iio/devices/" + n;
    return "";
}

class IioVmTest : public ::testing::Test {
protected:
    void SetUp() override {
        struct stat st{};
        if (::stat(dummies.c_str(), &st) != 0) GTEST_SKIP() << "no iio_dummy in configfs: run tests/ksensors/run-vm-tests.sh";
    }
};

TEST_F(IioVmTest, ChannelsComputedFromRawOffsetAndScaleAsTheKernelGivesThem) {
    IioDummy adc("hwb_adc");
    ASSERT_TRUE(adc.created());
    KsRig rig("devices:\n  - { id: adc, driver: iio, name: hwb_adc }\nsensors:\n"
              "  - { id: v0, device: adc, channel: in_voltage0, unit: µV }\n"
              "  - { id: diff, device: adc, channel: in_voltage1-voltage2, unit: µV }\n"
              "  - { id: steps, device: adc, channel: in_steps, unit: steps }\n",
              ksensors::make_sysfs("/sys"));
    rig.start();
    ASSERT_TRUE(rig.wait_reading("steps"));
    EXPECT_NEAR(rig.last("v0"), (73 + 7) * 0.001333 * 1000, 1e-9);
    EXPECT_NEAR(rig.last("diff"), 33 * 0.000001344 * 1000, 1e-12);
    EXPECT_DOUBLE_EQ(rig.last("steps"), 47);
    // The driver's processed value changes: the next round reads it.
    std::ofstream(node_of("hwb_adc") + "/in_steps_input") << "1234";
    rig.next_round();
    ASSERT_TRUE(rig.wait_reading("steps"));
    EXPECT_DOUBLE_EQ(rig.last("steps"), 1234);
}

TEST_F(IioVmTest, DeviceRemovedGoesOfflineAndReturnsUnderANewIndexByName) {
    IioDummy other("hwb_other");
    IioDummy adc("hwb_adc2");
    ASSERT_TRUE(other.created() && adc.created());
    KsRig rig("devices:\n  - { id: adc, driver: iio, name: hwb_adc2 }\nsensors:\n"
              "  - { id: v0, device: adc, channel: in_voltage0, unit: mV }\n",
              ksensors::make_sysfs("/sys"));
    rig.start();
    ASSERT_TRUE(rig.wait_reading("v0"));
    std::string before = node_of("hwb_adc2");
    adc.remove();
    rig.next_round();
    ASSERT_TRUE(rig.wait_for([&] { return !rig.online("v0"); }));
    EXPECT_NE(rig.reason("v0").find("no IIO device named 'hwb_adc2' (there are 'hwb_other')"), std::string::npos)
        << rig.reason("v0");
    // Another device takes the freed index first; ours comes back under a new one.
    IioDummy squatter("hwb_squatter");
    adc.create();
    ASSERT_TRUE(adc.created());
    EXPECT_NE(node_of("hwb_adc2"), before);
    rig.next_round();
    ASSERT_TRUE(rig.wait_reading("v0"));
    EXPECT_TRUE(rig.online("v0"));
    EXPECT_NEAR(rig.last("v0"), (73 + 7) * 0.001333, 1e-12);
}

TEST_F(IioVmTest, ListSensorsShowsTheKernelsDevicesWithValues) {
    IioDummy adc("hwb_listed");
    ASSERT_TRUE(adc.created());
    auto run = run_hwbridge({"--list-sensors"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("name 'hwb_listed'"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("in_voltage0 = 0.10664 mV"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("channel: in_voltage1-voltage2, unit: \"V\""), std::string::npos) << run.out;
}

}  // namespace
}  // namespace hwb::test
