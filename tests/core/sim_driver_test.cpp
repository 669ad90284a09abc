// The sim driver on a manual clock: what the demo and the server tests rely on.
#include <gtest/gtest.h>

#include "core/channels.h"
#include "devicemap/loader.h"
#include "sim/sim_driver.h"
#include "support/manual_loop.h"

namespace hwb {
namespace {

struct SimRecorder final : ChannelObserver {
    void on_reading(const Sensor& s) override { readings[s.id()].push_back(s.last()->value); }
    void on_relay_change(const Relay& r, const Cause&) override { relay_states.push_back(r.state()); }
    void on_text_line(const TextChannel&, const TextLine& l) override { lines.push_back(l.text); }
    std::map<std::string, std::vector<double>> readings;
    std::vector<RelayState> relay_states;
    std::vector<std::string> lines;
};

class SimDriverTest : public ::testing::Test {
protected:
    void load(const std::string& yaml) {
        register_sim_driver(drivers);
        auto result = load_device_map_string(yaml, "sim.yaml", drivers);
        ASSERT_TRUE(result.ok()) << (result.errors.empty() ? "" : result.errors[0].str());
        map = *result.map;
        channels = std::make_unique<Channels>(map, loop);
        channels->add_observer(&recorder);
        DeviceContext context{loop, *channels};
        device = drivers.find("sim")->create(map.devices[0], context);
        device->start();
    }
    DriverRegistry drivers;
    DeviceMap map;
    test::ManualLoop loop;
    SimRecorder recorder;
    std::unique_ptr<Channels> channels;
    std::unique_ptr<Device> device;
};

TEST_F(SimDriverTest, SensorPublishesAtItsRateWithinItsBounds) {
    load(R"(devices: [{id: b, driver: sim}]
sensors:
  - {id: t, device: b, signal: sine, low: 10, high: 20, period: 1s, rate: 10, noise: 0.5}
)");
    loop.advance(std::chrono::milliseconds(1000));
    const auto& values = recorder.readings["t"];
    EXPECT_EQ(values.size(), 11u);  // one at start, then every 100 ms
    for (double v : values) {
        EXPECT_GE(v, 9.5);
        EXPECT_LE(v, 20.5);
    }
    EXPECT_NE(values[0], values[3]);
}

TEST_F(SimDriverTest, ToggleSignalChangesEveryPeriod) {
    load(R"(devices: [{id: b, driver: sim}]
sensors:
  - {id: door, device: b, type: boolean, signal: toggle, period: 200ms, rate: 10}
)");
    loop.advance(std::chrono::milliseconds(790));
    const auto& v = recorder.readings["door"];
    ASSERT_EQ(v.size(), 8u);
    EXPECT_EQ(v[0], v[1]);
    EXPECT_NE(v[1], v[2]);
    EXPECT_NE(v[3], v[4]);
}

TEST_F(SimDriverTest, RelayConfirmsAfterLatencyAndFailsEveryNthWrite) {
    load(R"(devices: [{id: b, driver: sim}]
relays:
  - {id: r, device: b, latency: 50ms, fail_every: 2, initial: on}
)");
    Relay& relay = *channels->relay("r");
    EXPECT_EQ(relay.state(), RelayState::on);  // initial state without a write
    std::optional<Result<RelayState>> reply;
    relay.set(false, Cause::by_client("t"), [&](auto r) { reply = std::move(r); });
    loop.advance(std::chrono::milliseconds(49));
    EXPECT_FALSE(reply);
    EXPECT_EQ(relay.state(), RelayState::on);
    loop.advance(std::chrono::milliseconds(1));
    ASSERT_TRUE(reply && reply->ok());
    EXPECT_EQ(relay.state(), RelayState::off);
    reply.reset();
    relay.set(true, Cause::by_client("t"), [&](auto r) { reply = std::move(r); });
    loop.advance(std::chrono::milliseconds(50));
    ASSERT_TRUE(reply && !reply->ok());
    EXPECT_EQ(reply->error().code, "hardware");
    EXPECT_EQ(relay.state(), RelayState::off);
}

TEST_F(SimDriverTest, EchoConsoleAnswersAfterTheSentLine) {
    load(R"(devices: [{id: b, driver: sim}]
texts:
  - {id: c, device: b, reply_prefix: "> "}
)");
    std::optional<Status> st;
    channels->text("c")->send("ping", Cause::by_client("t"), [&](Status s) { st = s; });
    ASSERT_TRUE(st && st->ok());
    loop.run_ready();
    EXPECT_EQ(recorder.lines, (std::vector<std::string>{"ping", "> ping"}));
}

TEST_F(SimDriverTest, StatusDisplayPrintsPeriodically) {
    load(R"(devices: [{id: b, driver: sim}]
sensors:
  - {id: t, device: b, label: Temp, unit: C, signal: constant, low: 21, precision: 1}
texts:
  - {id: s, device: b, mode: status, interval: 1s}
)");
    loop.advance(std::chrono::milliseconds(2500));
    ASSERT_EQ(recorder.lines.size(), 3u);
    EXPECT_NE(recorder.lines[2].find("up 2 s"), std::string::npos) << recorder.lines[2];
    EXPECT_NE(recorder.lines[2].find("Temp 21.0 C"), std::string::npos) << recorder.lines[2];
}

TEST_F(SimDriverTest, StatusDisplaySaysABooleanSensorInItsOwnWords) {
    load(R"(devices: [{id: b, driver: sim}]
sensors:
  - {id: d, device: b, label: Door, type: boolean, device_class: door, signal: constant, low: 1}
  - {id: w, device: b, label: Window, type: boolean, on_text: Ajar, off_text: Shut, signal: constant, low: 0}
  - {id: p, device: b, label: Plain, type: boolean, signal: constant, low: 1}
texts:
  - {id: s, device: b, mode: status, interval: 1s}
)");
    loop.advance(std::chrono::milliseconds(1500));
    ASSERT_FALSE(recorder.lines.empty());
    const std::string& line = recorder.lines.back();
    EXPECT_NE(line.find("Door Open"), std::string::npos) << line;
    EXPECT_NE(line.find("Window Shut"), std::string::npos) << line;
    EXPECT_NE(line.find("Plain On"), std::string::npos) << line;
}

}  // namespace
}  // namespace hwb
