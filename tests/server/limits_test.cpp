// bridge.limits against the real daemon: requests over a connection's rate are answered with
// `rate_limited` and not executed, a client that goes on is closed with 1008, connections over the
// per-address rate are closed before any HTTP, the connection cap answers 503, and every refusal
// is an audit line without flooding the log.
#include <gtest/gtest.h>

#include <thread>

#include "server/test_map.h"
#include "support/daemon.h"
#include "support/ws_client.h"

namespace hwb::test {
namespace {

using nlohmann::json;

std::unique_ptr<WsClient> connect(const Daemon& daemon, const std::string& subprotocol) {
    auto client = std::make_unique<WsClient>(daemon.port(), subprotocol);
    EXPECT_TRUE(client->ok()) << client->refusal().head;
    EXPECT_TRUE(client->wait_type("hello"));
    return client;
}

std::string relay_state(const Daemon& daemon, const std::string& relay) {
    WsClient probe(daemon.port(), "relay");
    auto hello = probe.wait_type("hello");
    if (!hello) return "no hello";
    for (const auto& ch : (*hello)["channels"])
        if (ch["id"] == relay) return ch["state"].get<std::string>();
    return "no such relay";
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

// One token every 10 s: nothing refills during a test.
const std::string slow_relays = "  limits: {relay_rate: 0.1, relay_burst: 3, max_refusals: 5}\n";

TEST(RateLimits, RelayRequestOverTheLimitIsRefusedAndNotExecuted) {
    Daemon daemon(server_test_map(slow_relays));
    auto c = connect(daemon, "relay");
    for (int i = 1; i <= 3; ++i) {
        c->send_json({{"type", "toggle"}, {"id", i}, {"channel", "pump"}});
        auto ack = c->wait_for([&](const json& m) { return m.value("type", json()) == "ack" && m.value("id", json()) == i; });
        ASSERT_TRUE(ack) << "request " << i << " is within the burst";
    }
    ASSERT_EQ(relay_state(daemon, "pump"), "on");  // off -> on -> off -> on
    c->send_json({{"type", "toggle"}, {"id", 4}, {"channel", "pump"}});
    auto refused = c->wait_for([](const json& m) { return m.value("id", json()) == 4; });
    ASSERT_TRUE(refused);
    EXPECT_EQ((*refused)["type"], "error");
    EXPECT_EQ((*refused)["code"], "rate_limited");
    EXPECT_EQ((*refused)["channel"], "pump");
    EXPECT_EQ(relay_state(daemon, "pump"), "on") << "a refused toggle must not switch";
    EXPECT_NE(daemon.log().find("audit: refused relay request of client"), std::string::npos) << daemon.log();
    EXPECT_NE(daemon.log().find("from 127.0.0.1: rate limited"), std::string::npos) << daemon.log();
}

TEST(RateLimits, ClientThatKeepsGoingAfterRefusalsIsClosedWith1008) {
    Daemon daemon(server_test_map(slow_relays));
    auto c = connect(daemon, "relay");
    try {
        for (int i = 1; i <= 20; ++i) c->send_json({{"type", "set"}, {"id", i}, {"channel", "pump"}, {"state", "on"}});
    } catch (const std::exception&) {
        // The daemon may close before the last requests are written (EPIPE): that is the point.
    }
    int refused = 0;
    while (auto m = c->next()) {
        if ((*m)["type"] == "error" && (*m)["code"] == "rate_limited") ++refused;
    }
    EXPECT_TRUE(c->closed());
    EXPECT_EQ(c->close_code(), 1008);
    EXPECT_EQ(refused, 5);  // max_refusals answers, then the close
    EXPECT_NE(daemon.log().find("closing with 1008"), std::string::npos) << daemon.log();
    // Other clients are unaffected.
    auto other = connect(daemon, "relay");
    other->send_json({{"type", "set"}, {"id", "x"}, {"channel", "pump"}, {"state", "off"}});
    auto ack = other->wait_for([](const json& m) { return m.value("id", json()) == "x"; });
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["type"], "ack");
}

TEST(RateLimits, TextSendOverTheLimitIsRefusedAndNotSentToTheDevice) {
    Daemon daemon(server_test_map("  limits: {text_rate: 0.1, text_burst: 2}\n"));
    auto c = connect(daemon, "text");
    c->send_json({{"type", "open"}, {"id", 1}, {"channel", "console"}});
    ASSERT_TRUE(c->wait_for([](const json& m) { return m.value("type", json()) == "ack" && m.value("id", json()) == 1; }));
    c->send_json({{"type", "send"}, {"id", 2}, {"channel", "console"}, {"line", "first"}});
    ASSERT_TRUE(c->wait_for([](const json& m) { return m.value("type", json()) == "ack" && m.value("id", json()) == 2; }));
    c->send_json({{"type", "send"}, {"id", 3}, {"channel", "console"}, {"line", "second"}});
    auto refused = c->wait_for([](const json& m) { return m.value("id", json()) == 3; });
    ASSERT_TRUE(refused);
    EXPECT_EQ((*refused)["type"], "error");
    EXPECT_EQ((*refused)["code"], "rate_limited");
    // The console's history (what the device got and said) has the first line only.
    auto viewer = connect(daemon, "text");
    viewer->send_json({{"type", "open"}, {"id", 1}, {"channel", "console"}});
    auto ack = viewer->wait_type("ack");
    ASSERT_TRUE(ack);
    std::string history = (*ack)["history"].dump();
    EXPECT_NE(history.find("echo: first"), std::string::npos) << history;
    EXPECT_EQ(history.find("second"), std::string::npos) << history;
}

TEST(ConnectionLimits, NewConnectionsOverTheAddressRateAreClosedBeforeAnyHttp) {
    Daemon daemon(server_test_map("  limits: {connection_rate: 0.5, connection_burst: 3}\n"));
    std::vector<std::unique_ptr<WsClient>> admitted;
    for (int i = 0; i < 3; ++i) admitted.push_back(connect(daemon, "sensor"));
    WsClient refused(daemon.port(), "sensor");
    EXPECT_FALSE(refused.ok());
    EXPECT_EQ(refused.refusal().status, 0) << refused.refusal().head;  // closed, no HTTP answer
    EXPECT_NE(daemon.log().find("audit: refused connection from 127.0.0.1"), std::string::npos) << daemon.log();
    // The admitted ones still stream; after a pause (1 token per 2 s) a new one gets in.
    EXPECT_TRUE(admitted[0]->wait_type("reading"));
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    WsClient later(daemon.port(), "sensor");
    EXPECT_TRUE(later.ok()) << later.refusal().head;
}

TEST(ConnectionLimits, RefusalsAreAuditedWithoutFloodingTheLog) {
    Daemon daemon(server_test_map("  limits: {connection_rate: 0.01, connection_burst: 1}\n"));
    auto first = connect(daemon, "sensor");
    for (int i = 0; i < 300; ++i) WsClient refused(daemon.port(), "sensor");
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // the log throttle refills
    WsClient one_more(daemon.port(), "sensor");
    std::string log;
    for (int i = 0; i < 50 && log.find("more refusals not logged") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        log = daemon.log();
    }
    std::size_t lines = count(log, "audit: refused connection");
    EXPECT_GE(lines, 5u);
    EXPECT_LT(lines, 150u) << "301 refusals, throttled to 20 at once and 5 per second";
    EXPECT_NE(log.find("more refusals not logged"), std::string::npos) << log;
}

TEST(ConnectionLimits, OverTheConnectionCapUpgradesGet503AndOthersAreUnaffected) {
    Daemon daemon(server_test_map("  limits: {max_connections: 3}\n"));
    auto a = connect(daemon, "relay");
    auto b = connect(daemon, "sensor");
    auto c = connect(daemon, "text");
    WsClient over(daemon.port(), "relay");
    EXPECT_FALSE(over.ok());
    EXPECT_EQ(over.refusal().status, 503) << over.refusal().head;
    EXPECT_NE(daemon.log().find("connection cap reached (3 connections"), std::string::npos) << daemon.log();
    // The page and the API still answer; the connected clients keep working.
    EXPECT_EQ(http_get(daemon.port(), "/healthz").status, 200);
    a->send_json({{"type", "set"}, {"id", 1}, {"channel", "pump"}, {"state", "on"}});
    auto ack = a->wait_for([](const json& m) { return m.value("id", json()) == 1; });
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["type"], "ack");
    EXPECT_TRUE(b->wait_type("reading"));
    // A freed place can be taken again.
    c.reset();
    bool admitted = false;
    for (int i = 0; i < 50 && !admitted; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        WsClient again(daemon.port(), "relay");
        admitted = again.ok();
    }
    EXPECT_TRUE(admitted);
}

}  // namespace
}  // namespace hwb::test

namespace hwb::test {
namespace {

// A relay is protected from all its clients together: four connections, each within its own
// rate, do not switch it more often than switch_rate/switch_burst allow.
TEST(RateLimits, ARelayIsProtectedFromManyConnectionsTogether) {
    Daemon daemon(server_test_map("  limits: {switch_rate: 0.1, switch_burst: 4}\n"));
    std::vector<std::unique_ptr<WsClient>> clients;
    for (int i = 0; i < 4; ++i) clients.push_back(connect(daemon, "relay"));
    int acked = 0;
    int limited = 0;
    for (int round = 0; round < 2; ++round) {
        for (std::size_t i = 0; i < clients.size(); ++i) {
            const std::string id = std::to_string(round) + "-" + std::to_string(i);
            clients[i]->send_json({{"type", "toggle"}, {"id", id}, {"channel", "pump"}});
            auto answer = clients[i]->wait_for([&](const json& m) { return m.value("id", json()) == id; });
            ASSERT_TRUE(answer) << id;
            if ((*answer)["type"] == "ack") ++acked;
            if ((*answer)["type"] == "error" && (*answer)["code"] == "rate_limited") {
                ++limited;
                EXPECT_NE((*answer)["message"].get<std::string>().find("switched too often"), std::string::npos) << *answer;
            }
        }
    }
    EXPECT_EQ(acked, 4);    // the relay's burst, whoever asked
    EXPECT_EQ(limited, 4);  // every connection was within its own rate
    // Another relay is not affected.
    clients[0]->send_json({{"type", "set"}, {"id", "other"}, {"channel", "forward"}, {"state", "on"}});
    auto other = clients[0]->wait_for([](const json& m) { return m.value("id", json()) == "other"; });
    ASSERT_TRUE(other);
    EXPECT_EQ((*other)["type"], "ack") << *other;
}

// History answers can be large: asking for them in a loop is rate limited like any request.
TEST(RateLimits, HistoryRequestsAreRateLimited) {
    Daemon daemon(server_test_map("  limits: {sensor_rate: 0.1, sensor_burst: 3, max_refusals: 2}\n"));
    auto c = connect(daemon, "sensor");
    int answered = 0;
    int limited = 0;
    for (int i = 1; i <= 5; ++i) {
        c->send_json({{"type", "history"}, {"id", i}, {"channel", "temperature"}});
        auto answer = c->wait_for([&](const json& m) { return m.value("id", json()) == i; });
        ASSERT_TRUE(answer) << i;
        if ((*answer)["type"] == "ack") ++answered;
        if ((*answer)["type"] == "error" && (*answer)["code"] == "rate_limited") ++limited;
    }
    EXPECT_EQ(answered, 3);
    EXPECT_EQ(limited, 2);
    // One more after max_refusals: closed.
    c->send_json({{"type", "history"}, {"id", 6}, {"channel", "temperature"}});
    EXPECT_EQ(c->wait_close(), 1008);
}

}  // namespace
}  // namespace hwb::test
