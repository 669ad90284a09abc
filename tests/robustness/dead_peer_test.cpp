// A peer that stops answering (half-open TCP: it neither reads nor answers pings) is dropped
// after bridge.ping_interval + bridge.ping_timeout, and its relay lease ends with it; a client
// that answers pings stays connected.
#include <gtest/gtest.h>

#include <thread>

#include "robustness/robustness.h"

namespace hwb::test {
namespace {

TEST(DeadPeer, SilentClientIsDroppedAfterThePingTimeoutAndLivelyOneStays) {
    Daemon daemon(robustness_map("  ping_interval: 1s\n  ping_timeout: 2s\n"));
    WsClient observer(daemon.port(), "relay");
    ASSERT_TRUE(observer.wait_type("hello"));

    // Holds the pump on with a long lease, then goes silent: never reads again, never pongs.
    auto silent = std::make_unique<WsClient>(daemon.port(), "relay");
    auto hello = silent->wait_type("hello");
    ASSERT_TRUE(hello);
    const std::string silent_id = (*hello)["client"];
    silent->send_json({{"type", "set"}, {"id", 1}, {"channel", "pump"}, {"state", "on"}, {"lease_ms", 60000}});
    ASSERT_TRUE(silent->wait_type("ack"));
    const auto went_silent = std::chrono::steady_clock::now();

    // The observer reads all along, so it answers the daemon's pings.
    auto off = observer.wait_for(
        [](const nlohmann::json& m) { return m.value("type", "") == "state" && m["state"] == "off"; },
        std::chrono::seconds(10));
    const auto dropped_after = std::chrono::steady_clock::now() - went_silent;
    ASSERT_TRUE(off) << "the silent client was not dropped within 10 s";
    EXPECT_EQ((*off)["cause"], "lease_expired");
    EXPECT_EQ((*off)["client"], silent_id);
    // 1 s without traffic, then 2 s more for the pong: not before 2 s, and not much after 3 s.
    EXPECT_GE(dropped_after, std::chrono::seconds(2));
    EXPECT_LE(dropped_after, std::chrono::seconds(6));

    // The observer outlived several ping intervals and is still connected and served.
    EXPECT_EQ(health_clients(daemon.port()), 1);
    EXPECT_FALSE(observer.closed());
    observer.send_json({{"type", "set"}, {"id", "x"}, {"channel", "lamp"}, {"state", "on"}});
    auto ack = observer.wait_type("ack");
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["state"], "on");
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace hwb::test
