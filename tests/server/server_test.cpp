// Integration tests: the real hwbridge binary on a loopback port, real WebSocket clients.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <set>
#include <thread>

#include "server/test_map.h"
#include "support/daemon.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using nlohmann::json;

class ServerTest : public ::testing::Test {
protected:
    Daemon daemon{server_test_map()};

    // Connects, checks the hello, and returns the client.
    std::unique_ptr<WsClient> connect(const std::string& subprotocol) {
        auto client = std::make_unique<WsClient>(daemon.port(), subprotocol);
        EXPECT_TRUE(client->ok()) << client->refusal().head;
        auto hello = client->wait_type("hello");
        EXPECT_TRUE(hello.has_value());
        if (hello) {
            EXPECT_EQ((*hello)["protocol"], subprotocol);
            last_hello = *hello;
        }
        return client;
    }
    json last_hello;
};

json channel(const json& hello, const std::string& id) {
    for (const auto& c : hello["channels"])
        if (c["id"] == id) return c;
    return nullptr;
}

TEST_F(ServerTest, SensorHelloDescribesEverySensorWithVersionAndBridgeName) {
    auto c = connect("sensor");
    EXPECT_EQ(last_hello["version"], 1);
    EXPECT_EQ(last_hello["bridge"], "Test bench");
    ASSERT_EQ(last_hello["channels"].size(), 3u);
    auto t = channel(last_hello, "temperature");
    EXPECT_EQ(t["unit"], "°C");
    EXPECT_EQ(t["kind"], "number");
    EXPECT_EQ(t["min"], -10);
    EXPECT_EQ(t["max"], 40);
    EXPECT_EQ(channel(last_hello, "door")["kind"], "boolean");
    // The slow sensor published once at start-up: a new client sees that value at once.
    EXPECT_EQ(channel(last_hello, "slow")["value"], 3);
}

TEST_F(ServerTest, ReadingsStreamWithIncreasingSequenceNumbers) {
    auto c = connect("sensor");
    std::map<std::string, std::int64_t> last_seq;
    int readings = 0;
    while (readings < 40) {
        auto m = c->wait_type("reading");
        ASSERT_TRUE(m) << "no reading within 3 s";
        std::string id = (*m)["channel"];
        std::int64_t seq = (*m)["seq"];
        EXPECT_GT(seq, last_seq[id]) << id;
        last_seq[id] = seq;
        if (id == "door") {
            EXPECT_TRUE((*m)["value"].is_boolean());
        }
        EXPECT_GT((*m)["time"].get<std::int64_t>(), 1700000000000);
        ++readings;
    }
    EXPECT_TRUE(last_seq.count("temperature"));
    EXPECT_TRUE(last_seq.count("door"));
}

TEST_F(ServerTest, SubscribeToSubsetWithRateCap) {
    auto c = connect("sensor");
    c->send_json({{"type", "subscribe"}, {"id", 7}, {"channels", {"temperature"}}, {"max_rate_hz", 5}});
    auto ack = c->wait_type("ack");
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["id"], 7);
    // Drain what was queued before the subscription took effect, then count for 1 s.
    auto drained = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    while (std::chrono::steady_clock::now() < drained) c->next(std::chrono::milliseconds(50));
    int count = 0;
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (std::chrono::steady_clock::now() < end) {
        auto m = c->next(std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()));
        if (!m) break;
        if ((*m)["type"] != "reading") continue;
        EXPECT_EQ((*m)["channel"], "temperature");
        ++count;
    }
    // 50 readings/s are produced; the cap allows 5/s (+1 for timer phase).
    EXPECT_GE(count, 3);
    EXPECT_LE(count, 6);
}

TEST_F(ServerTest, HistoryGivesRecentReadingsForTrendCharts) {
    auto c = connect("sensor");
    // Ask until the bridge has kept a few readings (one per 200 ms at most), however loaded the machine.
    json readings;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (int id = 0; readings.size() < 4 && std::chrono::steady_clock::now() < deadline; ++id) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        c->send_json({{"type", "history"}, {"id", id}, {"channel", "temperature"}});
        auto ack = c->wait_for([&](const json& m) { return m["type"] == "ack" && m["id"] == id; });
        ASSERT_TRUE(ack);
        EXPECT_EQ((*ack)["channel"], "temperature");
        readings = (*ack)["readings"];
    }
    ASSERT_GE(readings.size(), 4u);
    for (std::size_t i = 1; i < readings.size(); ++i)
        EXPECT_GE(readings[i][0].get<std::int64_t>() - readings[i - 1][0].get<std::int64_t>(), 200);
    c->send_json({{"type", "history"}, {"id", "x"}, {"channel", "pump"}});
    auto err = c->wait_type("error");
    ASSERT_TRUE(err);
    EXPECT_EQ((*err)["code"], "unknown_channel");
}

TEST_F(ServerTest, SubscribeToUnknownSensorIsRefusedAndSubscriptionKept) {
    auto c = connect("sensor");
    c->send_json({{"type", "subscribe"}, {"id", "s1"}, {"channels", {"temperature", "nope"}}});
    auto err = c->wait_type("error");
    ASSERT_TRUE(err);
    EXPECT_EQ((*err)["code"], "unknown_channel");
    EXPECT_EQ((*err)["id"], "s1");
    EXPECT_TRUE(c->wait_for([](const json& m) { return m["type"] == "reading" && m["channel"] == "door"; }));
}

TEST_F(ServerTest, RelaySetIsAckedToRequesterAndBroadcastToOthers) {
    auto a = connect("relay");
    EXPECT_EQ(channel(last_hello, "pump")["state"], "off");
    EXPECT_EQ(channel(last_hello, "pump")["safe_state"], "off");
    auto b = connect("relay");
    a->send_json({{"type", "set"}, {"id", "r1"}, {"channel", "pump"}, {"state", "on"}, {"client", "tablet"}});
    auto ack = a->wait_type("ack");
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["id"], "r1");
    EXPECT_EQ((*ack)["state"], "on");
    for (auto* c : {a.get(), b.get()}) {
        auto state = c->wait_type("state");
        ASSERT_TRUE(state);
        EXPECT_EQ((*state)["channel"], "pump");
        EXPECT_EQ((*state)["state"], "on");
        EXPECT_EQ((*state)["cause"], "client");
        EXPECT_EQ((*state)["client"], "tablet");
    }
    // A new client sees the confirmed state in its hello.
    auto c = connect("relay");
    EXPECT_EQ(channel(last_hello, "pump")["state"], "on");
}

TEST_F(ServerTest, ToggleAndPulseReportStateChangesWithCause) {
    auto a = connect("relay");
    a->send_json({{"type", "pulse"}, {"id", 1}, {"channel", "pump"}, {"duration_ms", 100}});
    auto ack = a->wait_type("ack");
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["state"], "on");
    auto on = a->wait_type("state");
    ASSERT_TRUE(on);
    EXPECT_EQ((*on)["state"], "on");
    auto off = a->wait_type("state");
    ASSERT_TRUE(off);
    EXPECT_EQ((*off)["state"], "off");
    EXPECT_EQ((*off)["cause"], "pulse_end");
    a->send_json({{"type", "toggle"}, {"id", 2}, {"channel", "pump"}});
    auto toggled = a->wait_type("ack");
    ASSERT_TRUE(toggled);
    EXPECT_EQ((*toggled)["state"], "on");
}

TEST_F(ServerTest, FailingRelayAnswersErrorAndKeepsItsState) {
    auto a = connect("relay");
    auto b = connect("relay");
    a->send_json({{"type", "set"}, {"id", 1}, {"channel", "valve"}, {"state", "on"}});
    ASSERT_TRUE(a->wait_type("ack"));
    ASSERT_TRUE(b->wait_type("state"));
    // fail_every: 2 -> the second write fails; the relay stays on and nobody hears of a change.
    a->send_json({{"type", "set"}, {"id", 2}, {"channel", "valve"}, {"state", "off"}});
    auto err = a->wait_type("error");
    ASSERT_TRUE(err);
    EXPECT_EQ((*err)["id"], 2);
    EXPECT_EQ((*err)["code"], "hardware");
    EXPECT_EQ((*err)["channel"], "valve");
    EXPECT_FALSE(b->wait_type("state", std::chrono::milliseconds(300)));
    auto c = connect("relay");
    EXPECT_EQ(channel(last_hello, "valve")["state"], "on");
}

TEST_F(ServerTest, InterlockRefusesTheSecondRelayOfAGroup) {
    auto a = connect("relay");
    auto fwd = channel(last_hello, "forward");
    EXPECT_EQ(fwd["interlock"], "motor");
    EXPECT_EQ(fwd["max_on_ms"], 10000);
    a->send_json({{"type", "set"}, {"id", 1}, {"channel", "forward"}, {"state", "on"}});
    auto ack = a->wait_type("ack");
    ASSERT_TRUE(ack);
    auto on = a->wait_type("state");
    ASSERT_TRUE(on);
    EXPECT_TRUE((*on)["auto_off"].is_number()) << "max_on countdown travels with the state";
    a->send_json({{"type", "set"}, {"id", 2}, {"channel", "reverse"}, {"state", "on"}});
    auto err = a->wait_type("error");
    ASSERT_TRUE(err);
    EXPECT_EQ((*err)["code"], "interlock");
    auto b = connect("relay");
    EXPECT_EQ(channel(last_hello, "reverse")["state"], "off");
    EXPECT_EQ(channel(last_hello, "forward")["state"], "on");
}

TEST_F(ServerTest, LeasedRelayFallsBackWhenItsClientDisconnects) {
    auto watcher = connect("relay");
    {
        auto phone = connect("relay");
        std::string phone_id = last_hello["client"];
        phone->send_json({{"type", "set"}, {"id", 1}, {"channel", "pump"}, {"state", "on"}, {"lease_ms", 60000}});
        ASSERT_TRUE(phone->wait_type("ack"));
        auto on = watcher->wait_type("state");
        ASSERT_TRUE(on);
        EXPECT_EQ((*on)["state"], "on");
        EXPECT_EQ((*on)["lease"]["client"], phone_id);
        phone->send_json({{"type", "renew"}, {"id", 2}, {"channel", "pump"}, {"lease_ms", 60000}});
        auto renewed = phone->wait_type("ack");
        ASSERT_TRUE(renewed);
        EXPECT_TRUE((*renewed)["lease_expires"].is_number());
        // Another client cannot renew someone else's lease.
        watcher->send_json({{"type", "renew"}, {"id", 3}, {"channel", "pump"}, {"lease_ms", 60000}});
        auto refused = watcher->wait_type("error");
        ASSERT_TRUE(refused);
        EXPECT_EQ((*refused)["code"], "no_lease");
    }  // the phone's connection drops
    auto off = watcher->wait_type("state");
    ASSERT_TRUE(off);
    EXPECT_EQ((*off)["state"], "off");
    EXPECT_EQ((*off)["cause"], "lease_expired");
    EXPECT_TRUE((*off)["lease"].is_null());
}

TEST_F(ServerTest, SecondRequestWhileSwitchingIsRefusedAsBusy) {
    auto a = connect("relay");
    a->send_json({{"type", "set"}, {"id", 1}, {"channel", "heater"}, {"state", "on"}});
    a->send_json({{"type", "set"}, {"id", 2}, {"channel", "heater"}, {"state", "off"}});
    auto busy = a->wait_type("error");
    ASSERT_TRUE(busy);
    EXPECT_EQ((*busy)["id"], 2);
    EXPECT_EQ((*busy)["code"], "busy");
    auto ack = a->wait_type("ack");
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["id"], 1);
}

TEST_F(ServerTest, MalformedInputGetsErrorAndConnectionKeepsWorking) {
    auto a = connect("relay");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"{not json", "bad_json"},
        {"[1,2,3]", "bad_request"},
        {R"({"type":"set","id":1,"channel":"pump"})", "bad_request"},
        {R"({"type":"set","id":1,"channel":"pump","state":"maybe"})", "bad_request"},
        {R"({"type":"explode","id":1})", "unknown_type"},
        {R"({"type":"set","id":1,"channel":"nope","state":"on"})", "unknown_channel"},
        {"\xff\xfe", "bad_json"},
    };
    for (const auto& [frame, code] : cases) {
        a->send_text(frame);
        auto err = a->wait_type("error");
        ASSERT_TRUE(err) << frame;
        EXPECT_EQ((*err)["code"], code) << frame;
    }
    a->send_frame(0x2, "binary");
    auto err = a->wait_type("error");
    ASSERT_TRUE(err);
    EXPECT_EQ((*err)["code"], "bad_request");
    a->send_json({{"type", "set"}, {"id", "ok"}, {"channel", "pump"}, {"state", "on"}});
    auto ack = a->wait_type("ack");
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["id"], "ok");
}

TEST_F(ServerTest, FragmentedMessageIsReassembled) {
    auto a = connect("relay");
    std::string msg = R"({"type":"set","id":"frag","channel":"pump","state":"on"})";
    a->send_frame(0x1, msg.substr(0, 10), false);
    a->send_frame(0x0, msg.substr(10, 20), false);
    a->send_frame(0x0, msg.substr(30), true);
    auto ack = a->wait_type("ack");
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["id"], "frag");
}

TEST_F(ServerTest, OversizedFrameClosesWith1009AndOthersKeepWorking) {
    auto a = connect("relay");
    auto b = connect("sensor");
    a->send_text(std::string(5000, ' '));  // limit in the test map: 4096
    EXPECT_EQ(a->wait_close(), 1009);
    // A message split into fragments that add up over the limit is refused the same way.
    auto c = connect("relay");
    c->send_frame(0x1, std::string(3000, ' '), false);
    c->send_frame(0x0, std::string(3000, ' '), true);
    EXPECT_EQ(c->wait_close(), 1009);
    EXPECT_TRUE(b->wait_type("reading"));
}

TEST_F(ServerTest, UpgradeWithoutOurSubprotocolIsRefusedWith400) {
    WsClient none(daemon.port(), WsClient::Options{"", {}, "/"});
    EXPECT_FALSE(none.ok());
    EXPECT_EQ(none.refusal().status, 400);
    WsClient unknown(daemon.port(), WsClient::Options{"mqtt", {}, "/"});
    EXPECT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.refusal().status, 400);
    EXPECT_NE(daemon.log().find("refused WebSocket upgrade"), std::string::npos);
}

TEST_F(ServerTest, ForeignOriginIsRefusedWith403AndSameHostAllowed) {
    WsClient evil(daemon.port(), WsClient::Options{"relay", "http://evil.example", "/"});
    EXPECT_FALSE(evil.ok());
    EXPECT_EQ(evil.refusal().status, 403);
    WsClient same(daemon.port(),
                  WsClient::Options{"relay", "http://127.0.0.1:" + std::to_string(daemon.port()), "/"});
    EXPECT_TRUE(same.ok());
    EXPECT_NE(daemon.log().find("origin 'http://evil.example' is not allowed"), std::string::npos);
}

TEST(ServerOrigins, AllowListedOriginIsAccepted) {
    Daemon daemon(server_test_map("  allowed_origins: [\"http://dashboard.example:8000\"]\n"));
    WsClient listed(daemon.port(), WsClient::Options{"sensor", "http://dashboard.example:8000", "/"});
    EXPECT_TRUE(listed.ok());
    WsClient other(daemon.port(), WsClient::Options{"sensor", "http://dashboard.example:9000", "/"});
    EXPECT_FALSE(other.ok());
    EXPECT_EQ(other.refusal().status, 403);
}

TEST_F(ServerTest, TextConsoleEchoesLinesToEveryViewer) {
    auto a = connect("text");
    ASSERT_TRUE(channel(last_hello, "console").is_object());
    auto b = connect("text");
    for (auto* c : {a.get(), b.get()}) {
        c->send_json({{"type", "open"}, {"id", 1}, {"channel", "console"}});
        auto ack = c->wait_type("ack");
        ASSERT_TRUE(ack);
        EXPECT_TRUE((*ack)["history"].is_array());
    }
    a->send_json({{"type", "send"}, {"id", 2}, {"channel", "console"}, {"line", "hello bench"}, {"client", "laptop"}});
    auto ack = a->wait_type("ack");
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["id"], 2);
    for (auto* c : {a.get(), b.get()}) {
        auto tx = c->wait_type("line");
        ASSERT_TRUE(tx);
        EXPECT_EQ((*tx)["dir"], "tx");
        EXPECT_EQ((*tx)["line"], "hello bench");
        EXPECT_EQ((*tx)["by"], "laptop");
        auto rx = c->wait_type("line");
        ASSERT_TRUE(rx);
        EXPECT_EQ((*rx)["dir"], "rx");
        EXPECT_EQ((*rx)["line"], "echo: hello bench");
    }
    // A client opening later gets both lines as history.
    auto late = connect("text");
    late->send_json({{"type", "open"}, {"id", 1}, {"channel", "console"}});
    auto history = late->wait_type("ack");
    ASSERT_TRUE(history);
    ASSERT_GE((*history)["history"].size(), 2u);
    EXPECT_EQ((*history)["history"].back()["line"], "echo: hello bench");
}

TEST_F(ServerTest, TextSendRequiresOpenAndRespectsLineLimit) {
    auto a = connect("text");
    a->send_json({{"type", "send"}, {"id", 1}, {"channel", "console"}, {"line", "x"}});
    auto err = a->wait_type("error");
    ASSERT_TRUE(err);
    EXPECT_EQ((*err)["code"], "not_open");
    a->send_json({{"type", "open"}, {"id", 2}, {"channel", "display"}});
    ASSERT_TRUE(a->wait_type("ack"));
    auto line = a->wait_type("line");
    ASSERT_TRUE(line) << "the status display prints every 50 ms";
    EXPECT_NE((*line)["line"].get<std::string>().find("up "), std::string::npos);
    a->send_json({{"type", "open"}, {"id", 3}, {"channel", "console"}});
    ASSERT_TRUE(a->wait_type("ack"));
    a->send_json({{"type", "send"}, {"id", 4}, {"channel", "console"}, {"line", std::string(4097, 'x')}});
    // 4097 bytes of line + JSON exceed the 4096-byte message limit of the test map: closed with 1009.
    EXPECT_EQ(a->wait_close(), 1009);
}

TEST_F(ServerTest, HttpServesPageChannelsAndHealth) {
    auto page = http_get(daemon.port(), "/");
    EXPECT_EQ(page.status, 200);
    EXPECT_NE(page.head.find("text/html"), std::string::npos);
    EXPECT_NE(page.body.find("<"), std::string::npos);
    auto channels = http_get(daemon.port(), "/api/channels");
    ASSERT_EQ(channels.status, 200);
    auto doc = json::parse(channels.body);
    EXPECT_EQ(doc["bridge"], "Test bench");
    EXPECT_EQ(doc["sensors"].size(), 3u);
    EXPECT_EQ(doc["relays"].size(), 5u);
    EXPECT_EQ(doc["texts"].size(), 2u);
    auto health = http_get(daemon.port(), "/healthz");
    ASSERT_EQ(health.status, 200);
    EXPECT_EQ(json::parse(health.body)["status"], "ok");
    EXPECT_EQ(http_get(daemon.port(), "/no/such/file").status, 404);
}

TEST_F(ServerTest, SigtermDrivesRelaysToSafeStateThenCloses1001) {
    auto a = connect("relay");
    a->send_json({{"type", "set"}, {"id", 1}, {"channel", "pump"}, {"state", "on"}});
    ASSERT_TRUE(a->wait_type("ack"));
    ASSERT_TRUE(a->wait_type("state"));
    auto started = std::chrono::steady_clock::now();
    std::jthread stopper([&] { EXPECT_EQ(daemon.stop(SIGTERM), 0); });
    auto safe = a->wait_type("state");
    ASSERT_TRUE(safe);
    EXPECT_EQ((*safe)["channel"], "pump");
    EXPECT_EQ((*safe)["state"], "off");
    EXPECT_EQ((*safe)["cause"], "shutdown");
    EXPECT_EQ(a->wait_close(), 1001);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST_F(ServerTest, SigintAlsoStopsCleanly) {
    auto a = connect("sensor");
    std::jthread stopper([&] { EXPECT_EQ(daemon.stop(SIGINT), 0); });
    EXPECT_EQ(a->wait_close(), 1001);
}

}  // namespace
}  // namespace hwb::test
