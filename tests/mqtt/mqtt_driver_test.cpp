// `driver: mqtt` against a real mosquitto broker and the real daemon: sensors from plain and JSON
// payloads, a relay confirmed only by its state topic (and `timeout` with state unknown when the
// device stays silent), text both ways, and a hub switching a relay of another real hwbridge
// through its uplink: confirmed, refused by the remote's interlock with its code, offline when
// the remote is killed and back when it returns, with no relay flipped.
#include <signal.h>

#include <cstdlib>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mqtt/broker.h"
#include "support/daemon.h"
#include "support/eventually.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using json = nlohmann::json;

std::string device_map(std::uint16_t port) {
    return R"(bridge:
  name: Hub
devices:
  - id: dev
    driver: mqtt
    port: )" + std::to_string(port) + R"(
    client_id: hub-dev
sensors:
  - id: temp
    device: dev
    topic: dev/temp
  - id: hum
    device: dev
    topic: dev/json
    value_path: sensor.values[1]
  - id: door
    device: dev
    type: boolean
    topic: dev/door
    payload_on: OPEN
    payload_off: CLOSED
relays:
  - id: lamp
    device: dev
    command_topic: dev/lamp/set
    state_topic: dev/lamp/state
    state_path: POWER
  - id: mute
    device: dev
    command_topic: dev/mute/set
    state_topic: dev/mute/state
    timeout: 300ms
texts:
  - id: console
    device: dev
    topic: dev/console/out
    command_topic: dev/console/in
)";
}

std::optional<json> reading_of(WsClient& ws, const std::string& channel) {
    return ws.wait_for([&](const json& m) { return m.value("type", "") == "reading" && m.value("channel", "") == channel; });
}

bool logged(const Daemon& d, const std::string& part) { return d.log().find(part) != std::string::npos; }

// The bridge's subscriptions take effect a moment after it connects: a device's message is
// published again until the bridge shows it.
template <class Seen>
bool publish_until(MqttClient& device, const std::string& topic, const std::string& payload, Seen seen) {
    for (int attempt = 0; attempt < 25; ++attempt) {
        device.publish(topic, payload);
        if (seen()) return true;
    }
    return false;
}

TEST(MqttDriver, SensorsReadPlainJsonAndOnOffPayloadsAndIgnoreGarbage) {
    Broker broker;
    Daemon daemon(device_map(broker.port()));
    WsClient ws(daemon.port(), "sensor");
    ASSERT_TRUE(ws.wait_type("hello"));
    // Online once the broker connection is up.
    ASSERT_TRUE(eventually([&] { return logged(daemon, "sensor temp is online"); }, 5000ms)) << daemon.log();
    MqttClient device(broker.port(), "device");
    std::optional<json> temp;
    ASSERT_TRUE(publish_until(device, "dev/temp", "not a number", [&] {
        return eventually([&] { return logged(daemon, "is not a number"); }, 200ms);
    })) << daemon.log();
    device.publish("dev/temp", " 21.5\n");
    temp = reading_of(ws, "temp");
    ASSERT_TRUE(temp) << daemon.log();
    EXPECT_DOUBLE_EQ((*temp)["value"].get<double>(), 21.5);  // the garbage before it gave nothing
    EXPECT_NE(daemon.log().find("device dev: sensor temp: payload 'not a number' on dev/temp is not a number"),
              std::string::npos)
        << daemon.log();
    device.publish("dev/json", R"({"sensor": {"values": [1, 40.25]}})");
    auto hum = reading_of(ws, "hum");
    ASSERT_TRUE(hum);
    EXPECT_DOUBLE_EQ((*hum)["value"].get<double>(), 40.25);
    device.publish("dev/door", "open");
    auto door = reading_of(ws, "door");
    ASSERT_TRUE(door);
    EXPECT_EQ((*door)["value"], true);
    device.publish("dev/door", "CLOSED");
    door = reading_of(ws, "door");
    ASSERT_TRUE(door);
    EXPECT_EQ((*door)["value"], false);
}

// The single-topic device here is played by mosquitto_pub (mosquitto-clients), a client that is
// not this project's; the hub's device takes its broker from the mqtt: section (broker: uplink).
TEST(MqttDriver, ADeviceOnTheUplinksBrokerIsDrivenByMosquittoPub) {
    Broker broker;
    const std::string port = std::to_string(broker.port());
    Daemon daemon(R"(bridge:
  name: Hub
mqtt:
  port: )" + port + R"(
devices:
  - {id: shelly, driver: mqtt, broker: uplink}
sensors:
  - {id: temp, device: shelly, topic: shelly/temp}
  - {id: power, device: shelly, topic: shelly/status, value_path: meter.power}
relays:
  - {id: lamp, device: shelly, command_topic: shelly/lamp/set, state_topic: shelly/lamp/state, timeout: 300ms}
)");
    WsClient ws(daemon.port(), "sensor");
    ASSERT_TRUE(ws.wait_type("hello"));
    ASSERT_TRUE(eventually([&] { return logged(daemon, "sensor temp is online"); }, 5000ms)) << daemon.log();
    auto pub = [&](const std::string& topic, const std::string& payload) {
        const std::string command = "mosquitto_pub -h 127.0.0.1 -p " + port + " -q 1 -t " + topic + " -m '" + payload + "'";
        return std::system(command.c_str()) == 0;
    };
    auto reading = [&](const std::string& channel) {
        return ws.wait_for([&](const json& m) { return m.value("type", "") == "reading" && m.value("channel", "") == channel; },
                           300ms);
    };
    // Published again until the hub's subscription has taken effect.
    std::optional<json> temp;
    for (int attempt = 0; attempt < 25 && !temp; ++attempt) {
        ASSERT_TRUE(pub("shelly/temp", "21.5"));
        temp = reading("temp");
    }
    ASSERT_TRUE(temp) << daemon.log();
    EXPECT_DOUBLE_EQ((*temp)["value"].get<double>(), 21.5);
    ASSERT_TRUE(pub("shelly/status", R"({"meter": {"power": 42.5}})"));
    auto power = ws.wait_for([](const json& m) { return m.value("type", "") == "reading" && m.value("channel", "") == "power"; });
    ASSERT_TRUE(power) << daemon.log();
    EXPECT_DOUBLE_EQ((*power)["value"].get<double>(), 42.5);

    // Nothing answers on the lamp's state topic: timeout, and the state is unknown.
    WsClient relays(daemon.port(), "relay");
    ASSERT_TRUE(relays.wait_type("hello"));
    relays.send_json({{"type", "set"}, {"id", 1}, {"channel", "lamp"}, {"state", "on"}});
    auto error = relays.wait_type("error", 5000ms);
    ASSERT_TRUE(error) << daemon.log();
    EXPECT_EQ((*error)["code"], "timeout");
    WsClient late(daemon.port(), "relay");
    auto hello = late.wait_type("hello");
    ASSERT_TRUE(hello);
    ASSERT_EQ((*hello)["channels"].size(), 1u);
    EXPECT_EQ((*hello)["channels"][0]["state"], "unknown");
}

TEST(MqttDriver, ARelayIsOnlyWhatItsStateTopicConfirms) {
    Broker broker;
    MqttClient device(broker.port(), "device");
    device.subscribe("dev/+/set");
    Daemon daemon(device_map(broker.port()));
    WsClient ws(daemon.port(), "relay");
    ASSERT_TRUE(ws.wait_type("hello"));
    // The device announces its state (Tasmota-like JSON): the relay takes it, nobody switched anything.
    ASSERT_TRUE(publish_until(device, "dev/lamp/state", R"({"POWER": "OFF"})", [&] {
        return ws.wait_for([](const json& m) { return m.value("type", "") == "state" && m.value("state", "") == "off"; },
                           200ms)
            .has_value();
    })) << daemon.log();
    ws.send_json({{"type", "set"}, {"id", 1}, {"channel", "lamp"}, {"state", "on"}});
    auto command = device.wait_topic("dev/lamp/set");
    ASSERT_TRUE(command) << daemon.log();
    EXPECT_EQ(command->payload, "ON");
    EXPECT_FALSE(ws.wait_for([](const json& m) { return m.value("type", "") == "ack"; }, 200ms))
        << "no ack before the device confirmed";
    device.publish("dev/lamp/state", R"({"POWER": "ON"})");
    auto ack = ws.wait_for([](const json& m) { return m.value("type", "") == "ack" && m.value("id", 0) == 1; });
    ASSERT_TRUE(ack) << daemon.log();
    EXPECT_EQ((*ack)["state"], "on");

    // A device that never answers: timeout, and the state is unknown, not guessed.
    ws.send_json({{"type", "set"}, {"id", 2}, {"channel", "mute"}, {"state", "on"}});
    ASSERT_TRUE(device.wait_topic("dev/mute/set"));
    auto refused = ws.wait_for([](const json& m) { return m.value("type", "") == "error" && m.value("id", 0) == 2; });
    ASSERT_TRUE(refused) << daemon.log();
    EXPECT_EQ((*refused)["code"], "timeout");
    EXPECT_NE((*refused)["message"].get<std::string>().find("no confirmation on dev/mute/state"), std::string::npos);
    WsClient late(daemon.port(), "relay");
    auto hello = late.wait_type("hello");
    ASSERT_TRUE(hello);
    for (const auto& c : (*hello)["channels"]) {
        if (c["id"] == "mute") {
            EXPECT_EQ(c["state"], "unknown");
        } else {
            EXPECT_EQ(c["state"], "on");
        }
    }
}

TEST(MqttDriver, TextLinesGoBothWays) {
    Broker broker;
    MqttClient device(broker.port(), "device");
    device.subscribe("dev/console/in");
    Daemon daemon(device_map(broker.port()));
    WsClient ws(daemon.port(), "text");
    ASSERT_TRUE(ws.wait_type("hello"));
    ws.send_json({{"type", "open"}, {"id", 1}, {"channel", "console"}});
    ASSERT_TRUE(ws.wait_type("ack"));
    ASSERT_TRUE(eventually([&] { return logged(daemon, "text console is online"); }, 5000ms)) << daemon.log();
    ws.send_json({{"type", "send"}, {"id", 2}, {"channel", "console"}, {"line", "status"}});
    auto line = device.wait_topic("dev/console/in");
    ASSERT_TRUE(line) << daemon.log();
    EXPECT_EQ(line->payload, "status");
    ASSERT_TRUE(publish_until(device, "dev/console/out", "uptime 5 s\r\nload 0.1", [&] {
        return ws.wait_for([](const json& m) { return m.value("line", "") == "uptime 5 s"; }, 200ms).has_value();
    }));
    EXPECT_TRUE(ws.wait_for([](const json& m) { return m.value("line", "") == "load 0.1"; }));
}

std::string remote_map(std::uint16_t port) {
    return R"(bridge:
  name: Greenhouse 2
devices:
  - id: bench
    driver: sim
relays:
  - id: forward
    device: bench
    interlock: motor
    latency: 0ms
  - id: reverse
    device: bench
    interlock: motor
    latency: 0ms
mqtt:
  port: )" + std::to_string(port) + "\n  prefix: gh2\n  discovery: false\n  keepalive: 5s\n";
}

std::string hub_map(std::uint16_t port) {
    std::string map = R"(bridge:
  name: Hub
devices:
  - id: gh2
    driver: mqtt
    port: )" + std::to_string(port) + R"(
    availability_topic: gh2/status
relays:
)";
    for (const char* id : {"forward", "reverse"})
        map += std::string("  - id: gh2_") + id + "\n    device: gh2\n    command_topic: gh2/relay/" + id +
               "/set\n    state_topic: gh2/relay/" + id + "/state\n    availability_topic: gh2/relay/" + id +
               "/availability\n    results: true\n";
    return map;
}

TEST(MqttDriver, AHubSwitchesARemoteBridgesRelayThroughItsPoliciesAndFollowsItsLife) {
    Broker broker;
    auto remote = std::make_unique<Daemon>(remote_map(broker.port()));
    Daemon hub(hub_map(broker.port()));
    WsClient ws(hub.port(), "relay");
    ASSERT_TRUE(ws.wait_type("hello"));
    auto online_count = [&] {
        std::string log = hub.log();
        std::size_t n = 0;
        for (auto at = log.find("relay gh2_forward is online"); at != std::string::npos;
             at = log.find("relay gh2_forward is online", at + 1))
            ++n;
        return n;
    };
    ASSERT_TRUE(eventually([&] { return online_count() == 1; }, 5000ms)) << hub.log() << remote->log();

    ws.send_json({{"type", "set"}, {"id", 1}, {"channel", "gh2_forward"}, {"state", "on"}});
    auto ack = ws.wait_for([](const json& m) { return m.value("id", 0) == 1; });
    ASSERT_TRUE(ack) << hub.log();
    EXPECT_EQ((*ack)["type"], "ack") << ack->dump() << hub.log() << remote->log();
    EXPECT_EQ((*ack)["state"], "on");
    EXPECT_NE(remote->log().find("audit: relay set forward on by mqtt:"), std::string::npos) << remote->log();
    EXPECT_NE(hub.log().find("audit: relay set gh2_forward on"), std::string::npos) << hub.log();

    // The remote's interlock refuses the other direction: the hub's client gets the remote's code.
    ws.send_json({{"type", "set"}, {"id", 2}, {"channel", "gh2_reverse"}, {"state", "on"}});
    auto refused = ws.wait_for([](const json& m) { return m.value("id", 0) == 2; });
    ASSERT_TRUE(refused) << hub.log();
    EXPECT_EQ((*refused)["type"], "error") << refused->dump();
    EXPECT_EQ((*refused)["code"], "interlock") << refused->dump();

    // The remote dies: its channels go offline on the hub (the remote's last will).
    remote->stop(SIGKILL);
    auto offline = ws.wait_for([](const json& m) {
        return m.value("type", "") == "status" && m.value("channel", "") == "gh2_forward" && !m.value("online", true);
    }, 15000ms);
    ASSERT_TRUE(offline) << hub.log();
    // It comes back: online again, and the hub switched nothing on the way.
    remote = std::make_unique<Daemon>(remote_map(broker.port()));
    ASSERT_TRUE(eventually([&] { return online_count() == 2; }, 10000ms)) << hub.log();
    std::string log = hub.log();
    std::size_t sets = 0;
    for (auto at = log.find("audit: relay set"); at != std::string::npos; at = log.find("audit: relay set", at + 1)) ++sets;
    EXPECT_EQ(sets, 2u) << log;
    EXPECT_EQ(remote->log().find("audit: relay set"), std::string::npos) << remote->log();
}

TEST(MqttDriver, MistakesInTheMapAreReportedWhereTheyAreWritten) {
    TempFile map(".yaml", R"(devices:
  - id: dev
    driver: mqtt
    cert: /etc/c.pem
sensors:
  - id: temp
    device: dev
    topic: dev/+/temp
    value_path: a..b
relays:
  - id: lamp
    device: dev
    command_topic: dev/lamp/set
    state_topic: dev/lamp/state
texts:
  - id: console
    device: dev
)");
    auto result = run_hwbridge({"--check", map.path()});
    EXPECT_NE(result.exit_code, 0);
    const std::string& out = result.err + result.out;
    EXPECT_NE(out.find(":4:11: error: 'cert' and 'key' go together"), std::string::npos) << out;
    EXPECT_NE(out.find(":8:12: error: 'topic' must not contain the wildcards"), std::string::npos) << out;
    EXPECT_NE(out.find(":9:17: error: 'value_path' "), std::string::npos) << out;
    EXPECT_NE(out.find("needs 'topic', 'command_topic' or both"), std::string::npos) << out;

    TempFile missing(".yaml", "devices: [{id: dev, driver: mqtt}]\nrelays: [{id: lamp, device: dev, command_topic: x}]\n");
    auto incomplete = run_hwbridge({"--check", missing.path()});
    EXPECT_NE(incomplete.exit_code, 0);
    EXPECT_NE((incomplete.err + incomplete.out).find("relay 'lamp' is missing required key 'state_topic'"), std::string::npos)
        << incomplete.err;
}

}  // namespace
}  // namespace hwb::test
