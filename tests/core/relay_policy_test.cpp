// Relay policies on a controllable clock: max_on, min_on/min_off, interlocks, leases.
#include <gtest/gtest.h>

#include "core/channels.h"
#include "support/manual_loop.h"

namespace hwb {
namespace {

// Confirms every write at once, as a GPIO line does; `failures` > 0 makes the next writes fail
// leaving the hardware in an unknown state (a board that did not confirm).
class InstantOutput final : public RelayOutput {
public:
    void write(bool on, Done done) override {
        writes.push_back(on);
        if (failures > 0) {
            --failures;
            done(RelayState::unknown, Error{"timeout", "no confirmation"});
            return;
        }
        done(relay_state(on), std::nullopt);
    }
    std::vector<bool> writes;
    int failures = 0;
};

struct Log final : ChannelObserver {
    void on_relay_change(const Relay& r, const Cause& c) override {
        changes.push_back(r.id() + " " + to_string(r.state()) + " " + to_string(c.kind) +
                          (c.client.empty() ? "" : " " + c.client));
    }
    std::vector<std::string> changes;
};

class PolicyTest : public ::testing::Test {
protected:
    Relay& add(RelayInfo info) {
        DeviceConfig device;
        device.id = "bench";
        for (auto& r : relays_) device.relays.push_back(RelayConfig{r, {}, {}});
        device.relays.push_back(RelayConfig{std::move(info), {}, {}});
        relays_.clear();
        for (auto& r : device.relays) relays_.push_back(r.info);
        map_.devices = {device};
        return *channels_for_test().relay(relays_.back().id);
    }
    Channels& channels_for_test() {
        outputs_.clear();
        channels_ = std::make_unique<Channels>(map_, loop);
        channels_->add_observer(&log);
        for (const auto& r : channels_->relays()) {
            outputs_.push_back(std::make_unique<InstantOutput>());
            r->bind(outputs_.back().get());
            r->report(RelayState::off, Cause::of(Cause::Kind::startup));
        }
        log.changes.clear();
        return *channels_;
    }
    Relay& relay(const std::string& id) { return *channels_->relay(id); }
    Result<RelayState> set(const std::string& id, bool on, std::optional<LeaseRequest> lease = std::nullopt) {
        std::optional<Result<RelayState>> out;
        relay(id).set(on, Cause::by_client("c1"), [&](Result<RelayState> r) { out = std::move(r); }, lease);
        return *out;
    }

    test::ManualLoop loop;
    Log log;
    DeviceMap map_;
    std::vector<RelayInfo> relays_;
    std::unique_ptr<Channels> channels_;
    std::vector<std::unique_ptr<InstantOutput>> outputs_;
};

TEST_F(PolicyTest, UnconfirmedWriteDrivesTheRelayToItsSafeState) {
    add(RelayInfo{.id = "heater", .safe_state = false});
    auto& out = *outputs_.back();
    out.failures = 1;
    auto r = set("heater", true);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "timeout");
    EXPECT_EQ(relay("heater").state(), RelayState::unknown);
    EXPECT_EQ(out.writes, std::vector<bool>({true}));  // not from inside the driver's callback
    loop.run_ready();
    EXPECT_EQ(out.writes, std::vector<bool>({true, false}));
    EXPECT_EQ(relay("heater").state(), RelayState::off);
    EXPECT_EQ(log.changes.back(), "heater off failsafe");
}

TEST_F(PolicyTest, FailsafeRetriesWithBackoffUntilTheHardwareAnswers) {
    add(RelayInfo{.id = "heater", .safe_state = false});
    auto& out = *outputs_.back();
    out.failures = 3;  // the request and the first two failsafe writes fail
    ASSERT_FALSE(set("heater", true).ok());
    loop.run_ready();
    EXPECT_EQ(out.writes.size(), 2u);
    loop.advance(std::chrono::milliseconds(999));
    EXPECT_EQ(out.writes.size(), 2u);
    loop.advance(std::chrono::milliseconds(1));
    EXPECT_EQ(out.writes.size(), 3u);  // 1 s after the first failsafe write failed
    loop.advance(std::chrono::milliseconds(1999));
    EXPECT_EQ(out.writes.size(), 3u);
    loop.advance(std::chrono::milliseconds(1));
    EXPECT_EQ(out.writes.size(), 4u);  // then 2 s
    EXPECT_EQ(relay("heater").state(), RelayState::off);
    loop.advance(std::chrono::milliseconds(60000));
    EXPECT_EQ(out.writes.size(), 4u);  // settled: no more writes
}

TEST_F(PolicyTest, WithoutASafeStateAnUnknownRelayIsLeftAlone) {
    add(RelayInfo{.id = "lamp"});
    auto& out = *outputs_.back();
    out.failures = 1;
    ASSERT_FALSE(set("lamp", true).ok());
    loop.advance(std::chrono::milliseconds(60000));
    EXPECT_EQ(out.writes.size(), 1u);
    EXPECT_EQ(relay("lamp").state(), RelayState::unknown);
}

TEST_F(PolicyTest, DeviceBackFromAFailureGetsTheSafeStateOnceOnline) {
    add(RelayInfo{.id = "pump", .safe_state = false});
    auto& out = *outputs_.back();
    ASSERT_TRUE(set("pump", true).ok());
    relay("pump").set_status({false, "port vanished"});
    relay("pump").report(RelayState::unknown, Cause::of(Cause::Kind::driver));
    loop.advance(std::chrono::milliseconds(60000));
    EXPECT_EQ(out.writes, std::vector<bool>({true}));  // nothing can be written while offline
    relay("pump").set_status({true, ""});
    loop.run_ready();
    EXPECT_EQ(out.writes, std::vector<bool>({true, false}));
    EXPECT_EQ(relay("pump").state(), RelayState::off);
    EXPECT_EQ(log.changes.back(), "pump off failsafe");
}

TEST_F(PolicyTest, RelaySwitchesOffAfterMaxOn) {
    add(RelayInfo{.id = "heater", .max_on_ms = 60000});
    ASSERT_TRUE(set("heater", true).ok());
    ASSERT_TRUE(relay("heater").auto_off_ms());
    loop.advance(std::chrono::milliseconds(59999));
    EXPECT_EQ(relay("heater").state(), RelayState::on);
    loop.advance(std::chrono::milliseconds(1));
    EXPECT_EQ(relay("heater").state(), RelayState::off);
    EXPECT_EQ(log.changes.back(), "heater off max_on");
    EXPECT_FALSE(relay("heater").auto_off_ms());
}

TEST_F(PolicyTest, MaxOnCountsFromWhenTheRelayWentOnNotFromLaterRequests) {
    add(RelayInfo{.id = "heater", .max_on_ms = 1000});
    ASSERT_TRUE(set("heater", true).ok());
    loop.advance(std::chrono::milliseconds(600));
    ASSERT_TRUE(set("heater", true).ok());
    loop.advance(std::chrono::milliseconds(400));
    EXPECT_EQ(relay("heater").state(), RelayState::off);
}

TEST_F(PolicyTest, MinOffRefusesSwitchingOnTooSoonAndSaysHowLong) {
    add(RelayInfo{.id = "compressor", .min_off_ms = 180000});
    loop.advance(std::chrono::seconds(200));
    ASSERT_TRUE(set("compressor", true).ok());
    ASSERT_TRUE(set("compressor", false).ok());
    loop.advance(std::chrono::seconds(100));
    auto refused = set("compressor", true);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, "too_soon");
    EXPECT_NE(refused.error().message.find("80.0 s more"), std::string::npos) << refused.error().message;
    EXPECT_EQ(relay("compressor").state(), RelayState::off);
    loop.advance(std::chrono::seconds(80));
    EXPECT_TRUE(set("compressor", true).ok());
}

TEST_F(PolicyTest, MinOnRefusesSwitchingOffTooSoonButNotMaxOn) {
    add(RelayInfo{.id = "contactor", .max_on_ms = 5000, .min_on_ms = 10000});
    ASSERT_TRUE(set("contactor", true).ok());
    loop.advance(std::chrono::seconds(2));
    auto refused = set("contactor", false);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, "too_soon");
    // max_on protects the load: it is not held back by min_on.
    loop.advance(std::chrono::seconds(3));
    EXPECT_EQ(relay("contactor").state(), RelayState::off);
}

TEST_F(PolicyTest, InterlockRefusesSecondRelayOfGroupAndNeverSwitchesTheFirst) {
    add(RelayInfo{.id = "forward", .interlock = "motor"});
    add(RelayInfo{.id = "reverse", .interlock = "motor"});
    add(RelayInfo{.id = "lamp"});
    ASSERT_TRUE(set("forward", true).ok());
    auto refused = set("reverse", true);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, "interlock");
    EXPECT_NE(refused.error().message.find("'forward' is on"), std::string::npos) << refused.error().message;
    EXPECT_EQ(relay("forward").state(), RelayState::on);
    EXPECT_EQ(relay("reverse").state(), RelayState::off);
    EXPECT_TRUE(set("lamp", true).ok());  // not in the group
    ASSERT_TRUE(set("forward", false).ok());
    EXPECT_TRUE(set("reverse", true).ok());
}

TEST_F(PolicyTest, LeaseThatIsNotRenewedFallsBackToSafeState) {
    add(RelayInfo{.id = "pump", .safe_state = false});
    ASSERT_TRUE(set("pump", true, LeaseRequest{"c7", std::chrono::seconds(10)}).ok());
    ASSERT_TRUE(relay("pump").lease());
    EXPECT_EQ(relay("pump").lease()->owner, "c7");
    loop.advance(std::chrono::seconds(6));
    ASSERT_TRUE(relay("pump").renew_lease("c7", std::chrono::seconds(10)).ok());
    loop.advance(std::chrono::seconds(9));
    EXPECT_EQ(relay("pump").state(), RelayState::on);
    loop.advance(std::chrono::seconds(1));
    EXPECT_EQ(relay("pump").state(), RelayState::off);
    EXPECT_EQ(log.changes.back(), "pump off lease_expired c7");
    EXPECT_FALSE(relay("pump").lease());
}

TEST_F(PolicyTest, LeaseHolderLeavingFallsBackAtOnce) {
    add(RelayInfo{.id = "heater"});  // no safe_state: falls back to off
    ASSERT_TRUE(set("heater", true, LeaseRequest{"c7", std::chrono::minutes(5)}).ok());
    relay("heater").release_leases_of("c8");
    EXPECT_EQ(relay("heater").state(), RelayState::on);
    relay("heater").release_leases_of("c7");
    EXPECT_EQ(relay("heater").state(), RelayState::off);
}

TEST_F(PolicyTest, OnlyTheHolderRenewsAndAPlainSetEndsTheLease) {
    add(RelayInfo{.id = "pump"});
    ASSERT_TRUE(set("pump", true, LeaseRequest{"c7", std::chrono::seconds(10)}).ok());
    auto refused = relay("pump").renew_lease("c8", std::chrono::seconds(10));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, "no_lease");
    ASSERT_TRUE(set("pump", true).ok());  // someone switches it on for good
    EXPECT_FALSE(relay("pump").lease());
    loop.advance(std::chrono::seconds(30));
    EXPECT_EQ(relay("pump").state(), RelayState::on);
}

TEST_F(PolicyTest, PulseShowsWhenItWillEnd) {
    add(RelayInfo{.id = "door"});
    std::optional<Result<RelayState>> r;
    relay("door").pulse(std::chrono::milliseconds(500), Cause::by_client("c1"), [&](auto x) { r = std::move(x); });
    ASSERT_TRUE(r && r->ok());
    ASSERT_TRUE(relay("door").auto_off_ms());
    EXPECT_NEAR(static_cast<double>(*relay("door").auto_off_ms() - wall_clock_ms()), 500.0, 100.0);
    loop.advance(std::chrono::milliseconds(500));
    EXPECT_EQ(relay("door").state(), RelayState::off);
    EXPECT_EQ(log.changes.back(), "door off pulse_end");
}

}  // namespace
}  // namespace hwb
