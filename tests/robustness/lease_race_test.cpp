// Leases against a real daemon when timing is against them: the holder's TCP connection is reset
// while its leased `set on` is still on its way to the hardware, and a fall-back write that the
// hardware refuses (issue 18, items 4 and 13). A lease never outlives its holder; a fall-back that
// fails is retried and audited.
#include <gtest/gtest.h>

#include <string>

#include "robustness/robustness.h"

namespace hwb::test {
namespace {

std::string lease_race_map() {
    return R"(bridge:
  name: Lease race bench
devices:
  - id: bench
    driver: sim
relays:
  # Confirms a second after the write: the holder can leave in between.
  - {id: valve, device: bench, safe_state: off, latency: 1s}
  # Fails every 2nd write: the set on works, the fall-back after it does not.
  - {id: flaky, device: bench, latency: 0ms, fail_every: 2}
)";
}

bool is_state(const nlohmann::json& m, const std::string& channel, const std::string& state) {
    return m.value("type", "") == "state" && m.value("channel", "") == channel && m.value("state", "") == state;
}

TEST(LeaseRace, HolderResetWhileItsLeasedSetOnIsInFlightLeavesNoLeaseAndTheRelayFallsBack) {
    Daemon daemon(lease_race_map());
    WsClient observer(daemon.port(), "relay");
    ASSERT_TRUE(observer.wait_type("hello"));

    WsClient holder(daemon.port(), "relay");
    auto hello = holder.wait_type("hello");
    ASSERT_TRUE(hello);
    const std::string holder_id = (*hello)["client"];
    holder.send_json({{"type", "set"}, {"id", 1}, {"channel", "valve"}, {"state", "on"}, {"lease_ms", 86400000}});
    // Answered at once, after the set in the same connection: the set is in flight now.
    holder.send_json({{"type", "renew"}, {"id", 2}, {"channel", "valve"}, {"lease_ms", 86400000}});
    auto renew = holder.wait_for([](const nlohmann::json& m) { return m.value("id", 0) == 2; });
    ASSERT_TRUE(renew);
    ASSERT_EQ((*renew)["type"], "error");
    ASSERT_EQ((*renew)["code"], "no_lease");
    holder.drop(/*reset=*/true);

    auto on = observer.wait_for([](const nlohmann::json& m) { return is_state(m, "valve", "on"); }, 5000ms);
    ASSERT_TRUE(on) << "the set on was never confirmed";
    EXPECT_TRUE((*on)["lease"].is_null()) << "a lease was installed for a client that is gone: " << on->dump();

    auto off = observer.wait_for([](const nlohmann::json& m) { return is_state(m, "valve", "off"); }, 5000ms);
    ASSERT_TRUE(off) << "the valve stayed on with a 24 h lease held by a closed connection";
    EXPECT_EQ((*off)["cause"], "lease_expired");
    EXPECT_EQ((*off)["client"], holder_id);
    EXPECT_TRUE((*off)["lease"].is_null());
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
}

TEST(LeaseRace, FallBackThatTheHardwareRefusesIsRetriedAndAudited) {
    Daemon daemon(lease_race_map());
    WsClient observer(daemon.port(), "relay");
    ASSERT_TRUE(observer.wait_type("hello"));
    {
        WsClient holder(daemon.port(), "relay");
        ASSERT_TRUE(holder.wait_type("hello"));
        holder.send_json({{"type", "set"}, {"id", 1}, {"channel", "flaky"}, {"state", "on"}, {"lease_ms", 60000}});
        auto ack = holder.wait_type("ack");
        ASSERT_TRUE(ack && (*ack)["state"] == "on");
        holder.drop(/*reset=*/true);
    }
    ASSERT_TRUE(observer.wait_for([](const nlohmann::json& m) { return is_state(m, "flaky", "on"); }));
    // The first fall-back write fails (fail_every: 2); the retry a second later works.
    auto off = observer.wait_for([](const nlohmann::json& m) { return is_state(m, "flaky", "off"); }, 6000ms);
    ASSERT_TRUE(off) << "flaky stayed on after its lease holder left and the fall-back write failed\n" << daemon.log();
    EXPECT_EQ((*off)["cause"], "lease_expired");
    const std::string log = daemon.log();
    EXPECT_NE(log.find("audit: relay flaky write off by lease_expired"), std::string::npos) << log;
    EXPECT_NE(log.find("failed (hardware: simulated failure"), std::string::npos) << log;
    EXPECT_NE(log.find("retrying in 1.0 s"), std::string::npos) << log;
    EXPECT_EQ(daemon.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace hwb::test
