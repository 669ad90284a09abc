// Importing whole bridges by name (mqtt driver, `bridge:`): two real hwbridge daemons with MQTT
// uplinks and one hub, through a real mosquitto broker. The hub finds their channels in their
// retained metadata, follows a remote's map reload, switches remote relays through the remote's
// policies and its own (an interlock spanning both bridges), audits naming the remote bridge,
// shows a killed bridge's channels offline and takes them back with no relay switched, and never
// republishes what it imported through its own uplink.
#include <signal.h>

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mqtt/broker.h"
#include "support/daemon.h"
#include "support/eventually.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using json = nlohmann::json;

std::size_t import_count(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
}

std::string uplink(std::uint16_t port) {
    return "mqtt:\n  port: " + std::to_string(port) + "\n  discovery: false\n  keepalive: 5s\n";
}

std::string greenhouse1(std::uint16_t port) {
    return R"(bridge:
  name: Greenhouse 1
devices:
  - id: bench
    driver: sim
sensors:
  - id: temp
    device: bench
    label: Air
    unit: "°C"
    signal: sine
    low: 18
    high: 26
    rate: 20
relays:
  - id: heater
    device: bench
    latency: 0ms
)" + uplink(port);
}

std::string greenhouse2(std::uint16_t port, bool with_soil = false) {
    std::string map = R"(bridge:
  name: Greenhouse 2
devices:
  - id: bench
    driver: sim
  - id: probe
    driver: sim
sensors:
  - id: temp
    device: bench
    label: Air
    unit: "°C"
    signal: sine
    low: 10
    high: 12
    rate: 20
)";
    // Added on a device of its own: the bench (and its relays) keeps running through the reload.
    if (with_soil)
        map += "  - id: soil\n    device: probe\n    label: Soil\n    unit: '%'\n    signal: sine\n    rate: 5\n";
    map += R"(relays:
  - id: forward
    device: bench
    interlock: motor
    latency: 0ms
  - id: reverse
    device: bench
    interlock: motor
    latency: 0ms
    device_class: running
    ui: {group: Motor, order: -1}
texts:
  - id: console
    device: bench
    mode: echo
)" + uplink(port) + "  readings: json\n";
    return map;
}

std::string hub(std::uint16_t port) {
    const std::string p = std::to_string(port);
    return R"(bridge:
  name: Hub
devices:
  - id: gh1
    label: Greenhouse 1
    driver: mqtt
    port: )" + p + R"(
    bridge: Greenhouse 1
  - id: gh2
    label: Greenhouse 2
    driver: mqtt
    port: )" + p + R"(
    bridge: Greenhouse 2
relays:
  # Listed on the hub: the hub's own policy over relays of two bridges.
  - id: gh1_heater
    device: gh1
    interlock: power
  - id: gh2_forward
    device: gh2
    interlock: power
)" + uplink(port);
}

bool has_channel(const json& hello, const char* list, const std::string& id) {
    if (!hello.contains(list)) return false;
    for (const auto& c : hello[list])
        if (c.value("id", "") == id) return true;
    return false;
}

TEST(BridgeImport, AHubImportsTwoBridgesByNameAndSwitchesTheirRelaysThroughBothPolicies) {
    Broker broker;
    Daemon one(greenhouse1(broker.port()));
    auto two = std::make_unique<Daemon>(greenhouse2(broker.port()));
    Daemon center(hub(broker.port()));

    // The hub's sensor clients get a hello with both bridges' channels once the metadata came.
    WsClient sensors(center.port(), "sensor");
    auto hello = sensors.wait_for([](const json& m) {
        return m.value("type", "") == "hello" && has_channel(m, "channels", "gh1_temp") && has_channel(m, "channels", "gh2_temp");
    }, 15000ms);
    ASSERT_TRUE(hello) << center.log();
    for (const auto& c : (*hello)["channels"]) {
        if (c["id"] == "gh2_temp") {
            EXPECT_EQ(c["label"], "Air");
            EXPECT_EQ(c["unit"], "°C");
            EXPECT_EQ(c["origin"], "Greenhouse 2");
            EXPECT_EQ(c["device_label"], "Greenhouse 2");
        }
    }
    sensors.send_json({{"type", "subscribe"}, {"channels", json::array({"gh1_temp", "gh2_temp"})}});
    // Readings of both arrive (Greenhouse 2 sends JSON readings, Greenhouse 1 plain ones).
    auto reading_in = [&](const std::string& channel, double low, double high) {
        return sensors.wait_for([&](const json& m) {
            return m.value("type", "") == "reading" && m.value("channel", "") == channel && m["value"].is_number() &&
                   m["value"].get<double>() >= low && m["value"].get<double>() <= high;
        }, 10000ms);
    };
    EXPECT_TRUE(reading_in("gh1_temp", 17, 27)) << center.log();
    EXPECT_TRUE(reading_in("gh2_temp", 9, 13)) << center.log();

    WsClient relays(center.port(), "relay");
    auto relay_hello = relays.wait_for([](const json& m) {
        return m.value("type", "") == "hello" && has_channel(m, "channels", "gh2_reverse") &&
               has_channel(m, "channels", "gh2_forward") && has_channel(m, "channels", "gh1_heater");
    }, 10000ms);
    ASSERT_TRUE(relay_hello) << center.log();
    // How bridge 2 shows its relay comes along: its words, its order, its group within the bridge.
    for (const auto& c : (*relay_hello)["channels"]) {
        if (c["id"] != "gh2_reverse") continue;
        EXPECT_EQ(c["device_class"], "running") << c.dump();
        EXPECT_EQ(c["on_text"], "Running") << c.dump();
        EXPECT_EQ(c["ui"]["group"], "Greenhouse 2 · Motor") << c.dump();
        EXPECT_EQ(c["ui"]["order"], -1) << c.dump();
    }
    ASSERT_TRUE(eventually([&] {
        return center.log().find("relay gh2_reverse is online") != std::string::npos &&
               center.log().find("relay gh2_forward is online") != std::string::npos &&
               center.log().find("relay gh1_heater is online") != std::string::npos;
    }, 10000ms)) << center.log();

    // A listed relay (hub policy) of bridge 2: confirmed there, audited on both, naming the bridge.
    relays.send_json({{"type", "set"}, {"id", 1}, {"channel", "gh2_forward"}, {"state", "on"}});
    auto ack = relays.wait_for([](const json& m) { return m.value("id", 0) == 1; }, 10000ms);
    ASSERT_TRUE(ack) << center.log();
    EXPECT_EQ((*ack)["type"], "ack") << ack->dump() << center.log() << two->log();
    EXPECT_EQ((*ack)["state"], "on");
    EXPECT_TRUE(eventually([&] { return two->log().find("audit: relay set forward on by mqtt:") != std::string::npos; }, 10000ms))
        << two->log();
    EXPECT_NE(center.log().find("audit: relay set gh2_forward on at bridge Greenhouse 2 by"), std::string::npos)
        << center.log();

    // An imported relay: the remote's interlock refuses, and its code reaches the hub's client.
    relays.send_json({{"type", "set"}, {"id", 2}, {"channel", "gh2_reverse"}, {"state", "on"}});
    auto refused = relays.wait_for([](const json& m) { return m.value("id", 0) == 2; }, 10000ms);
    ASSERT_TRUE(refused) << center.log();
    EXPECT_EQ((*refused)["type"], "error") << refused->dump();
    EXPECT_EQ((*refused)["code"], "interlock") << refused->dump();

    // The hub's own interlock spans both bridges: bridge 1's heater may not go on now, and
    // bridge 1 never hears of it.
    relays.send_json({{"type", "set"}, {"id", 3}, {"channel", "gh1_heater"}, {"state", "on"}});
    auto hub_refused = relays.wait_for([](const json& m) { return m.value("id", 0) == 3; }, 10000ms);
    ASSERT_TRUE(hub_refused) << center.log();
    EXPECT_EQ((*hub_refused)["code"], "interlock") << hub_refused->dump();
    EXPECT_EQ(one.log().find("audit: relay set heater"), std::string::npos) << one.log();

    // Bridge 2 reloads its map with a new sensor: the hub follows (a new hello with it).
    {
        std::ofstream(two->map_path()) << greenhouse2(broker.port(), true);
    }
    ASSERT_EQ(kill(two->pid(), SIGHUP), 0);
    auto followed = sensors.wait_for([](const json& m) {
        return m.value("type", "") == "hello" && has_channel(m, "channels", "gh2_soil");
    }, 15000ms);
    ASSERT_TRUE(followed) << center.log() << two->log();
    // The relay it imported is still what bridge 2 confirmed (the relays client got a hello too).
    auto relay_again = relays.wait_for([](const json& m) { return m.value("type", "") == "hello"; }, 10000ms);
    ASSERT_TRUE(relay_again);

    // Through all this the relay stayed as bridge 2 confirmed it.
    EXPECT_EQ(two->log().find("audit: relay forward on -> off"), std::string::npos) << two->log();
    EXPECT_EQ(center.log().find("audit: relay gh2_forward at bridge Greenhouse 2 on -> off"), std::string::npos)
        << center.log();

    // Bridge 2 dies: its channels go offline on the hub (its last will), bridge 1's stay.
    const std::size_t before_kill = center.log().size();
    two->stop(SIGKILL);
    auto offline = relays.wait_for([](const json& m) {
        return m.value("type", "") == "status" && m.value("channel", "") == "gh2_forward" && !m.value("online", true);
    }, 20000ms);
    ASSERT_TRUE(offline) << center.log();
    EXPECT_EQ(center.log().find("relay gh1_heater is offline", before_kill), std::string::npos) << center.log();
    // It comes back: online again, and nothing was switched on the way.
    const std::size_t online_before = import_count(center.log(), "relay gh2_forward is online");
    two = std::make_unique<Daemon>(greenhouse2(broker.port(), true));
    ASSERT_TRUE(eventually([&] { return import_count(center.log(), "relay gh2_forward is online") > online_before; },
                                  15000ms))
        << center.log();
    EXPECT_EQ(import_count(center.log(), "audit: relay set"), 3u) << center.log();
    EXPECT_EQ(two->log().find("audit: relay set"), std::string::npos) << two->log();
}

TEST(BridgeImport, TheHubsUplinkNeverRepublishesWhatItImported) {
    Broker broker;
    Daemon one(greenhouse1(broker.port()));
    Daemon center(hub(broker.port()));
    WsClient sensors(center.port(), "sensor");
    ASSERT_TRUE(sensors.wait_for([](const json& m) {
        return m.value("type", "") == "hello" && has_channel(m, "channels", "gh1_temp");
    }, 15000ms)) << center.log();
    // The hub's own metadata (after the import's reload) lists none of the imported channels,
    // so another hub importing this one cannot import them again: no chains, no loops.
    MqttClient watcher(broker.port(), "import-watcher");
    watcher.subscribe("hwbridge/hub/#");
    auto meta = watcher.wait_for([](const Message& m) { return m.topic == "hwbridge/hub/meta"; }, 10000ms);
    ASSERT_TRUE(meta);
    auto doc = json::parse(meta->payload);
    EXPECT_EQ(doc["bridge"], "Hub");
    EXPECT_TRUE(doc["sensors"].empty()) << meta->payload;
    EXPECT_TRUE(doc["relays"].empty()) << meta->payload;
    // Readings of the imported sensor are not published under the hub's prefix either.
    watcher.pump(1500ms);
    for (const auto& m : watcher.received()) EXPECT_EQ(m.topic.find("hwbridge/hub/sensor/"), std::string::npos) << m.topic;
    // A command sent to the hub's topic for an imported relay is refused with a reason.
    MqttClient requester(broker.port(), "import-requester", {}, {}, true);
    requester.subscribe("import/answers");
    requester.request("hwbridge/hub/relay/gh1_heater/set", "ON", "import/answers", "7");
    auto answer = requester.wait_topic("import/answers", 10000ms);
    ASSERT_TRUE(answer) << center.log();
    EXPECT_NE(answer->payload.find("\"unknown_channel\""), std::string::npos) << answer->payload;
    EXPECT_NE(answer->payload.find("imported from bridge Greenhouse 1"), std::string::npos) << answer->payload;
    EXPECT_EQ(one.log().find("audit: relay set heater"), std::string::npos) << one.log();
}

TEST(BridgeImport, MetadataOfAnotherBridgeOrGarbageIsNotImported) {
    Broker broker;
    Daemon center(R"(bridge:
  name: Hub
devices:
  - id: far
    driver: mqtt
    port: )" + std::to_string(broker.port()) + R"(
    bridge: Far away
    bridge_prefix: far
    id_prefix: ""
)");
    MqttClient remote(broker.port(), "import-fake");
    // Garbage, then metadata naming another bridge, then a sensor id that is no id: none imported.
    remote.publish("far/meta", "{not json", true);
    remote.publish("far/meta", R"({"format":1,"bridge":"Someone else","node":"someone_else","sensors":[{"id":"x"}]})", true);
    ASSERT_TRUE(eventually([&] { return center.log().find("belongs to bridge 'Someone else'") != std::string::npos; }, 10000ms))
        << center.log();
    // Fields of the wrong type: not the message we know (no exception on the way; the complaints
    // are throttled, so the log may not say each one). The import below comes after them.
    remote.publish("far/meta", R"({"format":"1","bridge":"Far away"})", true);
    remote.publish("far/meta", R"({"format":1,"bridge":7,"node":["far"]})", true);
    remote.publish("far/meta", R"({"format":1,"bridge":"Far away","sensors":[{"id":"bad id!"},{"id":"ok","label":"OK","unit":"V"}],
        "relays":[{"id":"r1","origin":"Elsewhere"}],"texts":"not a list"})", true);
    WsClient sensors(center.port(), "sensor");
    auto hello = sensors.wait_for([](const json& m) {
        return m.value("type", "") == "hello" && has_channel(m, "channels", "ok");
    }, 10000ms);
    ASSERT_TRUE(hello) << center.log();
    EXPECT_EQ((*hello)["channels"].size(), 1u) << hello->dump();
    EXPECT_NE(center.log().find("1 channel(s) of bridge 'Far away' not imported"), std::string::npos) << center.log();
    WsClient relays(center.port(), "relay");
    auto relay_hello = relays.wait_type("hello");
    ASSERT_TRUE(relay_hello);
    EXPECT_TRUE((*relay_hello)["channels"].empty()) << relay_hello->dump();  // imported elsewhere first: left out
    EXPECT_EQ(center.log().find("mqtt: message:"), std::string::npos) << center.log();  // no exception was caught
}

TEST(BridgeImport, MapMistakesOfABridgeImportAreLocated) {
    TempFile map(".yaml", R"(devices:
  - id: gh
    driver: mqtt
    bridge: Greenhouse
    availability_topic: x/status
    id_prefix: "bad prefix"
  - id: plain
    driver: mqtt
    id_prefix: p_
relays:
  - id: gh_fan
    device: gh
    command_topic: gh/relay/fan/set
  - id: lamp
    device: plain
    remote: lamp
    command_topic: a
    state_topic: b
)");
    auto result = run_hwbridge({"--check", map.path()});
    EXPECT_NE(result.exit_code, 0);
    const std::string out = result.err + result.out;
    EXPECT_NE(out.find(":5:25: error: 'availability_topic' is the imported bridge's status topic"), std::string::npos) << out;
    EXPECT_NE(out.find(":6:16: error: 'id_prefix' must be up to 32 letters"), std::string::npos) << out;
    EXPECT_NE(out.find(":9:16: error: 'id_prefix' needs 'bridge' on the device"), std::string::npos) << out;
    EXPECT_NE(out.find(":13:20: error: 'command_topic' is derived from the bridge's prefix"), std::string::npos) << out;
    EXPECT_NE(out.find(":16:13: error: 'remote' needs 'bridge' on the device"), std::string::npos) << out;
}

}  // namespace
}  // namespace hwb::test
