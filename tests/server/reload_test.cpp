// Hot reload of the device map on SIGHUP, against the real daemon: unchanged devices keep running
// (a relay that is on stays on, with no transient off), removed relays go to their safe state
// first, clients get the new metadata as a new hello on their connection, and a map with errors
// changes nothing.
#include <signal.h>

#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "support/daemon.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

std::string reload_map(const std::string& pump_label, bool with_valve, const std::string& extra = "") {
    std::string map = R"(bridge:
  name: Reload bench
devices:
  - id: bench
    driver: sim
  - id: spare
    driver: sim
sensors:
  - id: temperature
    device: bench
    label: Temperature
    signal: sine
    period: 10s
    rate: 20
relays:
  - id: pump
    device: bench
    label: )" + pump_label + R"(
    safe_state: off
    latency: 0ms
)";
    if (with_valve) map += R"(  - id: valve
    device: spare
    label: Valve
    safe_state: off
    latency: 0ms
)";
    return map + extra;
}

void rewrite(const Daemon& daemon, const std::string& text) {
    std::ofstream out(daemon.map_path(), std::ios::trunc);
    out << text;
}

const json* find_channel(const json& hello, const std::string& id) {
    for (const auto& c : hello["channels"])
        if (c["id"] == id) return &c;
    return nullptr;
}

std::unique_ptr<WsClient> relay_client(const Daemon& daemon) {
    auto client = std::make_unique<WsClient>(daemon.port(), "relay");
    EXPECT_TRUE(client->ok());
    EXPECT_TRUE(client->wait_type("hello"));
    return client;
}

void switch_on(WsClient& client, const std::string& relay) {
    client.send_json({{"type", "set"}, {"id", relay}, {"channel", relay}, {"state", "on"}});
    auto ack = client.wait_type("ack");
    ASSERT_TRUE(ack);
    ASSERT_EQ((*ack)["state"], "on");
}

TEST(Reload, LabelChangeKeepsARelayOnWithoutATransientAndSendsANewHello) {
    Daemon daemon(reload_map("Water pump", true));
    auto client = relay_client(daemon);
    switch_on(*client, "pump");
    ASSERT_TRUE(client->wait_type("state"));
    auto sensors = std::make_unique<WsClient>(daemon.port(), "sensor");
    ASSERT_TRUE(sensors->wait_type("hello"));

    rewrite(daemon, reload_map("Main pump", true));
    ASSERT_EQ(kill(daemon.pid(), SIGHUP), 0);

    // Everything up to the new hello: no state message may say the pump went off.
    std::optional<json> hello;
    for (int i = 0; i < 50 && !hello; ++i) {
        auto message = client->next(3000ms);
        ASSERT_TRUE(message) << daemon.log();
        if ((*message)["type"] == "state") {
            EXPECT_NE((*message)["state"], "off") << message->dump();
        }
        if ((*message)["type"] == "hello") hello = message;
    }
    ASSERT_TRUE(hello);
    const json* pump = find_channel(*hello, "pump");
    ASSERT_TRUE(pump);
    EXPECT_EQ((*pump)["label"], "Main pump");
    EXPECT_EQ((*pump)["state"], "on");
    // The sensor connection got its new hello too and keeps streaming.
    ASSERT_TRUE(sensors->wait_type("hello"));
    EXPECT_TRUE(sensors->wait_type("reading"));
    // Still controllable on the same connection.
    client->send_json({{"type", "set"}, {"id", "off"}, {"channel", "pump"}, {"state", "off"}});
    auto ack = client->wait_type("ack");
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["state"], "off");
    EXPECT_NE(daemon.log().find("map reloaded"), std::string::npos);
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
}

TEST(Reload, RemovedRelayGoesToItsSafeStateBeforeItDisappears) {
    Daemon daemon(reload_map("Water pump", true));
    auto client = relay_client(daemon);
    switch_on(*client, "valve");
    switch_on(*client, "pump");

    rewrite(daemon, reload_map("Water pump", false));
    ASSERT_EQ(kill(daemon.pid(), SIGHUP), 0);

    auto safe = client->wait_for([](const json& m) { return m["type"] == "state" && m["channel"] == "valve" && m["state"] == "off"; }, 5000ms);
    ASSERT_TRUE(safe) << daemon.log();
    EXPECT_EQ((*safe)["cause"], "reload");
    auto hello = client->wait_type("hello", 5000ms);
    ASSERT_TRUE(hello);
    EXPECT_EQ(find_channel(*hello, "valve"), nullptr);
    ASSERT_TRUE(find_channel(*hello, "pump"));
    EXPECT_EQ((*find_channel(*hello, "pump"))["state"], "on");  // its device did not change
    client->send_json({{"type", "set"}, {"id", 9}, {"channel", "valve"}, {"state", "on"}});
    auto error = client->wait_type("error");
    ASSERT_TRUE(error);
    EXPECT_EQ((*error)["code"], "unknown_channel");
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
}

TEST(Reload, MapWithErrorsIsRejectedWithItsLocationAndNothingChanges) {
    Daemon daemon(reload_map("Water pump", true));
    auto client = relay_client(daemon);
    switch_on(*client, "pump");

    rewrite(daemon, reload_map("Water pump", true, "  - id: broken\n    device: nowhere\n"));
    ASSERT_EQ(kill(daemon.pid(), SIGHUP), 0);
    std::string log;
    for (int i = 0; i < 50 && log.find("the running map stays") == std::string::npos; ++i) {
        std::this_thread::sleep_for(100ms);
        log = daemon.log();
    }
    EXPECT_NE(log.find("the running map stays"), std::string::npos) << log;
    EXPECT_NE(log.find(":27:13: error:"), std::string::npos) << log;  // device: nowhere
    // No new hello, no state change; the relay still answers.
    EXPECT_FALSE(client->wait_type("hello", 500ms));
    client->send_json({{"type", "set"}, {"id", 2}, {"channel", "valve"}, {"state", "on"}});
    auto ack = client->wait_type("ack");
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["state"], "on");
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
}

TEST(Reload, AddedDeviceStartsAndItsChannelsReachConnectedClients) {
    Daemon daemon(reload_map("Water pump", false));
    auto client = relay_client(daemon);
    rewrite(daemon, reload_map("Water pump", true));
    ASSERT_EQ(kill(daemon.pid(), SIGHUP), 0);
    auto hello = client->wait_type("hello", 5000ms);
    ASSERT_TRUE(hello) << daemon.log();
    const json* valve = find_channel(*hello, "valve");
    ASSERT_TRUE(valve);
    EXPECT_EQ((*valve)["online"], true);
    switch_on(*client, "valve");
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace hwb::test
