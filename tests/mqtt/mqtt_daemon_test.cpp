// The MQTT uplink against a real mosquitto broker, the real daemon and an independent client
// (libmosquitto in the test): readings arrive, relay commands switch (seen on a WebSocket relay
// client too), refusals come back on the result topic and are audited, retained commands switch
// nothing, the last will on kill -9, discovery payloads, the retained messages of removed channels
// cleared (by a reload, by turning discovery off, and at the start after they went while down),
// and a broker restart: reconnect, states republished, no relay flipped.
#include <signal.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mqtt/broker.h"
#include "launch.h"
#include "support/daemon.h"
#include "support/eventually.h"
#include "support/tls.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using json = nlohmann::json;

std::string mqtt_map(std::uint16_t port, const std::string& extra_relay = "", const std::string& mqtt_extra = "") {
    return R"(bridge:
  name: Bench One
devices:
  - id: bench
    driver: sim
sensors:
  - id: level
    device: bench
    unit: "°C"
    signal: constant
    low: 3
    precision: 1
    rate: 20
  - id: door
    device: bench
    type: boolean
    device_class: door
    signal: toggle
    period: 100ms
    rate: 20
relays:
  - id: pump
    device: bench
    latency: 0ms
  - id: heater
    device: bench
    latency: 0ms
    control: admin
  - id: forward
    device: bench
    interlock: motor
    latency: 0ms
  - id: reverse
    device: bench
    interlock: motor
    latency: 0ms
)" + extra_relay + R"(texts:
  - id: console
    device: bench
mqtt:
  port: )" + std::to_string(port) + "\n  prefix: t/bench\n" + mqtt_extra;
}

bool log_has(const Daemon& d, const std::string& part) { return d.log().find(part) != std::string::npos; }

json result_of(MqttClient& client, const std::string& relay) {
    auto m = client.wait_topic("t/bench/relay/" + relay + "/result");
    if (!m) return json();
    return json::parse(m->payload, nullptr, false);
}

class MqttUplinkTest : public ::testing::Test {
protected:
    Broker broker;
};

TEST_F(MqttUplinkTest, ReadingsArriveWithTheirValuesAndTheBridgeIsOnline) {
    MqttClient client(broker.port(), "reader");
    client.subscribe("t/bench/#");
    Daemon daemon(mqtt_map(broker.port()));
    auto status = client.wait_topic("t/bench/status");
    ASSERT_TRUE(status) << daemon.log();
    EXPECT_EQ(status->payload, "online");
    auto level = client.wait_topic("t/bench/sensor/level");
    ASSERT_TRUE(level) << daemon.log();
    EXPECT_EQ(level->payload, "3.0");  // the sensor's precision
    EXPECT_FALSE(level->retained);
    // A boolean sensor reads ON / OFF, and both come (it toggles every 100 ms).
    EXPECT_TRUE(client.wait_for([](const Message& m) { return m.topic == "t/bench/sensor/door" && m.payload == "ON"; }));
    EXPECT_TRUE(client.wait_for([](const Message& m) { return m.topic == "t/bench/sensor/door" && m.payload == "OFF"; }));
    // Retained: the bridge's status, each channel's availability and each relay's confirmed state.
    MqttClient late(broker.port(), "late");
    late.subscribe("t/bench/+/+/state");
    auto pump = late.wait_topic("t/bench/relay/pump/state");
    ASSERT_TRUE(pump);
    EXPECT_TRUE(pump->retained);
    EXPECT_EQ(pump->payload, "OFF");
    late.subscribe("t/bench/relay/pump/availability");
    auto available = late.wait_topic("t/bench/relay/pump/availability");
    ASSERT_TRUE(available);
    EXPECT_EQ(available->payload, "online");
}

// An automation's `publish` action goes out through the uplink: a rule on the pump's switch
// publishes below the prefix and from the root, and an independent subscriber receives both.
TEST_F(MqttUplinkTest, AnAutomationPublishesThroughTheUplink) {
    MqttClient client(broker.port(), "listener");
    client.subscribe("t/bench/events/#");
    client.subscribe("garden/#");
    client.subscribe("t/bench/relay/pump/state");
    Daemon daemon(mqtt_map(broker.port()) + R"(automations:
  - id: tell
    type: rule
    trigger: {relay: pump, becomes: on}
    actions:
      - {publish: events/pump, payload: "pump on"}
      - {publish: /garden/pump, payload: "running", retain: true, qos: 1}
)");
    ASSERT_TRUE(client.wait_for([](const Message& m) { return m.topic == "t/bench/relay/pump/state" && m.payload == "OFF"; }))
        << daemon.log();
    EXPECT_FALSE(client.wait_topic("t/bench/events/pump", 300ms)) << "nothing before the rule fires";
    client.publish("t/bench/relay/pump/set", "ON");
    auto relative = client.wait_topic("t/bench/events/pump");
    ASSERT_TRUE(relative) << daemon.log();
    EXPECT_EQ(relative->payload, "pump on");
    auto absolute = client.wait_topic("garden/pump");
    ASSERT_TRUE(absolute) << daemon.log();
    EXPECT_EQ(absolute->payload, "running");
    EXPECT_TRUE(eventually([&] { return log_has(daemon, "audit: mqtt publish t/bench/events/pump by automation:tell"); }, 5000ms))
        << daemon.log();
    // Retained: a subscriber that comes later still gets it.
    MqttClient late(broker.port(), "late-garden");
    late.subscribe("garden/pump");
    auto kept = late.wait_topic("garden/pump");
    ASSERT_TRUE(kept);
    EXPECT_TRUE(kept->retained);
}

TEST_F(MqttUplinkTest, ARelayCommandFromTheBrokerSwitchesAndEveryoneSeesIt) {
    MqttClient client(broker.port(), "controller");
    client.subscribe("t/bench/relay/pump/result");
    MqttClient states(broker.port(), "states");
    states.subscribe("t/bench/relay/pump/state");
    Daemon daemon(mqtt_map(broker.port()));
    auto is = [](const char* payload) { return [payload](const Message& m) { return m.payload == payload; }; };
    ASSERT_TRUE(states.wait_for(is("OFF"))) << daemon.log();
    client.pump(200ms);  // the bridge's subscriptions are in place
    WsClient ws(daemon.port(), "relay");
    ASSERT_TRUE(ws.ok());
    ASSERT_TRUE(ws.wait_type("hello"));

    client.publish("t/bench/relay/pump/set", "ON");
    json result = result_of(client, "pump");
    EXPECT_EQ(result, (json{{"ok", true}, {"state", "ON"}})) << daemon.log();
    EXPECT_TRUE(states.wait_for(is("ON")));
    auto state = ws.wait_type("state");
    ASSERT_TRUE(state);
    EXPECT_EQ((*state)["channel"], "pump");
    EXPECT_EQ((*state)["state"], "on");
    EXPECT_TRUE(eventually([&] { return log_has(daemon, "audit: relay set pump on by mqtt:hwbridge-bench_one from 127.0.0.1:"); }, 5000ms))
        << daemon.log();

    // TOGGLE (any case) and a pulse as JSON.
    client.publish("t/bench/relay/pump/set", "toggle");
    EXPECT_EQ(result_of(client, "pump"), (json{{"ok", true}, {"state", "OFF"}}));
    EXPECT_TRUE(states.wait_for(is("OFF")));
    client.publish("t/bench/relay/pump/set", R"({"pulse_ms": 100})");
    EXPECT_EQ(result_of(client, "pump"), (json{{"ok", true}, {"state", "ON"}}));
    EXPECT_TRUE(states.wait_for(is("ON")));
    EXPECT_TRUE(states.wait_for(is("OFF")));  // the pulse ended
    // Unreadable commands get an error, not a guess.
    client.publish("t/bench/relay/pump/set", "maybe");
    EXPECT_EQ(result_of(client, "pump")["error"], "bad_request");
}

TEST_F(MqttUplinkTest, RefusalsComeBackOnTheResultTopicAndAreAudited) {
    MqttClient client(broker.port(), "controller");
    client.subscribe("t/bench/relay/+/result");
    Daemon daemon(mqtt_map(broker.port()));
    ASSERT_TRUE(eventually([&] { return log_has(daemon, "mqtt: connected"); }, 5000ms)) << daemon.log();
    client.pump(200ms);  // the bridge's subscriptions are in place

    // heater needs admin; the uplink's role is operator (the default).
    client.publish("t/bench/relay/heater/set", "ON");
    json refused = result_of(client, "heater");
    EXPECT_EQ(refused["ok"], false);
    EXPECT_EQ(refused["error"], "forbidden") << refused;
    EXPECT_TRUE(eventually([&] {
        return log_has(daemon, "audit: relay set heater on by mqtt:hwbridge-bench_one") &&
               log_has(daemon, "refused (forbidden)");
    }, 5000ms)) << daemon.log();

    // Interlock: forward on, then reverse is refused.
    client.publish("t/bench/relay/forward/set", "ON");
    EXPECT_EQ(result_of(client, "forward")["ok"], true);
    client.publish("t/bench/relay/reverse/set", "ON");
    json interlock = result_of(client, "reverse");
    EXPECT_EQ(interlock["error"], "interlock") << interlock;

    // An unknown relay.
    client.publish("t/bench/relay/nope/set", "ON");
    EXPECT_EQ(result_of(client, "nope")["error"], "unknown_channel");

    // Over mqtt.max_payload (4096 by default): refused unread.
    client.publish("t/bench/relay/pump/set", std::string(5000, 'O'));
    EXPECT_EQ(result_of(client, "pump")["error"], "too_large");
    EXPECT_FALSE(log_has(daemon, "relay set pump"));
}

TEST_F(MqttUplinkTest, AViewerUplinkMaySwitchNothing) {
    MqttClient client(broker.port(), "controller");
    client.subscribe("t/bench/relay/+/result");
    Daemon daemon(mqtt_map(broker.port(), "", "  role: viewer\n"));
    ASSERT_TRUE(eventually([&] { return log_has(daemon, "mqtt: connected"); }, 5000ms)) << daemon.log();
    client.pump(200ms);
    client.publish("t/bench/relay/pump/set", "ON");
    EXPECT_EQ(result_of(client, "pump")["error"], "forbidden");
}

TEST_F(MqttUplinkTest, ARetainedCommandSwitchesNothing) {
    {
        MqttClient stale(broker.port(), "stale");
        stale.publish("t/bench/relay/pump/set", "ON", true);  // left on the broker, retained
    }
    MqttClient client(broker.port(), "watcher");
    client.subscribe("t/bench/relay/pump/state");
    Daemon daemon(mqtt_map(broker.port()));
    ASSERT_TRUE(eventually([&] { return log_has(daemon, "retained command on t/bench/relay/pump/set ignored"); }, 5000ms))
        << daemon.log();
    client.pump(300ms);
    bool switched_on = false;
    for (const auto& m : client.received()) switched_on = switched_on || m.payload == "ON";
    EXPECT_FALSE(switched_on);
    EXPECT_FALSE(log_has(daemon, "relay set pump on"));
}

TEST_F(MqttUplinkTest, TextLinesGoBothWays) {
    MqttClient client(broker.port(), "texter");
    client.subscribe("t/bench/text/#");
    Daemon daemon(mqtt_map(broker.port()));
    ASSERT_TRUE(eventually([&] { return log_has(daemon, "mqtt: connected"); }, 5000ms)) << daemon.log();
    client.pump(200ms);
    client.publish("t/bench/text/console/send", "hello");
    auto result = client.wait_topic("t/bench/text/console/result");
    ASSERT_TRUE(result) << daemon.log();
    EXPECT_EQ(json::parse(result->payload), (json{{"ok", true}}));
    EXPECT_TRUE(eventually([&] { return log_has(daemon, "audit: text send console (5 bytes) by mqtt:hwbridge-bench_one from 127.0.0.1:"); }, 5000ms))
        << daemon.log();
}

TEST_F(MqttUplinkTest, TheLastWillSaysOfflineWhenTheDaemonIsKilled) {
    MqttClient client(broker.port(), "watcher");
    client.subscribe("t/bench/status");
    Daemon daemon(mqtt_map(broker.port()));
    ASSERT_TRUE(client.wait_for([](const Message& m) { return m.payload == "online"; })) << daemon.log();
    daemon.stop(SIGKILL);
    auto offline = client.wait_topic("t/bench/status");
    ASSERT_TRUE(offline);
    EXPECT_EQ(offline->payload, "offline");
    // Retained: a client that comes later sees it too.
    MqttClient late(broker.port(), "late");
    late.subscribe("t/bench/status");
    auto seen = late.wait_topic("t/bench/status");
    ASSERT_TRUE(seen);
    EXPECT_EQ(seen->payload, "offline");
    EXPECT_TRUE(seen->retained);
}

TEST_F(MqttUplinkTest, AStopPublishesOfflineItself) {
    MqttClient client(broker.port(), "watcher");
    client.subscribe("t/bench/status");
    Daemon daemon(mqtt_map(broker.port()));
    ASSERT_TRUE(client.wait_for([](const Message& m) { return m.payload == "online"; })) << daemon.log();
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
    auto offline = client.wait_topic("t/bench/status");
    ASSERT_TRUE(offline);
    EXPECT_EQ(offline->payload, "offline");
}

TEST_F(MqttUplinkTest, DiscoveryConfigsCarryWhatHomeAssistantNeedsAndRemovedChannelsAreCleared) {
    MqttClient client(broker.port(), "ha");
    client.subscribe("homeassistant/#");
    // An energy meter besides the map's sensors: Home Assistant takes energy only as a total.
    std::string map = mqtt_map(broker.port(), "  - id: lamp\n    device: bench\n    latency: 0ms\n");
    const std::string meter = "  - id: meter\n    device: bench\n    unit: kWh\n    signal: constant\n    low: 12\n";
    map.insert(map.find("relays:\n"), meter);
    Daemon daemon(map);
    std::map<std::string, json> configs;
    auto until = std::chrono::steady_clock::now() + 5s;
    while (configs.size() < 9 && std::chrono::steady_clock::now() < until) {
        auto m = client.wait_for([](const Message&) { return true; }, 200ms);
        if (!m) continue;
        json j = json::parse(m->payload, nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << m->topic << ": " << m->payload;
        configs[m->topic] = j;
    }
    ASSERT_EQ(configs.size(), 9u) << daemon.log();  // 3 sensors, 5 relays, 1 text channel
    const json& level = configs["homeassistant/sensor/bench_one/level/config"];
    EXPECT_EQ(level["unique_id"], "hwbridge_bench_one_level");
    EXPECT_EQ(level["state_topic"], "t/bench/sensor/level");
    EXPECT_EQ(level["unit_of_measurement"], "°C");
    EXPECT_EQ(level["device_class"], "temperature");
    EXPECT_EQ(level["state_class"], "measurement");
    const json& energy = configs["homeassistant/sensor/bench_one/meter/config"];
    EXPECT_EQ(energy["unit_of_measurement"], "kWh");
    EXPECT_EQ(energy["device_class"], "energy");
    EXPECT_EQ(energy["state_class"], "total_increasing");
    const json& door = configs["homeassistant/binary_sensor/bench_one/door/config"];
    EXPECT_EQ(door["payload_on"], "ON");
    EXPECT_EQ(door["payload_off"], "OFF");
    EXPECT_EQ(door["device_class"], "door");  // the map's device_class
    const json& pump = configs["homeassistant/switch/bench_one/pump/config"];
    EXPECT_EQ(pump["command_topic"], "t/bench/relay/pump/set");
    EXPECT_EQ(pump["state_topic"], "t/bench/relay/pump/state");
    EXPECT_EQ(pump["payload_on"], "ON");
    EXPECT_EQ(pump["payload_off"], "OFF");
    const json& console = configs["homeassistant/text/bench_one/console/config"];
    EXPECT_EQ(console["command_topic"], "t/bench/text/console/send");
    EXPECT_EQ(console["state_topic"], "t/bench/text/console/line");
    EXPECT_EQ(console["mode"], "text");
    EXPECT_EQ(console["max"], 255);
    // Every key is one Home Assistant documents for that component (MQTT sensor, binary sensor,
    // switch and text integrations; the device block's keys), so none is silently ignored.
    const std::set<std::string> common = {"name", "unique_id", "object_id", "availability", "availability_mode",
                                          "device", "state_topic", "qos", "value_template"};
    const std::map<std::string, std::set<std::string>> documented = {
        {"sensor", {"unit_of_measurement", "device_class", "state_class"}},
        {"binary_sensor", {"payload_on", "payload_off", "device_class"}},
        {"switch", {"command_topic", "payload_on", "payload_off", "state_on", "state_off", "retain"}},
        {"text", {"command_topic", "max", "min", "mode", "pattern", "retain"}},
    };
    const std::set<std::string> device_keys = {"identifiers", "name", "model", "manufacturer", "sw_version", "connections",
                                               "configuration_url", "hw_version", "suggested_area", "via_device"};
    // The state classes Home Assistant's sensor allows with each device class the bridge sets
    // (its sensor documentation; anything else is refused with a warning and no statistics).
    const std::map<std::string, std::set<std::string>> state_classes = {
        {"temperature", {"measurement"}}, {"voltage", {"measurement"}},  {"current", {"measurement"}},
        {"power", {"measurement"}},       {"pressure", {"measurement"}}, {"illuminance", {"measurement"}},
        {"frequency", {"measurement"}},   {"energy", {"total", "total_increasing"}},
    };
    for (const auto& [topic, config] : configs) {
        std::string component = topic.substr(std::string("homeassistant/").size());
        component = component.substr(0, component.find('/'));
        ASSERT_TRUE(documented.count(component)) << topic;
        if (component == "sensor" && config.contains("device_class")) {
            const std::string device_class = config["device_class"];
            ASSERT_TRUE(state_classes.count(device_class)) << topic << ": device_class " << device_class;
            EXPECT_TRUE(state_classes.at(device_class).count(config["state_class"].get<std::string>()))
                << topic << ": state_class " << config["state_class"] << " with device_class " << device_class;
        }
        for (const auto& [key, value] : config.items())
            EXPECT_TRUE(common.count(key) || documented.at(component).count(key)) << topic << ": undocumented key " << key;
        for (const auto& [key, value] : config["device"].items())
            EXPECT_TRUE(device_keys.count(key)) << topic << ": undocumented device key " << key;
        for (const auto& entry : config["availability"]) {
            for (const auto& [key, value] : entry.items())
                EXPECT_TRUE(key == "topic" || key == "payload_available" || key == "payload_not_available" ||
                            key == "value_template")
                    << topic << ": undocumented availability key " << key;
        }
        for (const char* key : {"name", "unique_id", "state_topic", "availability", "device"})
            EXPECT_TRUE(config.contains(key)) << topic << " lacks " << key;
        EXPECT_EQ(config["availability"][0]["topic"], "t/bench/status") << topic;
        EXPECT_EQ(config["device"]["identifiers"], json::array({"hwbridge_bench_one"})) << topic;
        EXPECT_EQ(config["device"]["name"], "Bench One") << topic;
        EXPECT_TRUE(config["device"].contains("sw_version")) << topic;
    }

    // Home Assistant restarted: it announces itself and gets every config again.
    client.publish("homeassistant/status", "online");
    auto again = client.wait_topic("homeassistant/switch/bench_one/pump/config");
    ASSERT_TRUE(again) << daemon.log();
    EXPECT_EQ(json::parse(again->payload), pump);

    // Reload without `lamp`: its config is cleared with an empty retained message.
    std::ofstream(daemon.map_path()) << mqtt_map(broker.port());
    ASSERT_EQ(kill(daemon.pid(), SIGHUP), 0);
    auto cleared = client.wait_for(
        [](const Message& m) { return m.topic == "homeassistant/switch/bench_one/lamp/config" && m.payload.empty(); });
    ASSERT_TRUE(cleared) << daemon.log();
    MqttClient late(broker.port(), "late");
    late.subscribe("homeassistant/switch/bench_one/+/config");
    late.pump(300ms);
    std::size_t retained = 0;
    for (const auto& m : late.received()) {
        EXPECT_NE(m.topic, "homeassistant/switch/bench_one/lamp/config");
        retained += m.retained ? 1 : 0;
    }
    EXPECT_EQ(retained, 4u);  // the configs are retained: Home Assistant finds them whenever it starts
}

// The retained messages under `patterns` that a client subscribing now is given. The metadata
// topic is subscribed last: the broker answers subscriptions in order, so once its retained
// message is in, every earlier one is too.
std::vector<Message> retained_now(std::uint16_t port, const std::vector<std::string>& patterns) {
    MqttClient late(port, "late-" + std::to_string(std::rand()));
    for (const auto& p : patterns) late.subscribe(p);
    late.subscribe("t/bench/meta");
    std::vector<Message> out;
    auto meta = late.wait_for([&](const Message& m) {
        if (m.topic == "t/bench/meta") return m.retained;
        if (m.retained) out.push_back(m);
        return false;
    });
    EXPECT_TRUE(meta) << "no retained metadata message";
    return out;
}

const std::string lamp_relay = "  - id: lamp\n    device: bench\n    latency: 0ms\n";
const std::vector<std::string> lamp_topics = {"t/bench/relay/lamp/state", "t/bench/relay/lamp/availability",
                                              "homeassistant/switch/bench_one/lamp/config"};

// Waits until `client` (subscribed to the lamp's topics) has seen each of them cleared.
bool lamp_cleared(MqttClient& client) {
    std::set<std::string> cleared;
    while (cleared.size() < lamp_topics.size()) {
        auto m = client.wait_for([](const Message& m) { return m.payload.empty(); });
        if (!m) return false;
        cleared.insert(m->topic);
    }
    return true;
}

TEST_F(MqttUplinkTest, AReloadThatRemovesAChannelClearsItsRetainedStateAvailabilityAndConfig) {
    Daemon daemon(mqtt_map(broker.port(), lamp_relay));
    MqttClient watcher(broker.port(), "watcher");
    for (const auto& t : lamp_topics) watcher.subscribe(t);
    std::set<std::string> seen;
    ASSERT_TRUE(eventually(
        [&] {
            if (auto m = watcher.wait_for([](const Message& m) { return !m.payload.empty(); }, 100ms))
                seen.insert(m->topic);
            return seen.size() == lamp_topics.size();
        },
        5000ms))
        << daemon.log();
    EXPECT_EQ(retained_now(broker.port(), lamp_topics).size(), 3u);

    std::ofstream(daemon.map_path()) << mqtt_map(broker.port());
    ASSERT_EQ(kill(daemon.pid(), SIGHUP), 0);
    ASSERT_TRUE(lamp_cleared(watcher)) << daemon.log();
    // A client that comes later finds nothing of the lamp, and the pump is still there.
    for (const auto& m : retained_now(broker.port(), lamp_topics)) ADD_FAILURE() << "still retained: " << m.topic;
    auto kept = retained_now(broker.port(), {"t/bench/relay/pump/availability", "homeassistant/switch/bench_one/pump/config"});
    EXPECT_EQ(kept.size(), 2u);
}

TEST_F(MqttUplinkTest, TurningDiscoveryOffByReloadClearsTheConfigs) {
    Daemon daemon(mqtt_map(broker.port()));
    MqttClient ha(broker.port(), "ha");
    ha.subscribe("homeassistant/+/bench_one/+/config");
    std::set<std::string> configs;
    ASSERT_TRUE(eventually(
        [&] {
            if (auto m = ha.wait_for([](const Message& m) { return !m.payload.empty(); }, 100ms)) configs.insert(m->topic);
            return configs.size() == 7;  // 2 sensors, 4 relays, 1 text channel
        },
        5000ms))
        << daemon.log();

    std::ofstream(daemon.map_path()) << mqtt_map(broker.port(), "", "  discovery: false\n");
    ASSERT_EQ(kill(daemon.pid(), SIGHUP), 0);
    std::set<std::string> cleared;
    while (cleared.size() < configs.size()) {
        auto m = ha.wait_for([](const Message& m) { return m.payload.empty(); });
        ASSERT_TRUE(m) << "cleared " << cleared.size() << " of " << configs.size() << "\n" << daemon.log();
        cleared.insert(m->topic);
    }
    EXPECT_EQ(cleared, configs);
    for (const auto& m : retained_now(broker.port(), {"homeassistant/#"})) ADD_FAILURE() << "still retained: " << m.topic;
    // The channels themselves are still published.
    EXPECT_EQ(retained_now(broker.port(), {"t/bench/relay/pump/availability"}).size(), 1u);
}

TEST_F(MqttUplinkTest, AChannelRemovedWhileTheDaemonWasDownIsClearedAtTheNextStart) {
    {
        Daemon before(mqtt_map(broker.port(), lamp_relay));
        MqttClient watcher(broker.port(), "watcher");
        watcher.subscribe("homeassistant/switch/bench_one/lamp/config");
        ASSERT_TRUE(watcher.wait_for([](const Message& m) { return !m.payload.empty(); })) << before.log();
        ASSERT_EQ(before.stop(SIGTERM), 0);
    }
    ASSERT_EQ(retained_now(broker.port(), lamp_topics).size(), 3u);  // left behind by the previous run
    MqttClient watcher(broker.port(), "watcher");
    for (const auto& t : lamp_topics) watcher.subscribe(t);
    Daemon after(mqtt_map(broker.port()));
    ASSERT_TRUE(lamp_cleared(watcher)) << after.log();
    for (const auto& m : retained_now(broker.port(), lamp_topics)) ADD_FAILURE() << "still retained: " << m.topic;
    EXPECT_TRUE(log_has(after, "retained message(s) of channels the previous run had")) << after.log();
}

TEST_F(MqttUplinkTest, AMalformedRetainedMetadataMessageIsReadWithoutHarm) {
    // Anyone may publish there: wrong types, missing ids and a node that is no topic level.
    {
        MqttClient prankster(broker.port(), "prankster");
        prankster.publish("t/bench/meta",
                          R"({"format":1,"node":"x/#","discovery_prefix":7,"sensors":[{"id":3},{"kind":"boolean"},5],)"
                          R"("relays":[{"id":"ghost","kind":[]}],"texts":"none"})",
                          true);
        ASSERT_EQ(retained_now(broker.port(), {}).size(), 0u);  // waits until the broker holds it
    }
    MqttClient watcher(broker.port(), "watcher");
    watcher.subscribe("t/bench/relay/ghost/availability");
    Daemon daemon(mqtt_map(broker.port()));
    // The one readable channel is cleared; nothing else happens to the daemon.
    ASSERT_TRUE(watcher.wait_for([](const Message& m) { return m.payload.empty(); })) << daemon.log();
    EXPECT_EQ(kill(daemon.pid(), 0), 0);
    EXPECT_TRUE(log_has(daemon, "mqtt: connected")) << daemon.log();
}

TEST_F(MqttUplinkTest, ABrokerRestartFlipsNothingAndStatesComeBack) {
    Daemon daemon(mqtt_map(broker.port()));
    {
        MqttClient client(broker.port(), "controller");
        client.subscribe("t/bench/relay/pump/result");
        ASSERT_TRUE(eventually([&] { return log_has(daemon, "mqtt: connected"); }, 5000ms)) << daemon.log();
        client.pump(200ms);
        client.publish("t/bench/relay/pump/set", "ON");
        ASSERT_EQ(result_of(client, "pump")["ok"], true) << daemon.log();
    }
    broker.restart();  // no persistence: the broker forgot every retained message
    MqttClient client(broker.port(), "watcher");
    client.subscribe("t/bench/#");
    auto online = client.wait_for([](const Message& m) { return m.topic == "t/bench/status" && m.payload == "online"; },
                                  15000ms);
    ASSERT_TRUE(online) << daemon.log();
    auto pump = client.wait_topic("t/bench/relay/pump/state");
    ASSERT_TRUE(pump);
    EXPECT_EQ(pump->payload, "ON");  // republished after the reconnect, still on
    EXPECT_TRUE(log_has(daemon, "mqtt: connected to 127.0.0.1"));
    // The relay was switched once (by the command) and never since.
    std::string log = daemon.log();
    std::size_t switches = 0;
    for (auto at = log.find("audit: relay set pump"); at != std::string::npos; at = log.find("audit: relay set pump", at + 1))
        ++switches;
    EXPECT_EQ(switches, 1u) << log;
    EXPECT_EQ(log.find("pump on -> off"), std::string::npos) << log;
}

TEST_F(MqttUplinkTest, TheRetainedMetadataMessageListsTheChannelsAndFollowsAReload) {
    Daemon daemon(mqtt_map(broker.port()));
    MqttClient watcher(broker.port(), "watcher");
    watcher.subscribe("t/bench/status");
    ASSERT_TRUE(watcher.wait_for([](const Message& m) { return m.payload == "online"; })) << daemon.log();
    // A program that comes later learns the channels from the retained message alone.
    MqttClient late(broker.port(), "late");
    late.subscribe("t/bench/meta");
    auto meta = late.wait_topic("t/bench/meta");
    ASSERT_TRUE(meta) << daemon.log();
    EXPECT_TRUE(meta->retained);
    json j = json::parse(meta->payload, nullptr, false);
    ASSERT_TRUE(j.is_object()) << meta->payload;
    EXPECT_EQ(j["format"], 1);
    EXPECT_EQ(j["bridge"], "Bench One");
    EXPECT_EQ(j["node"], "bench_one");
    EXPECT_EQ(j["prefix"], "t/bench");
    EXPECT_EQ(j["readings"], "plain");
    ASSERT_EQ(j["devices"].size(), 1u);
    EXPECT_EQ(j["devices"][0]["id"], "bench");
    ASSERT_EQ(j["sensors"].size(), 2u);
    EXPECT_EQ(j["sensors"][0]["id"], "level");
    EXPECT_EQ(j["sensors"][0]["unit"], "°C");
    EXPECT_EQ(j["sensors"][0]["precision"], 1);
    EXPECT_EQ(j["sensors"][1]["kind"], "boolean");
    ASSERT_EQ(j["relays"].size(), 4u);
    EXPECT_EQ(j["relays"][2]["id"], "forward");
    EXPECT_EQ(j["relays"][2]["interlock"], "motor");
    ASSERT_EQ(j["texts"].size(), 1u);
    EXPECT_EQ(j["texts"][0]["input"], true);
    EXPECT_FALSE(j.contains("value"));  // values have their own topics

    // A reload that adds a relay publishes the new list.
    std::ofstream(daemon.map_path()) << mqtt_map(broker.port(), "  - id: lamp\n    device: bench\n    latency: 0ms\n");
    ASSERT_EQ(kill(daemon.pid(), SIGHUP), 0);
    auto updated = late.wait_for([](const Message& m) {
        json u = json::parse(m.payload, nullptr, false);
        return m.topic == "t/bench/meta" && u.is_object() && u["relays"].size() == 5;
    });
    ASSERT_TRUE(updated) << daemon.log();
    EXPECT_EQ(json::parse(updated->payload)["relays"][4]["id"], "lamp");
}

TEST_F(MqttUplinkTest, JsonReadingsCarryValueUnitTimeAndSequence) {
    MqttClient client(broker.port(), "reader");
    client.subscribe("t/bench/sensor/+");
    client.subscribe("homeassistant/sensor/bench_one/level/config");
    Daemon daemon(mqtt_map(broker.port(), "", "  readings: json\n"));
    // Home Assistant is told where the value is.
    auto config = client.wait_topic("homeassistant/sensor/bench_one/level/config");
    ASSERT_TRUE(config) << daemon.log();
    EXPECT_EQ(json::parse(config->payload)["value_template"], "{{ value_json.value }}");
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::vector<json> levels;
    while (levels.size() < 2) {
        auto m = client.wait_topic("t/bench/sensor/level");
        ASSERT_TRUE(m) << daemon.log();
        levels.push_back(json::parse(m->payload, nullptr, false));
        ASSERT_TRUE(levels.back().is_object()) << m->payload;
    }
    EXPECT_DOUBLE_EQ(levels[0]["value"].get<double>(), 3.0);
    EXPECT_EQ(levels[0]["unit"], "°C");
    EXPECT_LT(std::abs(levels[0]["time"].get<std::int64_t>() - now_ms), 60000);
    EXPECT_GT(levels[1]["seq"].get<std::int64_t>(), levels[0]["seq"].get<std::int64_t>());
    auto door = client.wait_topic("t/bench/sensor/door");
    ASSERT_TRUE(door);
    EXPECT_TRUE(json::parse(door->payload)["value"].is_boolean()) << door->payload;
}

TEST_F(MqttUplinkTest, ALeaseTakenThroughTheBrokerHoldsWhileRenewedAndEndsWhenTheBrokerGoes) {
    MqttClient client(broker.port(), "controller");
    client.subscribe("t/bench/relay/pump/result");
    client.subscribe("t/bench/relay/pump/state");
    Daemon daemon(mqtt_map(broker.port()));
    ASSERT_TRUE(client.wait_for([](const Message& m) { return m.payload == "OFF"; })) << daemon.log();
    client.pump(200ms);
    client.publish("t/bench/relay/pump/set", R"({"state": "ON", "lease_ms": 1500})");
    json answer = result_of(client, "pump");
    ASSERT_EQ(answer["ok"], true) << answer.dump() << daemon.log();
    EXPECT_EQ(answer["state"], "ON");
    // Renewed for longer than the lease: still on.
    auto held_until = std::chrono::steady_clock::now() + 3s;
    while (std::chrono::steady_clock::now() < held_until) {
        client.publish("t/bench/relay/pump/set", R"({"renew_ms": 1500})");
        json renewed = result_of(client, "pump");
        ASSERT_EQ(renewed["ok"], true) << renewed.dump() << daemon.log();
        EXPECT_TRUE(renewed["lease"].contains("expires"));
        client.pump(400ms);
    }
    WsClient ws(daemon.port(), "relay");
    ASSERT_TRUE(ws.ok());
    auto hello = ws.wait_type("hello");
    ASSERT_TRUE(hello);
    EXPECT_EQ(hello->at("channels")[0]["state"], "on") << hello->dump();
    // Not renewed: the relay falls back to off by itself.
    auto off = ws.wait_for([](const json& m) { return m.value("type", "") == "state" && m.value("state", "") == "off"; }, 5000ms);
    ASSERT_TRUE(off) << daemon.log();

    // Held again, then the broker dies: the lease ends with the uplink's connection.
    client.publish("t/bench/relay/pump/set", R"({"state": "ON", "lease_ms": 60000})");
    ASSERT_EQ(result_of(client, "pump")["ok"], true) << daemon.log();
    ASSERT_TRUE(ws.wait_for([](const json& m) { return m.value("type", "") == "state" && m.value("state", "") == "on"; }));
    broker.kill();
    auto dropped = ws.wait_for([](const json& m) { return m.value("type", "") == "state" && m.value("state", "") == "off"; },
                               10000ms);
    ASSERT_TRUE(dropped) << daemon.log();
}

TEST_F(MqttUplinkTest, StaleAndMalformedJsonCommandsAreRefusedWithTheirReason) {
    MqttClient client(broker.port(), "controller");
    client.subscribe("t/bench/relay/pump/result");
    MqttClient states(broker.port(), "states");
    states.subscribe("t/bench/relay/pump/state");
    Daemon daemon(mqtt_map(broker.port()));
    ASSERT_TRUE(states.wait_for([](const Message& m) { return m.payload == "OFF"; })) << daemon.log();
    client.pump(200ms);
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    client.publish("t/bench/relay/pump/set", json{{"state", "ON"}, {"time", now_ms - 120000}}.dump());
    json stale = result_of(client, "pump");
    EXPECT_EQ(stale["error"], "stale") << stale.dump();
    EXPECT_NE(stale["message"].get<std::string>().find("120 s old"), std::string::npos) << stale.dump();
    client.publish("t/bench/relay/pump/set", R"({"state": "ON", "colour": "red"})");
    json unknown = result_of(client, "pump");
    EXPECT_EQ(unknown["error"], "bad_request") << unknown.dump();
    EXPECT_NE(unknown["message"].get<std::string>().find("unknown key 'colour'"), std::string::npos) << unknown.dump();
    client.publish("t/bench/relay/pump/set", R"({"state": "ON", "lease_ms": 10})");
    EXPECT_EQ(result_of(client, "pump")["error"], "bad_request");
    // A fresh one is carried out.
    now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    client.publish("t/bench/relay/pump/set", json{{"state", "ON"}, {"time", now_ms}}.dump());
    EXPECT_EQ(result_of(client, "pump")["state"], "ON");
    // None of the refused ones switched anything: the first state after OFF is the fresh ON.
    auto next = states.wait_topic("t/bench/relay/pump/state");
    ASSERT_TRUE(next);
    EXPECT_EQ(next->payload, "ON");
}

TEST_F(MqttUplinkTest, Mqtt5RequestsAreAnsweredOnTheirResponseTopicWithTheirCorrelationData) {
    MqttClient client(broker.port(), "v5-controller", "", "", /*v5=*/true);
    client.subscribe("answers/me");
    client.subscribe("t/bench/relay/pump/result");
    Daemon daemon(mqtt_map(broker.port()));
    MqttClient watcher(broker.port(), "watcher");
    watcher.subscribe("t/bench/status");
    ASSERT_TRUE(watcher.wait_for([](const Message& m) { return m.payload == "online"; })) << daemon.log();
    watcher.pump(200ms);
    client.request("t/bench/relay/pump/set", "ON", "answers/me", std::string("req\0-7", 6));
    auto answer = client.wait_topic("answers/me");
    ASSERT_TRUE(answer) << daemon.log();
    EXPECT_EQ(json::parse(answer->payload)["state"], "ON");
    EXPECT_EQ(answer->correlation, std::string("req\0-7", 6));
    // A response topic that is a command topic is refused (an answer must not become a command).
    client.request("t/bench/relay/pump/set", "OFF", "t/bench/relay/heater/set", "x");
    auto refused = client.wait_topic("t/bench/relay/pump/result");
    ASSERT_TRUE(refused) << daemon.log();
    EXPECT_EQ(json::parse(refused->payload)["error"], "bad_request");
    EXPECT_EQ(refused->correlation, "x");
}

TEST_F(MqttUplinkTest, SensorClientsAreToldTheUplinksStateAndItsChanges) {
    Daemon daemon(mqtt_map(broker.port()));
    WsClient ws(daemon.port(), "sensor");
    ASSERT_TRUE(ws.ok());
    ASSERT_TRUE(ws.wait_type("hello"));
    auto connected = ws.wait_for([](const json& m) { return m.value("type", "") == "uplink" && m.value("state", "") == "connected"; });
    ASSERT_TRUE(connected) << daemon.log();
    EXPECT_EQ((*connected)["name"], "mqtt");
    EXPECT_EQ((*connected)["target"], "127.0.0.1:" + std::to_string(broker.port()));
    EXPECT_GT((*connected)["since"].get<std::int64_t>(), 0);
    broker.kill();
    auto lost = ws.wait_for([](const json& m) { return m.value("type", "") == "uplink" && m.value("state", "") == "disconnected"; },
                            10000ms);
    ASSERT_TRUE(lost) << daemon.log();
    EXPECT_FALSE((*lost)["detail"].get<std::string>().empty()) << lost->dump();
    // A client that comes now learns it right after its hello.
    WsClient late(daemon.port(), "sensor");
    ASSERT_TRUE(late.wait_type("hello"));
    auto told = late.wait_type("uplink");
    ASSERT_TRUE(told);
    EXPECT_EQ((*told)["state"], "disconnected");
}

TEST(MqttUplinkTls, TheBrokersCertificateIsCheckedAgainstTheCa) {
    CertChain chain;
    std::string dir = chain.root().substr(0, chain.root().rfind('/'));
    std::string served = dir + "/served.pem";  // the broker sends its certificate and the intermediate
    std::ofstream(served) << launch::read_file(chain.leaf()) << launch::read_file(chain.intermediate());
    // mosquitto started as root reads its files as the user mosquitto (test files only).
    ::chmod(dir.c_str(), 0755);
    for (const auto& f : {served, chain.leaf_key()}) ::chmod(f.c_str(), 0644);
    std::uint16_t plain = free_loopback_port();
    Broker broker(0, "allow_anonymous true\ncertfile " + served + "\nkeyfile " + chain.leaf_key() + "\nlistener " +
                         std::to_string(plain) + " 127.0.0.1\n");
    // The plain listener may open a moment after the TLS one the broker's start waited for.
    std::unique_ptr<MqttClient> client;
    ASSERT_TRUE(eventually([&] {
        try {
            client = std::make_unique<MqttClient>(plain, "watcher");
        } catch (const std::exception&) {
        }
        return client != nullptr;
    }, 5000ms)) << broker.log();
    MqttClient& watcher = *client;
    watcher.subscribe("t/bench/#");
    {
        Daemon daemon(mqtt_map(broker.port(), "", "  ca: " + chain.root() + "\n"));
        // Generous waits: a TLS handshake under the sanitizers on a busy machine takes a while.
        ASSERT_TRUE(watcher.wait_for([](const Message& m) { return m.topic == "t/bench/status" && m.payload == "online"; },
                                     15000ms))
            << daemon.log() << broker.log();
        EXPECT_TRUE(watcher.wait_topic("t/bench/sensor/level", 15000ms));
        EXPECT_TRUE(log_has(daemon, "uplink to TLS 127.0.0.1")) << daemon.log();
    }
    ASSERT_TRUE(
        watcher.wait_for([](const Message& m) { return m.topic == "t/bench/status" && m.payload == "offline"; }, 15000ms));

    // Another CA: the bridge refuses the broker and says so; it never publishes there.
    SelfSignedCert stranger;
    Daemon wary(mqtt_map(broker.port(), "", "  ca: " + stranger.cert() + "\n"));
    ASSERT_TRUE(eventually([&] { return log_has(wary, "mqtt: 127.0.0.1:" + std::to_string(broker.port()) + ": "); }, 15000ms))
        << wary.log();
    EXPECT_FALSE(watcher.wait_for([](const Message& m) { return m.topic == "t/bench/status" && m.payload == "online"; },
                                  1500ms))
        << wary.log();
    EXPECT_FALSE(log_has(wary, "mqtt: connected")) << wary.log();
    // With OpenSSL's reason, whichever way libmosquitto reported the failure.
    EXPECT_TRUE(eventually([&] { return log_has(wary, "certificate verify failed"); }, 15000ms)) << wary.log();
    EXPECT_EQ(http_get(wary.port(), "/").status, 200);
}

TEST(MqttUplinkStart, TheDaemonStartsWithoutABrokerAndConnectsWhenOneComes) {
    std::uint16_t port = free_loopback_port();
    Daemon daemon(mqtt_map(port));
    // The loop is not blocked by the missing broker: the page answers at once.
    EXPECT_EQ(http_get(daemon.port(), "/").status, 200);
    ASSERT_TRUE(eventually([&] { return log_has(daemon, "mqtt: 127.0.0.1:" + std::to_string(port) + ": "); }, 5000ms))
        << daemon.log();
    Broker broker(port);
    MqttClient client(port, "watcher");
    client.subscribe("t/bench/status");
    auto online = client.wait_for([](const Message& m) { return m.payload == "online"; }, 10000ms);
    ASSERT_TRUE(online) << daemon.log();
}

TEST(MqttUplinkStart, APasswordFromAFileOpensABrokerThatNeedsOne) {
    TempFile passwords(".passwd", "");
    ASSERT_EQ(std::system(("mosquitto_passwd -b " + passwords.path() + " bridge s3cret >/dev/null 2>&1").c_str()), 0);
    ::chmod(passwords.path().c_str(), 0644);  // the broker reads it (it may run as another user when root)
    Broker broker(0, "allow_anonymous false\npassword_file " + passwords.path() + "\n");
    TempFile secret(".secret", "s3cret\n");
    ::chmod(secret.path().c_str(), 0640);
    MqttClient client(broker.port(), "watcher", "bridge", "s3cret");
    client.subscribe("t/bench/status");
    Daemon daemon(mqtt_map(broker.port(), "", "  username: bridge\n  password_file: " + secret.path() + "\n"));
    ASSERT_TRUE(client.wait_for([](const Message& m) { return m.payload == "online"; })) << daemon.log();

    // A password file everyone may read is refused: the uplink stays off, the rest runs.
    ::chmod(secret.path().c_str(), 0644);
    Daemon careless(mqtt_map(broker.port(), "", "  username: bridge\n  password_file: " + secret.path() + "\n  client_id: other\n"));
    ASSERT_TRUE(eventually([&] { return log_has(careless, "is readable by everyone; chmod o-r it"); }, 5000ms)) << careless.log();
    EXPECT_EQ(http_get(careless.port(), "/").status, 200);
}

}  // namespace
}  // namespace hwb::test
