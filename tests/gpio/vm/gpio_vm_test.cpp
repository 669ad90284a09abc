// The gpio driver against the kernel's GPIO character device: gpio-sim chips inside a qemu VM
// (tests/gpio/run-vm-tests.sh). Built with whichever libgpiod this build uses (v1 or v2).
//
// The VM gives chip 0 = "pinctrl-sim" (8 lines GPIO4..GPIO27) and chip 1 = "hwb-second" (4 lines);
// GPIO_SIM_CHIP<i> is its gpiochipN, GPIO_SIM_SYSFS<i> its sysfs folder with sim_gpio<L>/pull (the
// outside world pulling an input) and sim_gpio<L>/value (what the line carries).
#include <gtest/gtest.h>

#include <filesystem>

#include <signal.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "core/channels.h"
#include "devicemap/loader.h"
#include "gpio/fd_loop.h"
#include "gpio/gpio_driver.h"
#include "support/daemon.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using namespace std::chrono_literals;

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v == nullptr ? std::string() : std::string(v);
}
std::string chip0() { return env("GPIO_SIM_CHIP0"); }
std::string chip1() { return env("GPIO_SIM_CHIP1"); }

// Chip 0's lines 0..7 are named GPIO4 GPIO5 GPIO6 GPIO17 GPIO22 GPIO23 GPIO24 GPIO27 (run-vm-tests.sh).
std::string sysfs(unsigned line, const char* attr) {
    return env("GPIO_SIM_SYSFS0") + "/sim_gpio" + std::to_string(line) + "/" + attr;
}
std::string sim_value(unsigned line) {
    std::ifstream in(sysfs(line, "value"));
    std::string v;
    in >> v;
    return v;
}
std::string sim_pull(unsigned line) {
    std::ifstream in(sysfs(line, "pull"));
    std::string v;
    in >> v;
    return v;
}
void pull(unsigned line, bool up) { std::ofstream(sysfs(line, "pull")) << (up ? "pull-up" : "pull-down"); }

class VmTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (chip0().empty()) GTEST_SKIP() << "not inside the gpio-sim VM (run tests/gpio/run-vm-tests.sh)";
        register_gpio_driver(registry_);
    }

    // The map's device `board` on chip `chip` with these channels; started at once.
    void start(const std::string& channels, const std::string& chip = "pinctrl-sim") {
        auto loaded = load_device_map_string(
            "devices:\n  - id: board\n    driver: gpio\n    chip: \"" + chip + "\"\n    retry: 200ms\n" + channels,
            "vm.yaml", registry_);
        for (const auto& e : loaded.errors) ADD_FAILURE() << e.str();
        ASSERT_TRUE(loaded.ok());
        map_ = std::move(*loaded.map);
        channels_ = std::make_unique<Channels>(map_, loop_);
        DeviceContext context{loop_, *channels_};
        device_ = registry_.find("gpio")->create(map_.devices[0], context);
        device_->start();
    }
    void TearDown() override {
        device_.reset();
        channels_.reset();
    }

    // Runs the loop in real time: fds as they become readable, timers as their time comes.
    void run_for(std::chrono::milliseconds d) {
        auto end = std::chrono::steady_clock::now() + d;
        auto last = std::chrono::steady_clock::now();
        while (std::chrono::steady_clock::now() < end) {
            std::this_thread::sleep_for(1ms);
            auto now = std::chrono::steady_clock::now();
            loop_.advance(std::chrono::duration_cast<std::chrono::microseconds>(now - last));
            last = now;
        }
    }

    DriverRegistry registry_;
    FdLoop loop_;
    DeviceMap map_;
    std::unique_ptr<Channels> channels_;
    std::unique_ptr<Device> device_;
};

// Records the readings of one sensor.
struct Readings : ChannelObserver {
    explicit Readings(Channels& c, std::string id) : channels(c), id(std::move(id)) { c.add_observer(this); }
    ~Readings() override { channels.remove_observer(this); }
    void on_reading(const Sensor& s) override {
        if (s.id() == id) values.push_back(s.last()->value);
    }
    Channels& channels;
    std::string id;
    std::vector<double> values;
};

TEST_F(VmTest, OutputsStartAtTheirInitialValueAndPolarityRightAtTheRequest) {
    ASSERT_EQ(sim_value(1), "0");  // unrequested: gpio-sim's default pull-down
    start(R"(relays:
  - id: active_low_off
    device: board
    line: GPIO5
    active_low: true
  - id: active_low_on
    device: board
    line: GPIO6
    active_low: true
    initial: on
  - id: plain_on
    device: board
    line: 5
    initial: on
)");
    // Read right after the request, before anything else could have written the lines.
    EXPECT_EQ(sim_value(1), "1") << "active-low off must be high from the first moment";
    EXPECT_EQ(sim_value(2), "0") << "active-low on must be low";
    EXPECT_EQ(sim_value(5), "1") << "active-high on (by offset) must be high";
    EXPECT_EQ(channels_->relay("active_low_off")->state(), RelayState::off);
    EXPECT_EQ(channels_->relay("active_low_on")->state(), RelayState::on);
    EXPECT_EQ(channels_->relay("plain_on")->state(), RelayState::on);

    std::optional<Result<RelayState>> reply;
    channels_->relay("active_low_off")->set(true, Cause::by_client("vm"), [&](Result<RelayState> r) { reply.emplace(r); });
    ASSERT_TRUE(reply && reply->ok());
    EXPECT_EQ(reply->value(), RelayState::on);
    EXPECT_EQ(sim_value(1), "0");
}

TEST_F(VmTest, OutputHasNoTransientAtStartUp) {
    // A relay board's input pulled high: the active-low relay is off. Requesting it off must never
    // drive the line low, not even briefly. gpio-sim cannot record history, so a helper thread
    // samples the line's value as fast as it can while the request happens.
    pull(3, true);
    ASSERT_EQ(sim_value(3), "1");
    std::atomic<bool> stop{false};
    std::atomic<int> lows{0}, samples{0};
    std::thread sampler([&] {
        while (!stop) {
            if (sim_value(3) == "0") ++lows;
            ++samples;
        }
    });
    std::this_thread::sleep_for(20ms);
    start(R"(relays:
  - id: pump
    device: board
    line: GPIO17
    active_low: true
)");
    std::this_thread::sleep_for(20ms);
    stop = true;
    sampler.join();
    EXPECT_GT(samples.load(), 10);
    EXPECT_EQ(lows.load(), 0) << "the line was low (relay on) during start-up";
    EXPECT_EQ(sim_value(3), "1");
}

TEST_F(VmTest, InputEdgesArriveInOrderWithBiasApplied) {
    start(R"(sensors:
  - id: button
    device: board
    type: boolean
    line: GPIO22
    bias: pull_up
    active_low: true
)");
    Readings r(*channels_, "button");
    EXPECT_EQ(sim_pull(4), "pull-up") << "the requested bias reaches the line";
    ASSERT_TRUE(channels_->sensor("button")->last());
    EXPECT_EQ(channels_->sensor("button")->last()->value, 0) << "pulled up + active-low = released";
    pull(4, false);
    pull(4, true);
    pull(4, false);
    run_for(50ms);
    EXPECT_EQ(r.values, (std::vector<double>{1, 0, 1}));
}

TEST_F(VmTest, PullDownBiasReadsLowAndFollowsEdges) {
    start(R"(sensors:
  - id: door
    device: board
    type: boolean
    line: 5
    bias: pull_down
)");
    EXPECT_EQ(sim_pull(5), "pull-down");
    EXPECT_EQ(channels_->sensor("door")->last()->value, 0);
    pull(5, true);
    run_for(30ms);
    EXPECT_EQ(channels_->sensor("door")->last()->value, 1);
}

TEST_F(VmTest, DebounceSwallowsBounceShorterThanThePeriod) {
    start(R"(sensors:
  - id: button
    device: board
    type: boolean
    line: GPIO24
    bias: pull_up
    active_low: true
    debounce: 60ms
)");
    Readings r(*channels_, "button");
    // Bounce: three changes within a few ms, ending pressed (low).
    pull(6, false);
    pull(6, true);
    pull(6, false);
    run_for(20ms);
    EXPECT_TRUE(r.values.empty()) << "published before the level was stable for 60 ms";
    run_for(150ms);
    EXPECT_EQ(r.values, (std::vector<double>{1}));
    // A short glitch back to released and again pressed publishes nothing.
    pull(6, true);
    pull(6, false);
    run_for(150ms);
    EXPECT_EQ(r.values, (std::vector<double>{1}));
}

TEST_F(VmTest, CountModeMeasuresPulseRate) {
    start(R"(sensors:
  - id: flow
    device: board
    line: GPIO27
    mode: count
    rate_window: 500ms
    scale: 2
)");
    run_for(5ms);
    for (int i = 0; i < 5; ++i) {
        pull(7, true);
        pull(7, false);
        run_for(5ms);
    }
    run_for(550ms);
    ASSERT_TRUE(channels_->sensor("flow")->last());
    // 5 rising edges in a ~0.5 s window, times 2.
    EXPECT_NEAR(channels_->sensor("flow")->last()->value, 5 / 0.5 * 2, 2.5);
}

TEST_F(VmTest, LinesResolveByNameAndChipsByLabelNameOrPath) {
    for (std::string chip : {std::string("pinctrl-sim"), chip0(), "/dev/" + chip0()}) {
        start(R"(sensors:
  - id: s
    device: board
    type: boolean
    line: GPIO23
    bias: pull_up
)",
              chip);
        EXPECT_TRUE(channels_->sensor("s")->status().online) << chip << ": " << channels_->sensor("s")->status().reason;
        EXPECT_EQ(channels_->sensor("s")->last()->value, 1) << chip;
        EXPECT_NE(device_->describe().find(chip0() + " 'pinctrl-sim'"), std::string::npos) << device_->describe();
        TearDown();
    }
}

TEST_F(VmTest, LineHeldByAnotherProgramIsReportedWithNameAndConsumer) {
    auto backend = gpio::make_system_backend();
    auto chip = backend->open("pinctrl-sim");
    ASSERT_TRUE(chip.ok()) << chip.error().message;
    auto held = chip.value()->request_input(3, "other-tool", {});
    ASSERT_TRUE(held.ok()) << held.error().message;

    start(R"(relays:
  - id: pump
    device: board
    line: GPIO17
)");
    const auto& status = channels_->relay("pump")->status();
    EXPECT_FALSE(status.online);
    EXPECT_NE(status.reason.find("line GPIO17 (offset 3)"), std::string::npos) << status.reason;
    EXPECT_NE(status.reason.find("busy: already held by 'other-tool'"), std::string::npos) << status.reason;

    held = Error{"released", ""};  // the other program lets go: the relay comes online on retry
    run_for(400ms);
    EXPECT_TRUE(channels_->relay("pump")->status().online) << channels_->relay("pump")->status().reason;
}

TEST_F(VmTest, ListGpioShowsTheSimulatedChipsLinesAndConsumers) {
    auto backend = gpio::make_system_backend();
    auto chip = backend->open(chip1());
    ASSERT_TRUE(chip.ok()) << chip.error().message;
    auto held = chip.value()->request_output(2, "list-test", {});
    ASSERT_TRUE(held.ok());
    // As Raspberry Pi OS does on a Pi 5 (gpiochip4 -> gpiochip0): a link to a chip is not a second chip.
    std::filesystem::create_symlink(chip0(), "/dev/gpiochip99");
    auto r = run_hwbridge({"--list-gpio"});
    std::filesystem::remove("/dev/gpiochip99");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(chip0() + " [pinctrl-sim] /dev/" + chip0() + ", 8 lines  (map: chip: pinctrl-sim)"),
              std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("[pinctrl-sim]"), r.out.rfind("[pinctrl-sim]")) << "a linked chip listed twice:\n" << r.out;
    EXPECT_NE(r.out.find("line 3: GPIO17"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(chip1() + " [hwb-second]"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("line 2: unnamed  output  used by 'list-test'"), std::string::npos) << r.out;
}

TEST_F(VmTest, DaemonServesGpioOverWebSocket) {
    pull(0, true);  // relay board pull-up on GPIO4: off
    Daemon daemon(R"(devices:
  - id: pi
    driver: gpio
    chip: pinctrl-sim
sensors:
  - id: button
    device: pi
    type: boolean
    line: GPIO22
    bias: pull_up
    active_low: true
relays:
  - id: pump
    device: pi
    line: GPIO4
    active_low: true
    safe_state: off
)");
    EXPECT_EQ(sim_value(0), "1");
    WsClient sensors(daemon.port(), "sensor");
    ASSERT_TRUE(sensors.ok());
    ASSERT_TRUE(sensors.wait_type("hello"));
    pull(4, false);
    auto reading = sensors.wait_type("reading", 3000ms);
    ASSERT_TRUE(reading) << daemon.log();
    EXPECT_EQ((*reading)["value"], true);

    WsClient relays(daemon.port(), "relay");
    ASSERT_TRUE(relays.wait_type("hello"));
    relays.send_json({{"type", "set"}, {"id", "1"}, {"channel", "pump"}, {"state", "on"}});
    auto ack = relays.wait_type("ack");
    ASSERT_TRUE(ack) << daemon.log();
    EXPECT_EQ((*ack)["state"], "on");
    EXPECT_EQ(sim_value(0), "0");
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
    EXPECT_EQ(sim_value(0), "1") << "safe state off applied at shutdown";
}

}  // namespace
}  // namespace hwb::test
