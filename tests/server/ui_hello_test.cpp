// What the page needs to show channels the way the map says, against the real daemon: the `ui`
// block and the words in every hello, the relay logbook in the relay hello (bounded, oldest
// first, with cause and who), and a map apply that changes only `ui` restarts nothing.
#include <signal.h>

#include <gtest/gtest.h>

#include "server/test_map.h"
#include "support/daemon.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string ui_map(const std::string& pump_ui) {
    return R"(bridge:
  name: Ui bench
devices:
  - id: bench
    driver: sim
sensors:
  - id: door
    device: bench
    label: Door
    type: boolean
    device_class: door
    ui: {group: Entrance, order: 3, compact: true}
    signal: toggle
    period: 1s
  - id: temperature
    device: bench
    signal: constant
    low: 20
relays:
  - id: pump
    device: bench
    device_class: running
    safe_state: off
    latency: 0ms
    ui: )" + pump_ui + R"(
  - id: lamp
    device: bench
    on_text: Lit
    off_text: Dark
    latency: 0ms
texts:
  - id: console
    device: bench
    ui: {hidden: true}
)";
}

const json* channel_of(const json& hello, const std::string& id) {
    for (const auto& c : hello["channels"])
        if (c["id"] == id) return &c;
    return nullptr;
}

json hello_of(const Daemon& daemon, const std::string& subprotocol) {
    WsClient client(daemon.port(), subprotocol);
    EXPECT_TRUE(client.ok());
    auto hello = client.wait_type("hello");
    EXPECT_TRUE(hello);
    return hello ? *hello : json();
}

TEST(UiHello, EveryHelloCarriesTheUiBlockAndTheWords) {
    Daemon daemon(ui_map("{group: Entrance, order: -1}"));
    json sensors = hello_of(daemon, "sensor");
    const json* door = channel_of(sensors, "door");
    ASSERT_TRUE(door) << sensors;
    EXPECT_EQ((*door)["device_class"], "door");
    EXPECT_EQ((*door)["on_text"], "Open");
    EXPECT_EQ((*door)["off_text"], "Closed");
    EXPECT_EQ((*door)["ui"], json::parse(R"({"order":3,"group":"Entrance","compact":true})"));
    // Nothing in the map: no keys (clients take the defaults).
    const json* temperature = channel_of(sensors, "temperature");
    ASSERT_TRUE(temperature);
    EXPECT_FALSE(temperature->contains("ui")) << *temperature;
    EXPECT_FALSE(temperature->contains("on_text")) << *temperature;

    json relays = hello_of(daemon, "relay");
    const json* pump = channel_of(relays, "pump");
    ASSERT_TRUE(pump) << relays;
    EXPECT_EQ((*pump)["ui"], json::parse(R"({"order":-1,"group":"Entrance"})"));
    EXPECT_EQ((*pump)["on_text"], "Running");
    EXPECT_EQ((*pump)["off_text"], "Stopped");
    const json* lamp = channel_of(relays, "lamp");
    ASSERT_TRUE(lamp);
    EXPECT_FALSE(lamp->contains("device_class"));
    EXPECT_EQ((*lamp)["on_text"], "Lit");
    EXPECT_EQ((*lamp)["off_text"], "Dark");

    json texts = hello_of(daemon, "text");
    const json* console = channel_of(texts, "console");
    ASSERT_TRUE(console) << texts;
    EXPECT_EQ((*console)["ui"], json::parse(R"({"hidden":true})"));
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
}

TEST(UiHello, RelayHelloCarriesABoundedLogbookOldestFirst) {
    Daemon daemon(ui_map("{}"));
    // Before anyone switched: the start-up state is the one entry.
    json first = hello_of(daemon, "relay");
    ASSERT_TRUE(channel_of(first, "pump"));
    const json& start = (*channel_of(first, "pump"))["log"];
    ASSERT_EQ(start.size(), 1u) << start;
    EXPECT_EQ(start[0]["cause"], "startup");
    EXPECT_EQ(start[0]["state"], "off");

    WsClient client(daemon.port(), "relay");
    auto hello = client.wait_type("hello");
    ASSERT_TRUE(hello);
    const std::string me = (*hello)["client"];
    // 12 switches: more than the logbook keeps (10), within the rate limits' bursts (20).
    for (int i = 0; i < 12; ++i) {
        const std::string state = i % 2 == 0 ? "on" : "off";
        client.send_json({{"type", "set"}, {"id", i}, {"channel", "pump"}, {"state", state}});
        auto ack = client.wait_for([&](const json& m) { return m.value("id", json()) == i; });
        ASSERT_TRUE(ack && (*ack)["type"] == "ack") << (ack ? ack->dump() : "no answer");
    }
    // Each entry names the connection and no subject (no authentication).
    json later = hello_of(daemon, "relay");
    const json& log = (*channel_of(later, "pump"))["log"];
    ASSERT_EQ(log.size(), 10u) << log;
    for (std::size_t i = 0; i < log.size(); ++i) {
        EXPECT_EQ(log[i]["cause"], "client") << log[i];
        EXPECT_EQ(log[i]["client"], me) << log[i];
        EXPECT_FALSE(log[i].contains("subject")) << log[i];
        // switches 2..11: even ones on, odd ones off.
        EXPECT_EQ(log[i]["state"], i % 2 == 0 ? "on" : "off") << i << " " << log;
        if (i > 0) {
            EXPECT_GE(log[i]["time"].get<std::int64_t>(), log[i - 1]["time"].get<std::int64_t>());
        }
    }
    EXPECT_EQ(log.back()["time"], (*channel_of(later, "pump"))["time"]);
    // The lamp nobody touched keeps its own, single entry.
    EXPECT_EQ((*channel_of(later, "lamp"))["log"].size(), 1u);
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
}

TEST(UiHello, AnApplyThatChangesOnlyUiRestartsNothingAndSaysSo) {
    std::string map = ui_map("{group: Entrance}");
    Daemon daemon(map);
    WsClient client(daemon.port(), "relay");
    ASSERT_TRUE(client.wait_type("hello"));
    client.send_json({{"type", "set"}, {"id", "on"}, {"channel", "pump"}, {"state", "on"}});
    auto ack = client.wait_for([](const json& m) { return m.value("id", json()) == "on"; });
    ASSERT_TRUE(ack && (*ack)["state"] == "on");
    ASSERT_TRUE(client.wait_for([](const json& m) { return m["type"] == "state" && m["state"] == "on"; }));

    auto doc = json::parse(http_get(daemon.port(), "/api/map").body);
    std::string draft = ui_map("{group: Garden, order: 2, compact: true}");
    draft.replace(draft.find("device_class: running"), 21, "device_class: power");
    auto r = http_request(daemon.port(), "POST", "/api/map/apply", {"Content-Type: application/json"},
                          json{{"text", draft}, {"version", doc["version"]}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    auto summary = json::parse(r.body)["summary"];
    ASSERT_EQ(summary.size(), 1u) << summary;
    EXPECT_EQ(summary[0], "relay pump: device_class, words, ui changed") << summary;

    // Up to the new hello: nothing switched; after it the pump is on with its new ui and its log.
    std::optional<json> hello;
    for (int i = 0; i < 50 && !hello; ++i) {
        auto message = client.next(3000ms);
        ASSERT_TRUE(message) << daemon.log();
        EXPECT_NE((*message)["type"], "state") << message->dump();
        if ((*message)["type"] == "hello") hello = message;
    }
    ASSERT_TRUE(hello);
    const json* pump = channel_of(*hello, "pump");
    ASSERT_TRUE(pump);
    EXPECT_EQ((*pump)["state"], "on");
    EXPECT_EQ((*pump)["ui"], json::parse(R"({"order":2,"group":"Garden","compact":true})"));
    EXPECT_EQ((*pump)["on_text"], "On");
    EXPECT_EQ((*pump)["log"].size(), 2u) << (*pump)["log"];  // start-up and the switch, kept
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace hwb::test
