// The iio, hwmon and w1 drivers reading a folder laid out like Linux 6.1's sysfs: values computed
// as the ABI says and converted to the map's unit, devices found by name (never by index), and the
// failure shapes: a bad CRC, EIO, a device that disappears and comes back.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include <gtest/gtest.h>

#include "ksensors/fake_sysfs.h"
#include "ksensors/ksensor_device.h"
#include "ksensors/ksensor_rig.h"
#include "ksensors/w1.h"

namespace hwb::test {
namespace {

std::string iio_map(const std::string& device_keys, const std::string& sensors) {
    return "devices:\n  - id: climate\n    driver: iio\n" + device_keys + "sensors:\n" + sensors;
}

TEST(KernelSensorsIio, ValueIsRawPlusOffsetTimesScaleInTheMapsUnit) {
    FakeSysfs sys;
    // The kernel's iio_dummy channel: (73 + 7) × 0.001333 mV = 0.10664 mV.
    sys.add_iio("iio:device0", "adc", "1-0048",
                {{"in_voltage0_raw", "73"}, {"in_voltage0_offset", "7"}, {"in_voltage0_scale", "0.001333"}});
    KsRig rig(iio_map("    name: adc\n", "  - { id: v0, device: climate, channel: in_voltage0, unit: µV }\n"),
              make_sysfs_of(sys));
    rig.start();
    ASSERT_TRUE(rig.wait_reading("v0"));
    EXPECT_NEAR(rig.last("v0"), 106.64, 1e-9);
    EXPECT_TRUE(rig.online("v0"));
}

TEST(KernelSensorsIio, ProcessedInputWinsOverRawAndIsConverted) {
    FakeSysfs sys;
    sys.add_iio("iio:device0", "bme280", "1-0076",
                {{"in_temp_input", "23125"}, {"in_temp_raw", "999"}, {"in_pressure_input", "101.325"},
                 {"in_humidityrelative_input", "48512"}});
    KsRig rig(iio_map("    name: bme280\n",
                      "  - { id: t, device: climate, channel: in_temp, unit: °C }\n"
                      "  - { id: tf, device: climate, channel: in_temp, unit: °F }\n"
                      "  - { id: p, device: climate, channel: in_pressure, unit: hPa }\n"
                      "  - { id: h, device: climate, channel: in_humidityrelative, unit: \"%\" }\n"),
              make_sysfs_of(sys));
    rig.start();
    ASSERT_TRUE(rig.wait_reading("h"));
    EXPECT_DOUBLE_EQ(rig.last("t"), 23.125);
    EXPECT_NEAR(rig.last("tf"), 73.625, 1e-9);
    EXPECT_NEAR(rig.last("p"), 1013.25, 1e-9);
    EXPECT_NEAR(rig.last("h"), 48.512, 1e-9);
}

TEST(KernelSensorsIio, ScaleSharedByTheChannelsTypeApplies) {
    FakeSysfs sys;
    // ADS1115: one in_voltageN_scale per channel in the kernel; a differential pair shares its type's.
    sys.add_iio("iio:device0", "ads1115", "1-0048",
                {{"in_voltage1-voltage2_raw", "33"}, {"in_voltage-voltage_scale", "0.000001344"},
                 {"in_voltage3_raw", "1000"}, {"in_voltage_scale", "0.125"}});
    KsRig rig(iio_map("    name: ads1115\n",
                      "  - { id: diff, device: climate, channel: in_voltage1-voltage2, unit: µV }\n"
                      "  - { id: pot, device: climate, channel: in_voltage3, unit: V }\n"),
              make_sysfs_of(sys));
    rig.start();
    ASSERT_TRUE(rig.wait_reading("pot"));
    EXPECT_NEAR(rig.last("diff"), 33 * 0.000001344 * 1000, 1e-12);
    EXPECT_NEAR(rig.last("pot"), 0.125, 1e-12);
}

TEST(KernelSensorsIio, ScaleAndOffsetOfTheMapTurnVoltsIntoPercent) {
    FakeSysfs sys;
    sys.add_iio("iio:device0", "ads1115", "1-0048", {{"in_voltage0_raw", "13200"}, {"in_voltage0_scale", "0.125"}});
    // 1650 mV of a 3.3 V potentiometer: half way.
    KsRig rig(iio_map("    name: ads1115\n",
                      "  - { id: knob, device: climate, channel: in_voltage0, unit: \"%\", scale: 0.0303030303 }\n"),
              make_sysfs_of(sys));
    rig.start();
    ASSERT_TRUE(rig.wait_reading("knob"));
    EXPECT_NEAR(rig.last("knob"), 50.0, 1e-6);
}

TEST(KernelSensorsIio, DeviceIsFoundByNameWhenItsIndexChanges) {
    FakeSysfs sys;
    sys.add_iio("iio:device0", "other", "1-0040", {{"in_temp_input", "1"}});
    sys.add_iio("iio:device1", "bme280", "1-0076", {{"in_temp_input", "20000"}});
    KsRig rig(iio_map("    name: bme280\n", "  - { id: t, device: climate, channel: in_temp, unit: °C }\n"),
              make_sysfs_of(sys));
    rig.start();
    ASSERT_TRUE(rig.wait_reading("t"));
    EXPECT_DOUBLE_EQ(rig.last("t"), 20.0);
    // Unbound and bound again (a module reload, a replug): a new index, the same name.
    sys.remove_iio("iio:device1", "1-0076");
    sys.add_iio("iio:device4", "bme280", "1-0076", {{"in_temp_input", "21000"}});
    rig.next_round();
    ASSERT_TRUE(rig.wait_reading("t"));
    EXPECT_DOUBLE_EQ(rig.last("t"), 21.0);
}

TEST(KernelSensorsIio, TwoDevicesOfOneNameAreChosenByBusOrLabelNeverGuessed) {
    FakeSysfs sys;
    sys.add_iio("iio:device0", "bme280", "1-0076", {{"in_temp_input", "20000"}, {"label", "indoor"}});
    sys.add_iio("iio:device1", "bme280", "1-0077", {{"in_temp_input", "5000"}, {"label", "outdoor"}});
    KsRig rig("devices:\n"
              "  - { id: any, driver: iio, name: bme280 }\n"
              "  - { id: by_bus, driver: iio, name: bme280, bus: 1-0077 }\n"
              "  - { id: by_label, driver: iio, name: bme280, kernel_label: indoor }\n"
              "sensors:\n"
              "  - { id: a, device: any, channel: in_temp, unit: °C }\n"
              "  - { id: b, device: by_bus, channel: in_temp, unit: °C }\n"
              "  - { id: c, device: by_label, channel: in_temp, unit: °C }\n",
              make_sysfs_of(sys));
    rig.start();
    ASSERT_TRUE(rig.wait_for([&] { return !rig.online("a") && !rig.readings("b").empty() && !rig.readings("c").empty(); }));
    EXPECT_NE(rig.reason("a").find("several IIO devices named 'bme280'"), std::string::npos) << rig.reason("a");
    EXPECT_NE(rig.reason("a").find("1-0076"), std::string::npos) << rig.reason("a");
    EXPECT_DOUBLE_EQ(rig.last("b"), 5.0);
    EXPECT_DOUBLE_EQ(rig.last("c"), 20.0);
}

TEST(KernelSensorsIio, MissingDeviceIsOfflineWithWhatThereIsAndComesBack) {
    FakeSysfs sys;
    sys.add_iio("iio:device0", "ads1115", "1-0048", {{"in_voltage0_raw", "1"}});
    KsRig rig(iio_map("    name: bme280\n", "  - { id: t, device: climate, channel: in_temp, unit: °C }\n"),
              make_sysfs_of(sys));
    rig.start();
    ASSERT_TRUE(rig.wait_for([&] { return !rig.online("t"); }));
    EXPECT_NE(rig.reason("t").find("no IIO device named 'bme280' (there are 'ads1115')"), std::string::npos)
        << rig.reason("t");
    sys.add_iio("iio:device1", "bme280", "1-0076", {{"in_temp_input", "19500"}});
    rig.next_round();
    ASSERT_TRUE(rig.wait_reading("t"));
    EXPECT_TRUE(rig.online("t"));
    EXPECT_DOUBLE_EQ(rig.last("t"), 19.5);
}

TEST(KernelSensorsIio, ChipThatAnswersEioGoesOfflineAfterThreeReadsAndReturns) {
    FakeSysfs sys;
    std::string dir = sys.add_iio("iio:device0", "bme280", "1-0076", {{"in_temp_input", "22000"}});
    auto files = std::make_shared<FaultySysfs>(sys.root);
    KsRig rig(iio_map("    name: bme280\n", "  - { id: t, device: climate, channel: in_temp, unit: °C }\n"), files);
    rig.start();
    ASSERT_TRUE(rig.wait_reading("t"));
    files->fail("bus/iio/devices/iio:device0/in_temp_input", EIO);
    for (int i = 1; i < ksensors::failures_before_offline; ++i) {
        rig.next_round();
        ASSERT_TRUE(rig.wait_round());
        EXPECT_TRUE(rig.online("t")) << "offline after " << i << " failed read(s)";
    }
    rig.next_round();
    ASSERT_TRUE(rig.wait_for([&] { return !rig.online("t"); }));
    EXPECT_NE(rig.reason("t").find("Input/output error"), std::string::npos) << rig.reason("t");
    EXPECT_EQ(rig.readings("t").size(), 1u) << "a failed read published a value";
    files->heal("bus/iio/devices/iio:device0/in_temp_input");
    rig.next_round();
    ASSERT_TRUE(rig.wait_reading("t"));
    EXPECT_TRUE(rig.online("t"));
}

TEST(KernelSensorsHwmon, ChipByNameWithInputsInTheirUnits) {
    FakeSysfs sys;
    sys.add_hwmon("hwmon0", "rpi_volt", "platform/soc/soc:firmware/raspberrypi-hwmon", {{"in0_lcrit_alarm", "0"}});
    sys.add_hwmon("hwmon1", "cpu_thermal", "virtual/thermal/thermal_zone0", {{"temp1_input", "48686"}});
    sys.add_hwmon("hwmon2", "pwmfan", "platform/pwm-fan", {{"fan1_input", "2400"}, {"power1_average", "1500000"}});
    KsRig rig("devices:\n"
              "  - { id: soc, driver: hwmon, name: cpu_thermal }\n"
              "  - { id: fan, driver: hwmon, name: pwmfan }\n"
              "sensors:\n"
              "  - { id: cpu, device: soc, channel: temp1, unit: °C }\n"
              "  - { id: rpm, device: fan, channel: fan1, unit: RPM }\n"
              "  - { id: watts, device: fan, channel: power1_average, unit: W }\n",
              make_sysfs_of(sys));
    rig.start();
    ASSERT_TRUE(rig.wait_for([&] { return !rig.readings("cpu").empty() && !rig.readings("watts").empty(); }));
    EXPECT_DOUBLE_EQ(rig.last("cpu"), 48.686);
    EXPECT_DOUBLE_EQ(rig.last("rpm"), 2400);
    EXPECT_DOUBLE_EQ(rig.last("watts"), 1.5);
}

std::string w1_map(const std::vector<std::string>& addresses) {
    std::string yaml = "devices:\n  - { id: onewire, driver: w1 }\nsensors:\n";
    for (std::size_t i = 0; i < addresses.size(); ++i)
        yaml += "  - { id: t" + std::to_string(i) + ", device: onewire, address: " + addresses[i] + ", unit: °C }\n";
    return yaml;
}

TEST(KernelSensorsW1, ThermometerReadWithItsCrcChecked) {
    FakeSysfs sys;
    sys.add_w1("28-0316a2794bff", w1_slave_text(23125));
    sys.add_w1("28-0316a2794c00", w1_slave_text(-10500));
    KsRig rig(w1_map({"28-0316a2794bff", "28-0316a2794c00"}), make_sysfs_of(sys));
    rig.start();
    ASSERT_TRUE(rig.wait_reading("t1"));
    EXPECT_DOUBLE_EQ(rig.last("t0"), 23.125);
    EXPECT_DOUBLE_EQ(rig.last("t1"), -10.5);
}

TEST(KernelSensorsW1, BadCrcIsNeverPublishedAndThreeInARowTakeItOffline) {
    FakeSysfs sys;
    std::string dir = sys.add_w1("28-0316a2794bff", w1_slave_text(21000));
    KsRig rig(w1_map({"28-0316a2794bff"}), make_sysfs_of(sys));
    rig.start();
    ASSERT_TRUE(rig.wait_reading("t0"));
    sys.write(dir + "/w1_slave", w1_slave_text(99000, false));
    for (int i = 1; i < ksensors::failures_before_offline; ++i) {
        rig.next_round(std::chrono::milliseconds(5000));
        ASSERT_TRUE(rig.wait_round());
        EXPECT_TRUE(rig.online("t0"));
    }
    rig.next_round(std::chrono::milliseconds(5000));
    ASSERT_TRUE(rig.wait_for([&] { return !rig.online("t0"); }));
    EXPECT_NE(rig.reason("t0").find("CRC error"), std::string::npos) << rig.reason("t0");
    EXPECT_EQ(rig.readings("t0"), std::vector<double>{21.0}) << "a value with a bad CRC was published";
    sys.write(dir + "/w1_slave", w1_slave_text(21500));
    rig.next_round(std::chrono::milliseconds(5000));
    ASSERT_TRUE(rig.wait_reading("t0"));
    EXPECT_TRUE(rig.online("t0"));
    EXPECT_DOUBLE_EQ(rig.last("t0"), 21.5);
}

TEST(KernelSensorsW1, UnpluggedThermometerGoesOfflineAtOnceAndReturnsWithoutRestart) {
    FakeSysfs sys;
    sys.add_w1("28-0316a2794bff", w1_slave_text(20000));
    KsRig rig(w1_map({"28-0316a2794bff"}), make_sysfs_of(sys));
    rig.start();
    ASSERT_TRUE(rig.wait_reading("t0"));
    // The kernel removes the slave after its search misses it.
    sys.unplug_w1("28-0316a2794bff");
    rig.next_round(std::chrono::milliseconds(5000));
    ASSERT_TRUE(rig.wait_for([&] { return !rig.online("t0"); }));
    EXPECT_NE(rig.reason("t0").find("28-0316a2794bff is not on the bus"), std::string::npos) << rig.reason("t0");
    sys.add_w1("28-0316a2794bff", w1_slave_text(20500));
    rig.next_round(std::chrono::milliseconds(5000));
    ASSERT_TRUE(rig.wait_reading("t0"));
    EXPECT_TRUE(rig.online("t0"));
    EXPECT_DOUBLE_EQ(rig.last("t0"), 20.5);
}

TEST(KernelSensorsW1, TemperatureFileServesWhenW1SlaveIsAbsent) {
    FakeSysfs sys;
    std::string dir = sys.add_w1("28-0316a2794bff", "");
    sys.remove(dir + "/w1_slave");
    sys.write(dir + "/temperature", "18062\n");
    KsRig rig(w1_map({"28-0316a2794bff"}), make_sysfs_of(sys));
    rig.start();
    ASSERT_TRUE(rig.wait_reading("t0"));
    EXPECT_DOUBLE_EQ(rig.last("t0"), 18.062);
}

TEST(KernelSensorsW1, W1SlaveShapesThatAreNotATemperature) {
    using ksensors::parse_w1_slave;
    EXPECT_DOUBLE_EQ(parse_w1_slave(w1_slave_text(23125)).value(), 23125);
    EXPECT_EQ(parse_w1_slave(w1_slave_text(23125, false)).error().code, "crc");
    EXPECT_EQ(parse_w1_slave("50 05 4b 46 7f ff 0c 10 1c : crc=1c YES\n50 05 4b 46 7f ff 0c 10 1c t=85000\n").error().code,
              "power_on");
    EXPECT_EQ(parse_w1_slave("00 00 00 00 00 00 00 00 00 : crc=00 YES\n00 00 00 00 00 00 00 00 00 t=0\n").error().code,
              "zeros");
    EXPECT_EQ(parse_w1_slave("").error().code, "parse");
    EXPECT_EQ(parse_w1_slave("garbage\n").error().code, "parse");
    EXPECT_EQ(parse_w1_slave("72 01 : crc=57 YES\n72 01 t=abc\n").error().code, "parse");
}

// A read that takes long in the kernel (a 1-Wire conversion; here a pipe nobody writes yet) leaves
// the loop free: its timers run, and the read's result arrives when the kernel answers.
TEST(KernelSensorsW1, SlowReadRunsOffTheLoop) {
    FakeSysfs sys;
    std::string dir = sys.add_w1("28-0316a2794bff", "");
    sys.remove(dir + "/w1_slave");
    std::string fifo = sys.root + "/" + dir + "/w1_slave";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    KsRig rig(w1_map({"28-0316a2794bff"}), make_sysfs_of(sys));
    int ticks = 0;
    Timer other(rig.loop, [&] { ++ticks; });
    rig.start();  // the worker now waits in open() for a writer
    for (int i = 0; i < 3; ++i) {
        other.start(std::chrono::milliseconds(100));
        rig.loop.advance(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(ticks, 3);
    EXPECT_TRUE(rig.readings("t0").empty());
    // Past its deadline the read is reported as hung, without waiting for it.
    rig.loop.advance(std::chrono::seconds(30));
    EXPECT_FALSE(rig.online("t0"));
    EXPECT_NE(rig.reason("t0").find("has not answered"), std::string::npos) << rig.reason("t0");
    // The kernel answers at last.
    std::thread writer([&] {
        int fd = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
        std::string text = w1_slave_text(24000);
        [[maybe_unused]] auto n = ::write(fd, text.data(), text.size());
        ::close(fd);
    });
    ASSERT_TRUE(rig.wait_reading("t0"));
    writer.join();
    EXPECT_TRUE(rig.online("t0"));
    EXPECT_DOUBLE_EQ(rig.last("t0"), 24.0);
}

}  // namespace
}  // namespace hwb::test
