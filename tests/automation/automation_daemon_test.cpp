// Automations in the real daemon: sim devices with a sine temperature and a toggling door
// contact drive a thermostat and a follow rule; a WebSocket client on the `relay` subprotocol sees
// every relay change the automations cause, credited to automation:<id>, and the audit log names
// them. Shutdown stops the automations before the relays go to their safe states.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <thread>

#include "support/daemon.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using json = nlohmann::json;

bool log_has(const Daemon& d, const std::string& part) { return d.log().find(part) != std::string::npos; }

const char* greenhouse = R"(
devices:
  - {id: bench, driver: sim}
sensors:
  - {id: temp, device: bench, range: [-10, 40], signal: sine, low: 9, high: 15, period: 2s, rate: 50}
  - {id: door, device: bench, type: boolean, signal: toggle, period: 700ms, rate: 20}
relays:
  - {id: heater, device: bench, safe_state: off, latency: 5ms}
  - {id: light, device: bench, latency: 5ms}
automations:
  - {id: heat, type: thermostat, sensor: temp, relay: heater, setpoint: 12, hysteresis: 1}
  - {id: porch, type: follow, sensor: door, relay: light}
)";

TEST(AutomationDaemon, SineTemperatureDrivesTheThermostatRelayThroughTheDoor) {
    Daemon daemon(greenhouse);
    WsClient ws(daemon.port(), "relay");
    ASSERT_TRUE(ws.ok());
    ASSERT_TRUE(ws.wait_type("hello"));
    int heater = 0, light = 0;
    std::string last_heater;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
    while ((heater < 4 || light < 4) && std::chrono::steady_clock::now() < deadline) {
        auto m = ws.wait_type("state", 1000ms);
        if (!m) continue;
        const std::string channel = (*m)["channel"];
        if ((*m)["cause"] != "client") continue;
        if (channel == "heater") {
            EXPECT_EQ((*m)["client"], "automation:heat");
            EXPECT_NE((*m)["state"], last_heater) << "every change is a real transition";
            last_heater = (*m)["state"];
            ++heater;
        }
        if (channel == "light") {
            EXPECT_EQ((*m)["client"], "automation:porch");
            ++light;
        }
    }
    // A 2 s sine through a 11..13 band: on and off about once a second each.
    EXPECT_GE(heater, 4) << daemon.log();
    EXPECT_GE(light, 4) << daemon.log();
    EXPECT_TRUE(log_has(daemon, "audit: relay set heater on by automation:heat from map (automation:heat): done"))
        << daemon.log();
    EXPECT_TRUE(log_has(daemon, "automations: 2 declared, 2 running")) << daemon.log();
}

TEST(AutomationDaemon, ShutdownStopsAutomationsBeforeTheSafeStates) {
    Daemon daemon(greenhouse);
    WsClient ws(daemon.port(), "relay");
    ASSERT_TRUE(ws.ok());
    ASSERT_TRUE(ws.wait_for([](const json& m) {
        return m.value("type", "") == "state" && m.value("channel", "") == "heater" && m.value("state", "") == "on";
    }, 5000ms)) << daemon.log();
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
    const std::string log = daemon.log();
    auto stopped = log.find("automations: 2 stopped");
    ASSERT_NE(stopped, std::string::npos) << log;
    EXPECT_EQ(log.find("by automation:", stopped), std::string::npos) << "no automation acts after shutdown began:\n" << log;
    EXPECT_NE(log.find("audit: relay heater on -> off by shutdown", stopped), std::string::npos) << log;
}

// The state file beside the daemon's temporary map, removed when the test ends.
struct StateFile {
    explicit StateFile(const Daemon& d) {
        std::string map = d.map_path();
        path = map.substr(0, map.rfind('.')) + ".automations.json";
    }
    ~StateFile() { std::remove(path.c_str()); }
    std::string path;
};

TEST(AutomationDaemon, OperatorSeesAutomationsChangesTheSetpointAndDisablesOne) {
    Daemon daemon(greenhouse);
    StateFile state(daemon);
    WsClient ws(daemon.port(), "relay");
    ASSERT_TRUE(ws.ok());
    auto hello = ws.wait_type("hello");
    ASSERT_TRUE(hello);
    ASSERT_TRUE((*hello)["automations"].is_array()) << hello->dump();
    ASSERT_EQ((*hello)["automations"].size(), 2u);
    const json& heat = (*hello)["automations"][0];
    EXPECT_EQ(heat["id"], "heat");
    EXPECT_EQ(heat["type"], "thermostat");
    EXPECT_EQ(heat["relay"], "heater");
    EXPECT_EQ(heat["setpoint"], 12);
    EXPECT_EQ(heat["min_setpoint"], -10);  // the sensor's range
    EXPECT_EQ(heat["max_setpoint"], 40);

    ws.send_json({{"type", "automation"}, {"id", 1}, {"automation", "heat"}, {"setpoint", 13.5}});
    auto ack = ws.wait_for([](const json& m) { return m.value("type", "") == "ack" && m.value("id", 0) == 1; });
    ASSERT_TRUE(ack) << daemon.log();
    EXPECT_EQ((*ack)["automation"], "heat");
    auto changed = ws.wait_for([](const json& m) {
        return m.value("type", "") == "automation" && m.value("automation", "") == "heat" && m.value("setpoint", 0.0) == 13.5;
    });
    EXPECT_TRUE(changed) << daemon.log();
    EXPECT_TRUE(log_has(daemon, "audit: automation heat setpoint 13.5 by")) << daemon.log();
    std::ifstream kept(state.path);
    std::string text((std::istreambuf_iterator<char>(kept)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("\"setpoint\": 13.5"), std::string::npos) << text;

    ws.send_json({{"type", "automation"}, {"id", 2}, {"automation", "heat"}, {"setpoint", 99}});
    auto refused = ws.wait_for([](const json& m) { return m.value("id", 0) == 2; });
    ASSERT_TRUE(refused);
    EXPECT_EQ((*refused)["code"], "out_of_range");

    ws.send_json({{"type", "automation"}, {"id", 3}, {"automation", "heat"}, {"enabled", false}});
    ASSERT_TRUE(ws.wait_for([](const json& m) {
        return m.value("type", "") == "automation" && m.value("automation", "") == "heat" && m.value("state", "") == "disabled";
    })) << daemon.log();
    // Disabled: the heater is no longer switched by the thermostat (the sine goes on).
    auto by_heat = [](const json& m) {
        return m.value("type", "") == "state" && m.value("channel", "") == "heater" && m.value("client", "") == "automation:heat";
    };
    while (ws.wait_for(by_heat, 100ms)) {  // a switch already on its way when it was disabled
    }
    EXPECT_FALSE(ws.wait_for(by_heat, 2500ms)) << daemon.log();
}

TEST(AutomationDaemon, MapErrorsInAutomationsAreLocated) {
    TempFile map(".yaml", std::string(greenhouse) + "  - {id: fan, type: thermostat, sensor: tmp, relay: heater, setpoint: 12}\n");
    auto result = run_hwbridge({"--check", map.path()});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find(":13:41: error: automation 'fan'"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("refers to undefined sensor 'tmp'; did you mean 'temp'?"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace hwb::test
